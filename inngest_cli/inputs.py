"""Streaming event input: NDJSON line by line, JSON arrays element by element, or single objects.

Nothing here holds more than one record (plus one read chunk) in memory, whatever the input size.
Each record keeps the bytes it came as, so a failed record can be written out unchanged for replay.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator
from typing import IO, Any

import msgspec
import orjson

from inngest_cli.formats import INPUT_FORMATS, InputFormat
from inngest_cli.units import size_texts
from inngest_cli.validation import json_error

Format = InputFormat  # the readers' names for the one definition in `formats`
FORMATS = INPUT_FORMATS

BOM = b"\xef\xbb\xbf"
# Bytes per read. 256 KiB rather than 1 MiB: a read's lines, their decoded values and events then
# stay in the CPU's caches from split to send; shaping 200k NDJSON events took 25-30% less CPU
# (154-176 ms vs 225-243 ms, side by side) and a bulk send to the null sink 8% less CPU and 5%
# less time (15 interleaved rounds); JSON arrays read as fast either way.
CHUNK = 256 << 10
HARD_MAX_RECORD = 64 << 20  # a record larger than this is reported and skipped, never buffered
_WS = " \t\r\n"


class Record(msgspec.Struct):
    """One input value: where it came from, its raw bytes, and its decoded value or error.

    NDJSON values are decoded by orjson, which turns integers beyond 64 bits into floats; `raw`
    keeps them exact, and `payload.exact_value` re-decodes when a value must be re-encoded.
    """

    source: str
    line: int
    raw: bytes
    value: Any = None
    error: str | None = None
    element: int | None = None  # for an element of a JSON array: its 0-based index there


def _skip_leading_space(stream: io.BufferedReader) -> tuple[bytes, int]:
    """Consume a UTF-8 BOM and leading whitespace.

    Returns the next byte (b'' at the end) and the number of newlines skipped.
    """
    newlines = 0
    if stream.peek(len(BOM))[: len(BOM)] == BOM:
        stream.read(len(BOM))
    while True:
        head = stream.peek(4096)[:4096]
        if not head:
            return b"", newlines
        stripped = head.lstrip(b" \t\r\n")
        consumed = len(head) - len(stripped)
        newlines += head.count(b"\n", 0, consumed)
        stream.read(consumed)
        if stripped:
            return stripped[:1], newlines


def detect_format(stream: io.BufferedReader) -> tuple[Format, int, bytes]:
    """Decide NDJSON vs JSON from the first non-space byte.

    `[` is a JSON array; `{` is NDJSON when the first line holds one whole JSON value, else a
    (pretty-printed) JSON object or a stream of them, as `jq` prints without `-c`.  A first line
    that is broken *before its end* (not merely unfinished) is a bad NDJSON line: treating it as
    the start of a JSON document would end the source there and lose every later line.
    Returns the format, the blank lines skipped, and the bytes consumed past them.
    """
    first, newlines = _skip_leading_space(stream)
    if first in (b"[", b""):
        return "json", newlines, b""
    line = stream.readline(HARD_MAX_RECORD)
    if first != b"{" or _too_large(line):
        # Not JSON at all, or a first line too large to hold: a bad first line, reported alone
        # (the NDJSON reader reports a line at the hard limit as too large); later lines go on.
        return "ndjson", newlines, line
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return ("json" if _unfinished(line) else "ndjson"), newlines, line
    return "ndjson", newlines, line


def _too_large(line: bytes) -> bool:
    """True for what `readline(HARD_MAX_RECORD)` returns when the line goes on past the limit."""
    return len(line) >= HARD_MAX_RECORD and not line.endswith(b"\n")


def _unfinished(line: bytes) -> bool:
    """True when ``line`` is the start of a JSON value that goes on past the line's end."""
    text = line.decode("utf-8", "surrogateescape").rstrip()
    try:
        _NotingDecoder().decode(text)
    except json.JSONDecodeError as exc:
        # The stdlib has no error codes: "Unterminated string starting at" is the one message
        # (json.decoder's wording, stable since Python 3.1) for a string cut by the line's end.
        return exc.pos >= len(text) - 1 or "Unterminated" in exc.msg
    except RecursionError:
        return False
    return False


def buffered(stream: IO[bytes]) -> io.BufferedReader:
    """A stream that can `peek` (files and stdin are; BytesIO, as in CliRunner, is wrapped)."""
    if isinstance(stream, io.BufferedReader):
        return stream
    return io.BufferedReader(stream)  # type: ignore[arg-type]


