"""The pieces of live sending in-process: the reader thread's hand-over (Feed), time-aware packing
(Packer), and the sender flushing a partial batch, emitting results and stopping while its input
is blocked; gzip and interruptible sources."""

from __future__ import annotations

import gzip
import io
import os
import threading
import time
from collections.abc import Iterator

import pytest

from inngest_cli.batching import Limits, Packer
from inngest_cli.errors import Interrupted
from inngest_cli.feed import Feed, StopReading
from inngest_cli.ids import IdSeed
from inngest_cli.payload import Event, Failure
from inngest_cli.replies import Outcome, Reply
from inngest_cli.sender import Sender, SendOptions
from inngest_cli.sources import PipeReader, Stopper, gunzipped


def make_event(line: int) -> Event:
    body = b'{"name":"t/e","data":{"n":%d}}' % line
    return Event(source="live", line=line, body=body, raw=body, name="t/e", id=None)


class Accept:
    def __init__(self) -> None:
        self.requests: list[int] = []

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        self.requests.append(count)
        return Reply(Outcome.ACCEPTED, 200, [f"id{len(self.requests)}-{i}" for i in range(count)],
                     "")


def runs_of(items: list[int], sizes: list[int]) -> Iterator[list[int]]:
    start = 0
    for size in sizes:
        yield items[start : start + size]
        start += size
    if start < len(items):
        yield items[start:]


def test_feed_hands_over_in_order_and_ends() -> None:
    items = list(range(1000))
    feed: Feed[int] = Feed(runs_of(items, [1, 3, 0, 7, 8, 50, 2] * 10), capacity=7).start()
    got: list[int] = []
    deadline = time.monotonic() + 10
    while not feed.ended:
        assert time.monotonic() < deadline
        got += feed.take(0.1)
    assert got == items


def test_the_bound_counts_items_not_runs() -> None:
    """A run longer than the room left goes in as slices: never more than `capacity` items wait,
    and the reader takes the next run only when the last one is in."""
    taken: list[int] = []

    def runs() -> Iterator[list[int]]:
        for first in (0, 10):
            taken.append(first)
            yield list(range(first, first + 10))

    feed: Feed[int] = Feed(runs(), capacity=4).start()
    got: list[int] = []
    deadline = time.monotonic() + 10
    while len(got) < 20:
        assert time.monotonic() < deadline
        # until the reader waits for room (or is done)
        while not (feed._full and feed._put - feed._got == 4) and not feed._ended:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        waiting = feed._put - feed._got
        assert waiting <= 4
        if not feed._ended:
            assert taken == ([0] if len(got) + waiting <= 10 else [0, 10])
        got += feed.take(0.1)
    assert got == list(range(20))


def test_feed_reraises_the_readers_error_after_the_items_before_it() -> None:
    def items() -> Iterator[list[int]]:
        yield [1, 2]
        raise ValueError("broken input")

    feed: Feed[int] = Feed(items()).start()
    got: list[int] = []
    with pytest.raises(ValueError, match="broken input"):
        for _ in range(100):
            got += feed.take(0.1)
    assert got == [1, 2]


def test_a_run_read_after_close_is_kept_for_leftover() -> None:
    gate = threading.Event()

    def runs() -> Iterator[list[int]]:
        yield [1, 2, 3]
        gate.wait(10)
        yield [4, 5, 6, 7, 8]  # read after the consumer closed, and over the bound

    feed: Feed[int] = Feed(runs(), capacity=2).start()
    got: list[int] = []
    deadline = time.monotonic() + 10
    while len(got) < 3:
        assert time.monotonic() < deadline
        got += feed.take(0.1)
    gate.set()
    rest = feed.close() + feed.leftover(5)
    assert got + rest == [1, 2, 3, 4, 5, 6, 7, 8]


def test_a_wake_is_not_lost_when_it_comes_before_the_wait() -> None:
    gate = threading.Event()

    def blocked() -> Iterator[list[int]]:
        gate.wait(10)
        yield from ()

    feed: Feed[int] = Feed(blocked()).start()
    feed.wake()
    started = time.monotonic()
    feed.wait(5)
    assert time.monotonic() - started < 2
    gate.set()


def test_packer_closes_full_batches_and_flushes_the_rest() -> None:
    packer = Packer(Limits(max_batch=3))
    full: list[list[Event]] = []
    packer.add_all([make_event(i) for i in range(1, 8)], 1.0, full)
    assert [[e.line for e in b] for b in full] == [[1, 2, 3], [4, 5, 6]]
    assert packer.oldest == 1.0
    rest = packer.flush()
    assert rest is not None and [e.line for e in rest] == [7]
    assert packer.flush() is None and len(packer) == 0


