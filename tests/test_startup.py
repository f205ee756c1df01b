"""Fast start: each command imports only what it needs. A fresh interpreter runs the CLI and
reports which modules got loaded (bench/startup.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ServeProcess

PROBE = """
import json, sys
from inngest_cli.cli.main import run
code = run(sys.argv[1:])
sys.stdout.flush()
sys.stderr.write("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""

HEAVY = (
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "certifi",
    "ssl",
    "rich",
    "sqlite3",
    "pydantic",
    "tomllib",  # no config file in tests: nothing to parse
    "concurrent",
    "inngest_cli.server",
    "inngest_cli.restclient",
    "inngest_cli.eventapi",
    "inngest_cli.sender",
)


def loaded(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    return {
        heavy
        for heavy in HEAVY
        for module in report["modules"]
        if module == heavy or module.startswith(heavy + ".")
    }


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("send", "--help"),
        ("serve", "--help"),
        ("events", "list", "--help"),
        ("config", "show"),  # JSON: stdout is not a terminal
        ("completions", "bash"),
    ],
    ids=" ".join,
)
def test_help_and_light_commands_import_nothing_heavy(args: tuple[str, ...]) -> None:
    assert loaded(*args) == set()


COMMAND_MODULES = {
    "inngest_cli.cli.send",
    "inngest_cli.cli.serve",
    "inngest_cli.cli.events",
    "inngest_cli.cli.runs",
    "inngest_cli.cli.config_cmd",
    "inngest_cli.cli.completions",
}


def modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1])["modules"])


def test_root_help_imports_no_command() -> None:
    assert modules("--help") & COMMAND_MODULES == set()


def test_a_command_imports_only_itself() -> None:
    assert modules("send", "--help") & COMMAND_MODULES == {"inngest_cli.cli.send"}


def test_dry_run_needs_no_http_stack() -> None:
    assert loaded("send", "--dev", "--dry-run", "--name", "a/b") <= {"concurrent",
                                                                       "inngest_cli.sender"}


def test_sending_needs_no_httpx(serve: ServeProcess) -> None:
    """One event to a local server: http.client, no httpx/httpcore/certifi (no proxy is set)."""
    heavy = loaded("send", "--dev", "--event-api-url", serve.url, "--name", "a/b")
    assert heavy <= {"concurrent", "ssl", "inngest_cli.sender", "inngest_cli.eventapi"}
