"""`inngest-cli serve`: flags in, a running local server out.  The server itself lives in
`inngest_cli.server` and is imported only when this command runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from inngest_cli.cli.console import print_warning, stderr_line
from inngest_cli.cli.context import current
from inngest_cli.errors import UsageError

if TYPE_CHECKING:
    from inngest_cli.config import ServeKeys

HELP = "Run a local Inngest-compatible Event API and read API backed by SQLite."
EPILOG = (
    "Speaks POST /e/{key}, GET /health and the REST v1 event/run reads like Inngest's Dev "
    "Server, so SDKs, CI jobs and `inngest-cli send` can run offline.  Example: "
    "inngest-cli serve --port 8288, then INNGEST_DEV=http://127.0.0.1:8288 inngest-cli send "
    "--name app/hello.  Stop with Ctrl-C."
)


def serve(
    host: Annotated[str, typer.Option(
        "--host", metavar="HOST",
        help="Address to listen on. Non-loopback addresses need --event-key.",
    )] = "127.0.0.1",
    port: Annotated[int, typer.Option(
        "--port", "-p", min=0, max=65535, metavar="PORT", help="TCP port; 0 picks a free one.",
    )] = 8288,
    db: Annotated[str | None, typer.Option(
        "--db", metavar="PATH",
        help="SQLite file for the events (':memory:' keeps nothing). "
             "Default: $XDG_DATA_HOME/inngest-cli/serve.db (~/.local/share/inngest-cli/serve.db).",
    )] = None,
    event_key: Annotated[list[str] | None, typer.Option(
        "--event-key", metavar="KEY",
        help="Accept events only for POST /e/KEY (repeatable) [env: INNGEST_EVENT_KEY, "
             "comma-separated; better than the flag, which `ps` shows]. Without either, any key "
             "is accepted.",
    )] = None,
    signing_key: Annotated[str | None, typer.Option(
        "--signing-key", metavar="KEY",
        help="Require 'Authorization: Bearer <key or its SHA-256>' on /v1 (hex, as Inngest's) "
             "[env: INNGEST_SIGNING_KEY, and INNGEST_SIGNING_KEY_FALLBACK is accepted too].",
    )] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No per-request log lines on stderr.",
    )] = False,
) -> None:
    from inngest_cli.config import resolve_serve_keys
    from inngest_cli.server import (
        ServerConfig,
        create_server,
        default_db_path,
        describe,
        is_loopback,
        local_url,
        serve_until_signalled,
    )

    run = current()
    # flags, else INNGEST_* (masked from here)
    found = resolve_serve_keys(event_key, signing_key, environ=run.environ, secrets=run.secrets)
    keys, signing_key = found.event_keys, found.signing_key
    _check_env_signing_keys(found)
    create_db_dir = db is None  # our own data directory may be created; a typed path not
    if db is None:
        db = str(default_db_path())
    quiet = quiet or current().quiet  # `inngest-cli -q serve` too
    config = ServerConfig(db=db, host=host, port=port, event_keys=keys, signing_key=signing_key,
                          signing_key_fallback=found.signing_key_fallback,
                          log=stderr_line, quiet=quiet, create_db_dir=create_db_dir)
    server = create_server(config)
    if not quiet:
        for line in _keys_from_environment(found):
            stderr_line(line)
    if not signing_key and not is_loopback(host):
        print_warning("the /v1 read API is open to anyone who can reach this address; "
                      "set INNGEST_SIGNING_KEY (or --signing-key) to protect it")

    def ready() -> None:  # the URL is data (stdout, for scripts); the rest diagnostics (stderr)
        if not quiet:  # first: a script may stop us as soon as it reads the URL
            stderr_line(describe(server))
        current().stdout.write(local_url(server) + "\n")

    serve_until_signalled(server, on_ready=ready)
    if not quiet:
        stderr_line("inngest-cli serve: stopped")


def _check_env_signing_keys(found: ServeKeys) -> None:
    """A signing key from the environment is checked like --signing-key, its variable named."""
    from inngest_cli.server.v1format import signing_key_problem

    for value, source in ((found.signing_key, found.sources["signing_key"]),
                          (found.signing_key_fallback, "INNGEST_SIGNING_KEY_FALLBACK")):
        problem = signing_key_problem(value) if value and source.startswith("INNGEST_") else None
        if problem:
            raise UsageError(problem.replace("--signing-key", source, 1),
                             hint="Inngest signing keys look like signkey-prod-<hex>")


def _keys_from_environment(found: ServeKeys) -> list[str]:
    """Say so when keys come from the environment: a variable set for `send` now guards serve."""
    lines = []
    if found.sources["event_keys"] == "INNGEST_EVENT_KEY":
        count = len(found.event_keys)
        lines.append(f"inngest-cli serve: POST /e/{{key}} accepts only the {count} "
                     f"key{'' if count == 1 else 's'} in INNGEST_EVENT_KEY")
    if found.sources["signing_key"] == "INNGEST_SIGNING_KEY" or found.signing_key_fallback:
        variables = [found.sources["signing_key"]] + (
            ["INNGEST_SIGNING_KEY_FALLBACK"] if found.signing_key_fallback else [])
        lines.append("inngest-cli serve: /v1 requires the signing key in "
                     + " or ".join(variables))
    return lines
