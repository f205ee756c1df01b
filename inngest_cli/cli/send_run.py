"""Running a send: `run` plans the job (`inngest_cli.sendjob`), opens its inputs
(`cli/send_inputs.py`), then prints the requests it would make (--dry-run) or sends them with
progress, interrupts and checkpoints, and renders what happened. `cli/send.py` turns the
arguments into a `SendJob`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import IO, TYPE_CHECKING, Any

from inngest_cli.errors import ExitCode, InngestCLIError, InputError, Interrupted

if TYPE_CHECKING:
    from inngest_cli.batching import Limits
    from inngest_cli.checkpoint import Checkpoint
    from inngest_cli.cli.output import FailureReport, Progress, SendOutput
    from inngest_cli.cli.send_inputs import Opened
    from inngest_cli.config import EventAPIConfig
    from inngest_cli.payload import Event, Failure
    from inngest_cli.sender import Launch, Sender, Stats
    from inngest_cli.sendjob import SendJob, SendPlan

    Items = Iterator[Event | Failure]


def run(job: SendJob) -> int:
    """The whole `send`: plan the job, look up the connection, open the inputs, then send them
    (or, on a dry run, print the requests it would make) and render the outcome; the exit code.
    Usage errors come before any input is read; the connection's before anything is opened."""
    from inngest_cli.cli.context import current
    from inngest_cli.cli.send_inputs import open_inputs
    from inngest_cli.cli.sendwait import waiter_for
    from inngest_cli.config import resolve_event_api
    from inngest_cli.sendjob import Stdin, plan

    planned = plan(job, Stdin.probe())
    config = resolve_event_api(
        event_key=job.event_key,
        env=job.env,
        dev="1" if job.dev else None,
        event_api_url=job.event_api_url,
        layers=current().layers(),
        secrets=current().secrets,
    )
    waiter = waiter_for(
        job.wait,
        job.wait_timeout,
        config,
        env=job.env,
        dev=job.dev,
        dry_run=job.dry_run,
        signing_key=job.signing_key,
    )
    with ExitStack() as stack:
        opened = open_inputs(planned, config, stack)
        if opened is None:  # a checkpoint says this input was sent in full
            return int(ExitCode.OK)
        if planned.dry_run:
            return dry_run(opened.stream, opened.limits, config, opened.failed_out, job.output)
        code = send(planned, opened, config, collect=waiter.collect if waiter else None)
    return code if waiter is None else waiter.finish(code)


def dry_run(
    stream: Items,
    limits: Limits,
    config: EventAPIConfig,
    failed_out: IO[bytes] | None,
    fmt: str | None = None,
) -> int:
    """Plan the requests without sending: one line per request (text), or with ``-o json`` one
    object ``{"requests": [...], "valid": N, "invalid": N}`` written as it goes (the input may
    never end), or with ``-o ndjson`` one object per request."""
    import orjson

    from inngest_cli.batching import encode_batch, pack_runs
    from inngest_cli.cli.console import info as note
    from inngest_cli.cli.context import current
    from inngest_cli.cli.output import FailureReport, summary
    from inngest_cli.ids import SEED_HEADER, IdSeed
    from inngest_cli.payload import Failure, events_of, item_runs
    from inngest_cli.redact import mask
    from inngest_cli.sender import Stats
    from inngest_cli.units import size_text

    stats = Stats()
    report = FailureReport(failed_out)
    number = 0
    as_json = fmt in ("json", "ndjson")
    if fmt == "json":
        current().stdout.write('{"requests":[')
    for items in pack_runs(item_runs(stream), limits):
        batch = events_of(items)
        if len(batch) < len(items):
            for failure in (item for item in items if isinstance(item, Failure)):
                stats.failed += 1
                report(failure)
            if not batch:
                continue
        number += 1
        body = encode_batch(batch)
        stats.requests += 1
        stats.sent += len(batch)
        first, last = batch[0], batch[-1]
        where = (
            first.source
            if not first.line
            else f"{first.source}:{first.line}"
            + (f"-{last.line}" if last.source == first.source and last.line != first.line else "")
        )
        if as_json:
            plan: dict[str, Any] = {
                "request": number,
                "events": len(batch),
                "bytes": len(body),
                "first": {"source": first.source, "line": first.line or None},
                "last": {"source": last.source, "line": last.line or None},
            }
            if current().verbose:
                plan["url"] = f"{config.origin}/e/{mask(config.event_key)}"
                plan["headers"] = {"Content-Type": "application/json",
                                   SEED_HEADER: IdSeed.generate().header()}
                if config.env:
                    plan["headers"]["x-inngest-env"] = config.env
                plan["body"] = orjson.Fragment(body)
            text = orjson.dumps(plan).decode()
            out = current().stdout
            out.write(("," if number > 1 else "") + text if fmt == "json" else text + "\n")
            continue
        count = f"{len(batch)} event{'' if len(batch) == 1 else 's'}"
        current().stdout.write(f"request {number}: {count}, {size_text(len(body))} ({where})\n")
        if current().verbose:
            url = f"{config.origin}/e/{mask(config.event_key)}"
            current().stdout.write(
                f"  POST {url}\n  Content-Type: application/json\n"
                f"  {SEED_HEADER}: {IdSeed.generate().header()}\n"
                + (f"  x-inngest-env: {config.env}\n" if config.env else "")
                + f"  {body.decode()}\n"
            )
    if fmt == "json":
        current().stdout.write(f'],"valid":{stats.sent},"invalid":{stats.failed}}}\n')
    note(summary(stats, dry_run=True))
    return int(
        ExitCode.OK
        if stats.failed == 0
        else ExitCode.FAILED
        if stats.sent == 0
        else ExitCode.PARTIAL
    )


