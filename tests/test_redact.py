"""Masking of secrets: at most the last 4 characters ever shown (cli-conventions "Errors")."""

from __future__ import annotations

import hashlib
import html
import json
from urllib.parse import quote

import pytest

from inngest_cli.redact import FRAGMENT, Secrets, mask


@pytest.fixture
def secrets() -> Secrets:
    """A run's secrets: none registered yet."""
    return Secrets()


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        ("abcdefghijkl", "****ijkl"),
        ("signkey-prod-0123456789abcdef", "****cdef"),
        ("abcdefghijk", "****"),
        ("abcd", "****"),
        ("a", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask(secret: str | None, masked: str) -> None:
    assert mask(secret) == masked


@pytest.mark.parametrize("length", range(1, 40))
def test_mask_shows_at_most_the_last_four_characters(length: int) -> None:
    secret = "".join(chr(ord("a") + i % 26) for i in range(length))
    shown = mask(secret).removeprefix("****")
    assert len(shown) <= 4
    assert secret.endswith(shown)
    assert len(shown) < length


def test_redact_registered_secret(secrets: Secrets) -> None:
    secrets.add("signkey-prod-0123456789abcdef")
    assert secrets.redact("Authorization: Bearer signkey-prod-0123456789abcdef") == (
        "Authorization: Bearer ****cdef"
    )


def test_redact_every_occurrence(secrets: Secrets) -> None:
    secrets.add("supersecretvalue")
    assert secrets.redact("a supersecretvalue b supersecretvalue") == "a ****alue b ****alue"


def test_redact_short_registered_secret(secrets: Secrets) -> None:
    secrets.add("k3y!")
    assert secrets.redact("key=k3y!") == "key=****"


def test_secrets_shorter_than_four_are_not_registered(secrets: Secrets) -> None:
    secrets.add("abc")
    assert secrets.redact("abc abc") == "abc abc"


def test_register_none_and_empty(secrets: Secrets) -> None:
    secrets.add(None)
    secrets.add("")
    assert secrets.redact("nothing here") == "nothing here"


def test_longer_secret_masked_before_its_prefix(secrets: Secrets) -> None:
    secrets.add("abcdefghijkl")
    secrets.add("abcdefghijklmnopqrst")
    assert secrets.redact("x abcdefghijklmnopqrst y") == "x ****qrst y"


def test_redact_event_key_in_url_path(secrets: Secrets) -> None:
    assert secrets.redact("POST https://inn.gs/e/abcdefghijklmnop failed") == (
        "POST https://inn.gs/e/****mnop failed"
    )


def test_redact_event_key_before_query(secrets: Secrets) -> None:
    assert secrets.redact("https://inn.gs/e/abcdefghijklmnop?x=1") == "https://inn.gs/e/****mnop?x=1"


def test_redact_short_event_key_in_path(secrets: Secrets) -> None:
    assert secrets.redact("url='http://127.0.0.1:8288/e/k3y'") == "url='http://127.0.0.1:8288/e/****'"


def test_redact_placeholder_key_in_path(secrets: Secrets) -> None:
    assert secrets.redact("http://127.0.0.1:8288/e/NO_EVENT_KEY_SET") == (
        "http://127.0.0.1:8288/e/****_SET"
    )


def test_redact_registered_key_in_path_is_masked_once(secrets: Secrets) -> None:
    secrets.add("abcdefghijklmnop")
    assert secrets.redact("POST https://inn.gs/e/abcdefghijklmnop/ then abcdefghijklmnop") == (
        "POST https://inn.gs/e/****mnop/ then ****mnop"
    )


def test_redact_several_paths(secrets: Secrets) -> None:
    assert secrets.redact('"/e/abcdefghijklmnop" and "/e/qrstuvwxyz123456"') == (
        '"/e/****mnop" and "/e/****3456"'
    )


def test_redact_is_idempotent(secrets: Secrets) -> None:
    secrets.add("abcdefghijklmnop")
    once = secrets.redact("https://inn.gs/e/abcdefghijklmnop and abcdefghijklmnop")
    assert secrets.redact(once) == once


def test_redact_leaves_other_text_alone(secrets: Secrets) -> None:
    text = "GET https://api.inngest.com/v1/events?limit=5 -> 200"
    assert secrets.redact(text) == text


# -- the forms a server echoes a secret in ---------------------------------------------------

SIGNING_HEX = "5e" * 16 + "0123456789abcdef" * 2
SIGNING = f"signkey-prod-{SIGNING_HEX}"
BEARER = hashlib.sha256(bytes.fromhex(SIGNING_HEX)).hexdigest()
EVENT_KEY = "evt+Key=Sentinel&9f8e7d6c"


def assert_no_piece(secret: str, text: str, longest: int = 4) -> None:
    """No more than ``longest`` consecutive characters of ``secret`` in ``text``."""
    for i in range(len(secret) - longest):
        piece = secret[i : i + longest + 1]
        assert piece.lower() not in text.lower(), f"{piece!r} of the secret in {text!r}"


@pytest.mark.parametrize(
    "echo",
    [
        SIGNING,
        SIGNING_HEX,
        SIGNING_HEX.upper(),
        BEARER,
        BEARER.upper(),
        f"signkey-prod-{BEARER}",  # Inngest's "hashed signing key"
        f"Authorization: Bearer {BEARER}",
    ],
)
def test_a_signing_key_is_masked_in_every_form(secrets: Secrets, echo: str) -> None:
    secrets.add(SIGNING)
    shown = secrets.redact(f"echo: {echo} end")
    assert shown.startswith("echo: ") and shown.endswith(" end")
    assert_no_piece(SIGNING_HEX, shown)
    assert_no_piece(BEARER, shown)


@pytest.mark.parametrize("key", [SIGNING, "signkey-prod-not-hex-at-all", "signkey-test-zz"])
def test_the_signkey_prefix_alone_is_no_secret(secrets: Secrets, key: str) -> None:
    secrets.add(key)
    text = "Inngest signing keys look like signkey-prod-<hex> (optionally after signkey-<env>-)"
    assert secrets.redact(text) == text
    assert secrets.redact(f"echo {key}") == f"echo {mask(key)}"
    assert_no_piece(key.split("-", 2)[2], secrets.redact(f"cut {key[:-3]}..."), 3)


@pytest.mark.parametrize(
    "echo",
    [
        EVENT_KEY,
        quote(EVENT_KEY, safe=""),
        html.escape(EVENT_KEY),
        json.dumps(EVENT_KEY)[1:-1],
        f"Cannot POST /e/{quote(EVENT_KEY, safe='')}",
    ],
)
def test_an_event_key_is_masked_url_encoded_html_escaped_and_json_escaped(
    secrets: Secrets, echo: str
) -> None:
    secrets.add(EVENT_KEY)
    assert_no_piece(EVENT_KEY, secrets.redact(f"<pre>{echo}</pre>"))


@pytest.mark.parametrize(
    ("start", "end"), [(0, 8), (0, 20), (5, 25), (17, 25), (3, 11), (0, 24)]
)
def test_a_piece_of_a_registered_secret_is_masked(secrets: Secrets, start: int, end: int) -> None:
    secrets.add(EVENT_KEY)
    shown = secrets.redact(f"Cannot POST {EVENT_KEY[start:end]}... (cut by the server)")
    assert shown == "Cannot POST ****... (cut by the server)"


def test_a_piece_shorter_than_fragment_is_left(secrets: Secrets) -> None:
    secrets.add(EVENT_KEY)
    assert secrets.redact(f"x {EVENT_KEY[:FRAGMENT - 1]} y") == f"x {EVENT_KEY[:FRAGMENT - 1]} y"


def test_our_own_words_survive_registered_keys(secrets: Secrets) -> None:
    for secret in (SIGNING, EVENT_KEY):
        secrets.add(secret)
    text = (
        "no event key: set INNGEST_EVENT_KEY or pass --event-key; check INNGEST_SIGNING_KEY / "
        "--signing-key (and --env for a branch environment)"
    )
    assert secrets.redact(text) == text


# -- secrets nobody registered ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("proxy http://ada:hunter2@proxy:3128 down", "proxy http://****@proxy:3128 down"),
        ("https://tok3n@host/x", "https://****@host/x"),
        ("key signkey-test-0123456789abcdef0123", "key ****0123"),
        ("Authorization: Bearer abcdefgh12345678", "Authorization: Bearer ****5678"),
        ("a Bearer token", "a Bearer token"),
        ("<pre>Cannot POST /e/unregisteredkey123</pre>", "<pre>Cannot POST /e/****y123</pre>"),
        ("mail ada@example.com", "mail ada@example.com"),
    ],
)
def test_what_looks_like_a_secret_is_masked(secrets: Secrets, text: str, shown: str) -> None:
    assert secrets.redact(text) == shown


