"""One `send`, as asked and as planned: `SendJob` holds every option already parsed, `plan`
decides what the job does with them (or refuses it with a usage error), before any input is
opened, any key is looked up or anything is sent.

The decision, in order: an event built from the flags (`--name` with flags or field items, or
`--name` alone when stdin has nothing), `--follow FILE`, or input files, stdin (`-`) among them,
stdin being read unasked when it is a pipe or a file. `cli/send_run.py` opens and runs the plan;
a dry run is the same plan with its requests printed instead of sent.

(`sender.SendOptions` is something else: the sender's own tuning, derived from a job.)
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

from inngest_cli.errors import UsageError

if TYPE_CHECKING:
    from inngest_cli.payload import Shaping

Mode = Literal["flags", "files", "follow"]

RATE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
DEFAULT_LINGER = 0.2  # seconds; the --linger default


class SendJob(msgspec.Struct, frozen=True):
    """Every option of `send` (bar --quiet/--verbose, which are the process's output settings),
    parsed: ``items`` are the field items (``data.k=v``) and ``paths`` the input files, both in
    the order given (positional arguments first, then --file), ``rate`` is in events per
    second. Defaults are those of the command."""

    items: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    # one event from flags
    name: str | None = None
    data: str | None = None
    event_id: str | None = None
    ts: str | None = None
    v: str | None = None
    user: str | None = None
    # bulk input
    input_format: str = "auto"
    id_field: str | None = None
    ts_field: str | None = None
    keep_ts: bool = False
    max_request_bytes: int = 512 * 1024
    max_batch: int = 5000
    max_event_bytes: int = 3 * 1024 * 1024
    concurrency: int | None = None  # None: `eventapi.default_window` for the server
    retries: int = 5
    timeout: float = 30.0
    on_error: str = "continue"
    failed_out: Path | None = None
    dry_run: bool = False
    follow: Path | None = None
    linger: float = DEFAULT_LINGER
    rate: float | None = None
    ignore_stdin: bool = False
    checkpoint: Path | None = None
    # runs
    wait: bool = False
    wait_timeout: float = 300.0
    signing_key: str | None = None
    # connection
    event_key: str | None = None
    env: str | None = None
    dev: bool = False
    event_api_url: str | None = None
    # output
    output: str | None = None
    no_progress: bool = False

    def event_flags(self) -> list[str]:
        """The flags given that shape the one event built from --name."""
        return [
            flag
            for flag, value in (
                ("--data", self.data),
                ("--id", self.event_id),
                ("--ts", self.ts),
                ("--v", self.v),
                ("--user", self.user),
            )
            if value is not None
        ]


def split_targets(
    targets: Iterable[str], files: Iterable[str | Path] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`send`'s positional arguments and --file values as (field items, input paths): a
    positional argument with an unescaped `=` is a field item, anything else a file."""
    from inngest_cli.fielditems import looks_like_item

    given = list(targets)
    items = tuple(t for t in given if looks_like_item(t))
    paths = tuple(t for t in given if not looks_like_item(t)) + tuple(str(f) for f in files)
    return items, paths


def parse_rate(text: str) -> float:
    """`--rate`: N/s, N/m, N/h or a bare N (per second), N > 0; returns events per second."""
    number, _, unit = text.strip().partition("/")
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in ("", *RATE_UNITS) or not value > 0 or value == float("inf"):
        raise UsageError(
            f"--rate: {text!r} is not a rate", hint="e.g. --rate 50/s, --rate 600/m, --rate 10"
        )
    return value / RATE_UNITS.get(unit or "s", 1.0)


class Stdin(msgspec.Struct, frozen=True):
    """What the process's stdin is, as far as planning cares: whether it holds input (a pipe,
    a socket or a redirected file; not a terminal, /dev/null or a closed stdin), and whether it
    is a regular file (read again from its start by a rerun, so a checkpoint can resume it)."""

    has_input: bool = False
    regular: bool = False

    @classmethod
    def probe(cls) -> Stdin:
        try:
            mode = os.fstat(sys.stdin.fileno()).st_mode
        except (OSError, ValueError, AttributeError):
            return cls()
        regular = stat.S_ISREG(mode)
        return cls(has_input=regular or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode), regular=regular)


