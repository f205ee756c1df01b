"""`inngest-cli send`: argument parsing and rendering; the work is in payload/inputs/sender."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from inngest_cli.errors import ExitCode, InngestCLIError, InputError, Interrupted, UsageError

HELP = """Send events to Inngest.

One event from flags (--name, --data, field items like data.user.id=42 or data.count:=42),
or many from files or stdin: NDJSON, a JSON array, or a JSON object, streamed in batches."""

EPILOG = """Examples:

  inngest-cli send --dev --name app/user.signup data.email=a@example.com data.plan:='"pro"'

  inngest-cli send --name app/report.ready --data @report.json --ts +10m

  jq -c '.users[]' dump.json | inngest-cli send --name app/user.imported -o ndjson

  inngest-cli send events.ndjson --failed-out failed.ndjson
"""

_CONN = "Connection"
_EVENT = "Event (one event from flags)"
_BULK = "Bulk input"
_OUT = "Output"
_RUNS = "Runs"

OUTPUT_CHOICES = ("table", "json", "ndjson", "ids")


def _read_at(value: str, what: str) -> tuple[str, str]:
    """`@file` / `@-` values: (text, where it came from); anything else is literal."""
    if not value.startswith("@"):
        return value, what
    target = value[1:]
    try:
        if target == "-":
            return sys.stdin.read(), f"{what} (stdin)"
        return Path(target).read_text(encoding="utf-8"), target
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{what}: cannot read {target}: {reason}") from None


def _json_object_flag(value: str, what: str) -> dict[str, Any]:
    import orjson

    from inngest_cli.validation import json_error

    text, where = _read_at(value, what)
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{where}: not valid JSON ({json_error(exc)})") from None
    if not isinstance(parsed, dict):
        from inngest_cli.validation import json_type

        raise UsageError(f"{where}: must be a JSON object, not {json_type(parsed)}")
    return parsed


def _stdin_has_input() -> bool:
    """A pipe or a redirected file: yes. A terminal, /dev/null or a closed stdin: no."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode)


def _flag_event(
    name: str,
    data: str | None,
    items: list[str],
    event_id: str | None,
    ts: str | None,
    v: str | None,
    user: str | None,
) -> dict[str, Any]:
    from inngest_cli.fielditems import apply_items, parse_item
    from inngest_cli.timeparse import TimeValueError, parse_time_ms

    event: dict[str, Any] = {"name": name}
    if data is not None:
        event["data"] = _json_object_flag(data, "--data")
    if user is not None:
        event["user"] = _json_object_flag(user, "--user")
    if event_id is not None:
        event["id"] = event_id
    if v is not None:
        event["v"] = v
    if ts is not None:
        try:
            event["ts"] = parse_time_ms(ts, past_by_default=False)
        except TimeValueError as exc:
            raise UsageError(f"--ts: {exc}") from None
    apply_items(event, [parse_item(token) for token in items])
    return event


_FIELD_FLAGS = {
    "name": "--name",
    "data": "--data",
    "user": "--user",
    "id": "--id",
    "v": "--v",
    "ts": "--ts",
    "timestamp": "--ts",
    "event": "--name",
}


def _flag_problem(problem: str) -> str:
    """Prefix a validation problem with the flag it came from (`--ts: timestamp is ...`)."""
    if problem.startswith("event is "):  # the size of the whole event: no single flag
        return problem
    return f"{_FIELD_FLAGS.get(problem.split(' ', 1)[0], '--name')}: {problem}"


