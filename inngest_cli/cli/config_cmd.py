"""`inngest-cli config show|path`: the settings every command would use, and where each came from
(a flag, an environment variable, a profile of the config file, or the default)."""

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from inngest_cli.cli.compat import Choice

app = typer.Typer(
    name="config",
    help="Show the resolved settings (keys masked) and the config file's path.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

SHOW_HELP = """Show the resolved settings, keys masked, and where each came from.

For the Event API (send) and the REST API (events, runs): each value comes from a flag, an
environment variable, a profile of the config file, or the default, in that order of precedence.
The profile is --profile NAME, else INNGEST_PROFILE, else the file's default_profile."""
SHOW_EPILOG = """\b
Examples:
  inngest-cli config show
  inngest-cli --profile staging config show
  INNGEST_DEV=1 inngest-cli config show -o json | jq .settings.event_api_url
"""

PATH_HELP = """Print the config file's path.

It is $INNGEST_CLI_CONFIG, else $XDG_CONFIG_HOME/inngest-cli/config.toml, else
~/.config/inngest-cli/config.toml (macOS too), whether or not the file exists."""
PATH_EPILOG = """\b
Examples:
  inngest-cli config path
  mkdir -p "$(dirname "$(inngest-cli config path)")" && $EDITOR "$(inngest-cli config path)"
"""

SHOW_FORMATS = ("table", "json")  # the two of `formats.OUTPUT_FORMATS` a report has
NOT_SET = "(not set)"
DEV_PLACEHOLDER = "dev mode placeholder"  # config.resolve_event_api's source for NO_EVENT_KEY_SET


@app.command("show", help=SHOW_HELP, epilog=SHOW_EPILOG)
def show(
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="table or json [default: table on a terminal, else json].",
            show_default=False,
            click_type=Choice(SHOW_FORMATS),
        ),
    ] = None,
) -> None:
    from inngest_cli.cli.context import current

    report = resolved()
    if (output or ("table" if current().stdout.isatty() else "json")) == "json":
        import orjson

        current().stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _table(report)


@app.command("path", help=PATH_HELP, epilog=PATH_EPILOG)
def path() -> None:
    from inngest_cli.cli.context import current
    from inngest_cli.profiles import config_path

    current().stdout.write(f"{config_path(current().environ)}\n")


def _config_file_source(environ: Mapping[str, str]) -> str:
    from inngest_cli.profiles import CONFIG_ENV

    if environ.get(CONFIG_ENV):
        return CONFIG_ENV
    return "XDG_CONFIG_HOME" if environ.get("XDG_CONFIG_HOME") else "default"


def resolved() -> dict[str, Any]:
    """Everything `config show` reports, as plain data (keys masked)."""
    from inngest_cli.cli.context import current
    from inngest_cli.config import resolve_api, resolve_event_api
    from inngest_cli.redact import mask

    run = current()
    profile = run.profile()
    layers = run.layers()
    event = resolve_event_api(require_key=False, layers=layers, secrets=run.secrets)
    api = resolve_api(layers=layers, secrets=run.secrets)

    def setting(value: Any, source: str) -> dict[str, Any]:
        return {"value": value, "source": source if value not in (None, "") else None}

    def secret(value: str | None, source: str) -> dict[str, Any]:
        return setting(mask(value) if value else None, source)

    dev_source = event.sources["dev"]
    return {
        "config_file": {
            "path": str(profile.file.path),
            "exists": profile.file.exists,
            "source": _config_file_source(run.environ),
        },
        "profile": {"name": profile.name, "source": profile.chosen_by},
        "profiles": sorted(profile.file.profiles),
        "settings": {
            "dev": {"value": event.dev, "source": dev_source},
            "event_api_url": setting(event.origin, event.sources["origin"]),
            "event_key": secret(
                None if event.sources["event_key"] == DEV_PLACEHOLDER else event.event_key,
                event.sources["event_key"],
            ),
            "env": setting(event.env, event.sources["env"]),
            "api_url": setting(api.origin, api.sources["origin"]),
            "signing_key": secret(api.signing_key, api.sources["signing_key"]),
            "signing_key_fallback": secret(
                api.signing_key_fallback, api.sources["signing_key_fallback"]
            ),
        },
    }


_LABELS = {
    "dev": "mode",
    "event_api_url": "event API",
    "event_key": "event key",
    "env": "branch env",
    "api_url": "REST API",
    "signing_key": "signing key",
    "signing_key_fallback": "signing key fallback",
}


def _rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    file = report["config_file"]
    profile = report["profile"]
    rows = [
        (
            "config file",
            file["path"] + ("" if file["exists"] else " (none)"),
            file["source"],
        ),
        ("profile", profile["name"] or "(none)", profile["source"] or ""),
    ]
    for key, label in _LABELS.items():
        item = report["settings"][key]
        value = item["value"]
        if key == "dev":
            text = "dev" if value else "cloud"
        elif key == "event_key" and value is None and report["settings"]["dev"]["value"]:
            text = "(not needed in dev mode)"
        else:
            text = NOT_SET if value in (None, "") else str(value)
        rows.append((label, text, item["source"] or ""))
    return rows


def _table(report: dict[str, Any]) -> None:
    import io
    import shutil

    from rich.console import Console
    from rich.table import Table

    from inngest_cli.cli.context import current

    color = current().color
    table = Table(box=None, header_style="bold" if color else None, pad_edge=False)
    table.add_column("SETTING", no_wrap=True)
    table.add_column("VALUE", overflow="fold")
    table.add_column("SOURCE", overflow="fold", style="dim" if color else None)
    for row in _rows(report):
        table.add_row(*row)
    buffer = io.StringIO()
    Console(
        file=buffer,
        width=max(60, shutil.get_terminal_size((100, 24)).columns),
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
    ).print(table)
    current().stdout.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))
