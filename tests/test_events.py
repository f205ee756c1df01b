"""`inngest-cli events list|get|runs` and `runs get` end to end: the real CLI as a subprocess
against `serve`, or against tests/support/runserver.py for runs, faults and auth."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from inngest_cli.apiobjects import format_query_time
from inngest_cli.cli.main import app, run
from inngest_cli.timeparse import now_ms
from tests.conftest import FaultServer, ServeProcess, run_cli

UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
KEY = "signkey-test-" + "5e" * 32
BARE = "5e" * 32
HASHED = hashlib.sha256(bytes.fromhex(BARE)).hexdigest()
FALLBACK = "signkey-test-" + "77" * 32
ANSI = re.compile(r"\x1b\[")


def cli(url: str, *args: str, **kwargs: Any) -> Any:
    return run_cli(*args, "--api-url", url, **kwargs)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def inproc(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI in this process (faster than a subprocess): ``inproc(url, *args, env=...)``."""

    def invoke(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        code = run([*args, "--api-url", url])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


def post(url: str, events: list[dict[str, Any]], path: str = "/e/k") -> list[str]:
    reply = httpx.post(url + path, json=events, timeout=10)
    reply.raise_for_status()
    ids: list[str] = reply.json()["ids"]
    return ids


def v1_events(url: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{url}/v1/events", params={"limit": 51}, timeout=10)
    data: list[dict[str, Any]] = reply.json()["data"]
    return data


@pytest.fixture
def runs(run_server: Any) -> FaultServer:
    server: FaultServer = run_server("--run-delay", "0.05")
    return server


# what each scripted event name's runs settle to (tests/support/runserver.py)
SETTLED = {
    "test/ok": ["Completed"],
    "test/fail": ["Failed"],
    "test/hang": ["Running"],
    "test/two": ["Completed", "Completed"],
}


def sent_with_runs(server: FaultServer, name: str) -> str:
    """Send one event and wait until it is readable and its runs have settled (finished, or
    started for test/hang), asking the server (bounded: 10 s)."""
    import time

    [event_id] = post(server.url, [{"name": name}])
    expected = SETTLED.get(name, [])
    deadline = time.monotonic() + 10
    with httpx.Client(timeout=10) as http:
        while True:
            stored = http.get(f"{server.url}/v1/events/{event_id}").status_code == 200
            runs = http.get(f"{server.url}/v1/events/{event_id}/runs").json().get("data") or []
            if stored and sorted(run["status"] for run in runs) == expected:
                return event_id
            assert time.monotonic() < deadline, f"{name}: runs did not settle: {runs}"
            time.sleep(0.02)


# -- help ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["events", "list"],
        ["events", "get"],
        ["events", "runs"],
        ["events", "tail"],
        ["runs", "get"],
    ],
)
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


# -- events list --------------------------------------------------------------------------


def test_list_json_is_the_apis_objects_newest_first(serve: ServeProcess) -> None:
    post(serve.url, [{"name": "app/a", "data": {"n": i}, "v": "1"} for i in range(3)])
    result = cli(serve.url, "events", "list")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == v1_events(serve.url)  # whole objects, nothing lost
    assert [e["data"]["n"] for e in json.loads(result.stdout)] == [2, 1, 0]
    assert result.stderr == ""


def test_list_ndjson_and_ids(serve: ServeProcess) -> None:
    ids = post(serve.url, [{"name": "app/a"}, {"name": "app/b"}, {"name": "app/a"}])
    ndjson = cli(serve.url, "events", "list", "-o", "ndjson", "--name", "app/a")
    assert [json.loads(line)["internal_id"] for line in ndjson.stdout.splitlines()] == [
        ids[2],
        ids[0],
    ]
    plain = cli(serve.url, "events", "list", "-o", "ids", "--limit", "2")
    assert plain.stdout == f"{ids[2]}\n{ids[1]}\n"


