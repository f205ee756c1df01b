"""Keys never leak: every command and error path runs with recognisable sentinel keys, and the
test fails if a sentinel, its hex body, or its SHA-256 (the bearer token) shows up anywhere in
stdout, stderr, the checkpoint or the failed-events file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ndjson_events, run_cli

EVENT_KEY = "evtkey_SENTINEL_e1a2b3c4d5f6"
SIGNING_HEX = "5e" * 32
FALLBACK_HEX = "a7" * 32
SIGNING = f"signkey-prod-{SIGNING_HEX}"
FALLBACK = f"signkey-prod-{FALLBACK_HEX}"
ENV = {
    "INNGEST_EVENT_KEY": EVENT_KEY,
    "INNGEST_SIGNING_KEY": SIGNING,
    "INNGEST_SIGNING_KEY_FALLBACK": FALLBACK,
}


def _forbidden() -> list[str]:
    pieces = [EVENT_KEY, "SENTINEL", SIGNING_HEX[:16], FALLBACK_HEX[:16]]
    for hex_key in (SIGNING_HEX, FALLBACK_HEX):
        digest = hashlib.sha256(bytes.fromhex(hex_key)).hexdigest()
        pieces += [digest[:16], digest[-16:]]
    return pieces


FORBIDDEN = _forbidden()


def assert_clean(*texts: str) -> None:
    for text in texts:
        for piece in FORBIDDEN:
            assert piece not in text, f"a key leaked ({piece!r}) in:\n{text}"


def run(*args: str, **kwargs: Any) -> Any:
    result = run_cli(*args, env={**ENV, **kwargs.pop("env", {})}, **kwargs)
    assert "Traceback" not in result.stderr or "--debug" in args
    assert_clean(result.stdout, result.stderr)
    return result


def test_send_paths_never_show_the_event_key(fault_server: Any, serve_factory: Any,
                                             tmp_path: Path) -> None:
    protected = serve_factory("--event-key", "the-right-key-000000000")
    assert run("--debug", "--verbose", "send", "--event-api-url", protected.url,
               "--name", "app/a").returncode == 3  # 401
    server = fault_server("--faults", "500")
    checkpoint, failed = tmp_path / "ckpt", tmp_path / "failed.ndjson"
    body = ndjson_events(3) + '{"name":"fault/reject"}\n'
    result = run("--verbose", "send", "--event-api-url", server.url, "--checkpoint",
                 str(checkpoint), "--failed-out", str(failed), "-o", "ndjson", input=body)
    assert result.returncode == 6  # a retry, then a 400 for the last event
    assert_clean(checkpoint.read_text(), failed.read_text())
    assert run("--debug", "--verbose", "send", "--event-api-url", "http://127.0.0.1:9",
               "--retries", "0", "--name", "app/a").returncode == 5
    assert run("--verbose", "send", "--dry-run", "--name", "app/a").returncode == 0
    assert run("send", "--event-key", EVENT_KEY + "/x", "--name", "a").returncode == 2


@pytest.mark.parametrize("output", ["table", "json"])
def test_config_show_masks_every_key(output: str) -> None:
    assert run("config", "show", "-o", output).returncode == 0


def test_rest_paths_never_show_signing_keys_or_their_hashes(serve_factory: Any) -> None:
    server = serve_factory("--signing-key", FALLBACK)  # the primary key is rejected: fallback
    result = run("--verbose", "events", "list", "--api-url", server.url, "-o", "json")
    assert result.returncode == 0, result.stderr
    wrong = {"INNGEST_SIGNING_KEY_FALLBACK": "signkey-prod-" + "c3" * 32}
    assert run("--debug", "--verbose", "events", "list", "--api-url", server.url,
               env=wrong).returncode == 3
    assert run("--verbose", "runs", "get", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--api-url",
               server.url).returncode == 4
    assert run("--verbose", "events", "get", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--api-url",
               server.url).returncode == 4


def test_send_wait_never_shows_keys(serve_factory: Any) -> None:
    server = serve_factory("--signing-key", SIGNING)
    result = run("--verbose", "send", "--event-api-url", server.url, "--name", "app/a",
                 "--wait", "--wait-timeout", "1", env={"INNGEST_API_BASE_URL": server.url})
    assert result.returncode == 1  # serve runs no functions: no run ever starts
