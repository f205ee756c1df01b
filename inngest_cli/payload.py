"""Turn input into events ready for the wire: from flags, or from input records.

An input record that already is a valid event is sent as the very bytes it came as (no re-encoding),
which keeps bulk sends fast and the size check identical to the server's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import repeat
from typing import IO, Any, Generic, TypeVar, cast

import msgspec
import orjson

from inngest_cli.errors import one_line
from inngest_cli.inputs import Format, Lines, Record, line_record, read_chunks
from inngest_cli.jsontext import EncodeError, dumps
from inngest_cli.units import size_texts
from inngest_cli.validation import (
    MAX_EVENT_BYTES,
    canonical_fields,
    event_problem,
    json_type,
    ts_hint,
)

# Fields that `GET /v1/events` adds and the Event API does not take: dropped on replay.
SERVER_FIELDS = frozenset(
    ("internal_id", "account_id", "environment_id", "source", "source_id", "received_at")
)


class Event(msgspec.Struct, gc=False):
    """A validated event: its wire bytes, and what output and error reports need to know.

    A msgspec Struct rather than a dataclass: the bulk fast path builds one per input line with
    `map(Event, ...)`, which runs in C (a dataclass's `__init__` is Python, and was a fifth of the
    cost of a plain event). It holds no containers, so it stays out of the cycle collector."""

    source: str
    line: int
    body: bytes
    raw: bytes
    name: str
    id: str | None
    element: int | None = None  # its index in a JSON array (the Record's)


class Failure(msgspec.Struct):
    """An input that was not (or could not be) accepted, with the reason."""

    source: str
    line: int
    raw: bytes
    reason: str
    hint: str | None = None

    def __post_init__(self) -> None:
        self.reason = one_line(self.reason)
        if self.hint is not None:
            self.hint = one_line(self.hint)

    def location(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source


class Shaping(msgspec.Struct, frozen=True):
    """How input records become events.

    With ``name`` set, every record is the `data` of an event of that name; ``id_field`` and
    ``ts_field`` then lift the event's id/ts out of the record.  ``keep_ts`` keeps the `ts` of
    exported events (`events list -o ndjson`), which are otherwise replayed as new.
    """

    name: str | None = None
    id_field: str | None = None
    ts_field: str | None = None
    keep_ts: bool = False
    max_event_bytes: int = MAX_EVENT_BYTES


def exact_value(record: Record) -> Any:
    """The record's value with integers beyond 64 bits exact (orjson makes them floats).

    Only the paths that re-encode a value pay for this; passthrough sends `raw` as it came.
    """
    if not isinstance(record.value, dict) or not record.raw:
        return record.value
    try:
        return json.loads(record.raw, parse_constant=_fail_on_constant)
    except (ValueError, RecursionError):
        return record.value


def _fail_on_constant(name: str) -> Any:
    """Makes the exact re-decode fail on NaN/Infinity, so `exact_value` keeps the value it has
    (the readers have already reported such a record)."""
    raise ValueError(name)


def finish_event(
    value: Any,
    raw: bytes,
    source: str,
    line: int,
    shaping: Shaping,
    body: bytes | None = None,
    element: int | None = None,
) -> Event | Failure:
    """Validate a decoded event and produce its wire form (``body``, or ``value`` encoded)."""
    problem = event_problem(value)
    if problem is not None:
        hint = (
            ts_hint(value.get("ts")) if isinstance(value, dict) and "timestamp" in problem else None
        )
        return Failure(source, line, raw, problem, hint)
    if body is None:
        body = dumps(value)
    if len(body) > shaping.max_event_bytes:
        size, limit = size_texts(len(body), shaping.max_event_bytes)
        return Failure(
            source,
            line,
            raw,
            f"event is {size}, over the max event size of {limit}",
            "the limit is 3 MiB on self-hosted servers and paid Cloud plans, "
            "256 KiB on Cloud's free "
            "plan (--max-event-bytes)",
        )
    fields = canonical_fields(value)
    return Event(source, line, body, raw, fields["name"], fields.get("id"), element)


def shape_record(record: Record, shaping: Shaping) -> Event | Failure:
    """Validate one input record and give its wire form."""
    if record.error is not None:
        return Failure(record.source, record.line, record.raw, record.error)
    try:
        return _shape(record, shaping)
    except EncodeError as exc:
        return Failure(record.source, record.line, record.raw, f"cannot re-encode: {exc}")


def _shape(record: Record, shaping: Shaping) -> Event | Failure:
    value = record.value
    body: bytes | None = record.raw
    if shaping.name is not None:
        if not isinstance(value, dict):
            return Failure(
                record.source,
                record.line,
                record.raw,
                f"data must be an object, not {json_type(value)}",
            )
        event: dict[str, Any] = {"name": shaping.name, "data": value}
        # Splice the record's own bytes in as `data`: exact, and cheaper than re-encoding it.
        body = b'{"name":' + orjson.dumps(shaping.name)
        for key, wanted in (("id", shaping.id_field), ("ts", shaping.ts_field)):
            if wanted is None:
                continue
            if wanted not in value:
                return Failure(
                    record.source,
                    record.line,
                    record.raw,
                    f"{wanted} (--{key}-field) is missing from the record",
                )
            if isinstance(value[wanted], float):  # maybe an integer orjson could not hold
                value = exact_value(record)
            event[key] = value[wanted]
            body += b',"' + key.encode() + b'":' + dumps(value[wanted])
        body += b',"data":' + record.raw + b"}"
        value = event
    elif isinstance(value, dict) and not SERVER_FIELDS.isdisjoint(value):
        value = {k: v for k, v in exact_value(record).items() if k not in SERVER_FIELDS}
        if not shaping.keep_ts:
            value.pop("ts", None)
        body = None
    return finish_event(
        value, record.raw, record.source, record.line, shaping, body, record.element
    )


def shape_records(records: Iterable[Record], shaping: Shaping) -> Iterator[Event | Failure]:
    for record in records:
        yield shape_record(record, shaping)


# Below this many lines in a read, the fast path's import (msgspec, ~6 ms) costs more than it saves.
FAST_PATH_MIN_LINES = 64
# ...unless the lines are large: a read of 256 KiB holds only 32 events of 8 KB, which the fast
# path shapes in 28 us each and the exact path in 38 (nested data, measured side by side)
FAST_PATH_MIN_BYTES = 64 << 10


T = TypeVar("T")


class Runs(Generic[T]):
    """Items in input order that come in runs (one list per read of the input): an iterator of
    the items, whose remaining items can also be taken a run at a time (`lists`), so that a bulk
    send moves lists and does no Python step per item between the reader and the packer.

    ``cut``, when given, says whether the rest of the latest run may be left untaken (a file
    after an interrupt: it can be read again), so a reader that holds part of a run stops at its
    next item, as it would item by item."""

    __slots__ = ("_runs", "_current", "cut")

    def __init__(self, runs: Iterable[Sequence[T]], cut: Callable[[], bool] | None = None) -> None:
        self._runs = iter(runs)
        self._current: Iterator[T] = iter(())
        self.cut = cut

    def __iter__(self) -> Runs[T]:
        return self

    def __next__(self) -> T:
        for item in self._current:
            return item
        for run in self._runs:
            self._current = iter(run)
            for item in self._current:
                return item
        raise StopIteration

    def lists(self) -> Iterator[Sequence[T]]:
        """The remaining items, as non-empty runs in input order (after the items already
        taken one by one); the item view must not be used once this is."""
        rest = list(self._current)
        if rest:
            yield rest
        for run in self._runs:
            if run:
                yield run


def events_of(items: Sequence[Event | Failure]) -> Sequence[Event]:
    """The Events among ``items``, in order: ``items`` itself for the usual batch (a
    `PlainBatch`, or no failure reports in it, checked in C), else a new list."""
    from inngest_cli.plainrun import PlainBatch

    if type(items) is PlainBatch or all(map(isinstance, items, repeat(Event))):
        return cast("Sequence[Event]", items)
    return [item for item in items if isinstance(item, Event)]


def item_runs(items: Iterable[T]) -> Iterator[Sequence[T]]:
    """``items`` a run at a time: the runs of a `Runs`, any other iterable's items one by one."""
    return items.lists() if isinstance(items, Runs) else ([item] for item in items)


