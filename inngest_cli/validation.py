"""Event validation exactly as Inngest's `POST /e/{key}` applies it (reference §2-§3).

`event_problem` returns the server's own message for the first problem of an event, or None.
The client prefixes the source and line; `serve` answers it in its 400 body.
"""

from __future__ import annotations

import re
from typing import Any

MIN_TS_MS = 315_532_800_000  # 1980-01-01T00:00:00Z
MAX_TS_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
MAX_EVENT_BYTES = 3 * 1024 * 1024  # AbsoluteMaxEventSize; equal is allowed
MAX_EVENTS_PER_REQUEST = 5000
RESERVED_PREFIX = "inngest/"

_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


_DECODER_POSITION = re.compile(r": line (\d+) column (\d+) \(char \d+\)$")


def json_error(exc: Exception) -> str:
    """orjson's message without its offsets: `..., expected a string key (line 1, column 2)`,
    and without the line for single-line input, where the caller names the line."""

    def position(match: re.Match[str]) -> str:
        line, column = match.groups()
        return f" (column {column})" if line == "1" else f" (line {line}, column {column})"

    return _DECODER_POSITION.sub(position, str(exc))


def json_type(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def event_problem(event: Any) -> str | None:
    """The first reason Inngest would reject ``event`` (a decoded JSON value), or None."""
    if type(event) is not dict:
        if event is None:
            return "event name is empty"
        if not isinstance(event, dict):
            return f"event must be a JSON object, not {json_type(event)}"
    if not _FIELDS.issuperset(event):
        event = _as_go_decodes(event)
    get = event.get
    name, data, user, ts = get("name"), get("data"), get("user"), get("ts")
    # fast path: the shape nearly every event has
    if (
        type(name) is str
        and name
        and (data is None or type(data) is dict)
        and (user is None or type(user) is dict)
        and type(get("id", "")) is str
        and type(get("v", "")) is str
        and (ts is None or (type(ts) is int and (ts == 0 or MIN_TS_MS <= ts <= MAX_TS_MS)))
        and name[:8].lower() != RESERVED_PREFIX
    ):
        return None
    return _slow_problem(event)


_FIELDS = frozenset(("name", "data", "user", "id", "ts", "v"))


def _as_go_decodes(event: dict[str, Any]) -> dict[str, Any]:
    """The event's fields as Go's encoding/json sees them: names match case-insensitively, and a
    later key overrides an earlier one; unknown keys are ignored."""
    fields: dict[str, Any] = {}
    for key, value in event.items():
        lowered = key.lower()
        if lowered in _FIELDS:
            fields[lowered] = value
    return fields


def _slow_problem(event: dict[str, Any]) -> str | None:
    name = event.get("name")
    if name is not None and not isinstance(name, str):
        return f"name must be a string, not {json_type(name)}"
    for field in ("data", "user"):
        value = event.get(field)
        if value is not None and not isinstance(value, dict):
            return f"{field} must be an object, not {json_type(value)}"
    for field in ("id", "v"):
        value = event.get(field)
        if value is not None and not isinstance(value, str):
            return f"{field} must be a string, not {json_type(value)}"
    ts = event.get("ts")
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, int)):
        return f"ts must be an integer (milliseconds since the epoch), not {json_type(ts)}"
    if not name:
        return "event name is empty"
    if name.lower().startswith(RESERVED_PREFIX):
        return f"event name is reserved for internal use: {name}"
    if ts:  # 0 and null mean "now"
        if ts < MIN_TS_MS:
            return "timestamp is before Jan 1, 1980"
        if ts > MAX_TS_MS:
            return "timestamp is after Jan 1, 2100"
    return None


def ts_hint(ts: Any) -> str | None:
    """A hint for a timestamp that looks like seconds (or microseconds) instead of milliseconds."""
    if isinstance(ts, int) and not isinstance(ts, bool):
        if MIN_TS_MS // 1000 <= ts <= MAX_TS_MS // 1000:
            return f"{ts} looks like seconds; Inngest wants milliseconds ({ts * 1000})"
        if MIN_TS_MS * 1000 <= ts <= MAX_TS_MS * 1000:
            return f"{ts} looks like microseconds; Inngest wants milliseconds ({ts // 1000})"
    return None


def size_problem(size: int, limit: int = MAX_EVENT_BYTES) -> str | None:
    if size > limit:
        return f"Event is over the max size: Max {limit} bytes / Size {size} bytes"
    return None
