"""The sender in-process, with scripted posters: ordering, interrupts, and reproducible seeds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from inngest_cli.batching import Limits
from inngest_cli.errors import AuthError, Interrupted
from inngest_cli.ids import IdSeed
from inngest_cli.payload import Event, Failure
from inngest_cli.replies import Outcome, Reply
from inngest_cli.sender import Sender, SendOptions, seed_for


def events(count: int, start: int = 1) -> list[Event]:
    return [Event("in", n, b'{"name":"a"}', b'{"name":"a"}', "a", None)
            for n in range(start, start + count)]


class Recorder:
    """Accepts everything; records each request's seed and size."""

    def __init__(self) -> None:
        self.seeds: list[str] = []
        self.lock = threading.Lock()

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        with self.lock:
            self.seeds.append(seed.header())
        return Reply(Outcome.ACCEPTED, 200, [seed.event_id(i + 1) for i in range(count)], "")


def run(poster: object, items: list[Event | Failure], **options: object) -> tuple[list, list]:
    accepted: list[tuple[int, str]] = []
    failed: list[int] = []
    sender = Sender(poster, SendOptions(**options),  # type: ignore[arg-type]
                    on_accepted=lambda e, i: accepted.append((e.line, i)),
                    on_failure=lambda f: failed.append(f.line))
    sender.run(items)
    return accepted, failed


def test_results_come_in_input_order_with_failures_in_place() -> None:
    items: list[Event | Failure] = [*events(3), Failure("in", 4, b"x", "bad"), *events(3, 5)]
    order: list[tuple[str, int]] = []
    sender = Sender(Recorder(), SendOptions(limits=Limits(max_batch=2), concurrency=3),
                    on_accepted=lambda e, i: order.append(("ok", e.line)),
                    on_failure=lambda f: order.append(("failed", f.line)))
    stats = sender.run(items)
    assert order == [("ok", 1), ("ok", 2), ("ok", 3), ("failed", 4), ("ok", 5), ("ok", 6),
                     ("ok", 7)]
    assert (stats.sent, stats.failed, stats.requests) == (6, 1, 3)


def test_same_base_seed_same_requests_same_ids() -> None:
    base = IdSeed.generate()
    first, second = Recorder(), Recorder()
    ids_first, _ = run(first, list(events(10)), base_seed=base, limits=Limits(max_batch=3))
    ids_second, _ = run(second, list(events(10)), base_seed=base, limits=Limits(max_batch=3))
    assert ids_first == ids_second
    assert sorted(first.seeds) == sorted(second.seeds)
    three: list[Event | Failure] = list(events(3, 4))
    assert seed_for(base, 3, three) == seed_for(base, 3, list(events(3, 4)))
    assert seed_for(base, 3, three) != seed_for(base, 6, three)  # same bytes, elsewhere
    other: list[Event | Failure] = [Event("in", 4, b'{"name":"b"}', b'{"name":"b"}', "b", None),
                                    *events(2, 5)]
    assert seed_for(base, 3, three) != seed_for(base, 3, other)  # same place, other events


def test_fresh_seeds_without_a_base() -> None:
    ids_first, _ = run(Recorder(), list(events(4)))
    ids_second, _ = run(Recorder(), list(events(4)))
    assert ids_first != ids_second


class Blocking:
    """Never answers until released: a request in flight at the interrupt."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        self.release.wait(10)
        return Reply(Outcome.ACCEPTED, 200, ["X"] * count, "")


def test_interrupt_waits_only_the_grace_period() -> None:
    poster = Blocking()
    sender = Sender(poster, SendOptions(grace=0.3, limits=Limits(max_batch=5)),
                    on_accepted=lambda e, i: None, on_failure=lambda f: None)
    threading.Timer(0.2, sender.interrupt).start()
    started = time.monotonic()
    with pytest.raises(Interrupted) as caught:
        sender.run(iter(events(20)))
    poster.release.set()
    assert time.monotonic() - started < 2
    assert caught.value.stats.sent == 0
    assert caught.value.stats.unconfirmed == 20


class FailingThenOk:
    """Answers 500 until interrupted: retries must stop at once, not run their backoff."""

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        return Reply(Outcome.RETRY, 500, [], "boom")


def test_interrupt_cuts_retry_backoff() -> None:
    sender = Sender(FailingThenOk(), SendOptions(retries=10, backoff_base=5.0, grace=5),
                    on_accepted=lambda e, i: None, on_failure=lambda f: None)
    threading.Timer(0.2, sender.interrupt).start()
    started = time.monotonic()
    with pytest.raises(Interrupted):
        sender.run(iter(events(3)))
    assert time.monotonic() - started < 2


class TooLarge:
    """413 for any request above 40 bytes."""

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        if len(body) > 40:
            return Reply(Outcome.TOO_LARGE, 413, [], "too large")
        return Reply(Outcome.ACCEPTED, 200, ["X"] * count, "")


def test_413_splits_and_lowers_the_cap() -> None:
    limits = Limits(max_request_bytes=1000)
    accepted, failed = run(TooLarge(), list(events(8)), limits=limits, concurrency=1)
    assert [line for line, _ in accepted] == list(range(1, 9))
    assert failed == []
    assert limits.max_request_bytes <= 40 + 13


class Unauthorized:
    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        return Reply(Outcome.FATAL, 401, [], "Event key not found", auth=True)


def test_every_event_read_is_reported_when_a_fatal_reply_ends_the_run() -> None:
    read: list[int] = []

    def source() -> Iterator[Event | Failure]:
        for event in events(40):
            read.append(event.line)
            yield event

    failed: list[int] = []
    sender = Sender(Unauthorized(), SendOptions(concurrency=2, limits=Limits(max_batch=5)),
                    on_accepted=lambda e, i: None, on_failure=lambda f: failed.append(f.line))
    with pytest.raises(AuthError):
        sender.run(source())
    assert failed == read  # in input order, none dropped, none twice
    assert len(read) < 40  # reading stopped early
