"""Greedy packing of events into requests under the Event API's byte and count limits."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from inngest_cli.validation import MAX_EVENTS_PER_REQUEST

DEFAULT_MAX_REQUEST_BYTES = 512 * 1024
MAX_REQUEST_BYTES = 3 * 1024 * 1024


class Sized(Protocol):
    @property
    def body(self) -> bytes: ...


T = TypeVar("T")


@dataclass
class Limits:
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
    return b"[" + b",".join(e.body for e in events) + b"]"


def pack(items: Iterable[T], limits: Limits) -> Iterator[list[T]]:
    """Yield lists of items, in input order, each within both limits.

    An item's wire size is its `body`; an item without one (a failure report between events)
    rides along in order without counting. An event that alone exceeds the byte limit still goes
    out, alone: it has already passed the per-event size check, and only the server can say
    whether it takes a request that large.
    """
    batch: list[T] = []
    size = 2
    count = 0
    for item in items:
        body = getattr(item, "body", None)
        if body is None:
            batch.append(item)
            continue
        length = len(body)
        added = length + (1 if count else 0)
        if count and (size + added > limits.max_request_bytes or count >= limits.max_batch):
            yield batch
            batch, size, count, added = [], 2, 0, length
        batch.append(item)
        size += added
        count += 1
    if batch:
        yield batch