def send(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[FILE|ITEM]...",
            help="Input files ('-' for stdin) to send, or field items (data.k=v, data.k:=json) "
            "for the event built from --name.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            "-n",
            help="Event name; with input files, "
            "each record becomes the data of an event of this name.",
            rich_help_panel=_EVENT,
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data", "-d", help="Event data: JSON, @file.json or @-.", rich_help_panel=_EVENT
        ),
    ] = None,
    event_id: Annotated[
        str | None,
        typer.Option(
            "--id", help="Idempotency ID (one run per ID per 24 h).", rich_help_panel=_EVENT
        ),
    ] = None,
    ts: Annotated[
        str | None,
        typer.Option(
            "--ts",
            help="Timestamp: epoch ms, ISO-8601, or relative (+10m schedules runs later, -2h).",
            rich_help_panel=_EVENT,
        ),
    ] = None,
    v: Annotated[
        str | None, typer.Option("--v", help="Event schema version.", rich_help_panel=_EVENT)
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", help="User object: JSON or @file.", rich_help_panel=_EVENT),
    ] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            help="Input file (repeatable).",
            rich_help_panel=_BULK,
            show_default=False,
        ),
    ] = None,
    input_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="Input format: auto, ndjson or json.",
            rich_help_panel=_BULK,
            autocompletion=lambda: ["auto", "ndjson", "json"],
        ),
    ] = "auto",
    id_field: Annotated[
        str | None,
        typer.Option(
            "--id-field",
            help="With --name: take each event's id from this record field.",
            rich_help_panel=_BULK,
        ),
    ] = None,
    ts_field: Annotated[
        str | None,
        typer.Option(
            "--ts-field",
            help="With --name: take each event's ts from this record field.",
            rich_help_panel=_BULK,
        ),
    ] = None,
    keep_ts: Annotated[
        bool,
        typer.Option(
            "--keep-ts",
            help="Keep ts of exported events (events list -o ndjson) when replaying.",
            rich_help_panel=_BULK,
        ),
    ] = False,
    max_request_bytes: Annotated[
        int,
        typer.Option(
            "--max-request-bytes",
            min=2,
            max=3 * 1024 * 1024,
            help="Request body limit.",
            rich_help_panel=_BULK,
        ),
    ] = 512 * 1024,
    max_batch: Annotated[
        int,
        typer.Option(
            "--max-batch", min=1, max=5000, help="Events per request.", rich_help_panel=_BULK
        ),
    ] = 5000,
    max_event_bytes: Annotated[
        int,
        typer.Option(
            "--max-event-bytes",
            min=2,
            max=3 * 1024 * 1024,
            help="Largest event (Cloud free plan: 262144).",
            rich_help_panel=_BULK,
        ),
    ] = 3 * 1024 * 1024,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", "-c", min=1, max=64, help="Requests in flight.", rich_help_panel=_BULK
        ),
    ] = 4,
    retries: Annotated[
        int,
        typer.Option(
            "--retries",
            min=0,
            max=20,
            help="Retries per request on network errors, 5xx and 429.",
            rich_help_panel=_BULK,
        ),
    ] = 5,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.1, help="Seconds per request.", rich_help_panel=_BULK),
    ] = 30.0,
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error",
            help="continue: report failures and go on; stop: stop at the first.",
            rich_help_panel=_BULK,
            autocompletion=lambda: ["continue", "stop"],
        ),
    ] = "continue",
    failed_out: Annotated[
        Path | None,
        typer.Option(
            "--failed-out",
            help="Write each failed input, as it came, to this file (replay it with send).",
            rich_help_panel=_BULK,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Validate and print the request plan; send nothing.",
            rich_help_panel=_BULK,
        ),
    ] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="Record settled progress in this file; rerunning the same command resumes "
            "after an interruption with the same IDs (no duplicates).",
            rich_help_panel=_BULK,
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="After sending, wait for the runs each event triggered and report them; "
            "exit 1 if one fails, is cancelled, does not finish in time, or none starts.",
            rich_help_panel=_RUNS,
        ),
    ] = False,
    wait_timeout: Annotated[
        float,
        typer.Option(
            "--wait-timeout",
            min=0,
            metavar="SECONDS",
            help="How long --wait waits for the runs.",
            rich_help_panel=_RUNS,
        ),
    ] = 300.0,
    event_key: Annotated[
        str | None,
        typer.Option(
            "--event-key",
            help="Event key [env: INNGEST_EVENT_KEY].",
            rich_help_panel=_CONN,
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            help="Branch environment, sent as x-inngest-env [env: INNGEST_ENV].",
            rich_help_panel=_CONN,
        ),
    ] = None,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Dev Server mode: no key needed, default URL "
            "http://127.0.0.1:8288 [env: INNGEST_DEV=1 or its URL].",
            rich_help_panel=_CONN,
        ),
    ] = False,
    event_api_url: Annotated[
        str | None,
        typer.Option(
            "--event-api-url",
            help="Event API origin [env: INNGEST_EVENT_API_BASE_URL, INNGEST_BASE_URL].",
            rich_help_panel=_CONN,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="table, json, ndjson or ids [default: table on a terminal, else json].",
            rich_help_panel=_OUT,
            show_default=False,
            autocompletion=lambda: list(OUTPUT_CHOICES),
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Trace each request and response (keys masked).", rich_help_panel=_OUT
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary or progress.", rich_help_panel=_OUT)
    ] = False,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="No progress display.", rich_help_panel=_OUT)
    ] = False,
) -> int:
    from inngest_cli.cli.console import settings
    from inngest_cli.fielditems import looks_like_item

    settings.quiet = settings.quiet or quiet
    settings.verbose = settings.verbose or verbose
    if output is not None and output not in OUTPUT_CHOICES:
        raise UsageError(f"--output: {output!r} is not one of {', '.join(OUTPUT_CHOICES)}")
    if input_format not in ("auto", "ndjson", "json"):
        raise UsageError(f"--format: {input_format!r} is not one of auto, ndjson, json")
    if on_error not in ("continue", "stop"):
        raise UsageError(f"--on-error: {on_error!r} is not one of continue, stop")
    items = [t for t in targets or [] if looks_like_item(t)]
    paths = [t for t in targets or [] if not looks_like_item(t)] + [str(f) for f in files or []]
    if (id_field or ts_field) and not name:
        raise UsageError("--id-field/--ts-field need --name (each record is then an event's data)")
    event_flags = [
        flag
        for flag, val in (
            ("--data", data),
            ("--id", event_id),
            ("--ts", ts),
            ("--v", v),
            ("--user", user),
        )
        if val is not None
    ]
    flags_mode = (
        name is not None and not paths and (bool(event_flags or items) or not _stdin_has_input())
    )
    if not flags_mode:
        if items or event_flags:
            what = "field items" if items else event_flags[0]
            raise UsageError(
                f"{what}: builds one event with --name and cannot be combined with "
                "input files or stdin"
            )
        if not paths:
            if not _stdin_has_input():
                raise UsageError(
                    "nothing to send: give --name NAME (with --data or field items), a FILE, "
                    "or pipe events on stdin",
                    hint="e.g. inngest-cli send --name app/hello data.msg=hi",
                )
            paths = ["-"]
    if paths.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")

    from inngest_cli.config import resolve_event_api

    config = resolve_event_api(
        event_key=event_key, env=env, dev="1" if dev else None, event_api_url=event_api_url
    )
    from inngest_cli.cli.sendwait import waiter_for

    waiter = waiter_for(wait, wait_timeout, config, env=env, dev=dev, dry_run=dry_run)
    from inngest_cli.batching import Limits
    from inngest_cli.payload import Event, Failure, Shaping, finish_event, shape_records

    shaping = Shaping(
        name=None if flags_mode else name,
        id_field=id_field,
        ts_field=ts_field,
        keep_ts=keep_ts,
        max_event_bytes=max_event_bytes,
    )
    with ExitStack() as stack:
        if flags_mode:
            assert name is not None
            import orjson

            event = _flag_event(name, data, items, event_id, ts, v, user)
            body = orjson.dumps(event)
            result = finish_event(event, body, "flags", 0, shaping, body)
            if isinstance(result, Failure):
                raise UsageError(_flag_problem(result.reason), hint=result.hint)
            stream: Iterator[Event | Failure] = iter([result])
        else:
            sources = [_open_source(p, stack) for p in paths]
            stream = shape_records(_records(sources, input_format), shaping)
        limits = Limits(max_request_bytes=max_request_bytes, max_batch=max_batch)
        resume = None
        if checkpoint is not None and not dry_run:
            resume = _open_checkpoint(
                checkpoint,
                paths if not flags_mode else ["flags"],
                config,
                shaping,
                fmt=input_format,
                max_request_bytes=max_request_bytes,
                max_batch=max_batch,
                on_error=on_error,
            )
            if resume.complete:
                from inngest_cli.cli.output import note

                note(
                    f"{checkpoint}: this input was already sent in full "
                    f"({resume.sent} sent, {resume.failed} failed); delete it to send again"
                )
                return int(ExitCode.OK)
            stream = resume.skip_settled(stream)
            if resume.max_request_bytes:
                limits.lower_to(resume.max_request_bytes)
        mode = "ab" if resume is not None and resume.resuming else "wb"
        out = stack.enter_context(open(failed_out, mode)) if failed_out else None  # noqa: SIM115
        total = _total_size(paths) if not flags_mode else None
        if dry_run:
            return _dry_run(stream, limits, config, out)
        code = _send(
            stream,
            limits,
            config,
            out,
            checkpoint=resume,
            fmt=output,
            concurrency=concurrency,
            retries=retries,
            timeout=timeout,
            on_error=on_error,
            no_progress=no_progress,
            show_source=len(paths) > 1,
            total=total,
            collect=waiter.collect if waiter else None,
        )
    return code if waiter is None else waiter.finish(code)


