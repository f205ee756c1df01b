"""The one error hierarchy of inngest-cli and the exit codes it maps to.

    InngestCLIError          any error the user can cause or meet; one line + optional hint
    ├── UsageError           bad flag value or missing argument                 -> 2
    ├── InputError           invalid event input; nothing was sent              -> 1
    ├── RemoteError          the server answered with an error                  -> 1
    │   ├── AuthError        event key or signing key rejected                  -> 3
    │   └── NotFoundError    event or run not found                             -> 4
    ├── ConnectError         server unreachable, or kept failing after retries  -> 5
    ├── CheckpointBusy       another run holds the --checkpoint's lock           -> 7
    ├── LocalWriteError      a side file (checkpoint, --failed-out) could not be
    │                        written during a run; what was confirmed is printed -> 8
    └── Interrupted          SIGINT/SIGTERM ended a run (carries its stats)      -> 130

The CLI turns these into `error: ...` lines and exit codes in exactly one place.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    UNREACHABLE = 5
    PARTIAL = 6
    BUSY = 7
    LOCAL_WRITE = 8
    INTERRUPTED = 130


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
                 0x2028: "\\u2028", 0x2029: "\\u2029"})


def one_line(text: str) -> str:
    """``text`` with control characters escaped: an error is one line, whatever a name or a
    server's message holds, and cannot forge a second `error:` line or move the cursor."""
    return text.translate(_CONTROL)


class InngestCLIError(Exception):
    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("message", "hint") and isinstance(value, str):
            value = one_line(value)
        super().__setattr__(name, value)


class UsageError(InngestCLIError):
    exit_code = ExitCode.USAGE


class InputError(InngestCLIError):
    """Invalid input: the message already names the source and line or the field."""


class RemoteError(InngestCLIError):
    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class AuthError(RemoteError):
    exit_code = ExitCode.AUTH


class NotFoundError(RemoteError):
    exit_code = ExitCode.NOT_FOUND


class ConnectError(InngestCLIError):
    exit_code = ExitCode.UNREACHABLE


class CheckpointBusy(InngestCLIError):
    """Another process holds the checkpoint: two runs on one checkpoint would both send."""

    exit_code = ExitCode.BUSY


class LocalWriteError(InngestCLIError):
    """A checkpoint or --failed-out write failed mid-run (disk full, I/O error): the run stopped
    reading, let the requests in flight settle, and reported what was confirmed."""

    exit_code = ExitCode.LOCAL_WRITE


class Interrupted(InngestCLIError):
    """A signal ended the run; ``stats`` says what was settled before it."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, stats: Any, message: str = "interrupted") -> None:
        super().__init__(message)
        self.stats = stats
