"""The config file and its profiles: where it is, what it may hold, which profile is active, and
precedence flag > environment > profile > default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from inngest_cli.cli.context import RunContext
from inngest_cli.config import APIConfig, EventAPIConfig, Layers, resolve_api, resolve_event_api
from inngest_cli.errors import ExitCode, UsageError
from inngest_cli.profiles import ConfigFile, choose, config_path, load, permission_warning
from inngest_cli.redact import Secrets

STAGING = """
default_profile = "staging"

[profiles.staging]
event_key = "staging-event-key-1234"
signing_key = "signkey-prod-staging-5678"
env = "staging"
api_url = "https://api.staging.example"

[profiles.local]
dev = "http://127.0.0.1:9999"

[profiles.cloud]
dev = false
event_key = "cloud-key-abcdefgh"
"""



@pytest.fixture
def run() -> RunContext:
    """A run of the CLI: the process environment (isolated by conftest) and its profile."""
    return RunContext()


def event_api(run: RunContext, **flags: Any) -> EventAPIConfig:
    """`resolve_event_api` as a command calls it: the run's environment over its profile."""
    return resolve_event_api(layers=run.layers(), secrets=run.secrets, **flags)


def rest_api(run: RunContext, **flags: Any) -> APIConfig:
    return resolve_api(layers=run.layers(), secrets=run.secrets, **flags)


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(STAGING)
    path.chmod(0o600)
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(path))
    return path


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text)
    return path


# --- where the file is ---------------------------------------------------------------------------


def test_config_path_env_var_wins() -> None:
    env = {"INNGEST_CLI_CONFIG": "/x/y.toml", "XDG_CONFIG_HOME": "/xdg"}
    assert config_path(env) == Path("/x/y.toml")


def test_config_path_xdg() -> None:
    assert config_path({"XDG_CONFIG_HOME": "/xdg"}) == Path("/xdg/inngest-cli/config.toml")


def test_config_path_home_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path({}) == tmp_path / ".config" / "inngest-cli" / "config.toml"


def test_config_path_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config_path({"INNGEST_CLI_CONFIG": "~/c.toml"}) == tmp_path / "c.toml"


# --- what it may hold ----------------------------------------------------------------------------


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    assert load(tmp_path / "nope.toml") == ConfigFile(tmp_path / "nope.toml")


def test_load_maps_keys_to_sdk_variables(config_file: Path) -> None:
    config = load(config_file)
    assert config.exists and config.holds_keys and config.mode == 0o600
    assert config.default_profile == "staging"
    assert config.profiles["staging"] == {
        "INNGEST_EVENT_KEY": "staging-event-key-1234",
        "INNGEST_SIGNING_KEY": "signkey-prod-staging-5678",
        "INNGEST_ENV": "staging",
        "INNGEST_API_BASE_URL": "https://api.staging.example",
    }
    assert config.profiles["local"] == {"INNGEST_DEV": "http://127.0.0.1:9999"}
    assert config.profiles["cloud"]["INNGEST_DEV"] == "0"


def test_every_documented_key(tmp_path: Path) -> None:
    keys = ["event_key", "signing_key", "signing_key_fallback", "env", "dev", "base_url",
            "event_api_url", "api_url"]
    path = write(tmp_path, "[profiles.p]\n" + "".join(f'{k} = "v-{k}"\n' for k in keys))
    assert sorted(load(path).profiles["p"]) == sorted([
        "INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY", "INNGEST_SIGNING_KEY_FALLBACK", "INNGEST_ENV",
        "INNGEST_DEV", "INNGEST_BASE_URL", "INNGEST_EVENT_API_BASE_URL", "INNGEST_API_BASE_URL",
    ])


def test_unknown_key_is_named_with_the_closest_known_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.p]\nevent_kye = "x"\n')
    with pytest.raises(UsageError) as info:
        choose(load(path), "p", {})
    assert info.value.message == (
        f"{path}: [profiles.p]: unknown key 'event_kye' (did you mean 'event_key'? known: "
        "event_key, signing_key, signing_key_fallback, env, dev, base_url, event_api_url, api_url)"
    )
    assert info.value.exit_code == ExitCode.USAGE


def test_a_broken_profile_does_not_break_the_others(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.p]\nevent_kye = "x"\n\n[profiles.ok]\nenv = "fine"\n')
    config = load(path)
    assert choose(config, "ok", {}).values == {"INNGEST_ENV": "fine"}
    assert choose(config, None, {}).name is None
    assert config.names == ["ok", "p"]
    with pytest.raises(UsageError):
        choose(config, None, {"INNGEST_PROFILE": "p"})


