"""Keys never leak: every command and error path runs with recognisable sentinel keys, and the
test fails if any piece of a sentinel, of its hex body or of its SHA-256 (the bearer token)
long enough to matter shows up anywhere in stdout, stderr, the checkpoint, the failed-events
file or the traces, including when the server echoes the request (its path holds the event key,
its headers the bearer token) back in a 3xx/4xx/5xx/HTML reply (tests/support/echoserver.py)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from inngest_cli.redact import FRAGMENT
from tests.conftest import CLI, _support_servers, ndjson_events, run_cli, start_serve

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
ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
ECHO_SERVER = Path(__file__).parent / "support" / "echoserver.py"


def _secret_forms() -> list[str]:
    forms = [EVENT_KEY, quote(EVENT_KEY, safe=""), SIGNING_HEX, FALLBACK_HEX]
    for hex_key in (SIGNING_HEX, FALLBACK_HEX):
        forms.append(hashlib.sha256(bytes.fromhex(hex_key)).hexdigest())
    return forms


def _forbidden() -> set[str]:
    """Every piece of a secret `FRAGMENT` characters long, lower-cased (hex is matched in any
    case); `mask` shows 4, so no longer run may appear."""
    return {
        form[i : i + FRAGMENT].lower()
        for form in _secret_forms()
        for i in range(len(form) - FRAGMENT + 1)
    }


FORBIDDEN = _forbidden()


def assert_clean(*texts: str) -> None:
    for text in texts:
        folded = text.lower()
        for piece in FORBIDDEN:
            assert piece not in folded, f"a key leaked ({piece!r}) in:\n{text}"


def run(*args: str, **kwargs: Any) -> Any:
    result = run_cli(*args, env={**ENV, **kwargs.pop("env", {})}, **kwargs)
    assert "Traceback" not in result.stderr or "--debug" in args
    assert_clean(result.stdout, result.stderr)
    return result


@pytest.fixture
def echo_server() -> Iterator[Any]:
    """Start tests/support/echoserver.py with the given flags (see its docstring)."""
    yield from _support_servers(ECHO_SERVER)


def test_the_sentinels_would_be_caught() -> None:
    """The check itself: each form a server echoes the keys in is caught, whole or in part."""
    digest = hashlib.sha256(bytes.fromhex(SIGNING_HEX)).hexdigest()
    for leak in (f"Cannot POST /e/{EVENT_KEY}", f"/e/{EVENT_KEY[:12]}...", digest[30:].upper(),
                 f"Bearer {digest[:30]}", SIGNING, quote(EVENT_KEY, safe="")):
        with pytest.raises(AssertionError):
            assert_clean(f"error: HTTP 404: {leak}")
    assert_clean("error: HTTP 404: Cannot POST /e/****d5f6 (Bearer ****2056)")


# -- echoing servers -------------------------------------------------------------------------

# name: (the exit code of `send`, then the status and echoserver flags): what gateways and
# frameworks answer to a request they reject.
ECHOES = {
    "express-404": (1, "404", "--style", "express"),
    "text-400": (1, "400", "--style", "text"),
    "html-500": (5, "500", "--style", "html"),
    "json-400": (1, "400", "--style", "json"),
    "json-401": (3, "401", "--style", "json"),
    "partial-404": (1, "404", "--style", "partial", "--cut", "20"),
    "url-encoded-404": (1, "404", "--style", "text", "--encode", "url"),
    "html-escaped-403": (3, "403", "--style", "html", "--encode", "html"),
    "json-escaped-404": (1, "404", "--style", "json", "--encode", "json"),
    "redirect-301": (1, "301", "--style", "text"),
    "html-200": (1, "200", "--style", "express"),
    # a key across the clients' cuts: the event key in the path 10 characters before the Event
    # API's cut at 120 (after 34 of HTML and 15 of `Cannot POST /e/`), the bearer token 30 before
    # the REST API's at 160 (after the 22 of `Authorization: Bearer `)
    "cut-event-api": (1, "404", "--style", "express", "--pad", "61"),
    "cut-rest-api": (1, "404", "--style", "headers", "--pad", "108"),
}
REST_ECHOES = [name for name in ECHOES if name not in ("cut-event-api", "html-500")]  # 5xx: below
FLAGS = {"plain": (), "traced": ("--debug", "--verbose")}


def _echo(echo_server: Any, name: str) -> Any:
    _, status, *flags = ECHOES[name]
    return echo_server("--status", status, *flags)


def assert_reached(result: Any) -> None:
    """The command got as far as the server's reply (not a usage error before it)."""
    assert result.returncode in (1, 3, 4, 5), result.stderr
    assert result.stderr.startswith("error: ") or "\nerror: " in result.stderr, result.stderr


