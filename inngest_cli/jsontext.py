"""The JSON encoders, side by side. Each differs from the others on purpose:

- `dumps`: compact JSON for what the client sends and prints; what orjson refuses goes through
  the stdlib, so any decoded input can be written back.
- `go_json`: a response body as Go's `json.Encoder` writes it (HTML-safe escapes, a newline).
- `go_sorted_json`: a stored value as Go encodes a map (sorted keys), at any depth.

Plain `orjson.dumps` calls elsewhere (records on stdout, checkpoints) need none of this.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_GO_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
               ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


class EncodeError(ValueError):
    """A decoded value that cannot be written back as JSON (nested too deeply)."""


def dumps(value: Any) -> bytes:
    """Compact JSON, what the client sends and prints. What orjson refuses (integers beyond 64
    bits, lone surrogates from `\\ud800` escapes, nesting past 255 levels) goes through the
    stdlib, ASCII-escaped so it round-trips."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        pass
    try:
        return json.dumps(value, separators=(",", ":")).encode()
    except RecursionError:
        raise EncodeError("nested too deeply to encode") from None


def go_json(value: Any) -> bytes:
    """``value`` as Go's json.Encoder writes it (HTML-safe escapes, trailing newline): the
    bodies `serve` answers with, byte for byte what Inngest sends."""
    body = orjson.dumps(value)
    for raw, escaped in _GO_ESCAPES:
        if raw in body:
            body = body.replace(raw, escaped)
    return body + b"\n"


def go_sorted_json(value: dict[str, Any]) -> str:
    """JSON text with sorted keys, as Go's encoding of a map has them (how `serve` stores an
    event's ``data`` and ``user``); any depth."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:  # nesting deeper than orjson's limit of 254
        return go_sorted_json_deep(value)


class _Close(str):
    """A closing bracket (or other literal text) waiting on `go_sorted_json_deep`'s stack."""


def go_sorted_json_deep(value: Any) -> str:
    """`go_sorted_json` without recursion, for values nested deeper than orjson encodes (Go
    decodes up to 10,000 levels; the decoders here stop near 1,000)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if type(item) is _Close:
            out.append(item)
        elif type(item) is dict:
            out.append("{")
            stack.append(_Close("}"))
            keys = sorted(item, reverse=True)
            for index, key in enumerate(keys):
                stack.append(item[key])
                comma = "," if index < len(keys) - 1 else ""
                stack.append(_Close(comma + orjson.dumps(key).decode() + ":"))
        elif type(item) is list:
            out.append("[")
            stack.append(_Close("]"))
            for index in range(len(item) - 1, -1, -1):
                stack.append(item[index])
                if index:
                    stack.append(_Close(","))
        else:
            out.append(orjson.dumps(item).decode())
    return "".join(out)
