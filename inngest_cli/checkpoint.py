"""Resumable sends: a checkpoint file that lets a rerun of the same command neither lose nor
duplicate an event, whenever the first run ended (a kill at any instant included).

What the file records, and when (every write is atomic: a temporary file, fsynced, renamed over
the old one, and the directory fsynced):

- on creation, before anything is read or sent: the run's base ID seed and what identifies the
  run (the inputs' names, the target origin and env, the options that shape the requests);
- before each request leaves: the request (input index of its first item, how many items, its
  seed, a hash of its items' bytes), as *in flight*;
- as results settle (at least once a second, and at the end): how many input items are settled
  (accepted or failed, in input order, contiguous), a running hash of their bytes, the counts,
  the request cap a 413 taught, and how long --failed-out was at that point.

A rerun takes an exclusive lock (a second run on the same checkpoint is refused), re-reads the
settled prefix and checks its hash (so a changed file or a different stdin is refused, whatever
its name or size), rebuilds each request that was in flight from the same items (checking their
hash too) and resends it with its seed, shifted past the events of it that had settled: the
server reproduces the IDs of what it had already stored. Then it goes on with the rest. An
unconfirmed request is thus resent exactly as it went out; nothing settles that was not
confirmed. --failed-out is cut back to its recorded length, so a failure is written once.

The file holds no keys.
"""

from __future__ import annotations

import errno
import fcntl
import glob
import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from inngest_cli.errors import CheckpointBusy, LocalWriteError, UsageError
from inngest_cli.ids import IdSeed
from inngest_cli.payload import Event, Failure
from inngest_cli.plainrun import last_item
from inngest_cli.sender import Launch, Replay, content_digest, feed

VERSION = 2
SAVE_EVERY = 1.0  # seconds: settled progress is written at least this often (and at the end)
Item = Event | Failure


@dataclass
class InFlight:
    """A request that was sent (or about to be) and has not settled."""

    start: int  # input index of its first item
    count: int  # items (events and the failures riding along)
    seed: IdSeed
    digest: str

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "count": self.count, "seed": self.seed.header(),
                "digest": self.digest}


