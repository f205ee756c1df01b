"""Greedy packing of events into requests under the Event API's byte and count limits."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, chain, islice, repeat
from operator import add, attrgetter
from typing import Any, Protocol, TypeVar

import msgspec

from inngest_cli.validation import MAX_EVENTS_PER_REQUEST

DEFAULT_MAX_REQUEST_BYTES = 512 * 1024
MAX_REQUEST_BYTES = 3 * 1024 * 1024


class Sized(Protocol):
    @property
    def body(self) -> bytes: ...


T = TypeVar("T")
_body = attrgetter("body")


class Limits(msgspec.Struct):
    """Request limits; `max_request_bytes` may be lowered mid-run when a server answers 413."""

    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    max_batch: int = MAX_EVENTS_PER_REQUEST

    def lower_to(self, size: int) -> None:
        self.max_request_bytes = max(2, min(self.max_request_bytes, size))


def request_size(events: Iterable[Sized]) -> int:
    """Bytes of the JSON array body `[e1,e2,...]` for these events."""
    count = 0
    total = 2
    for event in events:
        total += len(event.body)
        count += 1
    return total + max(count - 1, 0)


def encode_batch(events: Sequence[Sized]) -> bytes:
    """The JSON array of the events' bodies. A batch that makes its own body (a
    `plainrun.PlainBatch`, which holds lines rather than Events) is asked for it."""
    make = getattr(events, "request_body", None)
    if make is not None:
        return make()  # type: ignore[no-any-return]
    return json_array(list(map(_body, events)))


def json_array(bodies: list[bytes]) -> bytes:
    """``[b1,b2,...]``, copied once: the brackets go onto the first and last bodies (small
    copies) rather than around the joined whole (two more copies of it)."""
    if len(bodies) < 2:
        return b"[" + b"".join(bodies) + b"]"
    return b",".join(
        chain((b"[" + bodies[0],), islice(bodies, 1, len(bodies) - 1), (bodies[-1] + b"]",))
    )


class Packer:
    """Time-aware greedy packing: items go in one at a time; a batch comes out when the next item
    would break a limit, or when the caller decides a partial batch has waited long enough
    (`flush`; `oldest` says since when its first item has waited)."""

    __slots__ = ("limits", "_batch", "_size", "_count", "oldest")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._batch: Sequence[Any] = []  # a list, or a `plainrun.PlainBatch`
        self._size = 2
        self._count = 0
        self.oldest = 0.0  # time.monotonic() when the current batch got its first item

    def __len__(self) -> int:
        return len(self._batch)

    def _as_list(self) -> list[Any]:
        """The current batch as a list (a `PlainBatch` becomes its Events)."""
        if type(self._batch) is not list:
            self._batch = list(self._batch)
        return self._batch

    def add(self, item: Any, now: float = 0.0) -> Sequence[Any] | None:
        """Add ``item``; return the full batch it closed, if any (``item`` starts the next)."""
        batch = self._as_list()
        body = getattr(item, "body", None)
        if not batch:
            self.oldest = now
        if body is None:
            batch.append(item)
            return None
        length = len(body)
        count = self._count
        added = length + (1 if count else 0)
        full = None
        if count and (
            self._size + added > self.limits.max_request_bytes or count >= self.limits.max_batch
        ):
            full = batch
            self._batch = batch = []
            self._size, count, added = 2, 0, length
            self.oldest = now
        batch.append(item)
        self._size += added
        self._count = count + 1
        return full

    def add_all(self, items: Sequence[Any], now: float, full: list[Sequence[Any]]) -> None:
        """`add` each of ``items``, appending the batches they close to ``full`` (one call for
        what arrived together). Batches and their boundaries are exactly those of `add`. A
        `plainrun.PlainRun` is packed by its lines, into `PlainBatch`es while runs follow runs."""
        plain = getattr(items, "lines", None)  # a PlainRun's: its events' bodies
        if plain is not None:
            sizes = list(map(len, plain))
        else:
            try:
                sizes = list(map(len, map(_body, items)))
            except AttributeError:  # a failure report among them: item by item
                self._add_each(items, now, full)
                return
        if items and not self._batch:
            self.oldest = now
        # With every item counted as its body plus a comma, a fresh batch of items s..e-1 is
        # 1 + ends[e] - ends[s] bytes: the largest e that fits is a bisection, the batch a slice.
        ends = list(accumulate(map(add, sizes, repeat(1)), initial=0))
        max_bytes, max_batch = self.limits.max_request_bytes, self.limits.max_batch
        batch, size, count = self._batch, self._size, self._count
        start, total = 0, len(items)
        while start < total:
            base = size if count else 1
            last = min(total, start + max_batch - count)
            end = start
            if last > start:
                end = bisect_right(ends, ends[start] + max_bytes - base, start + 1, last + 1) - 1
            if not count and end == start:
                end = start + 1  # an event over the byte limit goes out alone
            if end > start:
                batch = _extended(batch, items[start:end])
                size = base + ends[end] - ends[start]
                count += end - start
            if end < total:  # the next item does not fit: the batch is full
                full.append(batch)
                batch, size, count = [], 2, 0
                self.oldest = now
            start = end
        self._batch, self._size, self._count = batch, size, count

    def _add_each(self, items: Sequence[Any], now: float, full: list[Sequence[Any]]) -> None:
        limits = self.limits
        max_bytes, max_batch = limits.max_request_bytes, limits.max_batch
        batch, size, count = self._as_list(), self._size, self._count
        if not batch and items:
            self.oldest = now
        for item in items:
            body = getattr(item, "body", None)
            if body is None:
                batch.append(item)
                continue
            length = len(body)
            added = length + (1 if count else 0)
            if count and (size + added > max_bytes or count >= max_batch):
                full.append(batch)
                batch, size, count, added = [], 2, 0, length
                self.oldest = now
            batch.append(item)
            size += added
            count += 1
        self._batch, self._size, self._count = batch, size, count

    def flush(self) -> Sequence[Any] | None:
        """The partial batch (None when empty); packing starts afresh."""
        if not self._batch:
            return None
        batch = self._batch
        self._batch, self._size, self._count = [], 2, 0
        return batch


def _extended(batch: Sequence[Any], piece: Sequence[Any]) -> Sequence[Any]:
    """``batch`` with ``piece`` (consecutive items) after it: runs of plain events join into a
    `PlainBatch` without building their Events; anything else makes it a list of items."""
    from inngest_cli.plainrun import PlainBatch, PlainRun

    if type(piece) is PlainRun:
        if not batch:
            return PlainBatch(piece)
        if type(batch) is PlainBatch:
            batch.add(piece)
            return batch
    if not batch:
        return piece if type(piece) is list else list(piece)
    if type(batch) is not list:
        batch = list(batch)
    batch += piece
    return batch


def pack(items: Iterable[T], limits: Limits) -> Iterator[Sequence[T]]:
    """Yield lists of items, in input order, each within both limits.

    An item's wire size is its `body`; an item without one (a failure report between events)
    rides along in order without counting. An event that alone exceeds the byte limit still goes
    out, alone: it has already passed the per-event size check, and only the server can say
    whether it takes a request that large.
    """
    return pack_runs(([item] for item in items), limits)


def pack_runs(runs: Iterable[Sequence[T]], limits: Limits) -> Iterator[Sequence[T]]:
    """`pack` for items that come in runs (a read's worth at a time, `payload.item_runs`): the
    same batches, each run packed at once by `Packer.add_all`, with no Python step per item."""
    packer = Packer(limits)
    full: list[Sequence[T]] = []
    for run in runs:
        packer.add_all(run, 0.0, full)
        yield from full
        full.clear()
    last = packer.flush()
    if last is not None:
        yield last
