"""Bulk delivery: batches in flight over kept-alive connections, retries with stable IDs, partial
failures resolved event by event, and results reported in input order.

Guarantees: every event is either accepted exactly once (a retried request carries the same
`x-inngest-event-id-seed`, so a request the server applied but whose reply was lost gets the same
IDs) or reported as a Failure; nothing is silently dropped. Memory holds at most
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

from inngest_cli.batching import Limits, encode_batch, pack
from inngest_cli.errors import AuthError, ConnectError, RemoteError
from inngest_cli.ids import IdSeed
from inngest_cli.payload import Event, Failure
from inngest_cli.replies import Outcome, Reply

OnError = Literal["continue", "stop"]
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 120.0


class Poster(Protocol):
    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply: ...


@dataclass
class SendOptions:
    concurrency: int = 4
    retries: int = 5
    on_error: OnError = "continue"
    limits: Limits = field(default_factory=Limits)
    backoff_base: float = 0.1


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
    stopped_at: str | None = None  # where reading stopped early (on-error stop, fatal error)

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
    accepted: list[tuple[Event, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    fatal: _Fatal | None = None


def valid_events(
    items: Iterable[Event | Failure],
    on_failure: Callable[[Failure], None],
    stop: threading.Event | None = None,
) -> Iterator[Event]:
    """The Events of a stream; Failures go to ``on_failure``; reading ends once ``stop`` is set."""
    for item in items:
        if isinstance(item, Failure):
            on_failure(item)
        else:
            yield item
        if stop is not None and stop.is_set():
            return


def _fail(event: Event, reason: str, hint: str | None = None) -> Failure:
    return Failure(event.source, event.line, event.raw, reason, hint)


class Sender:
    """Sends a stream of Events (and passes through Failures) with the guarantees above.

    Callbacks run on the calling thread, in input order for accepted events.
    """

    def __init__(
        self,
        api: Poster,
        options: SendOptions,
        *,
        on_accepted: Callable[[Event, str], None],
        on_failure: Callable[[Failure], None],
        on_progress: Callable[[Stats], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.options = options
        self.on_accepted = on_accepted
        self.on_failure = on_failure
        self.on_progress = on_progress
        self.sleep = sleep
        self.stats = Stats()
        self._stop = threading.Event()  # stop reading input
        self._halt = threading.Event()  # a fatal reply: workers stop sending too
        self._lock = threading.Lock()
        self._fatal: _Fatal | None = None

    # -- main thread ----------------------------------------------------------------------
    def run(self, items: Iterable[Event | Failure]) -> Stats:
        """Send everything; raises AuthError/RemoteError/ConnectError for errors that end the run
        (after reporting what was confirmed), KeyboardInterrupt after draining in-flight work."""
        pending: deque[Future[_Delivered]] = deque()
        window = max(1, self.options.concurrency)
        try:
            with ThreadPoolExecutor(window, thread_name_prefix="send") as pool:
                try:
                    for batch in pack(self._valid(items), self.options.limits):
                        if self._stop.is_set():
                            self._not_sent(batch)
                            break
                        pending.append(pool.submit(self._deliver, batch))
                        while pending and (len(pending) >= window or pending[0].done()):
                            self._emit(pending.popleft().result())
                finally:
                    while pending:
                        self._emit(pending.popleft().result())
        finally:
            self.stats.finished = time.monotonic()
        if self._fatal is not None:
            raise self._error(self._fatal.reply)
        return self.stats

    def _valid(self, items: Iterable[Event | Failure]) -> Iterator[Event]:
        yield from valid_events(items, self._report, self._stop)

    def _report(self, failure: Failure) -> None:
        self.stats.failed += 1
        self.on_failure(failure)
        if self.options.on_error == "stop" and not self._stop.is_set():
            self.stats.stopped_at = failure.location()
            self._stop.set()

    def _not_sent(self, batch: list[Event]) -> None:
        for event in batch:
            self._report(_fail(event, "not sent: stopped after an earlier error"))

    def _emit(self, delivered: _Delivered) -> None:
        for event, event_id in delivered.accepted:
            self.stats.sent += 1
            self.on_accepted(event, event_id)
        for failure in delivered.failures:
            self._report(failure)
        if delivered.fatal is not None and self._fatal is None:
            self._fatal = delivered.fatal
            self._stop.set()
        if self.on_progress:
            self.on_progress(self.stats)

    def _error(self, reply: Reply) -> Exception:
        if reply.auth:
            return AuthError(
                f"the event key was rejected: {reply.error}", status=reply.status, hint=reply.hint
            )
        if reply.status is None:
            return ConnectError(
                f"could not reach the Event API after {self.options.retries + 1} "
                f"attempts: {reply.error}",
                hint=reply.hint,
            )
        if reply.outcome is Outcome.RETRY:
            return ConnectError(
                f"the Event API kept failing after {self.options.retries + 1} "
                f"attempts: {reply.error}",
                hint=reply.hint,
            )
        return RemoteError(reply.error, status=reply.status, hint=reply.hint)

    # -- worker threads -------------------------------------------------------------------
    def _deliver(self, batch: list[Event]) -> _Delivered:
        """Deliver one batch, resolving 400s (resend the rest) and 413s (split in halves)."""
        out = _Delivered()
        queue: deque[list[Event]] = deque([batch])
        while queue:
            events = queue.popleft()
            if self._halt.is_set():
                out.failures.extend(_fail(e, "not sent: the run was stopped") for e in events)
                continue
            body = encode_batch(events)
            reply = self._post(body, len(events))
            if reply.outcome is Outcome.ACCEPTED:
                if len(reply.ids) != len(events):
                    reason = f"server returned {len(reply.ids)} IDs for {len(events)} events"
                    out.failures.extend(_fail(e, reason) for e in events)
                else:
                    out.accepted.extend(zip(events, reply.ids, strict=True))
            elif reply.outcome is Outcome.REJECTED:
                done = min(len(reply.ids), len(events))
                out.accepted.extend(zip(events[:done], reply.ids[:done], strict=True))
                if done < len(events):
                    out.failures.append(_fail(events[done], reply.error))
                    rest = events[done + 1 :]
                    if rest and self.options.on_error == "stop":
                        out.failures.extend(
                            _fail(e, "not sent: stopped after an earlier error") for e in rest
                        )
                    elif rest:
                        queue.appendleft(rest)
            elif reply.outcome is Outcome.TOO_LARGE:
                if len(events) == 1:
                    out.failures.append(
                        _fail(
                            events[0],
                            f"the server refused a {len(body)}-byte request (413)",
                            "the account's request limit is below this event's size",
                        )
                    )
                else:
                    self.options.limits.lower_to(len(body) - 1)
                    half = len(events) // 2
                    queue.appendleft(events[half:])
                    queue.appendleft(events[:half])
            elif reply.outcome is Outcome.RETRY:  # retries exhausted
                out.failures.extend(
                    _fail(e, f"gave up after {self.options.retries + 1} attempts: {reply.error}")
                    for e in events
                )
                with self._lock:
                    self.stats.unreachable += len(events)
                out.fatal = _Fatal(reply)
                self._halt.set()
            else:
                out.failures.extend(_fail(e, f"not sent: {reply.error}") for e in events)
                out.fatal = _Fatal(reply)
                self._halt.set()
        return out

    def _post(self, body: bytes, count: int) -> Reply:
        """One request with retries; every attempt carries the same ID seed."""
        seed = IdSeed.generate()
        attempt = 0
        while True:
            reply = self.api.post(body, seed, count)
            with self._lock:
                self.stats.requests += 1
                self.stats.bytes += len(body)
            if reply.outcome is not Outcome.RETRY or attempt >= self.options.retries:
                return reply
            if self._halt.is_set():
                return reply
            attempt += 1
            with self._lock:
                self.stats.retries += 1
            self.sleep(self._delay(attempt, reply.retry_after))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        base = self.options.backoff_base * (2 ** (attempt - 1))
        return float(min(base, MAX_BACKOFF) + random.uniform(0, self.options.backoff_base))