def _open_source(path: str, stack: ExitStack) -> tuple[str, IO[bytes]]:
    if path == "-":
        if sys.stdin.isatty():
            raise UsageError(
                "stdin is a terminal: pipe events in (NDJSON, a JSON array or object)",
                hint="e.g. cat events.ndjson | inngest-cli send",
            )
        return "stdin", sys.stdin.buffer
    try:
        return path, stack.enter_context(open(path, "rb"))  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _records(sources: list[tuple[str, IO[bytes]]], fmt: str) -> Iterator[Any]:
    from inngest_cli.inputs import read_records

    for source, handle in sources:
        yield from read_records(handle, source, fmt)  # type: ignore[arg-type]


def _total_size(paths: list[str]) -> int | None:
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


def _dry_run(stream: Iterator[Any], limits: Any, config: Any, failed_out: IO[bytes] | None) -> int:
    from inngest_cli.batching import encode_batch, pack
    from inngest_cli.cli.console import Stdout, settings
    from inngest_cli.cli.output import FailureReport, note, summary
    from inngest_cli.ids import SEED_HEADER, IdSeed
    from inngest_cli.payload import Failure
    from inngest_cli.redact import mask
    from inngest_cli.sender import Stats, body_size

    stats = Stats()
    report = FailureReport(failed_out)
    number = 0
    for items in pack(stream, limits, body_size):
        for failure in (item for item in items if isinstance(item, Failure)):
            stats.failed += 1
            report(failure)
        batch = [item for item in items if not isinstance(item, Failure)]
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
        count = f"{len(batch)} event{'' if len(batch) == 1 else 's'}"
        Stdout.write(f"request {number}: {count}, {len(body)} bytes ({where})\n")
        if settings.verbose:
            url = f"{config.origin}/e/{mask(config.event_key)}"
            Stdout.write(
                f"  POST {url}\n  Content-Type: application/json\n"
                f"  {SEED_HEADER}: {IdSeed.generate().header()}\n"
                + (f"  x-inngest-env: {config.env}\n" if config.env else "")
                + f"  {body.decode()}\n"
            )
    note(summary(stats, dry_run=True))
    return int(
        ExitCode.OK
        if stats.failed == 0
        else ExitCode.FAILED
        if stats.sent == 0
        else ExitCode.PARTIAL
    )