class SendPlan(msgspec.Struct, frozen=True):
    """What a job does. ``paths``: the inputs read in "files" mode (``-`` is stdin, also when
    it is read unasked); ``checkpoint``: the file recording progress (never on a dry run), keyed
    on ``checkpoint_sources``; ``linger``: how long an event waits for others to share its
    request, None for inputs that never block (batches then depend on the input alone, so a
    resumed run packs the same requests as the run it resumes); ``resumable``: a rerun reads the
    same input again; ``empty``: why an input without events is an error (with --name), None
    when it is only a warning."""

    job: SendJob
    mode: Mode
    paths: tuple[str, ...]
    shaping: Shaping
    checkpoint: Path | None
    checkpoint_sources: tuple[str, ...]
    linger: float | None
    resumable: bool
    show_source: bool
    empty: str | None

    @property
    def dry_run(self) -> bool:
        return self.job.dry_run


def plan(job: SendJob, stdin: Stdin) -> SendPlan:
    """Decide the mode and everything that follows from the options alone; `UsageError` for
    options that contradict each other or leave nothing to send. Reads nothing."""
    from inngest_cli.payload import Shaping

    paths = list(job.paths)
    follow = job.follow
    event_flags = job.event_flags()
    if (job.id_field or job.ts_field) and not job.name:
        raise UsageError("--id-field/--ts-field need --name (each record is then an event's data)")
    if job.ignore_stdin and "-" in paths:
        raise UsageError("--ignore-stdin: cannot also read stdin ('-')")
    if follow is not None:
        conflicts = (("--dry-run", job.dry_run), ("--wait", job.wait), ("input files", paths))
        for flag, given in conflicts:
            if given:
                raise UsageError(f"--follow: cannot be combined with {flag}")
    stdin_input = not job.ignore_stdin and follow is None and stdin.has_input
    implicit_stdin = False
    flags_mode = (
        job.name is not None
        and not paths
        and follow is None
        and (bool(event_flags or job.items) or not stdin_input)
    )
    if not flags_mode:
        if job.items or event_flags:
            what = "field items" if job.items else event_flags[0]
            raise UsageError(
                f"{what}: builds one event with --name and cannot be combined with "
                "input files or stdin"
            )
        if not paths and follow is None:
            if not stdin_input:
                raise UsageError(
                    "nothing to send: give --name NAME (with --data or field items), a FILE, "
                    "or pipe events on stdin",
                    hint="e.g. inngest-cli send --name app/hello data.msg=hi",
                )
            paths = ["-"]
            implicit_stdin = True
    if paths.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")

    mode: Mode = "flags" if flags_mode else "follow" if follow is not None else "files"
    rereadable = stdin.regular or "-" not in paths
    sources: tuple[str, ...]
    if mode == "follow":
        sources = (str(follow),)
    elif mode == "flags":
        sources = ("flags",)
    else:
        sources = tuple(paths)
    return SendPlan(
        job=job,
        mode=mode,
        paths=tuple(paths) if mode == "files" else (),
        shaping=Shaping(
            name=None if flags_mode else job.name,
            id_field=job.id_field,
            ts_field=job.ts_field,
            keep_ts=job.keep_ts,
            max_event_bytes=job.max_event_bytes,
        ),
        checkpoint=None if job.dry_run else job.checkpoint,
        checkpoint_sources=sources,
        # Files never block: batches by size alone, the same in a resumed run.
        linger=None if follow is None and rereadable else job.linger,
        resumable=follow is not None or rereadable,
        show_source=len(paths) > 1,
        empty=None
        if job.name is None or flags_mode
        else "stdin had no events"
        if implicit_stdin
        else "the input had no events",
    )
