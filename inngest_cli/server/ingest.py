"""`POST /e/{key}` without the I/O: body → validated events → internal IDs (docs/protocol.md §2-§6).

The pipeline follows Inngest's: the first non-space byte picks the shape (``{`` one event, ``[`` an
array, nothing at all zero events, anything else a 400); array elements are taken one at a time,
each size-checked on its raw bytes, then decoded and validated; the first problem stops the request
and everything before it is still stored.  The fast path parses a body of at most 3 MiB with orjson
in one call (no element can be oversize then); larger or malformed bodies are walked element by
element with the stdlib decoder so sizes and the stopping point are exact.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from inngest_cli.ids import CROCKFORD, IdSeed, encode_ulid
from inngest_cli.jsontext import go_sorted_json
from inngest_cli.validation import (
    MAX_EVENT_BYTES,
    MAX_EVENTS_PER_REQUEST,
    canonical_fields,
    event_problem,
    size_problem,
)

NOT_EVENTS = "Request body must contain an event object or an array of event objects"
TOO_MANY = f"Cannot have more than {MAX_EVENTS_PER_REQUEST} events in a batch"

Accepted = tuple[str, str, str | None, str | None, int, str | None]
"""One valid event: (name, id or "", data JSON or None, user JSON or None, ts or 0, v or None)."""

_WS = re.compile(r"[ \t\r\n]*")
_WS_BYTES = b" \t\r\n"

# The Go struct the server decodes into, for its error messages; JSON field names match it
# case-insensitively, as encoding/json does.
_FIELD_TYPES: dict[str, type] = {"name": str, "data": dict, "user": dict, "id": str, "ts": int,
                                  "v": str}
_GO_TYPES = {"name": "string", "data": "map[string]interface {}",
             "user": "map[string]interface {}", "id": "string", "ts": "int64", "v": "string"}
_GO_KINDS: dict[type, str] = {str: "string", bool: "bool", int: "number", float: "number",
                              list: "array", dict: "object"}


class _Stop(Exception):
    """Ends an array walk: the message is the request's error."""


def _go_kind(value: Any, field: str | None = None) -> str:
    kind = _GO_KINDS.get(type(value), "value")
    if field == "ts" and isinstance(value, float):  # Go names the literal for int targets
        return f"number {value!r}"
    return kind


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]").search
_SURROGATES = re.compile("[\ud800-\udfff]")


def _scrub_text(text: str) -> str:
    return _SURROGATES.sub("\ufffd", text)


def _scrub(value: Any) -> Any:
    """``value`` with every lone surrogate (from a ``\\udXXX`` escape without its pair) replaced
    by U+FFFD, as Go's decoder does; iterative, so any depth is fine."""
    if type(value) is str:
        return _scrub_text(value)
    if type(value) is not dict and type(value) is not list:
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        parent, slot = stack.pop()
        item = parent[slot]
        if type(item) is str:
            parent[slot] = _scrub_text(item)
        elif type(item) is dict:
            # Later keys win when two scrub to the same text, as later keys do in Go's maps.
            fresh = {_scrub_text(k) if type(k) is str else k: v for k, v in item.items()}
            parent[slot] = fresh
            stack.extend((fresh, key) for key in fresh)
        elif type(item) is list:
            fresh_list = list(item)
            parent[slot] = fresh_list
            stack.extend((fresh_list, index) for index in range(len(fresh_list)))
    return root[0]


def check_event(obj: Any) -> tuple[Accepted | None, str | None]:
    """Decode one event the way the server does; returns the accepted fields or the error."""
    if type(obj) is not dict:
        if obj is not None:
            return None, f"json: cannot unmarshal {_go_kind(obj)} into Go value of type event.raw"
        obj = {}
    folded = False
    for key, value in obj.items():
        expected = _FIELD_TYPES.get(key)
        field = key
        if expected is None:
            lowered = key.lower()
            expected = _FIELD_TYPES.get(lowered)
            if expected is None:
                continue
            field, folded = lowered, True
        if value is not None and type(value) is not expected:
            return None, (f"json: cannot unmarshal {_go_kind(value, field)} into Go struct field "
                          f"raw.{field} of type {_GO_TYPES[field]}")
    if folded:  # later keys win and null leaves a field alone, as in Go
        obj = canonical_fields(obj)
    problem = event_problem(obj)
    if problem is not None:
        return None, problem
    data = obj.get("data")
    if data is not None and "_inngest" in data:
        data = {k: v for k, v in data.items() if k != "_inngest"}
    user = obj.get("user")
    return (obj["name"], obj.get("id") or "", None if data is None else go_sorted_json(data),
            go_sorted_json(user) if user else None, obj.get("ts") or 0, obj.get("v") or None), None


