"""The test suite itself stops cleanly: one Ctrl-C stops the session (even in a test running the
CLI in-process), and SIGTERM leaves no `serve` running. Each case runs a small pytest session
with this suite's conftest as a real process and signals it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INNER = '''
import os, threading
from pathlib import Path

from inngest_cli.cli.main import run


def test_blocks(serve):
    Path(os.environ["PID_FILE"]).write_text(str(serve.proc.pid))
    if os.environ["MODE"] == "inprocess":
        # follows events until Ctrl-C; run() turns the KeyboardInterrupt into exit code 130
        run(["events", "tail", "--dev", "--api-url", serve.url, "--interval", "0.05"])
    else:
        threading.Event().wait(60)


def test_after():
    Path(os.environ["PID_FILE"] + ".after").write_text("ran")
'''


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs; one that does (the failure under test) is killed, so that a
    failing run of this test leaves nothing behind either."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    os.kill(pid, signal.SIGKILL)
    return True


def _session(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], Path, int]:
    test = tmp_path / "test_inner.py"
    test.write_text(INNER)
    pid_file = tmp_path / "serve.pid"
    env = {**os.environ, "PID_FILE": str(pid_file), "MODE": mode, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "--rootdir", str(tmp_path), "-c", os.devnull, str(test)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        stdin=subprocess.DEVNULL, start_new_session=True,  # its own group, as a terminal job
    )
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the inner session did not start serve"
        time.sleep(0.05)
    return proc, pid_file, int(pid_file.read_text())


def _finish(proc: subprocess.Popen[str]) -> str:
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"the session did not stop:\n{out}") from None
    return out


def test_one_sigint_stops_the_session_even_inside_an_in_process_run(tmp_path: Path) -> None:
    proc, pid_file, serve_pid = _session(tmp_path, "inprocess")
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    out = _finish(proc)
    assert "interrupted by SIGINT" in out, out
    assert not Path(str(pid_file) + ".after").exists(), "the session went on after Ctrl-C"
    assert not _alive(serve_pid), "serve outlived the session"


def test_sigterm_leaves_no_serve_running(tmp_path: Path) -> None:
    proc, _, serve_pid = _session(tmp_path, "block")
    proc.send_signal(signal.SIGTERM)  # pytest alone, as a CI runner's timeout does
    _finish(proc)
    assert not _alive(serve_pid), "serve outlived a SIGTERM of pytest"
