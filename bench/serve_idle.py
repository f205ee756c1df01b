"""Idle-connection flood benchmark: what `inngest-cli serve` costs, and whether it still answers
`/health`, while a client holds many connections open and silent.

    .venv/bin/python bench/serve_idle.py                       # 400 and 5,000 sockets, fd limit 256
    .venv/bin/python bench/serve_idle.py --sockets 400 --nofile 256 --sockets 5000

It starts `inngest-cli serve --port 0 --db :memory: --quiet` with its file-descriptor limit (soft
and hard) set to ``--nofile``, opens ``--sockets`` TCP connections to it on 127.0.0.1 that send
nothing, waits until the server's thread count stops changing (at most 10 s), then reports:

  threads   the server's thread count (/proc/PID/status)
  rss       its resident memory
  cpu       its CPU use over 2 s while the sockets stay open (100% = one core)
  health    the median and worst time of 10 `GET /health` on fresh connections
            ("no answer" when one took longer than 5 s)
  post      whether a `POST /e/k` on a fresh connection was answered 200

and the same figures before the flood.  Every wait is bounded; nothing leaves 127.0.0.1.
Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def proc_status(pid: int) -> tuple[int, int]:
    """(threads, RSS in KiB) of process ``pid``."""
    text = Path(f"/proc/{pid}/status").read_text()
    threads = int(re.search(r"^Threads:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    rss = int(re.search(r"^VmRSS:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    return threads, rss


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def exchange(port: int, request: bytes, timeout: float) -> tuple[float | None, int]:
    """Seconds until a complete reply arrived on a fresh connection (None: none within
    ``timeout``), and its status."""
    started = time.perf_counter()
    deadline = started + timeout
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(request)
            reply = b""
            while b"\r\n\r\n" not in reply:
                sock.settimeout(max(0.01, deadline - time.perf_counter()))
                chunk = sock.recv(4096)
                if not chunk:
                    return None, 0
                reply += chunk
    except OSError:
        return None, 0
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.") else 0
    return time.perf_counter() - started, status


HEALTH = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
POST = (b"POST /e/k HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 18\r\n\r\n"
        b'{"name":"bench/a"}')


def measure(pid: int, port: int) -> dict[str, str]:
    before = cpu_seconds(pid)
    time.sleep(2)
    cpu = (cpu_seconds(pid) - before) / 2
    times = []
    for _ in range(10):
        took, status = exchange(port, HEALTH, 5)
        times.append(took if status == 200 else None)
    answered = [t for t in times if t is not None]
    threads, rss = proc_status(pid)
    health = (f"median {statistics.median(answered) * 1000:.1f} ms, "
              f"worst {max(answered) * 1000:.1f} ms" if answered else "no answer")
    if len(answered) < len(times):
        health += f" ({len(times) - len(answered)}/10 no answer within 5 s)"
    _, post_status = exchange(port, POST, 5)
    return {"threads": str(threads), "rss": f"{rss / 1024:.1f} MiB", "cpu": f"{cpu:.0%}",
            "health": health, "post": str(post_status or "no answer")}


def wait_for_threads_to_settle(pid: int, limit: float = 10) -> None:
    deadline = time.monotonic() + limit
    last = -1
    while time.monotonic() < deadline:
        threads, _ = proc_status(pid)
        if threads == last:
            return
        last = threads
        time.sleep(0.5)


def open_idle(port: int, count: int) -> tuple[list[socket.socket], int]:
    """Up to ``count`` silent connections, and how many were not made: connecting stops after
    three in a row fail to connect within a second (the server's backlog is full)."""
    socks: list[socket.socket] = []
    failures = 0
    while len(socks) < count and failures < 3:
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=1))
            failures = 0
        except OSError:
            failures += 1
    return socks, count - len(socks)


def run(sockets: int, nofile: int) -> None:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    proc = subprocess.Popen(
        [sys.executable, "-m", "inngest_cli", "serve", "--port", "0", "--db", ":memory:",
         "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, text=True, preexec_fn=limit)
    socks: list[socket.socket] = []
    try:
        assert proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
        assert match, "serve did not start"
        port = int(match.group(1))
        idle = measure(proc.pid, port)
        socks, failed = open_idle(port, sockets)
        wait_for_threads_to_settle(proc.pid)
        flooded = measure(proc.pid, port)
        alive = sum(1 for s in socks if _still_open(s))
        print(f"\n{sockets} idle sockets, fd limit {nofile} "
              f"({len(socks)} connected, {failed} not, {alive} still open at the end)")
        for name in ("threads", "rss", "cpu", "health", "post"):
            print(f"  {name:8} {idle[name]:>10}  ->  {flooded[name]}")
    finally:
        for sock in socks:
            sock.close()
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, action="append",
                        help="idle connections to open (repeatable; default 400 and 5000)")
    parser.add_argument("--nofile", type=int, default=256, help="the server's fd limit")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds the sockets
    for count in args.sockets or [400, 5000]:
        if count + 64 > hard:
            sys.exit(f"--sockets {count} needs an fd limit over {count + 64} here (hard: {hard})")
        run(count, args.nofile)


if __name__ == "__main__":
    main()