class Lines(msgspec.Struct):
    """Consecutive NDJSON lines of one source, undecoded, as one read gave them: line number
    ``first + i`` is ``lines[i]`` (blank lines included, so numbers need no counting)."""

    source: str
    first: int
    lines: list[bytes]
    text: bytes | None = None  # the read all lines but the first came in (see line_chunks)


def read_records(stream: IO[bytes], source: str, fmt: Format = "auto") -> Iterator[Record]:
    """Yield the records of one source in input order (see detect_format for `auto`)."""
    for item in read_chunks(stream, source, fmt):
        if type(item) is Record:
            yield item
            continue
        assert isinstance(item, Lines)
        for number, raw in enumerate(item.lines, item.first):
            record = line_record(source, number, raw)
            if record is not None:
                yield record


def read_chunks(stream: IO[bytes], source: str, fmt: Format = "auto") -> Iterator[Record | Lines]:
    """`read_records`, except that NDJSON comes a read at a time, as `Lines` not yet decoded
    (`line_record` decodes one exactly as `read_records` does); a record is a line too large to
    read, or a value of a JSON document."""
    reader = buffered(stream)
    if fmt == "auto":
        fmt, offset, consumed = detect_format(reader)
    else:
        _, offset = _skip_leading_space(reader)
        consumed = b""
    if fmt == "ndjson":
        yield from _ndjson_chunks(reader, source, offset, consumed)
    else:
        # A `{`-document that turns out broken may be NDJSON with a bad first line: go on line by
        # line after the error rather than drop the rest. An array (or --format json) stops.
        yield from _json_values(reader, source, offset, consumed, lines_after_error=bool(consumed))


def _ndjson_chunks(
    stream: IO[bytes], source: str, offset: int, first: bytes = b""
) -> Iterator[Record | Lines]:
    lineno = offset + 1  # the number of the next line
    texts: list[bytes] = []
    for lines in line_chunks(stream, first, texts):
        if isinstance(lines, int):
            yield too_large(source, lineno, lines)
            lineno += 1
        else:
            yield Lines(source, lineno, lines, texts.pop() if texts else None)
            lineno += len(lines)


def line_chunks(
    stream: IO[bytes], head: bytes = b"", texts: list[bytes] | None = None
) -> Iterator[list[bytes] | int]:
    """The input's lines (without their newline) in order, a read at a time: one `list` per read,
    split in C rather than line by line. A line of ``HARD_MAX_RECORD`` bytes or more is never
    held: it comes as an `int`, its size (newline included), in its place.

    With ``texts``, each list's read is put there before the list is yielded: bytes that hold
    all its lines but the first (which may have begun in earlier reads), and maybe the start of
    the next line, for screens that are cheaper on one buffer than line by line.

    Reads with `read1`, which returns what is available, so a live input (a pipe that has not
    ended) yields each line as soon as it is complete. ``head`` is input already consumed.
    """
    read = getattr(stream, "read1", stream.read)
    parts: list[bytes] = []  # the unfinished last line, in pieces (no quadratic joining)
    held = 0  # its length so far
    skipping = False  # counting the bytes of a too-large line instead of keeping them
    chunk = head
    while True:
        if not chunk:
            chunk = read(CHUNK)
            if not chunk:
                break
        lines = chunk.split(b"\n")
        tail = lines.pop()  # what follows the last newline: the start of an unfinished line
        if lines:
            if skipping:
                yield held + len(lines[0]) + 1
                skipping, held = False, 0
                del lines[0]
            elif parts:
                parts.append(lines[0])
                lines[0] = b"".join(parts)
                parts.clear()
                held = 0
            if not lines:
                pass
            elif len(lines[0]) >= HARD_MAX_RECORD or len(chunk) >= HARD_MAX_RECORD:
                yield from _sized(lines)  # only a joined first line or a big head can be
            else:
                if texts is not None:  # the read itself, not a copy: its partial lines
                    texts.append(chunk)  # can only raise a false alarm in a screen
                yield lines
        chunk = b""
        if tail:
            held += len(tail)
            if not skipping:
                parts.append(tail)
                if held >= HARD_MAX_RECORD:
                    skipping = True
                    parts.clear()
    if skipping:
        yield held
    elif parts:
        line = b"".join(parts)
        if len(line) >= HARD_MAX_RECORD:
            yield len(line)
        else:
            yield [line]


