"""Our HTTP/1.1 client connection, against a server that sends exactly the bytes a test scripts:
every framing a reply may use, and the replies it must refuse rather than misread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from inngest_cli.http11 import (
    MAX_HEADERS,
    MAX_LINE,
    Connection,
    Disconnected,
    ProtocolError,
    Response,
    request_head,
)
from inngest_cli.transport import PooledTransport, TransportError


class Scripted:
    """A loopback server: for each request it reads (head and Content-Length body), it sends the
    next scripted reply; None closes the connection instead. Requests are kept."""

    def __init__(self, replies: list[bytes | None]) -> None:
        self.replies = list(replies)
        self.requests: list[bytes] = []
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.replies:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            with sock:
                if not self._converse(sock):
                    continue

    def _converse(self, sock: socket.socket) -> bool:
        received = b""
        while self.replies:
            while b"\r\n\r\n" not in received:
                data = sock.recv(65536)
                if not data:
                    return False
                received += data
            head, _, rest = received.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(rest) < length:
                rest += sock.recv(65536)
            self.requests.append(head + b"\r\n\r\n" + rest[:length])
            received = rest[length:]
            reply = self.replies.pop(0)
            if reply is None:
                return False
            sock.sendall(reply)
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)
        return False

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def scripted() -> Iterator[list[Scripted]]:
    made: list[Scripted] = []
    yield made
    for server in made:
        server.close()


Reply = tuple[Response, bool]  # what `Connection.post` returns: the reply, whether it closes


def exchange(scripted: list[Scripted], *replies: bytes | None) -> list[Reply | Exception]:
    """Each reply's result, posting one request per reply on one connection."""
    server = Scripted(list(replies))
    scripted.append(server)
    conn = Connection(socket.create_connection(("127.0.0.1", server.port), timeout=5))
    results: list[Reply | Exception] = []
    for _ in replies:
        try:
            results.append(conn.post(request_head("/e/k", "h", {}, 2), b"{}"))
        except (ProtocolError, OSError) as exc:
            results.append(exc)
            break
    conn.close()
    return results


def one(scripted: list[Scripted], reply: bytes) -> Reply:
    result = exchange(scripted, reply)[0]
    assert isinstance(result, tuple), result
    return result


def refused(scripted: list[Scripted], reply: bytes) -> str:
    result = exchange(scripted, reply)[0]
    assert isinstance(result, ProtocolError), result
    return str(result)


def test_the_request_is_a_post_with_host_length_and_headers() -> None:
    head = request_head("/e/k?x=1", "[::1]:8288", {"Content-Type": "application/json"}, 12)
    assert head == (
        b"POST /e/k?x=1 HTTP/1.1\r\nHost: [::1]:8288\r\nAccept-Encoding: identity\r\n"
        b"Content-Type: application/json\r\nContent-Length: 12\r\n\r\n"
    )


def test_header_text_beyond_ascii_goes_as_utf8() -> None:
    assert "x-inngest-env: zweig-ü/分支\r\n".encode() in request_head(
        "/", "h", {"x-inngest-env": "zweig-ü/分支"}, 0
    )


@pytest.mark.parametrize(
    "headers",
    [{"x-inngest-env": "a\r\nX-Evil: 1"}, {"x": "a\nb"}, {"a\r\nb": "c"}, {"a:b": "c"}],
)
def test_a_header_cannot_smuggle_another(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="invalid HTTP header"):
        request_head("/", "h", headers, 0)


def test_content_length_framing_and_keep_alive(scripted: list[Scripted]) -> None:
    replies = exchange(
        scripted,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        b"HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\n[1]",
    )
    assert replies == [
        (Response(200, "OK", [("Content-Type", "application/json"), ("Content-Length", "2")],
                  b"{}"), False),
        (Response(201, "Created", [("content-length", "3")], b"[1]"), False),
    ]
    assert len(scripted[0].requests) == 2 and scripted[0].accepted == 1


