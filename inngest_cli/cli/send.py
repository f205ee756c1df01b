"""`inngest-cli send`: argument parsing and rendering; the work is in payload/inputs/sender."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer

from inngest_cli.cli.compat import Choice
from inngest_cli.errors import ExitCode, UsageError
from inngest_cli.formats import INPUT_FORMATS, OUTPUT_FORMATS

HELP = """Send events to Inngest.

One event from flags (--name, --data, field items like data.user.id=42 or data.count:=42),
or many from files or stdin: NDJSON, a JSON array, or a JSON object, streamed in batches."""

EPILOG = """Examples:

  inngest-cli send --dev --name app/user.signup data.email=a@example.com data.plan:='"pro"'

  inngest-cli send --name app/report.ready --data @report.json --ts +10m

  jq -c '.users[]' dump.json | inngest-cli send --name app/user.imported -o ndjson

  inngest-cli send events.ndjson --failed-out failed.ndjson

  inngest-cli send --follow /var/log/app/events.ndjson --checkpoint ship.checkpoint

  while read -r h; do ssh "$h" ./deploy && inngest-cli send -I --name app/deployed; done < hosts
"""

_CONN = "Connection"
_EVENT = "Event (one event from flags)"
_BULK = "Bulk input"
_OUT = "Output"
_RUNS = "Runs"

ON_ERROR_CHOICES = ("continue", "stop")


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
    if not text.strip():
        raise UsageError(
            f"{where}: empty; give a JSON object, e.g. {what} '{{\"plan\": \"pro\"}}'"
        )
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


RATE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


def _parse_rate(text: str) -> float:
    """`--rate`: N/s, N/m, N/h or a bare N (per second), N > 0; returns events per second."""
    number, _, unit = text.strip().partition("/")
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in ("", *RATE_UNITS) or not value > 0 or value == float("inf"):
        raise UsageError(
            f"--rate: {text!r} is not a rate", hint="e.g. --rate 50/s, --rate 600/m, --rate 10"
        )
    return value / RATE_UNITS.get(unit or "s", 1.0)


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

    for flag, text in (("--name", name), ("--id", event_id), ("--v", v)):
        if text is not None and not _is_utf8(text):
            raise UsageError(f"{flag}: not valid UTF-8")
    # data is always an object, {} when not given, as the SDKs send it: a handler reading
    # event.data.x must not meet null
    event: dict[str, Any] = {"name": name, "data": {}}
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


def _is_utf8(text: str) -> bool:
    """False for arguments holding bytes that are not UTF-8 (Python keeps them as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
            click_type=Choice(INPUT_FORMATS),
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
            click_type=Choice(ON_ERROR_CHOICES),
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
    follow: Annotated[
        Path | None,
        typer.Option(
            "--follow",
            "-F",
            help="Send what FILE holds, then each line appended to it, across rotation and "
            "truncation (as tail -F), until a signal; with --checkpoint a restart resumes.",
            rich_help_panel=_BULK,
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    linger: Annotated[
        float,
        typer.Option(
            "--linger",
            min=0,
            max=60,
            metavar="SECONDS",
            help="Longest an event from a pipe or --follow waits for others to share its "
            "request.",
            rich_help_panel=_BULK,
        ),
    ] = 0.2,
    rate: Annotated[
        str | None,
        typer.Option(
            "--rate",
            metavar="N/s",
            help="Send at most N events per second (N/s, N/m or N/h), to pace a backfill.",
            rich_help_panel=_BULK,
            show_default=False,
        ),
    ] = None,
    ignore_stdin: Annotated[
        bool,
        typer.Option(
            "--ignore-stdin",
            "-I",
            help="Never read stdin (scripts and loops: stdin is read whenever it is a pipe "
            "or a file).",
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
    signing_key: Annotated[
        str | None,
        typer.Option(
            "--signing-key",
            help="Signing key for --wait's reads of the REST API [env: INNGEST_SIGNING_KEY; "
            "INNGEST_SIGNING_KEY_FALLBACK is tried once on 401/403].",
            rich_help_panel=_RUNS,
            show_default=False,
        ),
    ] = None,
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
            click_type=Choice(OUTPUT_FORMATS),
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
    from inngest_cli.cli.context import current
    from inngest_cli.fielditems import looks_like_item

    current().set_global("quiet", quiet)
    current().set_global("verbose", verbose)
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
    if ignore_stdin and "-" in paths:
        raise UsageError("--ignore-stdin: cannot also read stdin ('-')")
    pace = _parse_rate(rate) if rate is not None else None
    if follow is not None:
        for flag, given in (("--dry-run", dry_run), ("--wait", wait), ("input files", paths)):
            if given:
                raise UsageError(f"--follow: cannot be combined with {flag}")
    stdin_input = not ignore_stdin and follow is None and _stdin_has_input()
    implicit_stdin = False
    flags_mode = (
        name is not None
        and not paths
        and follow is None
        and (bool(event_flags or items) or not stdin_input)
    )
    if not flags_mode:
        if items or event_flags:
            what = "field items" if items else event_flags[0]
            raise UsageError(
                f"{what}: builds one event with --name and cannot be combined with "
                "input files or stdin"
            )
        if not paths and follow is None:
            if not stdin_input:
                raise UsageError(
                    "nothing to send: give --name NAME (with --data or field items), a FILE, "
                    "or pipe events on stdin",
                    hint="e.g. inngest-cli send --name app/hello data.msg=hi",
                )
            paths = ["-"]
            implicit_stdin = True
    if paths.count("-") > 1:
        raise UsageError("stdin ('-') can be read only once")

    from inngest_cli.cli import send_run as run
    from inngest_cli.config import resolve_event_api

    config = resolve_event_api(
        event_key=event_key, env=env, dev="1" if dev else None, event_api_url=event_api_url,
        layers=current().layers(), secrets=current().secrets,
    )
    from inngest_cli.cli.sendwait import waiter_for

    waiter = waiter_for(
        wait, wait_timeout, config, env=env, dev=dev, dry_run=dry_run, signing_key=signing_key
    )
    from inngest_cli.batching import Limits
    from inngest_cli.payload import Event, Failure, Shaping, finish_event

    shaping = Shaping(
        name=None if flags_mode else name,
        id_field=id_field,
        ts_field=ts_field,
        keep_ts=keep_ts,
        max_event_bytes=max_event_bytes,
    )
    from inngest_cli.sources import Stopper

    stopper = Stopper()
    follower = None
    with ExitStack() as stack:
        stack.callback(stopper.close)
        if flags_mode:
            assert name is not None
            from inngest_cli.jsontext import EncodeError, dumps

            event = _flag_event(name, data, items, event_id, ts, v, user)
            try:
                body = dumps(event)
            except EncodeError as exc:
                raise UsageError(f"field items: {exc}") from None
            result = finish_event(event, body, "flags", 0, shaping, body)
            if isinstance(result, Failure):
                raise UsageError(_flag_problem(result.reason), hint=result.hint)
            stream: Iterator[Event | Failure] = iter([result])
        limits = Limits(max_request_bytes=max_request_bytes, max_batch=max_batch)
        resume = None
        replay = None
        if checkpoint is not None and not dry_run:
            resume = run.open_checkpoint(
                checkpoint,
                [str(follow)] if follow is not None else paths if not flags_mode else ["flags"],
                config,
                shaping,
                follow=follow is not None,
                fmt=input_format,
                max_request_bytes=max_request_bytes,
                max_batch=max_batch,
                on_error=on_error,
                **({"rate": pace} if pace is not None else {}),
            )
            stack.callback(resume.close)
            if resume.max_request_bytes:
                limits.lower_to(resume.max_request_bytes)
        if follow is not None:
            follower = run.open_follower(str(follow), stopper, resume, stack)
            stream = run.shaped([(str(follow), follower)], "ndjson", shaping)
        elif not flags_mode:
            sources = [run.open_source(p, stack, stopper) for p in paths]
            stream = run.shaped(sources, input_format, shaping, stopper)
        out = run.open_failed_out(failed_out, resume, stack) if failed_out else None
        if resume is not None and resume.resuming:
            # checked by content before anything is sent; a followed file resumes at its
            # recorded position instead (the checkpoint's `follow` entry)
            start = resume.settled if follow is not None else 0
            replay, stream = resume.resume(stream, start=start)
            if resume.complete:
                import itertools

                following = next(stream, None)
                if following is None:
                    from inngest_cli.cli.console import info as note

                    note(
                        f"{checkpoint}: this input was already sent in full "
                        f"({resume.sent} sent, {resume.failed} failed); delete it to send again"
                    )
                    return int(ExitCode.OK)
                stream = itertools.chain([following], stream)  # the input grew: send the rest
                resume.complete = False
        total = run.total_size(paths) if not flags_mode and follow is None else None
        if dry_run:
            return run.dry_run(stream, limits, config, out, output)
        code = run.send(
            stream,
            limits,
            config,
            out,
            checkpoint=resume,
            replay=replay,
            failed_out_path=failed_out,
            fmt=output,
            concurrency=concurrency,
            retries=retries,
            timeout=timeout,
            on_error=on_error,
            no_progress=no_progress,
            show_source=len(paths) > 1,
            total=total,
            collect=waiter.collect if waiter else None,
            # Files never block: batches by size alone, the same in a resumed run.
            linger=None if follow is None and run.rereadable(paths) else linger,
            rate=pace,
            stopper=stopper,
            follower=follower,
            resumable=follow is not None or run.rereadable(paths),
            empty=None
            if name is None or flags_mode
            else "stdin had no events"
            if implicit_stdin
            else "the input had no events",
        )
    return code if waiter is None else waiter.finish(code)