def test_list_table_fits_80_columns_and_keeps_ids_whole(serve: ServeProcess) -> None:
    ids = post(
        serve.url,
        [
            {"name": "app/user.signup", "data": {"email": "ada@example.com", "plan": "pro"}},
            {"name": "app/a-rather-long-event-name.that.keeps.going", "data": {"x": "y" * 200}},
        ],
    )
    result = cli(serve.url, "events", "list", "-o", "table", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["EVENT", "ID", "NAME", "RECEIVED", "DATA"]
    assert all(len(line) <= 80 for line in lines), lines
    assert lines[1].startswith(ids[1]) and any(line.startswith(ids[0]) for line in lines)
    assert '{"email":' in result.stdout
    assert not ANSI.search(result.stdout)  # not a terminal: no colour


def test_list_table_limit_note(serve: ServeProcess) -> None:
    post(serve.url, [{"name": "app/a"} for _ in range(55)])
    result = cli(serve.url, "events", "list", "-o", "table")
    assert len(result.stdout.splitlines()) == 51
    assert result.stderr == "showing the newest 50 events; --limit 0 shows all\n"
    every = cli(serve.url, "events", "list", "-o", "ids")  # json/ids/ndjson: no default limit
    assert len(every.stdout.splitlines()) == 55


def test_list_window_on_every_page(runs: FaultServer) -> None:
    old = 1_000_000_000_000
    post(runs.url, [{"name": "app/old", "received_at": old + i} for i in range(60)], "/_events")
    post(runs.url, [{"name": "app/new"} for _ in range(5)])
    window = cli(
        runs.url,
        "events",
        "list",
        "--since",
        "2001-09-09T01:46:00Z",
        "--until",
        "2001-09-09T01:47:00Z",
        "-o",
        "ids",
    )
    assert window.returncode == 0, window.stderr
    assert len(window.stdout.splitlines()) == 60
    queries = [q for q in runs.state()["queries"] if q["path"] == "/v1/events"]
    assert len(queries) == 3  # 51 + 9 + an empty page
    assert {(q["received_after"][0], q["received_before"][0]) for q in queries} == {
        ("2001-09-09T01:46:00.000Z", "2001-09-09T01:47:00.000Z")
    }
    recent = cli(runs.url, "events", "list", "--since", "15m", "-o", "ndjson")
    assert [json.loads(line)["name"] for line in recent.stdout.splitlines()] == ["app/new"] * 5
    since = [q for q in runs.state()["queries"] if q["path"] == "/v1/events"][-1]
    assert since["received_after"][0] <= format_query_time(now_ms() - 15 * 60_000)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--since", "yesterday"],
            "error: --since: 'yesterday' is not epoch milliseconds, an "
            "ISO-8601 time (2026-11-23T10:00:00Z) or a relative time (+10m, -2h, 7d)\n",
        ),
        (
            ["--until", "1700000000"],
            "error: --until: 1700000000 looks like seconds; Inngest "
            "wants milliseconds (1700000000000)\n",
        ),
        (
            ["--since", "1h", "--until", "2h"],
            "error: --since is later than --until: the window is empty\n",
        ),
        (["-o", "yaml"], "error: --output: 'yaml' is not one of table, json, ndjson, ids\n"),
    ],
)
def test_list_usage_errors(args: list[str], error: str) -> None:
    result = run_cli("events", "list", "--api-url", "http://127.0.0.1:9", *args)
    assert result.returncode == 2
    assert result.stderr == error


