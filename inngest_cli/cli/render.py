"""Rendering events and runs: tables and detail views (rich, on a terminal), JSON, NDJSON, IDs.

Tables are rendered to a string and written through `Stdout` (a closed pipe ends quietly). ID
columns never wrap and never shrink; the preview columns take what is left of the width.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from inngest_cli.apiobjects import (
    field,
    format_duration,
    format_time,
    run_duration_ms,
    status,
    text,
)
from inngest_cli.cli.context import current
from inngest_cli.jsontext import dumps
from inngest_cli.timeparse import now_ms, parse_rfc3339_ms

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

ULID_WIDTH = 26
UUID_WIDTH = 36
TIME_WIDTH = 19  # 2026-11-23 10:00:05
PREVIEW_CHARS = 300
WIDE = 110  # from this width on, the runs table shows the function ID too
STATUS_STYLES = {
    "Completed": "green",
    "Failed": "bold red",
    "Cancelled": "yellow",
    "Overflowed": "red",
    "Running": "cyan",
    "Scheduled": "blue",
    "Skipped": "dim",
}


# -- machine formats ----------------------------------------------------------------------


def compact(value: Any) -> str:
    """Compact JSON with U+2028/U+2029 escaped (as Go writes them): a reader that splits lines
    the Unicode way (Python's str.splitlines, for one) still sees one object per line."""
    text = dumps(value).decode()
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text


def json_line(value: Any) -> str:
    return compact(value) + "\n"


def write_json(value: Any) -> None:
    current().stdout.write(json_line(value))


class JsonArrayWriter:
    """Streams a JSON array, one element at a time (nothing is held in memory)."""

    def __init__(self) -> None:
        self._count = 0

    def add(self, value: Any) -> None:
        current().stdout.write(("[" if not self._count else ",") + compact(value))
        self._count += 1

    def close(self) -> None:
        current().stdout.write("]\n" if self._count else "[]\n")


# -- previews -----------------------------------------------------------------------------


def preview(value: Any) -> str:
    """One line of compact JSON, cut to a few hundred characters (the table cuts it to fit)."""
    if value is None:
        return ""
    body = dumps(value).decode()
    return body if len(body) <= PREVIEW_CHARS else body[:PREVIEW_CHARS] + "…"


def _color() -> bool:
    """Colour only on a terminal, and not with --no-color / NO_COLOR."""
    return current().color


def status_style(run_status: str) -> str | None:
    return STATUS_STYLES.get(run_status) if _color() else None


# -- rich ---------------------------------------------------------------------------------


def _width() -> int:
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _console(width: int | None = None) -> Console:
    from rich.console import Console

    color = _color()
    return Console(
        file=io.StringIO(),
        width=max(_width(), width or 0),
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=False,
    )


def _emit(*renderables: RenderableType, width: int | None = None) -> None:
    """Print through rich; ``width`` is the least the layout needs (a narrower terminal wraps the
    lines rather than cut IDs)."""
    console = _console(width)
    for renderable in renderables:
        console.print(renderable)
    out = console.file
    assert isinstance(out, io.StringIO)
    current().stdout.write("".join(line.rstrip(" ") + "\n" for line in out.getvalue().splitlines()))


def _table(columns: list[tuple[str, int, bool]]) -> Any:
    """A borderless table of fixed-width columns: (title, width, wraps). Rich's own width
    negotiation would shrink ID columns (or drop a column) before wrapping a long name."""
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False, show_edge=False)
    for title, width, wraps in columns:
        table.add_column(
            title,
            width=width,
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
        )
    return table


def _rest(used: int, columns: int) -> int:
    """What is left of the width once ``used`` characters and the column gaps are taken."""
    return _width() - used - 2 * (columns - 1)


def events_table(events: Iterable[Mapping[str, Any]]) -> None:
    """EVENT ID, NAME, RECEIVED (UTC; the time alone when every event is from today), DATA."""
    listed = [(event, parse_rfc3339_ms(field(event, "received_at"))) for event in events]
    today = format_time(now_ms())[:10]
    short = all(format_time(ms)[:10] == today for _, ms in listed)
    time_width = 8 if short else TIME_WIDTH
    rows = [
        (
            text(event, "internal_id"),
            text(event, "name"),
            format_time(ms)[-time_width:] if ms is not None else "",
            preview(field(event, "data")),
        )
        for event, ms in listed
    ]
    rest = _rest(ULID_WIDTH + time_width, 4)
    longest = max([len("NAME"), *(len(row[1]) for row in rows)])
    name_width = longest if longest <= rest - 10 else max(12, rest - 10)
    data_width = max(4, rest - name_width)
    table = _table(
        [
            ("EVENT ID", ULID_WIDTH, False),
            ("NAME", name_width, True),
            ("RECEIVED", time_width, False),
            ("DATA", data_width, False),
        ]
    )
    for row in rows:
        table.add_row(*row)
    _emit(table, width=ULID_WIDTH + time_width + name_width + data_width + 6)