@pytest.mark.parametrize("flags", FLAGS)
@pytest.mark.parametrize("echo", ECHOES)
def test_send_to_an_echoing_server(echo_server: Any, tmp_path: Path, echo: str,
                                   flags: str) -> None:
    server = _echo(echo_server, echo)
    checkpoint, failed = tmp_path / "ckpt", tmp_path / "failed.ndjson"
    result = run(*FLAGS[flags], "send", "--event-api-url", server.url, "--retries", "0",
                 "--checkpoint", str(checkpoint), "--failed-out", str(failed), "-o", "ndjson",
                 input=ndjson_events(3))
    assert result.returncode == ECHOES[echo][0], result.stderr
    assert_reached(result)
    # With a checkpoint, events the server may have stored or never got wait for the rerun
    # (they stay out of --failed-out); those it refused are written there. Both files are
    # read for the key either way.
    assert checkpoint.exists() and failed.exists()
    assert failed.read_text().count("\n") <= 3
    assert_clean(*(path.read_text() for path in (checkpoint, failed) if path.exists()))


@pytest.mark.parametrize(
    "command",
    [
        ("events", "list"),
        ("events", "get", ULID),
        ("events", "runs", ULID),
        ("events", "tail", "--interval", "0.05"),
        ("runs", "get", ULID),
    ],
    ids=lambda command: " ".join(command[:2]),
)
@pytest.mark.parametrize("echo", REST_ECHOES)
def test_rest_commands_against_an_echoing_server(echo_server: Any, echo: str,
                                                 command: tuple[str, ...]) -> None:
    server = _echo(echo_server, echo)
    result = run(*FLAGS["traced"], *command, "--api-url", server.url, "-o", "ndjson")
    assert_reached(result)


@pytest.mark.parametrize("command", [("events", "list"), ("runs", "get", ULID)],
                         ids=lambda command: " ".join(command[:2]))
def test_rest_commands_plain_against_a_gateway_that_echoes_a_cut_header(
        echo_server: Any, command: tuple[str, ...]) -> None:
    server = _echo(echo_server, "cut-rest-api")
    result = run(*command, "--api-url", server.url, "-o", "ndjson")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "HTTP 404: xxx" in result.stderr


def test_rest_retries_against_a_5xx_echo(echo_server: Any) -> None:
    server = echo_server("--status", "502", "--style", "text")
    result = run("--verbose", "events", "list", "--api-url", server.url, "-o", "ndjson")
    assert result.returncode == 5
    assert "kept failing after 5 retries: HTTP 502" in result.stderr


@pytest.mark.parametrize("flags", FLAGS)
def test_send_wait_against_an_echoing_rest_api(echo_server: Any, serve_factory: Any,
                                               flags: str) -> None:
    events = serve_factory()
    rest = _echo(echo_server, "cut-rest-api")
    result = run(*FLAGS[flags], "send", "--event-api-url", events.url, "--name", "app/a",
                 "--wait", "--wait-timeout", "2", env={"INNGEST_API_BASE_URL": rest.url})
    assert result.returncode == 1, result.stderr
    assert "error: runs of event " in result.stderr and ": HTTP 404: xxx" in result.stderr
    assert len(events.events()) == 1


