"""Waiting for what events set off: for an event to be stored, and for its runs to finish.

Storage is asynchronous (docs/protocol.md §4): right after `POST /e` an event may 404 and show
no runs for a while, and Inngest's server caches `GET /v1/events/{id}/runs` for 15 s and
`GET /v1/runs/{id}` for 3 s. So:

- an event's runs are discovered through `/v1/events/{id}/runs`, and the status of each unfinished
  run is also read from `/v1/runs/{id}` (the fresher of the two);
- an event is finished when every run it started is terminal and the set of runs did not change
  between two polls (an event that triggers two functions may show one run before the other);
- "no runs at all" is reported after ``grace`` seconds (default 20: longer than the runs cache),
  or at the timeout if that comes first. It counts as a failure: when asked to wait for runs, an
  event that started none almost always means the function is not deployed or synced, or listens
  to another name. If the event itself cannot be found by then, that is reported instead (the
  REST API may be reading another environment than the one the event was sent to).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from inngest_cli.apiobjects import is_failed, is_terminal, text
from inngest_cli.errors import NotFoundError

NO_RUNS_GRACE = 20.0
FIRST_INTERVAL = 0.2
MAX_INTERVAL = 2.0


class RunReader(Protocol):
    def get_event(self, event_id: str) -> dict[str, Any]: ...
    def event_runs(self, event_id: str) -> list[dict[str, Any]]: ...
    def get_run(self, run_id: str) -> dict[str, Any]: ...


class Outcome(Enum):
    COMPLETED = "completed"  # every run Completed (or Skipped)
    FAILED = "failed"  # every run finished, at least one Failed/Cancelled/Overflowed
    TIMED_OUT = "timed out"  # some run still unfinished at the timeout
    NO_RUNS = "no runs"  # the event is stored but started no run
    NOT_FOUND = "event not found"  # not even the event could be read

    @property
    def ok(self) -> bool:
        return self is Outcome.COMPLETED


@dataclass
class EventWait:
    """One event being waited for: its runs as last read, and the outcome once decided."""

    event_id: str
    name: str | None = None
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcome: Outcome | None = None
    waited: float = 0.0
    _last_ids: frozenset[str] | None = None


@dataclass
class Clock:
    """Time, injectable for tests."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


class Backoff:
    """Poll intervals: start short (a fast function is reported fast), grow to ``maximum``."""

    def __init__(self, first: float = FIRST_INTERVAL, maximum: float = MAX_INTERVAL) -> None:
        self.next = first
        self.maximum = max(first, maximum)

    def __call__(self) -> float:
        current = self.next
        self.next = min(self.maximum, current * 1.5)
        return current


def wait_for_event(
    api: RunReader,
    event_id: str,
    timeout: float,
    *,
    clock: Clock | None = None,
    backoff: Backoff | None = None,
) -> dict[str, Any]:
    """`GET /v1/events/{id}` until the event is stored; NotFoundError after ``timeout`` s."""
    clock = clock or Clock()
    backoff = backoff or Backoff()
    deadline = clock.now() + timeout
    while True:
        try:
            return api.get_event(event_id)
        except NotFoundError:
            left = deadline - clock.now()
            if left <= 0:
                raise NotFoundError(
                    f"event {event_id} not found after waiting {timeout:g} s", status=404
                ) from None
            clock.sleep(min(backoff(), left))


def wait_for_runs(
    api: RunReader,
    events: Sequence[tuple[str, str | None]],
    timeout: float,
    *,
    grace: float = NO_RUNS_GRACE,
    on_done: Callable[[EventWait], None] | None = None,
    clock: Clock | None = None,
    backoff: Backoff | None = None,
) -> list[EventWait]:
    """Poll until every event of ``events`` ((event ID, name) pairs) has an outcome; each goes to
    ``on_done`` as soon as it has one. Returns them in the given order."""
    clock = clock or Clock()
    backoff = backoff or Backoff()
    started = clock.now()
    deadline = started + timeout
    no_runs_after = started + min(grace, timeout)
    waits = [EventWait(event_id, name) for event_id, name in events]
    pending = list(waits)

    def conclude(wait: EventWait, outcome: Outcome) -> None:
        wait.outcome = outcome
        wait.waited = clock.now() - started
        pending.remove(wait)
        if on_done is not None:
            on_done(wait)

    while pending:
        for wait in list(pending):
            _poll(api, wait)
            now = clock.now()
            if wait.runs:
                runs = wait.runs.values()
                settled = all(is_terminal(run) for run in runs)
                if settled and (wait._last_ids == frozenset(wait.runs) or now >= deadline):
                    failed = any(is_failed(run) for run in runs)
                    conclude(wait, Outcome.FAILED if failed else Outcome.COMPLETED)
                elif now >= deadline:
                    conclude(wait, Outcome.TIMED_OUT)
                wait._last_ids = frozenset(wait.runs)
            elif now >= no_runs_after:
                conclude(wait, _stored(api, wait.event_id))
        if pending:
            left = deadline - clock.now()
            clock.sleep(max(0.0, min(backoff(), left)))
    return waits


def _poll(api: RunReader, wait: EventWait) -> None:
    """Read the event's runs; for unfinished ones, read the run itself too."""
    for run in api.event_runs(wait.event_id):
        run_id = text(run, "run_id")
        known = wait.runs.get(run_id)
        if run_id and not (known is not None and is_terminal(known) and not is_terminal(run)):
            wait.runs[run_id] = run
    for run_id, run in list(wait.runs.items()):
        if not is_terminal(run):
            try:
                fresh = api.get_run(run_id)
            except NotFoundError:  # listed but not loadable yet
                continue
            if is_terminal(fresh):
                wait.runs[run_id] = fresh


def _stored(api: RunReader, event_id: str) -> Outcome:
    try:
        api.get_event(event_id)
    except NotFoundError:
        return Outcome.NOT_FOUND
    return Outcome.NO_RUNS