def shape_sources(
    sources: Iterable[tuple[str, IO[bytes]]], fmt: Format, shaping: Shaping
) -> Runs[Event | Failure]:
    """Every source's events and failures, in input order: `shape_records` over `read_records`,
    with NDJSON shaped a read chunk at a time (`shape_lines`), one run per read (`Runs`)."""
    return Runs(_shaped_runs(sources, fmt, shaping))


def _shaped_runs(
    sources: Iterable[tuple[str, IO[bytes]]], fmt: Format, shaping: Shaping
) -> Iterator[Sequence[Event | Failure]]:
    for source, stream in sources:
        for item in read_chunks(stream, source, fmt):
            if type(item) is Lines:
                yield shape_lines(item, shaping)
            else:
                assert isinstance(item, Record)
                yield [shape_record(item, shaping)]


def _few(lines: list[bytes]) -> bool:
    """Whether a read is too small to be worth the fast path (a one-line send, a live trickle)."""
    return len(lines) < FAST_PATH_MIN_LINES and sum(map(len, lines)) < FAST_PATH_MIN_BYTES


def shape_lines(chunk: Lines, shaping: Shaping) -> Sequence[Event | Failure]:
    """The results of a run of NDJSON lines, exactly those of `shape_record(line_record(...))`.

    The common line (an event with canonical fields of the right types, sent as it came) is
    decoded and checked in C (`fastpath`); any other line (a JSON error, Go-style field names,
    fields of an exported event, a problem to report), all `--name` shaping, and reads of a few
    short lines (a one-line send, a live input trickling in) take the exact path.
    """
    source = chunk.source
    if shaping.name is not None or _few(chunk.lines):
        out: list[Event | Failure] = []
        for number, raw in enumerate(chunk.lines, chunk.first):
            record = line_record(source, number, raw)
            if record is not None:
                out.append(shape_record(record, shaping))
        return out
    from inngest_cli.fastpath import plain_events

    def exact(number: int, raw: bytes) -> Event | Failure | None:
        record = line_record(source, number, raw)
        return None if record is None else shape_record(record, shaping)

    return plain_events(
        chunk.lines, source, chunk.first, shaping.max_event_bytes, exact, chunk.text
    )
