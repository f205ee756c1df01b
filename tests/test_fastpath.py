"""The bulk fast path agrees with the exact path, and chunked reading with line-by-line reading.

`fastpath.plain_events` (msgspec, a chunk at a time) must give, for any run of lines, exactly
what `shape_record(line_record(...))` gives line by line: the same Events (bytes, name, id,
line) and the same Failures, in the same order. It may only ever accept, and only what the exact
path accepts; every other line is the exact path's. Checked on generated events near every edge
the fast path decides on, on hostile lines (tests/fuzz_corpus), and on chunks mixing them.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from inngest_cli import fastpath, inputs, payload
from inngest_cli.inputs import line_chunks, line_record, read_chunks, read_records
from inngest_cli.payload import Event, Failure, Shaping, shape_lines, shape_record, shape_sources
from inngest_cli.validation import MAX_TS_MS, MIN_TS_MS

CORPUS = Path(__file__).parent / "fuzz_corpus"
LINES = sorted(p.read_bytes() for p in CORPUS.glob("line-*.bin"))
SHAPING = Shaping()


def exact(lines: list[bytes], first: int = 1, shaping: Shaping = SHAPING) -> list[Any]:
    out = []
    for number, raw in enumerate(lines, first):
        record = line_record("src", number, raw)
        if record is not None:
            out.append(shape_record(record, shaping))
    return out


def fast(lines: list[bytes], first: int = 1, shaping: Shaping = SHAPING) -> tuple[list[Any], int]:
    """The fast path's results, and how many lines it left to the exact path."""
    calls = 0

    def counted(number: int, raw: bytes) -> Event | Failure | None:
        nonlocal calls
        calls += 1
        return exact([raw], number, shaping)[0] if exact([raw], number, shaping) else None

    out = fastpath.plain_events(lines, "src", first, shaping.max_event_bytes, counted)
    return list(out), calls  # a PlainRun builds its Events here, as anything that looks does


def assert_agree(lines: list[bytes], shaping: Shaping = SHAPING) -> int:
    got, calls = fast(lines, 7, shaping)
    assert got == exact(lines, 7, shaping)
    return calls


# -- generated events --------------------------------------------------------------------------

names = st.one_of(
    st.sampled_from(["app/a", "", "inngest/x", "INNGEST/x", "Inngest/", "inngest", "a" * 300,
                     "\u0130nngest/x", "inngest\u212a/"]),
    st.text(max_size=12),
)
timestamps = st.one_of(
    st.sampled_from([0, MIN_TS_MS, MIN_TS_MS - 1, MAX_TS_MS, MAX_TS_MS + 1, 1_700_000_000,
                     1_700_000_000_000, -1, 2**63, 2**64 + 1, 10**30]),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=5),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                               max_size=3),
    max_leaves=8,
)
field_values = {
    "name": names | scalars,
    "data": st.dictionaries(st.text(max_size=4), json_values, max_size=3) | json_values,
    "user": st.dictionaries(st.text(max_size=4), json_values, max_size=2) | json_values,
    "id": st.text(max_size=8) | scalars,
    "ts": timestamps | st.none(),
    "v": st.text(max_size=4) | scalars,
}
keys = st.sampled_from(
    ["name", "data", "user", "id", "ts", "v", "NAME", "Name", "Data", "TS", "nAmE",
     "received_at", "internal_id", "source", "extra", "\u212aey"]
)


@st.composite
def events(draw: st.DrawFn) -> bytes:
    fields: dict[str, Any] = {"name": draw(names)} if draw(st.booleans()) else {}
    for _ in range(draw(st.integers(0, 4))):
        key = draw(keys)
        fields[key] = draw(field_values.get(key.lower(), json_values))
    line = json.dumps(fields, separators=(",", ":") if draw(st.booleans()) else (", ", ": "))
    return line.encode()


