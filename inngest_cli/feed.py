"""A reader thread between a (possibly live, possibly blocking) input and the sending loop.

The thread pulls items from the input into a bounded buffer; the sending loop takes whatever has
arrived, or waits for it with a timeout. So the loop is never blocked in a read(): it can flush a
partial batch when the input goes quiet, report results as they settle and act on a signal while
the input is idle. The same condition variable wakes the loop for all of those (`wake`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")
CAPACITY = 20_000  # items read ahead of the sender: bounded memory, and enough to fill a window


class StopReading(Exception):
    """Raised by an input source when reading was asked to stop (see `sources.Stopper`)."""


class Feed(Generic[T]):
    """Items from ``items``, read by a daemon thread, handed over in arrival order."""

    def __init__(self, items: Iterable[T], capacity: int = CAPACITY) -> None:
        self._items = items
        self._capacity = capacity
        self._cond = threading.Condition(threading.Lock())
        self._buffer: list[T] = []
        self._ended = False  # the input is exhausted (or failed, or reading was stopped)
        self._closed = False  # the consumer wants no more items
        self._error: BaseException | None = None
        self._waiting = False
        self._woken = False  # a `wake` not yet seen by take/wait (so none is lost)
        self.last_arrival = time.monotonic()  # when the latest item arrived
        self._thread = threading.Thread(target=self._pump, name="read", daemon=True)

    def start(self) -> Feed[T]:
        self._thread.start()
        return self

    @property
    def ended(self) -> bool:
        """True once the input is exhausted and every item has been taken."""
        with self._cond:
            return self._ended and not self._buffer

    def _pump(self) -> None:
        cond = self._cond
        buffer = self._buffer
        try:
            for item in self._items:
                with cond:
                    while len(buffer) >= self._capacity and not self._closed:
                        cond.wait()
                    if self._closed:
                        # Read after the consumer stopped: keep it, so `close` can report it.
                        buffer.append(item)
                        return
                    buffer.append(item)
                    self.last_arrival = time.monotonic()
                    if self._waiting:
                        cond.notify_all()
        except StopReading:
            pass
        except BaseException as exc:  # re-raised on the consumer's thread
            self._error = exc
        finally:
            with cond:
                self._ended = True
                cond.notify_all()

    def take(self, timeout: float | None, limit: int | None = None) -> list[T]:
        """What has arrived (at most ``limit`` items), waiting up to ``timeout`` seconds if nothing
        has; [] on timeout, on a `wake`, or at the end of the input. Raises the reader's error once
        the items before it have been taken."""
        cond = self._cond
        with cond:
            woken, self._woken = self._woken, False
            if (
                not woken
                and not self._buffer
                and not self._ended
                and timeout is not None
                and timeout > 0
            ):
                self._waiting = True
                try:
                    cond.wait(timeout)
                finally:
                    self._waiting = False
            if not self._buffer:
                if self._ended and self._error is not None:
                    error, self._error = self._error, None
                    raise error
                return []
            if limit is None or len(self._buffer) <= limit:
                items = self._buffer[:]
                self._buffer.clear()
            else:
                items = self._buffer[:limit]
                del self._buffer[:limit]
            cond.notify_all()  # room for the reader again
            return items

    def wait(self, timeout: float) -> None:
        """Sleep until `wake` (or new input) or ``timeout``, without taking anything."""
        with self._cond:
            woken, self._woken = self._woken, False
            if woken or (self._buffer and not self._closed):
                return
            self._waiting = True
            try:
                self._cond.wait(timeout)
            finally:
                self._waiting = False

    def wake(self) -> None:
        """Wake a `take`/`wait` in progress (a batch settled, a signal arrived). Safe to call from
        a signal handler: the lock is only ever held briefly and never around a blocking call."""
        if self._cond.acquire(timeout=0.05):
            try:
                self._woken = True
                self._cond.notify_all()
            finally:
                self._cond.release()

    def close(self) -> list[T]:
        """Stop taking: the reader stops at its next item; returns what was read and not taken.
        An item the reader finishes after this is kept for `leftover`."""
        with self._cond:
            self._closed = True
            items = self._buffer[:]
            self._buffer.clear()
            self._cond.notify_all()
            return items

    def leftover(self, timeout: float = 0.0) -> list[T]:
        """Items the reader completed after `close` (waiting up to ``timeout`` for it to end)."""
        self._thread.join(timeout)
        with self._cond:
            items = self._buffer[:]
            self._buffer.clear()
            return items
