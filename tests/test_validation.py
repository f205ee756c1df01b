"""Client-side event validation mirroring `POST /e/{key}` (docs/protocol.md §4, §5, and the
test vectors of §11, rows 6-19)."""

from __future__ import annotations

from typing import Any

import pytest

from inngest_cli.validation import (
    MAX_EVENT_BYTES,
    MAX_EVENTS_PER_REQUEST,
    MAX_TS_MS,
    MIN_TS_MS,
    event_problem,
    json_type,
    size_problem,
    ts_hint,
)


def test_limits_match_the_protocol() -> None:  # docs/protocol.md §4, §5
    assert MIN_TS_MS == 315_532_800_000
    assert MAX_TS_MS == 4_102_444_800_000
    assert MAX_EVENT_BYTES == 3_145_728
    assert MAX_EVENTS_PER_REQUEST == 5000


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"name": "app/a"}, id="name-only"),
        pytest.param({"name": "app/a", "data": {"x": 1}}, id="with-data"),
        pytest.param({"name": "app/a", "data": None}, id="data-null"),
        pytest.param({"name": "app/a", "user": {"id": 1}}, id="with-user"),
        pytest.param({"name": "app/a", "user": None}, id="user-null"),
        pytest.param({"name": "app/a", "id": "abc", "v": "2024-01-01.1"}, id="id-and-v"),
        pytest.param({"name": "app/a", "ts": 0}, id="ts-zero"),
        pytest.param({"name": "app/a", "ts": None}, id="ts-null"),
        pytest.param({"name": "app/a", "ts": 1_700_000_000_000}, id="ts-ms"),
        pytest.param({"name": "app/a", "ts": MIN_TS_MS}, id="ts-1980-inclusive"),
        pytest.param({"name": "app/a", "ts": MAX_TS_MS}, id="ts-2100-inclusive"),
        pytest.param({"name": "app/a", "unknown": [1, 2]}, id="unknown-field"),
        pytest.param({"name": "inngestx/a"}, id="prefix-without-slash"),
        pytest.param({"name": "app/inngest/a"}, id="inngest-not-at-start"),
    ],
)
def test_valid_events(event: dict[str, Any]) -> None:
    assert event_problem(event) is None


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        pytest.param({"name": ""}, "event name is empty", id="name-empty"),
        pytest.param({"data": {}}, "event name is empty", id="name-missing"),
        pytest.param({"name": None}, "event name is empty", id="name-null"),
        pytest.param({}, "event name is empty", id="empty-object"),
        pytest.param(None, "event name is empty", id="null-event"),
        pytest.param({"name": 1}, "name must be a string, not a number", id="name-number"),
        pytest.param({"name": ["a"]}, "name must be a string, not an array", id="name-array"),
        pytest.param({"name": True}, "name must be a string, not a boolean", id="name-bool"),
        pytest.param({"name": {"a": 1}}, "name must be a string, not an object", id="name-object"),
        pytest.param({"name": "inngest/x"},
                     "event name is reserved for internal use: inngest/x", id="reserved"),
        pytest.param({"name": "Inngest/X"},
                     "event name is reserved for internal use: Inngest/X",
                     id="reserved-mixed-case"),
        pytest.param({"name": "INNGEST/function.finished"},
                     "event name is reserved for internal use: INNGEST/function.finished",
                     id="reserved-upper-case"),
        pytest.param({"name": "a", "data": "x"}, "data must be an object, not a string",
                     id="data-string"),
        pytest.param({"name": "a", "data": []}, "data must be an object, not an array",
                     id="data-array"),
        pytest.param({"name": "a", "data": 1}, "data must be an object, not a number",
                     id="data-number"),
        pytest.param({"name": "a", "data": False}, "data must be an object, not a boolean",
                     id="data-bool"),
        pytest.param({"name": "a", "user": "x"}, "user must be an object, not a string",
                     id="user-string"),
        pytest.param({"name": "a", "user": [1]}, "user must be an object, not an array",
                     id="user-array"),
        pytest.param({"name": "a", "id": 1}, "id must be a string, not a number", id="id-number"),
        pytest.param({"name": "a", "id": {"k": 1}}, "id must be a string, not an object",
                     id="id-object"),
        pytest.param({"name": "a", "v": 1}, "v must be a string, not a number", id="v-number"),
        pytest.param({"name": "a", "v": True}, "v must be a string, not a boolean", id="v-bool"),
        pytest.param({"name": "a", "ts": 1.5},
                     "ts must be an integer (milliseconds since the epoch), not a number",
                     id="ts-float"),
        pytest.param({"name": "a", "ts": 1_700_000_000_000.0},
                     "ts must be an integer (milliseconds since the epoch), not a number",
                     id="ts-integral-float"),
        pytest.param({"name": "a", "ts": "1"},
                     "ts must be an integer (milliseconds since the epoch), not a string",
                     id="ts-string"),
        pytest.param({"name": "a", "ts": True},
                     "ts must be an integer (milliseconds since the epoch), not a boolean",
                     id="ts-true"),
        pytest.param({"name": "a", "ts": False},
                     "ts must be an integer (milliseconds since the epoch), not a boolean",
                     id="ts-false"),
        pytest.param({"name": "a", "ts": 1_700_000_000}, "timestamp is before Jan 1, 1980",
                     id="ts-seconds"),
        pytest.param({"name": "a", "ts": -1}, "timestamp is before Jan 1, 1980", id="ts-negative"),
        pytest.param({"name": "a", "ts": MIN_TS_MS - 1}, "timestamp is before Jan 1, 1980",
                     id="ts-just-before-1980"),
        pytest.param({"name": "a", "ts": MAX_TS_MS + 1}, "timestamp is after Jan 1, 2100",
                     id="ts-just-after-2100"),
        pytest.param({"name": "a", "ts": 1_700_000_000_000_000}, "timestamp is after Jan 1, 2100",
                     id="ts-microseconds"),
        pytest.param(1, "event must be a JSON object, not a number", id="number"),
        pytest.param("x", "event must be a JSON object, not a string", id="string"),
        pytest.param([], "event must be a JSON object, not an array", id="array"),
        pytest.param(True, "event must be a JSON object, not a boolean", id="bool"),
    ],
)
def test_event_problems(event: Any, problem: str) -> None:
    assert event_problem(event) == problem


