"""Bulk delivery: batches in flight over kept-alive connections, retries with stable IDs, partial
failures resolved event by event, and results reported in input order.

Every event read ends in one of three outcomes, kept apart all the way to the reports:

- *accepted*: the server confirmed it and its ID is known;
- *failed*: validation or the server said no (a 400 naming it, a 413 for it alone): nothing of it
  was stored, so fixing and replaying it is safe;
- *unsettled*: no final answer. Either the request may have been applied (*unconfirmed*: the
  retries ran out after a lost reply, a timeout or a 5xx; an interrupt; a 200 whose `ids` do not
  match the events) or it never left (*not sent*: the run stopped first, or the server was never
  reached). Unconfirmed events are never reported as failures (replaying them could duplicate
  them); a resumed run resends them with the same seed, which is what the seed exists for.

Results are reported in input order, one batch at a time; the *settled* prefix (every item up to
here accepted or failed) is contiguous and only grows: it stops for good at the first unsettled
event, and is what a checkpoint records. IDs are stable across runs: a request's seed derives
from the run's base seed, the index of its first item and the bytes of its items, and a part of
a request (after a 400, or a half after a 413) uses the request's seed shifted by its offset, so
each event gets the ID it would have had in the whole request, however the request was split.
Memory holds at most `2 * concurrency` batches, whatever the input size.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal, Protocol

import msgspec

from inngest_cli.batching import Limits, Packer, encode_batch
from inngest_cli.errors import AuthError, ConnectError, Interrupted, LocalWriteError, RemoteError
from inngest_cli.feed import Feed
from inngest_cli.httppolicy import retry_delay, unreachable_hint
from inngest_cli.ids import IdSeed
from inngest_cli.payload import Event, Failure, Runs, events_of, item_runs
from inngest_cli.plainrun import PlainBatch, PlainRun, last_item
from inngest_cli.replies import Outcome, Reply
from inngest_cli.workers import Task, Workers

if TYPE_CHECKING:
    from hashlib import _Hash

OnError = Literal["continue", "stop"]
Item = Event | Failure
Batch = Sequence[Item]  # a list of items, or a `PlainBatch` of plain events
STOPPED = "not sent: stopped at the error at {}"
# Transport errors raised before a connection existed: the request cannot have been applied
# (a proxy that refused the connection is one: `httppolicy.transport_failure` names it).
NEVER_CONNECTED = ("ConnectError", "ConnectTimeout", "UnsupportedProtocol",
                   "cannot reach the proxy ")
# A partial batch leaves once its first event has waited `linger` (the default) or the input has
# been quiet for IDLE: a burst (a pipe's chunk, a file) is packed whole, while a lone event on a
# live pipe goes out within IDLE. IDLE is a few times the interpreter's thread switch interval
# (5 ms), so a reader thread that merely lost the processor for a moment is not taken for quiet.
DEFAULT_LINGER = 0.2
IDLE = 0.02
MAX_WAIT = 0.5  # the longest the loop sleeps without a reason to wake (a safety net)


class Poster(Protocol):
    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply: ...


class Replay(msgspec.Struct, frozen=True):
    """A request a checkpoint recorded as in flight when an earlier run ended, to go out again
    as it was: its unsettled items, its seed, and how many of its events had settled."""

    items: Batch
    seed: IdSeed
    offset: int = 0


class Launch(msgspec.Struct, frozen=True):
    """A batch about to be sent: its items, the input index of the first, and its seed."""

    items: Batch
    start: int
    seed: IdSeed
    offset: int = 0  # events before these in the original request (a resent partial request)


class SendOptions(msgspec.Struct):
    concurrency: int = 4
    retries: int = 5
    on_error: OnError = "continue"
    limits: Limits = msgspec.field(default_factory=Limits)
    backoff_base: float = 0.1
    grace: float = 10.0  # seconds to wait for requests in flight after an interrupt
    # Seconds an event may wait for others to share its request; None: no time-based flush (an
    # input that never blocks, such as a file: batch boundaries then depend on the input alone,
    # so a resumed run packs the same requests, with the same seeds, as the run it resumes).
    linger: float | None = DEFAULT_LINGER
    rate: float | None = None  # events per second at most (pacing); None: as fast as possible
    # Seeds for reproducible IDs across runs (checkpoints); None: a fresh seed per request.
    base_seed: IdSeed | None = None
    # A checkpointed run: events not sent are left for the rerun instead of reported as failed.
    resumable: bool = False
    first_index: int = 0  # input index of the first item given to run() (items skipped before)
    replay: list[Replay] = msgspec.field(default_factory=list)


class Stats(msgspec.Struct):
    sent: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    bytes: int = 0
    started: float = msgspec.field(default_factory=time.monotonic)
    finished: float | None = None
    unreachable: int = 0  # events whose retries ran out
    stopped_at: str | None = None  # where reading stopped early (on-error stop)
    unconfirmed: int = 0  # events whose request may have been applied, with no answer
    not_sent: int = 0  # events left for a resumed run (never sent, or sent and refused whole)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0


class _Fatal(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.error)
        self.reply = reply


class Pending(msgspec.Struct, frozen=True):
    """An event without a final outcome: ``applied`` if its request may have been applied."""

    reason: str
    applied: bool


_ABANDONED = Pending("in flight when the grace period ended", True)
_UNSENT = Pending("not sent: the run was stopped", False)


class _Delivered(msgspec.Struct):
    """A batch's results: event IDs, Failures or Pendings by event identity, in batch order."""

    items: Batch
    results: dict[int, str | Failure | Pending] = msgspec.field(default_factory=dict)
    ids: list[str] | None = None  # fast path: every event accepted by one request, in order
    fatal: _Fatal | None = None
    abandoned: bool = False  # the grace period ended before its outcome was known