def test_redact_is_idempotent_for_every_form(secrets: Secrets) -> None:
    secrets.add(SIGNING)
    secrets.add(EVENT_KEY)
    once = secrets.redact(f"{SIGNING} {BEARER[:30]} {quote(EVENT_KEY, safe='')} http://u:p@h/e/k1234")
    assert secrets.redact(once) == once


# -- masked before the cut -------------------------------------------------------------------


@pytest.mark.parametrize("secret", [EVENT_KEY, SIGNING, BEARER])
def test_excerpt_masks_a_secret_across_the_cut_at_every_offset(
    secrets: Secrets, secret: str
) -> None:
    secrets.add(SIGNING)
    secrets.add(EVENT_KEY)
    limit = 60
    for offset in range(limit + 5):
        for tail in ("", "y" * 300):
            shown = secrets.excerpt("x" * offset + secret + tail, limit)
            assert len(shown) <= limit
            assert_no_piece(secret, shown)


@pytest.mark.parametrize("pad", ["x", "é", "😀"])
def test_snippet_masks_a_secret_across_the_cut_of_a_long_body(secrets: Secrets, pad: str) -> None:
    secrets.add(SIGNING)
    limit = 120
    for offset in range(limit + 5):
        body = (pad * offset + "Authorization: Bearer " + BEARER + "\n" + "z" * 5000).encode()
        shown = secrets.snippet(body, limit)
        assert len(shown) <= limit and "\n" not in shown
        assert_no_piece(BEARER, shown)


