"""The REST v1 read API's wire format (docs/protocol.md §7-§8): query parsing, JSON shapes,
signing-key auth.

Responses are encoded the way Go's encoding/json writes them: struct field order, a trailing
newline, and ``<``, ``>``, ``&``, U+2028 and U+2029 escaped inside strings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from inngest_cli.apiobjects import CancellationRequest
from inngest_cli.ids import new_ulid
from inngest_cli.jsontext import go_json
from inngest_cli.server.store import CancellationRow, EventRow, FunctionRow, RunRow, Store
from inngest_cli.signingkeys import is_hex_body, strip_prefix
from inngest_cli.timeparse import parse_go_time_ms

NIL_UUID = "00000000-0000-0000-0000-000000000000"
DEV_ENV_ID = "00000000-0000-4000-b000-000000000000"  # runs' environment_id in dev/self-hosted
DEFAULT_LIMIT = 20
MAX_LIMIT = 51
DEFAULT_WINDOW_MS = 3_600_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_INT = re.compile(r"[+-]?\d+", re.ASCII)  # Go's digits are ASCII ones


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


def signing_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a signing key (it must be hex of even length after an optional
    ``signkey-<env>-`` prefix), or None."""
    bare = strip_prefix(key)
    if not bare:
        return "--signing-key is empty"
    if not is_hex_body(bare):
        return "--signing-key must be hex of even length (optionally after signkey-<env>-)"
    return None


class SigningKeyAuth:
    """``Authorization: Bearer <token>`` where the token, prefix stripped, is the key itself or
    the hex SHA-256 of its bytes (what the SDKs send); ``fallbacks`` are accepted too (a key
    being rotated out)."""

    def __init__(self, key: str, *fallbacks: str) -> None:
        self._accepted = tuple(
            token
            for bare in map(strip_prefix, (key, *fallbacks))
            for token in (bare.encode(), hashlib.sha256(bytes.fromhex(bare)).hexdigest().encode())
        )

    def allows(self, header: str | None) -> bool:
        # Like Inngest's TokenFromHeader: "bearer" in any case, then everything after one more
        # character.
        if not header or len(header) <= 7 or header[:6].lower() != "bearer":
            return False
        token = strip_prefix(header[7:]).encode("utf-8", "surrogateescape")
        return any(hmac.compare_digest(token, accepted) for accepted in self._accepted)


# -- run operations (DELETE /v1/runs/{id}, jobs, app functions, bulk cancellations) -----------

Answer = tuple[int, bytes, str | None, tuple[tuple[str, str], ...]]
"""(status, body, Content-Type, extra headers): what the HTTP layer sends back."""

_JSON = "application/json"
_GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_ZERO_TIME_MS = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // _MS
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})",
                      re.ASCII)
_INVALID_REQUEST = "Invalid cancellation request"


class _Invalid(Exception):
    """The cancellation body does not decode (Go's json.Decoder would fail)."""


def app_functions(app: str, store: Store) -> Answer:
    """serve runs no functions: an app's functions exist only when something stored them."""
    return 200, go_json([function_object(row) for row in store.app_functions(app)]), _JSON, ()


def list_cancellations(store: Store) -> Answer:
    cancellations = [cancellation_object(row) for row in store.list_cancellations()]
    return 200, envelope(cancellations), _JSON, ()


def delete_cancellation(ident: str, store: Store) -> Answer:
    if parse_ulid(ident) is None:
        return _error(400, "Invalid cancellation ID")
    if not store.delete_cancellation(ident.upper()):
        return _error(404, "Cancellation not found")
    return 200, envelope({"ok": True}), _JSON, ()


def _error(status: int, message: str) -> Answer:
    return status, error_body(message, status), _JSON, ()


def cancel_run(ident: str, store: Store) -> Answer:
    run_id = parse_ulid(ident)
    if run_id is None:
        return _error(400, f"Invalid run ID: {ident}")
    # Inngest answers 200 and changes nothing for a run that has already finished.
    if store.cancel_run(run_id, time.time_ns() // 1_000_000) is None:
        return _error(404, f"Unable to load function run: {run_id}")
    return 200, b"", _JSON, ()


def run_jobs(ident: str, store: Store) -> Answer:
    run_id = parse_ulid(ident)
    if run_id is None:
        return _error(400, f"Invalid run ID: {ident}")
    if store.get_run(run_id) is None:  # sic: a 500 that echoes the raw path segment
        return _error(500, f"Unable to load function run: {ident}")
    return 200, envelope([], 5), _JSON, (("Cache-Control", "private, max-age=5"),)


def create_cancellation(body: bytes, store: Store) -> Answer:
    try:
        request = decode_cancellation(body)
    except _Invalid:
        return _error(400, _INVALID_REQUEST)
    problems = request.problems(time.time_ns() // 1_000_000)
    if problems:
        return _error(400, "\n".join(problems))
    function = store.function_by_slug(request.function_id)  # app_id is not checked, as in OSS
    if function is None:
        return _error(404, "function not found")
    internal_id, app_id, _app_name, slug = function[:4]
    row: CancellationRow = (new_ulid(), time.time_ns() // 1_000_000, app_id, internal_id, slug,
                            request.started_after, request.started_before or 0,
                            request.if_expression)
    store.insert_cancellation(row)
    return 200, envelope(cancellation_object(row)), _JSON, ()


def decode_cancellation(body: bytes) -> CancellationRequest:
    """The request as Go's decoder reads it: the first JSON value, keys matched without regard
    to case, unknown keys ignored, ``null`` for "not given"; times strictly RFC 3339."""
    text = body.decode("utf-8", "replace").lstrip()
    try:
        value, _end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        raise _Invalid from None
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise _Invalid
    fields = {key.lower(): item for key, item in value.items()}
    return CancellationRequest(
        app_id=_string(fields.get("app_id")) or "",
        function_id=_string(fields.get("function_id")) or "",
        started_before=_time(fields.get("started_before")),
        started_after=_time(fields.get("started_after")),
        if_expression=_string(fields.get("if")),
    )


def _string(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Invalid


def _time(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise _Invalid
    ms = parse_go_time_ms(value)
    if ms is None:
        raise _Invalid
    return None if ms == _ZERO_TIME_MS else ms


def function_object(row: FunctionRow) -> dict[str, Any]:
    internal_id, app_id, _app_name, slug, name, config, created_at = row
    return {"internal_id": internal_id, "env_id": NIL_UUID, "app_id": app_id, "id": slug,
            "name": name, "config": orjson.Fragment(config), "created_at": rfc3339_ms(created_at),
            "archived_at": _GO_ZERO_TIME}


def cancellation_object(row: CancellationRow) -> dict[str, Any]:
    cancellation_id, created_at, app_id, function_internal_id, slug, after, before, expr = row
    obj: dict[str, Any] = {
        "created_at": rfc3339_ms(created_at), "name": None, "id": cancellation_id,
        "account_id": NIL_UUID, "environment_id": DEV_ENV_ID, "app_id": app_id,
        "function_internal_id": function_internal_id, "function_id": slug,
        "started_after": None if after is None else rfc3339_ms(after),
        "started_before": rfc3339_ms(before),
    }
    if expr is not None:
        obj["if"] = expr
    obj.update({"kind": "bulk_run", "cause": "API", "queue_name": None})
    return obj
