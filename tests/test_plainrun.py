"""Plain events held as lines (`plainrun`): the same Events, batches, bodies and outcomes as
the Events the fast path built before, whichever way a run is cut, packed or looked at."""

from __future__ import annotations

import threading
import zlib
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inngest_cli.batching import Limits, encode_batch, pack_runs
from inngest_cli.ids import IdSeed
from inngest_cli.payload import Event, Failure, Runs, events_of
from inngest_cli.plainrun import PlainBatch, PlainRun
from inngest_cli.replies import Outcome, Reply
from inngest_cli.sender import Sender, SendOptions, content_digest


def lines(count: int, first: int = 0, pad: int = 0) -> list[bytes]:
    return [orjson.dumps({"name": f"app/e{n % 3}", "id": f"id-{n}" if n % 2 else None,
                          "data": {"n": n, "pad": "x" * (pad * n % 97)}})
            for n in range(first, first + count)]


def run_of(body: list[bytes], first: int = 1, source: str = "src") -> PlainRun:
    names = [orjson.loads(line)["name"] for line in body]
    ids = [orjson.loads(line).get("id") for line in body]
    return PlainRun(source, first, body, names, ids)


def events_like(body: list[bytes], first: int = 1, source: str = "src") -> list[Event]:
    """What the fast path built for these lines before runs existed."""
    return [Event(source, first + i, line, line, orjson.loads(line)["name"],
                  orjson.loads(line).get("id")) for i, line in enumerate(body)]


# -- a run and a batch -------------------------------------------------------------------------


def test_a_run_builds_the_events_once_and_every_look_sees_the_same_objects() -> None:
    run = run_of(lines(5), first=10)
    assert len(run) == 5
    assert run._events is None  # nothing built until something looks
    built = list(run)
    assert built == events_like(lines(5), first=10)
    assert all(a is b for a, b in zip(built, run, strict=True))
    assert run[2] is built[2] and run[-1] is built[-1]
    assert run.last() is built[-1]


def test_the_last_event_without_building_the_rest() -> None:
    run = run_of(lines(4), first=3)
    assert run.last() == events_like(lines(4), first=3)[-1]
    assert run._events is None


def test_a_slice_is_a_run_until_built_then_the_same_events() -> None:
    body = lines(8)
    run = run_of(body, first=1)
    part = run[2:6]
    assert isinstance(part, PlainRun) and part.first == 3
    assert list(part) == events_like(body, first=1)[2:6]
    assert len(run[5:5]) == 0
    built = list(run)
    again = run[2:6]
    assert isinstance(again, list) and all(a is b for a, b in zip(again, built[2:6], strict=True))
    assert run[::2] == built[::2]


def test_renumbering_before_and_after_the_events_are_built() -> None:
    unbuilt, built = run_of(lines(3), first=1), run_of(lines(3), first=1)
    list(built)
    unbuilt.renumber(100)
    built.renumber(100)
    assert [e.line for e in unbuilt] == [e.line for e in built] == [101, 102, 103]


def test_a_batch_is_its_runs_events_and_body() -> None:
    a, b = run_of(lines(3), first=1), run_of(lines(2, first=3), first=4)
    batch = PlainBatch(a)
    batch.add(b)
    assert len(batch) == 5
    want = events_like(lines(5), first=1)
    assert list(batch) == want
    assert all(x is y for x, y in zip(batch, [*a, *b], strict=True))  # the runs' own objects
    assert batch[4] is b[1] and batch[1:3] == want[1:3]
    assert encode_batch(batch) == encode_batch(want) == b"[" + b",".join(lines(5)) + b"]"
    assert orjson.loads(encode_batch(batch)) == [orjson.loads(line) for line in lines(5)]
    assert events_of(batch) is batch
    assert content_digest(batch) == content_digest(want)
    one = PlainBatch(run_of(lines(1)))
    assert encode_batch(one) == encode_batch(events_like(lines(1)))


# -- packing: the batches of the Events, without the Events --------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 30), min_size=1, max_size=60),
    cuts=st.lists(st.integers(1, 9), min_size=1, max_size=5),
    failures=st.sets(st.integers(0, 59), max_size=4),
    max_bytes=st.integers(2, 600),
    max_batch=st.integers(1, 12),
)
def test_packing_runs_gives_the_batches_packing_events_gives(
    sizes: list[int], cuts: list[int], failures: set[int], max_bytes: int, max_batch: int
) -> None:
    """Runs of plain events (with failure reports and exact-path Events between them) pack into
    the very batches, bodies and items that the same Events packed as lists do."""
    body = [orjson.dumps({"name": "app/a", "data": {"pad": "x" * size}}) for size in sizes]
    as_runs: list[Any] = []
    as_lists: list[list[Event | Failure]] = []
    start, turn = 0, 0
    while start < len(body):
        size = cuts[turn % len(cuts)]
        turn += 1
        end = min(len(body), start + size)
        if start in failures:  # a read with a bad line: the exact path's list
            items: list[Event | Failure] = [Failure("src", start + 1, b"x", "bad")]
            items += events_like(body[start + 1:end], first=start + 2)
            as_runs.append(list(items))
            as_lists.append(items)
        else:
            as_runs.append(run_of(body[start:end], first=start + 1))
            as_lists.append(events_like(body[start:end], first=start + 1))
        start = end
    limits = Limits(max_request_bytes=max_bytes, max_batch=max_batch)
    got = list(pack_runs(as_runs, limits))
    want = list(pack_runs(as_lists, Limits(max_request_bytes=max_bytes, max_batch=max_batch)))
    assert [list(batch) for batch in got] == want
    for batch, expected in zip(got, want, strict=True):
        assert len(batch) == len(expected)
        assert encode_batch(events_of(batch)) == encode_batch(events_of(expected))


