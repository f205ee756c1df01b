"""What the run-operation commands (`runs cancel`, `runs jobs`, `functions list`, `cancellations
...`) share: confirmation of destructive requests, `--dry-run` output, time flags, and their
tables (80 columns at least, IDs never cut)."""

import sys
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import typer

from inngest_cli.errors import InngestCLIError, UsageError

SAFETY = "Safety"

Yes = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Do it without asking (needed when stdin is not a terminal).",
        rich_help_panel=SAFETY,
    ),
]
DryRun = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print the request(s) that would be sent, and send nothing.",
        rich_help_panel=SAFETY,
    ),
]


class NotConfirmed(InngestCLIError):
    """The user answered no at the prompt: nothing was sent."""


def confirm(question: str, *, yes: bool, command: str) -> None:
    """Ask ``question`` on a terminal (stdin and stderr); without one, refuse unless --yes."""
    if yes:
        return
    if not _stdin_is_terminal():
        raise UsageError(
            f"{command} needs confirmation and stdin is not a terminal: nothing was sent",
            hint="pass --yes to do it, or --dry-run to see the request",
        )
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if answer.strip().lower() not in ("y", "yes"):
        if not answer:
            sys.stderr.write("\n")
        raise NotConfirmed("not confirmed: nothing was sent")


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:
        return False


def dry_run(requests: Iterable[tuple[str, str, Any]], fmt: str) -> None:
    """The requests, one per line: `METHOD URL` (+ the JSON body) on a terminal's table output,
    else one JSON object per request (`{"method", "url", "body"}`)."""
    from inngest_cli.cli.context import current
    from inngest_cli.cli.render import json_line
    redact = current().secrets.redact
    for method, url, body in requests:
        if fmt == "table":
            line = f"{method} {redact(url)}"
            current().stdout.write(line + "\n" + (json_line(body) if body is not None else ""))
        else:
            request: dict[str, Any] = {"method": method, "url": redact(url)}
            if body is not None:
                request["body"] = body
            current().stdout.write(json_line(request))


def parse_time_flag(value: str, flag: str, now: int) -> int:
    """A time as `events list --since` takes it (ISO-8601, epoch ms, `2h` ago), or `now`."""
    from inngest_cli.timeparse import TimeValueError, parse_time_ms

    if value.strip().lower() == "now":
        return now
    try:
        return parse_time_ms(value, past_by_default=True, now=now)
    except TimeValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def check_cancellation_id(value: str) -> str:
    from inngest_cli.ids import is_ulid

    if not is_ulid(value.strip()):
        raise UsageError(
            f"CANCELLATION_ID: Invalid cancellation ID: {value!r} (a 26-character ULID)",
            hint="`inngest-cli cancellations list` shows them",
        )
    return value.strip().upper()


def job_id(job: Mapping[str, Any]) -> str:
    """A queued job's ID: Inngest's key is the Go field name `JobID` (no JSON tag)."""
    for key in ("JobID", "job_id", "jobID", "id"):
        value = job.get(key)
        if isinstance(value, str):
            return value
    return ""


# -- tables -------------------------------------------------------------------------------


def cancel_table(results: list[dict[str, Any]]) -> None:
    from inngest_cli.cli.render import ULID_WIDTH, _emit, _table

    table = _table([("RUN ID", ULID_WIDTH, False), ("RESULT", 24, False)])
    for result in results:
        table.add_row(result["run_id"], describe_result(result))
    _emit(table, width=ULID_WIDTH + 26)


def describe_result(result: Mapping[str, Any]) -> str:
    if result["result"] == "cancelled":
        return "cancelled"
    if result["result"] == "already_finished":
        return f"already {result['status']}"
    return "not found"


