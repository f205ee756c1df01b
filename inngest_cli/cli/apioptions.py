"""Options shared by the commands that read the REST API (`events ...`, `runs ...`), declared once,
and the one way those commands open a client."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from inngest_cli.cli.compat import Choice
from inngest_cli.errors import UsageError
from inngest_cli.formats import OUTPUT_FORMATS

if TYPE_CHECKING:
    from inngest_cli.config import APIConfig
    from inngest_cli.restclient import RestAPI

CONN = "Connection"
OUT = "Output"

ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        help="REST API origin [env: INNGEST_API_BASE_URL, INNGEST_BASE_URL; "
        "default https://api.inngest.com, or http://127.0.0.1:8288 with --dev].",
        rich_help_panel=CONN,
        show_default=False,
    ),
]
SigningKey = Annotated[
    str | None,
    typer.Option(
        "--signing-key",
        help="Signing key [env: INNGEST_SIGNING_KEY; INNGEST_SIGNING_KEY_FALLBACK is tried "
        "once on 401/403].",
        rich_help_panel=CONN,
        show_default=False,
    ),
]
Env = Annotated[
    str | None,
    typer.Option(
        "--env",
        help="Branch environment, sent as x-inngest-env [env: INNGEST_ENV].",
        rich_help_panel=CONN,
        show_default=False,
    ),
]
Dev = Annotated[
    bool,
    typer.Option(
        "--dev",
        help="Dev Server mode: no key needed, default URL http://127.0.0.1:8288 "
        "[env: INNGEST_DEV=1 or its URL].",
        rich_help_panel=CONN,
    ),
]
Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="table, json, ndjson or ids [default: table on a terminal, else json].",
        rich_help_panel=OUT,
        show_default=False,
        click_type=Choice(OUTPUT_FORMATS),
    ),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        help="Trace each request and response on stderr (keys masked).",
        rich_help_panel=OUT,
    ),
]


@dataclass(frozen=True)
class Connection:
    api_url: str | None = None
    signing_key: str | None = None
    env: str | None = None
    dev: bool = False
    verbose: bool = False

    def config(self) -> APIConfig:
        from inngest_cli.cli.context import current
        from inngest_cli.config import resolve_api

        run = current()
        return resolve_api(
            signing_key=self.signing_key,
            env=self.env,
            dev="1" if self.dev else None,
            api_url=self.api_url,
            layers=run.layers(),
            secrets=run.secrets,
        )

    def open(self) -> RestAPI:
        return open_api(self.config(), verbose=self.verbose)


def open_api(config: APIConfig, *, verbose: bool = False) -> RestAPI:
    """A client for ``config`` as the global flags ask: requests traced on stderr with
    --verbose, TLS certificates not verified with --insecure."""
    from inngest_cli.cli.console import print_warning, stderr_line
    from inngest_cli.cli.context import current
    from inngest_cli.restclient import RestAPI

    run = current()
    trace = stderr_line if verbose or run.verbose else None
    return RestAPI(
        config, trace=trace, verify=not run.insecure, notice=print_warning, secrets=run.secrets
    )


def output_format(
    value: str | None, *, streaming: bool = False, allowed: Sequence[str] = OUTPUT_FORMATS
) -> str:
    """The --output value, checked; by default a table on a terminal, else JSON (NDJSON for a
    stream that never ends)."""
    from inngest_cli.cli.context import current

    if value is None:
        return "table" if current().stdout.isatty() else ("ndjson" if streaming else "json")
    if value not in allowed:
        raise UsageError(f"--output: {value!r} is not one of {', '.join(allowed)}")
    return value


def check_id(value: str, what: str) -> str:
    """An event or run ID as Inngest parses it: 26 characters, the first 0-7 (a ULID)."""
    from inngest_cli.ids import is_ulid

    if not is_ulid(value.strip()):
        raise UsageError(
            f"{what}: {value!r} is not an Inngest {what.lower().replace('_', ' ')} "
            "(a 26-character ULID such as 01JQDAE4RQF8MBCR55T5AK4KXS)",
            hint="send prints the IDs of the events it sent; `events list` shows recent ones",
        )
    return value.strip().upper()
