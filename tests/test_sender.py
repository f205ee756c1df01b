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
from inngest_cli.sender import Sender, SendOptions, seed_for, shift_seed


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


# -- outcomes and resumes ---------------------------------------------------------------------
class Scripted:
    """Answers each attempt from a list of replies (then accepts), recording the seeds."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.seeds: list[IdSeed] = []

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        self.seeds.append(seed)
        if self.replies:
            return self.replies.pop(0)
        return Reply(Outcome.ACCEPTED, 200, [seed.event_id(i + 1) for i in range(count)], "")


def outcomes(poster: object, items: list[Event | Failure], **options: object) -> dict[str, list]:
    seen: dict[str, list] = {"accepted": [], "failed": [], "unconfirmed": [], "settled": []}
    sender = Sender(
        poster, SendOptions(backoff_base=0.0, **options),  # type: ignore[arg-type]
        on_accepted=lambda e, i: seen["accepted"].append(e.line),
        on_failure=lambda f: seen["failed"].append((f.line, f.reason)),
        on_unconfirmed=lambda evs, why: seen["unconfirmed"].append(([e.line for e in evs], why)),
        on_settled=lambda its, a, f: seen["settled"].extend(i.line for i in its),
    )
    try:
        sender.run(items)
    except Exception as exc:  # noqa: BLE001 - the error is part of what is compared
        seen["error"] = [type(exc).__name__]
    seen["stats"] = [sender.stats.sent, sender.stats.failed, sender.stats.unconfirmed,
                     sender.stats.not_sent]
    return seen


REFUSED = Reply(Outcome.RETRY, None, [], "ConnectError: [Errno 111] Connection refused")
TIMEOUT = Reply(Outcome.RETRY, None, [], "ReadTimeout: timed out")


@pytest.mark.parametrize(
    ("replies", "unconfirmed"),
    [
        ([REFUSED, REFUSED], False),  # never connected: cannot have been applied
        ([Reply(Outcome.RETRY, 429, [], "slow down"), REFUSED], False),
        ([TIMEOUT, REFUSED], True),  # one attempt may have been applied: that is enough
        ([Reply(Outcome.RETRY, 503, [], "unavailable")] * 2, True),
        ([Reply(Outcome.RETRY, None, [], "ReadError: reset")] * 2, True),
    ],
)
def test_exhausted_retries_are_unconfirmed_only_when_an_attempt_may_have_applied(
    replies: list[Reply], unconfirmed: bool
) -> None:
    seen = outcomes(Scripted(*replies), list(events(3)), retries=1, resumable=True)
    assert seen["accepted"] == [] and seen["failed"] == [] and seen["settled"] == []
    assert seen["error"] == ["ConnectError"]
    assert seen["stats"] == ([0, 0, 3, 0] if unconfirmed else [0, 0, 0, 3])
    assert bool(seen["unconfirmed"]) is unconfirmed
    # Without a rerun to pick them up, events never sent are failures (safe to replay);
    # unconfirmed ones never are.
    seen = outcomes(Scripted(*replies), list(events(3)), retries=1, resumable=False)
    reason = f"gave up after 2 attempts: {replies[-1].error}"
    assert seen["failed"] == ([] if unconfirmed else [(n, reason) for n in (1, 2, 3)])


@pytest.mark.parametrize("ids", [["A"], ["A", "B", "C", "D"], []])
def test_a_200_whose_ids_do_not_fit_is_unconfirmed_and_ends_the_run(ids: list[str]) -> None:
    seen = outcomes(Scripted(Reply(Outcome.ACCEPTED, 200, ids, "")), list(events(9)),
                    limits=Limits(max_batch=3), concurrency=1, resumable=True)
    assert seen["unconfirmed"][0] == ([1, 2, 3], f"HTTP 200 but the reply has {len(ids)} "
                                      "usable IDs for 3 events")
    assert seen["error"] == ["RemoteError"]
    assert seen["failed"] == [] and seen["settled"] == []


def test_the_settled_prefix_stops_at_the_first_unsettled_event() -> None:
    # Batch 2 of 3 times out for good; batches 1 and 3 are accepted. Batch 3's IDs are printed
    # (confirmed) but do not settle: the prefix is contiguous.
    class SecondTimesOut(Recorder):
        def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
            if b'"b"' in body:
                return TIMEOUT
            return super().post(body, seed, count)

    items: list[Event | Failure] = [*events(2),
                                    *[Event("in", n, b'{"name":"b"}', b'{"name":"b"}', "b", None)
                                      for n in (3, 4)], *events(2, 5)]
    seen = outcomes(SecondTimesOut(), items, limits=Limits(max_batch=2), concurrency=3,
                    retries=0, resumable=True)
    assert seen["settled"] == [1, 2]
    assert seen["unconfirmed"] == [([3, 4], "gave up after 1 attempt: ReadTimeout: timed out")]
    assert set(seen["accepted"]) <= {1, 2, 5, 6} and seen["accepted"][:2] == [1, 2]


def test_parts_of_a_request_get_the_ids_they_have_in_the_whole_request() -> None:
    base = IdSeed.generate()
    whole = Recorder()
    accepted_whole, _ = run(whole, list(events(8)), base_seed=base, concurrency=1)
    split, _ = run(TooLarge(), list(events(8)), base_seed=base, concurrency=1,
                   limits=Limits(max_request_bytes=1000))
    assert len(whole.seeds) == 1
    seed = IdSeed.parse(whole.seeds[0])
    assert seed is not None
    assert accepted_whole == [(n, seed.event_id(n)) for n in range(1, 9)]
    assert [line for line, _ in split] == list(range(1, 9))
    # TooLarge answers "X"; the seeds it was sent are what matter: check them directly.
    assert shift_seed(seed, 3).event_id(1) == seed.event_id(4)
    assert shift_seed(IdSeed(1, b"\x00" * 6 + b"\xff" * 4), 2).event_id(1) == IdSeed(
        1, b"\x00" * 6 + b"\xff" * 4).event_id(3)  # the counter wraps as the server's does
