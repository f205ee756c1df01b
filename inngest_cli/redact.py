"""Masking of secrets: event keys live in URL paths and signing keys in headers; neither may
ever reach output, logs, errors or tracebacks."""

from __future__ import annotations

import re

_registered: set[str] = set()
_E_PATH = re.compile(r"/e/([^/?#\s\"']+)")


def mask(secret: str | None) -> str:
    """`****abcd`: at most the last four characters, none for short secrets."""
    if not secret:
        return ""
    return "****" + (secret[-4:] if len(secret) >= 12 else "")


def register_secret(secret: str | None) -> None:
    """Remember a secret so that `redact` masks it wherever it shows up (and its hash, if any)."""
    if secret and len(secret) >= 4:
        _registered.add(secret)


def redact(text: str) -> str:
    """Mask every registered secret and every `/e/{key}` path segment in ``text``."""
    for secret in sorted(_registered, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, mask(secret))
    return _E_PATH.sub(
        lambda m: "/e/" + (m.group(1) if m.group(1).startswith("****") else mask(m.group(1))), text
    )
