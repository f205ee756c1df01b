"""Event ID seeds and ULIDs (docs/protocol.md §3, and §11 row 3)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inngest_cli.ids import (
    CROCKFORD,
    ENTROPY_BYTES,
    SEED_HEADER,
    IdSeed,
    encode_ulid,
    is_ulid,
    new_ulid,
    ulid_time_ms,
)

EXAMPLE_HEADER = "1743130137367,eii2YKXRVTJPuA=="


def test_header_name() -> None:
    assert SEED_HEADER == "x-inngest-event-id-seed"


def test_worked_example_parses() -> None:
    seed = IdSeed.parse(EXAMPLE_HEADER)
    assert seed is not None
    assert seed.ms == 1743130137367
    assert seed.entropy == base64.b64decode("eii2YKXRVTJPuA==")


def test_worked_example_first_id() -> None:
    seed = IdSeed.parse(EXAMPLE_HEADER)
    assert seed is not None
    assert seed.event_id(1) == "01JQDAE4RQF8MBCR55T5AK4KXS"


def test_worked_example_second_id() -> None:
    seed = IdSeed.parse(EXAMPLE_HEADER)
    assert seed is not None
    assert seed.event_id(2) == "01JQDAE4RQF8MBCR55T5AK4KXT"


def test_worked_example_ids_carry_the_seed_time() -> None:
    seed = IdSeed.parse(EXAMPLE_HEADER)
    assert seed is not None
    assert ulid_time_ms(seed.event_id(1)) == 1743130137367


def test_same_seed_gives_same_ids() -> None:
    first = IdSeed.parse(EXAMPLE_HEADER)
    second = IdSeed.parse(EXAMPLE_HEADER)
    assert first is not None and second is not None
    assert [first.event_id(i) for i in range(1, 6)] == [second.event_id(i) for i in range(1, 6)]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("1743130137367", id="no-comma"),
        pytest.param("1743130137367;eii2YKXRVTJPuA==", id="wrong-separator"),
        pytest.param("1743130137367,eii2YKXRVTJP", id="9-bytes"),
        pytest.param("1743130137367," + base64.b64encode(b"\x01" * 11).decode(), id="11-bytes"),
        pytest.param("1743130137367,", id="no-entropy"),
        pytest.param("1743130137367,eii2YKXRVTJPuA", id="bad-base64-padding"),
        pytest.param("1743130137367,eii2YKXR!TJPuA==", id="bad-base64-char"),
        pytest.param("1743130137367,eii2YKXRVTJPuA==eQ==", id="base64-after-padding"),
        pytest.param("1743130137367,eii2YKXRV TJPuA==", id="space-in-base64"),
        pytest.param("1743130137367,eii2YKXRVTJPu\u00e9==", id="non-ascii-base64"),
        pytest.param("1743130137367,eii2YKXRVTJP-_==", id="urlsafe-base64"),
        pytest.param("17431x0137367,eii2YKXRVTJPuA==", id="non-digit-ms"),
        pytest.param("-1743130137367,eii2YKXRVTJPuA==", id="negative-ms"),
        pytest.param("1743130137367.5,eii2YKXRVTJPuA==", id="fractional-ms"),
        pytest.param(",eii2YKXRVTJPuA==", id="empty-ms"),
        pytest.param("0,eii2YKXRVTJPuA==", id="zero-ms"),
        pytest.param(f"{1 << 48},eii2YKXRVTJPuA==", id="ms-over-48-bits"),
        pytest.param("\u00b2,eii2YKXRVTJPuA==", id="superscript-digit-ms"),
    ],
)
def test_malformed_seed_is_none(header: str | None) -> None:
    assert IdSeed.parse(header) is None


def test_largest_48_bit_ms_is_accepted() -> None:
    seed = IdSeed.parse(f"{(1 << 48) - 1},eii2YKXRVTJPuA==")
    assert seed is not None
    assert seed.ms == (1 << 48) - 1


def test_header_round_trip_of_the_example() -> None:
    seed = IdSeed.parse(EXAMPLE_HEADER)
    assert seed is not None
    assert seed.header() == EXAMPLE_HEADER


@given(st.integers(min_value=1, max_value=(1 << 48) - 1),
       st.binary(min_size=ENTROPY_BYTES, max_size=ENTROPY_BYTES))
def test_header_round_trip(ms: int, entropy: bytes) -> None:
    seed = IdSeed(ms, entropy)
    assert IdSeed.parse(seed.header()) == seed


def test_generate_makes_a_parseable_seed() -> None:
    seed = IdSeed.generate()
    assert len(seed.entropy) == ENTROPY_BYTES
    assert IdSeed.parse(seed.header()) == seed


def test_counter_wraps_at_2_pow_32() -> None:
    seed = IdSeed(1743130137367, b"\xaa" * 6 + b"\xff\xff\xff\xff")
    assert seed.event_id(1) == encode_ulid(1743130137367, b"\xaa" * 6 + b"\x00\x00\x00\x00")


def test_counter_wrap_does_not_carry_into_the_first_six_bytes() -> None:
    seed = IdSeed(1, b"\x00" * 6 + b"\xff\xff\xff\xfe")
    assert seed.event_id(3) == encode_ulid(1, b"\x00" * 6 + b"\x00\x00\x00\x01")


def test_ids_of_consecutive_positions_differ_by_one() -> None:
    seed = IdSeed(1743130137367, b"\x00" * 10)
    assert seed.event_id(1) == "01JQDAE4RQ0000000000000001"
    assert seed.event_id(32) == "01JQDAE4RQ0000000000000010"


def test_encode_ulid_zero() -> None:
    assert encode_ulid(0, b"\x00" * 10) == "0" * 26


def test_encode_ulid_max() -> None:
    assert encode_ulid((1 << 48) - 1, b"\xff" * 10) == "7" + "Z" * 25


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("01JQDAE4RQF8MBCR55T5AK4KXS", True, id="example"),
        pytest.param("01jqdae4rqf8mbcr55t5ak4kxs", True, id="lowercase"),
        pytest.param("7ZZZZZZZZZZZZZZZZZZZZZZZZZ", True, id="max"),
        pytest.param("00000000000000000000000000", True, id="zero"),
        pytest.param("81JQDAE4RQF8MBCR55T5AK4KXS", False, id="first-char-over-7"),
        pytest.param("01JQDAE4RQF8MBCR55T5AK4KX", False, id="25-chars"),
        pytest.param("01JQDAE4RQF8MBCR55T5AK4KXSS", False, id="27-chars"),
        pytest.param("01JQDAE4RQF8MBCR55T5AK4KXU", False, id="letter-U"),
        pytest.param("01JQDAE4RQF8MBCR55T5AK4KXI", False, id="letter-I"),
        pytest.param("01JQDAE4RQF8MBCR55T5AK4KXL", False, id="letter-L"),
        pytest.param("01JQDAE4RQF8MBCR55T5AK4KXO", False, id="letter-O"),
        pytest.param("01JQDAE4RQF8MBCR55T5AK4KX-", False, id="dash"),
        pytest.param("", False, id="empty"),
        pytest.param("not-a-ulid", False, id="garbage"),
    ],
)
def test_is_ulid(text: str, expected: bool) -> None:
    assert is_ulid(text) is expected


def test_ulid_time_ms_of_example() -> None:
    assert ulid_time_ms("01JQDAE4RQF8MBCR55T5AK4KXS") == 1743130137367


def test_ulid_time_ms_is_case_insensitive() -> None:
    assert ulid_time_ms("01jqdae4rqf8mbcr55t5ak4kxs") == 1743130137367


@given(st.integers(min_value=0, max_value=(1 << 48) - 1),
       st.binary(min_size=ENTROPY_BYTES, max_size=ENTROPY_BYTES))
def test_encode_ulid_is_a_ulid_carrying_its_time(ms: int, entropy: bytes) -> None:
    text = encode_ulid(ms, entropy)
    assert is_ulid(text)
    assert set(text) <= set(CROCKFORD)
    assert ulid_time_ms(text) == ms


def test_new_ulid_with_given_time() -> None:
    text = new_ulid(1743130137367)
    assert is_ulid(text)
    assert ulid_time_ms(text) == 1743130137367


def test_new_ulids_differ() -> None:
    assert new_ulid(1) != new_ulid(1)
