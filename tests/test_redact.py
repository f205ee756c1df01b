"""Masking of secrets: at most the last 4 characters ever shown (cli-conventions "Errors")."""

from __future__ import annotations

import pytest

from inngest_cli.redact import mask, redact, register_secret


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


def test_redact_registered_secret() -> None:
    register_secret("signkey-prod-0123456789abcdef")
    assert redact("Authorization: Bearer signkey-prod-0123456789abcdef") == (
        "Authorization: Bearer ****cdef"
    )


def test_redact_every_occurrence() -> None:
    register_secret("supersecretvalue")
    assert redact("a supersecretvalue b supersecretvalue") == "a ****alue b ****alue"


def test_redact_short_registered_secret() -> None:
    register_secret("k3y!")
    assert redact("key=k3y!") == "key=****"


def test_secrets_shorter_than_four_are_not_registered() -> None:
    register_secret("abc")
    assert redact("abc abc") == "abc abc"


def test_register_none_and_empty() -> None:
    register_secret(None)
    register_secret("")
    assert redact("nothing here") == "nothing here"


def test_longer_secret_masked_before_its_prefix() -> None:
    register_secret("abcdefghijkl")
    register_secret("abcdefghijklmnopqrst")
    assert redact("x abcdefghijklmnopqrst y") == "x ****qrst y"


def test_redact_event_key_in_url_path() -> None:
    assert redact("POST https://inn.gs/e/abcdefghijklmnop failed") == (
        "POST https://inn.gs/e/****mnop failed"
    )


def test_redact_event_key_before_query() -> None:
    assert redact("https://inn.gs/e/abcdefghijklmnop?x=1") == "https://inn.gs/e/****mnop?x=1"


def test_redact_short_event_key_in_path() -> None:
    assert redact("url='http://127.0.0.1:8288/e/k3y'") == "url='http://127.0.0.1:8288/e/****'"


def test_redact_placeholder_key_in_path() -> None:
    assert redact("http://127.0.0.1:8288/e/NO_EVENT_KEY_SET") == (
        "http://127.0.0.1:8288/e/****_SET"
    )


def test_redact_registered_key_in_path_is_masked_once() -> None:
    register_secret("abcdefghijklmnop")
    assert redact("POST https://inn.gs/e/abcdefghijklmnop/ then abcdefghijklmnop") == (
        "POST https://inn.gs/e/****mnop/ then ****mnop"
    )


def test_redact_several_paths() -> None:
    assert redact('"/e/abcdefghijklmnop" and "/e/qrstuvwxyz123456"') == (
        '"/e/****mnop" and "/e/****3456"'
    )


def test_redact_is_idempotent() -> None:
    register_secret("abcdefghijklmnop")
    once = redact("https://inn.gs/e/abcdefghijklmnop and abcdefghijklmnop")
    assert redact(once) == once


def test_redact_leaves_other_text_alone() -> None:
    text = "GET https://api.inngest.com/v1/events?limit=5 -> 200"
    assert redact(text) == text
