"""Live input, in real processes: events written to a pipe that stays open reach the server within
the linger bound and their IDs come out as they settle; SIGINT/SIGTERM stop a send blocked on an
idle pipe, send what was read and say so; a second signal aborts in one line; stdout stays data
with the progress display on a terminal; script traps (empty stdin with --name, `while read`
loops); gzip input; --rate; and a run-level failure reported once, with the URL and a count."""

from __future__ import annotations

import gzip
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import CLI, ServeProcess, ndjson_events, run_cli

# Generous: the bound is --linger (0.2 s) plus a request on loopback; a loaded CI machine (two
# cores, many processes) can stall a process for a good fraction of a second.
MARGIN = 2.0


class LiveSend:
    """`inngest-cli send` reading a pipe we hold open; stdout read line by line as it comes."""

    def __init__(self, *args: str, stdin: Any = subprocess.PIPE) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "send", "--no-progress", *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=os.environ.copy(),
        )
        self._out = b""

    def write(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def line(self, timeout: float = 10.0) -> bytes:
        """The next stdout line; fails if none comes within ``timeout``."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._out:
            left = deadline - time.monotonic()
            assert left > 0, f"no output line within {timeout} s"
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                assert chunk, "stdout closed"
                self._out += chunk
        line, self._out = self._out.split(b"\n", 1)
        return line

    def end_input(self) -> None:
        """Close our end of the pipe: the input ends."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.stdin = None

    def finish(self, timeout: float = 20.0) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, (self._out + out).decode(), err.decode()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def event(seq: int, **extra: Any) -> bytes:
    return orjson.dumps({"name": "live/tick", "data": {"seq": seq, **extra}}) + b"\n"


def stored_seqs(server: Any) -> list[int]:
    return [e["data"]["seq"] for e in server.state()["events"]]


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def request_delays(server: Any) -> list[float]:
    """For every event: its request's arrival at the server minus its write time (data.t)."""
    state = server.state()
    delays = []
    for arrived, seen in zip(state["times"], state["seen"], strict=True):
        for item in orjson.loads(seen["body"]):
            delays.append(arrived - item["data"]["t"])
    return delays


# --- time-based flushing and results as they settle ------------------------------------------


def test_slow_writer_each_event_reaches_the_server_and_stdout_at_once(fault_server: Any) -> None:
    server = fault_server()
    send = LiveSend("--dev", "--event-api-url", server.url, "-o", "ndjson", "-c", "1")
    try:
        for seq in range(5):
            send.write(event(seq, t=time.time()))
            # The ID comes out before anything else is written: the batch settled on its own.
            assert orjson.loads(send.line())["line"] == seq + 1
            time.sleep(0.3)  # the writer's pace, not a wait for the sender
        assert stored_seqs(server) == list(range(5))
        delays = request_delays(server)
        assert len(delays) == 5
        assert max(delays) < 0.2 + MARGIN, delays
        assert server.state()["requests"] == 5  # nothing waited for a later event
    finally:
        send.end_input()
        code, _, err = send.finish()
    assert code == 0, err


def test_steady_pipe_is_batched_and_no_event_waits_past_the_linger(fault_server: Any) -> None:
    server = fault_server()
    send = LiveSend("--dev", "--event-api-url", server.url, "-o", "ids", "-c", "1")
    try:
        for seq in range(150):  # 100 events/s for 1.5 s
            send.write(event(seq, t=time.time()))
            time.sleep(0.01)
        wait_for(lambda: len(stored_seqs(server)) == 150)
        delays = request_delays(server)
        assert max(delays) < 0.2 + MARGIN, max(delays)
        assert server.state()["requests"] < 150  # events shared requests
    finally:
        send.end_input()
        code, out, err = send.finish()
    assert code == 0, err
    assert len(out.split()) == 150
    assert sorted(stored_seqs(server)) == list(range(150))


def test_max_batch_one_sends_each_event_without_waiting_for_the_next(
    fault_server: Any,
) -> None:
    server = fault_server()
    send = LiveSend(
        "--dev", "--event-api-url", server.url, "-o", "ids", "--max-batch", "1", "--linger", "5"
    )
    try:
        send.write(event(0))
        send.line()  # a full batch leaves at once, whatever --linger says
        assert stored_seqs(server) == [0]
    finally:
        send.end_input()
        send.finish()


# --- signals ----------------------------------------------------------------------------------

STOPPING = "stopping: sending what was read, waiting up to 10 s (Ctrl-C again to abort)\n"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_a_send_blocked_on_an_idle_pipe(fault_server: Any, sig: int) -> None:
    server = fault_server()
    send = LiveSend("--dev", "--event-api-url", server.url, "-o", "ids")
    try:
        for seq in range(3):
            send.write(event(seq))
        for _ in range(3):
            send.line()
        started = time.monotonic()
        send.proc.send_signal(sig)  # the pipe stays open: the reader is blocked in a read
        code, out, err = send.finish(timeout=15)
    finally:
        send.kill()
    assert time.monotonic() - started < 5
    assert code == 130
    assert err.startswith(STOPPING)
    # No hint: nothing read was lost, and a pipe cannot be resumed.
    assert err.endswith("error: interrupted: 3 events confirmed sent (read up to stdin:3)\n")
    assert sorted(stored_seqs(server)) == [0, 1, 2]


def test_events_read_before_a_signal_are_sent_in_the_grace_period(fault_server: Any) -> None:
    server = fault_server("--delay", "0.5")  # every reply takes 0.5 s
    send = LiveSend("--dev", "--event-api-url", server.url, "-o", "ids", "-c", "1")
    try:
        send.write(event(0))
        wait_for(lambda: server.state()["requests"] == 1)  # the first request is in flight
        for seq in range(1, 6):
            send.write(event(seq))
        time.sleep(0.1)  # let the reader take them (nothing to wait on from outside)
        send.proc.send_signal(signal.SIGTERM)
        code, out, err = send.finish(timeout=20)
    finally:
        send.kill()
    assert code == 130
    assert sorted(stored_seqs(server)) == list(range(6))
    assert len(out.split()) == 6
    assert err.endswith("error: interrupted: 6 events confirmed sent (read up to stdin:6)\n")


def test_what_the_grace_period_cannot_settle_is_reported_and_kept(
    fault_server: Any, tmp_path: Path
) -> None:
    server = fault_server("--delay", "30")  # replies come after the grace period
    failed = tmp_path / "failed.ndjson"
    send = LiveSend("--dev", "--event-api-url", server.url, "-c", "1", "--failed-out", str(failed))
    try:
        send.write(event(0))
        wait_for(lambda: server.state()["requests"] == 1)
        send.write(event(1))
        send.write(event(2))
        time.sleep(0.1)
        send.proc.send_signal(signal.SIGINT)
        code, _, err = send.finish(timeout=30)
    finally:
        send.kill()
    assert code == 130
    assert err.splitlines()[0] + "\n" == STOPPING
    # The request in flight may have been stored: unconfirmed, never in --failed-out (replaying
    # it could store it twice); what was read and never sent is, since replaying it is safe.
    assert "warning: stdin:1: 1 event unconfirmed (in flight when the grace period ended): the " \
        "server may have stored them; not written to --failed-out" in err
    assert "error: stdin:2-3: 2 events read and not sent (in --failed-out)\n" in err
    assert err.endswith(
        "error: interrupted: 0 events confirmed sent, 2 read and not sent, "
        "1 in flight not confirmed (read up to stdin:3)\n"
    )
    assert [orjson.loads(line)["data"]["seq"] for line in failed.read_bytes().splitlines()] == [
        1, 2,
    ]


def test_a_second_signal_aborts_with_one_line(fault_server: Any) -> None:
    server = fault_server("--delay", "30")
    send = LiveSend("--dev", "--event-api-url", server.url, "-c", "1")
    try:
        send.write(event(0))
        wait_for(lambda: server.state()["requests"] == 1)
        send.proc.send_signal(signal.SIGINT)
        assert send.proc.stderr is not None
        assert send.proc.stderr.readline().decode() == STOPPING
        send.proc.send_signal(signal.SIGINT)
        code, _, err = send.finish(timeout=10)
    finally:
        send.kill()
    assert code == 130
    assert err == "error: aborted: 0 events confirmed sent, 1 read and not confirmed\n"


# --- the terminal ------------------------------------------------------------------------------


def test_progress_on_a_terminal_leaves_stdout_to_the_data(
    serve: ServeProcess, tmp_path: Path
) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(300))
    ids = tmp_path / "ids.txt"
    master, slave = pty.openpty()
    with open(ids, "wb") as out:
        proc = subprocess.Popen(
            [*CLI, "send", str(path), "--dev", "--event-api-url", serve.url, "-o", "ids",
             "--max-batch", "100"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=slave,
            env={**os.environ, "COLUMNS": "120", "TERM": "xterm-256color"},
        )
        os.close(slave)
        screen = b""
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        os.close(master)
        assert proc.wait(timeout=30) == 0
    lines = ids.read_text().splitlines()
    assert len(lines) == 300
    assert all(len(line) == 26 for line in lines)  # bare ULIDs: no escape codes, no bar
    assert not any(line.encode() in screen for line in lines)  # and none went to the screen
    assert b"sent 300 events in 3 requests" in screen


# --- script traps ------------------------------------------------------------------------------


def test_name_with_an_empty_stdin_does_not_exit_0(serve: ServeProcess) -> None:
    sleeper = subprocess.Popen(["sleep", "0.3"], stdout=subprocess.PIPE)
    try:
        done = subprocess.run(
            [*CLI, "send", "--dev", "--event-api-url", serve.url, "--name", "app/deployed"],
            stdin=sleeper.stdout, capture_output=True, text=True, timeout=30,
        )
    finally:
        assert sleeper.stdout is not None
        sleeper.stdout.close()
        sleeper.wait()
    assert done.returncode == 1
    assert done.stderr.endswith(
        "error: stdin had no events, so nothing was sent\n"
        "hint: to send one event built from the flags, add --ignore-stdin (-I)\n"
    )
    assert serve.events() == []


def test_ignore_stdin_keeps_a_while_read_loop_intact(serve: ServeProcess, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("ada\ngrace\nlinus\n")
    send = f"{' '.join(CLI)} send --dev --event-api-url {serve.url} --name app/ping -q -o ids"
    loop = 'while read -r n; do echo "$n" >&2; SEND || exit 9; done < ' + str(names)
    done = subprocess.run(["bash", "-c", loop.replace("SEND", send + " -I")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "ada\ngrace\nlinus\n"  # every line reached the loop
    assert len(serve.events()) == 3
    # Without -I the first send reads the rest of the loop's input as events.
    done = subprocess.run(["bash", "-c", loop.replace("SEND", send)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 9
    assert done.stderr == (
        "ada\n"
        "error: stdin:1: invalid JSON: unexpected character, expected a JSON value (column 1)\n"
        "error: stdin:2: invalid JSON: unexpected character, expected a JSON value (column 1)\n"
    )  # grace and linus were eaten: the loop ran once


def test_name_with_an_empty_file_does_not_exit_0(serve: ServeProcess, tmp_path: Path) -> None:
    empty = tmp_path / "empty.ndjson"
    empty.write_text("")
    done = run_cli("send", str(empty), "--dev", "--event-api-url", serve.url, "--name", "a/b")
    assert done.returncode == 1
    assert done.stderr.endswith("error: the input had no events, so nothing was sent\n")


def test_an_interrupted_file_offers_a_checkpoint(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server("--delay", "0.2")
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(2000))
    send = LiveSend(str(path), "--dev", "--event-api-url", server.url, "--max-batch", "10",
                    "-o", "ids", stdin=subprocess.DEVNULL)
    try:
        send.line()  # sending has started
        send.proc.send_signal(signal.SIGINT)
        code, out, err = send.finish()
    finally:
        send.kill()
    assert code == 130
    assert err.endswith(
        "hint: rerun with --checkpoint FILE to be able to resume without duplicates\n"
    )
    assert len(server.state()["events"]) < 2000  # a file stops at its next record


def test_ignore_stdin_and_dash_contradict() -> None:
    done = run_cli("send", "-I", "-", "--dev")
    assert done.returncode == 2
    assert done.stderr == "error: --ignore-stdin: cannot also read stdin ('-')\n"


# --- gzip, --rate -----------------------------------------------------------------------------


def test_gzip_file_and_gzipped_stdin(serve: ServeProcess, tmp_path: Path) -> None:
    packed = tmp_path / "events.ndjson.gz"
    packed.write_bytes(gzip.compress(ndjson_events(500).encode()))
    done = run_cli("send", str(packed), "--dev", "--event-api-url", serve.url, "-o", "ids")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) == 500
    with open(packed, "rb") as stdin:
        piped = subprocess.run(
            [*CLI, "send", "--dev", "--event-api-url", serve.url, "-o", "ids"],
            stdin=stdin, capture_output=True, text=True, timeout=60,
        )
    assert piped.returncode == 0, piped.stderr
    assert len(piped.stdout.split()) == 500
    assert len(serve.events(limit=100)) == 1000


def test_a_truncated_gzip_is_one_error_after_what_it_held(
    serve: ServeProcess, tmp_path: Path
) -> None:
    whole = gzip.compress(ndjson_events(50).encode())
    packed = tmp_path / "cut.gz"
    packed.write_bytes(whole[: len(whole) - 20])
    done = run_cli("send", str(packed), "--dev", "--event-api-url", serve.url, "-o", "ids")
    assert done.returncode == 1
    assert done.stderr.endswith(
        f"error: {packed}: not valid gzip: Compressed file ended before the end-of-stream "
        "marker was reached\n"
    )


def test_rate_paces_the_requests(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(30))
    done = run_cli(
        "send", str(path), "--dev", "--event-api-url", server.url, "--rate", "20/s", "-o", "ids"
    )
    assert done.returncode == 0, done.stderr
    times = server.state()["times"]
    assert len(times) == 15  # batches of rate/10 = 2 events
    assert times[-1] - times[0] >= 1.3  # 30 events at 20/s: 1.4 s from the first to the last


@pytest.mark.parametrize("value", ["0", "-3/s", "fast", "10/d", "inf"])
def test_a_bad_rate_is_a_usage_error(value: str) -> None:
    done = run_cli("send", "--dev", "--rate", value, "--name", "a/b")
    assert done.returncode == 2
    assert done.stderr == (
        f"error: --rate: {value!r} is not a rate\n"
        "hint: e.g. --rate 50/s, --rate 600/m, --rate 10\n"
    )


# --- run-level failures --------------------------------------------------------------------------


def test_an_unreachable_server_is_one_line_with_the_url_and_the_count(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(2000))
    done = run_cli(
        "send", str(path), "--event-key", "evt-SECRET-KEY-0123abcd",
        "--event-api-url", "http://127.0.0.1:9", "--retries", "0", "--max-batch", "100",
    )
    assert done.returncode == 5
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith(
        "error: could not reach the Event API at http://127.0.0.1:9/e/****abcd after 1 attempt: "
    )
    assert errors[0].endswith(" events not sent)")
    assert "SECRET" not in done.stderr


def test_an_unreachable_server_ends_a_live_send_whose_pipe_stays_open(tmp_path: Path) -> None:
    failed = tmp_path / "failed.ndjson"
    send = LiveSend("--dev", "--event-api-url", "http://127.0.0.1:9", "--retries", "0",
                    "--failed-out", str(failed))
    try:
        send.write(event(0))
        send.write(event(1))
        code, _, err = send.finish(timeout=20)  # the pipe is still open: the error ends the run
    finally:
        send.kill()
    assert code == 5
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert errors[0].startswith("error: could not reach the Event API at http://127.0.0.1:9/e/")
    # Both lines were in the pipe before the CLI started: both read, both kept for a replay.
    assert errors[0].endswith(" (2 events not sent)")
    assert len(failed.read_bytes().splitlines()) == 2


def test_a_plain_web_server_is_not_retried_and_shows_its_status(tmp_path: Path) -> None:
    web = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path,
    )
    try:
        assert web.stdout is not None
        port = web.stdout.readline().split(" port ")[1].split()[0]
        path = tmp_path / "events.ndjson"
        path.write_text(ndjson_events(20))
        done = run_cli("send", str(path), "--dev", "--event-api-url", f"http://127.0.0.1:{port}")
    finally:
        web.kill()
        web.communicate()
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: http://127.0.0.1:{port}/e/****_SET: HTTP 501, not an Inngest Event API reply: "
        "'<!DOCTYPE HTML> <html lang=\"en\"> <head> <meta charset=\"utf-8' "
        "(20 events not sent)"
    ]
    assert "(0 retries)" in done.stderr
