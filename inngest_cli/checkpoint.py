"""Resumable sends.

A checkpoint file records the run's base ID seed and the input position up to which every event
is settled (accepted, or reported failed). Rerunning the same command on the same input skips
what is settled and derives each request's seed from the base seed and the request's first event,
so a request that was in flight when the run was interrupted (and may have been applied) is sent
again with the same IDs: nothing is lost, nothing is duplicated.

The file holds no keys: only the target origin, the inputs' names and sizes, and positions.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from inngest_cli.errors import UsageError
from inngest_cli.ids import IdSeed
from inngest_cli.payload import Event, Failure

VERSION = 1


@dataclass
class Checkpoint:
    path: Path
    base_seed: IdSeed
    fingerprint: dict[str, Any]
    sources: list[str]
    settled: tuple[int, int] | None = None  # (source index, line) of the last settled item
    sent: int = 0
    failed: int = 0
    complete: bool = False
    max_request_bytes: int | None = None
    follow: dict[str, Any] | None = None  # --follow: where the last settled line ends (follow.py)
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {name: i for i, name in enumerate(self.sources)}

    @classmethod
    def open(cls, path: Path, sources: list[str], fingerprint: dict[str, Any]) -> Checkpoint:
        """Load ``path`` if it exists (it must describe the same run), else start a new one."""
        if len(set(sources)) != len(sources):
            raise UsageError("--checkpoint: each input may be given only once")
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path, IdSeed.generate(), fingerprint, sources)
        except OSError as exc:
            raise UsageError(f"--checkpoint: cannot read {path}: {exc.strerror or exc}") from None
        try:
            data = orjson.loads(raw)
            seed = IdSeed(int(data["seed"]["ms"]), base64.b64decode(data["seed"]["entropy"]))
            settled = data.get("settled")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise UsageError(f"--checkpoint: {path} is not an inngest-cli checkpoint") from None
        if data.get("version") != VERSION or data.get("fingerprint") != fingerprint:
            raise UsageError(
                f"--checkpoint: {path} was written for a different input or command",
                hint="resume with the same inputs and options, or delete the file to start over",
            )
        return cls(
            path,
            seed,
            fingerprint,
            sources,
            settled=(int(settled[0]), int(settled[1])) if settled else None,
            sent=int(data.get("sent", 0)),
            failed=int(data.get("failed", 0)),
            complete=bool(data.get("complete")),
            max_request_bytes=data.get("max_request_bytes"),
            follow=data.get("follow"),
        )

    @property
    def resuming(self) -> bool:
        return self.settled is not None or self.complete

    def position(self, item: Event | Failure) -> tuple[int, int]:
        return self._index.get(item.source, 0), item.line

    def skip_settled(self, items: Iterable[Event | Failure]) -> Iterator[Event | Failure]:
        """The items after the settled position."""
        settled = self.settled
        for item in items:
            if settled is None or self.position(item) > settled:
                settled = None  # positions only grow: stop comparing
                yield item

    def settle(self, item: Event | Failure, sent: int, failed: int, max_request_bytes: int) -> None:
        self.settled = self.position(item)
        self.sent, self.failed = sent, failed
        self.max_request_bytes = max_request_bytes
        self.save()

    def finish(self) -> None:
        self.complete = True
        self.save()

    def save(self) -> None:
        data = {
            "version": VERSION,
            "fingerprint": self.fingerprint,
            "seed": {
                "ms": self.base_seed.ms,
                "entropy": base64.b64encode(self.base_seed.entropy).decode(),
            },
            "settled": list(self.settled) if self.settled else None,
            "sent": self.sent,
            "failed": self.failed,
            "complete": self.complete,
            "max_request_bytes": self.max_request_bytes,
            "follow": self.follow,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
