"""Unit tests of the `serve` core without HTTP: body parsing, IDs, the store, REST formatting."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inngest_cli import jsontext, timeparse
from inngest_cli.ids import IdSeed, encode_ulid, ulid_time_ms
from inngest_cli.server import ingest, v1format
from inngest_cli.server.ingest import IdAllocator, parse_body, seeded_ids, ulid_run
from inngest_cli.server.store import EventQuery, EventRow, Store, StoreError

# -- IDs ---------------------------------------------------------------------------------------


@given(ms=st.integers(1, (1 << 48) - 1), entropy=st.binary(min_size=10, max_size=10),
       count=st.integers(0, 300))
def test_seeded_ids_match_the_protocol_algorithm(ms: int, entropy: bytes, count: int) -> None:
    seed = IdSeed(ms, entropy)
    assert seeded_ids(seed, count) == [seed.event_id(p) for p in range(1, count + 1)]


def test_seeded_ids_wrap_the_counter_like_the_protocol() -> None:  # docs/protocol.md §3
    seed = IdSeed(1743130137367, bytes(6) + (0xFFFF_FFFF - 2).to_bytes(4, "big"))
    assert seeded_ids(seed, 6) == [seed.event_id(p) for p in range(1, 7)]


@given(start=st.one_of(st.integers(0, (1 << 80) - 5000), st.integers(0, 1 << 20)),
       count=st.integers(0, 5000))
@settings(max_examples=50)
def test_ulid_run_counts_up_across_character_boundaries(start: int, count: int) -> None:
    expected = [encode_ulid(7, (start + i).to_bytes(10, "big")) for i in range(count)]
    assert ulid_run(7, start, count) == expected


def test_random_ids_increase_across_requests_even_when_the_clock_goes_back() -> None:
    allocator = IdAllocator()
    first, ms1 = allocator.allocate(3, 1_000_000)
    second, ms2 = allocator.allocate(2, 999_000)  # clock stepped back
    third, _ = allocator.allocate(1, 2_000_000)
    ids = first + second + third
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert ms1 == ms2 == 1_000_000 and ulid_time_ms(third[0]) == 2_000_000


def test_seeded_request_ids_are_the_worked_example() -> None:
    seed = IdSeed.parse("1743130137367,eii2YKXRVTJPuA==")
    ids, ms = IdAllocator().allocate(2, 1, seed)
    assert ids == ["01JQDAE4RQF8MBCR55T5AK4KXS", "01JQDAE4RQF8MBCR55T5AK4KXT"]
    assert ms == 1743130137367


# -- body parsing ------------------------------------------------------------------------------


def _names(accepted: list[ingest.Accepted]) -> list[str]:
    return [a[0] for a in accepted]


@pytest.mark.parametrize(("body", "names", "error"), [
    (b"", [], None),
    (b" \n\t", [], None),
    (b"[]", [], None),
    (b"[}", [], None),  # Go's Decoder.More stops at '}' too
    (b'[{"name":"a"}', ["a"], None),  # unterminated: the loop just ends
    (b'[{"name":"a"}] trailing junk', ["a"], None),
    (b'[{"name":"a"},', ["a"], "unexpected EOF"),
    (b'[{"name":"a"} {"name":"b"}]', ["a"], "invalid character '{' after array element"),
    (b'[{"name":"a"},]', ["a"], "invalid character ']' looking for beginning of value"),
    (b'[{"name":"a"},{"name":NaN}]', ["a"], "invalid character 'N' looking for beginning of value"),
    (b'{"name":"a"} x', [], "invalid character 'x' after top-level value"),
    (b'{"name":"a"', [], "unexpected end of JSON input"),
    (b'"hello"', [], ingest.NOT_EVENTS),
    (b"\xef\xbb\xbf[]", [], ingest.NOT_EVENTS),  # a BOM is not JSON
])
def test_body_shapes(body: bytes, names: list[str], error: str | None) -> None:
    accepted, problem = parse_body(body)
    assert (_names(accepted), problem) == (names, error)


@pytest.mark.parametrize(("event", "error"), [
    ({"name": "a", "data": "x"},
     "json: cannot unmarshal string into Go struct field raw.data of type map[string]interface {}"),
    ({"name": "a", "data": []},
     "json: cannot unmarshal array into Go struct field raw.data of type map[string]interface {}"),
    ({"name": 1}, "json: cannot unmarshal number into Go struct field raw.name of type string"),
    ({"name": "a", "ts": "1"},
     "json: cannot unmarshal string into Go struct field raw.ts of type int64"),
    ({"name": "a", "ts": 1.5},
     "json: cannot unmarshal number 1.5 into Go struct field raw.ts of type int64"),
    ({"name": "a", "v": 1},
     "json: cannot unmarshal number into Go struct field raw.v of type string"),
    ({"name": "a", "id": True},
     "json: cannot unmarshal bool into Go struct field raw.id of type string"),
    (1, "json: cannot unmarshal number into Go value of type event.raw"),
    ([], "json: cannot unmarshal array into Go value of type event.raw"),
    (None, "event name is empty"),
    ({"name": "inngest/x"}, "event name is reserved for internal use: inngest/x"),
    ({"name": "a", "ts": -1}, "timestamp is before Jan 1, 1980"),
])
def test_event_errors(event: Any, error: str) -> None:
    assert parse_body(b"[" + orjson.dumps(event) + b"]") == ([], error)


def test_fields_are_normalized_like_the_server() -> None:
    body = orjson.dumps([
        {"NAME": "a", "Data": {"_inngest": {"x": 1}, "b": 2, "a": 1}, "USER": {}, "Ts": 0,
         "id": "", "v": ""},
        {"name": "b", "name2": 1, "user": {"u": 1}, "ts": 1700000000000, "id": "x", "v": "1"},
        {"name": "c", "NAME": None},  # null leaves the field alone
    ])
    accepted, problem = parse_body(body)
    assert problem is None
    assert accepted == [("a", "", '{"a":1,"b":2}', None, 0, None),
                        ("b", "x", None, '{"u":1}', 1700000000000, "1"),
                        ("c", "", None, None, 0, None)]


def test_count_limit_stores_the_first_5000() -> None:
    body = b"[" + b",".join([b'{"name":"a"}'] * 5001) + b"]"
    accepted, problem = parse_body(body)
    assert len(accepted) == 5000 and problem == ingest.TOO_MANY
    assert parse_body(body[:-len(b',{"name":"a"}]')] + b"]") == (accepted, None)


def test_sizes_are_raw_element_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Multi-byte characters and whitespace inside an element count as sent."""
    monkeypatch.setattr(ingest, "MAX_EVENT_BYTES", 40)
    element = '{"name":"é", "data":{"k":"ééééé"}}'  # 40 bytes
    assert len(element.encode()) == 40
    body = f"[{element},\n {element}]".encode()
    assert len(body) > 40  # the exact path
    assert len(parse_body(body)[0]) == 2
    bigger = element.replace(", ", ",  ")
    accepted, problem = parse_body(f"[{element}, {bigger}]".encode())
    assert len(accepted) == 1
    assert problem == "Event is over the max size: Max 40 bytes / Size 41 bytes"
    single = f"  {element} \n".encode()  # from '{' to the end of the body
    assert parse_body(single)[1] == "Event is over the max size: Max 40 bytes / Size 42 bytes"


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 70), 1 << 70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=8)
_events = st.one_of(
    st.fixed_dictionaries({"name": st.sampled_from(["a", "b/c", "", "inngest/x", "INNGEST/y"])},
                          optional={"data": st.one_of(st.none(), st.dictionaries(
                                        st.sampled_from(["_inngest", "k", "<&>"]), _json_values,
                                        max_size=3), st.text(max_size=2)),
                                    "ts": st.one_of(st.integers(-5, 5_000_000_000_000),
                                                    st.floats(0, 1e13)),
                                    "id": st.one_of(st.text(max_size=3), st.integers()),
                                    "v": st.text(max_size=2), "Name": st.text(max_size=2),
                                    "user": st.one_of(st.none(), st.dictionaries(
                                        st.text(max_size=2), st.integers(), max_size=2))}),
    _json_values)


