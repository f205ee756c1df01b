"""The config file and its named profiles.

    # $INNGEST_CLI_CONFIG, else $XDG_CONFIG_HOME/inngest-cli/config.toml, else
    # ~/.config/inngest-cli/config.toml (macOS too); Windows: %APPDATA%\\inngest-cli\\config.toml
    default_profile = "staging"        # optional: the profile used when none is named

    [profiles.staging]
    event_key = "..."
    signing_key = "..."
    env = "staging"                    # a branch environment

    [profiles.local]
    dev = "http://127.0.0.1:8288"      # or true

The active profile is `--profile NAME`, else `INNGEST_PROFILE`, else `default_profile`, else none.
Its values stand for the SDK variables (`PROFILE_KEYS`) one layer below the environment, so
the order is flag > environment > profile > default (`config.Layers`). A file that holds keys and
that other users can read is reported (`Active.warning`), never silently used. Nothing is kept
here: the caller (the CLI's `RunContext`) chooses the profile once per run and keeps it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from inngest_cli.errors import UsageError

EMPTY: Mapping[Any, Any] = MappingProxyType({})  # the default of a record's mappings: read-only

CONFIG_ENV = "INNGEST_CLI_CONFIG"
PROFILE_ENV = "INNGEST_PROFILE"
FLAG = "--profile"
TOP_LEVEL_KEYS = ("default_profile", "profiles")

# A profile's keys and the SDK variables they stand for (config.Layers reads them by variable).
PROFILE_KEYS = {
    "event_key": "INNGEST_EVENT_KEY",
    "signing_key": "INNGEST_SIGNING_KEY",
    "signing_key_fallback": "INNGEST_SIGNING_KEY_FALLBACK",
    "env": "INNGEST_ENV",
    "dev": "INNGEST_DEV",
    "base_url": "INNGEST_BASE_URL",
    "event_api_url": "INNGEST_EVENT_API_BASE_URL",
    "api_url": "INNGEST_API_BASE_URL",
}
SECRET_PROFILE_KEYS = ("event_key", "signing_key", "signing_key_fallback")


def config_path(environ: Mapping[str, str]) -> Path:
    """Where the config file is (whether or not it exists), by ``environ``."""
    env = environ
    explicit = env.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        base = env.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
    else:  # Linux, the BSDs and macOS alike: XDG, as gh and many other CLIs do
        base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "inngest-cli" / "config.toml"


class ConfigFile(NamedTuple):  # a NamedTuple: a dataclass compiles its methods at start-up
    path: Path
    exists: bool = False
    default_profile: str | None = None
    # profile name -> {SDK variable name: value}
    profiles: Mapping[str, Mapping[str, str]] = EMPTY
    holds_keys: bool = False
    mode: int | None = None  # permission bits, when the file exists
    # profile name -> what is wrong with it: reported only when that profile is the one used, so
    # a typo in one profile does not break the commands that use another
    problems: Mapping[str, UsageError] = EMPTY

    @property
    def names(self) -> list[str]:
        """Every profile in the file, valid or not."""
        return [*self.profiles, *(name for name in self.problems if name not in self.profiles)]


def _problem(path: Path, where: str, message: str) -> UsageError:
    return UsageError(
        f"{path}: {where}{message}", hint="see 'Profiles' in the README for the file's format"
    )


def _did_you_mean(word: str, known: list[str] | tuple[str, ...]) -> str | None:
    """The closest known name to a mistyped one, if one is close."""
    from difflib import get_close_matches

    matches = get_close_matches(word, list(known), n=1)
    return matches[0] if matches else None


def _profile_values(path: Path, name: str, table: Any) -> dict[str, str]:
    where = f"[profiles.{name}]: "
    if not isinstance(table, dict):
        raise _problem(path, "", f"profiles.{name} must be a table ([profiles.{name}])")
    values: dict[str, str] = {}
    for key, value in table.items():
        variable = PROFILE_KEYS.get(key)
        if variable is None:
            close = _did_you_mean(key, tuple(PROFILE_KEYS))
            guess = f"did you mean {close!r}? " if close else ""
            raise _problem(
                path, where, f"unknown key {key!r} ({guess}known: {', '.join(PROFILE_KEYS)})"
            )
        if key == "dev" and isinstance(value, bool):
            value = "1" if value else "0"
        if not isinstance(value, str):
            raise _problem(path, where, f"{key} must be a string")
        values[variable] = value
    return values


def load(path: Path) -> ConfigFile:
    """Read and check the file; a missing file is an empty config. Raises UsageError when the file
    as a whole is wrong (not TOML, an unknown top-level key); a wrong profile is recorded in
    ``problems`` and reported by `choose` only if that profile is used."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return ConfigFile(path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    import tomllib  # only when there is a file: most runs have none

    with handle:
        mode = os.fstat(handle.fileno()).st_mode
        try:
            document = tomllib.load(handle)
        except OSError as exc:
            raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise _problem(path, "", f"not valid TOML ({exc})") from None
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            close = _did_you_mean(key, TOP_LEVEL_KEYS)
            if key == "profile":
                hint = " (profiles are [profiles.NAME] tables)"
            else:
                hint = f" (did you mean {close!r}?)" if close else ""
            raise _problem(path, "", f"unknown top-level key {key!r}{hint}")
    default = document.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise _problem(path, "", "default_profile must be a string")
    tables = document.get("profiles", {})
    if not isinstance(tables, dict):
        raise _problem(path, "", "profiles must be tables: [profiles.NAME]")
    profiles: dict[str, Mapping[str, str]] = {}
    problems: dict[str, UsageError] = {}
    for name, table in tables.items():
        try:
            profiles[name] = _profile_values(path, name, table)
        except UsageError as problem:
            problems[name] = problem
    holds_keys = any(
        isinstance(table, dict) and any(table.get(key) for key in SECRET_PROFILE_KEYS)
        for table in tables.values()
    )
    return ConfigFile(
        path, True, default or None, profiles, holds_keys, stat.S_IMODE(mode), problems
    )