def _sized(lines: list[bytes]) -> Iterator[list[bytes] | int]:
    """``lines`` with each line at or over the hard limit replaced by its size."""
    run: list[bytes] = []
    for line in lines:
        if len(line) < HARD_MAX_RECORD:
            run.append(line)
            continue
        if run:
            yield run
            run = []
        yield len(line) + 1
    if run:
        yield run


def too_large(source: str, line: int, size: int) -> Record:
    size_read, limit = size_texts(size, HARD_MAX_RECORD)
    return Record(source, line, b"", error=f"line is {size_read}, too large to read (the limit "
                                           f"is {limit})")


def line_record(source: str, line: int, raw: bytes) -> Record | None:
    """One NDJSON line as a record (None for a blank line)."""
    data = raw.strip()
    if not data:
        return None
    try:
        return Record(source, line, data, orjson.loads(data))
    except ValueError as exc:  # orjson.JSONDecodeError is one
        return Record(source, line, data, error=f"invalid JSON: {json_error(exc)}")


class _NotingDecoder:
    """The stdlib decoder, with hooks for what Inngest's Go decoder rejects and orjson rejects on
    NDJSON lines: NaN, Infinity, and numbers beyond float64.

    The hooks note the problem instead of raising, so the value's extent is still known and only
    this element fails; `decode` returns the first note with the value. The notes belong to this
    object, and each input (and each `_unfinished` check) has its own, so inputs read on
    different threads never see each other's problems.
    """

    def __init__(self) -> None:
        self._problems: list[str] = []
        self._decoder = json.JSONDecoder(
            parse_constant=self._note_constant,
            parse_float=self._finite_float,
            parse_int=self._bounded_int,
        )

    def decode(self, text: str, start: int = 0) -> tuple[Any, int, str | None]:
        """(value, end, first problem or None) for the JSON value at ``text[start:]``; raises
        `json.JSONDecodeError` or `RecursionError` as `raw_decode` does."""
        self._problems.clear()
        value, end = self._decoder.raw_decode(text, start)
        return value, end, (self._problems[0] if self._problems else None)

    def _note_constant(self, name: str) -> Any:
        self._problems.append(f"{name} is not valid JSON")
        return None

    def _finite_float(self, text: str) -> float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            self._problems.append(f"number {text[:40]} is beyond the range of a double")
            return 0.0
        return value

    def _bounded_int(self, text: str) -> int:
        if len(text) > 400:  # far beyond a double's range, which is what Inngest decodes into
            self._problems.append(f"number {text[:40]}... is beyond the range of a double")
            return 0
        return int(text)


REST_NOT_READ = " (the rest of this input was not read)"


class _TextBuffer:
    """Incrementally decoded UTF-8 text with a read position and line counting."""

    def __init__(self, stream: IO[bytes], line: int, prefix: bytes) -> None:
        self.stream = stream
        # Invalid bytes decode to lone surrogates, so the structure around them still parses and
        # the one element that holds them is reported (its raw bytes come back intact).
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.text = self.decoder.decode(prefix)
        self.pos = 0
        self.failed_at: int | None = None  # where the last syntax error was found
        self.eof = False
        self.line = line
        self._counted = 0

    def fill(self) -> bool:
        """Read one more chunk; False at end of input."""
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if self.pos > CHUNK:
            self.advance_lines(self.pos)
            self.text = self.text[self.pos :]
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


def _json_values(
    stream: IO[bytes], source: str, offset: int, prefix: bytes = b"", *,
    lines_after_error: bool = False,
) -> Iterator[Record | Lines]:
    """JSON arrays (element by element) and whitespace-separated JSON values.

    A syntax error ends the array: after one there is no reliable next element. With
    ``lines_after_error``, reading goes on as NDJSON from the line after the error instead.
    """
    buf = _TextBuffer(stream, 1 + offset, prefix)
    decoder = _NotingDecoder()
    in_array = False
    element = 0
    expect_value = True
    while True:
        char = buf.skip_space()
        if not char:
            if in_array:
                yield Record(
                    source,
                    buf.advance_lines(buf.pos),
                    b"",
                    error="invalid JSON: the array is not closed (truncated input?)",
                )
            return
        if in_array and char == "]":
            buf.pos += 1
            in_array, expect_value = False, True
            continue
        if in_array and not expect_value:
            if char != ",":
                yield Record(
                    source,
                    buf.advance_lines(buf.pos),
                    b"",
                    error=f"invalid JSON: expected ',' or ']', found {char!r}{REST_NOT_READ}",
                )
                return
            buf.pos += 1
            expect_value = True
            continue
        if not in_array and char == "[":
            buf.pos += 1
            in_array = True
            element = 0
            if buf.skip_space() == "]":
                buf.pos += 1
                in_array = False
            continue
        record, fatal = _decode_one(buf, source, decoder)
        if in_array:
            record.element = element
            element += 1
        if fatal and lines_after_error and not in_array and buf.failed_at is not None:
            record.error = (record.error or "").removesuffix(REST_NOT_READ)
            resume, resume_line = _resume_point(buf, record)
            yield record
            yield from _ndjson_chunks(_rest_from(buf, resume), source, resume_line - 1)
            return
        yield record
        if fatal:
            return
        expect_value = not in_array


