"""`inngest-cli config show|path`: resolved settings, keys masked, the source of each value; and
the global --profile / INNGEST_PROFILE, with their errors and the permission warning."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from inngest_cli.cli.main import run
from inngest_cli.units import labelled

from .conftest import run_cli

EVENT_KEY = "evtkey-SENTINEL-0001-wxyz"
SIGNING_KEY = "signkey-prod-SENTINEL-0002-abcd"
CONFIG = f"""
[profiles.staging]
event_key = "{EVENT_KEY}"
signing_key = "{SIGNING_KEY}"
env = "staging"

[profiles.local]
dev = true
"""



@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    path.chmod(0o600)
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(path))
    return path


def show(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert run([*args, "config", "show", "-o", "json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_defaults_without_a_config_file(capsys: pytest.CaptureFixture[str]) -> None:
    report = show(capsys)
    assert report["config_file"]["exists"] is False
    assert report["config_file"]["source"] == "INNGEST_CLI_CONFIG"
    assert report["profile"] == {"name": None, "source": None}
    assert report["settings"] == {
        "dev": {"value": False, "source": "default"},
        "event_api_url": {"value": "https://inn.gs", "source": "default"},
        "event_key": {"value": None, "source": None},
        "env": {"value": None, "source": None},
        "api_url": {"value": "https://api.inngest.com", "source": "default"},
        "signing_key": {"value": None, "source": None},
        "signing_key_fallback": {"value": None, "source": None},
    }


def test_profile_values_masked_with_their_source(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = show(capsys, "--profile", "staging")
    assert report["profile"] == {"name": "staging", "source": "--profile"}
    assert report["profiles"] == ["local", "staging"]
    settings = report["settings"]
    assert settings["event_key"] == {"value": "****wxyz", "source": "profile staging (event_key)"}
    assert settings["signing_key"] == {
        "value": "****abcd",
        "source": "profile staging (signing_key)",
    }
    assert settings["env"] == {"value": "staging", "source": "profile staging (env)"}


def test_precedence_flag_env_profile_default(
    config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNGEST_PROFILE", "staging")
    monkeypatch.setenv("INNGEST_ENV", "from-env")
    monkeypatch.setenv("INNGEST_API_BASE_URL", "http://127.0.0.1:1234")
    report = show(capsys)
    assert report["profile"] == {"name": "staging", "source": "INNGEST_PROFILE"}
    settings = report["settings"]
    assert settings["env"] == {"value": "from-env", "source": "INNGEST_ENV"}
    assert settings["api_url"] == {"value": "http://127.0.0.1:1234",
                                   "source": "INNGEST_API_BASE_URL"}
    assert settings["event_key"]["source"] == "profile staging (event_key)"
    assert settings["event_api_url"] == {"value": "https://inn.gs", "source": "default"}


def test_flag_profile_beats_env_profile(
    config_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNGEST_PROFILE", "staging")
    report = show(capsys, "--profile", "local")
    assert report["profile"]["name"] == "local"
    assert report["settings"]["dev"] == {"value": True, "source": "profile local (dev)"}
    assert report["settings"]["event_api_url"]["value"] == "http://127.0.0.1:8288"


def test_default_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.toml"
    path.write_text('default_profile = "local"\n' + CONFIG)
    path.chmod(0o600)
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(path))
    assert show(capsys)["profile"] == {"name": "local", "source": "default_profile"}


def test_unknown_profile_is_a_usage_error(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--profile", "prod", "config", "show"]) == 2
    assert capsys.readouterr().err == (
        f"error: --profile: no profile 'prod' in {config_file}; known profiles: local, staging\n"
        + labelled("hint:", f"add a [profiles.prod] table to {config_file}, or set "
                   "INNGEST_CLI_CONFIG") + "\n"  # a long path: wrapped
    )


def test_unknown_profile_fails_whatever_the_command(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--profile", "prod", "completions", "bash"]) == 2
    assert capsys.readouterr().out == ""


def test_broken_config_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[profiles.x\n")
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(path))
    assert run(["config", "show"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: not valid TOML (")
    assert err.endswith("hint: see 'Profiles' in the README for the file's format\n")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_readable_key_file_warns_on_stderr(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file.chmod(0o644)
    assert run(["config", "show", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["config_file"]["exists"]  # stdout stays pure JSON
    assert err == (
        f"warning: {config_file} holds keys and other users can read it (mode 644); "
        f"run: chmod 600 {config_file}\n"
    )


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_readable_key_file_warns_in_a_real_run(config_file: Path) -> None:
    config_file.chmod(0o640)
    done = run_cli("--profile", "staging", "config", "show")
    assert done.returncode == 0
    assert done.stderr == (
        f"warning: {config_file} holds keys and other users can read it (mode 640); "
        f"run: chmod 600 {config_file}\n"
    )
    json.loads(done.stdout)


def test_no_key_ever_printed(config_file: Path) -> None:
    for args in (["config", "show", "-o", "json"], ["config", "show", "-o", "table"]):
        done = run_cli("--profile", "staging", "--verbose", *args)
        assert done.returncode == 0
        assert "SENTINEL" not in done.stdout + done.stderr
        assert "****wxyz" in done.stdout


def test_table_names_every_setting_and_source(config_file: Path) -> None:
    done = run_cli("--profile", "staging", "config", "show", "-o", "table")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["SETTING", "VALUE", "SOURCE"]
    assert any(line.split()[:3] == ["event", "key", "****wxyz"] for line in lines)
    assert any(line.endswith("profile staging (signing_key)") for line in lines)
    assert all(line == line.rstrip() for line in lines)


def test_piped_output_defaults_to_json() -> None:
    done = run_cli("config", "show")
    assert json.loads(done.stdout)["settings"]["dev"]["value"] is False


def test_bad_output_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["config", "show", "-o", "yaml"]) == 2
    assert capsys.readouterr().err == "error: --output: 'yaml' is not one of table, json\n"


def test_config_path(capsys: pytest.CaptureFixture[str], config_file: Path) -> None:
    assert run(["config", "path"]) == 0
    assert capsys.readouterr().out == f"{config_file}\n"


def test_config_path_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("INNGEST_CLI_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert run(["config", "path"]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'xdg' / 'inngest-cli' / 'config.toml'}\n"


def test_send_uses_the_profile(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--profile", "local", "send", "--dry-run", "--verbose", "--name", "a/b"]) == 0
    out = capsys.readouterr().out
    assert "POST http://127.0.0.1:8288/e/****" in out