# Byte-level edits that reach what msgspec and orjson might judge differently.
HOSTILE_VALUES = [
    b"1e400", b"-1e400", b"1E+308", b"1.7976931348623157e308", b"1.8e308", b"1e-400", b"1e0400",
    b"1e+400", b"1E+0400", b"-1.5E+309", b"1e-0400", b"2e+99", b"1" + b"0" * 210 + b"e+99",
    b"1" + b"0" * 308, b"1" + b"0" * 309, b"1" + b"0" * 250 + b"e60", b"0." + b"0" * 400 + b"1",
    b"123456789012345678901234567890", b"-0", b"0e5", b"NaN", b"Infinity", b"-Infinity",
    b'"\\ud800"', b'"\\udc00"', b'"\\ud83d\\ude00"', b'"\xff"', b'"\xc3\xa9"', b'"\xed\xa0\x80"',
    b'"\xf0\x9f\x98"', b'"\x00"', b'"\\u0000"', b'"\x7f"', b"01", b"1.", b".5", b"+1", b"[1,]",
    b"{\"a\":1,}", b"tru", b"nul", b'"a" "b"', b"[" * 1030 + b"]" * 1030,
    b"[" * 1000 + b"]" * 1000, b"[" * 1023 + b"]" * 1023, b"[" * 1024 + b"]" * 1024,
    b"{\"a\":" * 1030 + b"1" + b"}" * 1030, b"{\"a\":" * 900 + b"1" + b"}" * 900,
]


@st.composite
def hostile_events(draw: st.DrawFn) -> bytes:
    field = draw(st.sampled_from([b"data", b"user", b"name", b"id", b"ts", b"v"]))
    value = draw(st.sampled_from(HOSTILE_VALUES))
    if field in (b"data", b"user") and draw(st.booleans()):
        value = b'{"x":' + value + b"}"
    head = b'{"name":"app/a",' if field != b"name" else b"{"
    return head + b'"' + field + b'":' + value + b"}"


lines = st.one_of(
    events(), hostile_events(), st.sampled_from(LINES),
    st.binary(max_size=40), st.sampled_from([b"", b"  ", b"\r", b"\x0c", b"{}", b"[]", b"null"]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events())
@example(b'{"name":"app/a","data":{"n":1e400}}')
@example(b'{"name":"app/a","id":null,"v":null,"ts":null,"data":null,"user":null}')
def test_generated_event_agrees(line: bytes) -> None:
    assert_agree([line])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_events())
def test_hostile_event_agrees(line: bytes) -> None:
    assert_agree([line])


@pytest.mark.parametrize("line", LINES, ids=range(len(LINES)))
def test_corpus_line_agrees(line: bytes) -> None:
    assert_agree([line])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, max_size=12), st.integers(1, 3 << 20))
def test_mixed_chunks_agree(chunk: list[bytes], max_event_bytes: int) -> None:
    assert_agree(chunk, Shaping(max_event_bytes=max_event_bytes))


def test_plain_events_take_the_fast_path() -> None:
    """The agreement above would hold trivially if every line went the exact way."""
    plain = [
        b'{"name":"app/a","data":{"n":1,"s":"\xc3\xa9","f":1.5e10}}',
        b'{"name":"app/b","id":"x","ts":1700000000000,"v":"1","user":{"id":1},"data":null}',
        b'  {"name":"app/c"}\r',
        b'{"name":"app/d","data":{"big":123456789012345678901234567890,"neg":-1e-05}}',
        b'{"name":"app/e","data":{"phone":"+14155550123"}}',  # a "+" raises no alarm
    ]
    assert assert_agree(plain) == 0


@pytest.mark.parametrize(
    "line",
    [
        b'{"name":"app/a","data":{"n":1e400}}',  # beyond a double: orjson rejects
        b'{"name":"app/a","data":{"s":"\xff"}}',  # invalid UTF-8
        b'{"NAME":"app/a"}',  # Go-style folding
        b'{"name":"app/a","received_at":1}',  # an exported event's server field
        b'{"name":"inngest/a"}',
        b'{"name":"app/a","ts":1700000000}',
        b'{"name":"app/a","data":[1]}',
        b"{bad",
    ],
)
def test_unusual_lines_take_the_exact_path(line: bytes) -> None:
    assert assert_agree([b'{"name":"app/ok"}', line, b'{"name":"app/ok"}']) == 1


@pytest.mark.parametrize(
    ("number", "alarm"),
    [
        (b"1e400", True), (b"1E+400", True), (b"1e+0400", True), (b"-1.5E309", True),
        (b"1e308", True), (b"1" * 209, True), (b"1" * 200 + b".5", True),
        (b"1e+16", True),  # a 2-digit exponent with a "+": a false alarm (the exact path)
        (b"1e-400", False), (b"1.5e10", False), (b"1" * 199, False), (b"2e99", False),
        (b'"+14155550123"', False), (b'"file123"', False), (b'"e1000"', False),
    ],
)
def test_the_number_screen(number: bytes, alarm: bool) -> None:
    """Every number beyond a double raises an alarm; the common numbers and strings do not."""
    assert fastpath._beyond_double(b'{"name":"a","data":{"n":' + number + b"}}") is alarm