@given(st.lists(_events, max_size=8))
@settings(max_examples=200)
def test_the_fast_and_exact_paths_agree(events: list[Any]) -> None:
    body = json.dumps(events).encode()
    fast = parse_body(body)
    exact = ingest._accept(ingest._walk_array(body.decode(), 1))
    assert fast == exact


# -- store -------------------------------------------------------------------------------------


def _row(internal_id: str, received: int, name: str = "a") -> EventRow:
    return (internal_id, received, name, internal_id, None, None, received, None)


def test_store_window_cursor_name_and_skew(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    now = 1_800_000_000_000
    own = [_row(encode_ulid(now + i, bytes(10)), now + i) for i in range(5)]
    store.insert_events(own, 0)
    # A client whose clock is a day behind: ULID time far from received_at.
    seeded = [_row(encode_ulid(now - 86_400_000, bytes(9) + bytes([i])), now + 10, "late")
              for i in range(2)]
    store.insert_events(seeded, -86_400_010)
    store.insert_events(seeded, -86_400_010)  # a retried request: ignored
    everything = store.list_events(EventQuery(now, now + 100, 51))
    assert [r[0] for r in everything] == [r[0] for r in own[::-1]] + [r[0] for r in seeded[::-1]]
    assert store.list_events(EventQuery(now + 5, now + 100, 51, name="late")) == seeded[::-1]
    page = store.list_events(EventQuery(now, now + 100, 2, cursor=own[3][0]))
    assert page == [own[2], own[1]]
    assert store.list_events(EventQuery(now + 1, now + 2, 51)) == [own[2], own[1]]
    assert store.list_events(EventQuery(now + 200, now + 100, 51)) == []
    store.close()
    reopened = Store(tmp_path / "s.db")  # skew bounds survive a restart
    assert len(reopened.list_events(EventQuery(now + 10, now + 10, 51))) == 2
    assert reopened.count_events() == 7
    reopened.close()


@pytest.mark.parametrize("count", [1, 99, 100, 101, 250, 300])
def test_store_inserts_every_row_once_across_statements(tmp_path: Path, count: int) -> None:
    """Rows go in a hundred to a statement and the rest one by one: each row is stored exactly
    once with every field, a repeated ID keeps its first row wherever the statements split, and
    a retried request adds nothing."""
    store = Store(tmp_path / "s.db")
    now = 1_800_000_000_000
    rows = [(encode_ulid(now, i.to_bytes(10, "big")), now, f"app/e{i % 7}", f"id-{i}",
             f'{{"n":{i}}}', '{"u":1}' if i % 3 else None, now - i, "v1" if i % 2 else None)
            for i in range(count)]
    mixed: list[EventRow] = []  # a repeat right after every 37th row: inside and across splits
    for i, row in enumerate(rows):
        mixed.append(row)
        if i % 37 == 0:
            mixed.append((row[0], now, "app/again", "dup", None, None, now, None))
    store.insert_events(mixed, 0)
    store.insert_events(rows, 0)  # the retry
    assert store.count_events() == count
    stored = store.list_events(EventQuery(now, now, 51 + count))
    assert sorted(stored) == sorted(rows)
    store.close()


def test_store_excludes_internal_names_from_lists_only(tmp_path: Path) -> None:
    store = Store(":memory:")
    internal = _row(encode_ulid(5, bytes(10)), 5, "inngest/function.finished")
    store.insert_events([internal, _row(encode_ulid(6, bytes(10)), 6)])
    assert [r[2] for r in store.list_events(EventQuery(0, 10, 51))] == ["a"]
    assert store.get_event(internal[0]) == internal


def test_store_runs(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    event_id = encode_ulid(5, bytes(10))
    run = (encode_ulid(6, bytes(10)), 6, "fn", 0, event_id, None, None, None, "Completed", 9,
           '{"ok":true}')
    store.insert_run(run)
    assert store.get_run(run[0]) == run
    assert store.runs_for_event(event_id) == [run]
    assert store.runs_for_event(run[0]) == []


def test_store_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer than this inngest-cli understands"):
        Store(path)


def test_store_uses_wal_and_full_sync(tmp_path: Path) -> None:
    store = Store(tmp_path / "w.db")
    conn = store._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()


# -- REST formatting ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "ms"), [
    ("2026-01-02", 1767312000000),
    ("2026-01-02T03:04:05Z", 1767323045000),
    ("2026-01-02T03:04:05.123456789Z", 1767323045123),
    ("2026-01-02T03:04:05", 1767323045000),
    ("2026-01-02 03:04:05", 1767323045000),
    ("2026-01-02T05:04:05+02:00", 1767323045000),
    ("2026-01-01T22:04:05-05:00", 1767323045000),
    ("Fri, 02 Jan 2026 03:04:05 GMT", 1767323045000),
    ("Fri, 02 Jan 2026 03:04:05 -0000", 1767323045000),
])
def test_parse_time_accepts(text: str, ms: int) -> None:
    assert timeparse.parse_go_time_ms(text) == ms


