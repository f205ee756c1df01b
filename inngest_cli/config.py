"""Resolve where and how to send: a flag beats an environment variable beats the default.

Names follow the official SDKs (reference §9) so users' existing environments just work.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inngest_cli.errors import UsageError
from inngest_cli.redact import register_secret

CLOUD_EVENT_API = "https://inn.gs"
CLOUD_API = "https://api.inngest.com"
DEV_ORIGIN = "http://127.0.0.1:8288"
DEV_PLACEHOLDER_KEY = "NO_EVENT_KEY_SET"
BRANCH_ENV_FALLBACKS = ("RAILWAY_GIT_BRANCH", "RENDER_GIT_BRANCH", "VERCEL_GIT_BRANCH")


@dataclass(frozen=True)
class EventAPIConfig:
    origin: str
    event_key: str
    env: str | None
    dev: bool

    def url(self) -> str:
        return f"{self.origin}/e/{self.event_key}"


def parse_dev(value: str | None) -> tuple[bool, str | None]:
    """`INNGEST_DEV`/`--dev`: `1`/`true` means dev mode, a URL means dev mode at that URL."""
    if value is None:
        return False, None
    text = value.strip()
    if text.lower() in {"", "0", "false", "no", "off"}:
        return False, None
    if text.lower() in {"1", "true", "yes", "on"}:
        return True, None
    if text.startswith(("http://", "https://")):
        return True, normalize_origin(text, "INNGEST_DEV")
    raise UsageError(f"INNGEST_DEV / --dev: {value!r} is not 1, true, 0, false or a URL")


def normalize_origin(value: str, what: str) -> str:
    text = value.strip().rstrip("/")
    if not text.startswith(("http://", "https://")) or "://" == text[-3:]:
        raise UsageError(f"{what}: {value!r} is not an http:// or https:// URL")
    return text


def resolve_event_api(
    *,
    event_key: str | None = None,
    env: str | None = None,
    dev: str | None = None,
    event_api_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> EventAPIConfig:
    """Settings for `POST /e/{key}`.

    Raises UsageError, before any traffic, in Cloud mode without a key.
    """
    environ = os.environ if environ is None else environ
    dev_mode, dev_url = parse_dev(dev if dev is not None else environ.get("INNGEST_DEV"))
    if event_api_url:
        origin = normalize_origin(event_api_url, "--event-api-url")
    elif environ.get("INNGEST_EVENT_API_BASE_URL"):
        origin = normalize_origin(
            environ["INNGEST_EVENT_API_BASE_URL"], "INNGEST_EVENT_API_BASE_URL"
        )
    elif environ.get("INNGEST_BASE_URL"):
        origin = normalize_origin(environ["INNGEST_BASE_URL"], "INNGEST_BASE_URL")
    elif dev_url:
        origin = dev_url
    else:
        origin = DEV_ORIGIN if dev_mode else CLOUD_EVENT_API
    key = event_key if event_key is not None else environ.get("INNGEST_EVENT_KEY")
    key = (key or "").strip()
    if not key:
        if not dev_mode:
            raise UsageError(
                "no event key: set INNGEST_EVENT_KEY or pass --event-key",
                hint="for a local Dev Server or `inngest-cli serve`, "
                "pass --dev (or set INNGEST_DEV=1)",
            )
        key = DEV_PLACEHOLDER_KEY
    if any(c in key for c in "/?#% \t\r\n"):
        raise UsageError("event key: contains characters that cannot appear in a URL path")
    register_secret(key)
    branch = env if env is not None else environ.get("INNGEST_ENV")
    if not branch and env is None:  # the SDK's chain: INNGEST_ENV or RAILWAY_GIT_BRANCH or ...
        branch = next((environ[n] for n in BRANCH_ENV_FALLBACKS if environ.get(n)), None)
    return EventAPIConfig(origin=origin, event_key=key, env=branch or None, dev=dev_mode)
