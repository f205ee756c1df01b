"""`inngest-cli events list|get|runs|tail`: flags in, REST API reads out; the work is in
`inngest_cli.restclient`, `waiting` and `tail`, the rendering in `render`."""

from collections.abc import Iterable
from typing import Annotated, Any

import typer

from inngest_cli.cli.apioptions import (
    ApiUrl,
    Connection,
    Dev,
    Env,
    Output,
    SigningKey,
    Verbose,
    check_id,
    output_format,
)
from inngest_cli.errors import ExitCode, UsageError

TABLE_LIMIT = 50
_FILTER = "Filter"

app = typer.Typer(
    name="events",
    help="List, inspect and follow events, and the function runs they triggered.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LIST_HELP = """List events, newest first, received in a time window (default: the last hour).

-o json and -o ndjson give whole event objects as the API returns them; `send` replays them."""
LIST_EPILOG = """\b
Examples:
  inngest-cli events list --dev --name app/user.signup --since 2h
  inngest-cli events list --since 2026-11-23T10:00:00Z --until 2026-11-23T11:00:00Z -o ndjson
  inngest-cli events list --since 1h -o ndjson | inngest-cli send --env other-branch
"""


@app.command("list", help=LIST_HELP, epilog=LIST_EPILOG)
def list_events(
    name: Annotated[
        str | None,
        typer.Option(
            "--name", "-n", help="Only events of this exact name.", rich_help_panel=_FILTER
        ),
    ] = None,
    since: Annotated[
        str,
        typer.Option(
            "--since",
            help="Received at or after: ISO-8601, epoch ms, or relative (15m, 2h, 7d ago).",
            rich_help_panel=_FILTER,
        ),
    ] = "1h",
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Received at or before (same forms) [default: now].",
            rich_help_panel=_FILTER,
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            "-l",
            min=0,
            help=f"Most events to list, 0 for all [default: {TABLE_LIMIT} in a table, "
            "all for json, ndjson and ids].",
            rich_help_panel=_FILTER,
            show_default=False,
        ),
    ] = None,
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.eventquery import EventQuery
    from inngest_cli.timeparse import now_ms

    fmt = output_format(output)
    if limit is None:
        limit = TABLE_LIMIT if fmt == "table" else 0
    query = EventQuery.from_flags(name=name, since=since, until=until, limit=limit, now=now_ms())
    with Connection(api_url, signing_key, env, dev, verbose).open() as api:
        _show_events(query.events(api), fmt, limit)
    return int(ExitCode.OK)


def _show_events(events: Iterable[dict[str, Any]], fmt: str, limit: int) -> None:
    """A table (with a note when the window is empty or the list was cut at ``limit``), one
    JSON array written as it comes, or one event or ID per line; until stdout is closed."""
    from inngest_cli.cli import render
    from inngest_cli.cli.console import info as note
    from inngest_cli.cli.context import current

    if fmt == "table":
        rows = list(events)
        if rows:
            render.events_table(rows)
        else:
            note("no events in the window (--since/--until widen it)")
        if limit and len(rows) == limit:
            note(f"showing the newest {limit} events; --limit 0 shows all")
    elif fmt == "json":
        writer = render.JsonArrayWriter()
        for event in events:
            writer.add(event)
            if current().stdout.closed:  # `| head`: stop paging
                break
        writer.close()
    else:
        _stream(events, fmt, "internal_id")


def _stream(objects: Iterable[dict[str, Any]], fmt: str, id_field: str) -> None:
    """ndjson or ids, one object per line, until stdout is closed."""
    from inngest_cli.cli import render
    from inngest_cli.cli.context import current

    for obj in objects:
        render.write_item(obj, fmt, id_field)
        if current().stdout.closed:  # `| head`: stop paging
            return


GET_HELP = """Show one event: name, IDs, times and data.

Storage is asynchronous: an event sent a moment ago may not be readable yet; --wait polls for it."""
GET_EPILOG = """\b
Examples:
  inngest-cli events get 01JQDAE4RQF8MBCR55T5AK4KXS
  id=$(inngest-cli send --dev --name app/hello -o ids); inngest-cli events get --dev --wait 10 $id
"""


@app.command("get", help=GET_HELP, epilog=GET_EPILOG)
def get_event(
    event_id: Annotated[str, typer.Argument(metavar="EVENT_ID", help="The event's internal ID.")],
    wait: Annotated[
        float,
        typer.Option(
            "--wait", min=0, metavar="SECONDS", help="Poll up to this long for the event to appear."
        ),
    ] = 0,
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.cli import render
    from inngest_cli.waiting import wait_for_event

    fmt = output_format(output)
    event_id = check_id(event_id, "EVENT_ID")
    with Connection(api_url, signing_key, env, dev, verbose).open() as api:
        event = wait_for_event(api, event_id, wait) if wait else api.get_event(event_id)
    render.one(event, fmt, render.event_detail, "internal_id")
    return int(ExitCode.OK)


RUNS_HELP = """List the function runs an event triggered: status, duration, output."""
RUNS_EPILOG = """\b
Example:
  inngest-cli events runs 01JQDAE4RQF8MBCR55T5AK4KXS
"""


@app.command("runs", help=RUNS_HELP, epilog=RUNS_EPILOG)
def event_runs(
    event_id: Annotated[str, typer.Argument(metavar="EVENT_ID", help="The event's internal ID.")],
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.cli import render

    fmt = output_format(output)
    event_id = check_id(event_id, "EVENT_ID")
    with Connection(api_url, signing_key, env, dev, verbose).open() as api:
        runs = api.event_runs(event_id)
    render.listing(runs, fmt, render.runs_table, "run_id",
                   f"no runs for event {event_id} (yet: runs are recorded asynchronously)")
    return int(ExitCode.OK)


TAIL_HELP = """Print new events as they are stored, until Ctrl-C (which exits with 130).

Each event is printed once, oldest first, even when many arrive between two polls."""
TAIL_EPILOG = """\b
Examples:
  inngest-cli events tail --dev
  inngest-cli events tail --name app/user.signup --interval 5 -o ndjson | jq .data
"""


@app.command("tail", help=TAIL_HELP, epilog=TAIL_EPILOG)
def tail_events(
    name: Annotated[
        str | None,
        typer.Option(
            "--name", "-n", help="Only events of this exact name.", rich_help_panel=_FILTER
        ),
    ] = None,
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.05, metavar="SECONDS", help="Seconds between polls."),
    ] = 1.0,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="table (one line per event), ndjson or ids "
            "[default: table on a terminal, else ndjson].",
            show_default=False,
            rich_help_panel="Output",
        ),
    ] = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    import signal

    if output == "json":
        raise UsageError("--output json: events tail never ends; use -o ndjson")
    fmt = output_format(output, streaming=True, allowed=("table", "ndjson", "ids"))
    # A shell starts `tail ... &` with SIGINT ignored; Ctrl-C (or kill -INT) must still end it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with Connection(api_url, signing_key, env, dev, verbose).open() as api:
            _follow(api, name, fmt, interval)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)  # the way tail ends: no error line
    finally:
        signal.signal(signal.SIGINT, previous)
    return int(ExitCode.OK)  # stdout was closed (`| head`)


def _follow(api: Any, name: str | None, fmt: str, interval: float) -> None:
    """Each new event on a line of its own, until stdout is closed (`| head`)."""
    from inngest_cli.cli import render
    from inngest_cli.cli.context import current
    from inngest_cli.tail import EventFollower

    for event in EventFollower(api, name).follow(interval, lambda: current().stdout.closed):
        if fmt == "table":
            current().stdout.write(render.event_line(event))
        else:
            render.write_item(event, fmt, "internal_id")
