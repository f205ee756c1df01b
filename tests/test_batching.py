"""Greedy packing of events into requests under the byte and count limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inngest_cli.batching import (
    DEFAULT_MAX_REQUEST_BYTES,
    MAX_REQUEST_BYTES,
    Limits,
    encode_batch,
    pack,
    request_size,
)


@dataclass(frozen=True)
class Ev:
    body: bytes
    tag: int = 0


def ev(size: int, tag: int = 0) -> Ev:
    """A valid JSON object of exactly ``size`` bytes (size >= 2)."""
    if size < 10:
        return Ev(b"{" + b" " * (size - 2) + b"}", tag)
    return Ev(b'{"p":"' + b"x" * (size - 8) + b'"}', tag)


def test_defaults() -> None:
    limits = Limits()
    assert limits.max_request_bytes == DEFAULT_MAX_REQUEST_BYTES == 512 * 1024
    assert limits.max_batch == 5000
    assert MAX_REQUEST_BYTES == 3 * 1024 * 1024


def test_request_size_of_nothing() -> None:
    assert request_size([]) == 2


def test_request_size_counts_brackets_and_commas() -> None:
    events = [ev(10), ev(20), ev(30)]
    assert request_size(events) == len(encode_batch(events)) == 2 + 60 + 2


def test_encode_batch() -> None:
    assert encode_batch([Ev(b'{"name":"a"}'), Ev(b'{"name":"b"}')]) == (
        b'[{"name":"a"},{"name":"b"}]'
    )


def test_encode_empty_batch() -> None:
    assert encode_batch([]) == b"[]"


def test_pack_nothing() -> None:
    assert list(pack([], Limits())) == []


def test_pack_fills_to_the_exact_byte_limit() -> None:
    events = [ev(10, i) for i in range(5)]
    limits = Limits(max_request_bytes=2 + 10 * 3 + 2)
    batches = list(pack(events, limits))
    assert [len(b) for b in batches] == [3, 2]
    assert request_size(batches[0]) == limits.max_request_bytes


def test_pack_one_byte_short_of_fitting() -> None:
    limits = Limits(max_request_bytes=2 + 10 * 3 + 2 - 1)
    assert [len(b) for b in pack([ev(10, i) for i in range(5)], limits)] == [2, 2, 1]


def test_pack_respects_max_batch() -> None:
    batches = list(pack([ev(2, i) for i in range(7)], Limits(max_batch=3)))
    assert [len(b) for b in batches] == [3, 3, 1]


def test_oversized_event_goes_alone() -> None:
    events = [ev(10, 0), ev(100, 1), ev(10, 2)]
    batches = list(pack(events, Limits(max_request_bytes=50)))
    assert [[e.tag for e in b] for b in batches] == [[0], [1], [2]]


def test_oversized_first_event() -> None:
    batches = list(pack([ev(100, 0), ev(10, 1), ev(10, 2)], Limits(max_request_bytes=50)))
    assert [[e.tag for e in b] for b in batches] == [[0], [1, 2]]


def test_pack_is_lazy() -> None:
    def endless() -> Iterator[Ev]:
        i = 0
        while True:
            yield ev(10, i)
            i += 1

    batches = pack(endless(), Limits(max_batch=2))
    assert [e.tag for e in next(batches)] == [0, 1]
    assert [e.tag for e in next(batches)] == [2, 3]


def test_lower_to() -> None:
    limits = Limits()
    limits.lower_to(100_000)
    assert limits.max_request_bytes == 100_000


def test_lower_to_never_raises_the_limit() -> None:
    limits = Limits(max_request_bytes=1000)
    limits.lower_to(5000)
    assert limits.max_request_bytes == 1000


@pytest.mark.parametrize("size", [0, 1, -5])
def test_lower_to_has_a_floor(size: int) -> None:
    limits = Limits()
    limits.lower_to(size)
    assert limits.max_request_bytes == 2


def test_lower_to_affects_later_packing() -> None:
    limits = Limits(max_request_bytes=1000)
    batches = pack([ev(100, i) for i in range(20)], limits)
    assert len(next(batches)) == 9  # 2 + 9 * 100 + 8 commas = 910
    limits.lower_to(2 + 100 + 1 + 100)
    assert [len(b) for b in batches] == [2, 2, 2, 2, 2, 1]


SIZES = st.lists(st.integers(min_value=2, max_value=400), max_size=60)
LIMITS = st.builds(
    Limits,
    max_request_bytes=st.integers(min_value=2, max_value=2000),
    max_batch=st.integers(min_value=1, max_value=12),
)


@settings(max_examples=150, deadline=None)
@given(SIZES, LIMITS)
def test_property_pack(sizes: list[int], limits: Limits) -> None:
    events = [ev(size, i) for i, size in enumerate(sizes)]
    batches = list(pack(events, limits))
    # nothing lost, nothing reordered, nothing duplicated
    assert [e for batch in batches for e in batch] == events
    for batch in batches:
        assert batch, "empty batch"
        assert len(batch) <= limits.max_batch
        if len(batch) > 1:
            assert request_size(batch) <= limits.max_request_bytes
        assert len(encode_batch(batch)) == request_size(batch)
        assert json.loads(encode_batch(batch)) == [json.loads(e.body) for e in batch]


@settings(max_examples=150, deadline=None)
@given(SIZES, LIMITS)
def test_property_pack_is_greedy(sizes: list[int], limits: Limits) -> None:
    events = [ev(size, i) for i, size in enumerate(sizes)]
    batches = list(pack(events, limits))
    for batch, following in zip(batches, batches[1:], strict=False):
        # a batch was closed only because the next event would not fit
        assert (len(batch) == limits.max_batch
                or request_size([*batch, following[0]]) > limits.max_request_bytes)


@dataclass(frozen=True)
class Note:
    """An item without a body (a failure report between events): rides along, counts nothing."""

    tag: int


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.integers(2, 120), st.none()), max_size=80),
    st.lists(st.integers(1, 30), min_size=1, max_size=20),
    st.integers(2, 300),
    st.integers(1, 12),
    st.booleans(),
)
def test_add_all_makes_exactly_the_batches_of_add(
    sizes: list[int | None], runs: list[int], max_bytes: int, max_batch: int, notes: bool
) -> None:
    """Runs packed a list at a time (slices, a running size) give the same batches, boundaries
    and partial rest as items packed one by one, however the input is cut into runs; with
    bodiless items among them, and without (the bisection path)."""
    from inngest_cli.batching import Packer

    items: list[Ev | Note] = [
        Note(i) if size is None and notes else ev(size or 2, i) for i, size in enumerate(sizes)
    ]
    limits = Limits(max_request_bytes=max_bytes, max_batch=max_batch)
    one = Packer(limits)
    want = [full for item in items if (full := one.add(item)) is not None]
    want_rest = one.flush()
    packer = Packer(limits)
    got: list[list[Ev | Note]] = []
    start = 0
    for length in runs * (len(items) // max(1, sum(runs)) + 1):
        if start >= len(items):
            break
        packer.add_all(items[start : start + length], 0.0, got)
        start += length
    assert got == want
    assert packer.flush() == want_rest


@settings(max_examples=150, deadline=None)
@given(SIZES, st.lists(st.integers(1, 9), min_size=1, max_size=6), LIMITS)
def test_pack_runs_makes_the_batches_of_pack(
    sizes: list[int], cuts: list[int], limits: Limits
) -> None:
    """`pack_runs` (what `send --dry-run` packs bulk input with) gives `pack`'s batches, the
    last partial one included, however the input is cut into runs."""
    from inngest_cli.batching import pack_runs

    events = [ev(size, i) for i, size in enumerate(sizes)]
    runs, start = [], 0
    for length in cuts * (len(events) + 1):
        if start >= len(events):
            break
        runs.append(events[start : start + length])
        start += length
    assert list(pack_runs(runs, limits)) == list(pack(events, limits))


def test_pack_runs_is_lazy() -> None:
    """A batch comes out as soon as the run that closes it is in (a live input is not held)."""
    from inngest_cli.batching import pack_runs

    def endless() -> Iterator[list[Ev]]:
        i = 0
        while True:
            yield [ev(10, i), ev(10, i + 1), ev(10, i + 2)]
            i += 3

    batches = pack_runs(endless(), Limits(max_batch=2))
    assert [e.tag for e in next(batches)] == [0, 1]
    assert [e.tag for e in next(batches)] == [2, 3]
