"""Input records -> wire events: passthrough, --name wrapping, exported events, failures."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from inngest_cli.inputs import Record
from inngest_cli.payload import (
    SERVER_FIELDS,
    Event,
    Failure,
    Shaping,
    finish_event,
    shape_record,
    shape_records,
)

SECONDS_HINT = "1700000000 looks like seconds; Inngest wants milliseconds (1700000000000)"
SIZE_HINT = ("the limit is 3 MiB on self-hosted servers and paid Cloud plans, 256 KiB on Cloud's "
             "free plan (--max-event-bytes)")


def rec(value: Any, raw: bytes | None = None, line: int = 3, source: str = "in.ndjson") -> Record:
    return Record(source, line, orjson.dumps(value) if raw is None else raw, value)


def exported(**extra: Any) -> dict[str, Any]:
    """An event as `GET /v1/events` returns it (docs/protocol.md §8)."""
    return {
        "internal_id": "01JQDAE4RQF8MBCR55T5AK4KXS",
        "account_id": "00000000-0000-0000-0000-000000000000",
        "environment_id": "00000000-0000-0000-0000-000000000000",
        "source": "",
        "source_id": None,
        "received_at": "2025-03-28T02:48:57.367Z",
        "id": "01JQDAE4RQF8MBCR55T5AK4KXS",
        "name": "app/a",
        "data": {"k": 1},
        "ts": 1743130137367,
        **extra,
    }


def test_passthrough_keeps_the_raw_bytes() -> None:
    raw = b'{ "name" : "app/a",  "data": {"x": 1.50} }'
    result = shape_record(rec({"name": "app/a", "data": {"x": 1.5}}, raw), Shaping())
    assert result == Event("in.ndjson", 3, raw, raw, "app/a", None)


def test_passthrough_keeps_the_client_id() -> None:
    result = shape_record(rec({"name": "app/a", "id": "order-1"}), Shaping())
    assert isinstance(result, Event)
    assert result.id == "order-1"


def test_invalid_record_becomes_a_failure() -> None:
    record = Record("in.ndjson", 7, b"{bad", error="invalid JSON: something")
    assert shape_record(record, Shaping()) == Failure("in.ndjson", 7, b"{bad",
                                                      "invalid JSON: something")


def test_invalid_event_is_a_failure_with_the_server_message() -> None:
    result = shape_record(rec({"name": ""}), Shaping())
    assert result == Failure("in.ndjson", 3, b'{"name":""}', "event name is empty")


def test_non_object_record_without_name() -> None:
    result = shape_record(rec(5), Shaping())
    assert result == Failure("in.ndjson", 3, b"5", "event must be a JSON object, not a number")


def test_seconds_timestamp_gets_a_hint() -> None:
    result = shape_record(rec({"name": "a", "ts": 1_700_000_000}), Shaping())
    assert isinstance(result, Failure)
    assert result.reason == "timestamp is before Jan 1, 1980"
    assert result.hint == SECONDS_HINT


def test_name_wraps_the_record_as_data() -> None:
    record = rec({"order": 7})
    result = shape_record(record, Shaping(name="shop/order.created"))
    assert isinstance(result, Event)
    assert orjson.loads(result.body) == {"name": "shop/order.created", "data": {"order": 7}}
    assert result.raw == record.raw
    assert (result.name, result.id, result.line) == ("shop/order.created", None, 3)


def test_name_with_id_and_ts_fields() -> None:
    record = rec({"oid": "o-1", "when": 1_700_000_000_000, "n": 2})
    result = shape_record(record, Shaping(name="shop/o", id_field="oid", ts_field="when"))
    assert isinstance(result, Event)
    assert orjson.loads(result.body) == {
        "name": "shop/o", "data": {"oid": "o-1", "when": 1_700_000_000_000, "n": 2},
        "id": "o-1", "ts": 1_700_000_000_000,
    }
    assert result.id == "o-1"


def test_missing_id_field() -> None:
    result = shape_record(rec({"order": 7}), Shaping(name="shop/o", id_field="oid"))
    assert result == Failure("in.ndjson", 3, b'{"order":7}',
                             "oid (--id-field) is missing from the record")


def test_missing_ts_field() -> None:
    result = shape_record(rec({"order": 7}), Shaping(name="shop/o", ts_field="when"))
    assert result == Failure("in.ndjson", 3, b'{"order":7}',
                             "when (--ts-field) is missing from the record")


def test_ts_field_in_seconds_fails_with_a_hint() -> None:
    result = shape_record(rec({"when": 1_700_000_000}), Shaping(name="s/x", ts_field="when"))
    assert isinstance(result, Failure)
    assert result.reason == "timestamp is before Jan 1, 1980"
    assert result.hint == SECONDS_HINT


@pytest.mark.parametrize(
    ("value", "reason"),
    [([1], "data must be an object, not an array"),
     ("x", "data must be an object, not a string"),
     (None, "data must be an object, not null"),
     (3, "data must be an object, not a number")],
)
def test_non_object_record_with_name(value: Any, reason: str) -> None:
    result = shape_record(rec(value), Shaping(name="s/x"))
    assert result == Failure("in.ndjson", 3, orjson.dumps(value), reason)


def test_reserved_name_flag() -> None:
    result = shape_record(rec({"a": 1}), Shaping(name="inngest/x"))
    assert isinstance(result, Failure)
    assert result.reason == "event name is reserved for internal use: inngest/x"


def test_exported_event_drops_server_fields_and_ts() -> None:
    result = shape_record(rec(exported()), Shaping())
    assert isinstance(result, Event)
    assert orjson.loads(result.body) == {"id": "01JQDAE4RQF8MBCR55T5AK4KXS", "name": "app/a",
                                         "data": {"k": 1}}


def test_exported_event_keep_ts() -> None:
    result = shape_record(rec(exported()), Shaping(keep_ts=True))
    assert isinstance(result, Event)
    body = orjson.loads(result.body)
    assert body["ts"] == 1743130137367
    assert not set(SERVER_FIELDS) & set(body)


def test_exported_event_keeps_its_raw_for_replay() -> None:
    record = rec(exported())
    result = shape_record(record, Shaping())
    assert isinstance(result, Event)
    assert result.raw == record.raw


def test_one_server_field_is_enough_to_count_as_exported() -> None:
    result = shape_record(rec({"name": "a", "ts": 1_700_000_000_000, "received_at": "x"}),
                          Shaping())
    assert isinstance(result, Event)
    assert orjson.loads(result.body) == {"name": "a"}


def test_plain_event_keeps_its_ts() -> None:
    raw = b'{"name":"a","ts":1700000000000}'
    result = shape_record(rec({"name": "a", "ts": 1_700_000_000_000}, raw), Shaping())
    assert isinstance(result, Event)
    assert result.body == raw


def test_server_fields() -> None:
    assert set(SERVER_FIELDS) == {"internal_id", "account_id", "environment_id", "source",
                                  "source_id", "received_at"}


def test_oversize_event() -> None:
    value = {"name": "a", "data": {"s": "x" * 100}}
    raw = orjson.dumps(value)
    result = shape_record(rec(value, raw), Shaping(max_event_bytes=50))
    assert result == Failure(
        "in.ndjson", 3, raw,
        f"event is {len(raw)} bytes, over the max event size of 50 bytes", SIZE_HINT,
    )


def test_event_at_the_size_limit_is_ok() -> None:
    raw = b'{"name":"a","data":{"s":"' + b"x" * 100 + b'"}}'
    result = shape_record(rec(orjson.loads(raw), raw), Shaping(max_event_bytes=len(raw)))
    assert isinstance(result, Event)


def test_oversize_is_measured_on_the_wrapped_event() -> None:
    value = {"s": "x" * 30}
    wrapped = orjson.dumps({"name": "s/x", "data": value})
    result = shape_record(rec(value), Shaping(name="s/x", max_event_bytes=len(wrapped) - 1))
    assert isinstance(result, Failure)
    assert result.reason == (
        f"event is {len(wrapped)} bytes, over the max event size of {len(wrapped) - 1} bytes"
    )


def test_default_max_event_bytes() -> None:
    assert Shaping().max_event_bytes == 3 * 1024 * 1024


def test_finish_event_reencodes() -> None:
    result = finish_event({"name": "a"}, b'{ "name" : "a" }', "f", 1, Shaping())
    assert isinstance(result, Event)
    assert result.body == b'{"name":"a"}'
    assert result.raw == b'{ "name" : "a" }'


def test_finish_event_uses_the_given_body() -> None:
    result = finish_event({"name": "a"}, b"raw", "f", 1, Shaping(), b'{"name":"a"}')
    assert isinstance(result, Event)
    assert result.body == b'{"name":"a"}'


def test_huge_integers_survive_reencoding() -> None:
    value = {"name": "a", "internal_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV", "data": {"n": 2**70}}
    result = shape_record(rec(value, raw=b"(raw)"), Shaping())
    assert isinstance(result, Event)
    assert result.body == b'{"name":"a","data":{"n":1180591620717411303424}}'


def test_shape_records_keeps_order() -> None:
    records = [rec({"name": "a"}, line=1), Record("f", 2, b"x", error="bad"),
               rec({"name": "b"}, line=3)]
    results = list(shape_records(records, Shaping()))
    assert [type(r).__name__ for r in results] == ["Event", "Failure", "Event"]
    assert [r.line for r in results] == [1, 2, 3]


def test_failure_location_with_line() -> None:
    assert Failure("events.ndjson", 1834, b"", "event name is empty").location() == (
        "events.ndjson:1834"
    )


def test_failure_location_without_line() -> None:
    assert Failure("--data", 0, b"", "x").location() == "--data"


@pytest.mark.parametrize(
    ("padding", "limit", "reason"),
    [
        # sizes people read; the exact bytes when the rounded sizes would read the same
        (4_000_000, 3 << 20, "event is 3.8 MiB, over the max event size of 3 MiB"),
        (300_000, 256 << 10, "event is 293 KiB, over the max event size of 256 KiB"),
        (3 << 20, 3 << 20, "event is 3,145,758 bytes, over the max event size of "
                           "3,145,728 bytes"),
    ],
)
def test_oversize_reads_in_binary_units(padding: int, limit: int, reason: str) -> None:
    value = {"s": "x" * padding}  # the wrapped event is 30 bytes more
    result = shape_record(rec(value), Shaping(name="s/x", max_event_bytes=limit))
    assert isinstance(result, Failure)
    assert result.reason == reason
