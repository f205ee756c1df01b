"""One HTTP/1.1 client connection: a POST with a known length, and its reply (RFC 9112).

Why not http.client: importing it costs ~63 M instructions (ssl, email.parser, email.message,
email.utils), a sixth of a whole one-event `inngest-cli send` to an http origin, and it parses
every reply's headers through the email package. The Event API needs one request shape and
replies that are small JSON documents; this reads them as http.client would, framed by
Content-Length, chunked transfer coding or the connection's close, skipping 1xx replies, and
is strict only where being lenient could mix one reply up with the next: a framing it cannot
trust is a `ProtocolError`, and the connection is not reused.

    conn = Connection(sock)                # a connected socket (plain, or TLS-wrapped)
    reply, closes = conn.post(head, body)  # head: `request_head(...)`; raises OSError,
                                           # ProtocolError; closes: the server closes after it
"""

from __future__ import annotations

import select
import socket
from collections.abc import Mapping
from typing import NamedTuple

MAX_LINE = 65536  # a status, header or chunk-size line longer than this is not a reply we read
MAX_HEADERS = 100  # as http.client
MAX_BODY = 64 << 20  # a reply body larger than this is refused, not buffered
_NO_BODY = (204, 304)
_HEX = b"0123456789abcdefABCDEF"


class ProtocolError(Exception):
    """The server's reply is not one HTTP/1.1 lets us read (or reuse the connection after)."""


class Disconnected(ProtocolError):
    """The connection ended before a status line: the server closed it, nothing was replied."""

    def __str__(self) -> str:
        return "Server disconnected without sending a response."


class Response(NamedTuple):  # not a dataclass: those compile methods at import
    status: int
    reason: str
    headers: list[tuple[str, str]]
    content: bytes

    def header_map(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers}


