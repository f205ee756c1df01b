"""Time values on the command line (cli-conventions "Time values")."""

from __future__ import annotations

import pytest

from inngest_cli.timeparse import TimeValueError, now_ms, parse_time_ms

NOW = 1_795_428_000_000  # 2026-11-23T10:00:00Z
GARBAGE = ("{!r} is not epoch milliseconds, an ISO-8601 time (2026-11-23T10:00:00Z) "
           "or a relative time (+10m, -2h, 7d)")


@pytest.mark.parametrize("past", [True, False])
def test_epoch_ms(past: bool) -> None:
    assert parse_time_ms("1700000000000", past_by_default=past, now=NOW) == 1_700_000_000_000


def test_epoch_ms_with_surrounding_space() -> None:
    assert parse_time_ms(" 1700000000000\n", past_by_default=True, now=NOW) == 1_700_000_000_000


def test_epoch_zero() -> None:
    assert parse_time_ms("0", past_by_default=True, now=NOW) == 0


def test_iso_with_z() -> None:
    assert parse_time_ms("2026-11-23T10:00:00Z", past_by_default=True, now=0) == NOW


def test_iso_with_lowercase_z() -> None:
    assert parse_time_ms("2026-11-23T10:00:00z", past_by_default=True, now=0) == NOW


def test_iso_with_offset() -> None:
    assert parse_time_ms("2026-11-23T12:00:00+02:00", past_by_default=True, now=0) == NOW


def test_iso_with_negative_offset() -> None:
    assert parse_time_ms("2026-11-23T05:00:00-05:00", past_by_default=True, now=0) == NOW


def test_iso_with_milliseconds() -> None:
    assert parse_time_ms("2026-11-23T10:00:00.123Z", past_by_default=True, now=0) == NOW + 123


def test_iso_sub_millisecond_truncates() -> None:
    assert parse_time_ms("2026-11-23T10:00:00.999999Z", past_by_default=True, now=0) == NOW + 999


def test_iso_without_zone_is_utc() -> None:
    assert parse_time_ms("2026-11-23T10:00:00", past_by_default=True, now=0) == NOW


def test_iso_date_only_is_utc_midnight() -> None:
    assert parse_time_ms("2026-11-23", past_by_default=True, now=0) == 1_795_392_000_000


def test_bare_relative_is_past_when_past_by_default() -> None:
    assert parse_time_ms("15m", past_by_default=True, now=NOW) == NOW - 15 * 60_000


def test_bare_relative_needs_a_sign_otherwise() -> None:
    with pytest.raises(TimeValueError) as info:
        parse_time_ms("15m", past_by_default=False, now=NOW)
    assert str(info.value) == "'15m' needs a sign: +15m (that far ahead) or -15m (that long ago)"


def test_plus_sign_wins_over_past_by_default() -> None:
    assert parse_time_ms("+10m", past_by_default=True, now=NOW) == NOW + 600_000


def test_plus_sign_future() -> None:
    assert parse_time_ms("+10m", past_by_default=False, now=NOW) == NOW + 600_000


def test_minus_sign_wins_over_future_default() -> None:
    assert parse_time_ms("-2h", past_by_default=False, now=NOW) == NOW - 7_200_000


def test_minus_sign_past() -> None:
    assert parse_time_ms("-2h", past_by_default=True, now=NOW) == NOW - 7_200_000


@pytest.mark.parametrize(
    ("text", "delta"),
    [("500ms", 500), ("30s", 30_000), ("15m", 900_000), ("2h", 7_200_000),
     ("7d", 604_800_000), ("1w", 604_800_000), ("1.5h", 5_400_000), ("0m", 0)],
)
def test_relative_units(text: str, delta: int) -> None:
    assert parse_time_ms("+" + text, past_by_default=False, now=NOW) == NOW + delta
    assert parse_time_ms(text, past_by_default=True, now=NOW) == NOW - delta


def test_relative_uses_the_clock_without_now() -> None:
    before = now_ms()
    value = parse_time_ms("+1h", past_by_default=False)
    after = now_ms()
    assert before + 3_600_000 <= value <= after + 3_600_000


@pytest.mark.parametrize(
    ("text", "ms"),
    [("1700000000", 1_700_000_000_000), ("315532800", 315_532_800_000),
     ("4102444800", 4_102_444_800_000)],
)
def test_seconds_are_rejected(text: str, ms: int) -> None:
    with pytest.raises(TimeValueError) as info:
        parse_time_ms(text, past_by_default=False, now=NOW)
    assert str(info.value) == f"{text} looks like seconds; Inngest wants milliseconds ({ms})"


def test_just_outside_the_seconds_range_is_ms() -> None:
    assert parse_time_ms("4102444801", past_by_default=True, now=NOW) == 4_102_444_801


@pytest.mark.parametrize(
    "text",
    ["yesterday", "15M", "10 m", "1e3", "2026-13-01", "2026-11-23T25:00:00Z", "m", "++1m",
     "now-1h"],
)
def test_garbage_is_rejected(text: str) -> None:
    with pytest.raises(TimeValueError) as info:
        parse_time_ms(text, past_by_default=True, now=NOW)
    assert str(info.value) == GARBAGE.format(text)


def test_garbage_for_ts_lists_only_signed_relative_times() -> None:
    """`--ts` refuses a bare `7d`, so its error does not offer one."""
    with pytest.raises(TimeValueError) as info:
        parse_time_ms("yesterday", past_by_default=False, now=NOW)
    assert str(info.value) == GARBAGE.format("yesterday").replace(", 7d)", ")")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_is_rejected(text: str) -> None:
    with pytest.raises(TimeValueError) as info:
        parse_time_ms(text, past_by_default=True, now=NOW)
    assert str(info.value) == "empty time value"


def test_time_value_error_is_a_value_error() -> None:
    assert issubclass(TimeValueError, ValueError)
