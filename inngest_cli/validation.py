"""Event validation exactly as Inngest's `POST /e/{key}` applies it (docs/protocol.md §4-§5).

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


_DECODER_POSITION = r": line (\d+) column (\d+) \(char \d+\)$"  # compiled on first use


def json_error(exc: Exception) -> str:
    """orjson's message without its offsets: `..., expected a string key (line 1, column 2)`,
    and without the line for single-line input, where the caller names the line."""

    def position(match: re.Match[str]) -> str:
        line, column = match.groups()
        return f" (column {column})" if line == "1" else f" (line {line}, column {column})"

    return re.sub(_DECODER_POSITION, position, str(exc))


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
        event, problem = _as_go_decodes(event)
        if problem is not None:
            return problem
    get = event.get
    name, data, user, ts = get("name"), get("data"), get("user"), get("ts")
    # fast path: the shape nearly every event has
    if (
        type(name) is str
        and (data is None or type(data) is dict)
        and (user is None or type(user) is dict)
        and type(get("id", "")) is str
        and type(get("v", "")) is str
        and (ts is None or (type(ts) is int and plain_ts(ts)))
        and plain_name(name)
    ):
        return None
    return _slow_problem(event)


def plain_name(name: str) -> bool:
    """Whether Inngest takes ``name``: not empty, not under the reserved prefix in any case (the
    bulk fast path checks each distinct name of a read with this too)."""
    return bool(name) and (name[0] not in "iI" or name[:8].lower() != RESERVED_PREFIX)


def plain_ts(ts: int | None) -> bool:
    """Whether Inngest takes ``ts`` as it is: absent, 0 ("now"), or from 1980 to 2100."""
    return ts is None or ts == 0 or MIN_TS_MS <= ts <= MAX_TS_MS


_FIELDS = frozenset(("name", "data", "user", "id", "ts", "v"))


def canonical_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The event's fields under their own names (`{"NAME": ...}` is the name, as for Inngest)."""
    return event if _FIELDS.issuperset(event) else _as_go_decodes(event)[0]


def _as_go_decodes(event: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The event's fields as Go's encoding/json sees them, and the first type error among all of
    its keys: names match case-insensitively, a later key overrides an earlier one, `null` leaves
    a field alone, unknown keys are ignored, and a type error anywhere fails the event."""
    fields: dict[str, Any] = {}
    problem = None
    for key, value in event.items():
        field = key if key in _FIELDS else key.lower()
        if field not in _FIELDS or value is None:
            continue
        if problem is None:
            problem = _type_problem(field, value)
        fields[field] = value
    return fields, problem


def _type_problem(field: str, value: Any) -> str | None:
    if field in ("name", "id", "v") and not isinstance(value, str):
        return f"{field} must be a string, not {json_type(value)}"
    if field in ("data", "user") and not isinstance(value, dict):
        return f"{field} must be an object, not {json_type(value)}"
    if field == "ts" and (isinstance(value, bool) or not isinstance(value, int)):
        return f"ts must be an integer (milliseconds since the epoch), not {json_type(value)}"
    return None


def _slow_problem(event: dict[str, Any]) -> str | None:
    for field in ("name", "data", "user", "id", "v", "ts"):
        value = event.get(field)
        problem = None if value is None else _type_problem(field, value)
        if problem is not None:
            return problem
    name, ts = event.get("name"), event.get("ts")
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


def seconds_hint(ts: int) -> str | None:
    """The message for an integer timestamp that looks like seconds instead of milliseconds."""
    if MIN_TS_MS // 1000 <= ts <= MAX_TS_MS // 1000:
        return f"{ts} looks like seconds; Inngest wants milliseconds ({ts * 1000})"
    return None


def ts_hint(ts: Any) -> str | None:
    """A hint for a timestamp that looks like seconds (or microseconds) instead of milliseconds."""
    if isinstance(ts, int) and not isinstance(ts, bool):
        if (hint := seconds_hint(ts)) is not None:
            return hint
        if MIN_TS_MS * 1000 <= ts <= MAX_TS_MS * 1000:
            return f"{ts} looks like microseconds; Inngest wants milliseconds ({ts // 1000})"
    return None


def size_problem(size: int, limit: int = MAX_EVENT_BYTES) -> str | None:
    if size > limit:
        return f"Event is over the max size: Max {limit} bytes / Size {size} bytes"
    return None
