"""`inngest-cli cancellations create|list|delete`: bulk cancellation of a function's runs.

Creating one cancels runs in bulk, so it asks first (on a terminal) or needs --yes; --dry-run
prints the request instead. Dev and self-hosted Inngest servers do not offer the routes (they
answer an empty 500): that is said once, and not retried."""

from typing import Annotated

import typer

from inngest_cli.cli.apioptions import (
    ApiUrl,
    Connection,
    Dev,
    Env,
    Output,
    SigningKey,
    Verbose,
    output_format,
)
from inngest_cli.cli.runops import DryRun, Yes
from inngest_cli.errors import ExitCode, UsageError

_WHICH = "Runs"

app = typer.Typer(
    name="cancellations",
    help="Cancel a function's runs in bulk; list and delete bulk cancellations.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

CREATE_HELP = """Cancel the runs of one function started in a time window (both ends included),
optionally only those whose triggering event makes the --if expression true.

Runs that have already finished are not affected. Asks for confirmation on a terminal; needs
--yes otherwise."""
CREATE_EPILOG = """\b
Examples:
  inngest-cli cancellations create --app my-app --function my-app-sync --started-after 2h
  inngest-cli cancellations create --app my-app --function my-app-sync \\
      --started-after 2026-11-23T10:00:00Z --started-before 2026-11-23T11:00:00Z \\
      --if 'event.data.user_id == "u_123"' --yes
"""


@app.command("create", help=CREATE_HELP, epilog=CREATE_EPILOG)
def create(
    app_id: Annotated[
        str,
        typer.Option(
            "--app", metavar="APP", help="The app's ID (the SDK's app ID).", rich_help_panel=_WHICH
        ),
    ],
    function_id: Annotated[
        str,
        typer.Option(
            "--function",
            metavar="FN",
            help="The function's ID (`functions list --app APP` shows them).",
            rich_help_panel=_WHICH,
        ),
    ],
    started_after: Annotated[
        str,
        typer.Option(
            "--started-after",
            metavar="TIME",
            help="Runs started at or after: ISO-8601, epoch ms, relative (2h = 2 hours ago), now.",
            rich_help_panel=_WHICH,
        ),
    ],
    started_before: Annotated[
        str,
        typer.Option(
            "--started-before",
            metavar="TIME",
            help="Runs started at or before (same forms; at most a few seconds ahead).",
            rich_help_panel=_WHICH,
        ),
    ] = "now",
    if_expression: Annotated[
        str | None,
        typer.Option(
            "--if",
            metavar="EXPR",
            help="Only runs whose triggering event makes this CEL expression true "
            "(e.g. 'event.data.plan == \"free\"').",
            rich_help_panel=_WHICH,
            show_default=False,
        ),
    ] = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.apiobjects import CancellationRequest, format_time
    from inngest_cli.cli import render, runops
    from inngest_cli.cli.console import print_error, stderr_line
    from inngest_cli.cli.context import current
    from inngest_cli.errors import one_line
    from inngest_cli.restclient import ExpressionError
    from inngest_cli.timeparse import now_ms

    fmt = output_format(output)
    now = now_ms()
    request = CancellationRequest(
        app_id=app_id.strip(),
        function_id=function_id.strip(),
        started_after=runops.parse_time_flag(started_after, "--started-after", now),
        started_before=runops.parse_time_flag(started_before, "--started-before", now),
        if_expression=if_expression,
    )
    problems = request.problems(now)
    if problems:
        raise UsageError("; ".join(problems))
    conn = Connection(api_url, signing_key, env, dev, verbose)
    origin = conn.config().origin
    if dry_run:
        runops.dry_run([("POST", f"{origin}/v1/cancellations", request.body())], fmt)
        return int(ExitCode.OK)
    window = (
        f"started between {format_time(request.started_after)} and "
        f"{format_time(request.started_before)} UTC"
    )
    condition = f" whose event matches {if_expression!r}" if if_expression is not None else ""
    runops.confirm(
        f"Cancel the runs of function {request.function_id} (app {request.app_id}) {window}"
        f"{condition}, on {origin}?",
        yes=yes,
        command="cancellations create",
    )
    with conn.open() as api:
        try:
            cancellation = api.create_cancellation(request)
        except ExpressionError as error:  # the compiler's report, line by line, as it gave it
            print_error(error.message)
            for line in error.lines[1:]:
                stderr_line(one_line(current().secrets.redact(line)))
            return int(ExitCode.FAILED)
    render.one(cancellation, fmt, runops.cancellation_detail, "id")
    return int(ExitCode.OK)


LIST_HELP = """List every bulk cancellation of the environment (the API has no pages)."""
LIST_EPILOG = """\b
Example:
  inngest-cli cancellations list -o json
"""


@app.command("list", help=LIST_HELP, epilog=LIST_EPILOG)
def list_cancellations(
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.cli import render, runops

    fmt = output_format(output)
    with Connection(api_url, signing_key, env, dev, verbose).open() as api:
        cancellations = api.list_cancellations()
    render.listing(cancellations, fmt, runops.cancellations_table, "id", "no bulk cancellations")
    return int(ExitCode.OK)


DELETE_HELP = """Delete a bulk cancellation: runs that start from now on are no longer matched.
Runs it has already cancelled stay cancelled. Asks for confirmation on a terminal; needs --yes
otherwise."""
DELETE_EPILOG = """\b
Example:
  inngest-cli cancellations delete 01JQDAE4RQF8MBCR55T5AK4KXS --yes
"""


@app.command("delete", help=DELETE_HELP, epilog=DELETE_EPILOG)
def delete(
    cancellation_id: Annotated[
        str, typer.Argument(metavar="CANCELLATION_ID", help="The cancellation's ID.")
    ],
    yes: Yes = False,
    dry_run: DryRun = False,
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.cli import render, runops
    from inngest_cli.cli.console import info
    from inngest_cli.cli.context import current

    fmt = output_format(output)
    cancellation_id = runops.check_cancellation_id(cancellation_id)
    conn = Connection(api_url, signing_key, env, dev, verbose)
    origin = conn.config().origin
    if dry_run:
        runops.dry_run([("DELETE", f"{origin}/v1/cancellations/{cancellation_id}", None)], fmt)
        return int(ExitCode.OK)
    runops.confirm(
        f"Delete bulk cancellation {cancellation_id} on {origin}?",
        yes=yes,
        command="cancellations delete",
    )
    with conn.open() as api:
        api.delete_cancellation(cancellation_id)
    if fmt == "table":
        info(f"deleted cancellation {cancellation_id}")
    elif fmt == "ids":
        current().stdout.write(cancellation_id + "\n")
    else:
        render.write_json({"id": cancellation_id, "deleted": True})
    return int(ExitCode.OK)
