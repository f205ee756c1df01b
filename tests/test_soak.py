"""Soak: N events, each numbered by its own data.seq, sent by the real CLI through `serve` and
through the fault-injecting server with 2% faults of every kind (500, 429, reset, drop, slow).
By sequence number, every event must be stored exactly once (a retried request may replay the
same IDs, which the servers store once) or reported failed in --failed-out: lost == 0 and
duplicated == 0.

N comes from INNGEST_CLI_SOAK_EVENTS: 20,000 by default (what CI runs, well under a minute); the
full soak is 1,000,000 (see the README).  INNGEST_CLI_SOAK_BATCH sets the events per request
for the fault-server run (default 10, so that N/10 requests meet 2% faults).  The figures go to
stderr (`pytest -s` shows them) and to the test's junit properties; with
INNGEST_CLI_SOAK_REPORT=FILE they are also appended to FILE as one JSON line per run.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, start_serve

pytestmark = pytest.mark.soak

EVENTS = int(os.environ.get("INNGEST_CLI_SOAK_EVENTS", "20000"))
FAULT_BATCH = int(os.environ.get("INNGEST_CLI_SOAK_BATCH", "10"))
REPORT = os.environ.get("INNGEST_CLI_SOAK_REPORT")  # read now: conftest clears INNGEST_* per test
NAME = "soak/seq"
Record = Callable[[str, object], None]


@pytest.fixture(scope="module")
def soak_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("soak") / "events.ndjson"
    with open(path, "w") as out:
        for seq in range(EVENTS):
            out.write(f'{{"name":"{NAME}","data":{{"seq":{seq}}}}}\n')
    return path


def send(url: str, source: Path, failed_out: Path, *extra: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [*CLI, "send", "--dev", "--event-api-url", url, "--no-progress", "-o", "ndjson",
         "--failed-out", str(failed_out), *extra, str(source)],
        capture_output=True, text=True, timeout=300 + EVENTS / 500, stdin=subprocess.DEVNULL,
        check=False)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


def tally(stored: Counter[int], failed_out: Path) -> dict[str, Any]:
    """Events, stored, failed, lost and duplicated, by sequence number."""
    failed = Counter(json.loads(line)["data"]["seq"]
                     for line in failed_out.read_text().splitlines())
    assert set(stored) | set(failed) <= set(range(EVENTS))
    return {
        "events": EVENTS,
        "stored": len(stored),
        "failed": sum(failed.values()),
        "lost": sum(1 for seq in range(EVENTS) if seq not in stored and seq not in failed),
        "duplicated": sum(n - 1 for n in stored.values() if n > 1)
        + sum(1 for seq in failed if seq in stored),
    }


def report(name: str, figures: dict[str, Any], record: Record) -> None:
    line = json.dumps({"run": name, **figures})
    sys.stderr.write(f"soak {line}\n")
    for key, value in figures.items():
        record(f"{name}.{key}", value)
    if REPORT:
        with open(REPORT, "a") as out:
            out.write(line + "\n")


def accepted_ids(stdout: str) -> dict[int, str]:
    """seq -> the event ID the CLI reported for it (input line n carries seq n - 1)."""
    out: dict[int, str] = {}
    for line in stdout.splitlines():
        row = json.loads(line)
        assert row["line"] - 1 not in out, row
        out[row["line"] - 1] = row["id"]
    return out


def test_soak_through_serve(soak_input: Path, tmp_path: Path,
                            record_property: Record) -> None:
    db = str(tmp_path / "soak.db")
    server = start_serve("--quiet", db=db)
    failed_out = tmp_path / "failed.ndjson"
    try:
        code, stdout, stderr, elapsed = send(server.url, soak_input, failed_out,
                                             "--max-batch", "100")
    finally:
        assert server.stop() == 0
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT json_extract(data, '$.seq'), internal_id FROM events "
                            "WHERE name = ?", (NAME,)).fetchall()
    finally:
        conn.close()
    stored = Counter(seq for seq, _ in rows)
    figures = tally(stored, failed_out)
    figures.update(requests=-(-EVENTS // 100), seconds=round(elapsed, 1),
                   events_per_second=round(EVENTS / elapsed))
    report("serve", figures, record_property)
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert figures["lost"] == 0 and figures["duplicated"] == 0
    assert figures["failed"] == 0
    assert accepted_ids(stdout) == {seq: internal_id for seq, internal_id in rows}


def test_soak_through_faults(soak_input: Path, tmp_path: Path, fault_server: Any,
                             record_property: Record) -> None:
    server = fault_server("--fault-rate", "0.02", "--seed", "7", "--retry-after", "0.05",
                          "--slow", "0.8", "--lean")
    failed_out = tmp_path / "failed.ndjson"
    code, stdout, stderr, elapsed = send(server.url, soak_input, failed_out,
                                         "--max-batch", str(FAULT_BATCH), "--timeout", "0.5")
    state = server.state()
    stored = Counter(e["data"]["seq"] for e in state["events"])
    figures = tally(stored, failed_out)
    injected = state["injected"]
    figures.update(requests=state["requests"], replays=state["replays"],
                   faults=sum(injected.values()), **{f"fault_{k}": v for k, v in
                                                     sorted(injected.items())},
                   seconds=round(elapsed, 1), events_per_second=round(EVENTS / elapsed))
    report("faults", figures, record_property)
    assert "Traceback" not in stderr
    assert figures["lost"] == 0 and figures["duplicated"] == 0
    assert code == (6 if figures["failed"] else 0), stderr[-3000:]
    if state["requests"] >= 1500:  # enough requests that 2% meets every kind
        assert set(injected) == {"500", "429", "reset", "drop", "slow"}, injected
    # Each accepted event's reported ID is the one it is stored under.
    by_id = {event_id: e["data"]["seq"] for event_id, e in zip(state["ids"], state["events"],
                                                                strict=True)}
    assert {seq: by_id[event_id] for seq, event_id in accepted_ids(stdout).items()} == {
        seq: seq for seq in stored}


KILLS = int(os.environ.get("INNGEST_CLI_SOAK_KILLS", "8"))


def test_soak_killed_at_random_moments(tmp_path: Path, fault_server: Any,
                                       record_property: Record) -> None:
    """`send --checkpoint` killed (SIGKILL) again and again, each time right as the fault server
    has stored a request chosen at random (its reply still on the way), with 2% faults of every
    kind, then rerun until it completes: every event stored exactly once, none failed."""
    import random

    import httpx

    count = max(1000, EVENTS // 4)
    source = tmp_path / "events.ndjson"
    with open(source, "w") as out:
        for seq in range(count):
            out.write(f'{{"name":"{NAME}","data":{{"seq":{seq}}}}}\n')
    server = fault_server("--fault-rate", "0.02", "--seed", "11", "--retry-after", "0.05",
                          "--slow", "0.8", "--delay", "0.05", "--lean")
    checkpoint, failed_out = tmp_path / "soak.ckpt", tmp_path / "failed.ndjson"
    args = [*CLI, "send", "--dev", "--event-api-url", server.url, "--no-progress", "-o", "ndjson",
            "--failed-out", str(failed_out), "--checkpoint", str(checkpoint),
            "--max-batch", "25", "--timeout", "0.5", str(source)]
    rng = random.Random(int(os.environ.get("INNGEST_CLI_TEST_SEED", "13")))
    started = time.monotonic()
    kills = runs = 0
    stdout = ""
    for _ in range(KILLS + 5):  # bounded: the kills, then runs to completion
        runs += 1
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)
        if kills < KILLS:
            target = httpx.get(f"{server.url}/_wait", params={"stored": 0}).json()["stored"]
            target += 1 if kills == 0 else rng.randint(1, 12)  # first: during request 1
            while proc.poll() is None:
                reply = httpx.get(f"{server.url}/_wait", params={"stored": target, "timeout": 1},
                                  timeout=10).json()
                if reply["reached"]:
                    proc.kill()
                    kills += 1
                    break
        stdout, stderr = proc.communicate(timeout=300)
        if proc.returncode == 0:
            break
        assert proc.returncode in (-signal.SIGKILL, 5), stderr[-2000:]
    assert proc.returncode == 0, stderr[-2000:]
    state = server.state()
    stored = Counter(e["data"]["seq"] for e in state["events"])
    figures = tally_of(stored, failed_out, count)
    figures.update(kills=kills, runs=runs, requests=state["requests"], replays=state["replays"],
                   faults=sum(state["injected"].values()),
                   seconds=round(time.monotonic() - started, 1))
    report("kills", figures, record_property)
    assert kills >= min(KILLS, 3), figures
    assert figures["lost"] == 0 and figures["duplicated"] == 0 and figures["failed"] == 0
    assert json.loads(checkpoint.read_text())["complete"] is True


def tally_of(stored: Counter[int], failed_out: Path, count: int) -> dict[str, Any]:
    failed = Counter(json.loads(line)["data"]["seq"]
                     for line in failed_out.read_text().splitlines())
    return {
        "events": count,
        "stored": len(stored),
        "failed": sum(failed.values()),
        "lost": sum(1 for seq in range(count) if seq not in stored and seq not in failed),
        "duplicated": sum(n - 1 for n in stored.values() if n > 1)
        + sum(1 for seq in failed if seq in stored),
    }
