"""`send --wait` against tests/support/runserver.py (runs scripted by event name), and export and
replay: `events list -o ndjson | send` between two `serve` processes."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from inngest_cli.units import columns
from tests.conftest import FaultServer, ServeProcess, run_cli


@pytest.fixture
def runs(run_server: Any) -> FaultServer:
    server: FaultServer = run_server("--run-delay", "0.2")
    return server


def send_wait(url: str, *args: str, **kwargs: Any) -> Any:
    return run_cli(
        "send", "--dev", "--no-progress", "--event-api-url", url, "--wait", *args, **kwargs
    )


def lines(text: str, pattern: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(pattern, line)]


def test_completed_run_exits_0(runs: FaultServer) -> None:
    result = send_wait(runs.url, "--name", "test/ok", "-o", "ids")
    assert result.returncode == 0, result.stderr
    event_id = result.stdout.strip()
    [line] = lines(result.stderr, "run ")
    assert re.fullmatch(r"  run [0-9A-Z]{26} Completed in 200 ms", line)
    report = result.stderr.splitlines()
    assert report[report.index(line) - 1] == f"test/ok {event_id}"  # the event, then its runs
    assert report[report.index(line) + 1] == '    {"ok":true}'  # the output, on its own line
    assert "waiting for the runs of 1 event (--wait-timeout 300 s)" in result.stderr
    assert "error" not in result.stderr


def test_a_long_output_is_cut_to_80_columns_on_its_own_line(runs: FaultServer) -> None:
    """The run line keeps its IDs whole; the output below is cut to fit, counting a wide
    character (東) as two columns."""
    result = send_wait(runs.url, "--name", "test/long", "-o", "ids")
    assert result.returncode == 0, result.stderr
    event_id = result.stdout.strip()
    report = result.stderr.splitlines()
    [line] = lines(result.stderr, "run ")
    assert re.fullmatch(r"  run [0-9A-Z]{26} Completed in 200 ms", line)
    assert report[report.index(line) - 1] == f"test/long {event_id}"
    output = report[report.index(line) + 1]
    assert output == "    " + '{"rows":[' + '"Zürich 東京",' * 4 + '"Zürich 東…'
    assert columns(output) == 80


def test_a_long_name_and_the_ids_stay_whole(capsys: pytest.CaptureFixture[str]) -> None:
    """Names and IDs are never cut, even past 80 columns; only the output line is cut. With the
    event on a line of its own, a run's line fits 80 columns whatever the name."""
    from inngest_cli.cli.sendwait import _report
    from inngest_cli.waiting import EventWait, Outcome

    name = "billing/" + "invoice.payment-succeeded" * 2
    run = {"status": "Failed", "run_started_at": "2026-01-01T00:00:00Z",
           "ended_at": "2026-01-01T00:00:01.5Z", "output": {"error": "x" * 200}}
    event_id, run_id = "01M84BPBK90000000000000000", "01M84BPBK90000000000000001"
    _report(EventWait(event_id, name, {run_id: run}, Outcome.FAILED, 1.5))
    first, second, third = capsys.readouterr().err.splitlines()
    assert first == f"{name} {event_id}"
    assert second == f"  run {run_id} Failed in 1.5 s"
    assert third == '    {"error":"' + "x" * 65 + "…"
    assert len(third) == 80 and len(second) <= 80


def test_two_runs_are_both_waited_for(runs: FaultServer) -> None:
    result = send_wait(runs.url, "--name", "test/two")
    assert result.returncode == 0, result.stderr
    assert len(lines(result.stderr, r"^test/two [0-9A-Z]{26}$")) == 1  # one event, two runs
    assert len(lines(result.stderr, r"^  run [0-9A-Z]{26} Completed")) == 2


