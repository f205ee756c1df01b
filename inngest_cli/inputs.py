"""Streaming event input: NDJSON line by line, JSON arrays element by element, or single objects.

Nothing here holds more than one record (plus one read chunk) in memory, whatever the input size.
Each record keeps the bytes it came as, so a failed record can be written out unchanged for replay.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal

import orjson

from inngest_cli.validation import json_error

Format = Literal["auto", "ndjson", "json"]
FORMATS: tuple[str, ...] = ("auto", "ndjson", "json")
BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 20
HARD_MAX_RECORD = 64 << 20  # a record larger than this is reported and skipped, never buffered
_WS = " \t\r\n"


@dataclass(slots=True)
class Record:
    """One input value: where it came from, its raw bytes, and its decoded value or error."""

    source: str
    line: int
    raw: bytes
    value: Any = None
    error: str | None = None


def _skip_leading_space(stream: BinaryIO) -> tuple[bytes, int]:
    """Peek at the first non-space byte without consuming it; returns (byte or b'', newlines skipped)."""
    newlines = 0
    first = True
    while True:
        head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
        if not head:
            return b"", newlines
        if first and head.startswith(BOM):
            stream.read(len(BOM))
            first = False
            continue
        first = False
        stripped = head.lstrip(b" \t\r\n")
        consumed = len(head) - len(stripped)
        newlines += head.count(b"\n", 0, consumed)
        stream.read(consumed)
        if stripped:
            return stripped[:1], newlines


def detect_format(stream: BinaryIO) -> tuple[Format, int]:
    """Decide NDJSON vs JSON from the first non-space byte (consuming only leading whitespace).

    `[` is a JSON array. `{` is NDJSON when the first line holds one whole JSON value, else a
    (pretty-printed) JSON object or a stream of them, as `jq` prints without `-c`.
    """
    first, newlines = _skip_leading_space(stream)
    if first != b"{":
        return "json", newlines
    head = stream.peek(CHUNK)
    end = head.find(b"\n")
    line = head if end < 0 else head[:end]
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return "json", newlines
    return "ndjson", newlines


def read_records(stream: BinaryIO, source: str, fmt: Format = "auto") -> Iterator[Record]:
    """Yield the records of one source in input order."""
    offset = 0
    if fmt == "auto":
        fmt, offset = detect_format(stream)
    if fmt == "ndjson":
        yield from _ndjson(stream, source, offset)
    else:
        yield from _json_values(stream, source, offset)


def _ndjson(stream: BinaryIO, source: str, offset: int = 0) -> Iterator[Record]:
    loads = orjson.loads
    readline = stream.readline
    lineno = offset
    while True:
        raw = readline(HARD_MAX_RECORD)
        if not raw:
            return
        lineno += 1
        if len(raw) == HARD_MAX_RECORD and not raw.endswith(b"\n"):
            size = len(raw)
            while chunk := readline(CHUNK):
                size += len(chunk)
                if chunk.endswith(b"\n"):
                    break
            yield Record(source, lineno, b"", error=f"line is {size} bytes, too large to read")
            continue
        if lineno == offset + 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        data = raw.strip()
        if not data:
            continue
        try:
            yield Record(source, lineno, data, loads(data))
        except orjson.JSONDecodeError as exc:
            yield Record(source, lineno, data, error=f"invalid JSON: {json_error(exc)}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


class _TextBuffer:
    """Incrementally decoded UTF-8 text with a read position and line counting."""

    def __init__(self, stream: BinaryIO, line: int) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.text = ""
        self.pos = 0
        self.eof = False
        self.line = line
        self._counted = 0

    def fill(self) -> bool:
        """Read one more chunk; False at end of input. Raises UnicodeDecodeError."""
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if self.pos > CHUNK:
            self.advance_lines(self.pos)
            self.text = self.text[self.pos:]
            self._counted -= self.pos
            self.pos = 0
        if not chunk:
            self.eof = True
            self.text += self.decoder.decode(b"", final=True)
            return False
        self.text += self.decoder.decode(chunk)
        return True

    def advance_lines(self, upto: int) -> int:
        if upto > self._counted:
            self.line += self.text.count("\n", self._counted, upto)
            self._counted = upto
        return self.line

    def skip_space(self) -> str:
        """Skip whitespace; return the next character ('' at end of input)."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in _WS:
                pos += 1
            self.pos = pos
            if pos < len(text):
                return text[pos]
            if not self.fill():
                return ""


def _json_values(stream: BinaryIO, source: str, offset: int) -> Iterator[Record]:
    """JSON arrays (element by element) and whitespace-separated JSON values.

    A syntax error ends the source: after one there is no reliable next element.
    """
    buf = _TextBuffer(stream, 1 + offset)
    in_array = False
    expect_value = True
    try:
        while True:
            char = buf.skip_space()
            if not char:
                if in_array:
                    yield Record(source, buf.advance_lines(buf.pos), b"",
                                 error="invalid JSON: the array is not closed (truncated input?)")
                return
            if in_array and char == "]":
                buf.pos += 1
                in_array, expect_value = False, True
                continue
            if in_array and not expect_value:
                if char != ",":
                    yield Record(source, buf.advance_lines(buf.pos), b"",
                                 error=f"invalid JSON: expected ',' or ']', found {char!r}")
                    return
                buf.pos += 1
                expect_value = True
                continue
            if not in_array and char == "[":
                buf.pos += 1
                in_array = True
                if buf.skip_space() == "]":
                    buf.pos += 1
                    in_array = False
                continue
            record = _decode_one(buf, source)
            yield record
            if record.error:
                return
            expect_value = not in_array
    except UnicodeDecodeError as exc:
        yield Record(source, buf.advance_lines(buf.pos), b"",
                     error=f"invalid UTF-8 at byte offset {exc.start} of a read chunk")


def _decode_one(buf: _TextBuffer, source: str) -> Record:
    start = buf.pos
    while True:
        try:
            value, end = _DECODER.raw_decode(buf.text, buf.pos)
        except json.JSONDecodeError as exc:
            near_end = exc.pos >= len(buf.text) - 8 or "Unterminated" in exc.msg
            if not buf.eof and near_end and len(buf.text) - buf.pos < HARD_MAX_RECORD:
                offset = buf.pos - start
                buf.fill()
                start = buf.pos - offset
                continue
            line = buf.advance_lines(min(exc.pos, len(buf.text)))
            return Record(source, line, b"", error=f"invalid JSON: {exc.msg}")
        except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
            return Record(source, buf.advance_lines(start), b"", error=f"invalid JSON: {exc}")
        line = buf.advance_lines(start)
        buf.pos = end
        return Record(source, line, buf.text[start:end].encode(), value)