def test_a_broken_profile_breaks_no_command_that_does_not_use_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from inngest_cli.cli.main import run

    path = write(tmp_path, '[profiles.p]\nevnt_key = "x"\n')
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(path))
    assert run(["send", "--dev", "--dry-run", "--name", "app/x"]) == 0
    assert run(["--profile", "p", "send", "--dev", "--dry-run", "--name", "app/x"]) == 2
    assert "error: " + str(path) + ": [profiles.p]: unknown key 'evnt_key' (did you mean " \
        "'event_key'? known: " in capsys.readouterr().err


def test_a_mistyped_profile_name_gets_a_suggestion(config_file: Path) -> None:
    with pytest.raises(UsageError) as info:
        choose(load(config_file), "stagin", {})
    assert info.value.message == (
        f"--profile: no profile 'stagin' in {config_file}; known profiles: cloud, local, staging"
    )
    assert info.value.hint == "did you mean 'staging'?"


def test_a_mistyped_top_level_key_gets_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, 'default_profil = "x"\n')
    with pytest.raises(UsageError) as info:
        load(path)
    assert info.value.message == (
        f"{path}: unknown top-level key 'default_profil' (did you mean 'default_profile'?)"
    )


def test_singular_profile_table_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, '[profile.p]\nenv = "x"\n')
    with pytest.raises(UsageError) as info:
        load(path)
    assert info.value.message == (
        f"{path}: unknown top-level key 'profile' (profiles are [profiles.NAME] tables)"
    )


