"""Shared fixtures: every test is isolated from the user's INNGEST_* environment and config, and
integration tests get a real `inngest-cli serve` process on 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import processes

CLI = [sys.executable, "-m", "inngest_cli"]


def pytest_configure(config: pytest.Config) -> None:
    processes.install()  # support processes in their own groups; SIGINT/SIGTERM stop the session


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    yield
    signal_name = processes.interrupted()
    if signal_name:  # even if the test swallowed the KeyboardInterrupt (an in-process run())
        item.session.shouldstop = f"interrupted by {signal_name}"


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("INNGEST_") or name in {
            "NO_COLOR",
            "RAILWAY_GIT_BRANCH",
            "RENDER_GIT_BRANCH",
            "VERCEL_GIT_BRANCH",
        }:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def cli_run() -> Iterator[Any]:
    """A `RunContext` of its own, bound as a command's would be, for tests that call the CLI's
    helpers (renderers, writers) directly rather than through `run`."""
    from inngest_cli.cli.context import RunContext, bound

    with bound(RunContext()) as context:
        yield context


@dataclass
class ServeProcess:
    """A running `inngest-cli serve` subprocess on a free loopback port."""

    proc: subprocess.Popen[str]
    url: str
    db: str
    args: list[str] = field(default_factory=list)

    def events(self, **params: Any) -> list[dict[str, Any]]:
        """Every stored event (newest first), read back through the REST API."""
        params.setdefault("received_after", "2000-01-01T00:00:00Z")
        params.setdefault("limit", 51)
        out: list[dict[str, Any]] = []
        headers = params.pop("headers", {})
        with httpx.Client(timeout=10) as http:  # one client: creating one costs ~30 ms
            while True:
                reply = http.get(f"{self.url}/v1/events", params=params, headers=headers)
                reply.raise_for_status()
                page = reply.json()["data"]
                out.extend(page)
                if not page:
                    return out
                params["cursor"] = page[-1]["internal_id"]

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
        processes.forget(self.proc)
        return self.proc.returncode


def start_serve(
    *args: str,
    db: str | None = None,
    env: dict[str, str] | None = None,
    tmp_path: Path | None = None,
) -> ServeProcess:
    if db is None:
        db = str(
            (tmp_path or Path(os.environ.get("TMPDIR", "/tmp"))) / f"serve-{time.time_ns()}.db"
        )
    cmd = [*CLI, "serve", "--host", "127.0.0.1", "--port", "0", "--db", db, *args]
    proc = processes.spawn(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        proc.kill()
        _, err = proc.communicate()
        raise RuntimeError(f"serve did not start: {line!r} {err!r}")
    return ServeProcess(proc=proc, url=match.group(0), db=db, args=list(args))


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeProcess]:
    server = start_serve(tmp_path=tmp_path)
    yield server
    server.stop()


@pytest.fixture
def serve_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[ServeProcess] = []

    def factory(
        *args: str, db: str | None = None, env: dict[str, str] | None = None
    ) -> ServeProcess:
        server = start_serve(*args, db=db, env=env, tmp_path=tmp_path)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


def run_cli(
    *args: str,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the real `inngest-cli` as a subprocess (stdin closed unless ``input`` is given)."""
    data = input.decode() if isinstance(input, bytes) else input
    return subprocess.run(
        [*CLI, *args],
        input=data,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        stdin=None if data is not None else subprocess.DEVNULL,
    )


FAULT_SERVER = Path(__file__).parent / "support" / "faultserver.py"


@dataclass
class FaultServer:
    """A running tests/support/faultserver.py process (see its docstring for the faults)."""

    proc: subprocess.Popen[str]
    url: str

    def state(self) -> dict[str, Any]:
        reply = httpx.get(f"{self.url}/_state", timeout=10)
        reply.raise_for_status()
        result: dict[str, Any] = reply.json()
        return result

    def stop(self) -> None:
        self.proc.kill()
        self.proc.communicate()
        processes.forget(self.proc)


def _support_servers(script: Path) -> Iterator[Any]:
    """A factory starting a tests/support server script with the given flags; all are stopped
    at the end of the test."""
    started: list[FaultServer] = []

    def factory(*args: str) -> FaultServer:
        proc = processes.spawn(
            [sys.executable, str(script), *args],
            stdout=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
        assert match, f"{script.name} did not start"
        server = FaultServer(proc, match.group(0))
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def fault_server() -> Iterator[Any]:
    """Start tests/support/faultserver.py with the given flags (see its docstring)."""
    yield from _support_servers(FAULT_SERVER)


def ndjson_events(count: int, name: str = "test/seq", start: int = 0) -> str:
    """`count` NDJSON events whose data.seq numbers them, so storage can be checked one by one."""
    return "".join(
        f'{{"name":"{name}","data":{{"seq":{i}}}}}\n' for i in range(start, start + count)
    )


RUN_SERVER = Path(__file__).parent / "support" / "runserver.py"


@pytest.fixture
def run_server() -> Iterator[Any]:
    """Start tests/support/runserver.py (a REST v1 server with scripted runs; see its docstring)
    with the given flags; `state()` returns the /v1 queries and Authorization headers it saw."""
    yield from _support_servers(RUN_SERVER)


SCRIPT_SERVER = Path(__file__).parent / "support" / "scriptserver.py"


@pytest.fixture
def script_server() -> Iterator[Any]:
    """Start tests/support/scriptserver.py (scripted replies, then normal ones; see its
    docstring) with the given flags; `state()` returns the requests it saw."""
    yield from _support_servers(SCRIPT_SERVER)


PROXY = Path(__file__).parent / "support" / "proxy.py"


@pytest.fixture
def proxy_server() -> Iterator[Any]:
    """Start tests/support/proxy.py (a forwarding and CONNECT proxy to loopback targets);
    `GET {url}/_proxied` lists what it forwarded."""
    yield from _support_servers(PROXY)
