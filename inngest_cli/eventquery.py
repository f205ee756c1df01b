"""Which events `events list` reads: an exact name or any, a window of receive times, a count.

Times come as `--since`/`--until` give them (ISO-8601, epoch ms, or relative, meaning that long
ago) and are fixed against one `now`, so both ends of a relative window are read at the same
instant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inngest_cli.errors import UsageError

if TYPE_CHECKING:
    from inngest_cli.restclient import RestAPI


@dataclass(frozen=True)
class EventQuery:
    name: str | None
    received_after: int  # epoch ms, inclusive
    received_before: int  # epoch ms, inclusive
    limit: int = 0  # most events to read, newest first; 0 for all

    @classmethod
    def from_flags(
        cls, *, name: str | None, since: str, until: str | None, limit: int, now: int
    ) -> EventQuery:
        """The query the flags describe (``until`` None: now); `UsageError` naming the flag
        for a time that does not parse, and for a window that ends before it starts."""
        after = _time(since, "--since", now)
        before = now if until is None else _time(until, "--until", now)
        if after > before:
            raise UsageError("--since is later than --until: the window is empty")
        return cls(name=name, received_after=after, received_before=before, limit=limit)

    def events(self, api: RestAPI) -> Iterator[dict[str, Any]]:
        """The events, newest first, read page by page as they are consumed."""
        return api.iterate_events(
            name=self.name,
            received_after=self.received_after,
            received_before=self.received_before,
            total=self.limit or None,
        )


def _time(value: str, flag: str, now: int) -> int:
    from inngest_cli.timeparse import TimeValueError, parse_time_ms

    try:
        return parse_time_ms(value, past_by_default=True, now=now)
    except TimeValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None
