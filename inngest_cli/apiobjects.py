"""Reading REST v1 objects tolerantly: field names, run statuses, times and durations.

The OSS server writes snake_case (`internal_id`, `run_started_at`); the published OpenAPI spec
shows camelCase (`internalID`, `runStartedAt`), so Cloud might too (docs/protocol.md §7).
Objects are kept exactly as the API returned them (for `-o json`); only reads go through `field`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inngest_cli.timeparse import parse_rfc3339_ms

# Run statuses (pkg/enums/run_status.go). Skipped is a deliberate outcome of a function's own
# configuration (singleton "skip", a paused function), so it does not count as a failure.
SUCCEEDED = frozenset({"Completed", "Skipped"})
FAILED = frozenset({"Failed", "Cancelled", "Overflowed"})
TERMINAL = SUCCEEDED | FAILED
_CANONICAL = {s.lower(): s for s in (*TERMINAL, "Running", "Scheduled", "Unknown")}


@functools.cache
def _aliases(name: str) -> tuple[str, ...]:
    head, *rest = name.split("_")
    camel = head + "".join(part.capitalize() for part in rest)
    names = [camel]
    if camel.endswith("Id"):
        names.append(camel[:-2] + "ID")
    return tuple(names)


def field(obj: Mapping[str, Any], name: str) -> Any:
    """``obj[name]`` for a snake_case ``name``, or its camelCase spelling (`internalId`,
    `internalID`); None when absent."""
    if name in obj:
        return obj[name]
    for alias in _aliases(name):
        if alias in obj:
            return obj[alias]
    return None


def text(obj: Mapping[str, Any], name: str) -> str:
    value = field(obj, name)
    return value if isinstance(value, str) else ""


def status(run: Mapping[str, Any]) -> str:
    """The run's status in the server's spelling (`Completed`), whatever case it came in."""
    raw = text(run, "status").strip()
    return _CANONICAL.get(raw.lower(), raw or "Unknown")


def is_terminal(run: Mapping[str, Any]) -> bool:
    return status(run) in TERMINAL


def is_failed(run: Mapping[str, Any]) -> bool:
    return status(run) in FAILED


def format_query_time(ms: int) -> str:
    """RFC 3339 in UTC with milliseconds, as `received_after`/`received_before` take it."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def format_time(ms: int | None) -> str:
    """`2026-11-23 10:00:05` (UTC) for tables; empty for None."""
    if ms is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000))


def run_duration_ms(run: Mapping[str, Any], now_ms: int | None = None) -> int | None:
    """Ended minus started; for an unfinished run, the time so far when ``now_ms`` is given."""
    started = parse_rfc3339_ms(field(run, "run_started_at"))
    ended = parse_rfc3339_ms(field(run, "ended_at"))
    if started is None:
        return None
    if ended is None:
        if now_ms is None or is_terminal(run):
            return None
        ended = now_ms
    return max(0, ended - started)


def format_duration(ms: int | None) -> str:
    """`312 ms`, `4.2 s`, `3m 12s`, `2h 05m`; empty for None."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(ms // 1000, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


# -- bulk cancellations -------------------------------------------------------------------

FUTURE_TOLERANCE_MS = 5_000
"""How far in the future `started_before` may be: Inngest allows five seconds of clock skew."""


@dataclass(frozen=True)
class CancellationRequest:
    """The body of `POST /v1/cancellations`: cancel the runs of one function started in
    [started_after, started_before] (both inclusive), optionally only those whose triggering
    event makes the CEL expression ``if_expression`` true. Times are epoch milliseconds."""

    app_id: str
    function_id: str
    started_before: int | None
    started_after: int | None = None
    if_expression: str | None = None

    def problems(self, now_ms: int) -> list[str]:
        """What Inngest's validation would say, in its words and order; [] when valid."""
        found = []
        if not self.app_id:
            found.append("app_id is required")
        if not self.function_id:
            found.append("function_id is required")
        if self.started_before is None:
            found.append("started_before is required")
        elif self.started_before > now_ms + FUTURE_TOLERANCE_MS:
            found.append("started_before must be in the past")
        if self.started_after is not None and (
            self.started_before is None or self.started_after > self.started_before
        ):
            found.append("started_after must be before started_before")
        return found

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"app_id": self.app_id, "function_id": self.function_id}
        if self.started_before is not None:
            body["started_before"] = format_query_time(self.started_before)
        if self.started_after is not None:
            body["started_after"] = format_query_time(self.started_after)
        if self.if_expression is not None:
            body["if"] = self.if_expression
        return body