@st.composite
def decodable_events(draw: st.DrawFn) -> bytes:
    """Canonical fields of the right JSON types only (each line decodes on the fast path), with
    values at the edges the run-at-a-time checks decide on: names, timestamps, sizes."""
    fields: dict[str, Any] = {"name": draw(names)}
    if draw(st.booleans()):
        fields["ts"] = draw(st.sampled_from([0, MIN_TS_MS, MIN_TS_MS - 1, MAX_TS_MS,
                                             MAX_TS_MS + 1, -1, 1_700_000_000]) | st.integers())
    if draw(st.booleans()):
        fields["id"] = draw(st.text(max_size=8))
    if draw(st.booleans()):
        fields["data"] = {"p": "x" * draw(st.integers(0, 300))}
    return json.dumps(fields, separators=(",", ":")).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(decodable_events() | events(), min_size=2, max_size=8), st.integers(20, 400))
def test_runs_of_decodable_events_agree(chunk: list[bytes], max_event_bytes: int) -> None:
    """Runs whose every line decodes: the run-at-a-time checks (`_all_plain`: distinct names and
    timestamps, the longest line) decide for the whole run, or hand it to the line-by-line loop;
    either way the results are the exact path's."""
    assert_agree(chunk, Shaping(max_event_bytes=max_event_bytes))


def test_a_run_of_plain_events_is_built_without_the_line_by_line_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The common read (every line a plain event) never reaches `_one_by_one`; one unusual line
    sends its run there, and the results still agree."""
    plain = [b'{"name":"app/a","id":"%d","data":{"n":%d}}' % (i, i) for i in range(100)]
    taken: list[int] = []
    loop = fastpath._one_by_one
    monkeypatch.setattr(fastpath, "_one_by_one", lambda *a: taken.append(1) or loop(*a))
    assert assert_agree(plain) == 0
    assert taken == []
    assert assert_agree([*plain, b'{"name":"inngest/x"}']) == 1
    assert taken == [1]


def test_a_read_of_a_few_large_events_takes_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast path is for reads of many lines or many bytes: 8 events of 10 KB go through it
    (with the results of the exact path), 8 short ones do not (a one-line send stays exact)."""
    calls: list[int] = []
    real = fastpath.plain_events
    monkeypatch.setattr(fastpath, "plain_events", lambda lines, *a: calls.append(len(lines))
                        or real(lines, *a))
    large = [b'{"name":"app/a","id":"%d","data":{"s":"%s"}}' % (i, b"x" * 10_000) for i in range(8)]
    chunk = inputs.Lines("src", 1, large)
    assert list(shape_lines(chunk, SHAPING)) == exact(large, 1, SHAPING)
    assert calls == [8]
    small = [b'{"name":"app/a","id":"%d"}' % i for i in range(8)]
    assert list(shape_lines(inputs.Lines("src", 1, small), SHAPING)) == exact(small, 1, SHAPING)
    assert calls == [8]


def test_size_limit_is_the_exact_paths() -> None:
    line = b'{"name":"app/a","data":{"p":"xxxx"}}'
    assert assert_agree([line], Shaping(max_event_bytes=len(line))) == 0
    assert assert_agree([line], Shaping(max_event_bytes=len(line) - 1)) == 1


# -- chunked reading ---------------------------------------------------------------------------


def readline_reference(data: bytes, limit: int) -> list[bytes | int]:
    """Lines as `readline(limit)` gave them before chunked reading: a line at the limit is
    its size, newline included."""
    stream = io.BufferedReader(io.BytesIO(data))
    out: list[bytes | int] = []
    while raw := stream.readline(limit):
        if len(raw) == limit and not raw.endswith(b"\n"):
            size = len(raw)
            while rest := stream.readline(1 << 20):
                size += len(rest)
                if rest.endswith(b"\n"):
                    break
            out.append(size)
        else:
            out.append(raw.removesuffix(b"\n"))
    return out


