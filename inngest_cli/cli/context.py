"""One run of the CLI as one object: the global options, the profile they chose, the secrets to
mask, and the stdout writer. `main.run` creates it (or takes one a caller made, as a test does),
the root callback fills it from the global options and click hands it down as ``ctx.obj``; code
under a command reaches it with `current()`. Nothing here is process-wide: a second run in the
same process starts from a new object.

`current()` reads click's current context instead of taking a parameter in every helper: the
renderers, `info` and the writers are called from deep inside commands and from the library's
callbacks, which all run on the command's thread (the sender calls back on its calling thread;
worker threads only trace and warn, which needs no context).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from inngest_cli.cli.console import Stdout, print_warning

if TYPE_CHECKING:
    from inngest_cli.config import Layers
    from inngest_cli.profiles import Active
    from inngest_cli.redact import Secrets

GLOBAL_FLAGS = ("debug", "no_color", "quiet", "verbose")


class RunContext:
    """What every command of one run shares. ``environ`` is where settings come from (the
    process's environment unless a caller gives another). A plain class, not a dataclass: it
    is built on every start, `--help` included, and a dataclass costs more to define."""

    def __init__(
        self, environ: Mapping[str, str] | None = None, stdout: Stdout | None = None
    ) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.stdout = Stdout() if stdout is None else stdout
        self.debug = False
        self.no_color = "NO_COLOR" in self.environ  # or --no-color
        self.quiet = False
        self.verbose = False
        self.insecure = False  # --insecure: TLS certificates are not verified
        self.profile_flag: str | None = None  # --profile
        self._profile: Active | None = None
        self._secrets: Secrets | None = None

    @property
    def secrets(self) -> Secrets:
        """The keys this run has seen (config resolution and the clients add them), masked in
        everything it reports. Made on first use: `--help` needs none."""
        if self._secrets is None:
            from inngest_cli.redact import Secrets

            self._secrets = Secrets()
        return self._secrets

    def set_global(self, name: str, value: object) -> None:
        """A global option given before the command (the root callback) or after it (each
        command has a copy of these options, cli/helpformat.py): the same effect either way;
        a flag once given stays on."""
        if name in GLOBAL_FLAGS:
            setattr(self, name, bool(value) or getattr(self, name))
        elif name == "insecure":
            if value and not self.insecure:
                self.insecure = True
                print_warning(
                    "--insecure: TLS certificates are not verified; anyone on the network path "
                    "can read the keys and events"
                )
        elif name == "profile":
            self.profile_flag = value if isinstance(value, str) else None
            self._profile = None  # chosen again, from the file, on the next `profile()`
            if self.profile_flag is not None:
                self.profile()  # a --profile that is not in the file is a usage error, always

    def profile(self) -> Active:
        """The active profile (--profile, INNGEST_PROFILE, default_profile), read from the file
        on first use; its permission warning, if any, is reported then, once."""
        if self._profile is None:
            from inngest_cli.profiles import choose, config_path, load

            chosen = choose(load(config_path(self.environ)), self.profile_flag, self.environ)
            if chosen.warning:
                print_warning(chosen.warning)
            self._profile = chosen
        return self._profile

    def layers(self) -> Layers:
        """Where settings come from below the flags: the environment over the active profile."""
        from inngest_cli.config import Layers

        return Layers.over(self.environ, self.profile())

    @property
    def color(self) -> bool:
        """Colour on stdout: a terminal, and neither --no-color nor NO_COLOR."""
        return self.stdout.isatty() and not self.no_color


def current() -> RunContext:
    """The run of the command being executed (click's current context's ``obj``)."""
    from inngest_cli.cli.compat import get_current_context

    found = get_current_context().find_object(RunContext)
    if found is None:  # a bug: main.run and the root callback always set one
        raise RuntimeError("no RunContext: the CLI was not started through its root command")
    return found


@contextmanager
def bound(run: RunContext) -> Iterator[RunContext]:
    """Code outside a command (a test of a renderer, a program embedding the CLI's helpers) run
    as if under a command of ``run``."""
    from inngest_cli.cli.compat import Context, TyperCommand

    with Context(TyperCommand("inngest-cli"), obj=run):
        yield run