def test_excerpt_of_the_start_of_a_longer_text_drops_a_secret_begun_at_its_end(
    secrets: Secrets
) -> None:
    secrets.add(EVENT_KEY)
    for cut in range(1, len(EVENT_KEY)):
        assert_no_piece(EVENT_KEY, secrets.excerpt("ab " + EVENT_KEY[:cut], 200, more=True))


def test_snippet_keeps_short_text_whole(secrets: Secrets) -> None:
    assert secrets.snippet(b"  not found\nat all \n", 120) == "not found at all"


@pytest.mark.parametrize(
    "echo", [EVENT_KEY.lower(), EVENT_KEY.upper(), f"x-seen-{EVENT_KEY.lower()}"]
)
def test_a_key_in_another_letter_case_is_masked(secrets: Secrets, echo: str) -> None:
    # gateways lower-case paths and header names; a key in another case is still the key
    secrets.add(EVENT_KEY)
    assert_no_piece(EVENT_KEY, secrets.redact(f"<   {echo}: 1"))


def test_pieces_are_found_in_text_whose_lower_case_is_longer(secrets: Secrets) -> None:
    secrets.add(EVENT_KEY)
    assert_no_piece(EVENT_KEY, secrets.redact(f"İİİ {EVENT_KEY[:12]} İ"))
