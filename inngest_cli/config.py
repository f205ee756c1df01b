"""Resolve where and how to talk to Inngest: flag > environment variable > profile > default.

Names follow the official SDKs (docs/protocol.md §10) so users' existing environments just work. A
profile is a mapping with the same variable names (see `Layers`); every resolved value remembers
where it came from, for `config show` and for error hints.

Everything comes in as arguments, nothing from the process: the `Layers` (the environment and the
chosen profile, which the caller picked) and the run's `Secrets`, to which each key found is
added before anything can be reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from inngest_cli.errors import UsageError
from inngest_cli.profiles import (  # one way: profiles never imports config
    EMPTY,
    PROFILE_KEYS,
    Active,
)
from inngest_cli.redact import Secrets

CLOUD_EVENT_API = "https://inn.gs"
CLOUD_API = "https://api.inngest.com"
DEV_ORIGIN = "http://127.0.0.1:8288"
DEV_PLACEHOLDER_KEY = "NO_EVENT_KEY_SET"
BRANCH_ENV_FALLBACKS = ("RAILWAY_GIT_BRANCH", "RENDER_GIT_BRANCH", "VERCEL_GIT_BRANCH")
DEFAULT = "default"

_PROFILE_KEY_OF = {variable: key for key, variable in PROFILE_KEYS.items()}


class Layers(NamedTuple):  # a NamedTuple: a dataclass compiles its methods at start-up
    """Where settings come from, below the command-line flags: the environment, then a profile.

    ``profile`` uses the environment variables' names (`INNGEST_EVENT_KEY`, ...); ``profile_name``
    labels values taken from it.
    """

    environ: Mapping[str, str]
    profile: Mapping[str, str] = EMPTY
    profile_name: str | None = None

    def get(self, *names: str) -> tuple[str | None, str]:
        """The first non-empty value among ``names``: environment first, then the profile."""
        for name in names:
            value = self.environ.get(name)
            if value:
                return value, name
        for name in names:
            value = self.profile.get(name)
            if value:
                return value, f"profile {self.profile_name} ({_PROFILE_KEY_OF.get(name, name)})"
        return None, DEFAULT


    @classmethod
    def over(cls, environ: Mapping[str, str], profile: Active) -> Layers:
        """``environ`` over the chosen profile (`profiles.choose`)."""
        return cls(environ=environ, profile=profile.values, profile_name=profile.name)


def _same_settings(one: tuple[Any, ...], other: object) -> bool:
    """The same values of the same settings, wherever they came from (`sources`, the last
    field); never equal to a plain tuple."""
    return type(other) is type(one) and one[:-1] == other[:-1]


# The resolved settings are NamedTuples, not frozen dataclasses: a dataclass compiles its methods
# at import, ~0.5 ms for each of these three, on every start of a command that sends. They are
# equal (and hash alike) without `sources`, the last field, which says where each value came from.


class EventAPIConfig(NamedTuple):
    origin: str
    event_key: str
    env: str | None
    dev: bool
    sources: Mapping[str, str] = EMPTY

    def url(self) -> str:
        return f"{self.origin}/e/{self.event_key}"

    def __eq__(self, other: object) -> bool:
        return _same_settings(self, other)

    def __hash__(self) -> int:
        return hash(self[:-1])


class APIConfig(NamedTuple):
    """The REST API: origin, signing key (and rotation fallback), branch environment."""

    origin: str
    signing_key: str | None
    signing_key_fallback: str | None
    env: str | None
    dev: bool
    sources: Mapping[str, str] = EMPTY

    def __eq__(self, other: object) -> bool:
        return _same_settings(self, other)

    def __hash__(self) -> int:
        return hash(self[:-1])


def parse_dev(value: str | None, secrets: Secrets) -> tuple[bool, str | None]:
    """`INNGEST_DEV`/`--dev`: `1`/`true` means dev mode, a URL means dev mode at that URL."""
    if value is None:
        return False, None
    text = value.strip()
    if text.lower() in {"", "0", "false", "no", "off"}:
        return False, None
    if text.lower() in {"1", "true", "yes", "on"}:
        return True, None
    if "://" in text:
        return True, normalize_origin(text, "INNGEST_DEV", secrets)
    shown = repr(text) if len(text) <= 12 or re.fullmatch(_HOST_PORT, text) else "the value"
    raise UsageError(
        f"INNGEST_DEV / --dev: {secrets.redact(shown)} is not 1, true, 0, false or a URL"
    )


# patterns for naming a refused URL, compiled (and cached by `re`) when one is refused
_SCHEME = r"[A-Za-z][A-Za-z0-9+.-]{0,15}"
_HOST_PORT = r"(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?/?"
_KEY_HINTS = {
    "event": "e.g. --event-api-url https://inn.gs with the key in INNGEST_EVENT_KEY "
    "(the client adds /e/<key> itself)",
    "api": "e.g. --api-url https://api.inngest.com with the key in INNGEST_SIGNING_KEY",
}
_ANY_KEY_HINT = "e.g. INNGEST_BASE_URL=https://inngest.example.com with the keys in "\
    "INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY"


def shown_url(value: str, secrets: Secrets) -> str:
    """How a refused URL is named in its error: never whole, as its path, query or userinfo may
    hold a key (`https://inn.gs/e/<key>`): `'scheme://host:port/…'`, masked."""
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        looks_like_host = re.fullmatch(_HOST_PORT, text) and ("." in text or "localhost" in text)
        return repr(secrets.redact(text)) if looks_like_host and len(text) <= 100 else "the value"
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    _, at, host = netloc.rpartition("@")
    shown = "".join((
        scheme if re.fullmatch(_SCHEME, scheme) else "…",
        "://",
        "****@" if at else "",
        host if re.fullmatch(_HOST_PORT, host) and len(host) <= 100 else "…" if host else "",
        "/…" if len(netloc) < len(rest) and rest[len(netloc):].strip("/") else "",
    ))
    return repr(secrets.redact(shown))


def normalize_origin(value: str, what: str, secrets: Secrets, kind: str | None = None) -> str:
    """``value`` as an origin, `scheme://host[:port]`. A path, query, fragment or userinfo is
    refused: the client adds `/e/{key}` and the auth header itself, and a key in the URL would
    be printed (`--event-api-url https://inn.gs/e/$KEY` is a natural mistake). Errors never
    show the value whole. ``kind`` ("event", "api") picks the hint."""
    text = value.strip()
    hint = _KEY_HINTS.get(kind or "", _ANY_KEY_HINT)
    try:
        parts = urlsplit(text)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        valid = False
    if not valid:
        raise UsageError(
            f"{what}: {shown_url(text, secrets)} is not an http:// or https:// URL", hint=hint
        )
    extra = [
        name
        for name, present in (
            ("a user or password", "@" in parts.netloc),
            ("a path", bool(parts.path.strip("/"))),
            ("a query", "?" in text),
            ("a fragment", "#" in text),
        )
        if present
    ]
    if extra:
        raise UsageError(
            f"{what}: {shown_url(text, secrets)} has {' and '.join(extra)}; pass the origin "
            "(scheme://host[:port]) and the key separately",
            hint=hint,
        )
    return f"{parts.scheme}://{parts.netloc}"


def _dev(dev: str | None, layers: Layers, secrets: Secrets) -> tuple[bool, str | None, str]:
    value, source = layers.get("INNGEST_DEV")
    if dev is not None:
        on, url = parse_dev(dev, secrets)
        if on and url is None and value:
            # a bare --dev turns dev mode on; where the Dev Server is may still come from
            # INNGEST_DEV (or a profile's dev) as a URL
            try:
                layer_on, layer_url = parse_dev(value, secrets)
            except UsageError:
                layer_on, layer_url = False, None
            if layer_on and layer_url:
                return True, layer_url, f"--dev (URL from {source})"
        return on, url, "--dev"
    return (*parse_dev(value, secrets), source)


def _origin(
    flag: str | None,
    flag_name: str,
    variable: str,
    layers: Layers,
    dev: bool,
    dev_url: str | None,
    dev_source: str,
    cloud: str,
    kind: str,
    secrets: Secrets,
) -> tuple[str, str]:
    if flag:
        return normalize_origin(flag, flag_name, secrets, kind), flag_name
    value, source = layers.get(variable, "INNGEST_BASE_URL")
    if value:
        shown_kind = kind if source == variable else None
        return normalize_origin(value, source, secrets, shown_kind), source
    if dev_url:
        return dev_url, dev_source
    return (DEV_ORIGIN if dev else cloud), DEFAULT


def _register_keys(layers: Layers, flag: str | None, secrets: Secrets) -> None:
    """Add every key the layers hold to ``secrets``, before anything can be reported."""
    secrets.add(flag.strip() if flag else None)
    for name in ("INNGEST_EVENT_KEY", "INNGEST_SIGNING_KEY", "INNGEST_SIGNING_KEY_FALLBACK"):
        value, _ = layers.get(name)
        if value and value.strip() != DEV_PLACEHOLDER_KEY:
            secrets.add(value.strip())


def _branch(env: str | None, layers: Layers) -> tuple[str | None, str]:
    """The branch environment and where it came from. It is sent as a header (`x-inngest-env`):
    a control character in it (a CR/LF would start another header) is a usage error."""
    if env is not None:
        value, source = env or None, "--env"
    else:
        # the SDK's chain: INNGEST_ENV or RAILWAY_GIT_BRANCH or RENDER_GIT_BRANCH or
        # VERCEL_GIT_BRANCH; a profile's env is chosen on purpose, so it beats the platforms'
        # ambient branch names
        value, source = layers.get("INNGEST_ENV")
        if not value:
            value, source = layers.get(*BRANCH_ENV_FALLBACKS)
    if value and _CONTROL.search(value):
        raise UsageError(f"{source}: a branch environment name cannot hold control characters")
    return value, source


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def resolve_event_api(
    *,
    event_key: str | None = None,
    env: str | None = None,
    dev: str | None = None,
    event_api_url: str | None = None,
    layers: Layers,
    secrets: Secrets,
    require_key: bool = True,
) -> EventAPIConfig:
    """Settings for `POST /e/{key}`, from the flags over ``layers``; every key seen is added to
    ``secrets``.

    Raises UsageError, before any traffic, in Cloud mode without a key (unless ``require_key``
    is false, for `config show`: the key is then empty).
    """
    _register_keys(layers, event_key, secrets)  # first: an error about a URL must mask them too
    dev_mode, dev_url, dev_source = _dev(dev, layers, secrets)
    origin, origin_source = _origin(
        event_api_url,
        "--event-api-url",
        "INNGEST_EVENT_API_BASE_URL",
        layers,
        dev_mode,
        dev_url,
        dev_source,
        CLOUD_EVENT_API,
        "event",
        secrets,
    )
    if event_key is not None:
        key, key_source = event_key.strip(), "--event-key"
    else:
        found, key_source = layers.get("INNGEST_EVENT_KEY")
        key = (found or "").strip()
    if not key:
        if dev_mode:
            key, key_source = DEV_PLACEHOLDER_KEY, "dev mode placeholder"
        elif require_key:
            raise UsageError(
                "no event key: set INNGEST_EVENT_KEY or pass --event-key",
                hint="for a local Dev Server or `inngest-cli serve`, pass --dev or INNGEST_DEV=1",
            )
        else:
            key_source = DEFAULT
    if any(c in key for c in "/?#% \t\r\n"):
        raise UsageError("event key: contains characters that cannot appear in a URL path")
    if key != DEV_PLACEHOLDER_KEY:  # public, and its pieces are words of our own messages
        secrets.add(key)
    branch, branch_source = _branch(env, layers)
    return EventAPIConfig(
        origin=origin,
        event_key=key,
        env=branch or None,
        dev=dev_mode,
        sources={
            "origin": origin_source,
            "event_key": key_source,
            "env": branch_source,
            "dev": dev_source,
        },
    )


def resolve_api(
    *,
    signing_key: str | None = None,
    env: str | None = None,
    dev: str | None = None,
    api_url: str | None = None,
    layers: Layers,
    secrets: Secrets,
) -> APIConfig:
    """Settings for the REST API, from the flags over ``layers``; every key seen is added to
    ``secrets``. A missing signing key is not an error here: dev servers and `serve` without
    --signing-key need none, and Cloud answers 401, which names the fix."""
    _register_keys(layers, signing_key, secrets)  # first: an error about a URL must mask them too
    dev_mode, dev_url, dev_source = _dev(dev, layers, secrets)
    origin, origin_source = _origin(
        api_url,
        "--api-url",
        "INNGEST_API_BASE_URL",
        layers,
        dev_mode,
        dev_url,
        dev_source,
        CLOUD_API,
        "api",
        secrets,
    )
    if signing_key is not None:
        key, key_source = signing_key.strip() or None, "--signing-key"
    else:
        key, key_source = layers.get("INNGEST_SIGNING_KEY")
    fallback, fallback_source = layers.get("INNGEST_SIGNING_KEY_FALLBACK")
    for secret in (key, fallback):
        secrets.add(secret)
    branch, branch_source = _branch(env, layers)
    return APIConfig(
        origin=origin,
        signing_key=key or None,
        signing_key_fallback=fallback or None,
        env=branch or None,
        dev=dev_mode,
        sources={
            "origin": origin_source,
            "signing_key": key_source,
            "signing_key_fallback": fallback_source,
            "env": branch_source,
            "dev": dev_source,
        },
    )


class ServeKeys(NamedTuple):
    """The keys `serve` requires, and where they came from."""

    event_keys: tuple[str, ...]
    signing_key: str | None
    signing_key_fallback: str | None
    sources: Mapping[str, str] = EMPTY

    def __eq__(self, other: object) -> bool:
        return _same_settings(self, other)

    def __hash__(self) -> int:
        return hash(self[:-1])


def resolve_serve_keys(
    event_keys: Sequence[str] | None = None,
    signing_key: str | None = None,
    *,
    environ: Mapping[str, str],
    secrets: Secrets,
) -> ServeKeys:
    """`serve`'s keys: the flags, else ``environ``, read as `inngest start` reads it:
    `INNGEST_EVENT_KEY` is a comma-separated list, `INNGEST_SIGNING_KEY` a key, and
    `INNGEST_SIGNING_KEY_FALLBACK` a second key accepted too (rotation); each is added to
    ``secrets``. No profile: a server's keys are its own, not a client's. The environment is the
    place for keys: a process's arguments are visible to every user of the machine (`ps`)."""
    env = environ
    sources: dict[str, str] = {}
    if event_keys:
        keys, sources["event_keys"] = tuple(event_keys), "--event-key"
    else:
        listed = env.get("INNGEST_EVENT_KEY", "")
        keys = tuple(key.strip() for key in listed.split(",") if key.strip())
        sources["event_keys"] = "INNGEST_EVENT_KEY" if keys else DEFAULT
    signing: str | None
    if signing_key is not None:  # an empty --signing-key is the server's error to report
        signing, sources["signing_key"] = signing_key.strip(), "--signing-key"
    else:
        signing = env.get("INNGEST_SIGNING_KEY", "").strip() or None
        sources["signing_key"] = "INNGEST_SIGNING_KEY" if signing else DEFAULT
    fallback = env.get("INNGEST_SIGNING_KEY_FALLBACK", "").strip() or None
    for secret in (*keys, signing, fallback):
        secrets.add(secret)
    if fallback is not None and signing is None:
        raise UsageError(
            "INNGEST_SIGNING_KEY_FALLBACK is set without a signing key",
            hint="set INNGEST_SIGNING_KEY too: the fallback is the key being rotated out",
        )
    return ServeKeys(keys, signing, fallback, sources)