def test_field_names_match_case_insensitively_like_go() -> None:
    # docs/protocol.md §4 "other fields": Go's encoding/json matches field names case-insensitively,
    # so the server accepts `{"NAME": ...}` as the event name.
    assert event_problem({"NAME": "app/a", "Data": {"x": 1}}) is None


def test_type_errors_come_before_name_checks() -> None:
    # Go's json.Unmarshal fails on the wrong type before NormalizeInbound looks at the name.
    assert event_problem({"name": "", "data": "x"}) == "data must be an object, not a string"


def test_reserved_name_checked_before_timestamp() -> None:
    assert (event_problem({"name": "inngest/x", "ts": 1})
            == "event name is reserved for internal use: inngest/x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [({}, "an object"), ([], "an array"), ("", "a string"), (True, "a boolean"), (1, "a number"),
     (1.5, "a number"), (None, "null")],
)
def test_json_type(value: Any, expected: str) -> None:
    assert json_type(value) == expected


def test_ts_hint_for_seconds() -> None:
    assert ts_hint(1_700_000_000) == (
        "1700000000 looks like seconds; Inngest wants milliseconds (1700000000000)"
    )


def test_ts_hint_for_seconds_at_1980() -> None:
    assert ts_hint(315_532_800) == (
        "315532800 looks like seconds; Inngest wants milliseconds (315532800000)"
    )


def test_ts_hint_for_microseconds() -> None:
    assert ts_hint(1_700_000_000_123_456) == (
        "1700000000123456 looks like microseconds; Inngest wants milliseconds (1700000000123)"
    )


@pytest.mark.parametrize(
    "ts",
    [1_700_000_000_000, 0, -5, 123, True, "1700000000", 1_700_000_000.0, None,
     MAX_TS_MS * 1000 + 1],
)
def test_no_ts_hint(ts: Any) -> None:
    assert ts_hint(ts) is None


def test_size_at_the_limit_is_ok() -> None:
    assert size_problem(3_145_728) is None


def test_size_over_the_limit() -> None:
    assert size_problem(3_145_729) == (
        "Event is over the max size: Max 3145728 bytes / Size 3145729 bytes"
    )


def test_size_with_a_custom_limit() -> None:
    assert size_problem(262_145, 262_144) == (
        "Event is over the max size: Max 262144 bytes / Size 262145 bytes"
    )
    assert size_problem(262_144, 262_144) is None