def send(
    plan: SendPlan, opened: Opened, config: EventAPIConfig, *, collect: Any = None
) -> int:
    """Send what ``opened`` holds, as ``plan`` says, and render the outcome. ``collect``: each
    accepted event is also given to it (`send --wait`)."""
    from inngest_cli.cli.console import info as note
    from inngest_cli.cli.console import print_warning, stderr_line
    from inngest_cli.cli.context import current
    from inngest_cli.cli.output import FailureReport, Progress, SendOutput, default_format
    from inngest_cli.cli.sendwait import tee
    from inngest_cli.errors import LocalWriteError
    from inngest_cli.eventapi import EventAPI, default_window
    from inngest_cli.plainrun import last_item
    from inngest_cli.sender import Sender, SendOptions

    job = plan.job
    window = job.concurrency or default_window(config.origin)
    stream, limits, stopper = opened.stream, opened.limits, opened.stopper
    checkpoint, failed_out, follower = opened.checkpoint, opened.failed_out, opened.follower
    output_format = job.output or default_format()
    output = SendOutput(output_format, show_source=plan.show_source)  # type: ignore[arg-type]
    report = FailureReport(failed_out, keep_unsent=checkpoint is None)
    progress = None
    # The display is on stderr and never captures stdout; when stdout is the same terminal and
    # results stream to it (not a table at the end), the results are the progress.
    streams_to_terminal = current().stdout.isatty() and output_format != "table"
    if (
        not (job.no_progress or current().quiet or current().verbose)
        and sys.stderr.isatty()
        and not streams_to_terminal
    ):
        from inngest_cli.cli.send_inputs import total_size

        progress = Progress(total_size(plan.paths) if plan.mode == "files" else None)

    def on_progress(stats: Stats) -> None:
        output.flush()
        if progress is not None:
            progress.update(stats)

    trace = stderr_line if current().verbose else None
    options = SendOptions(
        concurrency=window,
        retries=job.retries,
        on_error=job.on_error,  # type: ignore[arg-type]
        limits=limits,
        base_seed=checkpoint.base_seed if checkpoint is not None else None,
        linger=plan.linger,
        rate=job.rate,
        resumable=checkpoint is not None,
        first_index=checkpoint.settled if checkpoint is not None else 0,
        replay=opened.replay or [],
    )
    broken: list[str] = []  # --failed-out could not be written: stderr only from then on
    follows = getattr(follower, "raw", None)  # the Follower, which knows where lines end

    def on_failure(failure: Failure) -> None:
        if broken:
            FailureReport(None)(failure)
            return
        try:
            report(failure, run_level=sender.halted)
        except OSError as exc:
            broken.append(f"--failed-out: cannot write {job.failed_out}: {exc.strerror or exc}")
            raise LocalWriteError(broken[0]) from None

    def on_settled(items: Sequence[Any], accepted: int, failed: int) -> None:
        if checkpoint is not None:
            if follows is not None and items:
                where = follows.position(last_item(items).line)
                if where is not None:
                    checkpoint.follow = where.to_json()
            checkpoint.settle(items, accepted, failed, limits.max_request_bytes)

    def on_launch(launch: Launch) -> None:
        assert checkpoint is not None
        checkpoint.launch(launch, limits.max_request_bytes)

    def on_unconfirmed(events: list[Event], reason: str) -> None:
        first, last = events[0], events[-1]
        where = first.source if not first.line else f"{first.source}:{first.line}"
        if last is not first and last.line and last.source == first.source:
            where += f"-{last.line}"
        count = f"{len(events)} event{'' if len(events) == 1 else 's'}"
        then = (
            "the rerun resends them under the same IDs"
            if checkpoint is not None
            else "not written to --failed-out: sending them again could store them twice"
        )
        stderr_line(
            f"warning: {where}: {count} unconfirmed ({reason}): the server may have stored "
            f"them; {then}"
        )

    def on_stopping(grace: float) -> None:
        note(f"stopping: sending what was read, waiting up to {grace:g} s (Ctrl-C again to abort)")

    with EventAPI(
        config,
        timeout=job.timeout,
        connections=window,
        trace=trace,
        verify=not current().insecure,
        notice=print_warning,
        secrets=current().secrets,
    ) as api:
        sender = Sender(
            api,
            options,
            on_accepted=tee(output.accepted, collect),
            on_failure=on_failure,
            on_progress=on_progress,
            on_settled=on_settled,
            on_launch=on_launch if checkpoint is not None else None,
            on_unconfirmed=on_unconfirmed,
            on_accepted_batch=output.accepted_batch if collect is None else None,
            on_stopping=on_stopping,
            on_unsettled=report.unsettled,
            stop_input=stopper.stop,
        )
        try:
            with _tuned_for_bulk(), _interrupts(sender, failed_out, checkpoint is not None):
                stats = sender.run(stream)
        except Interrupted as stopped:
            _record(checkpoint, sender)
            _finish(progress, output, sender.stats, report)
            unconfirmed = sender.stats.unconfirmed
            stopped.message = (
                f"interrupted: {sender.stats.sent} events confirmed sent"
                + (f", {report.not_sent} read and not sent" if report.not_sent else "")
                + (f", {unconfirmed} in flight not confirmed" if unconfirmed else "")
                + (f" (read up to {_where(sender.last_read)})" if sender.last_read else "")
            )
            stopped.hint = _resume_hint(
                checkpoint,
                plan.resumable,
                follower is not None,
                failed_out if report.not_sent or unconfirmed else None,
                lost=bool(report.not_sent or unconfirmed),
            )
            raise
        except InngestCLIError as error:
            _record(checkpoint, sender)  # if this fails too, the file's older state still holds
            _finish(progress, output, sender.stats, report)
            if isinstance(error, LocalWriteError):
                error.hint = _write_hint(checkpoint, sender.stats)
            if report.run_level:
                error.message += f" ({_plural(report.run_level, 'event')} not sent)"
                if failed_out is not None:
                    error.hint = (error.hint + "; " if error.hint else "") + (
                        "the events not sent are in --failed-out"
                    )
            raise
        failure = _record(checkpoint, sender, complete=True)
        if failure is not None:
            _finish(progress, output, stats, report)
            failure.hint = _write_hint(checkpoint, stats)
            raise failure
    _finish(progress, output, stats, report)
    if stats.sent == 0 and stats.failed == 0 and stats.not_sent == 0:
        empty = plan.empty
        if empty is not None:
            raise InputError(
                f"{empty}, so nothing was sent",
                hint="to send one event built from the flags, add --ignore-stdin (-I)"
                if empty.startswith("stdin")
                else None,
            )
        note("warning: no events in the input; nothing was sent")
        return int(ExitCode.OK)
    if stats.failed == 0 and stats.not_sent == 0:
        return int(ExitCode.OK)
    return int(ExitCode.PARTIAL if stats.sent else ExitCode.FAILED)


