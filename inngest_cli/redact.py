"""Masking of secrets: event keys live in URL paths and signing keys (and their SHA-256, the
bearer token) in headers; neither may ever reach output, logs, errors, traces or tracebacks,
and servers echo both back (`Cannot POST /e/<key>`, a page listing the request's headers).

The secrets are those of one run, held by a `Secrets` object that the run creates and hands to
whatever reports text (the config resolution adds the keys it finds, the clients their tokens);
nothing here is process-wide, so two runs in one process never see each other's keys.

One rule for every text that came from outside (a reply's body or headers, a URL from a flag or
the environment): `Secrets.redact` it, or cut it with `Secrets.excerpt`/`Secrets.snippet`, which
mask *before* they cut, at the point where it becomes part of a message.

`redact` masks, in order:
- every registered secret in the forms a server may echo it in: as it is, URL-encoded,
  HTML-escaped, JSON-escaped; for a signing key also its hex body without the `signkey-<env>-`
  prefix and the hex SHA-256 of its bytes; all in any letter case;
- every piece of those forms at least `FRAGMENT` characters long (a server that cuts the path,
  a reply cut by us or by a gateway, a key split across lines): fewer than `FRAGMENT`
  characters of a secret are ever seen together, and `mask` itself shows the last four;
- what looks like a secret even when it was never registered: the `/e/{key}` path segment, a
  URL's userinfo (`https://user:password@host`), `signkey-<env>-<hex>` and `Bearer <token>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from inngest_cli.signingkeys import KEY_IN_TEXT, is_hex_body, strip_prefix

FRAGMENT = 8
"""The shortest piece of a registered secret that is masked on its own."""

_E_PATH = r"/e/([^/?#\s\"'<>&;,()\[\]{}]+)"
_USERINFO = r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@\"'<>]+@"
_BEARER = r"(?i)\b(bearer\s+)([A-Za-z0-9._~+/=-]{8,})"


def mask(secret: str | None) -> str:
    """`****abcd`: at most the last four characters, none for short secrets."""
    if not secret:
        return ""
    return "****" + (secret[-4:] if len(secret) >= 12 else "")


class _Matcher:
    """The registered secrets compiled: one pattern for the whole forms, a set for the pieces.
    Both match in any letter case: a gateway may lower-case a path or a header's name, and a
    key in another case is still the key."""

    def __init__(self, secrets: frozenset[str]) -> None:
        self.grams: set[str] = set()  # every FRAGMENT-long piece of a secret form, lower-cased
        whole: set[str] = set()
        for secret in secrets:
            for form, pieces in _forms(secret):
                whole.add(form)
                if pieces:
                    low = form.lower()
                    self.grams.update(low[i : i + FRAGMENT] for i in range(len(low) - FRAGMENT + 1))
        alternatives = [re.escape(form) for form in sorted(whole, key=len, reverse=True)]
        self.whole = re.compile("|".join(alternatives), re.I) if alternatives else None
        self.longest = max(map(len, whole), default=0)

    def pieces(self, text: str) -> str:
        """``text`` with every run of secret pieces replaced by `****`."""
        grams = self.grams
        if not grams or len(text) < FRAGMENT:
            return text
        low = text.lower() if text.isascii() else None  # else lower() may change the length
        spans: list[list[int]] = []
        for i in range(len(text) - FRAGMENT + 1):
            piece = low[i : i + FRAGMENT] if low is not None else text[i : i + FRAGMENT].lower()
            if piece in grams:
                if spans and i <= spans[-1][1]:
                    spans[-1][1] = i + FRAGMENT
                else:
                    spans.append([i, i + FRAGMENT])
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            out += [text[last:start], "****"]
            last = end
        out.append(text[last:])
        return "".join(out)


def _forms(secret: str) -> list[tuple[str, bool]]:
    """(form, whether its pieces are secret) for each way ``secret`` may be written back by a
    server."""
    import hashlib
    import html
    import json
    from urllib.parse import quote

    forms: list[tuple[str, bool]] = []
    bare = strip_prefix(secret.strip())
    if bare != secret:
        # a signing key: the `signkey-<env>-` prefix is no secret (our messages quote it), the
        # body is, and for a hex body so is its hash (the bearer token)
        forms.append((secret, False))
        if len(bare) < 4:
            return forms
        secret = bare
        if is_hex_body(bare):
            forms.append((bare, True))
            forms.append((hashlib.sha256(bytes.fromhex(bare)).hexdigest(), True))
            return forms
    for form in {secret, quote(secret, safe=""), html.escape(secret), json.dumps(secret)[1:-1]}:
        forms.append((form, True))
    return forms


def _mask_segment(match: re.Match[str]) -> str:
    segment = match.group(1)
    return "/e/" + (segment if segment.startswith("****") else mask(segment))


class Secrets:
    """The secrets one run must never show, and the masking of texts by them (thread-safe: a
    worker thread may mask while the main thread adds a key).

    ``Secrets()`` holds none: it still masks what looks like a secret (module docstring)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: frozenset[str] = frozenset()
        self._matcher: tuple[frozenset[str], _Matcher] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember a secret so that `redact` masks it wherever it shows up (and its hash, if
        any)."""
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets = self._secrets | {secret}  # a new set: readers never see it change

    def __contains__(self, secret: object) -> bool:
        return secret in self._secrets

    def _compiled(self) -> _Matcher:
        secrets, cached = self._secrets, self._matcher
        if cached is None or cached[0] is not secrets:
            cached = self._matcher = (secrets, _Matcher(secrets))
        return cached[1]

    def redact(self, text: str) -> str:
        """``text`` with every secret masked (see the module's docstring)."""
        matcher = self._compiled()
        if matcher.whole is not None:
            text = matcher.whole.sub(lambda m: mask(m.group(0)), text)
            text = matcher.pieces(text)
        # the patterns are compiled (and cached by `re`) on first use: a run that reports
        # nothing compiles none
        text = re.sub(KEY_IN_TEXT, lambda m: mask(m.group(0)), text)
        text = re.sub(_BEARER, lambda m: m.group(1) + mask(m.group(2)), text)
        text = re.sub(_USERINFO, r"\1****@", text)
        return re.sub(_E_PATH, _mask_segment, text)

    def excerpt(self, text: str, limit: int, *, more: bool = False) -> str:
        """At most ``limit`` characters of ``text``, masked before the cut: a secret across the
        cut is masked, not cut in two. ``more`` says that ``text`` is itself the start of a
        longer text (then its last characters may be the start of a secret, and are left
        out)."""
        window = limit + self._compiled().longest + FRAGMENT
        if len(text) > window:
            text, more = text[:window], True
        masked = self.redact(text)
        if more:
            masked = masked[:-FRAGMENT]
        return masked[:limit]

    def snippet(self, content: bytes, limit: int) -> str:
        """The start of a reply body as one line of at most ``limit`` characters, masked before
        it was cut; only a bounded prefix of ``content`` is decoded."""
        window = 4 * (limit + self._compiled().longest + FRAGMENT)  # UTF-8: at most 4 bytes each
        text = content[:window].decode("utf-8", "replace")
        more = len(content) > window
        return self.excerpt(text, limit, more=more).strip().replace("\n", " ")
