"""A reader thread between a (possibly live, possibly blocking) input and the sending loop.

The thread pulls items from the input into a bounded buffer; the sending loop takes whatever has
arrived, or waits for it with a timeout. So the loop is never blocked in a read(): it can flush a
partial batch when the input goes quiet, report results as they settle and act on a signal while
the input is idle. The same condition variable wakes the loop for all of those (`wake`).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Generic, TypeVar

T = TypeVar("T")
CAPACITY = 20_000  # items read ahead of the sender: bounded memory, and enough to fill a window
MAX_SLEEP = 0.5  # a sleeping reader re-checks this often (a safety net, not a poll)


class StopReading(Exception):
    """Raised by an input source when reading was asked to stop (see `sources.Stopper`)."""


def _flat(runs: list[Sequence[T]]) -> list[T]:
    """The runs' items in one list (a single list run is handed over as it is)."""
    if len(runs) == 1 and type(runs[0]) is list:
        return runs[0]
    return list(chain.from_iterable(runs))


class Feed(Generic[T]):
    """Items from ``runs`` (a read's worth each: lists, or `plainrun.PlainRun`s), read by a daemon
    thread, handed over in arrival order.

    The buffer is a deque of runs: the reader appends and the consumer pops without a lock (both
    are atomic), so a fast input pays no lock and no Python step per item; the condition is taken
    only to sleep and to wake a sleeper. A sleeper sets its flag and re-checks the buffer before
    it sleeps, and the other side changes the buffer before it checks the flag, so no wake-up is
    lost. The bound counts items, not runs: a run longer than the room left goes in as slices.
    Each count is written by one thread only (``_put`` by the reader, ``_got`` by the consumer),
    so the number buffered, their difference, needs no lock either.
    """

    def __init__(
        self,
        runs: Iterable[Sequence[T]],
        capacity: int = CAPACITY,
        cut: Callable[[], bool] | None = None,
    ) -> None:
        self._runs = runs
        # True when the rest of a run the reader holds may be left untaken (see `payload.Runs`)
        self._cut = cut
        self._capacity = max(1, capacity)
        self._cond = threading.Condition(threading.Lock())
        self._buffer: deque[Sequence[T]] = deque()
        self._put = 0  # items appended to the buffer (written by the reader only)
        self._got = 0  # items taken from it (written by the consumer only)
        self._ended = False  # the input is exhausted (or failed, or reading was stopped)
        self._closed = False  # the consumer wants no more items
        self._error: BaseException | None = None
        self._waiting = False  # the consumer sleeps (on an empty buffer, or for a wake)
        self._full = False  # the reader sleeps on a full buffer
        self._woken = False  # a `wake` not yet seen by take/wait (so none is lost)
        self.last_arrival = time.monotonic()  # when the latest item arrived
        self._thread = threading.Thread(target=self._pump, name="read", daemon=True)

    def start(self) -> Feed[T]:
        self._thread.start()
        return self

    @property
    def ended(self) -> bool:
        """True once the input is exhausted and every item has been taken."""
        return self._ended and not self._buffer

    def _pump(self) -> None:
        cond = self._cond
        buffer = self._buffer
        append = buffer.append
        capacity = self._capacity
        clock = time.monotonic
        try:
            for run in self._runs:
                start, count = 0, len(run)
                while start < count:  # everything taken from the input goes in (or `leftover`)
                    room = capacity - (self._put - self._got)
                    if room <= 0 and not self._closed:
                        with cond:
                            self._full = True
                            while self._put - self._got >= capacity and not self._closed:
                                cond.wait(MAX_SLEEP)
                            self._full = False
                        if self._cut is not None and self._cut():
                            return  # not taken: the input can be read again from here
                        continue
                    if self._closed:  # read after the consumer stopped: `leftover` has it
                        piece = run[start:] if start else run
                    elif start == 0 and count <= room:
                        piece = run
                    else:
                        piece = run[start : start + room]
                    append(piece)
                    self._put += len(piece)
                    start += len(piece)
                    self.last_arrival = clock()
                    if self._waiting:
                        with cond:
                            self._waiting = False  # one wake-up per sleep
                            cond.notify_all()
                if self._closed:
                    return
        except StopReading:
            pass
        except BaseException as exc:  # re-raised on the consumer's thread
            self._error = exc
        finally:
            with cond:
                self._ended = True
                cond.notify_all()

    def _drain_runs(self) -> list[Sequence[T]]:
        buffer = self._buffer
        runs: list[Sequence[T]] = []
        while buffer:
            runs.append(buffer.popleft())
        if runs:
            self._got += sum(map(len, runs))  # before looking at `_full`: see the class docstring
            if self._full:
                with self._cond:
                    self._cond.notify_all()  # room for the reader again
        return runs

    def _drain(self) -> list[T]:
        return _flat(self._drain_runs())

    def take(self, timeout: float | None) -> list[T]:
        """What has arrived, waiting up to ``timeout`` seconds if nothing has; [] on timeout, on
        a `wake`, or at the end of the input. Raises the reader's error once the items before it
        have been taken."""
        return _flat(self.take_runs(timeout))

    def take_runs(self, timeout: float | None) -> list[Sequence[T]]:
        """`take`, as the runs the items came in (a run may be a `plainrun.PlainRun`, whose
        Events are only built if something looks at them)."""
        if not self._buffer and timeout is not None and timeout > 0:
            with self._cond:
                woken, self._woken = self._woken, False
                self._waiting = True
                try:
                    if not woken and not self._buffer and not self._ended:
                        self._cond.wait(timeout)
                finally:
                    self._waiting = False
        if not self._buffer:
            if self._ended and self._error is not None and not self._buffer:
                error, self._error = self._error, None
                raise error
            return []
        return self._drain_runs()

    def wait(self, timeout: float) -> None:
        """Sleep until `wake` or ``timeout``, whatever arrives meanwhile (the caller has no room
        for more input: waking it for each new item would make it spin)."""
        with self._cond:
            woken, self._woken = self._woken, False
            if not woken:
                self._cond.wait(timeout)
            self._woken = False

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
        """Stop taking: the reader stops at its next run; returns what was read and not taken.
        A run the reader finishes after this is kept for `leftover`."""
        self._closed = True
        items = self._drain()
        with self._cond:
            self._cond.notify_all()
        return items

    def leftover(self, timeout: float = 0.0) -> list[T]:
        """Items the reader completed after `close` (waiting up to ``timeout`` for it to end)."""
        self._thread.join(timeout)
        return self._drain()