@dataclass
class Checkpoint:
    path: Path
    base_seed: IdSeed
    fingerprint: dict[str, Any]
    settled: int = 0  # input items settled, from the start of the input
    digest: str = field(default_factory=lambda: hashlib.sha256().hexdigest())
    settled_at: str | None = None  # where the last settled item came from (for messages)
    sent: int = 0
    failed: int = 0
    complete: bool = False
    max_request_bytes: int | None = None
    follow: dict[str, Any] | None = None  # --follow: where the last settled line ends (follow.py)
    failed_out: dict[str, Any] | None = None  # {"path": ..., "bytes": length when last settled}
    inflight: list[InFlight] = field(default_factory=list)
    created: bool = False  # this run started the checkpoint
    _hash: Any = field(default_factory=hashlib.sha256, repr=False)
    _lock: int | None = field(default=None, repr=False)
    _saved: float = field(default=0.0, repr=False)
    _dirty: bool = field(default=False, repr=False)
    _out: tuple[Path, IO[bytes]] | None = field(default=None, repr=False)
    _out_synced: int = field(default=0, repr=False)

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, fingerprint: dict[str, Any]) -> Checkpoint:
        """Lock ``path`` for this run, then load it (it must describe the same run) or create it
        (durably, before anything is sent)."""
        lock = _lock(path)
        try:
            for stale in path.parent.glob(f"{glob.escape(path.name)}.*.tmp"):
                stale.unlink(missing_ok=True)  # a write a kill cut short: we hold the lock
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                checkpoint = cls(path, IdSeed.generate(), fingerprint, created=True)
                checkpoint._lock = lock
                checkpoint.save(first=True)
                return checkpoint
            except OSError as exc:
                raise UsageError(f"--checkpoint: cannot read {path}: {_reason(exc)}") from None
            checkpoint = cls._load(path, raw, fingerprint)
            checkpoint._lock = lock
            return checkpoint
        except BaseException:
            os.close(lock)
            raise

    @classmethod
    def _load(cls, path: Path, raw: bytes, fingerprint: dict[str, Any]) -> Checkpoint:
        def corrupt(what: str) -> UsageError:
            return UsageError(
                f"--checkpoint: {path} is not a valid inngest-cli checkpoint ({what})",
                hint="a rerun without it resends what it settled; delete it only to start over",
            )

        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise corrupt("not JSON") from None
        if not isinstance(data, dict):
            raise corrupt("not a JSON object")
        if data.get("version") != VERSION:
            raise corrupt(f"version {data.get('version')!r}, this inngest-cli writes {VERSION}")
        if data.get("fingerprint") != fingerprint:
            raise UsageError(
                f"--checkpoint: {path} was written for a different input or command"
                + _differs(data.get("fingerprint"), fingerprint),
                hint="resume with the same inputs and options, or delete the file to start over",
            )
        seed = IdSeed.parse(_typed(data, "seed", str, corrupt))
        if seed is None:
            raise corrupt("seed is not an ID seed")
        inflight = []
        entries = _typed(data, "inflight", list, corrupt)
        for entry in entries:
            if not isinstance(entry, dict):
                raise corrupt("inflight holds a non-object")
            entry_seed = IdSeed.parse(_typed(entry, "seed", str, corrupt))
            if entry_seed is None:
                raise corrupt("an in-flight seed is not an ID seed")
            inflight.append(InFlight(_count(entry, "start", corrupt),
                                     _count(entry, "count", corrupt), entry_seed,
                                     _typed(entry, "digest", str, corrupt)))
        cap = data.get("max_request_bytes")
        if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 2):
            raise corrupt("max_request_bytes is not a size")
        failed_out = data.get("failed_out")
        if failed_out is not None:
            if not isinstance(failed_out, dict):
                raise corrupt("failed_out is not an object")
            _typed(failed_out, "path", str, corrupt)
            _count(failed_out, "bytes", corrupt)
        follow = data.get("follow")
        if follow is not None and not isinstance(follow, dict):
            raise corrupt("follow is not an object")
        settled_at = data.get("settled_at")
        if settled_at is not None and not isinstance(settled_at, str):
            raise corrupt("settled_at is not a string")
        checkpoint = cls(
            path, seed, fingerprint,
            settled=_count(data, "settled", corrupt),
            digest=_typed(data, "digest", str, corrupt),
            settled_at=settled_at,
            sent=_count(data, "sent", corrupt),
            failed=_count(data, "failed", corrupt),
            complete=_typed(data, "complete", bool, corrupt),
            max_request_bytes=cap,
            failed_out=failed_out,
            inflight=inflight,
            follow=follow,
        )
        position = checkpoint.settled
        for entry in inflight:
            if entry.start > position or entry.count < 1 or entry.start + entry.count <= position:
                raise corrupt("its in-flight requests do not follow the settled items")
            position = entry.start + entry.count
        return checkpoint

    @property
    def resuming(self) -> bool:
        return not self.created

    # -- resuming ---------------------------------------------------------------------------
    def resume(
        self, items: Iterable[Item], *, start: int = 0
    ) -> tuple[list[Replay], Iterator[Item]]:
        """Read and check the settled prefix and the requests in flight, before anything is sent;
        returns those requests (to be resent as they were) and the rest of the input.

        ``start``: the input index of the first item of ``items``. A followed file resumes at its
        recorded position (``follow``), with ``start`` the settled count: its prefix may have
        been rotated away, so it is known by the file's identity instead of re-read and hashed,
        and a request that was in flight across the settled position is not replayed (its
        unsettled part is read and sent again as new input)."""
        iterator = iter(items)
        hasher = self._hash
        inflight = [entry for entry in self.inflight if entry.start >= start]
        first = max(start, inflight[0].start if inflight else self.settled)
        window: list[Item] = []  # items of the in-flight requests
        end = inflight[-1].start + inflight[-1].count if inflight else first
        where = self.settled_at
        for index in range(start, max(end, self.settled)):
            item = next(iterator, None)
            if item is None:
                if index < self.settled:
                    raise self._mismatch(
                        f"the input ends after {index} records; the checkpoint settled "
                        f"{self.settled} (up to {where})"
                    )
                raise self._mismatch(
                    f"the input ends after {index} records, inside a request that was in "
                    f"flight (records {first + 1}-{end}), which the server may have stored"
                )
            if index < self.settled:
                feed(hasher, (item,))
                if index == self.settled - 1 and hasher.hexdigest() != self.digest:
                    raise self._mismatch(
                        f"its first {self.settled} records (up to {item.source}:{item.line}) "
                        "are not the ones the checkpoint settled"
                    )
            if index >= first:
                window.append(item)
        replays = []
        for entry in inflight:
            part = window[entry.start - first : entry.start - first + entry.count]
            if content_digest(part) != entry.digest:
                raise self._mismatch(
                    f"records {entry.start + 1}-{entry.start + entry.count} differ from those "
                    "of a request that was in flight, which the server may have stored"
                )
            done = part[: max(0, self.settled - entry.start)]
            offset = sum(isinstance(item, Event) for item in done)
            replays.append(Replay(part[len(done):], entry.seed, offset))
        return replays, iterator

    def _mismatch(self, what: str) -> UsageError:
        return UsageError(
            f"--checkpoint: {self.path} was written for a different input: {what}",
            hint="resume with the same input, or delete the checkpoint to send this one anew",
        )

    def attach_failed_out(self, path: Path, handle: IO[bytes]) -> None:
        """Record --failed-out's length with each settle (fsynced first), after cutting it back
        to its length when the checkpoint last settled: the failures after that are written
        again by this run, so each failure is in the file once."""
        recorded = self.failed_out
        try:
            if recorded is not None and recorded["path"] == str(path):
                if os.fstat(handle.fileno()).st_size > recorded["bytes"]:
                    handle.truncate(recorded["bytes"])
            handle.seek(0, os.SEEK_END)
        except OSError as exc:
            raise UsageError(f"--failed-out: cannot write {path}: {_reason(exc)}") from None
        self._out = (path, handle)
        self._out_synced = handle.tell()

    # -- recording --------------------------------------------------------------------------
    def launch(self, launch: Launch, max_request_bytes: int) -> None:
        """Record a request as in flight, durably, before it leaves."""
        self.max_request_bytes = max_request_bytes
        self.inflight.append(
            InFlight(launch.start, len(launch.items), launch.seed, content_digest(launch.items))
        )
        self.save()

    def settle(
        self, items: Sequence[Item], accepted: int, failed: int, max_request_bytes: int
    ) -> None:
        """Items settled, in input order, right after the ones settled before."""
        feed(self._hash, items)
        self.settled += len(items)
        self.digest = self._hash.hexdigest()
        last = last_item(items)
        self.settled_at = f"{last.source}:{last.line}" if last.line else last.source
        self.sent += accepted
        self.failed += failed
        self.max_request_bytes = max_request_bytes
        if self._out is not None:
            self.failed_out = {"path": str(self._out[0]), "bytes": self._out[1].tell()}
        while self.inflight and self.inflight[0].start + self.inflight[0].count <= self.settled:
            self.inflight.pop(0)
        self._dirty = True
        if time.monotonic() - self._saved >= SAVE_EVERY:
            self.save()

    def flush(self) -> None:
        """Write what settled since the last write."""
        if self._dirty:
            self.save()

    def finish(self) -> None:
        self.complete = True
        self.save()

    def save(self, *, first: bool = False) -> None:
        if self._out is not None and self.failed_out is not None:
            path, handle = self._out
            if self.failed_out["bytes"] != self._out_synced:  # durable before recorded
                try:
                    os.fsync(handle.fileno())
                except OSError as exc:
                    raise LocalWriteError(
                        f"--failed-out: cannot write {path}: {_reason(exc)}"
                    ) from None
                self._out_synced = self.failed_out["bytes"]
        data = {
            "version": VERSION,
            "fingerprint": self.fingerprint,
            "seed": self.base_seed.header(),
            "settled": self.settled,
            "digest": self.digest,
            "settled_at": self.settled_at,
            "sent": self.sent,
            "failed": self.failed,
            "complete": self.complete,
            "max_request_bytes": self.max_request_bytes,
            "failed_out": self.failed_out,
            "inflight": [entry.to_json() for entry in self.inflight],
            "follow": self.follow,
        }
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(self.path)
        except OSError as exc:
            try:
                tmp.unlink()
            except OSError:
                pass
            message = f"--checkpoint: cannot write {self.path}: {_reason(exc)}"
            if first:
                raise UsageError(message) from None
            raise LocalWriteError(message) from None
        self._saved = time.monotonic()
        self._dirty = False

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _lock(path: Path) -> int:
    """Take ``path``'s lock file (``path``.lock, which stays: removing it would race) for the
    whole run, and write our PID in it; refuse if another process holds it."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise UsageError(f"--checkpoint: cannot write {lock_path}: {_reason(exc)}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise UsageError(f"--checkpoint: cannot lock {lock_path}: {_reason(exc)}") from None
        raise CheckpointBusy(
            f"--checkpoint: {path} is in use by another run (pid {holder or 'unknown'})",
            hint="wait for it to finish; two runs on one checkpoint would send events twice",
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as exc:
        os.close(fd)
        raise UsageError(f"--checkpoint: cannot write {lock_path}: {_reason(exc)}") from None
    return fd


def _fsync_dir(path: Path) -> None:
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _typed(data: dict[str, Any], key: str, kind: type, corrupt: Any) -> Any:
    value = data.get(key)
    if not isinstance(value, kind):
        raise corrupt(f"{key} is {'missing' if value is None else 'of the wrong type'}")
    return value


def _count(data: dict[str, Any], key: str, corrupt: Any) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise corrupt(f"{key} is {'missing' if value is None else 'not a count'}")
    return value


def _differs(old: Any, new: dict[str, Any]) -> str:
    """What differs between two fingerprints, as a short clause."""
    if not isinstance(old, dict):
        return ""
    keys = [key for key in new if old.get(key) != new.get(key)]
    for key in ("sources", "origin", "env"):
        if key in keys:
            return f" (the {'inputs differ' if key == 'sources' else key + ' differs'})"
    options = new.get("options", {})
    old_options: dict[str, Any] = old.get("options") or {}
    if not isinstance(old_options, dict):
        old_options = {}
    changed = [k for k in options if old_options.get(k) != options.get(k)]
    if changed:
        flag = {"fmt": "format"}.get(changed[0], changed[0]).replace("_", "-")
        return f" (--{flag} differs)"
    return " (" + ", ".join(keys) + " differ)" if keys else ""