def _send(
    stream: Iterator[Any],
    limits: Any,
    config: Any,
    failed_out: IO[bytes] | None,
    *,
    checkpoint: Any,
    fmt: str | None,
    concurrency: int,
    retries: int,
    timeout: float,
    on_error: str,
    no_progress: bool,
    show_source: bool,
    total: int | None,
    collect: Any = None,
) -> int:
    from inngest_cli.cli.console import settings
    from inngest_cli.cli.output import (
        FailureReport,
        Progress,
        SendOutput,
        default_format,
        note,
    )
    from inngest_cli.cli.sendwait import tee
    from inngest_cli.eventapi import EventAPI
    from inngest_cli.sender import Sender, SendOptions, Stats

    output = SendOutput(fmt or default_format(), show_source=show_source)  # type: ignore[arg-type]
    report = FailureReport(failed_out)
    progress = None
    if not (no_progress or settings.quiet or settings.verbose) and sys.stderr.isatty():
        progress = Progress(total)

    def on_progress(stats: Stats) -> None:
        output.flush()
        if progress is not None:
            progress.update(stats)

    trace = (lambda line: print(line, file=sys.stderr)) if settings.verbose else None
    options = SendOptions(
        concurrency=concurrency,
        retries=retries,
        on_error=on_error,  # type: ignore[arg-type]
        limits=limits,
        base_seed=checkpoint.base_seed if checkpoint is not None else None,
    )
    offset = (checkpoint.sent, checkpoint.failed) if checkpoint is not None else (0, 0)

    def on_settled(item: Any) -> None:
        if checkpoint is not None:
            if failed_out is not None:
                failed_out.flush()
            checkpoint.settle(
                item,
                offset[0] + sender.stats.sent,
                offset[1] + sender.stats.failed,
                limits.max_request_bytes,
            )

    with EventAPI(
        config,
        timeout=timeout,
        connections=concurrency,
        trace=trace,
        verify=not settings.insecure,
    ) as api:
        sender = Sender(
            api,
            options,
            on_accepted=tee(output.accepted, collect),
            on_failure=report,
            on_progress=on_progress,
            on_settled=on_settled,
        )
        try:
            with _interrupts(sender):
                stats = sender.run(stream)
        except Interrupted as stopped:
            _finish(progress, output, sender.stats, report)
            stopped.message = (
                f"interrupted: {sender.stats.sent} events confirmed sent, "
                f"{sender.stats.unconfirmed} in flight not confirmed"
            )
            stopped.hint = (
                f"rerun the same command to resume from {checkpoint.path}"
                if checkpoint is not None
                else "rerun with --checkpoint FILE to be able to resume without duplicates"
            )
            raise
        except InngestCLIError:
            _finish(progress, output, sender.stats, report)
            raise
    if checkpoint is not None:
        checkpoint.finish()
    _finish(progress, output, stats, report)
    if stats.sent == 0 and stats.failed == 0:
        note("warning: no events in the input; nothing was sent")
        return int(ExitCode.OK)
    if stats.failed == 0:
        return int(ExitCode.OK)
    return int(ExitCode.PARTIAL if stats.sent else ExitCode.FAILED)