@pytest.mark.parametrize("text", ["1700000000", "1700000000000", "yesterday", "2026-13-01",
                                  "2026-01-02T03:04:05 02:00", "", "now", "2026-01-02T25:00:00Z"])
def test_parse_time_rejects(text: str) -> None:
    assert timeparse.parse_go_time_ms(text) is None


@pytest.mark.parametrize(("text", "limit"), [
    (None, 20), ("", 20), ("abc", 20), ("0", 20), ("5", 5), ("+5", 5), ("500", 51), ("-3", 1),
    (" 5", 20), ("99999999999999999999", 20),
])
def test_parse_limit(text: str | None, limit: int) -> None:
    assert v1format.parse_limit(text) == limit


def test_time_formats_are_go_rfc3339nano() -> None:
    assert v1format.rfc3339_ms(1767323045000) == "2026-01-02T03:04:05Z"
    assert v1format.rfc3339_ms(1767323045120) == "2026-01-02T03:04:05.12Z"
    assert v1format.rfc3339_ns(1767323045_000000100) == "2026-01-02T03:04:05.0000001Z"


def test_go_json_escapes_like_encoding_json() -> None:
    assert jsontext.go_json({"a": "<b>&\u2028"}) == b'{"a":"\\u003cb\\u003e\\u0026\\u2028"}\n'


