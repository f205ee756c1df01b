"""Plain events held as lines, with their `Event`s built only if something asks for them.

The bulk fast path (`fastpath`) checks a whole read of NDJSON lines in C. A read whose every line
is a plain event becomes a `PlainRun`: its lines (each already the event's body and raw bytes),
their names and IDs, and where they came from, without an `Event` per line. The packer cuts
runs into requests and joins consecutive ones into a `PlainBatch`, whose body is the lines joined;
a batch accepted whole is reported with no Python step per event (bench/bulk.py, 200k events
to the null sink, side by side: 0.44 s of CPU against 0.51 s with an Event per line).

Anything else sees the very Events the fast path built before these classes existed
(`Event(source, line, body, body, name, id)`): iterating or indexing either class builds them
once and keeps them, so the sender's bookkeeping by event identity (`id(event)`) holds whichever
way a batch is looked at. A slice of a run not yet built is a run of its own; of one built, a
list of the same Events. Neither class is a `list` subclass: list operations in C would read a
subclass's (empty) storage, not its events.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain, count, repeat
from typing import TypeVar, overload

from inngest_cli.batching import json_array
from inngest_cli.payload import Event

T = TypeVar("T")


class _Lazy(Sequence[Event]):
    """A sequence of Events built by `events` (once), which every look goes through."""

    __slots__ = ()

    def events(self) -> list[Event]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events())

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        return self.events()[index]


class PlainRun(_Lazy):
    """Consecutive plain events of one source: line ``first + i`` is ``lines[i]``."""

    __slots__ = ("source", "first", "lines", "names", "ids", "_events")

    def __init__(
        self, source: str, first: int, lines: list[bytes], names: list[str], ids: list[str | None]
    ) -> None:
        self.source = source
        self.first = first
        self.lines = lines
        self.names = names
        self.ids = ids
        self._events: list[Event] | None = None

    def __len__(self) -> int:
        return len(self.lines)

    def __repr__(self) -> str:
        return f"PlainRun({self.source!r}, lines {self.first}-{self.first + len(self) - 1})"

    def events(self) -> list[Event]:
        """The run's Events, built on the first call (later calls return the same objects)."""
        if self._events is None:
            lines = self.lines
            self._events = list(
                map(Event, repeat(self.source), count(self.first), lines, lines, self.names,
                    self.ids)
            )
        return self._events

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        """A slice of a run not built yet is a run; anything else comes from `events`."""
        if isinstance(index, slice) and self._events is None:
            start, stop, step = index.indices(len(self.lines))
            if step == 1:
                return PlainRun(
                    self.source,
                    self.first + start,
                    self.lines[start:stop],
                    self.names[start:stop],
                    self.ids[start:stop],
                )
        return self.events()[index]

    def renumber(self, offset: int) -> None:
        """Add ``offset`` to every line number (a resumed `--follow` counts from where it was)."""
        self.first += offset
        for event in self._events or ():
            event.line += offset

    def last(self) -> Event:
        """The last event, without building the others (not the object iteration yields)."""
        i = len(self.lines) - 1
        if self._events is not None:
            return self._events[i]
        line = self.lines[i]
        return Event(self.source, self.first + i, line, line, self.names[i], self.ids[i])


def last_item(items: Sequence[T]) -> T:
    """``items[-1]``, without building a plain run's or batch's Events for it (for messages
    and positions: not necessarily the object that iterating ``items`` yields)."""
    if isinstance(items, PlainRun | PlainBatch):
        return items.last()  # type: ignore[return-value]
    return items[-1]


class PlainBatch(_Lazy):
    """Plain runs packed into one request, in input order."""

    __slots__ = ("parts", "_count", "_events")

    def __init__(self, first: PlainRun) -> None:
        self.parts = [first]
        self._count = len(first)
        self._events: list[Event] | None = None

    def add(self, run: PlainRun) -> None:
        """Append ``run`` (before any Event of the batch is built)."""
        assert self._events is None
        self.parts.append(run)
        self._count += len(run)

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"PlainBatch({self._count} events in {len(self.parts)} runs)"

    def events(self) -> list[Event]:
        """The batch's Events: those of its runs (see the module docstring)."""
        if self._events is None:
            if len(self.parts) == 1:
                self._events = self.parts[0].events()
            else:
                self._events = list(chain.from_iterable(part.events() for part in self.parts))
        return self._events

    def last(self) -> Event:
        """The last event, without building the others (see `PlainRun.last`)."""
        return self.parts[-1].last()

    def bodies(self) -> list[bytes]:
        """Every event's body, in order."""
        if len(self.parts) == 1:
            return self.parts[0].lines
        return list(chain.from_iterable(part.lines for part in self.parts))

    def request_body(self) -> bytes:
        """The request body (`batching.encode_batch` asks a batch that has one for it)."""
        return json_array(self.bodies())