@contextmanager
def _interrupts(sender: Any) -> Iterator[None]:
    """SIGINT/SIGTERM: the first asks the sender to stop and settle; a second one aborts."""
    import signal

    def handler(signum: int, frame: Any) -> None:
        if sender.interrupted:
            raise KeyboardInterrupt
        sender.interrupt()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _open_checkpoint(
    path: Path, sources: list[str], config: Any, shaping: Any, **options: Any
) -> Any:
    from dataclasses import asdict

    from inngest_cli.checkpoint import Checkpoint

    sizes = []
    for source in sources:
        try:
            sizes.append(None if source in ("-", "flags") else os.path.getsize(source))
        except OSError:
            sizes.append(None)
    fingerprint = {
        "sources": [
            {"name": "stdin" if s == "-" else s, "size": size}
            for s, size in zip(sources, sizes, strict=True)
        ],
        "origin": config.origin,
        "env": config.env,
        "shaping": asdict(shaping),
        "options": options,
    }
    names = ["stdin" if s == "-" else s for s in sources]
    return Checkpoint.open(path, names, fingerprint)


def _finish(progress: Any, output: Any, stats: Any, report: Any) -> None:
    from inngest_cli.cli.output import note, summary

    if progress is not None:
        progress.stop()
    output.finish(stats)
    if report.unwritable:
        note(
            f"warning: {report.unwritable} failed inputs could not be written to --failed-out "
            "(unreadable JSON has no record boundary)"
        )
    note(summary(stats))
