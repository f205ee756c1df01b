"""`inngest-cli send`: the options, turned into one `SendJob` (`inngest_cli.sendjob`) and run by
`cli/send_run.py`, which plans, sends and renders it."""

# No `from __future__ import annotations` here: typer reads these annotations on every run,
# and strings it would compile and evaluate one by one (~150 evals, a few ms); objects it reads.
from pathlib import Path
from typing import Annotated

import typer

from inngest_cli.cli.compat import Choice
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
        int | None,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            max=64,
            help="Requests in flight.",
            show_default="4; 2 to a server on this machine",
            rich_help_panel=_BULK,
        ),
    ] = None,
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
    from inngest_cli.cli.send_run import run
    from inngest_cli.sendjob import SendJob, parse_rate, split_targets

    current().set_global("quiet", quiet)
    current().set_global("verbose", verbose)
    items, paths = split_targets(targets or [], files or [])
    job = SendJob(
        items=items,
        paths=paths,
        name=name,
        data=data,
        event_id=event_id,
        ts=ts,
        v=v,
        user=user,
        input_format=input_format,
        id_field=id_field,
        ts_field=ts_field,
        keep_ts=keep_ts,
        max_request_bytes=max_request_bytes,
        max_batch=max_batch,
        max_event_bytes=max_event_bytes,
        concurrency=concurrency,
        retries=retries,
        timeout=timeout,
        on_error=on_error,
        failed_out=failed_out,
        dry_run=dry_run,
        follow=follow,
        linger=linger,
        rate=parse_rate(rate) if rate is not None else None,
        ignore_stdin=ignore_stdin,
        checkpoint=checkpoint,
        wait=wait,
        wait_timeout=wait_timeout,
        signing_key=signing_key,
        event_key=event_key,
        env=env,
        dev=dev,
        event_api_url=event_api_url,
        output=output,
        no_progress=no_progress,
    )
    return run(job)