# -- origins that carry the key --------------------------------------------------------------

BAD_ORIGINS = [
    f"http://127.0.0.1:9/e/{EVENT_KEY}",
    f"htp://127.0.0.1:9/e/{EVENT_KEY}",
    f"http://127.0.0.1:9?key={EVENT_KEY}",
    f"http://u:{EVENT_KEY}@127.0.0.1:9",
    f"http://{quote(EVENT_KEY)}@127.0.0.1:9/",
    EVENT_KEY,
]


@pytest.mark.parametrize("flags", FLAGS)
@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_an_origin_that_holds_a_key_is_refused_masked(origin: str, flags: str,
                                                      tmp_path: Path) -> None:
    checkpoint = tmp_path / "ckpt"
    sent = run(*FLAGS[flags], "send", "--event-api-url", origin, "--name", "app/a",
               "--checkpoint", str(checkpoint))
    assert sent.returncode == 2
    assert "error: --event-api-url: " in sent.stderr
    assert not checkpoint.exists()
    listed = run(*FLAGS[flags], "events", "list", env={"INNGEST_API_BASE_URL": origin})
    assert listed.returncode == 2
    assert "error: INNGEST_API_BASE_URL: " in listed.stderr


@pytest.mark.parametrize("output", ["table", "json"])
@pytest.mark.parametrize("variable", ["INNGEST_EVENT_API_BASE_URL", "INNGEST_BASE_URL",
                                      "INNGEST_API_BASE_URL", "INNGEST_DEV"])
def test_config_show_never_prints_a_key_or_password_in_a_url(variable: str,
                                                              output: str) -> None:
    for origin in BAD_ORIGINS[:5]:
        result = run("config", "show", "-o", output, env={variable: origin})
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: {variable}")
        password = run("config", "show", "-o", output,
                       env={variable: "http://ada:hunter2-password@127.0.0.1:9"})
        assert "hunter2" not in password.stdout + password.stderr


def test_a_profile_origin_that_holds_a_key_is_refused_masked(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.ci]\nevent_api_url = "https://inn.gs/e/{EVENT_KEY}"\n'
                      f'event_key = "{EVENT_KEY}"\n')
    config.chmod(0o600)
    result = run("--profile", "ci", "config", "show", env={"INNGEST_CLI_CONFIG": str(config)})
    assert result.returncode == 2
    assert result.stderr.startswith("error: profile ci (event_api_url): 'https://inn.gs/…'")


# -- the original paths ----------------------------------------------------------------------


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


@pytest.mark.parametrize("value", [SIGNING, f"Bearer {SIGNING_HEX}", f"https://u:{EVENT_KEY}@h"])
def test_a_usage_error_that_quotes_a_key_masks_it(value: str) -> None:
    # a key pasted into the wrong option: the parser quotes the value back
    result = run("send", "--retries", value, "--name", "app/a")
    assert result.returncode == 2
    assert result.stderr.startswith("error: Invalid value for '--retries': '")


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
    assert run("--verbose", "runs", "get", ULID, "--api-url", server.url).returncode == 4
    assert run("--verbose", "events", "get", ULID, "--api-url", server.url).returncode == 4


def test_send_wait_never_shows_keys(serve_factory: Any) -> None:
    server = serve_factory("--signing-key", SIGNING)
    result = run("--verbose", "send", "--event-api-url", server.url, "--name", "app/a",
                 "--wait", "--wait-timeout", "1", env={"INNGEST_API_BASE_URL": server.url})
    assert result.returncode == 1  # serve runs no functions: no run ever starts


# -- serve takes its keys from the environment -----------------------------------------------