_InFlight = tuple[Task[Launch, _Delivered], Batch]  # a request submitted, and its batch


def _fail(event: Event, reason: str, hint: str | None = None) -> Failure:
    return Failure(event.source, event.line, event.raw, reason, hint)


def feed(hasher: _Hash, items: Iterable[Item]) -> None:
    """Add items to a content hash: each one's input bytes, length-prefixed (a plain event's
    input bytes are its line)."""
    raws = items.bodies() if isinstance(items, PlainBatch) else (item.raw for item in items)
    for raw in raws:
        hasher.update(len(raw).to_bytes(8, "big") + raw)


def content_digest(items: Iterable[Item]) -> str:
    import hashlib  # only a checkpointed run hashes content; the import costs start-up

    hasher = hashlib.sha256()
    feed(hasher, items)
    return hasher.hexdigest()


def seed_for(base: IdSeed | None, start: int, items: Batch) -> IdSeed:
    """A request's seed: fresh, or derived from the run's base seed, the input index of its first
    item and the bytes of its items, so that the same request of the same input gets the same
    IDs in every run, and different events never do."""
    if base is None:
        return IdSeed.generate()
    return base.derive(f"{start}\0{content_digest(items)}".encode())


def shift_seed(seed: IdSeed, offset: int) -> IdSeed:
    """The seed under which the events from ``offset`` on of a request sent with ``seed`` get the
    IDs they have in the whole request (the server adds each event's position to the seed's last
    four bytes)."""
    if offset == 0:
        return seed
    counter = (int.from_bytes(seed.entropy[6:], "big") + offset) & 0xFFFF_FFFF
    return IdSeed(seed.ms, seed.entropy[:6] + counter.to_bytes(4, "big"))


def _may_have_applied(reply: Reply) -> bool:
    """Whether a retryable reply leaves the request possibly applied: a 429 and a connection that
    was never made do not; a lost reply, a timeout or a 5xx do."""
    if reply.status == 429:
        return False
    return not (reply.status is None and reply.error.startswith(NEVER_CONNECTED))


