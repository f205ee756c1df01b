"""The test suite's support processes (`serve`, the fault and run servers), and how pytest stops.

- Each support process starts in its own session (its own process group), so a Ctrl-C at the
  terminal, which signals the whole foreground group, reaches pytest and not the servers that the
  rest of the session still needs.
- Ctrl-C (SIGINT) stops the session after the current test, teardown included, even when the
  test was running the CLI in-process, whose `run()` turns KeyboardInterrupt into exit code 130
  as a CLI must (which used to let the session go on).
- SIGTERM kills every support process still running, then interrupts pytest; an exit without
  teardown (a crash, `pytest -x` abort) reaps them too, from `atexit`.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
from types import FrameType
from typing import Any

_running: set[subprocess.Popen[Any]] = set()
_interrupted: list[str] = []  # the signal that asked the session to stop, if one did
_STOPPING = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}
_wakeup: list[int] = []  # the read end of the signal wake-up pipe


def spawn(command: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Popen ``command`` in a process group of its own, registered for reaping."""
    proc: subprocess.Popen[Any] = subprocess.Popen(command, start_new_session=True, **kwargs)
    _running.add(proc)
    return proc


def forget(proc: subprocess.Popen[Any]) -> None:
    """``proc`` has been stopped and waited for by its owner."""
    _running.discard(proc)


def reap_all() -> None:
    """Kill every registered process group that is still running, and wait for each."""
    for proc in list(_running):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
            pass
        _running.discard(proc)


def interrupted() -> str | None:
    """The name of the signal that asked the session to stop, or None.

    The CLI under test installs its own SIGINT handler for a while (`events tail`, `send`), so
    our handler may not see the signal: the interpreter's wake-up pipe does, whichever Python
    handler ran."""
    if _wakeup:
        try:
            received = os.read(_wakeup[0], 4096)
        except BlockingIOError:
            received = b""
        _interrupted.extend(_STOPPING[n] for n in received if n in _STOPPING)
    return _interrupted[0] if _interrupted else None


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _interrupted.append("SIGINT")
    raise KeyboardInterrupt


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _interrupted.append("SIGTERM")
    reap_all()
    raise KeyboardInterrupt


def install() -> None:
    """Take over SIGINT and SIGTERM for the session (pytest_configure) and reap at exit."""
    signal.signal(signal.SIGINT, _on_sigint)
    signal.signal(signal.SIGTERM, _on_sigterm)
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    _wakeup.append(read_end)
    atexit.register(reap_all)