class Trickle(io.RawIOBase):
    """A stream that returns a few bytes per read, as a pipe might."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.reads = data, sizes or [1], 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        size = min(len(target), self.sizes[self.reads % len(self.sizes)], len(self.data))
        self.reads += 1
        target[:size] = self.data[:size]
        self.data = self.data[size:]
        return size


@settings(max_examples=500, deadline=None)
@given(
    st.binary(max_size=80).map(lambda b: bytes(b"ab\n"[x % 3] for x in b)),
    st.integers(2, 12),
    st.integers(1, 20),
    st.lists(st.integers(1, 9), max_size=4),
    st.integers(0, 10),
)
def test_line_chunks_match_readline(
    data: bytes, limit: int, chunk: int, reads: list[int], head: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inputs, "HARD_MAX_RECORD", limit)
        patch.setattr(inputs, "CHUNK", chunk)
        stream = io.BufferedReader(Trickle(data[head:], reads), buffer_size=max(1, chunk))
        got: list[bytes | int] = []
        for item in line_chunks(stream, data[:head]):
            got.extend([item] if isinstance(item, int) else item)
        assert got == readline_reference(data, limit)


def test_line_numbers_across_chunks_and_blank_lines() -> None:
    data = b"\n".join(b'{"name":"app/a","data":{"i":%d}}' % i if i % 7 else b"" for i in range(
        30_000)) + b"\n"
    via_chunks = list(shape_sources([("src", io.BytesIO(data))], "auto", SHAPING))
    assert via_chunks == [
        shape_record(r, SHAPING) for r in read_records(io.BytesIO(data), "src", "auto")
    ]
    assert [e.line for e in via_chunks] == [i + 1 for i in range(30_000) if i % 7]
    assert len({type(c) for c in read_chunks(io.BytesIO(data), "src")}) == 1  # Lines only


def test_live_input_yields_each_line_when_it_is_complete() -> None:
    """A pipe that has not ended: a complete line is shaped without waiting for more input."""
    import os
    import threading

    read_end, write_end = os.pipe()
    with open(read_end, "rb") as reader, open(write_end, "wb", buffering=0) as writer:
        writer.write(b'{"name":"app/first"}\n{"name":"app/sec')
        results = shape_sources([("stdin", reader)], "auto", SHAPING)
        first = next(results)
        assert isinstance(first, Event) and first.name == "app/first"
        rest = threading.Thread(target=writer.write, args=(b'ond"}\n',))
        rest.start()  # only now is the second line complete
        second = next(results)
        rest.join()
        assert isinstance(second, Event) and (second.name, second.line) == ("app/second", 2)


def test_shape_lines_with_name_shaping_is_the_exact_path() -> None:
    shaping = Shaping(name="app/rec", id_field="k")
    chunk = inputs.Lines("src", 1, [b'{"k":"a","v":1}', b"", b'{"v":2}', b"[1]"])
    assert list(shape_lines(chunk, shaping)) == exact(chunk.lines, 1, shaping)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, max_size=10), st.integers(1, 64), st.lists(st.integers(1, 50), max_size=3))
@example([b'{"name":"app/a","data":{"n":1e400}}'] * 3, 27, [])  # "1e4|00" across two reads
@example([b'{"name":"app/a","data":{"s":"\xc3\xa9"}}', b'{"name":"app/b"}'], 34, [])
def test_shape_sources_agrees_with_records_whatever_the_reads(
    chunk: list[bytes], size: int, reads: list[int]
) -> None:
    """Screens run on each read's bytes: a value cut by a read boundary is still caught."""
    data = b"\n".join(chunk) + b"\n"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inputs, "CHUNK", size)
        patch.setattr(payload, "FAST_PATH_MIN_LINES", 1)  # reads this small take the fast path
        # The first read holds 3 bytes at least: a BOM is recognised with `peek`, which sees no
        # further than one read (a BOM cut by a pipe's first read is a known limit).
        stream = io.BufferedReader(Trickle(data, [3, *reads]), buffer_size=max(3, size))
        got = list(shape_sources([("src", stream)], "ndjson", SHAPING))
    want = [shape_record(r, SHAPING) for r in read_records(io.BytesIO(data), "src", "ndjson")]
    assert got == want


