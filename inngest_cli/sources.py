"""Input byte streams, before any parsing: files, stdin, gzip, and reads a signal can interrupt.

A read from a pipe can block for ever (`tail -f | ...`). `Stopper` is a self-pipe: a
`PipeReader` waits in select() on both its pipe and the stopper, and reads only when data is
there, so after `Stopper.stop()` no further byte is taken from the pipe (what the writer wrote
afterwards stays in it) and the blocked reader ends with `StopReading`. Regular files never block,
but are read the same way so that they too stop at an interrupt (at their next chunk).

Gzip is recognised by its magic bytes (files and stdin alike) and decompressed as a stream.
"""

from __future__ import annotations

import io
import os
import select
import stat
from typing import IO, Any

from inngest_cli.feed import StopReading

GZIP_MAGIC = b"\x1f\x8b"
READ_SIZE = 1 << 16  # a pipe's buffer on Linux


class Stopper:
    """A self-pipe that wakes readers blocked in select(); `stop` is async-signal-safe."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self.stopped = False

    def fileno(self) -> int:
        return self._read

    def stop(self) -> None:
        self.stopped = True
        try:
            os.write(self._write, b"x")
        except OSError:  # already written (pipe full) or closed: stopping anyway
            pass

    def close(self) -> None:
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass


class PipeReader(io.RawIOBase):
    """Reads a pipe, socket or terminal; raises StopReading once the stopper fires."""

    def __init__(self, fd: int, stopper: Stopper, owner: object = None) -> None:
        self._fd = fd
        self._stopper = stopper
        self._owner = owner  # the file object the descriptor belongs to: kept open with us

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._stopper.stopped:
                raise StopReading
            ready, _, _ = select.select([self._fd, self._stopper.fileno()], [], [])
            if self._stopper.stopped:
                raise StopReading
            if self._fd in ready:
                try:
                    return os.readv(self._fd, [buffer])  # into the buffer: no copy
                except BlockingIOError:
                    continue


def is_regular(fd: int) -> bool:
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        return False


def interruptible(handle: IO[bytes], stopper: Stopper) -> IO[bytes]:
    """A buffered `PipeReader` on ``handle``'s descriptor: a pipe stops being read at once, a
    file at its next chunk (select() finds a regular file always ready)."""
    try:
        fd = handle.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return handle  # not a real descriptor (tests' in-memory stdin): reads do not block
    return io.BufferedReader(PipeReader(fd, stopper, handle), READ_SIZE)


class _ShortReads(io.RawIOBase):
    """`read(n)` returns what is available (at least one byte) instead of waiting for n bytes:
    gzip reads ahead in large chunks, which on a live pipe would wait for data not yet written."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._reader.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._reader.read1(size if size >= 0 else READ_SIZE)
        return data


def gunzipped(handle: IO[bytes]) -> IO[bytes]:
    """``handle`` decompressed, as a stream, when it starts with the gzip magic bytes; else as it
    is (buffered, nothing consumed). Blocks until the first bytes arrive: call it where reads may
    block (the reader thread)."""
    reader: Any = handle if isinstance(handle, io.BufferedReader) else io.BufferedReader(handle)
    if reader.peek(2)[:2] != GZIP_MAGIC:
        return handle if reader is handle else reader  # type: ignore[no-any-return]
    import gzip

    return io.BufferedReader(gzip.GzipFile(fileobj=_ShortReads(reader), mode="rb"), READ_SIZE)