def test_wrong_value_type(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        choose(load(write(tmp_path, "[profiles.p]\nenv = 3\n")), "p", {})
    assert info.value.message.endswith(": [profiles.p]: env must be a string")


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[profiles.p]\nenv = \n")
    with pytest.raises(UsageError) as info:
        load(path)
    assert info.value.message.startswith(f"{path}: not valid TOML (")
    assert "line 2" in info.value.message


def test_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        load(tmp_path)
    assert info.value.message.startswith(f"{tmp_path}: cannot read: ")


def test_file_without_keys_does_not_hold_keys(tmp_path: Path) -> None:
    assert not load(write(tmp_path, '[profiles.p]\nenv = "x"\n')).holds_keys


# --- permissions -------------------------------------------------------------------------------


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_keys_readable_by_others_warn(config_file: Path, mode: int) -> None:
    config_file.chmod(mode)
    assert permission_warning(load(config_file)) == (
        f"{config_file} holds keys and other users can read it (mode {mode:03o}); "
        f"run: chmod 600 {config_file}"
    )


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_private_file_does_not_warn(config_file: Path) -> None:
    config_file.chmod(0o600)
    assert permission_warning(load(config_file)) is None


def test_readable_file_without_keys_does_not_warn(tmp_path: Path) -> None:
    path = write(tmp_path, '[profiles.p]\nenv = "x"\n')
    path.chmod(0o644)
    assert permission_warning(load(path)) is None


# --- which profile -------------------------------------------------------------------------------


def test_flag_beats_env_beats_default_profile(config_file: Path) -> None:
    config = load(config_file)
    assert choose(config, "local", {"INNGEST_PROFILE": "cloud"}).name == "local"
    assert choose(config, None, {"INNGEST_PROFILE": "cloud"}).name == "cloud"
    assert choose(config, None, {}).name == "staging"
    assert choose(config, None, {}).chosen_by == "default_profile"


def test_no_profile_without_a_choice(tmp_path: Path) -> None:
    active = choose(load(write(tmp_path, '[profiles.p]\nenv = "x"\n')), None, {})
    assert (active.name, active.values) == (None, {})


def test_unknown_profile_lists_the_known_ones(config_file: Path) -> None:
    with pytest.raises(UsageError) as info:
        choose(load(config_file), "prod", {})
    assert info.value.message == (
        f"--profile: no profile 'prod' in {config_file}; known profiles: cloud, local, staging"
    )
    assert info.value.hint == (
        f"add a [profiles.prod] table to {config_file}, or set INNGEST_CLI_CONFIG"
    )


def test_unknown_profile_from_the_environment(config_file: Path) -> None:
    with pytest.raises(UsageError) as info:
        choose(load(config_file), None, {"INNGEST_PROFILE": "prod"})
    assert info.value.message.startswith("INNGEST_PROFILE: no profile 'prod' in ")


def test_profile_without_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    with pytest.raises(UsageError) as info:
        choose(load(missing), "staging", {})
    assert info.value.message == (
        f"--profile: no profile 'staging' in {missing} (no such file); known profiles: none"
    )


def test_the_file_is_read_once_per_choice(run: RunContext, config_file: Path) -> None:
    assert run.profile().name == "staging"
    config_file.write_text('default_profile = "x"\n[profiles.x]\nenv = "changed-env"\n')
    assert run.profile().name == "staging"  # a run reads the file once
    run.set_global("profile", None)  # a new choice (--profile after the command) reads it again
    assert run.profile().values == {"INNGEST_ENV": "changed-env"}
    config_file.write_text('default_profile = "y"\n[profiles.y]\nenv = "third"\n')
    assert RunContext().profile().values == {"INNGEST_ENV": "third"}  # so does the next run
    assert run.profile().values == {"INNGEST_ENV": "changed-env"}


def test_permission_warning_is_reported_once(
    run: RunContext, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file.chmod(0o644)
    run.profile()
    run.profile()
    assert capsys.readouterr().err == f"warning: {permission_warning(load(config_file))}\n"


# --- precedence: flag > environment > profile > default ------------------------------------------


def test_profile_values_are_used(run: RunContext, config_file: Path) -> None:
    config = event_api(run)
    assert (config.event_key, config.env, config.origin) == (
        "staging-event-key-1234", "staging", "https://inn.gs",
    )
    assert config.sources == {
        "origin": "default",
        "event_key": "profile staging (event_key)",
        "env": "profile staging (env)",
        "dev": "default",
    }


def test_environment_beats_profile(
    run: RunContext, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNGEST_EVENT_KEY", "from-the-environment")
    config = event_api(run)
    assert (config.event_key, config.sources["event_key"]) == (
        "from-the-environment", "INNGEST_EVENT_KEY",
    )
    assert config.env == "staging"  # the rest still comes from the profile


def test_flag_beats_environment_and_profile(
    run: RunContext, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNGEST_ENV", "env-branch")
    config = event_api(run, event_key="flag-key-123", env="flag-branch")
    assert (config.event_key, config.env) == ("flag-key-123", "flag-branch")
    assert (config.sources["event_key"], config.sources["env"]) == ("--event-key", "--env")


def test_default_below_profile(run: RunContext, config_file: Path) -> None:
    run.set_global("profile", "local")
    config = event_api(run)
    assert (config.dev, config.origin, config.event_key) == (
        True, "http://127.0.0.1:9999", "NO_EVENT_KEY_SET",
    )
    assert config.sources["origin"] == "profile local (dev)"


def test_rest_api_from_profile(run: RunContext, config_file: Path) -> None:
    config = rest_api(run)
    assert (config.origin, config.signing_key, config.env) == (
        "https://api.staging.example", "signkey-prod-staging-5678", "staging",
    )
    assert config.sources["signing_key"] == "profile staging (signing_key)"


def test_profile_keys_are_registered_for_masking(run: RunContext, config_file: Path) -> None:
    rest_api(run)
    event_api(run)
    text = run.secrets.redact("staging-event-key-1234 signkey-prod-staging-5678")
    assert text == "****1234 ****5678"


def test_profile_env_beats_platform_branch(
    run: RunContext, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERCEL_GIT_BRANCH", "preview-branch")
    assert event_api(run).env == "staging"


def test_platform_branch_without_a_profile_env() -> None:
    layers = Layers(environ={"VERCEL_GIT_BRANCH": "v"}, profile={"INNGEST_DEV": "1"},
                    profile_name="p")
    assert resolve_event_api(layers=layers, secrets=Secrets()).env == "v"


def test_dev_flag_takes_the_dev_url_from_the_profile(run: RunContext, config_file: Path) -> None:
    run.set_global("profile", "local")
    config = event_api(run, dev="1")
    assert (config.dev, config.origin) == (True, "http://127.0.0.1:9999")
    assert config.sources["dev"] == "--dev (URL from profile local (dev))"


def test_dev_flag_with_dev_url_in_the_environment() -> None:
    config = resolve_event_api(
        dev="1", layers=Layers(environ={"INNGEST_DEV": "http://127.0.0.1:7777"}), secrets=Secrets()
    )
    assert config.origin == "http://127.0.0.1:7777"


def test_profile_dev_false_is_cloud(run: RunContext, config_file: Path) -> None:
    run.set_global("profile", "cloud")
    config = event_api(run)
    assert (config.dev, config.event_key) == (False, "cloud-key-abcdefgh")


def test_explicit_environ_ignores_profiles(config_file: Path) -> None:
    with pytest.raises(UsageError):
        resolve_event_api(layers=Layers(environ={}), secrets=Secrets())


def test_show_without_a_key_does_not_fail() -> None:
    config = resolve_event_api(require_key=False, layers=Layers(environ={}), secrets=Secrets())
    assert (config.event_key, config.sources["event_key"]) == ("", "default")
