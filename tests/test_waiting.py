"""Waiting for events and runs, in-process: a scripted reader and a fake clock (no real sleeps)."""

from __future__ import annotations

from typing import Any

import pytest

from inngest_cli.errors import NotFoundError
from inngest_cli.waiting import Backoff, Clock, EventWait, Outcome, wait_for_event, wait_for_runs

E1, E2 = "01JQDAE4RQF8MBCR55T5AK4KX1", "01JQDAE4RQF8MBCR55T5AK4KX2"
R1, R2 = "01JQDAE4RQF8MBCR55T5AK4KY1", "01JQDAE4RQF8MBCR55T5AK4KY2"


class FakeClock(Clock):
    def __init__(self) -> None:
        self.t = 0.0
        super().__init__(now=lambda: self.t, sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.01)


def run(run_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"run_id": run_id, "status": status, **extra}


class Script:
    """Answers by time: ``runs[event]`` is a list of (from time, runs listed); ``fresh[run]`` of
    (from time, run) for `GET /v1/runs/{id}`; events are stored from ``stored[event]``."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.runs: dict[str, list[tuple[float, list[dict[str, Any]]]]] = {}
        self.fresh: dict[str, list[tuple[float, dict[str, Any]]]] = {}
        self.stored: dict[str, float] = {}
        self.calls: list[str] = []

    @staticmethod
    def _at(timeline: list[tuple[float, Any]], t: float, default: Any) -> Any:
        value = default
        for since, item in timeline:
            if t >= since:
                value = item
        return value

    def get_event(self, event_id: str) -> dict[str, Any]:
        self.calls.append(f"event {event_id}")
        if self.clock.t < self.stored.get(event_id, float("inf")):
            raise NotFoundError("event not found")
        return {"internal_id": event_id}

    def event_runs(self, event_id: str) -> list[dict[str, Any]]:
        self.calls.append(f"runs {event_id}")
        runs: list[dict[str, Any]] = self._at(self.runs.get(event_id, []), self.clock.t, [])
        return runs

    def get_run(self, run_id: str) -> dict[str, Any]:
        self.calls.append(f"run {run_id}")
        found: dict[str, Any] | None = self._at(self.fresh.get(run_id, []), self.clock.t, None)
        if found is None:
            raise NotFoundError("run not found")
        return found


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def wait(
    script: Script, clock: FakeClock, events: list[str], timeout: float = 10, **kw: Any
) -> list[EventWait]:
    return wait_for_runs(script, [(e, "app/x") for e in events], timeout, clock=clock, **kw)


def test_wait_for_event_polls_until_stored(clock: FakeClock) -> None:
    script = Script(clock)
    script.stored[E1] = 1.0
    assert wait_for_event(script, E1, 5, clock=clock) == {"internal_id": E1}
    assert 1.0 <= clock.t < 2.5
    assert len(script.calls) > 2


def test_wait_for_event_gives_up_with_not_found(clock: FakeClock) -> None:
    with pytest.raises(NotFoundError) as caught:
        wait_for_event(Script(clock), E1, 2, clock=clock)
    assert caught.value.message == f"event {E1} not found after waiting 2 s"
    assert clock.t == pytest.approx(2, abs=0.05)


def test_completed_once_every_run_is_terminal_and_the_set_is_stable(clock: FakeClock) -> None:
    script = Script(clock)
    script.runs[E1] = [(0.5, [run(R1, "Running")]), (1.0, [run(R1, "Completed")])]
    done: list[str] = []
    [result] = wait(script, clock, [E1], on_done=lambda w: done.append(w.event_id))
    assert result.outcome is Outcome.COMPLETED and done == [E1]
    assert result.runs[R1]["status"] == "Completed"
    assert clock.t < 2


def test_a_run_that_shows_up_later_is_waited_for(clock: FakeClock) -> None:
    script = Script(clock)
    script.runs[E1] = [
        (0.0, [run(R1, "Completed")]),
        (0.1, [run(R1, "Completed"), run(R2, "Running")]),
        (1.0, [run(R1, "Completed"), run(R2, "Failed")]),
    ]
    [result] = wait(script, clock, [E1])
    assert result.outcome is Outcome.FAILED
    assert set(result.runs) == {R1, R2}


def test_run_endpoint_reports_the_finish_first(clock: FakeClock) -> None:
    """`/v1/events/{id}/runs` is cached longer than `/v1/runs/{id}`: the fresher answer wins."""
    script = Script(clock)
    script.runs[E1] = [(0.0, [run(R1, "Running")])]
    script.fresh[R1] = [(0.0, run(R1, "Running")), (0.5, run(R1, "Completed", output=1))]
    [result] = wait(script, clock, [E1])
    assert result.outcome is Outcome.COMPLETED
    assert result.runs[R1]["output"] == 1


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Overflowed", "FAILED"])
def test_failures(clock: FakeClock, status: str) -> None:
    script = Script(clock)
    script.runs[E1] = [(0.0, [run(R1, status)])]
    assert wait(script, clock, [E1])[0].outcome is Outcome.FAILED


def test_skipped_is_not_a_failure(clock: FakeClock) -> None:
    script = Script(clock)
    script.runs[E1] = [(0.0, [run(R1, "Skipped")])]
    assert wait(script, clock, [E1])[0].outcome is Outcome.COMPLETED


def test_timeout_with_a_run_still_running(clock: FakeClock) -> None:
    script = Script(clock)
    script.runs[E1] = [(0.0, [run(R1, "Running")])]
    script.runs[E2] = [(0.0, [run(R2, "Completed")])]
    first, second = wait(script, clock, [E1, E2], timeout=3)
    assert first.outcome is Outcome.TIMED_OUT and second.outcome is Outcome.COMPLETED
    assert clock.t == pytest.approx(3, abs=0.1)


def test_no_runs_after_the_grace_period(clock: FakeClock) -> None:
    script = Script(clock)
    script.stored[E1] = 0.5
    [result] = wait(script, clock, [E1], timeout=60, grace=4)
    assert result.outcome is Outcome.NO_RUNS
    assert 4 <= clock.t < 5


def test_no_runs_is_reported_at_the_timeout_when_that_comes_first(clock: FakeClock) -> None:
    script = Script(clock)
    script.stored[E1] = 0.0
    [result] = wait(script, clock, [E1], timeout=2, grace=20)
    assert result.outcome is Outcome.NO_RUNS
    assert clock.t == pytest.approx(2, abs=0.1)


def test_an_event_that_cannot_be_read_is_not_found(clock: FakeClock) -> None:
    [result] = wait(Script(clock), clock, [E1], timeout=2)
    assert result.outcome is Outcome.NOT_FOUND


def test_backoff_grows_to_its_maximum() -> None:
    backoff = Backoff(0.2, 1.0)
    assert [round(backoff(), 3) for _ in range(6)] == [0.2, 0.3, 0.45, 0.675, 1.0, 1.0]
