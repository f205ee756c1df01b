"""The REST v1 read API's wire format (docs/protocol.md §7-§8): query parsing, JSON shapes,
signing-key auth.

Responses are encoded the way Go's encoding/json writes them: struct field order, a trailing
newline, and ``<``, ``>``, ``&``, U+2028 and U+2029 escaped inside strings.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from inngest_cli.server.store import EventRow, RunRow

NIL_UUID = "00000000-0000-0000-0000-000000000000"
DEV_ENV_ID = "00000000-0000-4000-b000-000000000000"  # runs' environment_id in dev/self-hosted
DEFAULT_LIMIT = 20
MAX_LIMIT = 51
DEFAULT_WINDOW_MS = 3_600_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?", re.ASCII)
_INT = re.compile(r"[+-]?\d+", re.ASCII)  # Go's digits are ASCII ones
_GO_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
               ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))
_SIGNKEY_PREFIX = re.compile(r"^signkey-\w+-", re.ASCII)
_HEX = re.compile(r"[0-9a-fA-F]+")


def go_json(value: Any) -> bytes:
    """``value`` as Go's json.Encoder writes it (HTML-safe escapes, trailing newline)."""
    body = orjson.dumps(value)
    for raw, escaped in _GO_ESCAPES:
        if raw in body:
            body = body.replace(raw, escaped)
    return body + b"\n"


# -- time -------------------------------------------------------------------------------------


def rfc3339_ms(ms: int) -> str:
    """Go's RFC3339Nano for a millisecond UTC time: trailing zeros of the fraction dropped."""
    seconds, millis = divmod(ms, 1000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}.{millis:03d}".rstrip("0").rstrip(".") + "Z" if millis else text + "Z"


def rfc3339_ns(ns: int) -> str:
    seconds, nanos = divmod(ns, 1_000_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}.{nanos:09d}".rstrip("0") + "Z" if nanos else text + "Z"


def parse_time(text: str) -> int | None:
    """Milliseconds for an RFC 3339 / ISO 8601 date or time (offset-less means UTC) or an
    RFC 1123/822/850-style date; None otherwise.  Numeric epochs are not dates, as in Inngest."""
    match = _ISO.fullmatch(text)
    try:
        if match:
            year, month, day, hour, minute, second, frac, zone = match.groups()
            tz = UTC
            if zone and zone != "Z":
                sign = -1 if zone[0] == "-" else 1
                offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
                if offset >= timedelta(hours=24):
                    return None
                tz = timezone(sign * offset)
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                              int(second or 0), tzinfo=tz)
            millis = int((frac or "0")[:3].ljust(3, "0"))
            return (moment - _EPOCH) // _MS + millis
        if _INT.fullmatch(text.strip()) or not any(c.isalpha() for c in text):
            return None
        moment = email.utils.parsedate_to_datetime(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS


def parse_limit(text: str | None) -> int:
    """``strconv.Atoi``: anything but an integer, or 0, means the default; clamped to [1, 51]."""
    if not text or not _INT.fullmatch(text):
        return DEFAULT_LIMIT
    if len(text.lstrip("+-").lstrip("0")) > 19:  # out of int64 range (and of int()'s 4300 digits)
        return DEFAULT_LIMIT
    value = int(text)
    if value == 0 or abs(value) >= 1 << 63:
        return DEFAULT_LIMIT
    return max(1, min(MAX_LIMIT, value))


def parse_ulid(text: str) -> str | None:
    """The upper-cased ULID for ``text`` as oklog/ulid's lenient Parse accepts it (26 characters,
    first one 0-7), else None.  Characters outside Crockford base32 then simply match nothing."""
    if len(text) != 26 or text[0] not in "01234567":
        return None
    return text.upper()


# -- JSON shapes ------------------------------------------------------------------------------


def event_object(row: EventRow) -> dict[str, Any]:
    internal_id, received_at, name, event_id, data, user, ts, v = row
    event: dict[str, Any] = {
        "internal_id": internal_id,
        "account_id": NIL_UUID,
        "environment_id": NIL_UUID,
        "source": "",
        "source_id": None,
        "received_at": rfc3339_ms(received_at),
        "id": event_id,
        "name": name,
        "data": None if data is None else orjson.Fragment(data),
    }
    if user:
        event["user"] = orjson.Fragment(user)
    if ts:
        event["ts"] = ts
    if v:
        event["v"] = v
    return event


def run_object(row: RunRow) -> dict[str, Any]:
    (run_id, started, function_id, version, event_id, batch_id, original_run_id, cron, status,
     ended_at, output) = row
    run: dict[str, Any] = {
        "run_id": run_id,
        "run_started_at": rfc3339_ms(started),
        "function_id": function_id,
        "function_version": version,
        "environment_id": DEV_ENV_ID,
        "event_id": event_id,
    }
    if batch_id:
        run["batch_id"] = batch_id
    if original_run_id:
        run["original_run_id"] = original_run_id
    if cron:
        run["cron"] = cron
    run["status"] = status
    run["ended_at"] = None if ended_at is None else rfc3339_ms(ended_at)
    if output is not None:
        run["output"] = orjson.Fragment(output)
    return run


def envelope(data: Any, cache_seconds: int | None = None) -> bytes:
    fetched = time.time_ns()
    metadata = {"fetched_at": rfc3339_ns(fetched)}
    if cache_seconds:
        metadata["cached_until"] = rfc3339_ns(fetched + cache_seconds * 1_000_000_000)
    return go_json({"data": data, "metadata": metadata})


def error_body(message: str, status: int) -> bytes:
    return go_json({"error": message, "data": None, "status": status})


# -- signing-key auth -------------------------------------------------------------------------


def _strip_prefix(key: str) -> str:
    return _SIGNKEY_PREFIX.sub("", key, count=1)


def signing_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a signing key (it must be hex of even length after an optional
    ``signkey-<env>-`` prefix), or None."""
    bare = _strip_prefix(key)
    if not bare:
        return "--signing-key is empty"
    if len(bare) % 2 or not _HEX.fullmatch(bare):
        return "--signing-key must be hex of even length (optionally after signkey-<env>-)"
    return None


class SigningKeyAuth:
    """``Authorization: Bearer <token>`` where the token, prefix stripped, is the key itself or
    the hex SHA-256 of its bytes (what the SDKs send); ``fallbacks`` are accepted too (a key
    being rotated out)."""

    def __init__(self, key: str, *fallbacks: str) -> None:
        self._accepted = tuple(
            token
            for bare in map(_strip_prefix, (key, *fallbacks))
            for token in (bare.encode(), hashlib.sha256(bytes.fromhex(bare)).hexdigest().encode())
        )

    def allows(self, header: str | None) -> bool:
        # Like Inngest's TokenFromHeader: "bearer" in any case, then everything after one more
        # character.
        if not header or len(header) <= 7 or header[:6].lower() != "bearer":
            return False
        token = _strip_prefix(header[7:]).encode("utf-8", "surrogateescape")
        return any(hmac.compare_digest(token, accepted) for accepted in self._accepted)