def _stopped(server: Any) -> tuple[str, str]:
    """Stop a serve process with SIGINT; what it wrote after its listening line."""
    server.proc.send_signal(signal.SIGINT)
    try:
        out, err = server.proc.communicate(timeout=10)
    finally:
        server.stop()  # kills it if SIGINT did not
    return out, err


def test_serve_takes_its_keys_from_the_environment_not_argv(tmp_path: Path) -> None:
    other = "second-key-for-rotation-0000"
    server = start_serve(tmp_path=tmp_path, env={
        "INNGEST_EVENT_KEY": f"{EVENT_KEY}, {other}", "INNGEST_SIGNING_KEY": SIGNING,
        "INNGEST_SIGNING_KEY_FALLBACK": FALLBACK})
    try:
        argv = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().decode()
        assert_clean(argv)  # what `ps` shows
        with httpx.Client(timeout=10) as http:
            for key in (EVENT_KEY, other):
                assert http.post(f"{server.url}/e/{key}", json={"name": "a/b"}).status_code == 200
            assert http.post(f"{server.url}/e/wrong-key-00000000",
                             json={"name": "a/b"}).status_code == 401
        for key in (SIGNING, FALLBACK):  # both keys of a rotation are accepted
            listed = run_cli("events", "list", "--api-url", server.url, "-o", "ids",
                             env={"INNGEST_SIGNING_KEY": key})
            assert listed.returncode == 0, listed.stderr
            assert len(listed.stdout.split()) == 2
        refused = run("--debug", "--verbose", "events", "list", "--api-url", server.url,
                      env={"INNGEST_SIGNING_KEY": "signkey-prod-" + "c3" * 32,
                           "INNGEST_SIGNING_KEY_FALLBACK": ""})
        assert refused.returncode == 3
        sent = run("--debug", "--verbose", "send", "--event-api-url", server.url,
                   "--name", "app/a", env={"INNGEST_EVENT_KEY": "not-the-key-0000000"})
        assert sent.returncode == 3
    finally:
        out, err = _stopped(server)
    assert_clean(out, err)  # serve's own log lines
    assert err.startswith(
        "inngest-cli serve: POST /e/{key} accepts only the 2 keys in INNGEST_EVENT_KEY\n"
        "inngest-cli serve: /v1 requires the signing key in INNGEST_SIGNING_KEY or "
        "INNGEST_SIGNING_KEY_FALLBACK\n"
    )


def test_serve_key_flags_beat_the_environment(tmp_path: Path) -> None:
    server = start_serve("--event-key", "flag-key-000000000", tmp_path=tmp_path,
                         env={"INNGEST_EVENT_KEY": EVENT_KEY})
    try:
        with httpx.Client(timeout=10) as http:
            assert http.post(f"{server.url}/e/flag-key-000000000",
                             json={"name": "a/b"}).status_code == 200
            assert http.post(f"{server.url}/e/{EVENT_KEY}", json={"name": "a/b"}).status_code == 401
    finally:
        server.stop()


def test_serve_refuses_a_malformed_signing_key_from_the_environment_naming_it() -> None:
    result = subprocess.run(
        [*CLI, "serve", "--port", "0", "--db", ":memory:"], capture_output=True, text=True,
        env={**os.environ, "INNGEST_SIGNING_KEY": SIGNING,
             "INNGEST_SIGNING_KEY_FALLBACK": "signkey-prod-" + EVENT_KEY},
        timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert result.stderr == (
        "error: INNGEST_SIGNING_KEY_FALLBACK must be hex of even length (optionally after "
        "signkey-<env>-)\nhint: Inngest signing keys look like signkey-prod-<hex>\n"
    )
    assert_clean(result.stdout, result.stderr)


def test_readme_examples_pass_keys_in_the_environment() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    examples = [line for line in readme.splitlines()
                if line.lstrip().startswith(("inngest-cli", "$ inngest-cli", "cat ", "jq "))]
    for line in examples:
        assert "--event-key" not in line and "--signing-key" not in line, line