def _record(
    checkpoint: Checkpoint | None, sender: Sender, *, complete: bool = False
) -> InngestCLIError | None:
    """Write the checkpoint's last settled state (complete if everything settled); the error if
    that failed."""
    from inngest_cli.errors import LocalWriteError

    if checkpoint is None:
        return None
    try:
        if complete and sender.settled_all:
            checkpoint.finish()
        else:
            checkpoint.flush()
    except LocalWriteError as exc:
        return exc
    return None


def _write_hint(checkpoint: Checkpoint | None, stats: Stats) -> str:
    confirmed = f"the {stats.sent} IDs printed are confirmed"
    if checkpoint is not None:
        return f"{confirmed}; free the space and rerun the same command to resume"
    return f"{confirmed}; rerun with --checkpoint FILE to be able to resume without duplicates"


@contextmanager
def _tuned_for_bulk() -> Iterator[None]:
    """Process settings for a bulk send, measured on 200k events against a null sink.

    Fewer cyclic-GC passes (`gcpolicy`). A shorter GIL switch interval (0.5 ms, not 5): the
    reading thread is busy in Python while the sending threads need the GIL for a moment at each
    step of a request; they waited less for replies (0.04-0.17 s instead of 0.08-0.25 s per 200k
    events) and the send took 10-15% less wall time. Put back afterwards, as `gcpolicy` does.
    """
    from inngest_cli.gcpolicy import fewer_collections

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        with fewer_collections():
            yield
    finally:
        sys.setswitchinterval(interval)