def test_a_partial_batch_leaves_while_the_input_blocks() -> None:
    release = threading.Event()
    accepted: list[tuple[int, float]] = []

    def live() -> Iterator[Event | Failure]:
        yield make_event(1)
        yield make_event(2)
        release.wait(10)  # the input stays open and idle
        yield make_event(3)

    api = Accept()

    def on_accepted(event: Event, event_id: str) -> None:
        accepted.append((event.line, time.monotonic()))
        if event.line == 2:
            release.set()

    sender = Sender(api, SendOptions(linger=0.2), on_accepted=on_accepted,
                    on_failure=lambda f: None)
    started = time.monotonic()
    sender.run(live())
    assert [line for line, _ in accepted] == [1, 2, 3]
    assert accepted[1][1] - started < 5  # emitted while the input was still blocked
    assert api.requests == [2, 1]


def test_an_interrupt_while_the_input_blocks_ends_the_run() -> None:
    stopper = Stopper()
    read, write = os.pipe()
    try:
        os.write(write, b"x")

        def live() -> Iterator[Event | Failure]:
            yield make_event(1)
            reader = PipeReader(read, stopper)
            buffer = bytearray(8)
            while True:
                reader.readinto(buffer)  # the first read returns "x"; the next one blocks

        sender = Sender(Accept(), SendOptions(), on_accepted=lambda e, i: None,
                        on_failure=lambda f: None, stop_input=stopper.stop)
        threading.Timer(0.3, sender.interrupt).start()
        started = time.monotonic()
        with pytest.raises(Interrupted):
            sender.run(live())
        assert time.monotonic() - started < 5
        assert sender.stats.sent == 1
    finally:
        os.close(read)
        os.close(write)
        stopper.close()


def test_a_stopped_pipe_reader_takes_nothing_more() -> None:
    stopper = Stopper()
    read, write = os.pipe()
    try:
        stopper.stop()
        os.write(write, b"later\n")
        with pytest.raises(StopReading):
            PipeReader(read, stopper).readinto(bytearray(16))
        assert os.read(read, 16) == b"later\n"  # still in the pipe
    finally:
        os.close(read)
        os.close(write)
        stopper.close()


def test_gzip_is_recognised_by_its_magic_bytes() -> None:
    packed = gzip.compress(b'{"name":"a/b"}\n')
    assert gunzipped(io.BytesIO(packed)).read() == b'{"name":"a/b"}\n'
    assert gunzipped(io.BytesIO(b'{"name":"a/b"}\n')).read() == b'{"name":"a/b"}\n'


def test_runs_are_packed_into_the_batches_items_would_make() -> None:
    """A bulk input moves a run at a time (`Runs`): the requests, in order and size, are those
    of the same items given one by one (files: packed by size alone)."""
    from inngest_cli.batching import Limits
    from inngest_cli.payload import Runs

    events = [make_event(i) for i in range(1, 2001)]
    cuts = [0, 1, 7, 700, 701, 1500, 2000]

    def requests(items: object) -> list[int]:
        api = Accept()
        options = SendOptions(linger=None, limits=Limits(max_request_bytes=4000, max_batch=90))
        Sender(api, options, on_accepted=lambda e, i: None, on_failure=lambda f: None).run(
            items  # type: ignore[arg-type]
        )
        return api.requests

    runs = Runs([events[a:b] for a, b in zip(cuts, cuts[1:], strict=False)])
    assert requests(runs) == requests(iter(events))
    assert sum(requests(Runs([events]))) == 2000


def test_on_error_stop_reads_nothing_after_the_failure_in_its_run() -> None:
    from inngest_cli.payload import Runs

    bad = Failure("live", 2, b"{", "invalid JSON")
    accepted: list[int] = []
    failed: list[int] = []
    sender = Sender(Accept(), SendOptions(on_error="stop", linger=None),
                    on_accepted=lambda e, i: accepted.append(e.line),
                    on_failure=lambda f: failed.append(f.line))
    sender.run(Runs([[make_event(1), bad, make_event(3)], [make_event(4)]]))
    assert sender.taken == 2  # lines 3 and 4 were never taken from the input
    assert failed == [1, 2]  # the batch holding the failure is not sent (as item by item)
    assert accepted == []


def test_a_cut_leaves_the_rest_of_a_run_untaken() -> None:
    """A file after an interrupt (`Runs.cut`): a reader waiting for room with part of a run in
    hand stops there, as it would have item by item; what it had put in is still handed over."""
    stop = threading.Event()
    feed: Feed[int] = Feed(iter([list(range(10))]), capacity=2, cut=stop.is_set).start()

    def reader_waits() -> None:
        deadline = time.monotonic() + 10
        while not (feed._full and feed._put - feed._got == 2):
            assert time.monotonic() < deadline
            time.sleep(0.001)

    reader_waits()
    got = feed.take(1)
    reader_waits()
    stop.set()
    got += feed.take(1)
    deadline = time.monotonic() + 10
    while not feed.ended:
        assert time.monotonic() < deadline
        got += feed.take(0.1)
    assert got == [0, 1, 2, 3]
