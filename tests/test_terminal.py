"""Terminal manners, in real processes: data on stdout and everything else on stderr; colour only
on a terminal and never with NO_COLOR or --no-color; global --quiet and --verbose; a closed pipe
ends quietly; no traceback for an expected error (--debug shows one); keys never printed."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from inngest_cli.cli import config_cmd
from inngest_cli.cli.context import RunContext
from inngest_cli.cli.main import run

from .conftest import CLI, ServeProcess, ndjson_events, run_cli

EVENT_KEY = "evtkey-SENTINEL-0001-wxyz"
SIGNING_KEY = "signkey-prod-5e47172e1c0ffee0ddba11deadbeef42"
SIGNING_HEX = "5e47172e1c0ffee0ddba11deadbeef42"
ANSI = re.compile(r"\x1b\[([0-9;]*)m")


def colours(text: str) -> list[str]:
    """SGR parameters that set a colour (foreground or background), not bold or dim."""
    found = []
    for params in ANSI.findall(text):
        for code in params.split(";"):
            if code.isdigit() and (30 <= int(code) <= 49 or 90 <= int(code) <= 107):
                found.append(code)
    return found


def run_tty(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI with stdout on a pseudo-terminal (stderr a pipe)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm-256color", **(env or {})},
    )
    os.close(slave)
    out = b""
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
        out += chunk
    os.close(master)
    _, err = proc.communicate(timeout=30)
    return proc.returncode, out.decode().replace("\r\n", "\n"), err.decode()


@pytest.fixture
def keyed_serve(serve_factory: object) -> ServeProcess:
    server: ServeProcess = serve_factory(  # type: ignore[operator]
        "--event-key", EVENT_KEY, "--signing-key", SIGNING_KEY
    )
    return server


# --- colour and tables only on a terminal ------------------------------------------------------


def test_table_on_a_terminal_is_coloured(serve: ServeProcess) -> None:
    code, out, _ = run_tty("send", "--event-api-url", serve.url, "--dev", "--name", "a/b")
    assert code == 0
    assert "EVENT ID" in out  # a table: the default on a terminal
    assert colours(out)


@pytest.mark.parametrize(
    ("args", "env"),
    [((), {"NO_COLOR": "1"}), (("--no-color",), {}), ((), {"NO_COLOR": ""})],
    ids=["NO_COLOR=1", "--no-color", "NO_COLOR-empty"],
)
def test_no_colour_on_request(
    serve: ServeProcess, args: tuple[str, ...], env: dict[str, str]
) -> None:
    code, out, err = run_tty(
        *args, "send", "--event-api-url", serve.url, "--dev", "--name", "a/b", env=env
    )
    assert code == 0, err
    assert "EVENT ID" in out
    assert colours(out) == [] and colours(err) == []


@pytest.mark.parametrize(
    ("args", "env"), [((), {}), ((), {"NO_COLOR": "1"}), (("--no-color",), {})]
)
def test_config_show_colour(args: tuple[str, ...], env: dict[str, str]) -> None:
    code, out, _ = run_tty(*args, "config", "show", env=env)
    assert code == 0
    assert ANSI.sub("", out).split()[:3] == ["SETTING", "VALUE", "SOURCE"]
    assert bool(ANSI.search(out)) == (not args and not env)  # not even bold with NO_COLOR


def test_pipe_gets_json_and_no_escape_codes(serve: ServeProcess) -> None:
    done = run_cli("send", "--event-api-url", serve.url, "--dev", "--name", "a/b")
    assert done.returncode == 0
    assert done.stdout.startswith('{"ids":["')
    assert "\x1b" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("send", "-o", "table", "--name", "a/b", "--dev"),
        ("config", "show", "-o", "table"),
        ("--help",),
        ("send", "--help"),
        ("send", "--bogus"),
    ],
    ids=" ".join,
)
def test_no_escape_codes_when_not_a_terminal(serve: ServeProcess, args: tuple[str, ...]) -> None:
    done = run_cli(*args, env={"INNGEST_DEV": serve.url})
    assert "\x1b" not in done.stdout + done.stderr


def test_data_on_stdout_everything_else_on_stderr(serve: ServeProcess) -> None:
    done = run_cli("send", "--dev", "--event-api-url", serve.url, "-o", "ids", "--name", "a/b")
    assert done.returncode == 0
    assert re.fullmatch(r"[0-9A-Z]{26}\n", done.stdout)
    assert done.stderr.startswith("sent 1 event in 1 request")


# --- global --quiet and --verbose, before the command or after it --------------------------------


@pytest.mark.parametrize(
    "argv",
    [["-q", "send"], ["--quiet", "send"], ["send", "--quiet"], ["send", "-q"]],
    ids=" ".join,
)
def test_quiet_anywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*argv, "--dev", "--dry-run", "--name", "a/b"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("request 1: 1 event")
    assert err == ""


@pytest.mark.parametrize("argv", [["--verbose", "send"], ["send", "--verbose"]], ids=" ".join)
def test_verbose_anywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*argv, "--dev", "--dry-run", "--name", "a/b"]) == 0
    assert "POST http://127.0.0.1:8288/e/****" in capsys.readouterr().out


def test_quiet_is_reset_between_runs(capsys: pytest.CaptureFixture[str]) -> None:
    run(["-q", "send", "--dev", "--dry-run", "--name", "a/b"])
    capsys.readouterr()
    run(["send", "--dev", "--dry-run", "--name", "a/b"])
    assert capsys.readouterr().err.startswith("dry run: 1 event valid")


# --- keys are never printed --------------------------------------------------------------------


def assert_no_key(text: str) -> None:
    assert EVENT_KEY not in text and "SENTINEL" not in text
    assert SIGNING_HEX not in text and SIGNING_HEX[:16] not in text


def test_verbose_send_traces_without_the_key(keyed_serve: ServeProcess) -> None:
    done = run_cli(
        "--verbose", "send", "--event-api-url", keyed_serve.url, "--name", "a/b",
        env={"INNGEST_EVENT_KEY": EVENT_KEY},
    )
    assert done.returncode == 0, done.stderr
    assert "> POST " + keyed_serve.url + "/e/****wxyz" in done.stderr
    assert "< HTTP 200 OK (" in done.stderr
    assert_no_key(done.stdout + done.stderr)


def test_rejected_key_with_debug_and_verbose_stays_masked(keyed_serve: ServeProcess) -> None:
    wrong = "evtkey-SENTINEL-wrong-9999"
    done = run_cli(
        "--debug", "--verbose", "send", "--event-api-url", keyed_serve.url,
        "--event-key", wrong, "--name", "a/b",
    )
    assert done.returncode == 3
    assert "Traceback (most recent call last)" in done.stderr  # --debug shows one
    assert "< HTTP 401" in done.stderr
    assert wrong not in done.stdout + done.stderr
    assert_no_key(done.stdout + done.stderr)


def test_rejected_key_without_debug_has_no_traceback(keyed_serve: ServeProcess) -> None:
    done = run_cli("send", "--event-api-url", keyed_serve.url, "--event-key",
                   "evtkey-SENTINEL-wrong-9999", "--name", "a/b")
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\nhint: ") + done.stderr.startswith("hint: ") <= 2
    assert_no_key(done.stdout + done.stderr)


def test_verbose_rest_read_masks_the_signing_key(keyed_serve: ServeProcess) -> None:
    done = run_cli(
        "--verbose", "--debug", "events", "list", "--api-url", keyed_serve.url, "-o", "json",
        env={"INNGEST_SIGNING_KEY": SIGNING_KEY},
    )
    assert done.returncode == 0, done.stderr
    assert "authorization: bearer ****" in done.stderr.lower()
    assert_no_key(done.stdout + done.stderr)


def test_dry_run_verbose_masks_the_key() -> None:
    done = run_cli("send", "--dry-run", "--verbose", "--name", "a/b",
                   env={"INNGEST_EVENT_KEY": EVENT_KEY})
    assert done.returncode == 0
    assert "/e/****wxyz" in done.stdout
    assert_no_key(done.stdout + done.stderr)


# --- expected errors: one line, no traceback; --debug shows one ---------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("send", "--name", "a/b"),  # Cloud without a key
        ("send", "--dev", "--name", "a/b", "--ts", "1700000000"),
        ("send", "--dev", "--event-api-url", "http://127.0.0.1:9", "--retries", "0",
         "--name", "a/b"),
        ("send", "--bogus"),
        ("--profile", "nope", "config", "show"),
        ("completions", "tcsh"),
    ],
    ids=" ".join,
)
def test_expected_errors_have_no_traceback(args: tuple[str, ...]) -> None:
    done = run_cli(*args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert re.search(r"^error: ", done.stderr, re.M)


def test_debug_shows_a_traceback_for_an_expected_error() -> None:
    done = run_cli("--debug", "send", "--name", "a/b")
    assert done.returncode == 2
    assert done.stderr.startswith("Traceback (most recent call last)")
    assert done.stderr.endswith(
        "error: no event key: set INNGEST_EVENT_KEY or pass --event-key\n"
        "hint: for a local Dev Server or `inngest-cli serve`, pass --dev or INNGEST_DEV=1\n"
    )


def test_a_bug_is_one_line_and_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    context = RunContext()
    context.secrets.add(EVENT_KEY)  # as the config resolution adds the keys it finds

    def broken() -> None:
        raise RuntimeError(f"boom near {EVENT_KEY}")

    monkeypatch.setattr(config_cmd, "resolved", broken)
    assert run(["config", "show"], context) == 1
    assert capsys.readouterr().err == (
        "error: unexpected RuntimeError: boom near ****wxyz\n"
        "hint: this is a bug in inngest-cli; --debug shows where (keys stay masked)\n"
    )
    context = RunContext()
    context.secrets.add(EVENT_KEY)
    assert run(["--debug", "config", "show"], context) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and EVENT_KEY not in err


# --- a closed stdout pipe ends quietly ---------------------------------------------------------


def head_one(
    command: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`command | head -1` in a real shell; the exit status is the command's (pipefail)."""
    line = " ".join(shlex.quote(part) for part in command) + " | head -1"
    return subprocess.run(
        ["bash", "-c", f"set -o pipefail; {line}"],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def assert_quiet_end(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1
    for noise in ("Traceback", "Exception ignored", "BrokenPipe", "Errno 32", "error:"):
        assert noise not in done.stderr


def test_closed_pipe_during_a_dry_run(tmp_path: Path) -> None:
    source = tmp_path / "events.ndjson"
    source.write_text(ndjson_events(20000))
    done = head_one(
        [sys.executable, "-m", "inngest_cli", "send", str(source), "--dev", "--dry-run",
         "--verbose"]
    )
    assert_quiet_end(done)


def test_closed_pipe_while_sending(tmp_path: Path, serve: ServeProcess) -> None:
    source = tmp_path / "events.ndjson"
    source.write_text(ndjson_events(20000))
    done = head_one(
        [sys.executable, "-m", "inngest_cli", "send", str(source), "-o", "ids"],
        env={"INNGEST_DEV": serve.url},
    )
    assert_quiet_end(done)
    assert done.stderr.startswith("sent 20,000 events")  # the events still all went out


@pytest.mark.parametrize(
    "args", [("--help",), ("completions", "fish"), ("config", "show", "-o", "json")], ids=" ".join
)
def test_closed_pipe_small_outputs(args: tuple[str, ...]) -> None:
    assert_quiet_end(head_one([sys.executable, "-m", "inngest_cli", *args]))
