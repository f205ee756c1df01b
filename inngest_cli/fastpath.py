"""The bulk fast path: a run of NDJSON lines checked in C, for the lines that are plain events.

A plain event is a JSON object with only the canonical fields (name, data, user, id, ts, v), each
of the type Inngest wants, that `event_problem` accepts and that is within the size limit: it is
sent as the very bytes it came as. msgspec decodes each line against that shape without building
`data` or `user` (they are only checked to be objects), which is what makes it fast; every other
line (a JSON error, Go-style field names, fields of an exported event, anything to report) is left
to the exact path, `shape_record(line_record(...))`, which alone writes messages.

The fast path may only ever *accept*, and only what the exact path accepts, with the same bytes,
name and id (tests/test_fastpath.py checks this on generated and hostile input). Where msgspec is
more lenient than orjson inside a skipped value, a screen sends the line to the exact path:
invalid UTF-8, numbers beyond a double (a 3-digit exponent or 200 digits in a row: orjson rejects
1e400, msgspec skips it), and nesting deep enough to reach orjson's depth limit. The screens run
on a whole read at once, and line by line only in a read that raised an alarm.

Imported only for bulk input: a one-event `send` does not build its decoders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter

import msgspec

from inngest_cli.payload import Event, Failure
from inngest_cli.plainrun import PlainRun
from inngest_cli.validation import plain_name, plain_ts


class _Object(msgspec.Struct, gc=False):
    """Any JSON object, its content checked as JSON but not kept."""


class _Plain(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    name: str
    data: _Object | None = None
    user: _Object | None = None
    id: str | None = None
    ts: int | None = None
    v: str | None = None


_decode = msgspec.json.Decoder(_Plain).decode

# Digits and "+" become "0", exponent marks "e", everything else a space: a number beyond a double
# then shows as "0e000" or as a run of 200 zeros (see _beyond_double). A translate with no
# bytes to delete runs at twice the speed of one that deletes the "+"; the price is a false
# alarm (the exact path, for that line only) on a 2-digit exponent written with a "+", as in
# 1e+16, while a phone number written "+14155550123" still raises none.
_NUMBERS = bytes(
    ord("0") if (chr(b).isdigit() and b < 128) or b == ord("+") else ord("e") if b in b"eE"
    else ord(" ")
    for b in range(256)
)
_LONG_DIGITS = b"0" * 200
DEEP = 1000  # brackets in a line before orjson's depth limit (1024) could be near


def _beyond_double(text: bytes) -> bool:
    """Whether ``text`` may hold a number a double cannot (false alarms are fine: exact path).

    Such a number is at least 1e308: with an exponent under 100, it has at least 209 digits
    before the point; otherwise its exponent has three digits or more (leading zeros count),
    after an optional "+" (a "-" exponent only makes a number smaller), and follows a digit
    (JSON has no "1.e5" and no "e5").
    """
    marks = text.translate(_NUMBERS)
    # rfind, not `in`: the same answer, 2-4x faster over such marks (CPython 3.11, measured on
    # the benchmark's events and on digit-heavy, text-heavy and zero-heavy reads)
    return marks.rfind(b"0e000") >= 0 or marks.rfind(_LONG_DIGITS) >= 0


def _bad_utf8(text: bytes) -> bool:
    if text.isascii():
        return False
    try:
        text.decode()
    except UnicodeDecodeError:
        return True
    return False


def _deep(line: bytes) -> bool:
    return line.count(b"[") + line.count(b"{") > DEEP


def _decoded(line: bytes) -> _Plain | None:
    try:
        return _decode(line)
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None


def plain_events(
    lines: list[bytes],
    source: str,
    first: int,
    limit: int,
    exact: Callable[[int, bytes], Event | Failure | None],
    text: bytes | None = None,
) -> Sequence[Event | Failure]:
    """The results of ``lines`` (line numbers from ``first``), in input order: a `PlainRun` when
    every line is a plain event, else plain events built here and every other line through
    ``exact(number, raw)`` (None for a blank line). ``text``, when given, holds every line but
    the first (`Lines.text`)."""
    stripped = list(map(bytes.strip, lines))
    whole = True  # every line decoded as a plain event
    try:
        decoded: list[_Plain | None] = list(map(_decode, stripped))
    except (msgspec.DecodeError, RecursionError):
        decoded, whole = [_decoded(line) for line in stripped], False
    # Screens, on the read the lines came in (the first line may have begun in an earlier one);
    # a run that fails one is screened line by line.
    if text is None:
        text = b"\n".join(stripped)
    head = stripped[0] if stripped else b""
    suspects: set[int] = set()
    for check in (_bad_utf8, _beyond_double):
        if check(text) or check(head):
            suspects.update(i for i, line in enumerate(stripped) if check(line))
    for i in suspects:
        decoded[i] = None
    if whole and not suspects:
        names: list[str] = list(map(_NAME, decoded))
        if _all_plain(stripped, decoded, names, limit):  # type: ignore[arg-type]
            # the common read: its lines as they are, no Event and no Python code per line
            return PlainRun(source, first, stripped, names, list(map(_ID, decoded)))
    return _one_by_one(stripped, decoded, source, first, limit, exact)


_NAME = attrgetter("name")
_ID = attrgetter("id")
_TS = attrgetter("ts")


def _all_plain(
    stripped: list[bytes], decoded: list[_Plain], names: list[str], limit: int
) -> bool:
    """Whether every decoded line passes `_one_by_one`'s checks, checked a run at a time: each
    distinct name and ts once (a bulk input repeats a few), sizes by their maximum."""
    if not stripped:
        return True
    longest = max(map(len, stripped))
    # one name throughout (the usual bulk input) is found by comparing, without hashing each
    distinct = names[:1] if names.count(names[0]) == len(names) else set(names)
    return (
        longest <= limit
        and all(map(plain_name, distinct))
        and all(map(plain_ts, set(map(_TS, decoded))))
        and (longest <= DEEP or not any(map(_deep, stripped)))
    )


def _one_by_one(
    stripped: list[bytes],
    decoded: list[_Plain | None],
    source: str,
    first: int,
    limit: int,
    exact: Callable[[int, bytes], Event | Failure | None],
) -> list[Event | Failure]:
    out: list[Event | Failure] = []
    append = out.append
    number = first - 1
    for line, event in zip(stripped, decoded, strict=True):
        number += 1
        if event is not None:
            name, ts, size = event.name, event.ts, len(line)
            if (
                size <= limit
                and plain_name(name)
                and plain_ts(ts)
                and (size <= DEEP or not _deep(line))
            ):
                append(Event(source, number, line, line, name, event.id))
                continue
        if line:
            result = exact(number, line)
            if result is not None:
                append(result)
    return out
