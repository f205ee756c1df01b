"""The shape of an Inngest signing key, defined once for the client, `serve` and the masking.

A signing key is ``signkey-<env>-<body>``: the prefix names the environment and is no secret;
the body is hex of even length, and the bearer token the SDKs send is the hex SHA-256 of the
bytes that hex encodes.
"""

from __future__ import annotations

import re

# patterns, compiled (and cached by `re`) on first use: a run that meets no key compiles none
_PREFIX = r"(?a)^signkey-\w+-"
_HEX = r"[0-9a-fA-F]+"

KEY_IN_TEXT = r"(?i)\bsignkey-[a-z0-9]+-[0-9a-f]{8,}"
"""A signing key somewhere inside a text (looser than a key on its own: any case, at least 8 hex
digits), for masking keys that were never registered as secrets."""


def strip_prefix(key: str) -> str:
    """``key`` without its ``signkey-<env>-`` prefix (unchanged when it has none)."""
    return re.sub(_PREFIX, "", key, count=1)


def is_hex_body(bare: str) -> bool:
    """Whether ``bare`` (a key without its prefix) is hex of even length, so it decodes to bytes."""
    return len(bare) % 2 == 0 and re.fullmatch(_HEX, bare) is not None
