"""Streaming event input: NDJSON, JSON arrays, pretty objects; line numbers, raw bytes, errors.

Every deterministic test runs twice: on an in-memory `io.BytesIO` and on a real file opened with
`open(path, "rb")`, which is what the CLI passes for a file argument.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inngest_cli.inputs import (
    CHUNK,
    FORMATS,
    Format,
    Record,
    buffered,
    detect_format,
    read_records,
)
from inngest_cli.payload import exact_value

Reader = Callable[..., list[Record]]
NOT_CLOSED = "invalid JSON: the array is not closed (truncated input?)"


@pytest.fixture(params=["bytesio", "file"])
def read(request: pytest.FixtureRequest, tmp_path: Path) -> Reader:
    counter = itertools.count()

    def _read(data: bytes, fmt: Format = "auto") -> list[Record]:
        if request.param == "bytesio":
            return list(read_records(io.BytesIO(data), "src", fmt))
        path = tmp_path / f"input-{next(counter)}"
        path.write_bytes(data)
        with open(path, "rb") as handle:
            return list(read_records(handle, "src", fmt))

    return _read


def ok(records: list[Record]) -> list[tuple[int, Any]]:
    """(line, value) of every record, asserting none is an error."""
    assert [r.error for r in records] == [None] * len(records), records
    return [(r.line, r.value) for r in records]


def shape(records: list[Record]) -> list[tuple[int, Any, bool]]:
    """(line, value, is-error) of every record."""
    return [(r.line, r.value, r.error is not None) for r in records]


# --- format detection -------------------------------------------------------------------------


def test_formats() -> None:
    assert FORMATS == ("auto", "ndjson", "json")


@pytest.mark.parametrize("kind", ["bytesio", "buffered"])
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b'{"a":1}\n{"b":2}\n', ("ndjson", 0), id="ndjson"),
        pytest.param(b'\n\n{"a":1}\n', ("ndjson", 2), id="ndjson-after-blank-lines"),
        pytest.param(b'{"a":1}', ("ndjson", 0), id="one-line-no-newline"),
        pytest.param(b'[{"a":1}]', ("json", 0), id="array"),
        pytest.param(b'{\n "a": 1\n}\n', ("json", 0), id="pretty-object"),
        pytest.param(b'{"p":"' + b"x" * 100_000 + b'"}\n{"b":2}\n', ("ndjson", 0),
                     id="ndjson-long-first-line"),
    ],
)
def test_detect_format(data: bytes, expected: tuple[str, int], kind: str) -> None:
    stream = io.BytesIO(data) if kind == "bytesio" else io.BufferedReader(io.BytesIO(data))
    assert detect_format(buffered(stream))[:2] == expected


def test_ndjson(read: Reader) -> None:
    assert ok(read(b'{"a":1}\n{"b":2}\n')) == [(1, {"a": 1}), (2, {"b": 2})]


def test_ndjson_without_final_newline(read: Reader) -> None:
    assert ok(read(b'{"a":1}\n{"b":2}')) == [(1, {"a": 1}), (2, {"b": 2})]


def test_records_carry_the_source(read: Reader) -> None:
    assert [r.source for r in read(b'{"a":1}\n[{"b":2}]')] == ["src"] * 2


def test_json_array(read: Reader) -> None:
    assert ok(read(b'[{"a":1},\n{"b":2}]')) == [(1, {"a": 1}), (2, {"b": 2})]


def test_json_array_one_per_line(read: Reader) -> None:
    assert ok(read(b'[\n  {"a": 1},\n  {"b": 2}\n]\n')) == [(2, {"a": 1}), (3, {"b": 2})]


def test_pretty_single_object(read: Reader) -> None:
    data = b'{\n  "name": "app/a",\n  "data": {\n    "x": 1\n  }\n}\n'
    records = read(data)
    assert ok(records) == [(1, {"name": "app/a", "data": {"x": 1}})]
    assert records[0].raw == data.strip()


def test_concatenated_pretty_objects_like_jq(read: Reader) -> None:
    data = b'{\n  "name": "a"\n}\n{\n  "name": "b",\n  "data": {}\n}\n{\n  "name": "c"\n}\n'
    assert ok(read(data)) == [(1, {"name": "a"}), (4, {"name": "b", "data": {}}),
                              (8, {"name": "c"})]


def test_single_line_object(read: Reader) -> None:
    assert ok(read(b'  {"a":1}  \n')) == [(1, {"a": 1})]


@pytest.mark.parametrize("data", [b"", b"\n", b"\n\n  \t\r\n", b"[]", b"[ \n ]\n", b"[]\n[]"])
def test_no_records(read: Reader, data: bytes) -> None:
    assert read(data) == []


# --- blank lines, line endings, BOM -----------------------------------------------------------


def test_blank_lines_are_skipped_and_counted(read: Reader) -> None:
    data = b'{"a":1}\n\n  \n{"b":2}\n\t\n{"c":3}\n'
    assert ok(read(data)) == [(1, {"a": 1}), (4, {"b": 2}), (6, {"c": 3})]


def test_leading_blank_lines_ndjson(read: Reader) -> None:
    assert ok(read(b'\n\n{"a":1}\n\n{"b":2}\n')) == [(3, {"a": 1}), (5, {"b": 2})]


def test_leading_whitespace_lines_ndjson(read: Reader) -> None:
    assert ok(read(b'  \n\t\r\n {"a":1}\n')) == [(3, {"a": 1})]


def test_leading_blank_lines_array(read: Reader) -> None:
    data = b'\n\n[\n{"a":1},\n\n{"b":2}\n]\n'
    assert ok(read(data)) == [(4, {"a": 1}), (6, {"b": 2})]


def test_leading_blank_lines_pretty_objects(read: Reader) -> None:
    data = b'\n{\n "a": 1\n}\n\n{\n "b": 2\n}\n'
    assert ok(read(data)) == [(2, {"a": 1}), (6, {"b": 2})]


def test_many_leading_blank_lines(read: Reader) -> None:
    data = b"\n" * (CHUNK + 5) + b'{"a":1}\n{"b":2}\n'
    assert ok(read(data)) == [(CHUNK + 6, {"a": 1}), (CHUNK + 7, {"b": 2})]


def test_crlf_ndjson(read: Reader) -> None:
    records = read(b'{"a":1}\r\n\r\n{"b":2}\r\n')
    assert ok(records) == [(1, {"a": 1}), (3, {"b": 2})]
    assert [r.raw for r in records] == [b'{"a":1}', b'{"b":2}']


def test_crlf_array(read: Reader) -> None:
    assert ok(read(b'[\r\n{"a":1},\r\n{"b":2}\r\n]\r\n')) == [(2, {"a": 1}), (3, {"b": 2})]


def test_crlf_pretty_objects(read: Reader) -> None:
    data = b'{\r\n "a": 1\r\n}\r\n{\r\n "b": 2\r\n}\r\n'
    assert ok(read(data)) == [(1, {"a": 1}), (4, {"b": 2})]


def test_bom_ndjson(read: Reader) -> None:
    records = read(b'\xef\xbb\xbf{"a":1}\n{"b":2}\n')
    assert ok(records) == [(1, {"a": 1}), (2, {"b": 2})]
    assert records[0].raw == b'{"a":1}'


def test_bom_array(read: Reader) -> None:
    assert ok(read(b'\xef\xbb\xbf[{"a":1},{"b":2}]')) == [(1, {"a": 1}), (1, {"b": 2})]


def test_bom_pretty_object(read: Reader) -> None:
    assert ok(read(b'\xef\xbb\xbf{\n "a": 1\n}\n')) == [(1, {"a": 1})]


def test_bom_then_blank_line(read: Reader) -> None:
    assert ok(read(b'\xef\xbb\xbf\n{"a":1}\n')) == [(2, {"a": 1})]


def test_bom_with_format_ndjson(read: Reader) -> None:
    assert ok(read(b'\xef\xbb\xbf{"a":1}\n', "ndjson")) == [(1, {"a": 1})]


def test_bom_with_format_json(read: Reader) -> None:
    assert ok(read(b'\xef\xbb\xbf[{"a":1}]', "json")) == [(1, {"a": 1})]


# --- bad bytes and bad JSON -------------------------------------------------------------------


def test_invalid_utf8_line_is_an_error_and_the_next_line_is_read(read: Reader) -> None:
    records = read(b'{"a":1}\n{"b":"\xff"}\n{"c":3}\n')
    assert shape(records) == [(1, {"a": 1}, False), (2, None, True), (3, {"c": 3}, False)]
    assert "UTF-8" in (records[1].error or "")
    assert records[1].raw == b'{"b":"\xff"}'


def test_invalid_utf8_in_array_keeps_earlier_elements(read: Reader) -> None:
    records = read(b'[{"a":1},\n{"b":"\xff"}]')
    assert shape(records) == [(1, {"a": 1}, False), (2, None, True)]
    assert (records[1].error or "").startswith("invalid UTF-8")


def test_nul_byte_in_a_string_ndjson(read: Reader) -> None:
    records = read(b'{"a":1}\n{"a":"x\x00y"}\n{"c":3}\n')
    assert shape(records) == [(1, {"a": 1}, False), (2, None, True), (3, {"c": 3}, False)]


def test_nul_byte_line_ndjson(read: Reader) -> None:
    records = read(b'{"a":1}\n\x00\n{"c":3}\n')
    assert shape(records) == [(1, {"a": 1}, False), (2, None, True), (3, {"c": 3}, False)]


def test_nul_byte_in_array_is_a_complete_message(read: Reader) -> None:
    records = read(b'[{"a":"x\x00y"}]')
    assert shape(records) == [(1, None, True)]
    error = records[0].error or ""
    assert error.startswith("invalid JSON: Invalid control character")
    assert not error.endswith(" at"), f"dangling message: {error!r}"


def test_escaped_nul_is_fine(read: Reader) -> None:
    assert ok(read(b'{"a":"x\\u0000y"}\n')) == [(1, {"a": "x\x00y"})]


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_numbers_rejected_ndjson(read: Reader, constant: bytes) -> None:
    records = read(b'{"a":1}\n{"a":' + constant + b'}\n{"c":3}\n')
    assert shape(records) == [(1, {"a": 1}, False), (2, None, True), (3, {"c": 3}, False)]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_rejected_array(read: Reader, constant: str) -> None:
    records = read(f'[{{"a":{constant}}}]'.encode())
    assert [(r.line, r.error) for r in records] == [
        (1, f"invalid JSON: {constant} is not valid JSON"),
    ]


def test_bad_ndjson_line_is_an_error_and_the_next_line_is_read(read: Reader) -> None:
    records = read(b'{"a":1}\n{bad\n{"c":3}\n')
    assert shape(records) == [(1, {"a": 1}, False), (2, None, True), (3, {"c": 3}, False)]
    assert records[1].raw == b"{bad"
    assert (records[1].error or "").startswith("invalid JSON: ")


def test_ndjson_recovers_after_a_long_first_line(read: Reader) -> None:
    first = b'{"name":"a","data":{"pad":"' + b"x" * 100_000 + b'"}}'
    records = read(first + b'\n{bad\n{"c":3}\n')
    assert shape(records) == [(1, {"name": "a", "data": {"pad": "x" * 100_000}}, False),
                              (2, None, True), (3, {"c": 3}, False)]


def test_truncated_array(read: Reader) -> None:
    records = read(b'[{"a":1},{"b":2}')
    assert [(r.line, r.value, r.error) for r in records] == [
        (1, {"a": 1}, None), (1, {"b": 2}, None), (1, None, NOT_CLOSED),
    ]


def test_truncated_array_after_comma(read: Reader) -> None:
    records = read(b'[\n{"a":1},\n')
    assert [(r.value, r.error) for r in records] == [({"a": 1}, None), (None, NOT_CLOSED)]


def test_truncated_element(read: Reader) -> None:
    records = read(b'[{"a":1},{"b":')
    assert shape(records) == [(1, {"a": 1}, False), (1, None, True)]


def test_array_missing_comma(read: Reader) -> None:
    records = read(b'[{"a":1} {"b":2}]')
    assert [(r.value, r.error) for r in records] == [
        ({"a": 1}, None),
        (None, "invalid JSON: expected ',' or ']', found '{'"
               " (the rest of this input was not read)"),
    ]


@pytest.mark.parametrize("data", [b"garbage", b"nope\n", b"}"])
def test_garbage(read: Reader, data: bytes) -> None:
    records = read(data)
    assert shape(records) == [(1, None, True)]
    assert (records[0].error or "").startswith("invalid JSON: ")


def test_non_object_lines_decode(read: Reader) -> None:
    records = read(b'{"a":1}\n1\n"x"\n[1]\nnull\ntrue\n')
    assert ok(records) == [(1, {"a": 1}), (2, 1), (3, "x"), (4, [1]), (5, None), (6, True)]


def test_non_object_array_elements_decode(read: Reader) -> None:
    assert ok(read(b'[1,"x",null,[2],false]')) == [(1, 1), (1, "x"), (1, None), (1, [2]),
                                                   (1, False)]


# --- sizes and number edge cases --------------------------------------------------------------


def test_ten_megabyte_line(read: Reader) -> None:
    line = b'{"name":"big","data":{"s":"' + b"a" * (10 * 1024 * 1024) + b'"}}'
    records = read(line + b"\n")
    assert len(records) == 1
    assert records[0].error is None
    assert records[0].raw == line
    assert records[0].value["data"]["s"] == "a" * (10 * 1024 * 1024)


def test_ten_megabyte_array_element(read: Reader) -> None:
    element = b'{"name":"big","data":{"s":"' + b"a" * (10 * 1024 * 1024) + b'"}}'
    records = read(b'[{"name":"small"},\n' + element + b',\n{"name":"after"}]')
    assert [(r.line, r.error) for r in records] == [(1, None), (2, None), (3, None)]
    assert records[1].raw == element
    assert records[2].value == {"name": "after"}


@pytest.mark.parametrize(
    "number",
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30, -(2**63), -(2**63) - 1, -(10**30)],
)
def test_huge_integers_are_exact_ndjson(read: Reader, number: int) -> None:
    # orjson decodes integers beyond 64 bits as floats; raw keeps the digits and
    # payload.exact_value re-decodes them exactly where a value is re-encoded
    records = read(b'{"n":' + str(number).encode() + b'}\n{"m":1}\n')
    assert [r.error for r in records] == [None, None]
    assert records[0].raw == b'{"n":' + str(number).encode() + b"}"
    assert exact_value(records[0]) == {"n": number}
    assert type(exact_value(records[0])["n"]) is int


@pytest.mark.parametrize("number", [2**64, 10**30, -(10**30)])
def test_huge_integers_are_exact_array(read: Reader, number: int) -> None:
    records = read(b'[{"n":' + str(number).encode() + b"}]")
    assert ok(records) == [(1, {"n": number})]


@pytest.mark.parametrize("layout", ["ndjson", "array"])
def test_duplicate_keys_last_wins(read: Reader, layout: str) -> None:
    element = b'{"a":1,"a":2}'
    data = element + b"\n" if layout == "ndjson" else b"[" + element + b"]"
    records = read(data)
    assert ok(records) == [(1, {"a": 2})]
    assert records[0].raw == element


# --- raw bytes --------------------------------------------------------------------------------


def test_raw_is_the_stripped_line(read: Reader) -> None:
    records = read(b'  {"a": 1 ,  "b" : "\xc3\xa9"}\t \r\n{"c":3}\n')
    assert [r.raw for r in records] == [b'{"a": 1 ,  "b" : "\xc3\xa9"}', b'{"c":3}']


def test_raw_is_the_array_element(read: Reader) -> None:
    records = read(b'  [ { "a" : 1 } ,\n\t{"b":"\xc3\xa9 \xe2\x82\xac"}  ]  ')
    assert [r.raw for r in records] == [b'{ "a" : 1 }', b'{"b":"\xc3\xa9 \xe2\x82\xac"}']
    assert ok(records) == [(1, {"a": 1}), (2, {"b": "é €"})]


def test_raw_keeps_escapes(read: Reader) -> None:
    records = read(b'[{"s":"\\u00e9\\n"}]')
    assert records[0].raw == b'{"s":"\\u00e9\\n"}'
    assert records[0].value == {"s": "é\n"}


# --- --format override ------------------------------------------------------------------------


def test_format_json_reads_ndjson(read: Reader) -> None:
    assert ok(read(b'{"a":1}\n\n{"b":2}\n', "json")) == [(1, {"a": 1}), (3, {"b": 2})]


def test_format_ndjson_keeps_an_array_line_whole(read: Reader) -> None:
    records = read(b'[{"a":1},{"b":2}]\n', "ndjson")
    assert ok(records) == [(1, [{"a": 1}, {"b": 2}])]
    assert records[0].raw == b'[{"a":1},{"b":2}]'


def test_format_ndjson_on_a_pretty_object_reports_each_line(read: Reader) -> None:
    records = read(b'{\n"a":1}\n', "ndjson")
    assert shape(records) == [(1, None, True), (2, None, True)]
    assert [r.raw for r in records] == [b"{", b'"a":1}']


def test_format_json_on_a_pretty_object(read: Reader) -> None:
    assert ok(read(b'\n{\n "a": 1\n}\n', "json")) == [(2, {"a": 1})]


# --- the 1 MiB read-chunk boundary ------------------------------------------------------------

ELEMENT = b'{"name":"b","data":{"k":12345,"t":true,"n":null,"s":"str"}}'
PAD_HEAD = b'[{"p":"'
PAD_TAIL = b'"},'


def straddling(element: bytes, split: int, tail: bytes = b',{"name":"c"}]') -> bytes:
    """An array whose second element starts ``split`` bytes before the first chunk ends."""
    pad = CHUNK - split - len(PAD_HEAD) - len(PAD_TAIL)
    data = PAD_HEAD + b"x" * pad + PAD_TAIL + element + tail
    assert data.index(element) + split == CHUNK
    return data


@pytest.mark.parametrize("split", [0, 1, 2, 7, 8, 9, 20, len(ELEMENT) - 2, len(ELEMENT) - 1,
                                   len(ELEMENT), len(ELEMENT) + 1])
def test_element_straddling_the_chunk_boundary(read: Reader, split: int) -> None:
    records = read(straddling(ELEMENT, split))
    assert [r.error for r in records] == [None, None, None]
    assert records[1].raw == ELEMENT
    assert [r.value for r in records[1:]] == [json.loads(ELEMENT), {"name": "c"}]


@pytest.mark.parametrize("split", [1, 3, 6])
def test_pretty_element_straddling_the_chunk_boundary(read: Reader, split: int) -> None:
    element = b'{\n    "name": "b",\n    "data": {\n        "k": 1\n    }\n}'
    records = read(straddling(element, split, b',\n{"name":"c"}\n]'))
    assert [(r.line, r.error) for r in records] == [(1, None), (1, None), (7, None)]
    assert records[1].raw == element


@pytest.mark.parametrize(
    ("char", "cut"),
    [("é", 1), ("€", 1), ("€", 2), ("😀", 1), ("😀", 2), ("😀", 3)],
)
def test_multibyte_character_straddling_the_chunk_boundary(read: Reader, char: str,
                                                           cut: int) -> None:
    # the chunk ends `cut` bytes into the multibyte character
    head = b'{"name":"'
    element = head + char.encode() + b'","data":{"s":"' + char.encode() * 3 + b'"}}'
    records = read(straddling(element, len(head) + cut))
    assert [r.error for r in records] == [None, None, None]
    assert records[1].raw == element
    assert records[1].value == {"name": char, "data": {"s": char * 3}}


@pytest.mark.parametrize("cut", [1, 5, 9])
def test_number_straddling_the_chunk_boundary(read: Reader, cut: int) -> None:
    records = read(straddling(b"1234567890", cut, b',{"name":"c"}]'))
    assert [(r.value, r.error) for r in records[1:]] == [(1234567890, None), ({"name": "c"}, None)]


def test_number_straddling_the_chunk_boundary_outside_an_array(read: Reader) -> None:
    pad = b'{"p":"' + b"x" * (CHUNK - 14) + b'"}\n'
    assert len(pad) == CHUNK - 5
    records = read(pad + b"1234567890\n")
    assert [(r.line, r.value, r.error) for r in records[1:]] == [(2, 1234567890, None)]


def test_several_megabytes_of_pretty_json_keep_line_numbers(read: Reader) -> None:
    elements = [{"i": i, "pad": "y" * 100} for i in range(20_000)]
    data = json.dumps(elements, indent=1).encode()
    assert len(data) > 2 * CHUNK
    records = read(data)
    assert [r.value for r in records] == elements
    assert [r.line for r in records] == [2 + 4 * i for i in range(len(elements))]
    assert all(r.error is None for r in records)


# --- properties -------------------------------------------------------------------------------

SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**53), max_value=2**53)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                 max_size=3),
    max_leaves=6,
)
OBJECTS = st.dictionaries(st.text(max_size=6), VALUES, max_size=4)
STREAMS = st.sampled_from(["bytesio", "buffered"])
INLINE_WS = st.sampled_from(["", " ", "\t", "  \t"])
EOL = st.sampled_from(["\n", "\r\n"])
JSON_WS = st.lists(st.sampled_from([" ", "\t", "\n", "\r\n", "    "]), max_size=3).map("".join)


def stream_of(kind: str, data: bytes) -> io.BytesIO | io.BufferedReader:
    raw = io.BytesIO(data)
    return raw if kind == "bytesio" else io.BufferedReader(raw)


@st.composite
def ndjson_documents(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, Any, bytes]]]:
    objects = draw(st.lists(OBJECTS, max_size=6))
    ascii_only = draw(st.booleans())
    text, expected, line = "", [], 1
    for obj in objects:
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            text += draw(INLINE_WS) + draw(EOL)
            line += 1
        compact = draw(st.booleans())
        encoded = json.dumps(obj, ensure_ascii=ascii_only,
                             separators=(",", ":") if compact else None)
        text += draw(INLINE_WS) + encoded + draw(INLINE_WS) + draw(EOL)
        expected.append((line, obj, encoded.encode()))
        line += 1
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")
    return text.encode(), expected


@st.composite
def json_array_documents(draw: st.DrawFn) -> tuple[bytes, list[tuple[int, Any, bytes]]]:
    objects = draw(st.lists(OBJECTS, max_size=6))
    indent = draw(st.sampled_from([None, 0, 1, 2, 4, "\t"]))
    ascii_only = draw(st.booleans())
    text = draw(JSON_WS) + "[" + draw(JSON_WS)
    expected = []
    for i, obj in enumerate(objects):
        if i:
            text += draw(JSON_WS) + "," + draw(JSON_WS)
        encoded = json.dumps(obj, indent=indent, ensure_ascii=ascii_only)
        expected.append((1 + text.count("\n"), obj, encoded.encode()))
        text += encoded
    text += draw(JSON_WS) + "]" + draw(JSON_WS)
    return text.encode(), expected


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ndjson_documents(), STREAMS)
def test_property_ndjson(document: tuple[bytes, list[tuple[int, Any, bytes]]], kind: str) -> None:
    data, expected = document
    records = list(read_records(stream_of(kind, data), "p"))
    assert [(r.line, r.value, r.raw, r.error) for r in records] == [
        (line, value, raw, None) for line, value, raw in expected
    ]


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_array_documents(), STREAMS)
def test_property_json_array(document: tuple[bytes, list[tuple[int, Any, bytes]]],
                             kind: str) -> None:
    data, expected = document
    records = list(read_records(stream_of(kind, data), "p"))
    assert [(r.line, r.value, r.raw, r.error) for r in records] == [
        (line, value, raw, None) for line, value, raw in expected
    ]


JSONISH = st.lists(
    st.sampled_from([b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"\n", b"\r", b" ", b"1",
                     b"-", b"e", b"null", b"NaN", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\x00",
                     b'"a"', b'{"a":1}']),
    max_size=30,
).map(b"".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), JSONISH), st.sampled_from(FORMATS), STREAMS)
def test_property_random_bytes_never_raise(data: bytes, fmt: Format, kind: str) -> None:
    for record in read_records(stream_of(kind, data), "p", fmt):
        assert isinstance(record, Record)
        assert record.source == "p"
        assert record.line >= 1
        assert isinstance(record.raw, bytes)
        if record.error is not None:
            assert isinstance(record.error, str)
            assert record.error
            assert "\n" not in record.error and "\r" not in record.error


def test_decode_problems_of_one_input_never_reach_another_read_on_another_thread() -> None:
    """Each input keeps its own decode notes: a reader thread meeting NaN in every element of
    one array never makes a clean array read at the same time fail (a shared list did)."""
    import sys
    import threading

    count = 3000
    bad = b"[" + b",".join([b'{"name":"a","data":{"x":NaN}}'] * count) + b"]"
    good = b"[" + b",".join([b'{"name":"a","data":{"x":[1.5,2,3,4,5,6,7,8]}}'] * count) + b"]"
    errors: dict[str, list[str | None]] = {}

    def read(label: str, data: bytes) -> None:
        errors[label] = [r.error for r in read_records(io.BytesIO(data), label, "json")]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, inside the hooks too
    try:
        threads = [threading.Thread(target=read, args=(label, data))
                   for label, data in (("bad", bad), ("good", good))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors["good"] == [None] * count
    assert errors["bad"] == ["invalid JSON: NaN is not valid JSON"] * count