# -- the sender: the same outcomes for a run as for its Events -----------------------------------


class Scripted:
    """A deterministic Event API: 413 over ``cap`` bytes, 400 at the first event named
    `app/bad` (the ones before it accepted), with ``flaky`` a 500 at the first attempt of a
    request whose body's CRC is a multiple of 3 (the same requests whatever the order), else
    200."""

    def __init__(self, cap: int, flaky: bool) -> None:
        self.cap, self.flaky = cap, flaky
        self.lock = threading.Lock()
        self.tried: set[bytes] = set()
        self.stored: dict[str, bytes] = {}

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        with self.lock:
            if self.flaky and zlib.crc32(body) % 3 == 0 and body not in self.tried:
                self.tried.add(body)
                return Reply(Outcome.RETRY, 500, [], "flaky")
        if len(body) > self.cap:
            return Reply(Outcome.TOO_LARGE, 413, [], "too large")
        ids: list[str] = []
        for position, event in enumerate(orjson.loads(body), start=1):
            if event["name"] == "app/bad":
                return Reply(Outcome.REJECTED, 400, ids, "bad event")
            event_id = seed.event_id(position)
            with self.lock:
                self.stored.setdefault(event_id, orjson.dumps(event))
            ids.append(event_id)
        return Reply(Outcome.ACCEPTED, 200, ids, "")


def outcomes(items: Any, poster: Scripted, **options: Any) -> dict[str, Any]:
    accepted: list[tuple[int, str]] = []
    failed: list[tuple[int, str]] = []
    batches: list[tuple[int, str]] = []
    settled: list[tuple[int, int, int, str]] = []
    sender = Sender(
        poster, SendOptions(retries=2, backoff_base=0.0, **options),
        on_accepted=lambda e, i: accepted.append((e.line, i)),
        on_failure=lambda f: failed.append((f.line, f.reason)),
        on_accepted_batch=lambda events, ids: batches.extend(
            (e.line, i) for e, i in zip(events, ids, strict=True)),
        on_settled=lambda its, a, f: settled.append((len(its), a, f, content_digest(its))),
    )
    stats = sender.run(items)
    return {"accepted": sorted(accepted + batches), "failed": failed, "settled": settled,
            "sent": stats.sent, "failures": stats.failed, "stored": poster.stored,
            "taken": sender.taken, "reported": sender.reported}


@pytest.mark.parametrize("cap", [200, 2_000, 100_000])
@pytest.mark.parametrize("bad", [(), (5,), (0, 17, 18, 39)])
@pytest.mark.parametrize("flaky", [False, True])
def test_runs_and_their_events_have_the_same_outcomes(
    cap: int, bad: tuple[int, ...], flaky: bool
) -> None:
    """Accepted IDs, failures, what settles and its digest, and what the server stored: the
    same for plain runs as for the Events they stand for, through 400s, 413s and retries."""
    body = [orjson.dumps({"name": "app/bad" if n in bad else "app/a", "data": {"n": n}})
            for n in range(40)]
    cuts = [(0, 7), (7, 8), (8, 25), (25, 40)]
    seed = IdSeed.generate()
    options = {"base_seed": seed, "concurrency": 3, "limits": Limits(max_batch=6)}
    runs = Runs([run_of(body[a:b], first=a + 1) for a, b in cuts])
    lists = [events_like(body[a:b], first=a + 1) for a, b in cuts]
    got = outcomes(runs, Scripted(cap, flaky), **options)
    options["limits"] = Limits(max_batch=6)
    want = outcomes(Runs(lists), Scripted(cap, flaky), **options)
    assert got == want
    assert got["sent"] == 40 - len(bad) and got["failures"] == len(bad)
    assert got["taken"] == got["reported"] == 40  # what an abort's message counts
    assert sum(count for count, _, _, _ in got["settled"]) == 40


def test_the_last_item_without_building_a_run_or_batch() -> None:
    from inngest_cli.plainrun import last_item

    run, batch = run_of(lines(4), first=5), PlainBatch(run_of(lines(3), first=1))
    assert last_item(run) == events_like(lines(4), first=5)[-1]
    assert last_item(batch) == events_like(lines(3), first=1)[-1]
    assert run._events is None and batch._events is None
    items = events_like(lines(2))
    assert last_item(items) is items[-1]


def test_a_checkpoint_settles_a_batch_as_it_settles_its_events(tmp_path: Any) -> None:
    from inngest_cli.checkpoint import Checkpoint

    def settled(items: Any, name: str) -> tuple[int, str, str | None]:
        checkpoint = Checkpoint.open(tmp_path / name, {"input": "x"})
        try:
            checkpoint.settle(items, len(items), 0, 512 * 1024)
            return checkpoint.settled, checkpoint.digest, checkpoint.settled_at
        finally:
            checkpoint.close()

    batch = PlainBatch(run_of(lines(3), first=1))
    batch.add(run_of(lines(2, first=3), first=4))
    assert settled(batch, "a") == settled(events_like(lines(5)), "b")
    assert settled(batch, "c")[2] == "src:5"
    assert batch._events is None  # a checkpointed bulk send builds no Events either
