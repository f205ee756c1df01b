"""Ctrl-C and resume: an interrupted bulk send settles what it can, exits 130 with a summary, and
rerunning the same command with the same --checkpoint sends the rest with the same IDs: no event
lost, none stored twice, even when the process is killed outright at a random point."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson

from inngest_cli.units import labelled
from tests.conftest import CLI, ndjson_events

EVENTS = 1500


def _start(url: str, path: Path, checkpoint: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, "send", str(path), "--dev", "--event-api-url", url, "--no-progress",
         "--max-batch", "50", "--checkpoint", str(checkpoint), "-o", "ndjson", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        env=os.environ.copy(),
    )


def _stored_seqs(state: dict[str, Any]) -> Counter[int]:
    return Counter(e["data"]["seq"] for e in state["events"])


def test_sigint_settles_exits_130_and_resumes_without_duplicates(
    fault_server: Any, tmp_path: Path
) -> None:
    server = fault_server("--delay", "0.05")
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(EVENTS))
    checkpoint = tmp_path / "send.checkpoint"
    proc = _start(server.url, path, checkpoint)
    assert proc.stdout is not None
    head = proc.stdout.readline()  # a batch has settled (the checkpoint exists from the start)
    assert head, proc.stderr.read() if proc.stderr else ""
    proc.send_signal(signal.SIGINT)
    out = head + proc.stdout.read()  # what readline buffered is not seen by communicate()
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait(timeout=30)
    proc.stdout.close()
    if proc.stderr:
        proc.stderr.close()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "error: interrupted: " in err
    assert labelled("hint:", f"rerun the same command to resume from {checkpoint}") in err
    first = [orjson.loads(line)["line"] for line in out.splitlines()]
    assert 0 < len(first) < EVENTS

    proc = _start(server.url, path, checkpoint)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    second = [orjson.loads(line)["line"] for line in out.splitlines()]
    assert sorted(first + second) == list(range(1, EVENTS + 1))
    assert _stored_seqs(server.state()) == Counter(range(EVENTS))

    requests = server.state()["requests"]
    again = _start(server.url, path, checkpoint)
    out, err = again.communicate(timeout=30)
    assert again.returncode == 0
    assert "was already sent in full" in err
    assert server.state()["requests"] == requests


def test_killed_at_random_points_loses_and_duplicates_nothing(
    fault_server: Any, tmp_path: Path
) -> None:
    server = fault_server("--delay", "0.1")
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(EVENTS))
    checkpoint = tmp_path / "send.checkpoint"
    rng = random.Random(int(os.environ.get("INNGEST_CLI_TEST_SEED", "7")))
    killed_mid_run = 0
    for _ in range(4):
        proc = _start(server.url, path, checkpoint)
        stored = httpx.get(f"{server.url}/_wait", params={"stored": 0}).json()["stored"]
        target = stored + rng.randint(1, 8)  # a request stored, its reply still on the way
        while proc.poll() is None:
            if httpx.get(f"{server.url}/_wait", params={"stored": target, "timeout": 1},
                         timeout=10).json()["reached"]:
                break
        proc.kill()  # no chance to settle: in-flight requests may have been applied
        proc.communicate()
        if checkpoint.exists() and not orjson.loads(checkpoint.read_bytes())["complete"]:
            killed_mid_run += 1
    assert killed_mid_run, "every kill came after the run had finished: nothing was tested"
    proc = _start(server.url, path, checkpoint)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    state = server.state()
    assert _stored_seqs(state) == Counter(range(EVENTS)), "lost or duplicated events"
    assert sum(state["injected"].values()) == 0


def test_checkpoint_refuses_other_inputs_or_options(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(10))
    checkpoint = tmp_path / "send.checkpoint"
    proc = _start(server.url, path, checkpoint)
    assert proc.wait(timeout=30) == 0
    proc.communicate()
    other = tmp_path / "other.ndjson"
    other.write_text(ndjson_events(10))
    proc = _start(server.url, other, checkpoint)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.startswith(
        f"error: --checkpoint: {checkpoint} was written for a different input or command "
        "(the inputs differ)\n"
    )
    proc = _start(server.url, path, checkpoint, "--max-batch", "7")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.startswith(
        f"error: --checkpoint: {checkpoint} was written for a different input or command "
        "(--max-batch differs)\n"
    )


def test_checkpoint_holds_no_key(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(5))
    checkpoint = tmp_path / "send.checkpoint"
    key = "sentinel-event-key-0123456789"
    result = subprocess.run(
        [*CLI, "send", str(path), "--event-api-url", server.url, "--event-key", key,
         "--checkpoint", str(checkpoint)],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert key not in checkpoint.read_text()
    assert sys.executable  # the run used this interpreter