# -- accepted IDs a batch at a time ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["ids", "json", "ndjson", "table"])
@pytest.mark.usefixtures("cli_run")
def test_batch_output_is_the_per_event_output(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from inngest_cli.cli.output import SendOutput
    from inngest_cli.sender import Stats

    batches = [
        [Event("a.ndjson", n, b"{}", b"{}", f"app/{n}", f"k{n}" if n % 2 else None)
         for n in range(start, start + size)]
        for start, size in ((1, 3), (4, 1), (5, 2))
    ]
    texts = []
    for per_batch in (False, True):
        output = SendOutput(fmt, show_source=True)  # type: ignore[arg-type]
        for batch in batches:
            ids = [f"01ID{e.line}" for e in batch]
            if per_batch:
                output.accepted_batch(batch, ids)
            else:
                for event, event_id in zip(batch, ids, strict=True):
                    output.accepted(event, event_id)
            output.flush()
        output.finish(Stats(sent=6))
        texts.append(capsys.readouterr().out)
    assert texts[0] == texts[1]
    assert texts[0].count("01ID") == 6


def test_sender_reports_a_batch_in_one_call_only_when_all_of_it_was_accepted() -> None:
    from inngest_cli.batching import Limits
    from inngest_cli.ids import IdSeed
    from inngest_cli.replies import Outcome, Reply
    from inngest_cli.sender import Sender, SendOptions

    class Accepting:
        def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
            return Reply(Outcome.ACCEPTED, 200, [f"id{i}" for i in range(count)], "")

    def event(n: int) -> Event:
        return Event("in", n, b'{"name":"a"}', b'{"name":"a"}', "a", None)

    items: list[Event | Failure] = [event(1), event(2), event(3), Failure("in", 4, b"x", "bad"),
                                    event(5)]
    calls: list[tuple[str, list[int]]] = []
    sender = Sender(
        Accepting(), SendOptions(limits=Limits(max_batch=2), concurrency=2),
        on_accepted=lambda e, i: calls.append(("one", [e.line])),
        on_failure=lambda f: calls.append(("failed", [f.line])),
        on_accepted_batch=lambda es, ids: calls.append(("batch", [e.line for e in es])),
    )
    stats = sender.run(items)
    # (1, 2) in one call; (3, failure 4, 5), a batch with a failure in it, one by one, in order
    assert calls == [("batch", [1, 2]), ("one", [3]), ("failed", [4]), ("one", [5])]
    assert (stats.sent, stats.failed) == (4, 1)


# -- a first line too large to read (issue #14) ------------------------------------------------


GOOD_TWO = b'{"name":"test/good","data":{"seq":0}}\n{"name":"test/good","data":{"seq":1}}\n'


def _huge_first_line(path: Path, size: int) -> None:
    """A file whose first line is ``size`` bytes (newline included), then two events."""
    head, tail = b'{"name":"app/huge","data":{"pad":"', b'"}}\n'
    with open(path, "wb") as out:
        out.write(head)
        left = size - len(head) - len(tail)
        block = b"x" * (1 << 20)
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= len(block)
        out.write(tail + GOOD_TWO)


def test_a_first_line_over_the_hard_limit_is_too_large_not_invalid_json(tmp_path: Path) -> None:
    """It used to be taken for the start of a JSON document: `invalid JSON: Unterminated string`,
    and the lines after it were lost."""
    path = tmp_path / "huge.ndjson"
    size = 100_000_000
    _huge_first_line(path, size)
    assert path.stat().st_size == size + len(GOOD_TWO)
    with open(path, "rb") as handle:
        results = list(shape_sources([("huge.ndjson", handle)], "auto", SHAPING))
    assert results[0] == Failure(
        "huge.ndjson", 1, b"", "line is 95.4 MiB, too large to read (the limit is 64 MiB)")
    assert [(r.line, r.name) for r in results[1:]] == [(2, "test/good"), (3, "test/good")]


def test_send_reports_a_huge_first_line_and_sends_the_rest(
    fault_server: Any, tmp_path: Path
) -> None:
    from collections import Counter

    from tests.conftest import run_cli

    server = fault_server()
    path = tmp_path / "huge.ndjson"
    _huge_first_line(path, inputs.HARD_MAX_RECORD + 10)
    result = run_cli("send", "--dev", "--no-progress", "--event-api-url", server.url, str(path))
    assert result.returncode == 6, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {path}:1: line is 67,108,874 bytes, too large to read (the limit "
                      "is 67,108,864 bytes)"]
    stored = Counter(e["data"]["seq"] for e in server.state()["events"])
    assert stored == Counter([0, 1])


def test_a_few_lines_do_not_import_the_fast_path() -> None:
    """`echo '{...}' | inngest-cli send` does not build the fast path's decoders; a bulk input
    does. (msgspec itself is imported by `payload`, whose Event is a msgspec Struct.)"""
    import subprocess
    import sys

    script = (
        "import io, sys\n"
        "from inngest_cli.payload import Shaping, shape_sources\n"
        "data = b'{\"name\":\"app/a\"}\\n' * int(sys.argv[1])\n"
        "out = list(shape_sources([('stdin', io.BytesIO(data))], 'auto', Shaping()))\n"
        "assert len(out) == int(sys.argv[1])\n"
        "print('inngest_cli.fastpath' in sys.modules)\n"
    )
    for lines, imported in ((1, "False"), (50, "False"), (5000, "True")):
        run = subprocess.run([sys.executable, "-c", script, str(lines)], capture_output=True,
                             text=True, check=True)
        assert run.stdout.strip() == imported, (lines, run.stderr)
