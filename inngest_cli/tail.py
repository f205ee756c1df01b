"""Following new events as they are stored, without gaps or repeats.

Each poll reads events newest first and pages down to a boundary: the newest internal ID seen,
minus ``lookback_ms`` of ULID time. Events above the boundary that were already printed are
remembered (only those: memory stays bounded), so one that is stored late (Inngest stores events
asynchronously; a client-seeded ID carries the client's clock) is still printed once, as long as
it is no more than ``lookback_ms`` older than the newest event seen.

No time window is sent: the server's default (the last hour, by its own clock) always holds new
events, and a client clock that is off cannot hide any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from inngest_cli.apiobjects import text
from inngest_cli.ids import encode_ulid, is_ulid, ulid_time_ms

LOOKBACK_MS = 5_000
_ZERO_ENTROPY = bytes(10)


class EventLister(Protocol):
    def iterate_events(
        self,
        *,
        name: str | None = None,
        received_after: int | None = None,
        received_before: int | None = None,
        total: int | None = None,
        page_size: int = ...,
    ) -> Iterator[dict[str, Any]]: ...


class EventFollower:
    def __init__(
        self, api: EventLister, name: str | None = None, lookback_ms: int = LOOKBACK_MS
    ) -> None:
        self.api = api
        self.name = name
        self.lookback_ms = lookback_ms
        self._seen: dict[str, int | None] = {}  # internal ID -> its ULID time
        self._newest_ms: int | None = None
        self._newest_id: str | None = None

    def prime(self) -> None:
        """Remember the events stored now, so that only later ones are reported."""
        self._read()

    def poll(self) -> list[dict[str, Any]]:
        """Events stored since the last call, oldest first."""
        return self._read()

    def follow(self, interval: float, stopped: Callable[[], bool]) -> Iterator[dict[str, Any]]:
        """Prime, then each new event, oldest first, polling every ``interval`` seconds (less
        the time the poll took), until ``stopped()``, asked before each poll, says so."""
        import time

        self.prime()
        while not stopped():
            started = time.monotonic()
            yield from self.poll()
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    def _boundary(self) -> str | None:
        if self._newest_ms is not None:
            return encode_ulid(max(0, self._newest_ms - self.lookback_ms), _ZERO_ENTROPY)
        return self._newest_id  # IDs that are not ULIDs: no time to look back by

    def _read(self) -> list[dict[str, Any]]:
        boundary = self._boundary()
        new: list[dict[str, Any]] = []
        for event in self.api.iterate_events(name=self.name):
            internal_id = text(event, "internal_id").upper()
            if boundary is not None and internal_id < boundary:
                break
            if internal_id and internal_id not in self._seen:
                new.append(event)
                self._remember(internal_id)
        self._forget_old()
        new.reverse()
        return new

    def _remember(self, internal_id: str) -> None:
        ms = ulid_time_ms(internal_id) if is_ulid(internal_id) else None
        self._seen[internal_id] = ms
        if ms is not None and (self._newest_ms is None or ms > self._newest_ms):
            self._newest_ms = ms
        if self._newest_id is None or internal_id > self._newest_id:
            self._newest_id = internal_id

    def _forget_old(self) -> None:
        boundary = self._boundary()
        if boundary is None:
            return
        for internal_id in [i for i in self._seen if i < boundary]:
            del self._seen[internal_id]
