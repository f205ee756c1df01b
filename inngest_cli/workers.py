"""A fixed set of worker threads for the sender's requests, each submitted call a `Task`.

What the sender used of `concurrent.futures.ThreadPoolExecutor`, without importing it: that
package imports `logging`, ~17 M instructions of every `inngest-cli send`'s start (4%). The
workers are daemon threads, so that a request still in flight when an interrupt's grace period
ends cannot hold the process open (the sender reports it unconfirmed and leaves it).

    workers = Workers(4, name="send", on_done=wake)
    task = workers.submit(fn, arg)     # task.done(), task.result(timeout), task.cancel()
    workers.shutdown(wait=True)        # tasks not started are cancelled
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Generic, TypeVar

T = TypeVar("T")
A = TypeVar("A")

_PENDING, _RUNNING, _CANCELLED, _FINISHED = range(4)


class Cancelled(Exception):
    """`Task.result` of a task cancelled before it started."""


class Task(Generic[A, T]):
    """``fn(arg)``, to be run by a worker: its result (or exception) once done."""

    def __init__(self, fn: Callable[[A], T], arg: A) -> None:
        self._fn, self._arg = fn, arg
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._state = _PENDING
        self._value: T | None = None
        self._error: BaseException | None = None

    def done(self) -> bool:
        """Finished, failed or cancelled."""
        return self._done.is_set()

    def cancel(self) -> bool:
        """Whether the task will never run: True if it had not started (it is cancelled now)."""
        with self._lock:
            if self._state == _PENDING:
                self._state = _CANCELLED
                self._done.set()
            return self._state == _CANCELLED

    def result(self, timeout: float | None = None) -> T:
        """The call's return value, waiting at most ``timeout`` seconds (then TimeoutError);
        its exception if it raised one; `Cancelled` if it never ran."""
        if not self._done.wait(timeout):
            raise TimeoutError
        if self._state == _CANCELLED:
            raise Cancelled
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _run(self) -> bool:
        """Run the call unless cancelled; whether it ran."""
        with self._lock:
            if self._state != _PENDING:
                return False
            self._state = _RUNNING
        try:
            self._value = self._fn(self._arg)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            self._error = exc
        with self._lock:
            self._state = _FINISHED
        self._done.set()
        return True


class Workers:
    """Up to ``size`` daemon threads (started as tasks arrive) running submitted tasks in order;
    ``on_done()`` is called by a worker after each task it ran (it must not raise)."""

    def __init__(self, size: int, *, name: str, on_done: Callable[[], None] | None = None) -> None:
        self._size = max(1, size)
        self._name = name
        self._on_done = on_done
        self._queue: SimpleQueue[Task[object, object] | None] = SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)  # released by a worker waiting for a task
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[[A], T], arg: A) -> Task[A, T]:
        task: Task[A, T] = Task(fn, arg)
        with self._lock:
            if self._closed:
                raise RuntimeError("submit after shutdown")
            self._queue.put(task)  # type: ignore[arg-type]
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return task

    def _work(self) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                return
            if task._run() and self._on_done is not None:
                self._on_done()
            self._idle.release()

    def shutdown(self, *, wait: bool) -> None:
        """Cancel the tasks not started, stop the workers once their task ends (``wait``: and
        wait for that)."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        # What is still queued has not started. A worker may take a task meanwhile: it then
        # runs it, or finds it cancelled (`Task._run` decides under the task's lock).
        while True:
            try:
                task = self._queue.get_nowait()
            except Empty:
                break
            if task is not None:
                task.cancel()
        for _ in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                thread.join()