def test_unreachable_server_exits_5(inproc: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("inngest_cli.restclient.retry_delay", lambda retry, after, base: 0.0)
    result = inproc("http://127.0.0.1:9", "events", "list")
    assert result.returncode == 5
    assert result.stderr.startswith("error: cannot reach http://127.0.0.1:9 after 5 retries: ")
    assert result.stderr.endswith(
        "\nhint: is the server running? check --api-url / INNGEST_API_BASE_URL (--dev for a\n"
        "      local Dev Server)\n"
    )
    assert result.stderr.count("\n") == 3  # error + hint on two lines


def test_transient_faults_are_retried(run_server: Any) -> None:
    server = run_server("--faults", "500,reset")
    ids = post(server.url, [{"name": "app/a"}])
    result = cli(server.url, "events", "list", "-o", "ids")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ids[0] + "\n"


def test_camel_case_server(run_server: Any) -> None:
    server = run_server("--camel", "--run-delay", "0.05")
    event_id = sent_with_runs(server, "test/ok")
    listed = cli(server.url, "events", "list", "-o", "table")
    assert event_id in listed.stdout and "test/ok" in listed.stdout
    table = cli(server.url, "events", "runs", event_id, "-o", "table")
    assert "Completed" in table.stdout
    ids = cli(server.url, "events", "runs", event_id, "-o", "ids")
    assert re.fullmatch(r"[0-9A-Z]{26}\n", ids.stdout)


# -- auth and errors ----------------------------------------------------------------------


def test_plain_text_401_is_exit_3(run_server: Any) -> None:
    server = run_server("--signing-key", KEY)
    result = cli(server.url, "events", "list")
    assert result.returncode == 3
    assert result.stderr == (
        f"error: {server.url}: authentication failed (HTTP 401: Authentication failed)\n"
        "hint: set INNGEST_SIGNING_KEY or pass --signing-key\n"
    )


def test_fallback_key_and_keys_never_shown(run_server: Any) -> None:
    server = run_server("--signing-key", FALLBACK)
    post(server.url, [{"name": "app/a"}])
    result = cli(
        server.url,
        "events",
        "list",
        "--verbose",
        "--signing-key",
        KEY,
        "-o",
        "table",
        env={"INNGEST_SIGNING_KEY_FALLBACK": FALLBACK},
    )
    assert result.returncode == 0, result.stderr
    auth = server.state()["auth"]
    fallback_hash = hashlib.sha256(bytes.fromhex("77" * 32)).hexdigest()
    assert auth[:2] == [f"Bearer {HASHED}", f"Bearer {fallback_hash}"]
    out = result.stdout + result.stderr
    assert "authorization: Bearer ****" in result.stderr
    for secret in (KEY, BARE, HASHED, FALLBACK, "77" * 32, fallback_hash):
        assert secret not in out
        assert secret[-12:] not in out


def test_serve_checks_the_hashed_signing_key(serve_factory: Any) -> None:
    server = serve_factory("--signing-key", KEY)
    post(server.url, [{"name": "app/a"}])
    assert cli(server.url, "events", "list", "-o", "ids").returncode == 3
    good = cli(server.url, "events", "list", "-o", "ids", env={"INNGEST_SIGNING_KEY": KEY})
    assert good.returncode == 0 and len(good.stdout.split()) == 1


def test_wrong_key_is_exit_3_and_not_shown(run_server: Any) -> None:
    server = run_server("--signing-key", FALLBACK)
    result = cli(server.url, "events", "get", UNKNOWN, env={"INNGEST_SIGNING_KEY": KEY})
    assert result.returncode == 3
    assert KEY not in result.stderr and HASHED not in result.stderr
    assert result.stderr.endswith(
        "hint: INNGEST_SIGNING_KEY / --signing-key must be a signing key of this\n"
        "      environment (--env for a branch)\n"
    )


@pytest.mark.parametrize("legacy", [False, True])
def test_not_found_is_exit_4(run_server: Any, legacy: bool) -> None:
    server = run_server(*(["--legacy-errors"] if legacy else []))
    event = cli(server.url, "events", "get", UNKNOWN)
    assert event.returncode == 4
    assert event.stderr == (
        f"error: event {UNKNOWN} not found\n"
        "hint: a just-sent event takes a moment to be stored (events get --wait 10)\n"
    )
    run = cli(server.url, "runs", "get", UNKNOWN)  # Inngest: 500 "Unable to load function run"
    assert run.returncode == 4
    assert run.stderr == f"error: run {UNKNOWN} not found\n"
    assert event.stdout == run.stdout == ""


def test_not_found_against_serve(serve: ServeProcess) -> None:
    assert cli(serve.url, "events", "get", UNKNOWN).returncode == 4
    assert cli(serve.url, "runs", "get", UNKNOWN).returncode == 4


def test_invalid_id_is_a_usage_error() -> None:
    result = run_cli("events", "get", "invoice-42", "--api-url", "http://127.0.0.1:9")
    assert result.returncode == 2
    assert result.stderr == (
        "error: EVENT_ID: 'invoice-42' is not an Inngest event id (a 26-character ULID such as "
        "01JQDAE4RQF8MBCR55T5AK4KXS)\n"
        "hint: send prints the IDs of the events it sent; `events list` shows recent ones\n"
    )


# -- events get ---------------------------------------------------------------------------


def test_get_every_format(serve: ServeProcess, inproc: Any) -> None:
    [event_id] = post(
        serve.url,
        [{"name": "app/a", "data": {"x": [1, 2]}, "id": "mine", "user": {"u": 1}, "v": "2"}],
    )
    as_json = inproc(serve.url, "events", "get", event_id)
    stored = httpx.get(f"{serve.url}/v1/events/{event_id}").json()["data"]
    assert json.loads(as_json.stdout) == stored
    assert inproc(serve.url, "events", "get", event_id, "-o", "ndjson").stdout == as_json.stdout
    assert (
        inproc(serve.url, "events", "get", event_id.lower(), "-o", "ids").stdout == event_id + "\n"
    )
    table = inproc(serve.url, "events", "get", event_id, "-o", "table").stdout
    assert re.search(rf"^EVENT ID +{event_id}$", table, re.M)
    assert re.search(r"^ID +mine$", table, re.M) and re.search(r"^V +2$", table, re.M)
    assert '"x": [\n    1,\n    2\n  ]' in table  # data pretty-printed


def test_get_wait_polls_until_the_event_is_stored(run_server: Any) -> None:
    # longer than a CLI start on a busy machine, so the first polls of --wait do miss
    server = run_server("--store-delay", "3")
    [event_id] = post(server.url, [{"name": "app/late"}])
    assert cli(server.url, "events", "get", event_id).returncode == 4  # not yet
    waited = cli(server.url, "events", "get", event_id, "--wait", "5", "-o", "ids")
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout == event_id + "\n"
    gets = [q for q in server.state()["queries"] if q["path"] == f"/v1/events/{event_id}"]
    assert len(gets) >= 3


def test_get_wait_gives_up(run_server: Any) -> None:
    server = run_server("--store-delay", "30")
    [event_id] = post(server.url, [{"name": "app/late"}])
    result = cli(server.url, "events", "get", event_id, "--wait", "0.5")
    assert result.returncode == 4
    assert result.stderr == f"error: event {event_id} not found after waiting 0.5 s\n"


# -- events runs, runs get ----------------------------------------------------------------


def test_event_runs_every_format(runs: FaultServer, inproc: Any) -> None:
    event_id = sent_with_runs(runs, "test/two")
    as_json = json.loads(inproc(runs.url, "events", "runs", event_id).stdout)
    assert [r["status"] for r in as_json] == ["Completed", "Completed"]
    assert [r["output"] for r in as_json] == [{"first": True}, {"second": True}]
    ndjson = inproc(runs.url, "events", "runs", event_id, "-o", "ndjson").stdout.splitlines()
    assert [json.loads(line) for line in ndjson] == as_json
    ids = inproc(runs.url, "events", "runs", event_id, "-o", "ids").stdout
    assert ids == "".join(r["run_id"] + "\n" for r in as_json)
    table = inproc(runs.url, "events", "runs", event_id, "-o", "table", env={"COLUMNS": "80"})
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["RUN", "ID", "STATUS", "DURATION", "OUTPUT"]
    assert re.match(rf"{as_json[0]['run_id']}  Completed +50 ms +\{{\"first\":true\}}$", lines[1])
    assert all(len(line) <= 80 for line in lines)
    wide = inproc(runs.url, "events", "runs", event_id, "-o", "table", env={"COLUMNS": "120"})
    assert "FUNCTION" in wide.stdout and as_json[0]["function_id"] in wide.stdout


def test_event_runs_none(runs: FaultServer, inproc: Any) -> None:
    event_id = sent_with_runs(runs, "test/none")
    table = inproc(runs.url, "events", "runs", event_id, "-o", "table")
    assert table.returncode == 0 and table.stdout == ""
    assert table.stderr == (
        f"no runs for event {event_id} (yet: runs are recorded asynchronously)\n"
    )
    assert inproc(runs.url, "events", "runs", event_id).stdout == "[]\n"


def test_run_get_every_format(runs: FaultServer, inproc: Any) -> None:
    event_id = sent_with_runs(runs, "test/fail")
    [run] = json.loads(inproc(runs.url, "events", "runs", event_id).stdout)
    as_json = inproc(runs.url, "runs", "get", run["run_id"])
    assert json.loads(as_json.stdout) == run
    assert inproc(runs.url, "runs", "get", run["run_id"], "-o", "ndjson").stdout == as_json.stdout
    assert (
        inproc(runs.url, "runs", "get", run["run_id"], "-o", "ids").stdout == run["run_id"] + "\n"
    )
    table = inproc(runs.url, "runs", "get", run["run_id"], "-o", "table").stdout
    assert re.search(r"^STATUS +Failed$", table, re.M)
    assert re.search(rf"^EVENT ID +{event_id}$", table, re.M)
    assert re.search(r"^DURATION +50 ms$", table, re.M)
    assert '"message": "boom"' in table


def test_running_run(runs: FaultServer, inproc: Any) -> None:
    event_id = sent_with_runs(runs, "test/hang")
    [run] = json.loads(inproc(runs.url, "events", "runs", event_id).stdout)
    assert run["status"] == "Running" and run["ended_at"] is None
    table = inproc(runs.url, "runs", "get", run["run_id"], "-o", "table").stdout
    assert re.search(r"^STATUS +Running$", table, re.M) and "ENDED" not in table
    assert "OUTPUT" not in table


def test_list_into_head_stops_paging(runs: FaultServer) -> None:
    import subprocess
    import sys

    post(runs.url, [{"name": "app/a"} for _ in range(300)])
    pipeline = subprocess.run(
        f"{sys.executable} -m inngest_cli events list --api-url {runs.url} -o ndjson | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert pipeline.returncode == 0 and pipeline.stderr == ""
    assert len(pipeline.stdout.splitlines()) == 1
    pages = [q for q in runs.state()["queries"] if q["path"] == "/v1/events"]
    assert len(pages) < 6  # not all 6 pages (and the empty one) of 300 events