def _accept(elements: Iterable[Any]) -> tuple[list[Accepted], str | None]:
    accepted: list[Accepted] = []
    append = accepted.append
    try:
        for obj in elements:
            if len(accepted) == MAX_EVENTS_PER_REQUEST:
                return accepted, TOO_MANY
            fields, problem = check_event(obj)
            if fields is None:
                return accepted, problem
            append(fields)
    except _Stop as stop:
        return accepted, str(stop)
    return accepted, None


def parse_body(body: bytes) -> tuple[list[Accepted], str | None]:
    """The valid events at the start of ``body`` and the error that stopped it, if any."""
    text_start = len(body) - len(body.lstrip(_WS_BYTES))
    if text_start == len(body):
        return [], None
    first = body[text_start]
    if first == 0x7B:  # {
        problem = size_problem(len(body) - text_start, MAX_EVENT_BYTES)
        if problem is not None:
            return [], problem
        try:
            obj = orjson.loads(body)
        except orjson.JSONDecodeError:
            try:
                obj = _loads_slow(body)
            except _Stop as stop:
                return [], str(stop)
            if _SURROGATE_ESCAPE(body):
                obj = _scrub(obj)
        return _accept((obj,))
    if first == 0x5B:  # [
        if len(body) <= MAX_EVENT_BYTES:
            try:
                elements = orjson.loads(body)
            except orjson.JSONDecodeError:
                pass
            else:
                return _accept(elements)
        text = body.decode("utf-8", "replace")
        start = len(text) - len(text.lstrip(" \t\r\n")) + 1
        elements = _walk_array(text, start)
        if _SURROGATE_ESCAPE(body):
            elements = map(_scrub, elements)
        return _accept(elements)
    return [], NOT_EVENTS


# -- the exact, element-by-element path --------------------------------------------------------


def _parse_int(literal: str) -> int | float:
    # orjson's range; beyond it numbers become floats, as in Go.  (int() refuses more than 4300
    # digits, and no integer of more than 20 digits and a sign is inside the range.)
    if len(literal) <= 21:
        value = int(literal)
        if -(1 << 63) <= value < (1 << 64):
            return value
    return _parse_float(literal)


def _parse_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise _Stop(f"json: cannot unmarshal number {literal} into Go value of type float64")
    return value


def _stop_on_constant(literal: str) -> Any:
    """NaN/Infinity end the whole request with Go's syntax error (Go has no such literals);
    unlike the client's readers, which fail only the element that holds one."""
    raise _Stop(f"invalid character {_quote(literal[0])} looking for beginning of value")


_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float,
                            parse_constant=_stop_on_constant)


def _quote(char: str) -> str:
    if char == "'":
        return "'\\''"
    if char == '"':
        return "'\"'"
    return "'" + json.dumps(char, ensure_ascii=False)[1:-1] + "'"


def _syntax_error(text: str, pos: int, eof: str) -> _Stop:
    if pos >= len(text.rstrip(" \t\r\n")):
        return _Stop(eof)
    return _Stop(f"invalid character {_quote(text[pos])} looking for beginning of value")


def _loads_slow(body: bytes) -> Any:
    text = body.decode("utf-8", "replace")
    start = _WS.match(text).end()  # type: ignore[union-attr]
    try:
        obj, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise _syntax_error(text, error.pos, "unexpected end of JSON input") from None
    except RecursionError:
        raise _Stop("exceeded max depth") from None
    end = _WS.match(text, end).end()  # type: ignore[union-attr]
    if end < len(text):
        raise _Stop(f"invalid character {_quote(text[end])} after top-level value")
    return obj