class _Chained(io.RawIOBase):
    """Bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head = memoryview(head)
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        if self.head:
            count = min(len(target), len(self.head))
            target[:count] = self.head[:count]
            self.head = self.head[count:]
            return count
        data = self.stream.read(len(target))
        target[: len(data)] = data
        return len(data)


def _resume_point(buf: _TextBuffer, record: Record) -> tuple[int, int]:
    """Where line-by-line reading resumes after a syntax error, and that line's number.

    An error on the first token of a line (an unfinished line, then the next record) blames the
    unfinished line and resumes *at* the next one; otherwise the line of the error is skipped.
    """
    text, start, failed = buf.text, buf.pos, buf.failed_at or buf.pos
    line_start = text.rfind("\n", 0, failed) + 1
    if line_start > start and not text[line_start:failed].strip():
        record.line -= text.count("\n", start, failed)  # the error is the unfinished value's
        return line_start, record.line + text.count("\n", start, line_start)
    newline = text.find("\n", failed)
    return (len(text) if newline < 0 else newline + 1), record.line + 1


def _rest_from(buf: _TextBuffer, resume: int) -> io.BufferedReader:
    """The input from ``resume`` (a position in the buffer) on, as a byte stream; a resume point
    past the buffer skips the rest of the current line first."""
    rest = buf.text[resume:]
    if resume >= len(buf.text) and not buf.eof:
        buf.pos = len(buf.text)
        rest = ""
        while buf.fill():
            newline = buf.text.find("\n", buf.pos)
            if newline >= 0:
                rest = buf.text[newline + 1 :]
                break
            buf.pos = len(buf.text)
    return io.BufferedReader(_Chained(rest.encode("utf-8", "surrogateescape"), buf.stream))


def _decode_one(
    buf: _TextBuffer, source: str, decoder: _NotingDecoder
) -> tuple[Record, bool]:
    """The next JSON value, and whether its error (if any) leaves no way to find the next one."""
    while True:
        start = buf.pos
        can_grow = not buf.eof and len(buf.text) - start < HARD_MAX_RECORD
        try:
            value, end, problem = decoder.decode(buf.text, start)
        except json.JSONDecodeError as exc:
            # Matched by text (the stdlib has no error codes): "Unterminated string starting
            # at" means a string cut by the end of the chunk read so far, and every message ends
            # in " at" before the position that `JSONDecodeError` formats after it.
            if can_grow and (exc.pos >= len(buf.text) - 8 or "Unterminated" in exc.msg):
                buf.fill()  # the value may just be cut by the end of the read chunk
                continue
            buf.failed_at = min(exc.pos, len(buf.text))  # where line-by-line reading may resume
            line = buf.advance_lines(buf.failed_at)
            message = exc.msg.removesuffix(" at")
            error = f"invalid JSON: {message} (column {exc.colno}){REST_NOT_READ}"
            return Record(source, line, b"", error=error), True
        except RecursionError:
            error = f"invalid JSON: nested too deeply{REST_NOT_READ}"
            return Record(source, buf.advance_lines(start), b"", error=error), True
        if end >= len(buf.text) and can_grow:
            buf.fill()  # a number at the very end of the chunk may continue in the next one
            continue
        line = buf.advance_lines(start)
        buf.pos = end
        span = buf.text[start:end]
        if problem is not None:
            raw = span.encode("utf-8", "surrogateescape")
            return Record(source, line, raw, error=f"invalid JSON: {problem}"), False
        try:
            return Record(source, line, span.encode(), value), False
        except UnicodeEncodeError:
            return Record(
                source,
                line,
                span.encode("utf-8", "surrogateescape"),
                error="invalid UTF-8 in this value",
            ), False
