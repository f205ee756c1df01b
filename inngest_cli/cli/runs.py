"""`inngest-cli runs get`: one function run, read through the REST API."""

from __future__ import annotations

from typing import Annotated

import typer

from inngest_cli.cli.restopts import (
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
from inngest_cli.errors import ExitCode

app = typer.Typer(
    name="runs",
    help="Inspect function runs.",
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