def profile_names(path: Path) -> list[str]:
    """The names of the profiles in the file, for shell completion: whatever TOML spelling the
    file uses (quoted names, dotted keys, inline tables); nothing if it cannot be read or parsed
    (a completion offers nothing rather than an error)."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []
    tables = document.get("profiles")
    if not isinstance(tables, dict):
        return []
    return [name for name, table in tables.items() if isinstance(table, dict)]


def permission_warning(config: ConfigFile) -> str | None:
    """A warning when a file holding keys can be read (or written) by other users."""
    if os.name == "nt" or not config.holds_keys or config.mode is None:
        return None
    if not config.mode & 0o077:
        return None
    return (
        f"{config.path} holds keys and other users can read it (mode {config.mode:03o}); "
        f"run: chmod 600 {config.path}"
    )


class Active(NamedTuple):
    """The profile in effect: its values by SDK variable name, and how it was chosen."""

    file: ConfigFile
    name: str | None = None
    chosen_by: str | None = None  # "--profile", "INNGEST_PROFILE" or "default_profile"
    values: Mapping[str, str] = EMPTY
    warning: str | None = None


def choose(config: ConfigFile, flag: str | None, environ: Mapping[str, str]) -> Active:
    """Pick the profile: --profile, then INNGEST_PROFILE (in ``environ``), then default_profile.
    Raises a UsageError naming the known profiles when the chosen one is not in the file."""
    env = environ
    if flag is not None:
        name, chosen_by = flag, FLAG
    elif env.get(PROFILE_ENV):
        name, chosen_by = env[PROFILE_ENV], PROFILE_ENV
    elif config.default_profile:
        name, chosen_by = config.default_profile, "default_profile"
    else:
        return Active(config, warning=permission_warning(config))
    if name in config.problems:
        raise config.problems[name]
    if name not in config.profiles:
        where = f"{config.path}" if config.exists else f"{config.path} (no such file)"
        known = ", ".join(sorted(config.names)) or "none"
        close = _did_you_mean(name, config.names)
        raise UsageError(
            f"{chosen_by}: no profile {name!r} in {where}; known profiles: {known}",
            hint=f"did you mean {close!r}?"
            if close
            else f"add a [profiles.{name}] table to {config.path}, or set {CONFIG_ENV}",
        )
    return Active(config, name, chosen_by, config.profiles[name], permission_warning(config))
