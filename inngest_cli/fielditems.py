"""HTTPie-style field items for quick payloads.

    data.user.id=42        string value "42"
    data.count:=42         raw JSON value (number, bool, null, object, array)
    data.body=@note.txt    string read from a file
    data.tags:=@tags.json  JSON read from a file
    data.a\\.b=1            a literal dot in a key (escape `.`, `=`, `:`, `@` and `\\` with `\\`)

Paths start at `data` or `user`; intermediate objects are created as needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import orjson

from inngest_cli.errors import UsageError
from inngest_cli.validation import json_error

SEP_STRING = "="
SEP_JSON = ":="
FILE_PREFIX = "@"
ROOTS = ("data", "user")


class FieldItem(msgspec.Struct, frozen=True):
    token: str
    path: tuple[str, ...]
    value: Any


def looks_like_item(token: str) -> bool:
    """True when ``token`` has an unescaped `=` (so it is a field item, not a file path)."""
    escaped = False
    for char in token:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "=":
            return True
    return False


def parse_item(token: str) -> FieldItem:
    """Parse one `path=value` / `path:=json` token; errors quote the token and name the bad part."""
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"field item {token!r}: not valid UTF-8") from None
    segments: list[str] = []
    current: list[str] = []
    i = 0
    sep: str | None = None
    while i < len(token):
        char = token[i]
        if char == "\\" and i + 1 < len(token):
            current.append(token[i + 1])
            i += 2
            continue
        if char == ".":
            segments.append("".join(current))
            current = []
        elif token.startswith(SEP_JSON, i):
            sep = SEP_JSON
            i += len(SEP_JSON)
            break
        elif char == SEP_STRING:
            sep = SEP_STRING
            i += 1
            break
        else:
            current.append(char)
        i += 1
    segments.append("".join(current))
    if sep is None:
        raise UsageError(f"field item {token!r}: expected path=value or path:=json")
    raw_value = token[i:]
    if any(not s for s in segments):
        raise UsageError(f"field item {token!r}: empty key in path {'.'.join(segments)!r}")
    if segments[0] not in ROOTS or len(segments) < 2:
        raise UsageError(
            f"field item {token!r}: path must start with data. or user.",
            hint=f"e.g. data.{segments[-1]}{sep}{raw_value}",
        )
    value = _value(token, sep, raw_value)
    return FieldItem(token=token, path=tuple(segments), value=value)


def _value(token: str, sep: str, raw: str) -> Any:
    if raw.startswith(FILE_PREFIX):
        path = Path(raw[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"field item {token!r}: cannot read {path}: {_reason(exc)}") from None
        if sep == SEP_STRING:
            return text
        raw = text
    elif raw.startswith("\\@"):
        raw = raw[1:]
    if sep == SEP_STRING:
        return raw
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UsageError(
            f"field item {token!r}: value is not valid JSON ({json_error(exc)})"
        ) from None


def _reason(exc: Exception) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def apply_items(event: dict[str, Any], items: list[FieldItem]) -> None:
    """Set each item's value at its path in ``event``, creating objects as needed."""
    for item in items:
        target = event
        for depth, key in enumerate(item.path[:-1]):
            child = target.get(key)
            if child is None:
                child = target[key] = {}
            elif not isinstance(child, dict):
                where = ".".join(item.path[: depth + 1])
                raise UsageError(
                    f"field item {item.token!r}: {where} is not an object, cannot set a key in it"
                )
            target = child
        target[item.path[-1]] = item.value