def runs_table(runs: Iterable[Mapping[str, Any]]) -> None:
    from rich.text import Text

    wide = _width() >= WIDE
    columns = [("RUN ID", ULID_WIDTH, False), ("STATUS", 10, False), ("DURATION", 8, False)]
    if wide:
        columns.append(("FUNCTION", UUID_WIDTH, False))
    used = sum(width for _, width, _ in columns)
    columns.append(("OUTPUT", max(6, _rest(used, len(columns) + 1)), False))
    table = _table(columns)
    now = now_ms()
    for run in runs:
        run_status = status(run)
        cells: list[Any] = [
            text(run, "run_id"),
            Text(run_status, style=status_style(run_status) or ""),
            format_duration(run_duration_ms(run, now)),
        ]
        if wide:
            cells.append(text(run, "function_id"))
        cells.append(preview(field(run, "output")))
        table.add_row(*cells)
    _emit(table, width=sum(width for _, width, _ in columns) + 2 * (len(columns) - 1))


def _pretty(value: Any) -> RenderableType:
    from rich.json import JSON
    from rich.text import Text

    if _color():
        return JSON(dumps(value).decode())
    import json

    return Text(json.dumps(value, indent=2, ensure_ascii=False))


def _detail(rows: list[tuple[str, Any]], body_title: str, body: Any, has_body: bool) -> None:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for title, value in rows:
        if value not in (None, ""):
            grid.add_row(title, value)
    if has_body:
        from rich.text import Text

        _emit(grid, Text(body_title, style="bold"), _pretty(body))
    else:
        _emit(grid)


def event_detail(event: Mapping[str, Any]) -> None:
    internal_id = text(event, "internal_id")
    own_id = text(event, "id")
    ts = field(event, "ts")
    ts_text = ""
    if isinstance(ts, int) and not isinstance(ts, bool) and ts > 0:
        ts_text = f"{format_time(ts)} UTC ({ts})"
    user = field(event, "user")
    rows: list[tuple[str, Any]] = [
        ("EVENT ID", internal_id),
        ("NAME", text(event, "name")),
        ("ID", own_id if own_id != internal_id else ""),
        ("RECEIVED", _utc(parse_rfc3339_ms(field(event, "received_at")))),
        ("TS", ts_text),
        ("V", text(event, "v")),
        ("USER", preview(user) if user else ""),
    ]
    _detail(rows, "DATA", field(event, "data"), True)


def run_detail(run: Mapping[str, Any]) -> None:
    from rich.text import Text

    run_status = status(run)
    function = text(run, "function_id")
    version = field(run, "function_version")
    if function and isinstance(version, int):
        function += f" (version {version})"
    rows: list[tuple[str, Any]] = [
        ("RUN ID", text(run, "run_id")),
        ("STATUS", Text(run_status, style=status_style(run_status) or "")),
        ("FUNCTION", function),
        ("EVENT ID", text(run, "event_id")),
        ("BATCH ID", text(run, "batch_id")),
        ("CRON", text(run, "cron")),
        ("ORIGINAL RUN", text(run, "original_run_id")),
        ("STARTED", _utc(parse_rfc3339_ms(field(run, "run_started_at")))),
        ("ENDED", _utc(parse_rfc3339_ms(field(run, "ended_at")))),
        ("DURATION", format_duration(run_duration_ms(run, now_ms()))),
    ]
    output = field(run, "output")
    _detail(rows, "OUTPUT", output, output is not None)


def one(
    obj: Mapping[str, Any], fmt: str, detail: Callable[[Mapping[str, Any]], None], id_field: str
) -> None:
    """One event or run: its detail view (table), its ID (ids), or the object (json/ndjson)."""
    if fmt == "table":
        detail(obj)
    else:
        write_item(obj, fmt, id_field)


def listing(
    items: list[Any],
    fmt: str,
    table: Callable[[list[Any]], None],
    id_of: str | Callable[[Mapping[str, Any]], str],
    empty: str | None = None,
) -> None:
    """A list of objects: a table (``empty`` on stderr when there are none), one JSON document,
    or one object or ID per line (``id_of``: a field, or a function of the object) until stdout
    is closed (`| head`)."""
    if fmt == "table":
        if items:
            table(items)
        elif empty is not None:
            from inngest_cli.cli.console import info

            info(empty)
        return
    if fmt == "json":
        write_json(items)
        return
    for item in items:
        if fmt == "ids":
            current().stdout.write((id_of(item) if callable(id_of) else text(item, id_of)) + "\n")
        else:
            write_json(item)
        if current().stdout.closed:
            return


def write_item(obj: Mapping[str, Any], fmt: str, id_field: str) -> None:
    """One event or run on a line of its own: its ID (ids), else the object as compact JSON."""
    if fmt == "ids":
        current().stdout.write(text(obj, id_field) + "\n")
    else:
        write_json(obj)


def _utc(ms: int | None) -> str:
    return f"{format_time(ms)} UTC" if ms is not None else ""


def event_line(event: Mapping[str, Any]) -> str:
    """One line per event for `events tail` on a terminal (time of day in UTC, ID, name, data),
    cut to the terminal's width."""
    width = _width()
    line = (
        f"{format_time(parse_rfc3339_ms(field(event, 'received_at')))[11:]}  "
        f"{text(event, 'internal_id')}  {text(event, 'name')}  {preview(field(event, 'data'))}"
    )
    return (line if len(line) <= width else line[: max(width - 1, 0)] + "…") + "\n"
