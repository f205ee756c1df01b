"""HTTP for the Event API: kept-alive connections of our own (`http11`), or httpx when the
environment configures a proxy.

Why not always httpx: importing httpx and building a client (httpcore, h11, certifi's bundle for
every origin) costs ~60 ms, most of what a one-event `inngest-cli send` takes, and a CI job may run
it thousands of times. The Event API needs little of it: POST a body, read a small JSON reply,
keep connections alive, time out (and why not http.client: see `http11`). Proxies
(`HTTPS_PROXY`, `ALL_PROXY`, ...) are httpx's job: with one set, `open_transport` returns the
httpx transport, which honours them and `NO_PROXY`.

    Transport.post(url, body, headers) -> Response      raises TransportError (no reply)

Errors are named like httpx's (`ConnectError`, `ReadTimeout`, `RemoteProtocolError`, ...) so that
messages do not depend on the transport.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from inngest_cli.http11 import Connection, ProtocolError, Response, request_head

if TYPE_CHECKING:
    import ssl

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


class TransportError(Exception):
    """The request got no HTTP reply: connection refused or reset, timeout, TLS failure."""


class Transport(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response: ...

    def close(self) -> None: ...


def proxy_configured(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return any(value for name, value in env.items() if name.lower() in PROXY_VARIABLES)


def tls_context(verify: bool = True) -> ssl.SSLContext:
    """As httpx builds it: `SSL_CERT_FILE` / `SSL_CERT_DIR` if set, else certifi's bundle."""
    import ssl

    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def tls_for(origin: str, verify: bool = True) -> ssl.SSLContext:
    """The TLS context for a client of ``origin``: `tls_context` for https; for http, one that
    loads no certificates (nothing uses it) and would refuse any server if something did."""
    if urlsplit(origin).scheme.lower() == "https":
        return tls_context(verify)
    import ssl

    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def open_transport(
    *, timeout: float, connections: int, verify: bool = True, origin: str = "https://"
) -> Transport:
    if proxy_configured():
        return HttpxTransport(
            timeout=timeout, connections=connections, verify=verify, origin=origin
        )
    return PooledTransport(timeout=timeout, connections=connections, verify=verify)


def connect(
    address: tuple[str, int], timeout: float | None, source: tuple[str, int] | None = None
) -> socket.socket:
    """`socket.create_connection`, an ASCII host given as bytes: `getaddrinfo` encodes a str host
    with the idna codec, whose first use imports it, stringprep and unicodedata, ~2 ms of every
    start of a CLI that sends to an http origin (for https, `ssl` uses that codec anyway). A
    host with other characters (an internationalized name) is left to the codec."""
    host, port = address
    name: str | bytes = host.encode() if host.isascii() else host
    return socket.create_connection((name, port), timeout, source)  # type: ignore[arg-type]


def _describe(exc: BaseException, connecting: bool) -> str:
    if isinstance(exc, TimeoutError):
        name = "ConnectTimeout" if connecting else "ReadTimeout"
    elif connecting:
        name = "ConnectError"
    elif isinstance(exc, ProtocolError):
        name = "RemoteProtocolError"
    elif isinstance(exc, ConnectionResetError | BrokenPipeError):
        name = "ReadError"
    else:
        name = "NetworkError"
    return f"{name}: {str(exc) or type(exc).__name__}"


_Key = tuple[str, str, int]  # scheme, host, port


class PooledTransport:
    """Kept-alive `http11` connections, one per thread at a time (thread-safe)."""

    def __init__(self, *, timeout: float, connections: int, verify: bool = True) -> None:
        self.timeout = timeout
        self.connect_timeout = min(timeout, 10.0)
        self.verify = verify
        self._keep = connections
        self._idle: dict[_Key, list[Connection]] = {}
        self._lock = threading.Lock()
        self._context: ssl.SSLContext | None = None

    def _open(self, key: _Key) -> Connection:
        scheme, host, port = key
        sock = connect((host, port), self.connect_timeout)
        try:
            # a request's last, short segment goes out without waiting for an ACK (as curl)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                if self._context is None:  # only for https: loading CA certificates is ~20 ms
                    self._context = tls_context(self.verify)
                sock = self._context.wrap_socket(sock, server_hostname=host)
            sock.settimeout(self.timeout)
        except BaseException:
            sock.close()
            raise
        return Connection(sock)

    def _take(self, key: _Key) -> Connection | None:
        """An idle connection the server has not closed (as httpcore checks), or None."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None or conn.idle_clean():
                return conn
            conn.close()  # readable while idle: the server closed it (or sent garbage)

    def _give(self, key: _Key, conn: Connection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._keep:
                idle.append(conn)
                return
        conn.close()

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response:
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme not in ("http", "https") or not parts.hostname:
            raise TransportError(f"UnsupportedProtocol: {scheme!r} URL")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError as exc:  # a port out of range
            raise TransportError(f"UnsupportedProtocol: {exc}") from None
        key = (scheme, parts.hostname, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = request_head(target, parts.netloc.rpartition("@")[2], headers, len(body))
        conn = self._take(key)
        connecting = conn is None
        try:
            if conn is None:
                conn = self._open(key)
                connecting = False
            reply, closes = conn.post(head, body)
        except (OSError, ProtocolError) as exc:
            if conn is not None:
                conn.close()
            raise TransportError(_describe(exc, connecting)) from None
        if closes:
            conn.close()
        else:
            self._give(key, conn)
        return reply

    def close(self) -> None:
        with self._lock:
            for idle in self._idle.values():
                for conn in idle:
                    conn.close()
            self._idle.clear()


class HttpxTransport:
    """httpx, for its proxy support (environment variables, NO_PROXY, SOCKS with socksio).
    ``origin`` is where requests go: the CA bundle is loaded only for an https one."""

    def __init__(
        self, *, timeout: float, connections: int, verify: bool = True, origin: str = "https://"
    ) -> None:
        import httpx

        from inngest_cli.httppolicy import httpx_client

        self._httpx = httpx
        self._client = httpx_client(
            origin,
            verify=verify,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Response:
        from inngest_cli.httppolicy import transport_failure, utf8_headers

        try:
            reply = self._client.post(url, content=body, headers=utf8_headers(headers))
        except self._httpx.TransportError as exc:
            raise TransportError(transport_failure(type(exc).__name__, str(exc), url)) from None
        return Response(
            reply.status_code, reply.reason_phrase, list(reply.headers.items()), reply.content
        )

    def close(self) -> None:
        self._client.close()
