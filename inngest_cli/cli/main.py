"""The `inngest-cli` entry point: the command tree, global options, and the one place that turns
errors into `error:` lines and exit codes."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from inngest_cli import __version__
from inngest_cli.cli import send as send_cmd
from inngest_cli.cli import serve as serve_cmd
from inngest_cli.cli.console import print_error, settings
from inngest_cli.errors import ExitCode, InngestCLIError

app = typer.Typer(
    name="inngest-cli",
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
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback for errors (keys stay masked).")
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour (NO_COLOR works too).")
    ] = False,
) -> None:
    """Send events to Inngest and inspect them, from a shell or CI."""
    settings.debug = debug
    settings.no_color = settings.no_color or no_color


app.command("send", help=send_cmd.HELP, epilog=send_cmd.EPILOG)(send_cmd.send)
app.command("serve", help=serve_cmd.HELP, epilog=serve_cmd.EPILOG)(serve_cmd.serve)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; every expected error becomes one `error:` line."""
    try:
        result = app(args=argv, prog_name="inngest-cli", standalone_mode=False)
    except InngestCLIError as error:
        if settings.debug:
            import traceback

            from inngest_cli.redact import redact

            print(redact(traceback.format_exc()), file=sys.stderr, end="")
        print_error(error.message, error.hint)
        return int(error.exit_code)
    except NoArgsIsHelpError as error:
        error.show()
        return int(ExitCode.OK)
    except ClickException as error:
        hint = None
        ctx = getattr(error, "ctx", None)
        if ctx is not None:
            hint = f"see '{ctx.command_path} --help'"
        print_error(error.format_message(), hint)
        return int(error.exit_code)
    except typer.Abort:
        print_error("aborted")
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        print_error("interrupted")
        return int(ExitCode.INTERRUPTED)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def main() -> None:
    code = run()
    if code == ExitCode.INTERRUPTED:
        # Requests abandoned after an interrupt may still be blocking worker threads, which the
        # interpreter would join at exit; everything settled has been reported and saved.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)
