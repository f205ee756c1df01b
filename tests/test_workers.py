"""The sender's worker threads: results, errors, timeouts, cancelling, shutting down."""

from __future__ import annotations

import threading

import pytest

from inngest_cli.workers import Cancelled, Task, Workers


def test_results_and_errors_come_back() -> None:
    workers = Workers(2, name="t")
    tasks = [workers.submit(lambda n: n * n, n) for n in range(10)]
    failing = workers.submit(lambda _: 1 // 0, None)
    assert [task.result(5) for task in tasks] == [n * n for n in range(10)]
    with pytest.raises(ZeroDivisionError):
        failing.result(5)
    assert failing.done()
    workers.shutdown(wait=True)


def test_a_result_not_ready_in_time_is_a_timeout() -> None:
    release = threading.Event()
    workers = Workers(1, name="t")
    task = workers.submit(lambda _: release.wait(5), None)
    with pytest.raises(TimeoutError):
        task.result(0.05)
    assert not task.done()
    release.set()
    assert task.result(5) is True
    workers.shutdown(wait=True)


def test_only_a_task_not_started_can_be_cancelled() -> None:
    started, release = threading.Event(), threading.Event()

    def block(_: None) -> str:
        started.set()
        release.wait(5)
        return "ran"

    workers = Workers(1, name="t")
    running = workers.submit(block, None)
    queued = workers.submit(lambda _: "ran", None)
    assert started.wait(5)
    assert not running.cancel()
    assert queued.cancel() and queued.cancel() and queued.done()
    release.set()
    assert running.result(5) == "ran"
    with pytest.raises(Cancelled):
        queued.result(5)
    workers.shutdown(wait=True)


def test_shutdown_cancels_what_has_not_started_and_waits_for_the_rest() -> None:
    started, release = threading.Event(), threading.Event()
    ran: list[int] = []

    def work(n: int) -> None:
        started.set()
        release.wait(5)
        ran.append(n)

    workers = Workers(1, name="t")
    tasks = [workers.submit(work, n) for n in range(3)]
    assert started.wait(5)
    threading.Timer(0.05, release.set).start()
    workers.shutdown(wait=True)
    assert ran == [0]
    assert tasks[0].result(0) is None
    for task in tasks[1:]:
        with pytest.raises(Cancelled):
            task.result(0)
    with pytest.raises(RuntimeError):
        workers.submit(work, 9)


def test_no_more_threads_than_asked_and_all_of_them_daemons() -> None:
    barrier = threading.Barrier(3, timeout=5)
    names: set[str] = set()

    def work(_: None) -> None:
        names.add(threading.current_thread().name)
        assert threading.current_thread().daemon
        barrier.wait()

    workers = Workers(3, name="send")
    tasks = [workers.submit(work, None) for _ in range(9)]  # 3 rounds of 3 at once
    for task in tasks:
        task.result(5)
    workers.shutdown(wait=True)
    assert names == {"send_0", "send_1", "send_2"}


def test_on_done_follows_each_task_that_ran() -> None:
    done: list[bool] = []
    lock = threading.Lock()

    def on_done() -> None:
        with lock:
            done.append(True)

    workers = Workers(2, name="t", on_done=on_done)
    tasks: list[Task[int, int]] = [workers.submit(lambda n: n, n) for n in range(6)]
    for task in tasks:
        task.result(5)
    workers.shutdown(wait=True)
    assert len(done) == 6
