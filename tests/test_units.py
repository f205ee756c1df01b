from __future__ import annotations

import pytest

from inngest_cli.units import columns, cut, fit, labelled, size_text, size_texts


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1024, "1 KiB"), (1536, "1.5 KiB"),
     (262_144, "256 KiB"), (4_000_042, "3.8 MiB"), (3 << 20, "3 MiB"), (5 << 30, "5 GiB"),
     (1_500 << 40, "1,500 TiB")],
)
def test_size_text(size: int, text: str) -> None:
    assert size_text(size) == text


def test_size_texts_fall_back_to_exact_bytes_when_the_rounded_ones_match() -> None:
    assert size_texts(4_000_042, 3 << 20) == ("3.8 MiB", "3 MiB")
    assert size_texts((3 << 20) + 1, 3 << 20) == ("3,145,729 bytes", "3,145,728 bytes")


def test_fit_breaks_at_spaces_within_80_columns_and_never_inside_a_word() -> None:
    text = ("sent 1,000,000 events in 4,000 requests (12 retries), 0 failed, 123.45 s, "
            "8,100 events/s")
    first = "sent 1,000,000 events in 4,000 requests (12 retries), 0 failed, 123.45 s, 8,100"
    assert len(first) == 79  # "events/s" would make it 88
    assert fit(text) == first + "\n  events/s"
    assert fit("short") == "short"
    long_word = "x" * 100
    assert fit(f"a {long_word} b") == f"a\n  {long_word}\n  b"


def test_cut_fits_the_columns_and_marks_the_cut() -> None:
    assert cut("x" * 80) == "x" * 80  # fits exactly: untouched
    assert cut("x" * 81) == "x" * 79 + "…"
    assert cut("abcdef", 4) == "abc…"
    assert cut("東京都庁", 6) == "東京…"  # 2 + 2 + 1: a third wide character would make 7
    assert cut("東京都庁", 5) == "東京…"
    assert cut("e\u0301" * 5, 4) == "e\u0301" * 3 + "…"  # a combining accent takes no column
    assert columns("Zürich 東京") == 11


def test_labelled_is_the_hint_layout() -> None:
    assert labelled("hint:", "a " * 40 + "end") == "hint: " + "a " * 36 + "a\n      a a a end"
