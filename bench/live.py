"""Live-input benchmark: how long an event written to an open pipe takes to reach the server, and
what the progress display costs.

    .venv/bin/python bench/live.py             # delays (about 20 s), then progress (about 30 s)
    .venv/bin/python bench/live.py --delays    # only the delays

Delays: `inngest-cli send` reads a pipe this script holds open and writes to at a given pace;
each event carries its write time, and tests/support/faultserver.py records when each request
arrived, so the delay is measured at the server. The CLI is started two seconds before the first
write, so its start-up is not counted. Cases: a slow pipe (one event every 500 ms), a steady one
(200 events/s), and the steady one with --linger 1.

Progress: 200k events from bench/out (made by bench/bulk.py) to bench/nullsink.py, stderr on a
pseudo-terminal (the display is drawn) or --no-progress, stdout to a file: wall and CPU seconds,
and how many IDs reached the file. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent
PY = sys.executable
CLI = [PY, "-m", "inngest_cli"]


def start(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
    assert match, f"{cmd} did not start"
    return proc, match.group(0)


def state(url: str) -> Any:
    with urllib.request.urlopen(f"{url}/_state") as reply:
        return orjson.loads(reply.read())


def delays(url: str, count: int, gap: float, *extra: str) -> None:
    seen_before = len(state(url)["times"])
    proc = subprocess.Popen(
        [*CLI, "send", "--dev", "--event-api-url", url, "--no-progress", "-q", "-o", "ids", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    time.sleep(2.0)  # start-up is not part of the delay
    for _ in range(count):
        proc.stdin.write(orjson.dumps({"name": "bench/live", "data": {"t": time.time()}}) + b"\n")
        proc.stdin.flush()
        time.sleep(gap)
    time.sleep(1.5)  # the last events settle (at most --linger plus a request)
    now = state(url)
    proc.stdin.close()
    proc.wait()
    waited = sorted(
        arrived - event["data"]["t"]
        for arrived, seen in zip(now["times"][seen_before:], now["seen"][seen_before:], strict=True)
        for event in orjson.loads(seen["body"])
    )
    assert len(waited) == count, f"{len(waited)} of {count} events arrived"
    print(
        f"  {count} events, one every {gap * 1000:.0f} ms {' '.join(extra)}: "
        f"{len(now['times']) - seen_before} requests; write -> server median "
        f"{statistics.median(waited) * 1000:.0f} ms, p95 "
        f"{waited[int(len(waited) * 0.95) - 1] * 1000:.0f} ms, max {waited[-1] * 1000:.0f} ms"
    )


def progress_cost(path: Path, url: str, shown: bool, out: Path) -> tuple[float, float, int]:
    master, slave = pty.openpty()
    args = [*CLI, "send", str(path), "--dev", "--event-api-url", url, "-o", "ids"]
    if not shown:
        args.append("--no-progress")
    with open(out, "wb") as stdout:
        started = time.perf_counter()
        proc = subprocess.Popen(
            args, stdout=stdout, stderr=slave, stdin=subprocess.DEVNULL,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "120"},
        )
        os.close(slave)
        while select.select([master], [], [], 60)[0]:
            try:
                if not os.read(master, 65536):
                    break
            except OSError:  # EIO: the child closed the terminal
                break
        os.close(master)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0
    return wall, usage.ru_utime + usage.ru_stime, len(out.read_bytes().splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delays", action="store_true", help="only the delays")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server, url = start([PY, str(ROOT.parent / "tests" / "support" / "faultserver.py")])
    try:
        print("delay from a write to the server:")
        delays(url, 20, 0.5)
        delays(url, 1000, 0.005)
        delays(url, 1000, 0.005, "--linger", "1")
    finally:
        server.kill()
        server.communicate()
    if args.delays:
        return
    path = ROOT / "out" / "events-200000.ndjson"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run bench/bulk.py --sizes 200000 once")
    sink, url = start([PY, str(ROOT / "nullsink.py")])
    try:
        print("progress display, 200k events, stderr on a terminal, stdout to a file:")
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.rounds):
                for shown in (True, False):
                    wall, cpu, ids = progress_cost(path, url, shown, Path(tmp) / "ids.txt")
                    print(
                        f"  progress {'on ' if shown else 'off'}: {wall:.2f} s wall, "
                        f"{cpu:.2f} s CPU, {ids} IDs in the file"
                    )
    finally:
        sink.kill()
        sink.communicate()


if __name__ == "__main__":
    main()
