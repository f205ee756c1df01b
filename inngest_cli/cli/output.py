"""Rendering of `send` results: IDs as a table, JSON, NDJSON or bare IDs; failures and the summary
on stderr; a progress display on a terminal. The only send-side module that knows about rich."""

from __future__ import annotations

import sys
from typing import IO, Any

import orjson

from inngest_cli.cli.console import info as note
from inngest_cli.cli.context import current
from inngest_cli.formats import OutputFormat
from inngest_cli.payload import Event, Failure
from inngest_cli.sender import Stats
from inngest_cli.units import WIDTH, fit, labelled

TABLE_MAX_ROWS = 100


def default_format() -> OutputFormat:
    return "table" if current().stdout.isatty() else "json"


class SendOutput:
    """Writes accepted events to stdout as they are confirmed (in input order)."""

    def __init__(self, fmt: OutputFormat, *, show_source: bool) -> None:
        self.fmt = fmt
        self.show_source = show_source
        self.rows: list[tuple[str, str, str]] = []
        self.table_overflow = False
        self._buffer: list[str] = []
        self._count = 0
        if fmt == "json":
            self._buffer.append('{"ids":[')

    def accepted(self, event: Event, event_id: str) -> None:
        fmt = self.fmt
        if fmt == "ids":
            self._buffer.append(event_id + "\n")
        elif fmt == "ndjson":
            # line 0 is an event built from flags: it has no input line
            record: dict[str, Any] = {"line": event.line or None}
            if event.element is not None:
                record["element"] = event.element
            record["id"] = event_id
            if self.show_source:
                record["source"] = event.source
            self._buffer.append(orjson.dumps(record).decode() + "\n")
        elif fmt == "json":
            self._buffer.append(("," if self._count else "") + '"' + event_id + '"')
        elif not self.table_overflow:
            if len(self.rows) >= TABLE_MAX_ROWS:
                self.table_overflow = True
                self.rows.clear()
            else:
                self.rows.append((event.name, event.id or "", event_id))
        self._count += 1

    def accepted_batch(self, events: list[Event], ids: list[str]) -> None:
        """`accepted` for a whole batch (``ids[i]`` is that of ``events[i]``): one buffer write
        for bare IDs and JSON, where the per-event calls were most of the cost of a bulk send."""
        fmt = self.fmt
        if fmt == "ids" and ids:
            self._buffer.append("\n".join(ids) + "\n")
        elif fmt == "json" and ids:
            self._buffer.append(("," if self._count else "") + '"' + '","'.join(ids) + '"')
        else:
            for event, event_id in zip(events, ids, strict=True):
                self.accepted(event, event_id)
            return
        self._count += len(ids)

    def flush(self) -> None:
        if self._buffer:
            current().stdout.write("".join(self._buffer))
            self._buffer.clear()

    def finish(self, stats: Stats) -> None:
        if self.fmt == "json":
            extra = "".join(f',"{key}":{value}' for key, value in
                            (("unconfirmed", stats.unconfirmed), ("not_sent", stats.not_sent))
                            if value)
            self._buffer.append(f'],"sent":{stats.sent},"failed":{stats.failed}{extra}}}\n')
        self.flush()
        if self.fmt == "table":
            if self.table_overflow:
                note(
                    f"{stats.sent:,} events sent: too many for a table; "
                    "-o ndjson or -o ids lists them"
                )
            elif self.rows:
                render_table(self.rows)


