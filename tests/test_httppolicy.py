"""The one HTTP policy (inngest_cli/httppolicy.py): its rules in-process, then the same rules
exercised through both clients, `send` (Event API) and the REST commands, as real processes
against tests/support/scriptserver.py: Retry-After in both forms and on 502, a Retry-After too
long to wait out, redirects, one user agent."""

from __future__ import annotations

import email.utils
import json
import os
import signal
import subprocess
import time
from typing import Any

import pytest

from inngest_cli import httppolicy
from inngest_cli.httppolicy import (
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    Proxy,
    RetryAfterCap,
    backoff,
    parse_retry_after,
    proxy_for,
    redirect_problem,
    retry_delay,
    retryable_error,
    should_retry,
)
from inngest_cli.redact import Secrets

from .conftest import CLI, run_cli

# -- the rules ------------------------------------------------------------------------------


def test_retry_after_in_both_forms() -> None:
    now = 1_800_000_000.0
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after("-3", now) == 0.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now) == pytest.approx(30.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now) == 0.0
    for unreadable in (None, "", "soon", "nan", "Wed, 99 Foo 2026 07:28:00"):
        assert parse_retry_after(unreadable, now) is None


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    for retry in range(1, 20):
        delay = backoff(retry, 0.1)
        assert min(0.1 * 2 ** (retry - 1), MAX_BACKOFF) <= delay
        assert delay <= min(0.1 * 2 ** (retry - 1), MAX_BACKOFF) + 0.1
    assert retry_delay(3, 2.0) == 2.0
    assert retry_delay(3, 1e9) == MAX_RETRY_AFTER


def test_what_is_retried() -> None:
    assert [s for s in (200, 400, 401, 404, 409, 429, 500, 502, 503, 504) if should_retry(s)] == [
        429, 500, 502, 503, 504
    ]
    assert [s for s in (429, 500, 503) if should_retry(s, idempotent=False)] == [429]
    assert retryable_error("ReadTimeout: timed out")
    assert not retryable_error("ReadTimeout: timed out", idempotent=False)
    assert retryable_error("ConnectError: [Errno 111] Connection refused", idempotent=False)
    assert not retryable_error("ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate")
    assert not retryable_error("UnsupportedProtocol: 'ftp' URL")


def test_a_long_retry_after_is_capped_and_said_once() -> None:
    said: list[str] = []
    cap = RetryAfterCap(Secrets(), said.append)
    assert cap({"retry-after": "1e9"}, 503) == MAX_RETRY_AFTER
    assert cap({"retry-after": "1e9"}, 429) == MAX_RETRY_AFTER
    assert cap({"retry-after": "5"}, 502) == 5.0
    assert cap({"retry-after": "5"}, 400) is None
    assert said == [
        "the server asked to wait 1,000,000,000 s before retrying (HTTP 503, Retry-After: 1e9); "
        f"waiting {MAX_RETRY_AFTER:g} s instead"
    ]


def test_redirects_say_where_they_point() -> None:
    location = {"location": "https://inn.gs/e/abcdefghijklmnop"}
    assert redirect_problem(308, location, Secrets()) == (
        "HTTP 308 redirect to https://inn.gs/e/****mnop (not followed)"
    )
    assert redirect_problem(301, {}, Secrets()) == "HTTP 301 redirect without a Location header"
    assert redirect_problem(304, {}, Secrets()) is None
    assert redirect_problem(200, {"location": "x"}, Secrets()) is None


def test_proxy_for_follows_the_environment() -> None:
    env = {"HTTP_PROXY": "http://127.0.0.1:3128", "https_proxy": "http://127.0.0.1:3129"}
    assert proxy_for("http://127.0.0.1:8288/e/k", env) == Proxy(
        "HTTP_PROXY", "http://127.0.0.1:3128"
    )
    assert proxy_for("https://inn.gs/e/k", env) == Proxy("https_proxy", "http://127.0.0.1:3129")
    assert proxy_for("http://x/", {"ALL_PROXY": "socks5://p:1080"}) == Proxy(
        "ALL_PROXY", "socks5://p:1080"
    )
    for no_proxy in ("127.0.0.1", "*", "localhost, 127.0.0.1", ".0.0.1"):
        assert proxy_for("http://127.0.0.1:8288/", {**env, "NO_PROXY": no_proxy}) is None
    assert proxy_for("http://api.example.com/", {**env, "no_proxy": "example.com"}) is None
    assert proxy_for("http://example.community/", {**env, "no_proxy": "example.com"}) is not None
    assert Proxy("HTTP_PROXY", "http://me:hunter2-secret@p:3128").shown() == (
        "http://me:****@p:3128"
    )


def test_one_user_agent() -> None:
    from inngest_cli import __version__, eventapi, restclient

    assert eventapi.USER_AGENT == restclient.USER_AGENT == httppolicy.USER_AGENT
    assert httppolicy.USER_AGENT == f"inngest-cli/{__version__}"


# -- through both clients -------------------------------------------------------------------