def jobs_table(jobs: list[dict[str, Any]]) -> None:
    from inngest_cli.apiobjects import format_time
    from inngest_cli.cli.render import _emit, _rest, _table
    from inngest_cli.timeparse import parse_rfc3339_ms

    widths = [("KIND", 14, True), ("AT (UTC)", 19, False), ("ATTEMPT", 7, False),
              ("POSITION", 8, False)]
    rest = max(13, _rest(sum(w for _, w, _ in widths), len(widths) + 1))
    table = _table([*widths, ("JOB ID", rest, True)])
    for job in jobs:
        table.add_row(
            _cell(job.get("kind")),
            format_time(parse_rfc3339_ms(job.get("at"))),
            _cell(job.get("attempt")),
            _cell(job.get("position")),
            job_id(job),
        )
    _emit(table, width=sum(w for _, w, _ in widths) + rest + 8)


def functions_table(functions: list[dict[str, Any]]) -> None:
    from inngest_cli.apiobjects import format_time, text
    from inngest_cli.cli.render import UUID_WIDTH, _emit, _rest, _table, _width
    from inngest_cli.timeparse import parse_rfc3339_ms

    created_width = 19 if _width() >= 100 else 10
    rest = max(24, _rest(UUID_WIDTH + created_width, 4))
    longest = max([2, *(len(text(f, "id")) for f in functions)])
    id_width = min(longest, max(12, rest - 12))
    name_width = max(10, rest - id_width)
    table = _table([("ID", id_width, True), ("NAME", name_width, True),
                    ("INTERNAL ID", UUID_WIDTH, False), ("CREATED", created_width, False)])
    for function in functions:
        created = format_time(parse_rfc3339_ms(function.get("created_at")))[:created_width]
        table.add_row(text(function, "id"), text(function, "name"),
                      text(function, "internal_id"), created)
    _emit(table, width=id_width + name_width + UUID_WIDTH + created_width + 6)


def cancellations_table(cancellations: list[dict[str, Any]]) -> None:
    from inngest_cli.apiobjects import text
    from inngest_cli.cli.render import ULID_WIDTH, _emit, _rest, _table

    time_width = 16
    rest = max(12, _rest(ULID_WIDTH + 2 * time_width, 4))
    with_if = any(c.get("if") for c in cancellations) and rest >= 30
    function_width = rest if not with_if else max(12, rest // 2)
    columns = [("ID", ULID_WIDTH, False), ("FUNCTION", function_width, True),
               ("STARTED AFTER", time_width, False), ("STARTED BEFORE", time_width, False)]
    if_width = 0
    if with_if:
        if_width = rest - function_width - 2
        columns.append(("IF", if_width, True))
    table = _table(columns)
    for cancellation in cancellations:
        cells = [text(cancellation, "id"), text(cancellation, "function_id"),
                 _minute(cancellation.get("started_after")) or "-",
                 _minute(cancellation.get("started_before"))]
        if with_if:
            cells.append(text(cancellation, "if"))
        table.add_row(*cells)
    _emit(table, width=ULID_WIDTH + function_width + 2 * time_width + if_width + 6)


def cancellation_detail(cancellation: Mapping[str, Any]) -> None:
    from inngest_cli.apiobjects import format_time, text
    from inngest_cli.cli.render import _emit
    from inngest_cli.timeparse import parse_rfc3339_ms

    rows = [
        ("ID", text(cancellation, "id")),
        ("FUNCTION", text(cancellation, "function_id")),
        ("STARTED AFTER", format_time(parse_rfc3339_ms(cancellation.get("started_after"))) or "-"),
        ("STARTED BEFORE", format_time(parse_rfc3339_ms(cancellation.get("started_before")))),
    ]
    if cancellation.get("if"):
        rows.append(("IF", text(cancellation, "if")))
    from rich.table import Table

    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    _emit(table)


def _minute(value: Any) -> str:
    from inngest_cli.apiobjects import format_time
    from inngest_cli.timeparse import parse_rfc3339_ms

    return format_time(parse_rfc3339_ms(value))[:16]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
