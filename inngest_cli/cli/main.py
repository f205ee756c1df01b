"""The `inngest-cli` entry point: the command tree, global options, and the one place that turns
errors into `error:` lines and exit codes. Each run has its own `RunContext` (cli/context.py)."""

# No `from __future__ import annotations`: typer reads the global options' annotations on
# every run, and would evaluate strings one by one (see cli/send.py).
import atexit
import os
import sys
from typing import Annotated

import typer

from inngest_cli import __version__
from inngest_cli.cli.compat import ClickException, NoArgsIsHelpError
from inngest_cli.cli.console import print_error
from inngest_cli.cli.context import RunContext, current
from inngest_cli.cli.lazy import Lazy, lazy_group
from inngest_cli.errors import ExitCode, InngestCLIError

# The commands, in the order `--help` lists them. Each module is imported, and its command built,
# only when that command runs (cli/lazy.py): `inngest-cli send` pays for `send` alone. A module's
# attribute is a Typer app (a group) or a command function (with the module's HELP and EPILOG);
# the text is the command's line in `inngest-cli --help` (tests/test_help.py checks it).
COMMANDS = {
    "send": Lazy("inngest_cli.cli.send", "send", "Send events to Inngest."),
    "serve": Lazy(
        "inngest_cli.cli.serve",
        "serve",
        "Run a local Inngest-compatible Event API and read API backed by SQLite.",
    ),
    "events": Lazy(
        "inngest_cli.cli.events",
        "app",
        "List, inspect and follow events, and the function runs they triggered.",
    ),
    "runs": Lazy("inngest_cli.cli.runs", "app", "Inspect and cancel function runs."),
    "functions": Lazy("inngest_cli.cli.functions", "app", "List an app's functions."),
    "cancellations": Lazy(
        "inngest_cli.cli.cancellations",
        "app",
        "Cancel a function's runs in bulk; list and delete bulk cancellations.",
    ),
    "config": Lazy(
        "inngest_cli.cli.config_cmd",
        "app",
        "Show the resolved settings (keys masked) and the config file's path.",
    ),
    "completions": Lazy(
        "inngest_cli.cli.completions",
        "completions",
        "Print a shell completion script for bash, zsh or fish.",
    ),
}

app = typer.Typer(
    name="inngest-cli",
    cls=lazy_group(COMMANDS, on_global=lambda name, value: current().set_global(name, value)),
    help="Send events to Inngest and inspect them, from a shell or CI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"inngest-cli {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback for errors (keys stay masked).")
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour (NO_COLOR works too).")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Only data and errors: no summary, progress or notes."),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", help="Trace each request and response on stderr (keys masked)."),
    ] = False,
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Do not verify TLS certificates (a warning says so on every run).",
        ),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME",
            help="Use this profile of the config file [env: INNGEST_PROFILE].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Send events to Inngest and inspect them, from a shell or CI."""
    # `run` made the context; typer's CliRunner (tests) calls the app without one
    context = ctx.ensure_object(RunContext)
    for name, value in (("debug", debug), ("no_color", no_color), ("quiet", quiet),
                        ("verbose", verbose), ("insecure", insecure), ("profile", profile)):
        context.set_global(name, value)


def _print_traceback(context: RunContext) -> None:
    """With --debug: the current exception's traceback on stderr, keys masked."""
    if context.debug:
        import traceback

        print(context.secrets.redact(traceback.format_exc()), file=sys.stderr, end="")


def run(argv: list[str] | None = None, context: RunContext | None = None) -> int:
    """Run the CLI and return its exit code; every expected error becomes one `error:` line.
    ``context`` is the run's (a new one unless given: a caller may choose its environment)."""
    context = RunContext() if context is None else context

    def redact(text: str) -> str:
        return context.secrets.redact(text)

    try:
        result = app(args=argv, prog_name="inngest-cli", standalone_mode=False, obj=context)
    except InngestCLIError as error:
        _print_traceback(context)
        # masked where outside text entered the message; again here, the last stop before stderr
        print_error(redact(error.message), redact(error.hint) if error.hint else None)
        return int(error.exit_code)
    except NoArgsIsHelpError as error:
        error.show()
        return int(ExitCode.OK)
    except ClickException as error:
        hint = None
        ctx = getattr(error, "ctx", None)
        if ctx is not None:
            hint = f"see '{ctx.command_path} --help'"
        print_error(redact(error.format_message()), hint)  # it may quote a mistyped key
        return int(error.exit_code)
    except typer.Abort:
        print_error("aborted")
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        print_error("interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # the reader of stdout has gone (`| head`): not an error
        context.stdout.gone()
        return int(ExitCode.OK)
    except Exception as error:  # a bug: one line; the traceback with --debug (keys masked)
        _print_traceback(context)
        print_error(
            redact(f"unexpected {type(error).__name__}: {error}"),
            "this is a bug in inngest-cli; --debug shows where (keys stay masked)",
        )
        return int(ExitCode.FAILED)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def main() -> None:
    """The `inngest-cli` command. It ends with `os._exit`: the interpreter's own shutdown
    (collecting and freeing every module and object) took 35-70 ms, a fifth of a one-event
    `send`, and a CLI started thousands of times in CI should not pay it. Everything that
    matters is done by then: files were closed by the commands, the streams are flushed here,
    threads that still run are joined and exit handlers run. Under a tracer or a profiler
    (coverage, cProfile) the interpreter shuts down as usual, so that they can report."""
    context = RunContext()
    code = run(context=context)
    try:
        sys.stdout.flush()  # here, not in the interpreter's shutdown, where EPIPE is noisy
    except BrokenPipeError:
        context.stdout.gone()
    except (OSError, ValueError):
        pass
    if code != ExitCode.INTERRUPTED:
        if sys.gettrace() is not None or sys.getprofile() is not None:
            sys.exit(code)  # the usual shutdown, which tracers and profilers report from
        _join_threads()
        atexit._run_exitfuncs()
    # After an interrupt, requests abandoned when the grace period ended may still block worker
    # threads: they are not waited for (everything settled has been reported and saved).
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _join_threads() -> None:
    """Wait for the threads the interpreter would wait for at exit (not daemon threads; the
    sender's pool, the only such threads, has been shut down by then)."""
    import threading

    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()