def send(url: str, *args: str, **kwargs: Any) -> Any:
    return run_cli("send", "--dev", "--event-api-url", url, "--name", "a", "-o", "ids",
                   *args, **kwargs)


def rest(url: str, *args: str, **kwargs: Any) -> Any:
    return run_cli("events", "list", "--dev", "--api-url", url, *args, **kwargs)


CLIENTS = {"event-api": send, "rest": rest}


def gaps(server: Any) -> list[float]:
    times = [r["time"] for r in server.state()["requests"]]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("status", [429, 502, 503])
def test_retry_after_seconds_is_honoured_by_both_clients(
    script_server: Any, client: str, status: int
) -> None:
    server = script_server("--replies", json.dumps(
        [{"status": status, "headers": {"Retry-After": "1"}}]))
    result = CLIENTS[client](server.url)
    assert result.returncode == 0, result.stderr
    [gap] = gaps(server)
    assert gap >= 0.95  # the server's second, not the policy's 0.1 s backoff


@pytest.mark.parametrize("client", CLIENTS)
def test_retry_after_http_date_is_honoured_on_502(script_server: Any, client: str) -> None:
    moment = int(time.time()) + 4  # an HTTP-date has whole seconds
    when = email.utils.formatdate(moment, usegmt=True)
    server = script_server("--replies", json.dumps(
        [{"status": 502, "headers": {"Retry-After": when}}]))
    result = CLIENTS[client](server.url)
    assert result.returncode == 0, result.stderr
    first, second = (r["time"] for r in server.state()["requests"])
    assert first < moment - 0.5  # the date was ahead when the server sent it
    assert second >= moment - 0.05  # and the client waited until then


@pytest.mark.parametrize("client", CLIENTS)
def test_retries_are_bounded_the_same_way(script_server: Any, client: str) -> None:
    server = script_server("--replies", json.dumps(
        [{"status": 500, "headers": {"Retry-After": "0"}}] * 10))
    result = CLIENTS[client](server.url)
    assert result.returncode in (1, 5)
    assert len(server.state()["requests"]) == 1 + httppolicy.DEFAULT_RETRIES


@pytest.mark.parametrize("client", CLIENTS)
def test_a_huge_retry_after_is_said_not_waited_silently(script_server: Any, client: str) -> None:
    server = script_server("--replies", json.dumps(
        [{"status": 503, "headers": {"Retry-After": "1e9"}}]))
    args = ["send", "--dev", "--event-api-url", server.url, "--name", "a", "--no-progress"]
    if client == "rest":
        args = ["events", "list", "--dev", "--api-url", server.url]
    proc = subprocess.Popen([*CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    assert proc.stderr is not None
    line = proc.stderr.readline()  # said before the wait, not after it
    assert line == (
        "warning: the server asked to wait 1,000,000,000 s before retrying "
        f"(HTTP 503, Retry-After: 1e9); waiting {MAX_RETRY_AFTER:g} s instead\n"
    )
    proc.send_signal(signal.SIGINT)
    _, rest_of_stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert len(server.state()["requests"]) == 1


def test_redirects_are_not_followed_by_either_client(script_server: Any) -> None:
    server = script_server("--replies", json.dumps([
        {"status": 307, "headers": {"Location": "https://elsewhere.test/e/evtkey-0123456789"}},
        {"status": 302, "headers": {"Location": "https://elsewhere.test/v1/events"}},
    ]))
    sent = send(server.url, "--event-key", "evtkey-0123456789")
    assert sent.returncode == 1
    assert sent.stderr.splitlines()[-2:] == [
        f"error: {server.url}/e/****6789: HTTP 307 redirect to https://elsewhere.test/e/****6789 "
        "(not followed) (1 event not sent)",
        "hint: if that is the Event API, pass its origin as --event-api-url",
    ]
    listed = rest(server.url)
    assert listed.returncode == 1
    assert listed.stderr == (
        "error: events: HTTP 302 redirect to https://elsewhere.test/v1/events (not followed)\n"
        "hint: if that is the REST API, pass its origin as --api-url\n"
    )
    assert len(server.state()["requests"]) == 2  # nothing went to elsewhere.test, no retries


def test_both_clients_send_the_same_user_agent(script_server: Any) -> None:
    server = script_server()
    assert send(server.url).returncode == 0
    assert rest(server.url).returncode == 0
    agents = {r["headers"]["User-Agent"] for r in server.state()["requests"]}
    assert agents == {httppolicy.USER_AGENT}


def test_verbose_traces_look_the_same_for_both_clients(script_server: Any) -> None:
    server = script_server()
    sent = send(server.url, "--verbose", "--no-progress")
    listed = rest(server.url, "--verbose")
    for result, method in ((sent, "POST"), (listed, "GET")):
        lines = result.stderr.splitlines()
        assert lines[0].startswith(f"> {method} {server.url}/")
        assert f">   user-agent: {httppolicy.USER_AGENT}" in lines
        assert any(line.startswith("< HTTP 200 OK (") for line in lines)
