"""Following a growing file as `tail -F` does, as a byte stream that never ends until stopped.

`Follower` reads what the file holds, then waits for appended bytes. When the path is renamed
away and a new file takes its place (log rotation), it finishes the old file (the descriptor it
holds, identified by (device, inode), read until the new file is no longer empty) and goes on with
the new one from its start; when the file shrinks (truncation), it starts again from the
beginning. It polls: a few stat() calls a second,
and no platform-specific notification API.

For resuming, it can say where each line ends: `position(line)` is the (device, inode) of the
file holding that line, the offset just after it and a hash of the file's first bytes (so a reused
inode with other content is not mistaken for the same file). `Follower(..., resume=position)`
starts there: in the same file, or in the file it was renamed to in the same directory while we
were not running, or at the start of the path if neither is found.
"""

from __future__ import annotations

import hashlib
import io
import os
import select
from collections import deque
from dataclasses import dataclass
from typing import Any

from inngest_cli.feed import StopReading
from inngest_cli.sources import Stopper

POLL = 0.1  # seconds between checks of an idle file: the delay a new line can wait to be read
HEAD = 1024  # bytes hashed to tell one file's content from another's at the same inode


@dataclass(frozen=True)
class Position:
    """Just after a line: which file, where in it, and what it starts with; plus the line's
    number in the whole followed stream."""

    dev: int
    ino: int
    offset: int
    head: str  # sha256 hex of the file's first min(offset, HEAD) bytes
    line: int

    def to_json(self) -> dict[str, Any]:
        return {
            "dev": self.dev,
            "ino": self.ino,
            "offset": self.offset,
            "head": self.head,
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: Any) -> Position | None:
        try:
            return cls(
                int(data["dev"]),
                int(data["ino"]),
                int(data["offset"]),
                str(data["head"]),
                int(data["line"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class _Segment:
    """One stretch of the stream read from one file (a new one after rotation or truncation)."""

    __slots__ = ("dev", "ino", "head")

    def __init__(self, dev: int, ino: int) -> None:
        self.dev = dev
        self.ino = ino
        self.head = b""


def _head_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Follower(io.RawIOBase):
    """The bytes of ``path`` as it grows and rotates; `readinto` blocks until there are some and
    raises StopReading once ``stopper`` fires. With ``track``, remembers where recent lines end
    (pruned as `position` is asked for later lines)."""

    def __init__(
        self,
        path: str,
        stopper: Stopper,
        *,
        resume: Position | None = None,
        track: bool = False,
        poll: float = POLL,
    ) -> None:
        self.path = path
        self._stopper = stopper
        self._poll = poll
        self._track = track
        self._marks: deque[tuple[int, _Segment, int]] = deque()  # (line, segment, offset after)
        self.notices: list[str] = []  # what happened at a resume, for the caller to say
        self.line = resume.line if resume else 0  # newlines read so far, over the whole stream
        self.base_line = self.line
        self._file: io.FileIO | None = None
        self._offset = 0
        self._segment: _Segment | None = None
        self._pending_switch = False  # reading a rotated file to its end, then the path
        self._open(resume)

    # -- opening ---------------------------------------------------------------------------
    def _open(self, resume: Position | None) -> None:
        st = os.stat(self.path)  # OSError here: the caller reports the path as unreadable
        if resume is None:
            self._use(open(self.path, "rb", buffering=0), 0)  # noqa: SIM115
            return
        if (st.st_dev, st.st_ino) == (resume.dev, resume.ino):
            if self._matches(self.path, resume, st.st_size):
                self._use(open(self.path, "rb", buffering=0), resume.offset)  # noqa: SIM115
                return
            self.notices.append(
                f"{self.path} was truncated or rewritten since the checkpoint: "
                "following it from its start"
            )
            self._use(open(self.path, "rb", buffering=0), 0)  # noqa: SIM115
            return
        rotated = self._find_rotated(resume)
        if rotated is not None:
            self.notices.append(
                f"{self.path} was rotated since the checkpoint: finishing {rotated} first"
            )
            self._use(open(rotated, "rb", buffering=0), resume.offset)  # noqa: SIM115
            self._pending_switch = True
            return
        self.notices.append(
            f"the file the checkpoint was following is gone: following {self.path} from its start"
        )
        self._use(open(self.path, "rb", buffering=0), 0)  # noqa: SIM115

    @staticmethod
    def _matches(path: str, resume: Position, size: int) -> bool:
        if size < resume.offset:
            return False
        try:
            with open(path, "rb") as f:
                return _head_hash(f.read(min(resume.offset, HEAD))) == resume.head
        except OSError:
            return False

    def _find_rotated(self, resume: Position) -> str | None:
        directory = os.path.dirname(self.path) or "."
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return None
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (resume.dev, resume.ino) and self._matches(
                entry.path, resume, st.st_size
            ):
                return entry.path
        return None

    def _use(self, handle: io.FileIO, offset: int) -> None:
        if self._file is not None:
            self._file.close()
        st = os.fstat(handle.fileno())
        self._file = handle
        self._segment = _Segment(st.st_dev, st.st_ino)
        if offset:
            self._segment.head = handle.read(min(offset, HEAD))
            handle.seek(offset)
        self._offset = offset

    # -- reading ---------------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._stopper.stopped:
                raise StopReading
            assert self._file is not None
            count = self._file.readinto(buffer)
            if count:
                self._took(bytes(buffer[:count]))
                return count
            if not self._next_file():
                ready, _, _ = select.select([self._stopper], [], [], self._poll)
                if ready or self._stopper.stopped:
                    raise StopReading

    def _took(self, data: bytes) -> None:
        segment = self._segment
        assert segment is not None
        start = self._offset
        if len(segment.head) < HEAD:
            segment.head += data[: HEAD - len(segment.head)]
        self._offset += len(data)
        if not self._track:
            self.line += data.count(b"\n")
            return
        marks = self._marks
        line = self.line
        find = data.find
        at = find(b"\n")
        while at >= 0:
            line += 1
            marks.append((line, segment, start + at + 1))
            at = find(b"\n", at + 1)
        self.line = line

    def _next_file(self) -> bool:
        """At the end of what the current file holds: switch on rotation or truncation. True if
        there is something new to read."""
        assert self._file is not None
        if self._pending_switch:
            self._pending_switch = False
            return self._switch()
        try:
            st = os.stat(self.path)
        except OSError:  # renamed away, the new one not created yet: wait for it
            return False
        segment = self._segment
        assert segment is not None
        if (st.st_dev, st.st_ino) != (segment.dev, segment.ino):
            # Rotated. The writer may go on appending to the old file until it reopens the path
            # (logrotate's `create`: rename, create empty, then signal the writer), so the old
            # file is read until the new one has something in it: the writer has moved over.
            if st.st_size == 0:
                return False
            return self._switch()
        if st.st_size < self._offset:  # truncated: what is there now is new
            self._file.seek(0)
            self._segment = _Segment(segment.dev, segment.ino)
            self._offset = 0
            return True
        return False

    def _switch(self) -> bool:
        try:
            handle = open(self.path, "rb", buffering=0)  # noqa: SIM115
        except OSError:
            return False
        self._use(handle, 0)
        return True

    def position(self, line: int) -> Position | None:
        """Where ``line`` (a line number of this stream) ends; forgets the lines before it."""
        marks = self._marks
        found = None
        while marks and marks[0][0] <= line:
            found = marks.popleft()
        if found is None or found[0] != line:
            return None
        _, segment, offset = found
        return Position(
            segment.dev, segment.ino, offset, _head_hash(segment.head[: min(offset, HEAD)]), line
        )

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()