class Sender:
    """Sends a stream of Events and Failures (from validation) with the guarantees above.

    Callbacks run on the calling thread, in input order. ``on_launch`` runs before each new
    request leaves (a checkpoint makes it durable); ``on_settled`` gets each newly settled run of
    items with how many of them were accepted and failed; ``on_unconfirmed`` gets the events of a
    batch that may have been applied, and why. ``on_launch``, ``on_settled`` and ``on_failure``
    may raise LocalWriteError: reading stops, the requests in flight settle, confirmed IDs are
    still reported, nothing settles any more, and run() raises it at the end.
    """

    def __init__(
        self,
        api: Poster,
        options: SendOptions,
        *,
        on_accepted: Callable[[Event, str], None],
        on_failure: Callable[[Failure], None],
        on_progress: Callable[[Stats], None] | None = None,
        on_settled: Callable[[Batch, int, int], None] | None = None,
        on_launch: Callable[[Launch], None] | None = None,
        on_unconfirmed: Callable[[list[Event], str], None] | None = None,
        on_accepted_batch: Callable[[list[Event], list[str]], None] | None = None,
        on_stopping: Callable[[float], None] | None = None,
        on_unsettled: Callable[[list[Item]], None] | None = None,
        stop_input: Callable[[], None] | None = None,
    ) -> None:
        self.api = api
        self.options = options
        self.on_accepted = on_accepted
        self.on_failure = on_failure
        self.on_progress = on_progress
        self.on_settled = on_settled
        self.on_launch = on_launch
        self.on_unconfirmed = on_unconfirmed
        # A batch all of whose items were accepted in one request, in one call (else on_accepted)
        self.on_accepted_batch = on_accepted_batch
        # After an interrupt: once, when the loop starts stopping (with the grace period); then
        # with the items read and never sent, in input order (requests in flight at the end of
        # the grace period are unconfirmed, reported through on_unconfirmed).
        self.on_stopping = on_stopping
        self.on_unsettled = on_unsettled
        # Makes the input stop taking bytes from the OS (signal-safe); the reader then ends
        # after what it holds, which is sent within the grace period. Without it, an interrupt
        # stops reading at the next item.
        self.stop_input = stop_input
        self._feed: Feed[Item] | None = None
        self.taken = 0  # items taken from the input
        self.reported = 0  # items reported (settled, or handed to on_unsettled)
        self.last_read: Item | None = None  # the latest item taken from the input
        self.stats = Stats()
        self._stop = threading.Event()  # stop reading input
        self._halt = threading.Event()  # a fatal reply: workers stop sending too
        self._interrupted = threading.Event()
        self._lock = threading.Lock()
        self._fatal: _Fatal | None = None
        self._local_error: LocalWriteError | None = None
        self._deadline: float | None = None  # end of the grace period after an interrupt
        self._frozen = False  # an event was left unsettled: nothing after it settles
        self._next_index = options.first_index
        self._replayed = 0

    @property
    def interrupted(self) -> bool:
        return self._interrupted.is_set()

    @property
    def settled_all(self) -> bool:
        """Every item reported so far settled (a checkpoint may be marked complete)."""
        return not self._frozen and self._local_error is None

    @property
    def halted(self) -> bool:
        """A reply ended the run (bad key, not an Event API, unreachable after retries): the
        failures reported from now on that say "not sent"/"gave up" are the run's, not their
        events'."""
        return self._halt.is_set()

    def interrupt(self) -> None:
        """Stop reading and retrying; what was read and requests in flight get `grace` seconds.
        Signal-safe."""
        self._interrupted.set()
        if self.stop_input is not None:
            self.stop_input()
        else:
            self._stop.set()
        if self._feed is not None:
            self._feed.wake()

    # -- main thread ----------------------------------------------------------------------
    def run(self, items: Iterable[Item]) -> Stats:
        """Send everything. Raises AuthError/RemoteError/ConnectError for errors that end the
        run, LocalWriteError when a side file could not be written, and Interrupted after an
        interrupt, each after reporting what was confirmed. ``items`` given as `Runs` (what a
        bulk input is read as) go from the reader to the packer a run at a time.

        A reader thread (`Feed`) takes the input, so this loop never waits in a read: it packs
        what has arrived, sends a partial batch once the input has been quiet for `IDLE` or its
        first event has waited `linger`, reports each batch as soon as it settles, and notices an
        interrupt while the input is idle. After an interrupt it sends what had been read (the
        sources stop reading from the OS at once; see `sources.Stopper`) within the grace period;
        a request still in flight when it ends is unconfirmed (`_emit`), and what was read and
        never sent goes to `on_unsettled`.
        """
        options = self.options
        window = max(1, options.concurrency)
        timed = options.linger is not None
        linger = max(0.0, options.linger) if options.linger is not None else 0.0
        idle = min(linger, IDLE)
        if options.rate:
            options.limits.max_batch = min(options.limits.max_batch, max(1, int(options.rate / 10)))
        pacer = _Pacer(options.rate) if options.rate else None
        # Memory: the requests in flight, one batch packed ahead of them (`ready`), and at most
        # one batch's worth of items read ahead (the feed): about what it was before the feed.
        runs = item_runs(items)
        cut = items.cut if isinstance(items, Runs) else None
        feed: Feed[Item] = Feed(self._read(runs), options.limits.max_batch, cut)
        self._feed = feed
        pool = Workers(window, name="send", on_done=feed.wake)  # a settled batch wakes the loop
        packer = Packer(options.limits)
        # packed, waiting for a free slot (or the pacer); a resumed run's recorded requests first,
        # exactly as they went out (their seeds are in the checkpoint)
        ready: deque[Batch] = deque(replay.items for replay in options.replay)
        pending: deque[_InFlight] = deque()
        unsent: _Delivered | None = None  # read, but not to be sent: reported after the rest
        read_error: BaseException | None = None
        eof = False
        stopping = False

        feed.start()
        try:
            while True:
                while pending and pending[0][0].done():
                    self._emit_batch(*pending.popleft())
                if self._interrupted.is_set() and not stopping:
                    stopping = True
                    self._deadline = time.monotonic() + options.grace
                    if self.on_stopping is not None:
                        self.on_stopping(options.grace)
                now = time.monotonic()
                if stopping and now >= (self._deadline or now):
                    break
                wait_until: float | None = None
                while ready and (stopping or len(pending) < window):
                    batch = ready[0]
                    if self._halt.is_set():  # every request would fail: report what was read
                        rest = self._drain(feed, packer, ready)
                        unsent = self._not_sent(rest, "not sent: the run was stopped")
                        break
                    if self._local_error is not None:  # a side file failed: send no more
                        rest = self._drain(feed, packer, ready)
                        unsent = self._not_sent(rest, f"not sent: {self._local_error}")
                        break
                    if (
                        options.on_error == "stop"
                        and not isinstance(batch, PlainBatch)
                        and isinstance(batch[-1], Failure)
                    ):
                        self.stats.stopped_at = batch[-1].location()
                        unsent = self._not_sent(batch, STOPPED.format(batch[-1].location()))
                        ready.clear()
                        break
                    if pacer is not None and not stopping:
                        at = pacer.slot(batch)
                        if at > now:
                            wait_until = at
                            break
                    launch = self._admit(batch)  # recorded (checkpoint) before it leaves
                    if launch is None:  # it could not be recorded: send nothing more
                        rest = self._drain(feed, packer, ready)
                        unsent = self._not_sent(rest, f"not sent: {self._local_error}")
                        break
                    ready.popleft()
                    if pacer is not None:
                        pacer.took(batch)
                    pending.append((pool.submit(self._deliver, launch), batch))
                if unsent is not None:
                    break
                if eof and not ready and not pending:
                    break
                if eof or (ready and not stopping):
                    # Nothing to read, or a batch already waits for a slot: wait for a batch to
                    # settle, a signal, or the pacer.
                    feed.wait(_timeout(now, wait_until, self._deadline if stopping else None))
                    continue
                if len(packer) and timed:
                    due = min(feed.last_arrival + idle, packer.oldest + linger)
                    timeout = 0.0 if stopping else max(0.0, due - now)
                else:
                    timeout = MAX_WAIT
                timeout = _timeout(now, now + timeout, wait_until, self._deadline)
                try:
                    arrived = feed.take_runs(timeout)
                except Exception as exc:  # the input failed: send what was read, then raise it
                    read_error, arrived = exc, []
                if arrived:
                    self.taken += sum(map(len, arrived))
                    self.last_read = last_item(arrived[-1])
                now = time.monotonic()
                if arrived:
                    closed: list[Batch] = []
                    for run in arrived:
                        packer.add_all(run, now, closed)
                    ready.extend(closed)
                if read_error is not None or feed.ended:
                    eof = True
                if len(packer) and (
                    eof
                    or stopping
                    or timed
                    and (
                        now - packer.oldest >= linger
                        or (not arrived and now - feed.last_arrival >= idle)
                    )
                ):
                    ready.append(packer.flush() or [])
            if stopping or self._interrupted.is_set():
                self._stop_after_grace(feed, packer, ready, pending)
            else:
                unstarted = self._emit_remaining(pending)
                if unstarted:  # a signal came during the last wait
                    self._hand_over(unstarted)
            if unsent is not None:
                self._stop.set()
                self._emit(unsent)
        finally:
            self._stop_reading()
            feed.close()
            pool.shutdown(wait=not self._interrupted.is_set())
            self.stats.finished = time.monotonic()
        if self._interrupted.is_set():
            raise Interrupted(self.stats)
        if self._local_error is not None:
            raise self._local_error
        if self._fatal is not None:
            raise self._error(self._fatal.reply)
        if read_error is not None:
            raise read_error
        return self.stats

    def _admit(self, batch: Batch) -> Launch | None:
        """The batch's index and seed, made durable by ``on_launch``; None if that failed."""
        start = self._next_index
        self._next_index += len(batch)
        if self._replayed < len(self.options.replay):  # already recorded by the earlier run
            replay = self.options.replay[self._replayed]
            self._replayed += 1
            return Launch(batch, start, replay.seed, replay.offset)
        launch = Launch(batch, start, seed_for(self.options.base_seed, start, batch))
        if self.on_launch is not None:
            try:
                self.on_launch(launch)
            except LocalWriteError as exc:
                self._local(exc)
                return None
        return launch

    def _stop_reading(self) -> None:
        """The input is no longer wanted: the reader stops at its next item, or at once if it
        is waiting on a pipe (`stop_input`)."""
        self._stop.set()
        if self.stop_input is not None:
            self.stop_input()

    def _drain(self, feed: Feed[Item], packer: Packer, ready: deque[Batch]) -> list[Item]:
        """Stop reading; everything read and not sent yet, in input order (`ready` is emptied)."""
        self._stop_reading()
        unread = feed.close() + feed.leftover(1.0)
        self.taken += len(unread)
        rest = [item for batch in ready for item in batch] + list(packer.flush() or ()) + unread
        ready.clear()
        return rest

    def _emit_batch(self, task: Task[Launch, _Delivered], batch: Batch) -> None:
        """Report a settled batch, in input order."""
        self._emit(self._wait(task, batch))
        self.reported += len(batch)

    def _emit_remaining(self, pending: deque[_InFlight]) -> list[Item]:
        """Report the batches still pending, in order, waiting at most until the grace period
        ends after an interrupt: one still in flight then is unconfirmed (see `_emit`); the items
        of those that never started (queued behind it) are returned, not sent."""
        unstarted: list[Item] = []
        while pending:
            task, batch = pending.popleft()
            delivered = self._wait(task, batch)
            if delivered.abandoned and task.cancel():
                unstarted += batch
                continue
            self._emit(delivered)
            self.reported += len(batch)
        return unstarted

    def _hand_over(self, items: list[Item]) -> None:
        """Items an interrupt left read and never sent, in input order, to `on_unsettled` (one
        report for the lot; to --failed-out unless a checkpoint's rerun sends them). Nothing
        settles after them."""
        self.reported += len(items)
        self._frozen = True
        events = sum(isinstance(item, Event) for item in items)
        self.stats.not_sent += events
        self.stats.failed += len(items) - events  # invalid records among them, reported as usual
        if self.on_unsettled is not None:
            self.on_unsettled(items)

    def _stop_after_grace(
        self,
        feed: Feed[Item],
        packer: Packer,
        ready: deque[Batch],
        pending: deque[_InFlight],
    ) -> None:
        """The grace period is over (or everything read went out): settle what finished, and
        hand the rest, in input order, to `on_unsettled`."""
        rest = self._emit_remaining(pending) + self._drain(feed, packer, ready)
        if rest:
            self._hand_over(rest)

    def _read(self, runs: Iterable[Batch]) -> Iterator[Batch]:
        """The input until a stop, a run at a time: checked before taking a run, so none is
        taken and lost; with --on-error stop, the input ends after the first failure."""
        stop_on_error = self.options.on_error == "stop"
        iterator = iter(runs)
        while not self._stop.is_set():
            run = next(iterator, None)
            if run is None:
                return
            if stop_on_error and not isinstance(run, PlainRun):  # (plain events only)
                for index, item in enumerate(run):
                    if isinstance(item, Failure):
                        yield run[: index + 1]
                        return
            yield run

    def _wait(self, task: Task[Launch, _Delivered], batch: Batch) -> _Delivered:
        """The batch's results; after an interrupt, only until the grace period ends."""
        while not self._interrupted.is_set():
            try:
                return task.result(timeout=0.25)
            except TimeoutError:
                continue
        if self._deadline is None:
            self._deadline = time.monotonic() + self.options.grace
        try:
            return task.result(timeout=max(0.0, self._deadline - time.monotonic()))
        except TimeoutError:
            return _Delivered(items=batch, abandoned=True)

    @staticmethod
    def _not_sent(batch: Batch, reason: str) -> _Delivered:
        """A batch that will not go out: its events are not sent, failures stay as read."""
        out = _Delivered(items=batch)
        pending = Pending(reason, False)
        for item in batch:
            if isinstance(item, Event):
                out.results[id(item)] = pending
        return out

    def _local(self, error: LocalWriteError) -> None:
        """A side file could not be written: stop reading (nothing settles after what it hit)."""
        if self._local_error is None:
            self._local_error = error
        self._stop_reading()

    def _emit(self, delivered: _Delivered) -> None:
        """Report a batch in input order and settle the contiguous prefix of final outcomes."""
        stats = self.stats
        settled: list[Item] = []
        counts = [0, 0]  # accepted, failed among `settled`
        unconfirmed: list[Event] = []
        why = ""
        ids = iter(delivered.ids) if delivered.ids is not None else None
        default = _ABANDONED if delivered.abandoned else _UNSENT
        if (
            ids is not None
            and self.on_accepted_batch is not None
            and len(delivered.ids or ()) == len(delivered.items)
        ):  # the common case, a batch of events accepted whole: one call, no per-event work
            self.on_accepted_batch(delivered.items, delivered.ids)  # type: ignore[arg-type]
            stats.sent += len(delivered.items)
            if not self._frozen:
                self._settle_whole(delivered.items)
            if self.on_progress:
                self.on_progress(stats)
            return
        for item in delivered.items:
            outcome: str | Failure | Pending
            if isinstance(item, Failure):
                outcome = item
            elif ids is not None:
                outcome = next(ids)
            else:
                outcome = delivered.results.get(id(item), default)
            if isinstance(outcome, Pending):
                if outcome.applied:
                    stats.unconfirmed += 1
                    unconfirmed.append(item)  # type: ignore[arg-type]
                    why = outcome.reason
                elif self.options.resumable:
                    stats.not_sent += 1
                else:  # never sent and no rerun to pick it up: failed, safe to replay
                    outcome = _fail(item, outcome.reason)  # type: ignore[arg-type]
            if isinstance(outcome, Pending):
                self._freeze(settled, counts)
                continue
            if isinstance(outcome, str):
                stats.sent += 1
                self.on_accepted(item, outcome)  # type: ignore[arg-type]
                counts[0] += 1
            else:
                if not self._report(outcome):
                    self._freeze(settled, counts)
                    continue
                counts[1] += 1
            if not self._frozen:
                settled.append(item)
        if unconfirmed and self.on_unconfirmed is not None:
            self.on_unconfirmed(unconfirmed, why)
        if delivered.fatal is not None and self._fatal is None:
            self._fatal = delivered.fatal
            self._stop.set()
        if not self._frozen:
            self._settle(settled, counts)
        if self.on_progress:
            self.on_progress(self.stats)

    def _freeze(self, settled: list[Item], counts: list[int]) -> None:
        """The first unsettled item: settle what came before it, then nothing more."""
        if not self._frozen:
            self._settle(settled, counts)
            self._frozen = True

    def _settle(self, settled: list[Item], counts: list[int]) -> None:
        self._report_settled(list(settled), counts[0], counts[1])
        settled.clear()
        counts[:] = [0, 0]

    def _settle_whole(self, batch: Batch) -> None:
        """`_settle` for a batch accepted whole: the batch itself, not a copy (a `PlainBatch`
        builds its Events only if ``on_settled`` looks at them)."""
        self._report_settled(batch, len(batch), 0)

    def _report_settled(self, items: Batch, accepted: int, failed: int) -> None:
        if self.on_settled and items:
            try:
                self.on_settled(items, accepted, failed)
            except LocalWriteError as exc:
                self._local(exc)
                self._frozen = True

    def _report(self, failure: Failure) -> bool:
        """Report a failure; False if it could not be recorded (a side file write failed)."""
        self.stats.failed += 1
        try:
            self.on_failure(failure)
        except LocalWriteError as exc:
            self._local(exc)
            return False
        finally:
            if self.options.on_error == "stop" and not self._stop.is_set():
                self.stats.stopped_at = failure.location()
                self._stop.set()
        return True

    def _error(self, reply: Reply) -> Exception:
        """The one error that ends the run, naming where it was sent (key masked)."""
        attempts = self._attempts()
        url = getattr(self.api, "display_url", None)
        at = f" at {url}" if url else ""
        if reply.auth:
            return AuthError(
                f"the event key was rejected{' by ' + url if url else ''}: {reply.error}",
                status=reply.status,
                hint=reply.hint,
            )
        if reply.status is None:
            return ConnectError(
                f"could not reach the Event API{at} after {attempts}: {reply.error}",
                hint=reply.hint
                or unreachable_hint(reply.error)
                or "check that a server is running at that address (--event-api-url)",
            )
        if reply.outcome is Outcome.RETRY:
            return ConnectError(
                f"the Event API{at} kept failing after {attempts}: {reply.error}",
                hint=reply.hint,
            )
        return RemoteError(f"{url}: {reply.error}" if url else reply.error,
                           status=reply.status, hint=reply.hint)

    # -- worker threads -------------------------------------------------------------------
    def _deliver(self, launch: Launch) -> _Delivered:
        """Deliver one batch, resolving 400s (resend the rest) and 413s (split in halves).

        Each part goes out with the batch's seed shifted by the part's offset in the batch, so
        every event gets the same ID whichever way the batch ends up split."""
        batch = launch.items
        out = _Delivered(items=batch)
        results = out.results
        events = events_of(batch)
        queue: deque[tuple[int, Sequence[Event]]] = deque(
            [(launch.offset, events)] if events else []
        )
        while queue:
            offset, events = queue.popleft()
            if self._halt.is_set():  # (after an interrupt, what was read still goes out)
                results.update((id(e), _UNSENT) for e in events)
                continue
            body = encode_batch(events)
            reply, applied = self._post(body, shift_seed(launch.seed, offset), len(events))
            if reply is None:  # interrupted before an outcome was known
                pending = (
                    Pending("in flight at the interrupt", True) if applied
                    else Pending("not sent: interrupted", False)
                )
                results.update((id(e), pending) for e in events)
                continue
            if reply.outcome is Outcome.ACCEPTED:
                if len(reply.ids) == len(events) and not results and not queue:
                    out.ids = reply.ids  # the whole batch in one request: no per-event lookups
                elif len(reply.ids) == len(events):
                    results.update((id(e), i) for e, i in zip(events, reply.ids, strict=True))
                else:  # stored, maybe, but under which IDs? Unconfirmed, and the run stops.
                    reason = (
                        f"HTTP 200 but the reply has {len(reply.ids)} usable IDs for "
                        f"{len(events)} events"
                    )
                    results.update((id(e), Pending(reason, True)) for e in events)
                    out.fatal = _Fatal(
                        Reply(Outcome.FATAL, 200, [], reason,
                              hint="the server may have stored them: rerun with the same "
                              "--checkpoint to resend them under the same IDs")
                    )
                    self._halt.set()
            elif reply.outcome is Outcome.REJECTED:
                done = min(len(reply.ids), len(events))
                results.update((id(e), i) for e, i in zip(events, reply.ids[:done], strict=False))
                if done < len(events):
                    bad = events[done]
                    results[id(bad)] = _fail(bad, reply.error)
                    rest = events[done + 1 :]
                    if self.options.on_error == "stop":
                        stopped = Pending(STOPPED.format(f"{bad.source}:{bad.line}"), False)
                        results.update((id(e), stopped) for e in rest)
                    elif rest:
                        queue.appendleft((offset + done + 1, rest))
            elif reply.outcome is Outcome.TOO_LARGE:
                if len(events) == 1:
                    results[id(events[0])] = _fail(
                        events[0],
                        f"the server refused a {len(body)}-byte request (413)",
                        "the account's request limit is below this event's size",
                    )
                else:
                    self.options.limits.lower_to(len(body) - 1)
                    half = len(events) // 2
                    queue.appendleft((offset + half, events[half:]))
                    queue.appendleft((offset, events[:half]))
            else:
                if reply.outcome is Outcome.RETRY:  # retries exhausted
                    reason = f"gave up after {self._attempts()}: {reply.error}"
                    with self._lock:
                        self.stats.unreachable += len(events)
                else:
                    reason = f"not sent: {reply.error}"
                pending = Pending(reason, applied and reply.outcome is Outcome.RETRY)
                results.update((id(e), pending) for e in events)
                out.fatal = _Fatal(reply)
                self._halt.set()
        return out

    def _post(self, body: bytes, seed: IdSeed, count: int) -> tuple[Reply | None, bool]:
        """One request with retries, every attempt with the same ID seed. Returns the last reply
        (None if interrupted before an outcome was known) and whether an attempt may have been
        applied without a reply saying so."""
        attempt = 0
        applied = False
        while True:
            reply = self.api.post(body, seed, count)
            with self._lock:
                self.stats.requests += 1
                self.stats.bytes += len(body)
            if reply.outcome is not Outcome.RETRY:
                return reply, applied
            applied = applied or _may_have_applied(reply)
            if self._interrupted.is_set():
                return None, applied
            if attempt >= self.options.retries or self._halt.is_set():
                return reply, applied
            attempt += 1
            with self._lock:
                self.stats.retries += 1
            delay = retry_delay(attempt, reply.retry_after, self.options.backoff_base)
            if self._interrupted.wait(delay):
                return None, applied

    def _attempts(self) -> str:
        attempts = self.options.retries + 1
        return f"{attempts} attempt{'' if attempts == 1 else 's'}"


def _timeout(now: float, *deadlines: float | None) -> float:
    """Seconds until the earliest deadline, at most MAX_WAIT."""
    return max(0.0, min([now + MAX_WAIT, *(d for d in deadlines if d is not None)]) - now)


class _Pacer:
    """`--rate`: a batch of n events may leave n / rate seconds after the previous one's start."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.next = time.monotonic()

    def slot(self, batch: Batch) -> float:
        return self.next

    def took(self, batch: Batch) -> None:
        events = (
            len(batch) if isinstance(batch, PlainBatch)
            else sum(1 for item in batch if isinstance(item, Event))
        )
        self.next = max(self.next, time.monotonic()) + events / self.rate