def _where(item: Event | Failure) -> str:
    return f"{item.source}:{item.line}" if item.line else item.source


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _resume_hint(
    checkpoint: Checkpoint | None,
    resumable: bool,
    follow: bool,
    failed_out: IO[bytes] | None,
    *,
    lost: bool,
) -> str | None:
    """What the user can do about what was not sent. A checkpoint is offered only where a rerun
    reads the same input again (files, stdin from a file, a followed file); for a pipe, whose
    producer would have to reproduce its output, only --failed-out, and only if something read
    was not sent."""
    if checkpoint is not None:
        return f"rerun the same command to resume from {checkpoint.path}"
    if resumable or follow:
        return "rerun with --checkpoint FILE to be able to resume without duplicates"
    if lost and failed_out is None:
        return "--failed-out FILE keeps what was read and not sent, to replay"
    return None


@contextmanager
def _interrupts(
    sender: Sender, failed_out: IO[bytes] | None, resumable: bool
) -> Iterator[None]:
    """SIGINT/SIGTERM: the first asks the sender to stop and settle (it says so and for how
    long); a second one aborts at once with one line."""
    import signal

    def handler(signum: int, frame: Any) -> None:
        if not sender.interrupted:
            sender.interrupt()
            return
        if failed_out is not None:
            try:
                failed_out.flush()
            except (OSError, ValueError, RuntimeError):  # RuntimeError: a write was under way
                pass
        unconfirmed = max(0, sender.taken - sender.reported)
        line = (
            f"error: aborted: {sender.stats.sent} events confirmed sent, "
            f"{unconfirmed} read and not confirmed"
            + ("; rerun the same command to resume\n" if resumable else "\n")
        )
        try:
            sys.stdout.flush()
        except (OSError, ValueError, RuntimeError):
            pass
        os.write(2, line.encode())
        os._exit(int(ExitCode.INTERRUPTED))

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _finish(
    progress: Progress | None, output: SendOutput, stats: Stats, report: FailureReport
) -> None:
    from inngest_cli.cli.console import info as note
    from inngest_cli.cli.output import summary

    if progress is not None:
        progress.stop()
    output.finish(stats)
    if report.unwritable:
        note(
            f"warning: {report.unwritable} failed inputs could not be written to --failed-out "
            "(unreadable JSON has no record boundary)"
        )
    note(summary(stats))
