"""One rule for the global options: they work before or after the command, with the same effect,
on every command (new commands are covered automatically)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inngest_cli.cli.context import RunContext
from inngest_cli.cli.main import run
from tests.test_help import LEAVES

FLAGS = ["--debug", "--no-color", "--quiet", "--verbose", "--insecure"]


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_command_lists_the_global_options(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "\nGlobal options:\n" in out
    for flag in ("--debug", "--no-color", "--insecure", "--profile NAME", "--help"):
        assert flag in out.split("\nGlobal options:\n")[1], f"{flag} in {' '.join(path)} --help"


@pytest.mark.parametrize("flag", FLAGS)
@pytest.mark.parametrize("where", ["before", "after"])
def test_a_global_flag_before_or_after_the_command_sets_the_same_thing(
    flag: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["send", "--dev", "--dry-run", "--name", "app/x"]
    argv = [flag, *command] if where == "before" else [*command, flag]
    context = RunContext()
    assert run(argv, context) == 0
    attribute = flag.lstrip("-").replace("-", "_")
    assert getattr(context, attribute) is True
    err = capsys.readouterr().err
    warning = (
        "warning: --insecure: TLS certificates are not verified; anyone on the network path can "
        "read the keys and events\n"
    )
    assert err.count(warning) == (1 if flag == "--insecure" else 0)


def test_insecure_given_twice_warns_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--insecure", "send", "--dev", "--dry-run", "--name", "x", "--insecure"]) == 0
    assert capsys.readouterr().err.count("warning: --insecure") == 1


def test_profile_after_the_command_chooses_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.staging]\nenv = "from-staging"\n')
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(config))
    assert run(["config", "show", "-o", "json", "--profile", "staging"]) == 0
    assert '"from-staging"' in capsys.readouterr().out
    assert run(["--profile", "nope", "config", "show"]) == 2
    before = capsys.readouterr().err
    assert run(["config", "show", "--profile", "nope"]) == 2
    assert capsys.readouterr().err == before
    assert before.startswith("error: --profile: no profile 'nope' in ")


def test_debug_after_the_command_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["send", "--name", "x", "--data", "[1]", "--debug", "--dev"]) == 2
    err = capsys.readouterr().err
    assert re.search(r"^Traceback \(most recent call last\):$", err, re.M), err
    assert err.endswith("error: --data: must be a JSON object, not an array\n")