def test_a_large_body_is_sent_whole(scripted: list[Scripted]) -> None:
    server = Scripted([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"])
    scripted.append(server)
    conn = Connection(socket.create_connection(("127.0.0.1", server.port), timeout=5))
    body = bytes(range(256)) * 4096  # 1 MiB, many segments
    conn.post(request_head("/", "h", {}, len(body)), body)
    conn.close()
    assert server.requests[0].endswith(b"\r\n\r\n" + body)


def test_chunked_with_extensions_and_trailers(scripted: list[Scripted]) -> None:
    reply, closes = one(
        scripted,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;name=value\r\n{\"id\r\n6\r\ns\":[]}\r\n0\r\nX-Trailer: 1\r\n\r\n",
    )
    assert reply.content == b'{"ids":[]}' and not closes


def test_chunked_beats_content_length(scripted: list[Scripted]) -> None:
    reply, _ = one(
        scripted,
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\n{}\r\n0\r\n\r\n",
    )
    assert reply.content == b"{}"


def test_no_length_reads_to_the_close(scripted: list[Scripted]) -> None:
    reply, closes = one(scripted, b"HTTP/1.1 500 Internal Server Error\r\n\r\nbroken backend")
    assert (reply.status, reply.reason, reply.content, closes) == (
        500, "Internal Server Error", b"broken backend", True
    )


def test_informational_replies_are_skipped(scripted: list[Scripted]) -> None:
    reply, _ = one(
        scripted,
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    )
    assert (reply.status, reply.content) == (200, b"{}")


def test_no_body_for_204_whatever_the_headers_say(scripted: list[Scripted]) -> None:
    replies = exchange(
        scripted,
        b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    )
    assert [r[0].content for r in replies if isinstance(r, tuple)] == [b"", b"{}"]


@pytest.mark.parametrize(
    ("head", "closes"),
    [
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n", True),
        (b"HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\n", True),
        (b"HTTP/1.0 200 OK\r\n", True),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n", False),
        (b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n", False),
    ],
)
def test_whether_the_connection_closes(
    scripted: list[Scripted], head: bytes, closes: bool
) -> None:
    assert one(scripted, head + b"Content-Length: 0\r\n\r\n")[1] is closes


def test_lenient_where_nothing_can_be_misread(scripted: list[Scripted]) -> None:
    """Bare LF line ends, no reason phrase, folded and malformed header lines, repeated equal
    Content-Length values: read as http.client reads them."""
    reply, _ = one(
        scripted,
        b"HTTP/1.1 404\nX-Long: a\n  b\nnot a header\n: no name\nContent-Length: 2, 2\n\n{}",
    )
    assert (reply.status, reply.reason, reply.content) == (404, "", b"{}")
    assert reply.headers == [("X-Long", "a b"), ("Content-Length", "2, 2")]


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/2 200\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 20x OK\r\n\r\n", "invalid status code"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
         "invalid Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "invalid Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", "invalid Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "ended after 2 of 10 bytes"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", "over 64 MiB"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported Transfer-Encoding"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1_0\r\n", "invalid chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}xx", "not followed by"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5000000\r\n", "over 64 MiB"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_LINE + b"\r\n\r\n", "header line longer"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * (MAX_HEADERS + 1) + b"\r\n", "more than 100"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", "closed in the reply's headers"),
    ],
)
def test_a_reply_that_cannot_be_trusted_is_refused(
    scripted: list[Scripted], reply: bytes, message: str
) -> None:
    assert message in refused(scripted, reply)


def test_no_reply_at_all_is_a_disconnect(scripted: list[Scripted]) -> None:
    [result] = exchange(scripted, None)
    assert isinstance(result, Disconnected)
    assert str(result) == "Server disconnected without sending a response."


# -- in the pooled transport -------------------------------------------------------------------


def pooled(server: Scripted) -> tuple[PooledTransport, str]:
    return PooledTransport(timeout=5, connections=2), f"http://127.0.0.1:{server.port}/e/k"


def test_bytes_after_a_reply_retire_the_connection(scripted: list[Scripted]) -> None:
    """A server that sent more than its reply framed: the extra bytes are not read as the next
    request's reply; the next request gets a new connection."""
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    server = Scripted([ok + b"HTTP/1.1 500 Stale\r\nContent-Length: 0\r\n\r\n", ok])
    scripted.append(server)
    transport, url = pooled(server)
    assert transport.post(url, b"{}", {}).status == 200
    assert transport.post(url, b"{}", {}).status == 200
    transport.close()
    assert server.accepted == 2


def test_a_closing_reply_retires_the_connection(scripted: list[Scripted]) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    server = Scripted([b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", ok])
    scripted.append(server)
    transport, url = pooled(server)
    assert transport.post(url, b"{}", {}).content == b"{}"
    assert transport.post(url, b"{}", {}).content == b"{}"
    transport.close()
    assert server.accepted == 2


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (None, "RemoteProtocolError: Server disconnected without sending a response."),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{}",
         "RemoteProtocolError: reply body ended after 2 of 9 bytes"),
    ],
)
def test_transport_errors_are_named_as_httpx_names_them(
    scripted: list[Scripted], reply: bytes | None, message: str
) -> None:
    server = Scripted([reply])
    scripted.append(server)
    transport, url = pooled(server)
    with pytest.raises(TransportError) as info:
        transport.post(url, b"{}", {})
    transport.close()
    assert str(info.value) == message


def test_a_port_out_of_range_is_refused_before_connecting() -> None:
    transport = PooledTransport(timeout=5, connections=1)
    with pytest.raises(TransportError, match="UnsupportedProtocol"):
        transport.post("http://127.0.0.1:99999/e/k", b"{}", {})
