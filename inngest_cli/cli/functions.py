"""`inngest-cli functions list`: an app's functions, read through the REST API."""

from typing import Annotated

import typer

from inngest_cli.cli.apioptions import (
    ApiUrl,
    Connection,
    Dev,
    Env,
    Output,
    SigningKey,
    Verbose,
    output_format,
)
from inngest_cli.errors import ExitCode, UsageError

app = typer.Typer(
    name="functions",
    help="List an app's functions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LIST_HELP = """List the functions of an app: ID (slug), name, internal ID, created.

The app is its ID as the SDK registered it (the client's app ID). An app the server does not know
lists nothing (the API does not say 404), and a note on stderr says so."""
LIST_EPILOG = """\b
Examples:
  inngest-cli functions list --app my-app
  inngest-cli functions list --app my-app -o ids
"""


@app.command("list", help=LIST_HELP, epilog=LIST_EPILOG)
def list_functions(
    app_id: Annotated[
        str, typer.Option("--app", metavar="APP", help="The app's ID, as the SDK registered it.")
    ],
    output: Output = None,
    api_url: ApiUrl = None,
    signing_key: SigningKey = None,
    env: Env = None,
    dev: Dev = False,
    verbose: Verbose = False,
) -> int:
    from inngest_cli.cli import render, runops
    from inngest_cli.cli.console import info

    fmt = output_format(output)
    if not app_id.strip():
        raise UsageError("--app: the app ID is empty")
    with Connection(api_url, signing_key, env, dev, verbose).open() as api:
        functions = api.app_functions(app_id)
    if not functions:
        info(f"no functions for app {app_id!r} (is that the app ID the SDK registered?)")
    render.listing(functions, fmt, runops.functions_table, "id")  # empty: said above, any -o
    return int(ExitCode.OK)