@pytest.mark.parametrize(
    ("name", "status", "output"),
    [
        ("test/fail", "Failed", '\n    {"error":{"name":"Error","message":"boom"}}'),
        ("test/cancel", "Cancelled", ""),
    ],
)
def test_failed_run_exits_1(runs: FaultServer, name: str, status: str, output: str) -> None:
    result = send_wait(runs.url, "--name", name, "-o", "ids")
    assert result.returncode == 1
    event_id = result.stdout.strip()
    assert re.search(
        rf"^{name} {event_id}\n  run [0-9A-Z]{{26}} {status} in 200 ms{re.escape(output)}$",
        result.stderr,
        re.M,
    )
    assert result.stderr.endswith("error: 1 of 1 events did not complete: 1 failed\n")


def test_mixed_outcomes_and_timeout(runs: FaultServer) -> None:
    events = "".join(
        json.dumps({"name": name}) + "\n"
        for name in ("test/ok", "test/hang", "test/fail", "test/none", "test/ok")
    )
    result = send_wait(runs.url, "--wait-timeout", "1.5", "-o", "ids", input=events)
    assert result.returncode == 1
    ids = result.stdout.split()
    assert len(ids) == 5  # send's own output is unchanged
    err = result.stderr
    assert len(lines(err, r"^  run [0-9A-Z]{26} Completed in 200 ms$")) == 2
    assert re.search(
        rf"^test/hang {ids[1]}\n  run [0-9A-Z]{{26}} still Running after 1\.\d s$", err, re.M
    )
    assert re.search(rf"^test/none {ids[3]}: no runs after 1\.\d s$", err, re.M)
    assert err.endswith(
        "error: 3 of 5 events did not complete: 1 failed, 1 still running after 1.5 s, "
        "1 started no run\n"
        "hint: is a function triggered by these events synced to this environment?\n"
    )


def test_timeout_alone(runs: FaultServer) -> None:
    result = send_wait(runs.url, "--name", "test/hang", "--wait-timeout", "0.5")
    assert result.returncode == 1
    assert result.stderr.endswith(
        "error: 1 of 1 events did not complete: 1 still running after 0.5 s\n"
        "hint: raise --wait-timeout, or check the run with `inngest-cli runs get RUN_ID`\n"
    )


def test_wait_reads_runs_from_the_rest_api_url(runs: FaultServer, serve: ServeProcess) -> None:
    """Events to `serve` (which runs nothing), runs read from INNGEST_API_BASE_URL: the event is
    not there, which is reported as such."""
    result = run_cli(
        "send",
        "--dev",
        "--event-api-url",
        serve.url,
        "--name",
        "test/ok",
        "--wait",
        "--wait-timeout",
        "0.5",
        env={"INNGEST_API_BASE_URL": runs.url},
    )
    assert result.returncode == 1
    assert "event not found through the REST API" in result.stderr
    assert any(q["path"].endswith("/runs") for q in runs.state()["queries"])


def test_wait_with_a_partial_send_keeps_the_partial_exit_code(runs: FaultServer) -> None:
    events = '{"name":"test/ok"}\n{"name":""}\n'
    result = send_wait(runs.url, "-o", "ids", input=events)
    assert result.returncode == 6, result.stderr
    assert "Completed" in result.stderr


def test_wait_and_dry_run_is_a_usage_error() -> None:
    result = run_cli("send", "--dev", "--name", "a", "--wait", "--dry-run")
    assert result.returncode == 2
    assert result.stderr == "error: --wait cannot be combined with --dry-run: nothing is sent\n"


def test_wait_against_cloud_needs_a_signing_key_before_sending() -> None:
    result = run_cli(
        "send", "--name", "a", "--wait", "--event-key", "k", "--event-api-url", "http://127.0.0.1:9"
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: --wait reads runs through the REST API, which needs a signing key\n"
        "hint: set INNGEST_SIGNING_KEY or --signing-key (the key of the events'\n"
        "      environment)\n"
    )


SIGNING_KEY = "signkey-test-" + "ab" * 32