def _walk_array(text: str, pos: int) -> Iterator[Any]:
    """Yield the elements of the array whose ``[`` ends at ``pos``, like Go's Decoder.More/Decode
    loop: an unterminated array just ends, a bad element raises `_Stop`."""
    ws = _WS.match
    decode = _DECODER.raw_decode
    n = len(text)
    count = 0
    pos = ws(text, pos).end()  # type: ignore[union-attr]
    while pos < n and text[pos] not in "]}":
        if count:
            if count == MAX_EVENTS_PER_REQUEST:
                raise _Stop(TOO_MANY)
            if text[pos] != ",":
                raise _Stop(f"invalid character {_quote(text[pos])} after array element")
            pos = ws(text, pos + 1).end()  # type: ignore[union-attr]
        try:
            obj, end = decode(text, pos)
        except json.JSONDecodeError as error:
            raise _syntax_error(text, error.pos, "unexpected EOF") from None
        except RecursionError:
            raise _Stop("exceeded max depth") from None
        size = end - pos
        if size * 4 > MAX_EVENT_BYTES:  # a character is 1-4 bytes: only then count bytes
            size = len(text[pos:end].encode())
            problem = size_problem(size, MAX_EVENT_BYTES)
            if problem is not None:
                raise _Stop(problem)
        yield obj
        count += 1
        pos = ws(text, end).end()  # type: ignore[union-attr]


# -- internal IDs ---------------------------------------------------------------------------

_TAIL_BITS = 15
_TAIL_SIZE = 1 << _TAIL_BITS
_TAILS: list[str] = []
_TAILS_LOCK = threading.Lock()
_ENTROPY_LIMIT = 1 << 80


def _tails() -> list[str]:
    """The last three ULID characters for every value of the low 15 bits, built on first use.

    (Built whole, then added in one step under a lock: requests on other threads must never see
    a half-built table, which would give them too few IDs.)"""
    if len(_TAILS) != _TAIL_SIZE:
        with _TAILS_LOCK:
            if not _TAILS:
                c = CROCKFORD
                _TAILS.extend([c[v >> 10] + c[(v >> 5) & 31] + c[v & 31]
                               for v in range(_TAIL_SIZE)])
    return _TAILS


def ulid_run(ms: int, start: int, count: int) -> list[str]:
    """The ULIDs with timestamp ``ms`` and entropy ``start``, ``start + 1``, ... (``count`` of
    them, ``start + count <= 2**80``): the first 23 characters change only every 32768 IDs."""
    tails = _tails()
    out: list[str] = []
    value = start
    end = start + count
    while value < end:
        high, low = value >> _TAIL_BITS, value & (_TAIL_SIZE - 1)
        take = min(end - value, _TAIL_SIZE - low)
        head = encode_ulid(ms, (high << _TAIL_BITS).to_bytes(10, "big"))[:23]
        out.extend([head + tail for tail in tails[low:low + take]])
        value += take
    return out


def seeded_ids(seed: IdSeed, count: int) -> list[str]:
    """``[seed.event_id(1), ..., seed.event_id(count)]``, fast: the seed's last four bytes are
    a counter that wraps at 2**32, so the IDs are at most two runs of consecutive entropies."""
    fixed = int.from_bytes(seed.entropy[:6], "big") << 32
    first = (int.from_bytes(seed.entropy[6:], "big") + 1) & 0xFFFF_FFFF
    before_wrap = min(count, (1 << 32) - first)
    ids = ulid_run(seed.ms, fixed | first, before_wrap)
    if before_wrap < count:
        ids += ulid_run(seed.ms, fixed, count - before_wrap)
    return ids


class IdAllocator:
    """Internal event IDs: from the request's seed when it has one, else random ULIDs that
    increase monotonically across requests, so newest-first by ID is arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ms = 0
        self._next = 0

    def allocate(self, count: int, now_ms: int,
                 seed: IdSeed | None = None) -> tuple[list[str], int]:
        """``count`` IDs and the millisecond timestamp they carry."""
        if seed is not None:
            return seeded_ids(seed, count), seed.ms
        with self._lock:
            ms = max(now_ms, self._ms)
            start = self._next
            if ms > self._ms or start + count >= _ENTROPY_LIMIT:
                if ms == self._ms:
                    ms += 1
                # 79 random bits: room for 2**79 increments within one millisecond.
                start = int.from_bytes(os.urandom(10), "big") >> 1
            self._ms, self._next = ms, start + count
        return ulid_run(ms, start, count), ms
