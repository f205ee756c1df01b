"""Fast start: each command imports only what it needs. A fresh interpreter runs the CLI and
reports which modules got loaded (bench/startup.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    "logging",
    "http.client",  # the Event API goes over inngest_cli.http11
    "email",
    "random",  # only a retry's backoff needs it
    "encodings.idna",  # getaddrinfo's codec for a str host: transport.connect passes bytes
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
    assert loaded("send", "--dev", "--dry-run", "--name", "a/b") <= {"inngest_cli.sender"}


def test_sending_needs_no_http_library(serve: ServeProcess) -> None:
    """One event to a local (http) server: our own HTTP/1.1 and worker threads; no httpx, no
    http.client or email, no ssl, no concurrent.futures or logging (no proxy is set)."""
    heavy = loaded("send", "--dev", "--event-api-url", serve.url, "--name", "a/b")
    assert heavy == {"inngest_cli.sender", "inngest_cli.eventapi"}


# -- the exit: `main` skips the interpreter's shutdown, and loses nothing by it ------------------

EXIT_PROBE = """
import atexit, sys, threading, time
from inngest_cli.cli.main import main

# written, never flushed: only the interpreter's shutdown (freeing the file) writes it out
unflushed = open(sys.argv.pop(), "w")
unflushed.write("shutdown ran")
atexit.register(lambda: sys.stderr.write("exit handler ran\\n"))

def late():  # a thread the interpreter would wait for: still running when the command ends
    time.sleep(0.3)
    sys.stderr.write("thread finished\\n")

threading.Thread(target=late).start()
if sys.argv[1] == "traced":
    sys.settrace(lambda *args: None)
sys.argv = ["inngest-cli", *sys.argv[2:]]
main()
"""


def exit_probe(mode: str, *args: str, marker: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, mode, *args, str(marker)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_main_exits_without_the_interpreters_shutdown(tmp_path: Path) -> None:
    """Output flushed, running threads waited for and exit handlers run, as a normal exit
    would; only the interpreter's teardown (freeing every object) is skipped."""
    marker = tmp_path / "marker"
    done = exit_probe("plain", "--version", marker=marker)
    assert done.returncode == 0
    assert done.stdout.startswith("inngest-cli ")
    assert done.stderr.splitlines() == ["thread finished", "exit handler ran"]
    assert marker.read_text() == ""  # the teardown did not run


def test_main_keeps_the_usual_shutdown_under_a_tracer(tmp_path: Path) -> None:
    """Coverage and profilers report from the interpreter's shutdown: under one, it runs."""
    marker = tmp_path / "marker"
    done = exit_probe("traced", "--version", marker=marker)
    assert done.returncode == 0
    assert done.stdout.startswith("inngest-cli ")
    assert done.stderr.splitlines() == ["thread finished", "exit handler ran"]
    assert marker.read_text() == "shutdown ran"


def test_main_keeps_the_exit_code(tmp_path: Path) -> None:
    done = exit_probe("plain", "send", "--dev", "--dry-run", "--name", "", marker=tmp_path / "m")
    assert done.returncode == 2, done.stderr
    assert "error:" in done.stderr


def test_everything_written_reaches_a_pipe(tmp_path: Path) -> None:
    """A long output through a pipe, and a file the command wrote, arrive whole: nothing is
    left in a buffer at the exit."""
    source = tmp_path / "events.ndjson"
    source.write_bytes(b"".join(b'{"name":"app/e","data":{"n":%d}}\n' % i for i in range(20_000)))
    failed = tmp_path / "failed.ndjson"
    with source.open("ab") as f:
        f.write(b'{"name":""}\n')
    done = subprocess.run(
        [sys.executable, "-m", "inngest_cli", "send", str(source), "--dev", "--dry-run",
         "--max-batch", "1", "-o", "ndjson", "--failed-out", str(failed), "-q"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 20_000, done.stderr
    assert json.loads(lines[-1])["request"] == 20_000
    assert failed.read_bytes() == b'{"name":""}\n'


def test_commands_hand_typer_evaluated_annotations() -> None:
    """typer reads the annotations of the command it builds on every run: as strings (under
    `from __future__ import annotations`) it compiles and evaluates each one, ~60 M
    instructions for `send`'s options. The commands a script runs over and over are written
    without it (`serve`, long-running, and `completions`, run once, keep it)."""
    import importlib
    import inspect

    import typer

    from inngest_cli.cli.main import COMMANDS, _global

    def callbacks(target: object) -> list[object]:
        if not isinstance(target, typer.Typer):
            return [target]
        found = [info.callback for info in target.registered_commands]
        for group in target.registered_groups:
            found += callbacks(group.typer_instance)
        return found

    checked = [_global]
    for name, lazy in COMMANDS.items():
        if name in ("serve", "completions"):
            continue
        checked += callbacks(getattr(importlib.import_module(lazy.module), lazy.attribute))
    assert len(checked) > 10
    for function in checked:
        strings = [
            key for key, value in inspect.get_annotations(function).items()  # type: ignore[arg-type]
            if isinstance(value, str)
        ]
        assert not strings, f"{function}: string annotations {strings}"
