"""Each run of the CLI has its own `RunContext`: flags, profile, secrets and stdout state live
there, so runs in one process (an embedding program, this test suite) never see each other's.
conftest resets none of it; these tests run several commands in one test to prove it."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from inngest_cli.cli.context import RunContext, bound, current
from inngest_cli.cli.main import run

KEY = "evtkey-LEAKCHECK-0001-wxyz"
PROFILES = """
[profiles.one]
env = "from-one"
event_key = "profile-one-key-1234"

[profiles.two]
env = "from-two"
"""


class Terminal(io.StringIO):
    """A stdout that says it is a terminal, so colour is decided by the flags alone."""

    def isatty(self) -> bool:
        return True


class GoneReader(io.StringIO):
    """A stdout whose reader has gone (`| head` exited): every write is EPIPE."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def config_show(*args: str, context: RunContext | None = None) -> dict[str, Any]:
    out = io.StringIO()
    saved, sys.stdout = sys.stdout, out
    try:
        assert run([*args, "config", "show", "-o", "json"], context) == 0
    finally:
        sys.stdout = saved
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def test_a_profile_chosen_by_one_run_is_not_the_next_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(PROFILES)
    config.chmod(0o600)
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(config))
    first = config_show("--profile", "one")
    second = config_show()
    third = config_show("--profile", "two")
    assert [report["profile"] for report in (first, second, third)] == [
        {"name": "one", "source": "--profile"},
        {"name": None, "source": None},
        {"name": "two", "source": "--profile"},
    ]
    settings = [report["settings"] for report in (first, second, third)]
    assert [s["env"]["value"] for s in settings] == ["from-one", None, "from-two"]


def test_no_color_given_to_one_run_does_not_reach_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outputs = []
    runs = (["--no-color", "config", "show"], ["config", "show"], ["config", "show", "--no-color"])
    for argv in runs:
        terminal = Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        assert run(argv) == 0
        outputs.append(terminal.getvalue())
    monkeypatch.undo()
    assert "\x1b[" not in outputs[0]
    assert "\x1b[1m" in outputs[1]  # the bold header: colour is back on a terminal
    assert "\x1b[" not in outputs[2]


def test_a_key_of_one_run_is_neither_masked_nor_known_in_the_next(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = RunContext(environ={"INNGEST_EVENT_KEY": KEY})
    report = config_show(context=first)
    assert report["settings"]["event_key"]["value"] == "****wxyz"
    assert KEY in first.secrets
    # the same text in a run that never saw the key as a key: an ordinary value, shown as given
    second = RunContext(environ={})
    assert run(["send", "--dev", "--name", "x", "--on-error", KEY], second) == 2
    assert capsys.readouterr().err.startswith(f"error: --on-error: '{KEY}' is not one of ")
    assert KEY not in second.secrets


def test_a_run_whose_reader_went_away_leaves_the_next_runs_stdout_open(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["send", "--dev", "--dry-run", "--name", "app/x", "-o", "ndjson"]
    first = RunContext()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", GoneReader())
        assert run(command, first) == 0
    assert first.stdout.closed
    second = RunContext()
    assert run(command, second) == 0
    assert not second.stdout.closed
    assert json.loads(capsys.readouterr().out.splitlines()[0])["events"] == 1


def test_quiet_and_verbose_belong_to_their_run(capsys: pytest.CaptureFixture[str]) -> None:
    command = ["send", "--dev", "--dry-run", "--name", "app/x"]
    assert run(["-q", *command]) == 0
    assert capsys.readouterr().err == ""
    assert run(command) == 0
    assert capsys.readouterr().err == (
        "dry run: 1 event valid in 1 request, 0 invalid; nothing was sent\n"
    )
    assert run([*command, "--verbose"]) == 0
    verbose = capsys.readouterr().out
    assert run(command) == 0
    assert capsys.readouterr().out != verbose  # --verbose adds the request's headers and body


def test_the_environment_of_a_run_is_the_one_it_was_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    context = RunContext(environ={"INNGEST_DEV": "1", "INNGEST_ENV": "given-branch"})
    report = config_show(context=context)
    settings = report["settings"]
    assert settings["env"] == {"value": "given-branch", "source": "INNGEST_ENV"}
    assert settings["dev"] == {"value": True, "source": "INNGEST_DEV"}


def test_code_outside_a_command_has_no_context() -> None:
    with pytest.raises(RuntimeError) as info:
        current()
    assert str(info.value) == "There is no active click context."


def test_bound_makes_a_run_current_for_code_outside_a_command() -> None:
    mine = RunContext(environ={"NO_COLOR": "1"})
    with bound(mine):
        assert current() is mine and current().no_color
        with bound(RunContext(environ={})) as inner:  # the innermost run wins, then ends
            assert current() is inner and not current().no_color
        assert current() is mine
