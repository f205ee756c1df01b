"""`inngest-cli runs get|cancel|jobs`: one function run through the REST API: read it, cancel
it, see its queued jobs."""

from collections.abc import Iterable
from typing import Annotated, Any

import typer

from inngest_cli.cli.apioptions import (
    ApiUrl,
    Connection,
    Dev,
    Env,
    Output,
    SigningKey,
    Verbose,
    check_id,
    output_format,
)
from inngest_cli.cli.runops import DryRun, Yes
from inngest_cli.errors import ExitCode

app = typer.Typer(
    name="runs",
    help="Inspect and cancel function runs.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

GET_HELP = """Show one function run: status, timing and its output, pretty-printed."""
GET_EPILOG = """\b
Examples:
  inngest-cli runs get 01JQDAE5B6R2C9XK7M2YV3TQ4N
  inngest-cli runs get 01JQDAE5B6R2C9XK7M2YV3TQ4N -o json | jq .output
"""


@app.command("get", help=GET_HELP, epilog=GET_EPILOG)
def get_run(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's ID.")],
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.cli import render

    fmt = output_format(output)
    run_id = check_id(run_id, "RUN_ID")
    with Connection(api_url, signing_key, env, dev, verbose).open() as api:
        run = api.get_run(run_id)
    render.one(run, fmt, render.run_detail, "run_id")
    return int(ExitCode.OK)


CANCEL_HELP = """Cancel function runs, one line per run: cancelled, already finished (a finished run
is left as it was), or not found (exit 4).

Cancelling more than one run asks for confirmation on a terminal and needs --yes otherwise."""
CANCEL_EPILOG = """\b
Examples:
  inngest-cli runs cancel 01JQDAE5B6R2C9XK7M2YV3TQ4N
  inngest-cli events runs 01JQDAE4RQF8MBCR55T5AK4KXS -o ids | xargs inngest-cli runs cancel --yes
"""


@app.command("cancel", help=CANCEL_HELP, epilog=CANCEL_EPILOG)
def cancel_runs(
    run_ids: Annotated[
        list[str], typer.Argument(metavar="RUN_ID...", help="The IDs of the runs to cancel.")
    ],
    yes: Yes = False,
    dry_run: DryRun = False,
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.cancelruns import cancel_runs as cancel_each
    from inngest_cli.cli import runops

    fmt = output_format(output)
    ids = list(dict.fromkeys(check_id(run_id, "RUN_ID") for run_id in run_ids))
    conn = Connection(api_url, signing_key, env, dev, verbose)
    if dry_run:
        origin = conn.config().origin
        runops.dry_run([("DELETE", f"{origin}/v1/runs/{run_id}", None) for run_id in ids], fmt)
        return int(ExitCode.OK)
    if len(ids) > 1:
        runops.confirm(
            f"Cancel {len(ids)} runs on {conn.config().origin}?", yes=yes, command="runs cancel"
        )
    with conn.open() as api:
        results = _show_cancelled(cancel_each(api, ids), fmt)
    return _not_found_code(results)


def _show_cancelled(results: Iterable[dict[str, Any]], fmt: str) -> list[dict[str, Any]]:
    """Each result as it comes (ndjson; ids: the runs cancelled), or all of them at the end
    (table, json); the results."""
    from inngest_cli.cancelruns import CANCELLED
    from inngest_cli.cli import render, runops
    from inngest_cli.cli.context import current

    done: list[dict[str, Any]] = []
    for result in results:
        done.append(result)
        if fmt == "ndjson":
            render.write_json(result)
        elif fmt == "ids" and result["result"] == CANCELLED:
            current().stdout.write(result["run_id"] + "\n")
    if fmt == "table":
        runops.cancel_table(done)
    elif fmt == "json":
        render.write_json(done)
    return done


def _not_found_code(results: list[dict[str, Any]]) -> int:
    """0, or 4 with one error line naming the runs not found."""
    from inngest_cli.cancelruns import not_found
    from inngest_cli.cli.console import print_error

    missing = not_found(results)
    if not missing:
        return int(ExitCode.OK)
    if len(missing) == 1:
        print_error(f"run {missing[0]} not found")
    else:
        print_error(f"{len(missing)} of {len(results)} runs not found: {', '.join(missing)}")
    return int(ExitCode.NOT_FOUND)


JOBS_HELP = """Show a run's queued jobs (at most 10): kind, when, attempt, queue position.

-o json and -o ndjson give the jobs as the API returns them. A finished run has none."""
JOBS_EPILOG = """\b
Example:
  inngest-cli runs jobs 01JQDAE5B6R2C9XK7M2YV3TQ4N
"""


@app.command("jobs", help=JOBS_HELP, epilog=JOBS_EPILOG)
def run_jobs(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's ID.")],
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.cli import render, runops

    fmt = output_format(output)
    run_id = check_id(run_id, "RUN_ID")
    with Connection(api_url, signing_key, env, dev, verbose).open() as api:
        jobs = api.run_jobs(run_id)
    render.listing(jobs, fmt, runops.jobs_table, runops.job_id,
                   f"no queued jobs for run {run_id} (a finished run has none)")
    return int(ExitCode.OK)
