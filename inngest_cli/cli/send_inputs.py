"""Opening what a send reads, in the order a plan needs it: the event from the flags, the
checkpoint (locked, loaded or created, durably, before anything is read), the input files or
stdin (shaped into events a read at a time) or the followed file, and --failed-out; then what a
resumed run skips. `cli/send_run.py` runs what this opens."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import msgspec

from inngest_cli.errors import InputError, UsageError

if TYPE_CHECKING:
    from inngest_cli.batching import Limits
    from inngest_cli.checkpoint import Checkpoint
    from inngest_cli.config import EventAPIConfig
    from inngest_cli.payload import Event, Failure, Runs, Shaping
    from inngest_cli.sender import Replay
    from inngest_cli.sendjob import SendPlan
    from inngest_cli.sources import Stopper

    Items = Iterator[Event | Failure]


class Opened(msgspec.Struct):
    """A plan's inputs, open (closed by the ExitStack they were opened on): the events to send,
    the request limits (a checkpoint may have lowered them), what stops the reading, and the
    checkpoint, --failed-out file and followed file when the plan has them."""

    stream: Items
    limits: Limits
    stopper: Stopper
    checkpoint: Checkpoint | None = None
    replay: list[Replay] | None = None
    failed_out: IO[bytes] | None = None
    follower: IO[bytes] | None = None


def open_inputs(plan: SendPlan, config: EventAPIConfig, stack: ExitStack) -> Opened | None:
    """Open what ``plan`` reads, in this order: the event from the flags (built and checked
    here), the checkpoint (locked, loaded or created), the inputs, --failed-out; then skip what
    a resumed checkpoint already settled. None when the checkpoint says the input was sent in
    full and it has not grown (the note says so)."""
    from inngest_cli.batching import Limits
    from inngest_cli.sources import Stopper

    job = plan.job
    stopper = Stopper()
    stack.callback(stopper.close)
    stream: Items = iter(())
    if plan.mode == "flags":
        from inngest_cli.flagevent import flag_event

        stream = iter([flag_event(job, plan.shaping)])
    limits = Limits(max_request_bytes=job.max_request_bytes, max_batch=job.max_batch)
    checkpoint = None
    if plan.checkpoint is not None:
        checkpoint = open_checkpoint(
            plan.checkpoint,
            list(plan.checkpoint_sources),
            config,
            plan.shaping,
            follow=plan.mode == "follow",
            fmt=job.input_format,
            max_request_bytes=job.max_request_bytes,
            max_batch=job.max_batch,
            on_error=job.on_error,
            **({"rate": job.rate} if job.rate is not None else {}),
        )
        stack.callback(checkpoint.close)
        if checkpoint.max_request_bytes:
            limits.lower_to(checkpoint.max_request_bytes)
    follower = None
    if plan.mode == "follow":
        followed = str(job.follow)
        follower = open_follower(followed, stopper, checkpoint, stack)
        stream = shaped([(followed, follower)], "ndjson", plan.shaping)
    elif plan.mode == "files":
        sources = [open_source(p, stack, stopper) for p in plan.paths]
        stream = shaped(sources, job.input_format, plan.shaping, stopper)
    out = open_failed_out(job.failed_out, checkpoint, stack) if job.failed_out else None
    replay = None
    if checkpoint is not None and checkpoint.resuming:
        # checked by content before anything is sent; a followed file resumes at its
        # recorded position instead (the checkpoint's `follow` entry)
        start = checkpoint.settled if plan.mode == "follow" else 0
        replay, stream = checkpoint.resume(stream, start=start)
        if checkpoint.complete:
            import itertools

            following = next(stream, None)
            if following is None:
                from inngest_cli.cli.console import info as note

                note(
                    f"{plan.checkpoint}: this input was already sent in full "
                    f"({checkpoint.sent} sent, {checkpoint.failed} failed); delete it to send again"
                )
                return None
            stream = itertools.chain([following], stream)  # the input grew: send the rest
            checkpoint.complete = False
    return Opened(stream, limits, stopper, checkpoint, replay, out, follower)


def open_source(path: str, stack: ExitStack, stopper: Stopper) -> tuple[str, IO[bytes]]:
    """An input as a byte stream that `stopper` can interrupt (see `sources`)."""
    from inngest_cli.sources import interruptible

    if path == "-":
        if sys.stdin.isatty():
            raise UsageError(
                "stdin is a terminal: pipe events in (NDJSON, a JSON array or object)",
                hint="e.g. cat events.ndjson | inngest-cli send",
            )
        return "stdin", interruptible(sys.stdin.buffer, stopper)
    try:
        handle = stack.enter_context(open(path, "rb"))  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return path, interruptible(handle, stopper)


def open_follower(
    path: str, stopper: Stopper, checkpoint: Checkpoint | None, stack: ExitStack
) -> IO[bytes]:
    """`--follow`: the file as a never-ending stream, resumed where the checkpoint says."""
    import io

    from inngest_cli.cli.console import info as note
    from inngest_cli.follow import Follower, Position

    resume = None
    if checkpoint is not None:
        resume = Position.from_json(getattr(checkpoint, "follow", None))
    try:
        follower = Follower(path, stopper, resume=resume, track=checkpoint is not None)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    stack.callback(follower.close)
    for notice in follower.notices:
        note(f"note: {notice}")
    return io.BufferedReader(follower, 1 << 16)


def shaped(
    sources: list[tuple[str, IO[bytes]]],
    fmt: str,
    shaping: Shaping,
    stopper: Stopper | None = None,
) -> Runs[Event | Failure]:
    """Each source's events and failures in turn (`payload.shape_sources`), gzip recognised by
    its magic bytes, one run per read. Runs on the reader thread: opening a gzip stream waits
    for its first bytes.

    After ``stopper`` fires, a file stops at its next run (a rerun can read the rest again),
    while a pipe goes on through what was already taken from it, up to `StopReading`: those
    bytes exist nowhere else. A resumed `--follow` numbers its lines from where it resumed."""
    from inngest_cli.payload import Runs

    reading = [False]  # whether the source being read is a file that can be read again

    def cut() -> bool:
        return reading[0] and stopper is not None and stopper.stopped

    return Runs(_shaped_runs(sources, fmt, shaping, stopper, reading), cut)


def _shaped_runs(
    sources: list[tuple[str, IO[bytes]]],
    fmt: str,
    shaping: Shaping,
    stopper: Stopper | None,
    reading: list[bool],
) -> Iterator[Sequence[Event | Failure]]:
    from inngest_cli.payload import shape_sources
    from inngest_cli.plainrun import PlainRun
    from inngest_cli.sources import gunzipped, is_regular

    for source, handle in sources:
        raw = getattr(handle, "raw", None)
        base = getattr(raw, "base_line", 0)  # a resumed --follow
        try:
            rereadable = stopper is not None and base == 0 and is_regular(handle.fileno())
        except (OSError, ValueError, AttributeError):
            rereadable = False
        reading[0] = rereadable
        try:
            runs = shape_sources([(source, gunzipped(handle))], fmt, shaping).lists()  # type: ignore[arg-type]
            if not (rereadable or base):
                yield from runs
                continue
            for run in runs:
                if rereadable and stopper is not None and stopper.stopped:
                    return
                if base and isinstance(run, PlainRun):
                    run.renumber(base)
                else:
                    for item in run if base else ():
                        item.line += base
                yield run
        except Exception as exc:
            if not _gzip_error(exc):
                raise
            raise InputError(f"{source}: not valid gzip: {exc}") from None


def _gzip_error(exc: Exception) -> bool:
    """Whether ``exc`` says a gzip stream is broken (gzip is imported only to read one)."""
    import zlib

    gzip = sys.modules.get("gzip")
    return isinstance(exc, EOFError | zlib.error) or (
        gzip is not None and isinstance(exc, gzip.BadGzipFile)
    )


def total_size(paths: tuple[str, ...]) -> int | None:
    """The bytes the inputs hold (the progress display's total); None when one is a pipe."""
    total = 0
    for path in paths:
        if path == "-":
            try:
                st = os.fstat(sys.stdin.fileno())
            except (OSError, ValueError):
                return None
            if not stat.S_ISREG(st.st_mode):
                return None
            total += st.st_size
        else:
            try:
                total += os.path.getsize(path)
            except OSError:
                return None
    return total


def open_checkpoint(
    path: Path,
    sources: list[str],
    config: EventAPIConfig,
    shaping: Shaping,
    *,
    follow: bool = False,
    **options: Any,
) -> Checkpoint:
    """Lock and load the checkpoint for this run, or create it (durably, before anything is
    read or sent). The input is known by its content (checked on resume), not its size; a
    followed file by its name (it grows), its position being the checkpoint's `follow` entry."""
    from msgspec.structs import asdict

    from inngest_cli.checkpoint import Checkpoint

    if len(set(sources)) != len(sources):
        raise UsageError("--checkpoint: each input may be given only once")
    if follow:
        options["follow"] = True
    fingerprint = {
        "sources": ["stdin" if s == "-" else s for s in sources],
        "origin": config.origin,
        "env": config.env,
        "shaping": asdict(shaping),
        "options": options,
    }
    return Checkpoint.open(path, fingerprint)


def open_failed_out(path: Path, checkpoint: Checkpoint | None, stack: ExitStack) -> IO[bytes]:
    """Open --failed-out before anything is sent (a missing directory or a read-only one is a
    one-line error, with nothing sent). Unbuffered, so that a full disk shows at the failure
    that could not be written. A resumed run appends, after cutting the file back to what the
    checkpoint recorded."""
    resuming = checkpoint is not None and checkpoint.resuming
    try:
        handle: IO[bytes] = stack.enter_context(
            open(path, "ab" if resuming else "wb", buffering=0)  # noqa: SIM115
        )
    except OSError as exc:
        raise UsageError(f"--failed-out: cannot write {path}: {exc.strerror or exc}") from None
    if checkpoint is not None:
        checkpoint.attach_failed_out(path, handle)
    return handle