def render_table(rows: list[tuple[str, str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    with_ids = any(row[1] for row in rows)
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("EVENT", overflow="fold")
    if with_ids:
        table.add_column("ID", overflow="fold")
    table.add_column("EVENT ID", no_wrap=True, style=None if current().no_color else "cyan")
    for name, event_id, returned in rows:
        table.add_row(*((name, event_id, returned) if with_ids else (name, returned)))
    Console(file=sys.stdout, no_color=current().no_color, highlight=False).print(table)


RUN_LEVEL = ("gave up after ", "not sent: ")  # the reasons of failures a halted run reports


class FailureReport:
    """One stderr line per failure (hints once each), and the raw input to --failed-out.

    Failures caused by the run, not by their event (the server is unreachable, the key rejected,
    the URL wrong), are counted, not printed: the run's one error line says why and how many.
    After an interrupt, what was read and never sent is one line, and goes to --failed-out
    unless ``keep_unsent`` is False (a checkpoint's rerun sends it instead); requests in flight
    then are unconfirmed (`send_run`'s warning), never written there.
    """

    def __init__(self, failed_out: IO[bytes] | None, *, keep_unsent: bool = True) -> None:
        self.failed_out = failed_out
        self.keep_unsent = keep_unsent
        self._hints: set[str] = set()
        self.unwritable = 0
        self.run_level = 0  # events failed by the run's error
        self.not_sent = 0  # after an interrupt: read, never sent

    def __call__(self, failure: Failure, *, run_level: bool = False) -> None:
        if run_level and failure.reason.startswith(RUN_LEVEL):
            self.run_level += 1
        else:  # said before --failed-out is written: a full disk there must not hide it
            text = f"error: {failure.location()}: {failure.reason}\n"
            if failure.hint and failure.hint not in self._hints:
                self._hints.add(failure.hint)
                text += labelled("hint:", failure.hint) + "\n"
            sys.stderr.write(text)
        self._keep(failure.raw)

    def _keep(self, raw: bytes) -> None:
        if self.failed_out is not None:
            if raw:
                self.failed_out.write(raw + b"\n")
            else:
                self.unwritable += 1

    def unsettled(self, items: list[Event | Failure]) -> None:
        """Items an interrupted run read and never sent, in input order: invalid ones are
        reported as usual; events get one line for the lot (and --failed-out, unless a
        checkpoint's rerun sends them)."""
        events = [item for item in items if isinstance(item, Event)]
        for item in items:
            if isinstance(item, Failure):
                self(item)
        if not events:
            return
        if self.keep_unsent:
            for event in events:
                self._keep(event.raw)
        first, last = events[0], events[-1]
        where = f"{first.source}:{first.line}"
        if last is not first:
            where += (
                f"-{last.line}" if last.source == first.source else f" to {last.source}:{last.line}"
            )
        count = len(events)
        self.not_sent += count
        kept = " (in --failed-out)" if self.keep_unsent and self.failed_out is not None else ""
        sys.stderr.write(
            f"error: {where}: {count} {'event' if count == 1 else 'events'} read and not "
            f"sent{kept}\n"
        )


def summary(stats: Stats, *, dry_run: bool = False) -> str:
    """The run's last stderr line: counts with thousands separators. Longer than 80 columns, it
    is broken after its first clause's commas and before each `;` clause (never inside a word),
    continuation lines indented."""
    clauses = _summary(stats, dry_run=dry_run)
    text = "; ".join(clauses)
    if len(text) <= WIDTH:
        return text
    lines = []
    for index, clause in enumerate(clauses):
        end = ";" if index < len(clauses) - 1 else ""
        lines.append(fit(("  " if index else "") + clause + end))
    return "\n".join(lines)


def _summary(stats: Stats, *, dry_run: bool) -> list[str]:
    def plural(n: int, word: str, words: str | None = None) -> str:
        return f"{n:,} {word if n == 1 else (words or word + 's')}"

    if dry_run:
        return [
            f"dry run: {plural(stats.sent, 'event')} valid in {plural(stats.requests, 'request')}, "
            f"{stats.failed:,} invalid",
            "nothing was sent",
        ]
    text = (
        f"sent {plural(stats.sent, 'event')} in {plural(stats.requests, 'request')}"
        f" ({plural(stats.retries, 'retry', 'retries')}), {stats.failed:,} failed, "
        f"{stats.elapsed:.2f} s"
    )
    if stats.sent >= 100 or stats.elapsed >= 1:
        text += f", {stats.rate:,.0f} events/s"
    clauses = [text]
    if stats.unconfirmed:
        clauses.append(f"{plural(stats.unconfirmed, 'event')} unconfirmed (may have been stored)")
    if stats.not_sent:
        clauses.append(f"{stats.not_sent:,} not sent")
    if stats.stopped_at:
        clauses.append(f"stopped reading at {stats.stopped_at}")
    return clauses


class Progress:
    """A live progress line on stderr (only on a terminal)."""

    def __init__(self, total_bytes: int | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        columns: list[Any] = [
            TextColumn("{task.fields[events]} sent"),
            TextColumn("{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]}/s"),
        ]
        if total_bytes:
            columns += [BarColumn(), DownloadColumn()]
        else:  # live input: when something last went out says whether it is flowing
            columns.append(TextColumn("last sent {task.fields[last]}"))
        columns.append(TimeElapsedColumn())
        self._progress = RichProgress(
            *columns,
            console=Console(file=sys.stderr, no_color=current().no_color),
            transient=True,
            refresh_per_second=4,  # enough for a person; each redraw costs the sender CPU
            redirect_stdout=False,  # stdout is data: it never goes through the display
        )
        self._task = self._progress.add_task(
            "send", total=total_bytes, events=0, failed=0, rate=0, last="-"
        )
        self._sent = 0
        self._last = "-"
        self._progress.start()

    def update(self, stats: Stats) -> None:
        if stats.sent > self._sent:
            import time

            self._sent = stats.sent
            self._last = time.strftime("%H:%M:%S")
        self._progress.update(
            self._task,
            completed=stats.bytes,
            events=f"{stats.sent:,}",
            failed=f"{stats.failed:,}",
            rate=f"{stats.rate:,.0f}",
            last=self._last,
        )

    def stop(self) -> None:
        self._progress.stop()
