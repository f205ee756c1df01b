"""The Event API's HTTP transport: kept-alive http.client connections (httpx with a proxy)."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from inngest_cli.config import Layers, resolve_event_api
from inngest_cli.eventapi import EventAPI
from inngest_cli.ids import IdSeed
from inngest_cli.redact import Secrets
from inngest_cli.replies import Outcome
from inngest_cli.transport import (
    HttpxTransport,
    PooledTransport,
    Response,
    TransportError,
    connect,
    open_transport,
    proxy_configured,
)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    delay = 0.0
    close_after_reply = False
    peers: list[int]
    bodies: list[bytes]
    headers: list[dict[str, str]]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.server.peers.append(self.client_address[1])
        self.server.bodies.append(body)
        self.server.headers.append({k.lower(): v for k, v in self.headers.items()})
        time.sleep(self.server.delay)
        reply = b'{"ids":["01M84AHN6W881THJATJNFEV8TE"],"status":200}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
        if self.server.close_after_reply:
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.peers, httpd.bodies, httpd.headers = [], [], []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url(server: Server, path: str = "/e/key") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_post_and_reply(server: Server) -> None:
    transport = PooledTransport(timeout=5, connections=2)
    reply = transport.post(url(server), b"[{}]", {"Content-Type": "application/json"})
    transport.close()
    assert (reply.status, reply.reason) == (200, "OK")
    assert reply.header_map()["content-type"] == "application/json"
    assert reply.content.startswith(b'{"ids":')
    assert server.bodies == [b"[{}]"]
    assert server.headers[0]["content-type"] == "application/json"


def test_connections_are_kept_alive(server: Server) -> None:
    transport = PooledTransport(timeout=5, connections=2)
    for _ in range(3):
        transport.post(url(server), b"{}", {})
    transport.close()
    assert len(set(server.peers)) == 1


def _wait_until_closed_by_the_server(transport: PooledTransport) -> None:
    """Wait for the server's FIN on every idle connection (it is readable then, at EOF)."""
    socks = [conn.sock for idle in transport._idle.values() for conn in idle if conn.sock]
    assert socks
    for sock in socks:
        readable, _, _ = select.select([sock], [], [], 10)
        assert readable, "the server did not close the connection"


def test_a_connection_the_server_closed_is_not_reused(server: Server) -> None:
    server.close_after_reply = True
    transport = PooledTransport(timeout=5, connections=2)
    for _ in range(3):
        assert transport.post(url(server), b"{}", {}).status == 200
        _wait_until_closed_by_the_server(transport)  # before the idle check looks
    transport.close()
    assert len(set(server.peers)) == 3


def test_an_idle_connection_closed_by_the_server_is_replaced(server: Server) -> None:
    transport = PooledTransport(timeout=5, connections=2)
    transport.post(url(server), b"{}", {})
    for idle in transport._idle.values():  # the server side goes away while the connection idles
        for conn in idle:
            assert conn.sock is not None
            conn.sock.shutdown(socket.SHUT_RD)
    assert transport.post(url(server), b"{}", {}).status == 200
    transport.close()
    assert len(set(server.peers)) == 2


def test_query_and_path_prefix_are_kept(server: Server) -> None:
    transport = PooledTransport(timeout=5, connections=1)
    transport.post(url(server, "/inngest/e/key?x=1"), b"{}", {})
    transport.close()
    assert server.bodies == [b"{}"]


def test_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    transport = PooledTransport(timeout=5, connections=1)
    with pytest.raises(TransportError) as info:
        transport.post(f"http://127.0.0.1:{port}/e/k", b"{}", {})
    assert str(info.value).startswith("ConnectError: [Errno 111]")


def test_an_ascii_host_is_resolved_as_bytes_and_another_as_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bytes skip getaddrinfo's idna codec (and its imports); a non-ASCII name still needs it."""
    seen: list[Any] = []
    monkeypatch.setattr(socket, "create_connection", lambda *args: seen.append(args))
    connect(("127.0.0.1", 8288), 5.0)
    connect(("bücher.example", 443), None, ("0.0.0.0", 0))
    assert seen == [
        ((b"127.0.0.1", 8288), 5.0, None),
        (("bücher.example", 443), None, ("0.0.0.0", 0)),
    ]


