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


def test_feed_hands_over_in_order_and_ends() -> None:
    feed: Feed[int] = Feed(range(1000), capacity=7).start()
    got: list[int] = []
    deadline = time.monotonic() + 10
    while not feed.ended:
        assert time.monotonic() < deadline
        got += feed.take(0.1)
    assert got == list(range(1000))


def test_feed_reraises_the_readers_error_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("broken input")

    feed: Feed[int] = Feed(items()).start()
    got: list[int] = []
    with pytest.raises(ValueError, match="broken input"):
        for _ in range(100):
            got += feed.take(0.1)
    assert got == [1, 2]


def test_a_wake_is_not_lost_when_it_comes_before_the_wait() -> None:
    gate = threading.Event()

    def blocked() -> Iterator[int]:
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
