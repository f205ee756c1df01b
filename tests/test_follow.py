"""`send --follow FILE` in real processes: what the file holds, then each appended line; rename
rotation (the old file finished, the new one from its start) and truncation; a stop by signal and
a restart with --checkpoint that resumes exactly once, also when the file was rotated meanwhile;
and the Follower itself (positions, identity checks) in-process."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from inngest_cli.feed import StopReading
from inngest_cli.follow import Follower, Position
from inngest_cli.sources import Stopper
from inngest_cli.units import labelled
from tests.conftest import run_cli
from tests.test_live import LiveSend, stored_seqs, wait_for


def lines(*seqs: int) -> bytes:
    return b"".join(
        orjson.dumps({"name": "log/line", "data": {"seq": seq}}) + b"\n" for seq in seqs
    )


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def followed(
    server: Any, path: Path, count: int, signum: int, *extra: str
) -> tuple[list[int], int, str]:
    """Follow ``path`` until ``count`` events were sent, then stop by ``signum``: the line
    numbers of those events, the exit code and stderr."""
    send = follow(server, path, *extra)
    try:
        numbers = [orjson.loads(send.line())["line"] for _ in range(count)]
        send.proc.send_signal(signum)
        code, _, err = send.finish()
    finally:
        send.kill()
    return numbers, code, err


def follow(server: Any, path: Path, *extra: str) -> LiveSend:
    return LiveSend(
        "--follow", str(path), "--dev", "--event-api-url", server.url, "-o", "ndjson", *extra,
        stdin=None,
    )


def test_follow_sends_appends_across_rotation_and_truncation(
    fault_server: Any, tmp_path: Path
) -> None:
    server = fault_server()
    log = tmp_path / "app.log"
    log.write_bytes(lines(0, 1, 2))
    send = follow(server, log)
    try:
        for _ in range(3):
            send.line()
        append(log, lines(3, 4))
        send.line()
        send.line()
        log.rename(tmp_path / "app.log.1")  # rotation, as logrotate's `create` does it:
        log.write_bytes(b"")  # a new empty file, while the writer still has the old one
        time.sleep(0.5)  # the follower polls: let it see the rotation before the late line
        append(tmp_path / "app.log.1", lines(5))
        append(log, lines(6, 7))  # the writer has reopened the path
        wait_for(lambda: len(stored_seqs(server)) == 8)
        with open(log, "r+b") as f:  # copytruncate-style rotation
            f.truncate(0)
        wait_for(lambda: os.path.getsize(log) == 0)
        time.sleep(0.5)  # the follower polls: let it see the shrunken file before it grows
        append(log, lines(8))
        wait_for(lambda: len(stored_seqs(server)) == 9)
        send.proc.send_signal(signal.SIGTERM)
        code, out, err = send.finish()
    finally:
        send.kill()
    assert code == 130, err
    assert stored_seqs(server) == list(range(9))
    assert [orjson.loads(line)["line"] for line in out.splitlines()] == [6, 7, 8, 9]  # 1-5 above
    assert "Traceback" not in err


def test_restart_with_a_checkpoint_resumes_exactly_once(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    log = tmp_path / "app.log"
    checkpoint = tmp_path / "ship.checkpoint"
    log.write_bytes(lines(0, 1, 2))
    _, code, err = followed(server, log, 3, signal.SIGINT, "--checkpoint", str(checkpoint))
    assert code == 130, err
    assert err.endswith(labelled("hint:", f"rerun the same command to resume from {checkpoint}")
                        + "\n")  # wrapped: a long path

    append(log, lines(3, 4))  # written while nothing was following
    numbers, code, err = followed(server, log, 2, signal.SIGTERM, "--checkpoint", str(checkpoint))
    assert (numbers, code) == ([4, 5], 130), err

    append(log, lines(5))  # then rotated while stopped: the rest of the old file comes first
    log.rename(tmp_path / "app.log.1")
    log.write_bytes(lines(6))
    _, code, err = followed(server, log, 2, signal.SIGTERM, "--checkpoint", str(checkpoint))
    assert code == 130, err
    assert f"note: {log} was rotated since the checkpoint: finishing {tmp_path / 'app.log.1'} " \
        "first\n" in err
    assert stored_seqs(server) == list(range(7))  # each once: none lost, none twice


def test_a_burst_after_a_resume_is_numbered_from_the_files_start(
    fault_server: Any, tmp_path: Path
) -> None:
    """200 lines appended while stopped come in one read, plain events the fast path keeps as
    lines (`plainrun.PlainRun`): the resumed follower's line numbers still count from the top of
    the file, and each event is stored once."""
    server = fault_server()
    log = tmp_path / "app.log"
    checkpoint = tmp_path / "ship.checkpoint"
    log.write_bytes(lines(0, 1))
    numbers, code, err = followed(server, log, 2, signal.SIGINT, "--checkpoint", str(checkpoint))
    assert (numbers, code) == ([1, 2], 130), err
    append(log, lines(*range(2, 202)))
    numbers, code, err = followed(server, log, 200, signal.SIGTERM, "--checkpoint", str(checkpoint))
    assert code == 130, err
    assert numbers == list(range(3, 203))
    assert stored_seqs(server) == list(range(202))


def test_follow_refuses_what_cannot_follow(tmp_path: Path) -> None:
    missing = tmp_path / "missing.log"
    done = run_cli("send", "--dev", "--follow", str(missing))
    assert done.returncode == 1
    assert done.stderr == f"error: {missing}: cannot read: No such file or directory\n"
    done = run_cli("send", "--dev", "--follow", str(missing), "--dry-run")
    assert done.returncode == 2
    assert done.stderr == "error: --follow: cannot be combined with --dry-run\n"


# --- the Follower in-process ----------------------------------------------------------------


def read_line(follower: Follower) -> bytes:
    data = b""
    buffer = bytearray(64)
    while not data.endswith(b"\n"):
        count = follower.readinto(buffer)
        data += bytes(buffer[:count])
    return data


def test_positions_name_the_file_and_resume_after_the_line(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"one\ntwo\nthree\n")
    stopper = Stopper()
    try:
        follower = Follower(str(log), stopper, track=True)
        assert read_line(follower).startswith(b"one\ntwo\nthree\n")
        where = follower.position(2)
        assert where is not None
        st = os.stat(log)
        assert (where.dev, where.ino, where.offset, where.line) == (st.st_dev, st.st_ino, 8, 2)
        follower.close()
        again = Follower(str(log), stopper, resume=Position.from_json(where.to_json()))
        assert read_line(again) == b"three\n"
        assert again.base_line == 2
        again.close()
    finally:
        stopper.close()


def test_a_rewritten_file_at_the_same_inode_is_read_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"one\ntwo\n")
    stopper = Stopper()
    try:
        follower = Follower(str(log), stopper, track=True)
        read_line(follower)
        where = follower.position(1)
        follower.close()
        assert where is not None
        with open(log, "r+b") as f:  # same inode, other content, longer than the offset
            f.write(b"ONE\nTWO\n")
        again = Follower(str(log), stopper, resume=where)
        assert again.notices == [
            f"{log} was truncated or rewritten since the checkpoint: following it from its start"
        ]
        assert read_line(again).startswith(b"ONE\n")
        again.close()
    finally:
        stopper.close()


def test_a_stop_ends_a_read_waiting_for_more(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    stopper = Stopper()
    try:
        follower = Follower(str(log), stopper, poll=5.0)
        threading.Timer(0.2, stopper.stop).start()
        started = time.monotonic()
        with pytest.raises(StopReading):
            follower.readinto(bytearray(16))
        assert time.monotonic() - started < 4  # woken by the stop, not by the 5 s poll
        follower.close()
    finally:
        stopper.close()


def test_on_a_terminal_a_live_status_line_says_what_went_out(
    fault_server: Any, tmp_path: Path
) -> None:
    import pty
    import select
    import subprocess

    from tests.conftest import CLI

    server = fault_server()
    log = tmp_path / "app.log"
    log.write_bytes(lines(0, 1))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "send", "--follow", str(log), "--dev", "--event-api-url", server.url, "-o", "ids"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm-256color"},
    )
    os.close(slave)
    screen = b""
    try:
        deadline = time.monotonic() + 20
        while b"last sent " not in screen or b"2 sent" not in screen:
            assert time.monotonic() < deadline, screen
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                screen += os.read(master, 65536)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(master)
    assert proc.returncode == 130
    assert len(out.split()) == 2  # stdout (a pipe) has the IDs only


def test_a_kill_while_a_request_is_in_flight_resends_it_under_the_same_ids(
    fault_server: Any, tmp_path: Path
) -> None:
    """SIGKILL while the server has stored a request but not answered it: the restart replays
    that request (recorded by the checkpoint before it left) with its seed, so the server keeps
    one copy, although a live send cuts batches by time and would not pack them the same way."""
    server = fault_server("--faults", "ok,hang")  # the second request is stored, then hangs
    log = tmp_path / "app.log"
    checkpoint = tmp_path / "ship.checkpoint"
    log.write_bytes(lines(0, 1, 2))
    send = follow(server, log, "--checkpoint", str(checkpoint))
    try:
        for _ in range(3):
            send.line()
        append(log, lines(3, 4))
        # every event is in the server; the reply to request 2 (which holds line 4) never comes
        wait_for(lambda: len(stored_seqs(server)) == 5)
        send.kill()  # SIGKILL: nothing settles, nothing is written on the way out
    finally:
        send.kill()

    append(log, lines(5))
    send = follow(server, log, "--checkpoint", str(checkpoint))
    try:
        assert [orjson.loads(send.line())["line"] for _ in range(3)] == [4, 5, 6]
        send.proc.send_signal(signal.SIGTERM)
        code, _, err = send.finish()
    finally:
        send.kill()
    assert code == 130, err
    assert stored_seqs(server) == list(range(6))  # each once: none lost, none twice