def request_head(target: str, host: str, headers: Mapping[str, str], length: int) -> bytes:
    """The request line and headers of ``POST target`` with a ``length``-byte body. A header
    name or value holding CR or LF (a second header smuggled into one) is a ValueError; text
    beyond ASCII goes as UTF-8 (as a Go server reads it back)."""
    lines = [f"POST {target} HTTP/1.1", f"Host: {host}", "Accept-Encoding: identity"]
    for name, value in headers.items():
        if "\r" in name or "\n" in name or ":" in name or "\r" in value or "\n" in value:
            raise ValueError(f"invalid HTTP header {name!r}")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Received:
    """What the socket has received and the reply reader has not consumed yet."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def __len__(self) -> int:
        return len(self._buffer)

    def _more(self) -> bool:
        data = self._sock.recv(65536)
        self._buffer += data
        return bool(data)

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def readline(self, limit: int) -> bytes:
        """Up to and including the next LF; at most ``limit`` bytes; b"" at the end."""
        start = 0
        while True:
            end = self._buffer.find(b"\n", start, limit)
            if end >= 0:
                return self._take(end + 1)
            if len(self._buffer) >= limit:
                return self._take(limit)
            start = len(self._buffer)
            if not self._more():
                return self._take(len(self._buffer))

    def read(self, size: int) -> bytes:
        """``size`` bytes, or fewer if the connection ends first."""
        while len(self._buffer) < size and self._more():
            pass
        return self._take(size)


class Connection:
    """A connected socket and what it received; not thread-safe. `idle_clean` says whether it
    can carry another request: nothing arrived since the last reply, and the server has not
    closed it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._reader = _Received(sock)

    def close(self) -> None:
        self.sock.close()

    def idle_clean(self) -> bool:
        return not len(self._reader) and not select.select([self.sock], [], [], 0)[0]

    def post(self, head: bytes, body: bytes) -> tuple[Response, bool]:
        """The reply, and whether the server closes the connection after it (or must be
        assumed to)."""
        # One write, as http.client sends: with the head alone in a first write, `serve` spent
        # ~0.2 s more CPU per 200k events (bench/bulk.py); the copy costs ~30 us per 512 KB.
        self.sock.sendall(head + body)
        return self._reply()

    def _reply(self) -> tuple[Response, bool]:
        while True:
            version, status, reason = self._status_line()
            headers = self._headers()
            if not 100 <= status < 200:
                break
            # 1xx (100 Continue, 103 Early Hints): informational, the reply proper follows
        fields = _Fields(headers)
        close = fields.closes(version)
        if status in _NO_BODY:
            return Response(status, reason, headers, b""), close
        if fields.chunked():
            content = self._chunked()
        else:
            length = fields.content_length()
            if length is None:  # framed by the connection's close
                content, close = self._read_to_close(), True
            else:
                content = self._exactly(length)
        return Response(status, reason, headers, content), close

    def _line(self, what: str) -> bytes:
        line = self._reader.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError(f"{what} longer than {MAX_LINE} bytes")
        return line

    def _status_line(self) -> tuple[str, int, str]:
        line = self._line("status line")
        if not line:
            raise Disconnected()
        parts = line.decode("latin-1").rstrip("\r\n").split(None, 2)
        version = parts[0] if parts else ""
        if not version.startswith("HTTP/1.") or len(parts) < 2:
            raise ProtocolError(f"not an HTTP/1.x status line: {line[:40]!r}")
        code = parts[1]
        if len(code) != 3 or not code.isdigit() or not code.isascii():
            raise ProtocolError(f"invalid status code {code[:10]!r}")
        return version, int(code), parts[2].strip() if len(parts) > 2 else ""

    def _headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        while True:
            line = self._line("header line")
            if not line:
                raise ProtocolError("connection closed in the reply's headers")
            if line in (b"\r\n", b"\n"):
                return headers
            text = line.decode("latin-1").rstrip("\r\n")
            if text[:1] in (" ", "\t"):  # obsolete line folding: continues the header above
                if headers:
                    name, value = headers[-1]
                    headers[-1] = (name, f"{value} {text.strip()}".strip())
                continue
            name, colon, value = text.partition(":")
            if not colon or not name or name != name.strip():
                continue  # not a header (as http.client, tolerated and dropped)
            if len(headers) >= MAX_HEADERS:
                raise ProtocolError(f"more than {MAX_HEADERS} headers")
            headers.append((name, value.strip()))

    def _exactly(self, length: int) -> bytes:
        if length > MAX_BODY:
            raise ProtocolError(f"reply body of {length} bytes (over {MAX_BODY >> 20} MiB)")
        content = self._reader.read(length)
        if len(content) < length:
            raise ProtocolError(f"reply body ended after {len(content)} of {length} bytes")
        return content

    def _read_to_close(self) -> bytes:
        content = self._reader.read(MAX_BODY + 1)
        if len(content) > MAX_BODY:
            raise ProtocolError(f"reply body over {MAX_BODY >> 20} MiB")
        return content

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self._line("chunk size line")
            size_text = line.split(b";", 1)[0].strip()  # a chunk extension is ignored
            if not size_text or size_text.strip(_HEX):
                raise ProtocolError(f"invalid chunk size line {line[:40]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise ProtocolError(f"reply body over {MAX_BODY >> 20} MiB")
            parts.append(self._exactly(size))
            if self._line("chunk end") not in (b"\r\n", b"\n"):
                raise ProtocolError("chunk not followed by CRLF")
        while self._line("trailer line") not in (b"\r\n", b"\n", b""):
            pass  # trailers: nothing here needs them
        return b"".join(parts)


class _Fields:
    """The reply headers that frame the body and say whether the connection stays open."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in headers:
            self._values.setdefault(name.lower(), []).append(value)

    def _tokens(self, name: str) -> list[str]:
        return [
            token.strip().lower() for value in self._values.get(name, ()) for token in
            value.split(",") if token.strip()
        ]

    def closes(self, version: str) -> bool:
        connection = self._tokens("connection")
        if "close" in connection:
            return True
        return version == "HTTP/1.0" and "keep-alive" not in connection

    def chunked(self) -> bool:
        codings = self._tokens("transfer-encoding")
        if not codings:
            return False
        if codings[-1] != "chunked":  # a coding we cannot undo, or no framing at all
            raise ProtocolError(f"unsupported Transfer-Encoding {', '.join(codings)!r}")
        return True

    def content_length(self) -> int | None:
        values = set(self._tokens("content-length"))
        if not values:
            return None
        value = values.pop()
        if values or not value.isdigit() or not value.isascii():
            raise ProtocolError("invalid Content-Length")
        return int(value)

