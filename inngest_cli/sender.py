"""Bulk delivery: batches in flight over kept-alive connections, retries with stable IDs, partial
failures resolved event by event, and results reported in input order.

Guarantees: every event read is either accepted exactly once (a retried request carries the same
`x-inngest-event-id-seed`, so a request the server applied but whose reply was lost gets the same
IDs) or reported as a Failure; nothing is silently dropped. Results (accepted events and failures
alike) are reported in input order, one batch at a time, so "everything up to here is settled"
is always a single input position: what a checkpoint records. Memory holds at most
`2 * concurrency` batches, whatever the input size.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, Protocol

from inngest_cli.batching import Limits, Packer, encode_batch
from inngest_cli.errors import AuthError, ConnectError, Interrupted, RemoteError
from inngest_cli.feed import Feed
from inngest_cli.ids import IdSeed
from inngest_cli.payload import Event, Failure
from inngest_cli.replies import Outcome, Reply

OnError = Literal["continue", "stop"]
Item = Event | Failure
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 120.0
STOPPED = "not sent: stopped at the error at {}"
# A partial batch leaves once its first event has waited `linger` (the default) or the input has
# been quiet for IDLE: a burst (a pipe's chunk, a file) is packed whole, while a lone event on a
# live pipe goes out within IDLE. IDLE is a few times the interpreter's thread switch interval
# (5 ms), so a reader thread that merely lost the processor for a moment is not taken for quiet.
DEFAULT_LINGER = 0.2
IDLE = 0.02
MAX_WAIT = 0.5  # the longest the loop sleeps without a reason to wake (a safety net)


class Poster(Protocol):
    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply: ...


@dataclass
class SendOptions:
    concurrency: int = 4
    retries: int = 5
    on_error: OnError = "continue"
    limits: Limits = field(default_factory=Limits)
    backoff_base: float = 0.1
    grace: float = 10.0  # seconds to wait for requests in flight after an interrupt
    # Seconds an event may wait for others to share its request; None: no time-based flush (an
    # input that never blocks, such as a file: batch boundaries then depend on the input alone,
    # so a resumed run packs the same requests, with the same seeds, as the run it resumes).
    linger: float | None = DEFAULT_LINGER
    rate: float | None = None  # events per second at most (pacing); None: as fast as possible
    # Seeds for reproducible IDs across runs (checkpoints); None: a fresh seed per request.
    base_seed: IdSeed | None = None


@dataclass
class Stats:
    sent: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    unreachable: int = 0  # failures because the server could not be reached
    stopped_at: str | None = None  # where reading stopped early (on-error stop)
    unconfirmed: int = 0  # events in flight when an interrupt ended the run

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


@dataclass
class _Delivered:
    """A batch's results: event IDs or Failures by event identity, in the batch's order."""

    items: list[Item]
    results: dict[int, str | Failure] = field(default_factory=dict)
    ids: list[str] | None = None  # fast path: every event accepted by one request, in order
    fatal: _Fatal | None = None
    abandoned: bool = False  # interrupted before its outcome was known


def _fail(event: Event, reason: str, hint: str | None = None) -> Failure:
    return Failure(event.source, event.line, event.raw, reason, hint)


def seed_for(base: IdSeed | None, events: list[Event]) -> IdSeed:
    """A request's seed: fresh, or derived from the run's base seed and the request's first
    event and size, so that rerunning the same input sends the same requests with the same IDs."""
    if base is None:
        return IdSeed.generate()
    first = events[0]
    return base.derive(f"{first.source}\0{first.line}\0{len(events)}".encode())


class Sender:
    """Sends a stream of Events and Failures (from validation) with the guarantees above.

    Callbacks run on the calling thread, in input order.
    """

    def __init__(
        self,
        api: Poster,
        options: SendOptions,
        *,
        on_accepted: Callable[[Event, str], None],
        on_failure: Callable[[Failure], None],
        on_progress: Callable[[Stats], None] | None = None,
        on_settled: Callable[[Item], None] | None = None,
        on_stopping: Callable[[float], None] | None = None,
        on_unsettled: Callable[[list[Item], bool], None] | None = None,
        stop_input: Callable[[], None] | None = None,
    ) -> None:
        self.api = api
        self.options = options
        self.on_accepted = on_accepted
        self.on_failure = on_failure
        self.on_progress = on_progress
        self.on_settled = on_settled  # the last item of each settled batch (for checkpoints)
        # After an interrupt: once, when the loop starts stopping (with the grace period); then
        # with the items it could not settle, in input order, and whether they may have reached
        # the server (in flight at the end of the grace period) or certainly did not.
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
        self._deadline: float | None = None  # end of the grace period after an interrupt
        self._abandoned = False  # a batch's outcome is unknown: report nothing after it

    @property
    def interrupted(self) -> bool:
        return self._interrupted.is_set()

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
        run, and Interrupted after an interrupt, each after reporting what was settled.

        A reader thread (`Feed`) takes the input, so this loop never waits in a read: it packs
        what has arrived, sends a partial batch once the input has been quiet for `IDLE` or its
        first event has waited `linger`, reports each batch as soon as it settles, and notices an
        interrupt while the input is idle. After an interrupt it sends what had been read (the
        sources stop reading from the OS at once; see `sources.Stopper`) within the grace period
        and hands what it could not settle to `on_unsettled`.
        """
        options = self.options
        window = max(1, options.concurrency)
        timed = options.linger is not None
        linger = max(0.0, options.linger) if options.linger is not None else 0.0
        idle = min(linger, IDLE)
        if options.rate:
            options.limits.max_batch = min(options.limits.max_batch, max(1, int(options.rate / 10)))
        pacer = _Pacer(options.rate) if options.rate else None
        pool = ThreadPoolExecutor(window, thread_name_prefix="send")
        # Memory: the requests in flight, one batch packed ahead of them (`ready`), and at most
        # one batch's worth of items read ahead (the feed): about what it was before the feed.
        feed: Feed[Item] = Feed(self._read(items), options.limits.max_batch)
        self._feed = feed
        packer = Packer(options.limits)
        ready: deque[list[Item]] = deque()  # packed, waiting for a free slot (or the pacer)
        pending: deque[tuple[Future[_Delivered], list[Item]]] = deque()
        unsent: _Delivered | None = None  # read, but not to be sent: reported after the rest
        read_error: BaseException | None = None
        eof = False
        stopping = False

        def wake(_: object) -> None:
            feed.wake()

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
                        self._stop_reading()
                        unread = feed.close() + feed.leftover(1.0)
                        self.taken += len(unread)
                        rest = [i for b in ready for i in b] + (packer.flush() or []) + unread
                        unsent = self._not_sent(rest, "not sent: the run was stopped")
                        ready.clear()
                        break
                    if options.on_error == "stop" and isinstance(batch[-1], Failure):
                        self.stats.stopped_at = batch[-1].location()
                        unsent = self._not_sent(batch, STOPPED.format(batch[-1].location()))
                        ready.clear()
                        break
                    if pacer is not None and not stopping:
                        at = pacer.slot(batch)
                        if at > now:
                            wait_until = at
                            break
                    ready.popleft()
                    if pacer is not None:
                        pacer.took(batch)
                    future = pool.submit(self._deliver, batch)
                    future.add_done_callback(wake)
                    pending.append((future, batch))
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
                    arrived = feed.take(timeout)
                except Exception as exc:  # the input failed: send what was read, then raise it
                    read_error, arrived = exc, []
                if arrived:
                    self.taken += len(arrived)
                    self.last_read = arrived[-1]
                now = time.monotonic()
                if arrived:
                    closed: list[list[Item]] = []
                    packer.add_all(arrived, now, closed)
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
            if stopping:
                self._stop_after_grace(feed, packer, ready, pending)
            else:
                while pending:
                    self._emit_batch(*pending.popleft())
            if unsent is not None:
                self._stop.set()
                self._emit(unsent)
        finally:
            self._stop_reading()
            feed.close()
            pool.shutdown(wait=not self._interrupted.is_set(), cancel_futures=True)
            self.stats.finished = time.monotonic()
        if self._interrupted.is_set():
            raise Interrupted(self.stats)
        if self._fatal is not None:
            raise self._error(self._fatal.reply)
        if read_error is not None:
            raise read_error
        return self.stats

    def _stop_reading(self) -> None:
        """The input is no longer wanted: the reader stops at its next item, or at once if it
        is waiting on a pipe (`stop_input`)."""
        self._stop.set()
        if self.stop_input is not None:
            self.stop_input()

    def _emit_batch(self, future: Future[_Delivered], batch: list[Item]) -> bool:
        """Report a batch in input order; False if it could not be (its outcome is unknown, or
        one before it was): it is then handed to `on_unsettled`."""
        delivered = self._wait(future, batch)
        never_sent = delivered.abandoned and future.cancel()
        self._emit(delivered)
        self.reported += len(batch)
        if self._abandoned:
            if self.on_unsettled is not None:
                self.on_unsettled(batch, not never_sent)
            return False
        return True

    def _stop_after_grace(
        self,
        feed: Feed[Item],
        packer: Packer,
        ready: deque[list[Item]],
        pending: deque[tuple[Future[_Delivered], list[Item]]],
    ) -> None:
        """The grace period is over (or everything read went out): settle what finished, and
        hand the rest, in input order, to `on_unsettled`."""
        while pending:
            self._emit_batch(*pending.popleft())
        rest = [item for batch in ready for item in batch]
        rest += packer.flush() or []
        rest += feed.close()
        rest += feed.leftover()
        if rest:
            self.reported += len(rest)
            if self.on_unsettled is not None:
                self.on_unsettled(rest, False)

    def _read(self, items: Iterable[Item]) -> Iterator[Item]:
        """The input until a stop: checked before taking an item, so none is taken and lost."""
        stop_on_error = self.options.on_error == "stop"
        iterator = iter(items)
        while not self._stop.is_set():
            item = next(iterator, None)
            if item is None:
                return
            yield item
            if stop_on_error and isinstance(item, Failure):
                return

    def _wait(self, future: Future[_Delivered], batch: list[Item]) -> _Delivered:
        """The batch's results; after an interrupt, only until the grace period ends."""
        while not self._interrupted.is_set():
            try:
                return future.result(timeout=0.25)
            except TimeoutError:
                continue
        if self._deadline is None:
            self._deadline = time.monotonic() + self.options.grace
        try:
            return future.result(timeout=max(0.0, self._deadline - time.monotonic()))
        except TimeoutError:
            return _Delivered(items=batch, abandoned=True)

    @staticmethod
    def _not_sent(batch: list[Item], reason: str) -> _Delivered:
        """A batch that will not go out: its events fail with ``reason``, failures stay as read."""
        out = _Delivered(items=batch)
        for item in batch:
            if isinstance(item, Event):
                out.results[id(item)] = _fail(item, reason)
        return out

    def _emit(self, delivered: _Delivered) -> None:
        self._abandoned = self._abandoned or delivered.abandoned
        if self._abandoned:  # keep the settled prefix contiguous
            self.stats.unconfirmed += sum(isinstance(i, Event) for i in delivered.items)
            return
        if delivered.ids is not None:
            ids = iter(delivered.ids)
            accepted = self.on_accepted
            for item in delivered.items:
                if isinstance(item, Failure):
                    self._report(item)
                else:
                    accepted(item, next(ids))
            self.stats.sent += len(delivered.ids)
            self._settled(delivered)
            return
        for item in delivered.items:
            if isinstance(item, Failure):
                self._report(item)
                continue
            result = delivered.results.get(id(item))
            if isinstance(result, str):
                self.stats.sent += 1
                self.on_accepted(item, result)
            elif result is not None:
                self._report(result)
        if delivered.fatal is not None and self._fatal is None:
            self._fatal = delivered.fatal
            self._stop.set()
        self._settled(delivered)

    def _settled(self, delivered: _Delivered) -> None:
        if self.on_settled and delivered.items:
            self.on_settled(delivered.items[-1])
        if self.on_progress:
            self.on_progress(self.stats)

    def _report(self, failure: Failure) -> None:
        self.stats.failed += 1
        self.on_failure(failure)
        if self.options.on_error == "stop" and not self._stop.is_set():
            self.stats.stopped_at = failure.location()
            self._stop.set()

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
    def _deliver(self, batch: list[Item]) -> _Delivered:
        """Deliver one batch, resolving 400s (resend the rest) and 413s (split in halves)."""
        out = _Delivered(items=batch)
        results = out.results
        events = [item for item in batch if isinstance(item, Event)]
        queue: deque[list[Event]] = deque([events] if events else [])
        while queue:
            events = queue.popleft()
            if self._halt.is_set():
                for event in events:
                    results[id(event)] = _fail(event, "not sent: the run was stopped")
                continue
            body = encode_batch(events)
            reply = self._post(body, events)
            if reply is None:
                out.abandoned = True
                return out
            if reply.outcome is Outcome.ACCEPTED:
                if len(reply.ids) == len(events) and not results and not queue:
                    out.ids = reply.ids  # the whole batch in one request: no per-event lookups
                elif len(reply.ids) == len(events):
                    results.update((id(e), i) for e, i in zip(events, reply.ids, strict=True))
                else:
                    reason = f"server returned {len(reply.ids)} IDs for {len(events)} events"
                    results.update((id(e), _fail(e, reason)) for e in events)
            elif reply.outcome is Outcome.REJECTED:
                done = min(len(reply.ids), len(events))
                results.update((id(e), i) for e, i in zip(events, reply.ids[:done], strict=False))
                if done < len(events):
                    bad = events[done]
                    results[id(bad)] = _fail(bad, reply.error)
                    rest = events[done + 1 :]
                    if self.options.on_error == "stop":
                        stopped = STOPPED.format(f"{bad.source}:{bad.line}")
                        results.update((id(e), _fail(e, stopped)) for e in rest)
                    elif rest:
                        queue.appendleft(rest)
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
                    queue.appendleft(events[half:])
                    queue.appendleft(events[:half])
            else:
                if reply.outcome is Outcome.RETRY:  # retries exhausted
                    reason = f"gave up after {self._attempts()}: {reply.error}"
                    with self._lock:
                        self.stats.unreachable += len(events)
                else:
                    reason = f"not sent: {reply.error}"
                results.update((id(e), _fail(e, reason)) for e in events)
                out.fatal = _Fatal(reply)
                self._halt.set()
        return out

    def _post(self, body: bytes, events: list[Event]) -> Reply | None:
        """One request with retries, every attempt with the same ID seed; None if interrupted
        before an outcome was known."""
        seed = seed_for(self.options.base_seed, events)
        attempt = 0
        while True:
            reply = self.api.post(body, seed, len(events))
            with self._lock:
                self.stats.requests += 1
                self.stats.bytes += len(body)
            if reply.outcome is not Outcome.RETRY:
                return reply
            if self._interrupted.is_set():
                return None
            if attempt >= self.options.retries or self._halt.is_set():
                return reply
            attempt += 1
            with self._lock:
                self.stats.retries += 1
            if self._interrupted.wait(self._delay(attempt, reply.retry_after)):
                return None

    def _attempts(self) -> str:
        attempts = self.options.retries + 1
        return f"{attempts} attempt{'' if attempts == 1 else 's'}"

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        base = self.options.backoff_base * (2 ** (attempt - 1))
        return float(min(base, MAX_BACKOFF) + random.uniform(0, self.options.backoff_base))


def _timeout(now: float, *deadlines: float | None) -> float:
    """Seconds until the earliest deadline, at most MAX_WAIT."""
    return max(0.0, min([now + MAX_WAIT, *(d for d in deadlines if d is not None)]) - now)


class _Pacer:
    """`--rate`: a batch of n events may leave n / rate seconds after the previous one's start."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.next = time.monotonic()

    def slot(self, batch: list[Item]) -> float:
        return self.next

    def took(self, batch: list[Item]) -> None:
        events = sum(1 for item in batch if isinstance(item, Event))
        self.next = max(self.next, time.monotonic()) + events / self.rate