def test_a_host_name_is_resolved(server: Server) -> None:
    transport = PooledTransport(timeout=5, connections=1)
    reply = transport.post(f"http://localhost:{server.server_address[1]}/e/k", b"[1]", {})
    transport.close()
    assert reply.status == 200 and server.bodies == [b"[1]"]


def test_slow_reply_is_a_read_timeout(server: Server) -> None:
    server.delay = 1.0
    transport = PooledTransport(timeout=0.2, connections=1)
    with pytest.raises(TransportError) as info:
        transport.post(url(server), b"{}", {})
    assert str(info.value) == "ReadTimeout: timed out"


def test_unsupported_scheme() -> None:
    with pytest.raises(TransportError) as info:
        PooledTransport(timeout=1, connections=1).post("ftp://x/e/k", b"", {})
    assert str(info.value) == "UnsupportedProtocol: 'ftp' URL"


def test_httpx_transport(server: Server) -> None:
    transport = HttpxTransport(timeout=5, connections=1)
    reply = transport.post(url(server), b"[1]", {"x-a": "b"})
    transport.close()
    assert reply.status == 200 and server.bodies == [b"[1]"]
    assert server.headers[0]["x-a"] == "b"


def test_httpx_transport_sends_text_beyond_ascii_as_utf8(server: Server) -> None:
    transport = HttpxTransport(timeout=5, connections=1)
    reply = transport.post(url(server), b"[1]", {"x-inngest-env": "feature/café"})
    transport.close()
    assert reply.status == 200
    # http.server reads header bytes as latin-1
    assert server.headers[0]["x-inngest-env"].encode("latin-1").decode() == "feature/café"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"HTTPS_PROXY": "http://proxy:3128"}, True),
        ({"http_proxy": "http://proxy:3128"}, True),
        ({"ALL_PROXY": "socks5://proxy:1080"}, True),
        ({"HTTPS_PROXY": ""}, False),
        ({"NO_PROXY": "*"}, False),
    ],
)
def test_proxy_configured(environ: dict[str, str], expected: bool) -> None:
    assert proxy_configured(environ) is expected


def test_a_proxy_in_the_environment_selects_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    transport = open_transport(timeout=1, connections=1)
    assert isinstance(transport, HttpxTransport)
    transport.close()
    monkeypatch.delenv("HTTPS_PROXY")
    assert isinstance(open_transport(timeout=1, connections=1), PooledTransport)


# --- EventAPI over a transport that is a plain function -----------------------------------------


class FakeTransport:
    def __init__(self, reply: Response | TransportError) -> None:
        self.reply = reply
        self.calls: list[tuple[str, bytes, Mapping[str, str]]] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response:
        self.calls.append((url, body, dict(headers)))
        if isinstance(self.reply, TransportError):
            raise self.reply
        return self.reply

    def close(self) -> None:
        pass


KEY = "evtkey-SENTINEL-0001-wxyz"



def test_event_api_posts_with_headers_and_traces_masked() -> None:
    config = resolve_event_api(
        event_key=KEY, env="branch-1", layers=Layers(environ={}), secrets=Secrets()
    )
    fake = FakeTransport(Response(200, "OK", [("Content-Type", "application/json")],
                                  b'{"ids":["a"],"status":200}'))
    lines: list[str] = []
    api = EventAPI(config, trace=lines.append, transport=fake)
    reply = api.post(b"[{}]", IdSeed.generate(), 1)
    assert (reply.outcome, reply.ids) == (Outcome.ACCEPTED, ["a"])
    sent_url, body, headers = fake.calls[0]
    assert sent_url == f"https://inn.gs/e/{KEY}" and body == b"[{}]"
    assert headers["x-inngest-env"] == "branch-1"
    assert headers["Content-Type"] == "application/json"
    assert "x-inngest-event-id-seed" in headers
    assert lines[0] == "> POST https://inn.gs/e/****wxyz (1 event, 4 bytes)"
    assert "< HTTP 200 OK (" in "\n".join(lines)
    assert KEY not in "\n".join(lines)


def test_event_api_network_error_is_a_retry_without_the_key() -> None:
    config = resolve_event_api(event_key=KEY, layers=Layers(environ={}), secrets=Secrets())
    api = EventAPI(config, transport=FakeTransport(TransportError(f"ConnectError: {KEY}")))
    reply = api.post(b"[{}]", IdSeed.generate(), 1)
    assert (reply.outcome, reply.status) == (Outcome.RETRY, None)
    assert reply.error == "ConnectError: ****wxyz"
