"""Where output goes: data to stdout, everything else to stderr; EPIPE ends output quietly."""

from __future__ import annotations

import os
import sys


def print_error(message: str, hint: str | None = None) -> None:
    """One `error:` line (never wrapped: scripts grep it), then at most one `hint:`, on stderr.
    A hint longer than 80 columns is wrapped at spaces, its later lines indented under its text."""
    from inngest_cli.units import labelled

    lines = f"error: {message}\n" + (labelled("hint:", hint) + "\n" if hint else "")
    sys.stderr.write(lines)
    sys.stderr.flush()


def print_warning(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def stderr_line(line: str) -> None:
    """One line on stderr, always (traces, request logs, run reports)."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def info(message: str) -> None:
    """A diagnostic line on stderr (summaries, progress notes); silenced by --quiet."""
    from inngest_cli.cli.context import current

    if not current().quiet:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()


class Stdout:
    """Writes data to stdout (whatever `sys.stdout` is at the time); once the reader has gone
    (`| head`), further writes are dropped. One per run (`context.RunContext.stdout`)."""

    def __init__(self) -> None:
        self.closed = False

    def write(self, text: str) -> None:
        if self.closed:
            return
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            self.gone()

    def gone(self) -> None:
        """The reader has gone: drop further output, and let the interpreter's final flush of
        stdout go to /dev/null instead of printing "Exception ignored ... BrokenPipeError"."""
        self.closed = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # no real file descriptor (tests capture stdout)
            pass

    @staticmethod
    def isatty() -> bool:
        try:
            return sys.stdout.isatty()
        except ValueError:
            return False