def test_signing_key_flag_authenticates_the_reads_of_wait(run_server: Any) -> None:
    import hashlib

    server = run_server("--run-delay", "0.2", "--signing-key", SIGNING_KEY)
    refused = send_wait(server.url, "--name", "test/ok", "-o", "ids")
    assert refused.returncode == 3
    assert refused.stderr.splitlines()[-1] == "hint: set INNGEST_SIGNING_KEY or pass --signing-key"
    result = send_wait(server.url, "--name", "test/ok", "-o", "ids", "--signing-key", SIGNING_KEY)
    assert result.returncode == 0, result.stderr
    assert len(lines(result.stderr, r"^  run [0-9A-Z]{26} Completed")) == 1
    hashed = hashlib.sha256(bytes.fromhex("ab" * 32)).hexdigest()
    assert server.state()["auth"][-1] == f"Bearer {hashed}"
    assert SIGNING_KEY not in result.stderr + result.stdout


# -- export and replay --------------------------------------------------------------------


EXPORTED = [
    {"name": "app/a", "data": {"n": 1, "f": 0.1, "s": "<&>\u2028é"}, "id": "a-1"},
    {"name": "app/b", "data": {"nested": {"x": [1, "two", None]}}, "user": {"u": 7}, "v": "3"},
    {"name": "app/c", "ts": 1_700_000_000_000},
]


def export(source: ServeProcess) -> str:
    sent = run_cli(
        "send",
        "--dev",
        "--event-api-url",
        source.url,
        "-q",
        input="".join(json.dumps(e) + "\n" for e in EXPORTED),
    )
    assert sent.returncode == 0, sent.stderr
    result = run_cli(
        "events", "list", "--dev", "--api-url", source.url, "--since", "1h", "-o", "ndjson"
    )
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


@pytest.mark.parametrize("keep_ts", [False, True])
def test_export_piped_into_send_reproduces_the_events(serve_factory: Any, keep_ts: bool) -> None:
    source, target = serve_factory(), serve_factory()
    exported = export(source)
    args = ["--keep-ts"] if keep_ts else []
    replay = run_cli(
        "send", "--dev", "--event-api-url", target.url, "-q", "-o", "ids", *args, input=exported
    )
    assert replay.returncode == 0, replay.stderr
    before = {e["name"]: e for e in source.events()}
    after = {e["name"]: e for e in target.events()}
    assert set(before) == set(after) == {"app/a", "app/b", "app/c"}
    for name, old in before.items():
        new = after[name]
        assert new["internal_id"] != old["internal_id"]
        for field in ("data", "user", "v"):
            assert new.get(field) == old.get(field), field
        # the sender's id is kept; one the server made up (= internal_id) is kept as well
        assert new["id"] == old["id"]
        if keep_ts:
            assert new["ts"] == old["ts"]
        else:
            assert new["ts"] != old["ts"]
    assert (after["app/c"]["ts"] == 1_700_000_000_000) is keep_ts


def test_exported_lines_are_the_apis_objects(serve: ServeProcess) -> None:
    exported = export(serve)
    rows = [json.loads(line) for line in exported.splitlines()]
    assert rows == httpx.get(f"{serve.url}/v1/events").json()["data"]


def test_more_events_than_wait_follows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from inngest_cli.cli import sendwait
    from inngest_cli.config import APIConfig
    from inngest_cli.errors import UsageError
    from inngest_cli.payload import Event

    monkeypatch.setattr(sendwait, "MAX_WAIT_EVENTS", 2)
    waiter = sendwait.RunWaiter(APIConfig("http://127.0.0.1:9", None, None, None, True), 1)
    for n in range(3):
        waiter.collect(Event("stdin", n + 1, b"{}", b"{}", "app/a", None), f"ID{n}")
    assert waiter.events == [("ID0", "app/a"), ("ID1", "app/a")]
    with pytest.raises(UsageError) as caught:
        waiter.finish(0)
    assert (
        caught.value.message == "--wait follows at most 2 events; 3 were sent, and not waited for"
    )
    assert waiter.finish(130) == 130  # interrupted: no wait, no error