def test_signing_key_auth() -> None:
    key = "signkey-test-" + "ab" * 16
    hashed = hashlib.sha256(bytes.fromhex("ab" * 16)).hexdigest()
    auth = v1format.SigningKeyAuth(key)
    assert auth.allows("Bearer " + hashed)
    assert auth.allows("bearer signkey-prod-" + hashed)
    assert auth.allows("BEARER " + key)
    assert auth.allows("Bearer " + "ab" * 16)
    assert not auth.allows("Bearer  " + hashed)  # exactly one separator
    assert not auth.allows("Basic " + hashed)
    assert not auth.allows(None)
    assert not auth.allows("Bearer " + hashed.upper())
    assert v1format.signing_key_problem(key) is None
    assert v1format.signing_key_problem("abc") is not None
    assert v1format.signing_key_problem("signkey-prod-zz") is not None
    assert v1format.signing_key_problem("signkey-prod-") == "--signing-key is empty"


@pytest.mark.parametrize("code", [
    # the core: stdlib + orjson only
    "import sys, inngest_cli.server; assert not {'typer', 'rich'} & set(sys.modules)",
    # `inngest-cli send` never pays for the server
    "import sys, inngest_cli.cli.serve; assert 'inngest_cli.server' not in sys.modules",
])
def test_imports_stay_light(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True)


def test_two_stores_on_one_file_agree(tmp_path: Path) -> None:
    """The skew range is read from the database, not remembered: a store opened before another
    one stored clock-skewed events still lists them (and, both ways, each lists the other's)."""
    path = tmp_path / "shared.db"
    first, second = Store(path), Store(path)
    now = 1_800_000_000_000
    assert first.list_events(EventQuery(now, now + 100, 51)) == []  # opened and used first
    behind = [_row(encode_ulid(now - 86_400_000, bytes(9) + bytes([i])), now + 10, "behind")
              for i in range(2)]
    ahead = [_row(encode_ulid(now + 86_400_000, bytes(9) + bytes([i])), now + 20, "ahead")
             for i in range(2)]
    second.insert_events(behind, -86_400_010)
    first.insert_events(ahead, 86_399_980)
    for store in (first, second):
        listed = store.list_events(EventQuery(now, now + 100, 51))
        assert [r[0] for r in listed] == [r[0] for r in ahead[::-1] + behind[::-1]]
    first.close()
    second.close()


def test_an_explicit_database_directory_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    with pytest.raises(StoreError) as caught:
        Store(missing)
    assert str(caught.value) == (
        f"cannot open database {missing}: directory {missing.parent} does not exist")
    assert not (tmp_path / "no").exists()
    Store(missing, create_dir=True).close()
    assert missing.exists()
