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


T = TypeVar("T", bound=Sized)


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


def pack(events: Iterable[T], limits: Limits) -> Iterator[list[T]]:
    """Yield lists of events, in input order, each within both limits.

    An event that alone exceeds the byte limit still goes out, alone: it has already passed the
    per-event size check, and only the server can say whether it takes a request that large.
    """
    batch: list[T] = []
    size = 2
    for event in events:
        length = len(event.body)
        added = length + (1 if batch else 0)
        if batch and (size + added > limits.max_request_bytes or len(batch) >= limits.max_batch):
            yield batch
            batch, size, added = [], 2, length
        batch.append(event)
        size += added
    if batch:
        yield batch
