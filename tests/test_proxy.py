"""Proxies from the environment, against a real forwarding proxy process on loopback
(tests/support/proxy.py): `send` and the REST commands go through it (plain forwarding for
http://, a CONNECT tunnel for https://), NO_PROXY bypasses it, a proxy that is down is named in
the error (password masked), and a SOCKS or unknown proxy is a configuration error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import ServeProcess, run_cli
from .test_tls import self_signed_server  # noqa: F401 - a fixture

DOWN = "http://127.0.0.1:9"


def proxied(proxy: Any) -> list[str]:
    seen: list[str] = httpx.get(f"{proxy.url}/_proxied", timeout=10).json()
    return seen


def test_send_and_read_through_a_proxy(serve: ServeProcess, proxy_server: Any) -> None:
    proxy = proxy_server()
    env = {"HTTP_PROXY": proxy.url}
    sent = run_cli("send", "--dev", "--event-api-url", serve.url, "--name", "app/proxied",
                   "-o", "ids", env=env)
    assert sent.returncode == 0, sent.stderr
    [event_id] = sent.stdout.split()
    got = run_cli("events", "get", event_id, "--dev", "--api-url", serve.url, "--wait", "5",
                  "-o", "ids", env=env)
    assert (got.returncode, got.stdout) == (0, f"{event_id}\n"), got.stderr
    seen = proxied(proxy)
    assert seen[0] == f"POST {serve.url}/e/NO_EVENT_KEY_SET"
    assert f"GET {serve.url}/v1/events/{event_id}" in seen
    assert [e["name"] for e in serve.events()] == ["app/proxied"]


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "localhost,127.0.0.1"])
def test_no_proxy_bypasses_it(serve: ServeProcess, proxy_server: Any, no_proxy: str) -> None:
    proxy = proxy_server()
    env = {"HTTP_PROXY": proxy.url, "NO_PROXY": no_proxy}
    sent = run_cli("send", "--dev", "--event-api-url", serve.url, "--name", "app/direct",
                   env=env)
    assert sent.returncode == 0, sent.stderr
    listed = run_cli("cancellations", "list", "--dev", "--api-url", serve.url, env=env)
    assert listed.returncode == 0, listed.stderr
    assert proxied(proxy) == []
    assert [e["name"] for e in serve.events()] == ["app/direct"]


def test_https_goes_through_a_connect_tunnel(
    self_signed_server: str, proxy_server: Any  # noqa: F811
) -> None:
    proxy = proxy_server()
    result = run_cli("--insecure", "send", "--event-api-url", self_signed_server,
                     "--event-key", "k" * 20, "--name", "app/a", "-o", "ids",
                     env={"HTTPS_PROXY": proxy.url})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "01JQDAE4RQF8MBCR55T5AK4KXS\n"
    assert proxied(proxy) == [f"CONNECT {self_signed_server.removeprefix('https://')}"]


def test_a_proxy_that_is_down_is_named(serve: ServeProcess) -> None:
    env = {"HTTP_PROXY": "http://me:secretpw@127.0.0.1:9"}
    sent = run_cli("send", "--dev", "--event-api-url", serve.url, "--name", "a", "--retries",
                   "1", env=env)
    assert sent.returncode == 5
    assert sent.stderr.splitlines()[-2:] == [
        f"error: could not reach the Event API at {serve.url}/e/****_SET after 2 attempts: "
        "cannot reach the proxy http://****@127.0.0.1:9 (from HTTP_PROXY): ConnectError: "
        "[Errno 111] Connection refused (1 event not sent)",
        "hint: is the proxy up? check HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, or NO_PROXY",
    ]
    assert "secretpw" not in sent.stderr
    listed = run_cli("runs", "jobs", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "--dev", "--api-url",
                     serve.url, env={"http_proxy": DOWN})
    assert listed.returncode == 5
    assert listed.stderr == (
        f"error: cannot reach {serve.url} after 5 retries: cannot reach the proxy {DOWN} "
        "(from http_proxy): ConnectError: [Errno 111] Connection refused\n"
        "hint: is the proxy up? check HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, or NO_PROXY\n"
    )
    assert serve.events() == []


SOCKS = (
    "error: ALL_PROXY=socks5://127.0.0.1:1080: SOCKS proxies need the socksio package, which "
    "is not installed\n"
    "hint: pip install socksio, or use an http:// or https:// proxy\n"
)


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--dev", "--name", "a"],
        ["events", "list", "--dev"],
        ["cancellations", "list", "--dev"],
    ],
)
def test_a_socks_proxy_without_socksio_says_what_is_supported(args: list[str]) -> None:
    import importlib.util

    assert importlib.util.find_spec("socksio") is None  # not a dependency of inngest-cli
    result = run_cli(*args, env={"ALL_PROXY": "socks5://127.0.0.1:1080"})
    assert result.returncode == 2
    assert result.stderr == SOCKS


def test_an_unknown_proxy_scheme_is_a_configuration_error() -> None:
    result = run_cli("events", "list", "--dev", env={"ALL_PROXY": "ftp://127.0.0.1:21"})
    assert result.returncode == 2
    assert result.stderr == (
        "error: ALL_PROXY=ftp://127.0.0.1:21: not a proxy URL inngest-cli can use\n"
        "hint: proxies are http://HOST:PORT, https://HOST:PORT, or socks5://HOST:PORT\n"
        "      with socksio\n"
    )
