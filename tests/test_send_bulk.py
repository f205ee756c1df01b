"""Bulk sending against a fault-injecting server: every input line ends up stored exactly once or
reported failed, retried batches keep their IDs, partial failures resend the rest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import ndjson_events, run_cli

SEND = ["send", "--dev", "--no-progress"]


def _seqs(state: dict[str, Any]) -> Counter[int]:
    return Counter(e["data"]["seq"] for e in state["events"])


def _ndjson_out(stdout: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def _seq_of_id(state: dict[str, Any]) -> dict[str, int]:
    return {i: e["data"]["seq"] for i, e in zip(state["ids"], state["events"], strict=True)}


def test_batches_respect_count_limit_and_keep_order(fault_server: Any) -> None:
    server = fault_server()
    result = run_cli(
        *SEND,
        "--event-api-url",
        server.url,
        "--max-batch",
        "7",
        "-o",
        "ndjson",
        input=ndjson_events(50),
    )
    assert result.returncode == 0, result.stderr
    state = server.state()
    assert state["requests"] == 8
    assert _seqs(state) == Counter(range(50))
    out = _ndjson_out(result.stdout)
    assert [r["line"] for r in out] == list(range(1, 51))
    assert [_seq_of_id(state)[r["id"]] for r in out] == list(range(50))
    assert "sent 50 events in 8 requests (0 retries), 0 failed" in result.stderr


def test_batches_respect_byte_limit(fault_server: Any) -> None:
    server = fault_server("--max-body", "1000")
    result = run_cli(
        *SEND,
        "--event-api-url",
        server.url,
        "--max-request-bytes",
        "1000",
        "-o",
        "ids",
        input=ndjson_events(200),
    )
    assert result.returncode == 0, result.stderr
    state = server.state()
    assert _seqs(state) == Counter(range(200))
    assert len(result.stdout.split()) == 200


@pytest.mark.parametrize("fault", ["500", "reset", "drop", "slow"])
def test_retried_batch_keeps_its_ids_and_is_stored_once(fault_server: Any, fault: str) -> None:
    server = fault_server("--faults", f"ok,{fault}", "--slow", "3")
    result = run_cli(
        *SEND,
        "--event-api-url",
        server.url,
        "--max-batch",
        "10",
        "--timeout",
        "1",
        "--concurrency",
        "1",
        "-o",
        "ndjson",
        input=ndjson_events(30),
    )
    assert result.returncode == 0, result.stderr
    state = server.state()
    assert _seqs(state) == Counter(range(30))
    assert state["requests"] == 4
    if fault != "reset":  # a reset comes before the server reads the headers' seed
        # the retry of request 2 carried the same seed, so its IDs are the stored ones
        assert state["seeds"][1] == state["seeds"][2]
    assert [_seq_of_id(state)[r["id"]] for r in _ndjson_out(result.stdout)] == list(range(30))
    assert "(1 retry)" in result.stderr
    if fault in ("drop", "slow"):
        assert state["replays"] == 10


def test_429_honours_retry_after(fault_server: Any) -> None:
    server = fault_server("--faults", "429")
    result = run_cli(*SEND, "--event-api-url", server.url, input=ndjson_events(3))
    assert result.returncode == 0, result.stderr
    state = server.state()
    assert state["times"][1] - state["times"][0] >= 0.9
    assert _seqs(state) == Counter(range(3))


def test_gives_up_after_retries_and_reports_unreachable(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server("--faults", "500,500,500")
    failed = tmp_path / "failed.ndjson"
    result = run_cli(
        *SEND,
        "--event-api-url",
        server.url,
        "--retries",
        "2",
        "--failed-out",
        str(failed),
        input=ndjson_events(3),
    )
    assert result.returncode == 5
    assert server.state()["events"] == []
    # A 500 may come after the server stored the events: unconfirmed, so not replayable.
    assert failed.read_text() == ""
    assert (
        "warning: stdin:1-3: 3 events unconfirmed (gave up after 3 attempts: injected): the "
        "server may have stored them; not written to --failed-out: sending them again could "
        "store them twice\n"
    ) in result.stderr
    assert "error: stdin:1:" not in result.stderr  # a run-level failure: one line, not three
    assert result.stderr.endswith(
        f"error: the Event API at {server.url}/e/****_SET kept failing after 3 attempts: "
        "injected\n"
    )


def test_partial_failure_resends_the_rest(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    lines = (
        ndjson_events(3) + '{"name":"fault/reject","data":{"seq":-1}}\n' + ndjson_events(3, start=3)
    )
    failed = tmp_path / "failed.ndjson"
    result = run_cli(
        *SEND,
        "--event-api-url",
        server.url,
        "-o",
        "ndjson",
        "--failed-out",
        str(failed),
        input=lines,
    )
    assert result.returncode == 6, result.stderr
    state = server.state()
    assert _seqs(state) == Counter(range(6))
    assert state["requests"] == 2
    assert [r["line"] for r in _ndjson_out(result.stdout)] == [1, 2, 3, 5, 6, 7]
    assert "error: stdin:4: event rejected by the fault server" in result.stderr
    assert failed.read_text() == '{"name":"fault/reject","data":{"seq":-1}}\n'


def test_on_error_stop_sends_nothing_after_the_failure(fault_server: Any) -> None:
    server = fault_server()
    lines = ndjson_events(3) + '{"name":""}\n' + ndjson_events(3, start=3)
    result = run_cli(*SEND, "--event-api-url", server.url, "--on-error", "stop", input=lines)
    assert result.returncode == 1
    assert server.state()["requests"] == 0
    assert "error: stdin:4: event name is empty" in result.stderr
    assert "stopped reading at stdin:4" in result.stderr


def test_413_splits_and_lowers_the_cap(fault_server: Any) -> None:
    server = fault_server("--max-body", "400")
    result = run_cli(*SEND, "--event-api-url", server.url, "-o", "ids", input=ndjson_events(40))
    assert result.returncode == 0, result.stderr
    assert _seqs(server.state()) == Counter(range(40))


def test_invalid_lines_are_reported_and_the_rest_sent(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    bad = [
        '{"name":""}',
        "not json",
        "[1]",
        '{"name":"a","ts":1700000000}',
        "\xff".encode("latin-1").decode("latin-1"),
    ]
    text = ndjson_events(2) + "\n".join(bad[:4]) + "\n" + ndjson_events(2, start=2)
    failed = tmp_path / "failed.ndjson"
    result = run_cli(*SEND, "--event-api-url", server.url, "--failed-out", str(failed), input=text)
    assert result.returncode == 6
    assert _seqs(server.state()) == Counter(range(4))
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: stdin:3: event name is empty",
        "error: stdin:4: invalid JSON: invalid literal, expected 'null' (column 1)",
        "error: stdin:5: event must be a JSON object, not an array",
        "error: stdin:6: timestamp is before Jan 1, 1980",
    ]
    assert failed.read_text().splitlines() == bad[:4]


def test_failed_out_replays_just_the_failures(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    text = ndjson_events(2) + '{"name":"fault/reject","data":{"seq":99}}\n'
    failed = tmp_path / "failed.ndjson"
    first = run_cli(*SEND, "--event-api-url", server.url, "--failed-out", str(failed), input=text)
    assert first.returncode == 6
    fixed = failed.read_text().replace("fault/reject", "test/seq")
    failed.write_text(fixed)
    second = run_cli(*SEND, "--event-api-url", server.url, str(failed))
    assert second.returncode == 0, second.stderr
    assert _seqs(server.state()) == Counter([0, 1, 99])


def _at_once(state: dict[str, Any], within: float) -> int:
    """How many requests arrived within ``within`` seconds of the first."""
    times = state["times"]
    return sum(1 for t in times if t - times[0] < within)


@pytest.mark.parametrize(
    ("args", "window"), [((), 2), (("--concurrency", "4"), 4), (("-c", "1"), 1)]
)
def test_requests_in_flight_to_a_server_on_this_machine(
    fault_server: Any, args: tuple[str, ...], window: int
) -> None:
    """Against 127.0.0.1 two requests are in flight unless --concurrency says otherwise: with
    every reply held 0.5 s, the requests arrive in groups of the window, each group a reply
    after the one before, and every event is stored once."""
    server = fault_server("--delay", "0.5")
    result = run_cli(
        *SEND, "--event-api-url", server.url, "--max-batch", "1", *args, "-o", "ids",
        input=ndjson_events(8),
    )
    assert result.returncode == 0, result.stderr
    state = server.state()
    assert _seqs(state) == Counter(range(8))
    assert _at_once(state, 0.4) == window
    assert state["times"][window] - state["times"][0] >= 0.45  # the next waited for a reply


@pytest.mark.parametrize(
    ("origin", "window"),
    [
        ("http://127.0.0.1:8288", 2), ("http://127.3.4.5", 2), ("http://localhost:8288", 2),
        ("http://LocalHost.:1", 2), ("http://app.localhost:3000", 2), ("http://[::1]:8288", 2),
        ("http://[::ffff:127.0.0.1]:1", 2), ("http://0.0.0.0:8288", 2), ("http://[::]:1", 2),
        ("https://inn.gs", 4), ("http://10.0.0.7:8288", 4), ("http://[::2]:1", 4),
        ("http://[::ffff:10.0.0.1]:1", 4), ("http://127.0.0.1.example.com", 4),
        ("http://localhost.example.com", 4), ("http://inngest:8288", 4),
    ],
)
def test_default_window_by_where_the_server_is(origin: str, window: int) -> None:
    """No DNS lookup: a name is local only as `localhost` (RFC 6761 reserves its subdomains)."""
    from inngest_cli.eventapi import default_window

    assert default_window(origin) == window
