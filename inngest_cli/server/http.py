"""The HTTP/1.1 layer of `inngest-cli serve`: connections, message framing and limits.

It knows nothing about events: it reads requests, hands each complete one to an
:class:`Application` and writes back the :class:`Response` it returns.

**Threads.**  One thread (the loop, the one that calls :meth:`HTTPServer.serve_forever`) owns
every socket: it accepts, reads requests and writes replies, all non-blocking through a selector.
A connection that is idle, or trickles its request a byte at a time, therefore costs a file
descriptor and a small buffer, never a thread.  Complete requests go to a fixed pool of
``workers`` threads that run the application (JSON parsing, SQLite) and hand the reply back to
the loop.  (The standard library's ThreadingHTTPServer gives every connection its own thread,
idle or not, and spins at 100% CPU once accept() fails for want of file descriptors; capping its
threads would leave the new connections, ``/health`` among them, waiting behind idle ones.)
Requests the ``serial`` predicate picks go instead to one thread of their own, which takes them
one at a time in the order they were read: `serve` sends its event posts there, which it stores
one at a time anyway, and one thread kept warm stores them with less CPU than a pool that hands
each to whichever thread waits (README, "Benchmarks").

**Limits.**  At most ``max_connections`` connections are open (fewer when the file-descriptor
limit is low: it keeps 64 descriptors in reserve for the database and the log).  When the cap is
reached, the connection that has been quiet longest (not one whose request is being handled) is
closed to make room, so a flood of idle sockets cannot lock out a new client.  A connection that
sends nothing for ``idle_timeout`` seconds, between requests or inside one, is closed, and so is
one whose request takes longer than ``request_timeout`` plus a second per 64 KiB of body to
arrive.  The request line may be 64 KiB (414 beyond), the header section 64 KiB and 100 fields
(431 beyond).  A body over ``max_body_bytes`` is read and thrown away, then answered 413; one
declared over 1 GiB is answered 413 at once.  Bodies held in memory, all connections together,
are capped at ``max_buffered_bytes``: over it, no connection reads body bytes while a request
is being handled, and then only the one holding the most does (so one always completes); the
others wait with their timers stopped.

**Framing** follows RFC 9112 strictly, because a lenient reading is what lets a request hide
inside another one's body (request smuggling) when a proxy frames it differently:

- ``Transfer-Encoding`` together with ``Content-Length``, or in an HTTP/1.0 request: 400.
- ``Transfer-Encoding`` whose last coding is not exactly ``chunked`` (``xchunked``,
  ``chunked, identity``), or with ``chunked`` twice: 400.  ``chunked`` after a coding we do not
  decode (``gzip, chunked``): 501.
- ``Content-Length`` more than once (even with equal values), as a list, or not all digits: 400.
- A chunk size that is not hex (or over 16 digits), a chunk not followed by exactly CRLF, a chunk
  line ending in a bare LF: 400.  Trailer fields are read and ignored.
- In the head, a line may end in CRLF or a bare LF (RFC 9112 allows both); a bare CR, a field
  name that is not a token or is followed by whitespace before the colon, obsolete line folding,
  a control character in a value, or two ``Host`` fields: 400.
- An HTTP version other than 1.x: 505; a method we do not serve: 501.

Every such refusal is answered with ``Connection: close``, nothing after it on the connection is
read as a request, and the connection is closed once the reply is out (after a short linger so
that the client reads the reply rather than a reset).
"""

from __future__ import annotations

import email.utils
import errno
import queue
import resource
import selectors
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import orjson

MIN_BODY_RATE = 64 * 1024
"""Bytes per second a client must keep up while sending a body (on top of ``request_timeout``)."""
DISCARD_LIMIT = 1 << 30
"""A body over the limit but under this many bytes is read and discarded before the 413, so that
a client that writes its whole body before reading the reply sees the 413; a larger one is
answered at once and the connection closed."""
MAX_LINE = 65536
MAX_HEADER_BYTES = 65536
MAX_FIELDS = 100
MAX_CHUNK_LINE = 4096
FD_RESERVE = 64
LINGER_SECONDS = 2.0
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})

_RECV = 256 * 1024
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_CTL = frozenset(range(0x20)) - {0x09} | {0x7F}
_PHRASES = {100: "Continue", 200: "OK", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            413: "Request Entity Too Large", 414: "Request-URI Too Long",
            431: "Request Header Fields Too Large", 500: "Internal Server Error",
            501: "Not Implemented", 505: "HTTP Version Not Supported"}
_TEXT = "text/plain; charset=utf-8"


class Headers:
    """Request header fields in arrival order, looked up by case-insensitive name."""

    __slots__ = ("_fields",)

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for key, value in self._fields:
            if key == name:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self._fields if key == name]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """(lower-cased name, value) pairs."""
        return iter(self._fields)


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    target: str
    """The request-target as sent (``/v1/events?limit=5``)."""
    path: str
    """Its path, still percent-encoded."""
    query: str
    headers: Headers
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    """Path parameters, filled in by the router (``{"id": ...}`` for ``/v1/runs/{id}``)."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    note: str = ""
    """Appended to the request's access-log line (e.g. `` 3 events``)."""


Jobs = queue.SimpleQueue["tuple[_Conn, Request] | None"]
"""Complete requests for a worker thread (None stops it)."""


class Application(Protocol):
    """What the HTTP layer serves: a handler for complete requests and two log hooks."""

    base_headers: tuple[tuple[str, str], ...]
    """Sent with every reply, refusals included."""

    def handle(self, request: Request) -> Response: ...

    def log_access(self, method: str, target: str, response: Response,
                   elapsed_ms: float) -> None: ...

    def log_error(self, text: str) -> None: ...


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 64 << 20
    idle_timeout: float = 60.0
    """Seconds a connection may send nothing (between requests, or stalled inside one)."""
    request_timeout: float = 120.0
    """Seconds from a request's first byte to its last, plus one per 64 KiB of declared body."""
    max_connections: int = 1024
    workers: int = 8
    max_buffered_bytes: int = 256 << 20
    """Request bodies held at once, all connections together.  Over it, only the connection
    holding the most keeps reading (so one always finishes); the others wait, their timers
    stopped, until memory is freed."""


def connection_cap(wanted: int) -> int:
    """``wanted``, lowered to what the file-descriptor limit leaves after a reserve."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(4, min(wanted, soft - FD_RESERVE))


class _Refused(Exception):
    """The request cannot be read: answer ``status`` with ``detail`` and close."""

    def __init__(self, status: int, detail: str, body: bytes | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.body = body


def _phrase(status: int) -> str:
    return _PHRASES.get(status, "Unknown")


# Connection states.
_READING = "reading"  # a request is being read (or none has started)
_HANDLING = "handling"  # a worker has the request
_WRITING = "writing"  # the reply is going out
_LINGER = "linger"  # refused: reply sent, reading and dropping until the client closes


class _Conn:
    """One client connection and the incremental parse of its current request."""

    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.inbuf = bytearray()
        self.inflight = 0  # bytes of the body a worker has
        self.outbuf = memoryview(b"")
        self.state = _READING
        self.close_after_write = False
        self.last_activity = now
        self.linger_until = 0.0
        self.reset()

    def reset(self) -> None:
        """Forget the request just answered; the next one starts from the buffer's front."""
        self.deadline: float | None = None
        self.started = 0.0
        self.scan = 0  # where the head's next line starts in inbuf
        self.searched = 0  # inbuf[:searched] holds no line end past the line being read
        self.lines: list[bytes] = []
        self.head_bytes = 0
        self.method = ""
        self.target = ""
        self.http10 = False
        self.headers = Headers([])
        self.keep_alive = True
        self.body_mode = ""  # "", "length" or "chunked"
        self.remaining = 0  # body bytes (length) or chunk bytes still to come
        self.chunk_phase = "size"  # size, data, crlf, trailers
        self.trailer_bytes = 0
        self.body = bytearray()
        self.body_total = 0
        self.discarding = False

    def expect_continue_wanted(self, headers: Headers) -> bool:
        expect = headers.get("expect")
        return expect is not None and expect.strip().lower() == "100-continue" and not self.http10


class HTTPServer:
    """Serves ``app`` on ``address`` with ``limits``; see the module docstring."""

    def __init__(self, address: tuple[str, int], app: Application, limits: Limits,
                 serial: Callable[[Request], bool] | None = None) -> None:
        self.app = app
        self.limits = limits
        self._serial = serial
        self.max_connections = connection_cap(limits.max_connections)
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind(address)
            # A short backlog drops the SYNs of a burst of new connections, and each dropped one
            # costs its client a second (the SYN retransmission).
            self._listener.listen(socket.SOMAXCONN)
            self._listener.setblocking(False)
        except OSError:
            self._listener.close()
            raise
        self.server_address: tuple[str, int] = self._listener.getsockname()[:2]
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._conns: dict[int, _Conn] = {}
        self._quiet: OrderedDict[int, None] = OrderedDict()  # evictable, quietest first
        self._jobs: Jobs = queue.SimpleQueue()
        self._lane: Jobs = queue.SimpleQueue()  # the requests ``serial`` picks, in order
        self._done: queue.SimpleQueue[tuple[_Conn, bytes]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._stopped.set()
        self._listening = False
        self._resume_accept_at = 0.0
        self._buffered = 0  # bodies being read plus those being handled
        self.peak_buffered = 0
        self._paused: dict[int, tuple[_Conn, float]] = {}  # fd -> (conn, since)
        self._favoured: int | None = None  # the fd allowed to read while over the budget
        self._workers = [(threading.Thread(target=self._work, args=(self._jobs,),
                                           name=f"serve-worker-{n}", daemon=True), self._jobs)
                         for n in range(limits.workers)]
        if serial is not None:
            self._workers.append((threading.Thread(target=self._work, args=(self._lane,),
                                                   name="serve-serial", daemon=True), self._lane))
        for worker, _ in self._workers:
            worker.start()

    # -- the loop ---------------------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.25) -> None:
        """Serve until :meth:`shutdown` (from another thread) or an exception (a signal)."""
        self._stop.clear()
        self._stopped.clear()
        tick = min(poll_interval, self.limits.idle_timeout / 4)
        selector = self._selector
        selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._watch_listener(True)
        next_sweep = time.monotonic() + tick
        try:
            while not self._stop.is_set():
                for key, mask in selector.select(tick):
                    if key.fileobj is self._listener:
                        try:
                            self._accept()
                        except OSError as error:  # unexpected: pause accepting, go on
                            self.app.log_error(f"error: accept: {error}")
                            self._watch_listener(False)
                            self._resume_accept_at = time.monotonic() + 1.0
                    elif key.fileobj is self._wake_r:
                        self._drain_wakeups()
                    else:
                        conn = self._conns.get(key.fd)
                        if conn is not None:
                            try:
                                self._on_ready(conn, mask)
                            except Exception as error:  # a bug: lose the connection, not all
                                self.app.log_error(f"error: connection dropped: "
                                                   f"{type(error).__name__}: {error}")
                                self._close(conn)
                self._finish_replies()
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + tick
        finally:
            selector.unregister(self._wake_r)
            self._watch_listener(False)
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` and wait for it to return."""
        self._stop.set()
        self._wake()
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listener and every connection, and stop the workers."""
        self._stop.set()
        for conn in list(self._conns.values()):
            self._close(conn)
        self._listener.close()
        for _, jobs in self._workers:
            jobs.put(None)
        for worker, _ in self._workers:
            worker.join(5)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    @property
    def connection_count(self) -> int:
        return len(self._conns)

    def _watch_listener(self, on: bool) -> None:
        if on and not self._listening:
            self._selector.register(self._listener, selectors.EVENT_READ, None)
        elif not on and self._listening:
            self._selector.unregister(self._listener)
        self._listening = on

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # a wake-up is pending already (or we are closing)

    def _drain_wakeups(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _accept(self) -> None:
        for _ in range(64):
            if len(self._conns) >= self.max_connections and not self._evict():
                self._watch_listener(False)  # resumed when a connection closes
                return
            try:
                sock, _ = self._listener.accept()
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors after all: make room, else pause rather than spin.
                    if not self._evict():
                        self._watch_listener(False)
                        self._resume_accept_at = time.monotonic() + 0.1
                    return
                if error.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EPERM):
                    continue
                raise
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            conn = _Conn(sock, time.monotonic())
            self._conns[conn.fd] = conn
            self._quiet[conn.fd] = None
            self._selector.register(sock, selectors.EVENT_READ, None)

    def _evict(self) -> bool:
        """Close the quietest connection that is not being answered; False if there is none."""
        fd = next(iter(self._quiet), None)
        if fd is None:
            return False
        self._close(self._conns[fd])
        return True

    def _on_ready(self, conn: _Conn, mask: int) -> None:
        if conn.state == _WRITING and mask & selectors.EVENT_WRITE:
            self._write(conn)
        elif conn.state in (_READING, _LINGER) and mask & selectors.EVENT_READ:
            self._read(conn)

    def _read(self, conn: _Conn) -> None:
        if (conn.state == _READING and conn.body_mode and not conn.discarding
                and self._buffered >= self.limits.max_buffered_bytes
                and not self._favour(conn)):
            self._selector.unregister(conn.sock)
            self._paused[conn.fd] = (conn, time.monotonic())
            return
        try:
            data = conn.sock.recv(_RECV)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if not data:  # the client closed (or half-closed: nothing more will come)
            self._close(conn)
            return
        now = time.monotonic()
        conn.last_activity = now
        self._quiet.move_to_end(conn.fd)
        if conn.state == _LINGER:
            return  # dropped
        if conn.deadline is None:
            conn.deadline = now + self.limits.request_timeout
            conn.started = time.perf_counter()
        conn.inbuf += data
        self._parse(conn)

    def _parse(self, conn: _Conn) -> None:
        """Advance ``conn``'s request with what is buffered; dispatch it when complete."""
        before = len(conn.body)
        try:
            request = self._advance(conn)
        except _Refused as refused:
            self._account(-before)
            self._refuse(conn, refused)
            return
        self._account(len(conn.body) - before)
        if request is None:
            return
        conn.inflight = len(request.body)
        self._account(conn.inflight)
        if self._favoured == conn.fd:
            self._favoured = None
        conn.state = _HANDLING
        self._quiet.pop(conn.fd, None)
        self._selector.unregister(conn.sock)
        serial = self._serial is not None and self._serial(request)
        (self._lane if serial else self._jobs).put((conn, request))

    def _refuse(self, conn: _Conn, refused: _Refused) -> None:
        body = refused.body
        if body is None:
            body = f"{refused.status} {_phrase(refused.status)}: {refused.detail}".encode()
        response = Response(refused.status, body, _TEXT)
        if conn.method:
            elapsed = (time.perf_counter() - conn.started) * 1000 if conn.started else 0.0
            self.app.log_access(conn.method, conn.target, response, elapsed)
        conn.close_after_write = True
        conn.inbuf.clear()
        conn.body = bytearray()
        self._start_write(conn, self._serialize(response, conn.method == "HEAD", close=True))

    def _start_write(self, conn: _Conn, data: bytes) -> None:
        conn.state = _WRITING
        self._quiet.pop(conn.fd, None)
        conn.outbuf = memoryview(data)
        conn.last_activity = time.monotonic()
        self._write(conn)

    def _write(self, conn: _Conn) -> None:
        while conn.outbuf:
            try:
                sent = conn.sock.send(conn.outbuf)
            except (BlockingIOError, InterruptedError):
                self._set_events(conn, selectors.EVENT_WRITE)
                return
            except OSError:
                self._close(conn)
                return
            conn.outbuf = conn.outbuf[sent:]
            conn.last_activity = time.monotonic()
        if conn.close_after_write:
            self._linger(conn)
            return
        conn.state = _READING
        conn.reset()
        self._quiet[conn.fd] = None
        self._set_events(conn, selectors.EVENT_READ)
        if conn.inbuf:  # a pipelined request is waiting
            conn.deadline = time.monotonic() + self.limits.request_timeout
            conn.started = time.perf_counter()
            self._parse(conn)

    def _linger(self, conn: _Conn) -> None:
        """Half-close and drop what the client still sends for a moment, so that the reply is
        read before the connection is reset by unread data."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.state = _LINGER
        conn.linger_until = time.monotonic() + LINGER_SECONDS
        self._quiet[conn.fd] = None
        self._set_events(conn, selectors.EVENT_READ)

    def _set_events(self, conn: _Conn, events: int) -> None:
        try:
            self._selector.modify(conn.sock, events, None)
        except KeyError:
            self._selector.register(conn.sock, events, None)

    def _close(self, conn: _Conn) -> None:
        if self._conns.pop(conn.fd, None) is None:
            return
        self._quiet.pop(conn.fd, None)
        self._paused.pop(conn.fd, None)
        if self._favoured == conn.fd:
            self._favoured = None
        self._account(-len(conn.body) - conn.inflight)
        conn.inflight = 0
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
        conn.inbuf = bytearray()
        conn.body = bytearray()
        if not self._listening and not self._stop.is_set() and not self._resume_accept_at:
            self._watch_listener(True)
        self._resume()

    def _account(self, delta: int) -> None:
        self._buffered += delta
        self.peak_buffered = max(self.peak_buffered, self._buffered)

    def _favour(self, conn: _Conn) -> bool:
        """Whether ``conn`` may read although the body budget is spent: none while a request
        is being handled (its end frees memory), else only the connection holding the most body
        bytes, so that one request always completes."""
        if self._in_flight():
            return False
        if self._favoured is None or self._favoured not in self._conns:
            candidates = [c for c in self._conns.values() if c.state == _READING
                          and c.body_mode and not c.discarding and c.fd not in self._paused]
            self._favoured = max(candidates, key=lambda c: len(c.body), default=conn).fd
        return self._favoured == conn.fd

    def _in_flight(self) -> bool:
        return any(c.inflight for c in self._conns.values())

    def _resume(self) -> None:
        """Let waiting connections read again once the body budget has room."""
        if not self._paused or (self._buffered >= self.limits.max_buffered_bytes
                                and self._in_flight()):
            return
        now = time.monotonic()
        for conn, since in self._paused.values():
            conn.last_activity = now
            if conn.deadline is not None:
                conn.deadline += now - since
            self._selector.register(conn.sock, selectors.EVENT_READ, None)
        self._paused.clear()

    def _sweep(self, now: float) -> None:
        """Close connections that went quiet or whose request ran out of time."""
        if self._resume_accept_at and now >= self._resume_accept_at:
            self._resume_accept_at = 0.0
            self._watch_listener(True)
        idle = self.limits.idle_timeout
        for conn in list(self._conns.values()):
            if conn.fd in self._paused:
                continue  # waiting for the body budget, not for the client
            if conn.state == _LINGER:
                if now >= conn.linger_until:
                    self._close(conn)
            elif conn.state in (_READING, _WRITING):
                if now - conn.last_activity >= idle:
                    self._close(conn)
                elif conn.state == _READING and conn.deadline is not None and now >= conn.deadline:
                    self._close(conn)

    # -- workers ----------------------------------------------------------------------------

    def _work(self, jobs: Jobs) -> None:
        while (job := jobs.get()) is not None:
            conn, request = job
            started = conn.started
            try:
                response = self.app.handle(request)
            except Exception as error:  # a bug: answer, don't die
                self.app.log_error(f"error: {request.method} {request.path}: "
                                   f"{type(error).__name__}: {error}")
                response = Response(500, b"500 Internal Server Error", _TEXT)
            elapsed = (time.perf_counter() - started) * 1000 if started else 0.0
            try:
                self.app.log_access(request.method, request.target, response, elapsed)
            except Exception:  # noqa: S110 - the log must not take the reply with it
                pass
            data = self._serialize(response, request.method == "HEAD",
                                   close=not conn.keep_alive, http10=conn.http10)
            self._done.put((conn, data))
            self._wake()

    def _finish_replies(self) -> None:
        while True:
            try:
                conn, data = self._done.get_nowait()
            except queue.Empty:
                return
            if conn.fd not in self._conns or self._conns[conn.fd] is not conn:
                continue  # closed meanwhile (shutdown); its bytes were counted off then
            conn.close_after_write = not conn.keep_alive
            self._account(-conn.inflight)
            conn.inflight = 0
            self._start_write(conn, data)
            self._resume()

    def _serialize(self, response: Response, head_only: bool, *, close: bool,
                   http10: bool = False) -> bytes:
        lines = [f"HTTP/1.1 {response.status} {_phrase(response.status)}",
                 f"Date: {email.utils.formatdate(usegmt=True)}"]
        if response.content_type:
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
        lines += [f"{name}: {value}" for name, value in self.app.base_headers]
        if close:
            lines.append("Connection: close")
        elif http10:
            lines.append("Connection: keep-alive")
        lines += [f"{name}: {value}" for name, value in response.headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        return head if head_only else head + response.body

    # -- framing ----------------------------------------------------------------------------

    def _advance(self, conn: _Conn) -> Request | None:
        """The request, once ``conn.inbuf`` holds all of it; None while more is needed."""
        if not conn.body_mode and not self._read_head(conn):
            return None
        if conn.body_mode == "length":
            done = self._read_length_body(conn)
        elif conn.body_mode == "chunked":
            done = self._read_chunked_body(conn)
        else:
            done = True
        if not done:
            return None
        limit = self.limits.max_body_bytes
        if conn.discarding:
            raise _Refused(413, "", _too_large(conn.body_total, limit))
        split = urlsplit(conn.target) if not conn.target.startswith("/") else None
        path, _, query = conn.target.partition("?")
        if split is not None:  # absolute-form (http://host/path) or "*"
            path, query = split.path or "/", split.query
        body = bytes(conn.body)
        conn.body = bytearray()
        return Request(conn.method, conn.target, path.partition("#")[0] or "/", query,
                       conn.headers, body)

    def _read_head(self, conn: _Conn) -> bool:
        """Parse head lines from the buffer; True once the head is complete (and the body's
        framing decided), False while more is needed."""
        buf = conn.inbuf
        while True:
            # Search only bytes not searched before: a line sent a byte at a time costs
            # linear time, not quadratic.
            end = buf.find(b"\n", max(conn.scan, conn.searched))
            if end < 0:
                conn.searched = len(buf)
                pending = len(buf) - conn.scan
                if not conn.lines and pending > MAX_LINE:
                    raise _Refused(414, "request line too long")
                if conn.lines and (pending > MAX_LINE
                                   or conn.head_bytes + pending > MAX_HEADER_BYTES):
                    raise _Refused(431, "header section too large")
                return False
            line = bytes(buf[conn.scan:end])
            conn.scan = end + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if b"\r" in line:
                raise _Refused(400, "bare CR in the request head")
            if not conn.lines:
                if not line:  # an empty line before the request line is ignored (RFC 9112 2.2)
                    if conn.scan > 8:
                        raise _Refused(400, "empty lines before the request line")
                    continue
                if len(line) > MAX_LINE:
                    raise _Refused(414, "request line too long")
                conn.lines.append(line)
                self._request_line(conn, line)
                continue
            if not line:
                break
            conn.head_bytes += len(line) + 2
            if len(conn.lines) > MAX_FIELDS or conn.head_bytes > MAX_HEADER_BYTES:
                raise _Refused(431, "too many header fields")
            conn.lines.append(line)
        del buf[:conn.scan]
        conn.scan = conn.searched = 0
        self._headers(conn)
        return True

    @staticmethod
    def _request_line(conn: _Conn, line: bytes) -> None:
        parts = line.split(b" ")
        if len(parts) != 3 or not all(parts):
            raise _Refused(400, "malformed request line")
        method, target, version = parts
        if not _is_token(method):
            raise _Refused(400, "malformed request line")
        if any(b in _CTL or b >= 0x80 for b in target):
            raise _Refused(400, "invalid request target")
        if (len(version) != 8 or not version.startswith(b"HTTP/") or version[6:7] != b"."
                or not version[5:6].isdigit() or not version[7:8].isdigit()):
            raise _Refused(400, "malformed HTTP version")
        conn.method = method.decode("ascii")
        conn.target = target.decode("ascii")
        if version[5:6] != b"1":
            raise _Refused(505, "only HTTP/1.x is served")
        conn.http10 = version == b"HTTP/1.0"
        if conn.method not in METHODS:
            raise _Refused(501, f"method {conn.method} is not served")
        if not (conn.target.startswith("/") or conn.target == "*"
                or conn.target.lower().startswith(("http://", "https://"))):
            raise _Refused(400, "invalid request target")

    def _headers(self, conn: _Conn) -> None:
        fields = [_field(line) for line in conn.lines[1:]]
        conn.headers = headers = Headers(fields)
        if len(headers.get_all("host")) > 1:
            raise _Refused(400, "more than one Host field")
        tokens = {t.strip().lower() for v in headers.get_all("connection") for t in v.split(",")}
        conn.keep_alive = "close" not in tokens and (not conn.http10 or "keep-alive" in tokens)
        encodings = headers.get_all("transfer-encoding")
        lengths = headers.get_all("content-length")
        limit = self.limits.max_body_bytes
        if encodings:
            if lengths:
                raise _Refused(400, "both Content-Length and Transfer-Encoding")
            if conn.http10:
                raise _Refused(400, "Transfer-Encoding in an HTTP/1.0 request")
            codings = [c.strip().lower() for v in encodings for c in v.split(",")]
            codings = [c for c in codings if c]
            if not codings or codings[-1] != "chunked" or codings.count("chunked") > 1:
                raise _Refused(400, "chunked must be the last transfer coding, once")
            if len(codings) > 1:
                raise _Refused(501, f"transfer coding {codings[0]!r} is not supported")
            conn.keep_alive = "close" not in tokens
            conn.body_mode = "chunked"
        elif lengths:
            if len(lengths) > 1:
                raise _Refused(400, "more than one Content-Length")
            text = lengths[0]
            if not text or not (text.isascii() and text.isdigit()):
                raise _Refused(400, "invalid Content-Length")
            size = int(text) if len(text) < 20 else DISCARD_LIMIT + 1
            if size > DISCARD_LIMIT or (size > limit and conn.expect_continue_wanted(headers)):
                raise _Refused(413, "", _too_large(size, limit))
            conn.body_mode = "length"
            conn.remaining = size
            conn.body_total = size
            conn.discarding = size > limit
            if conn.deadline is not None:
                conn.deadline += size / MIN_BODY_RATE
        else:
            conn.body_mode = "length"
            conn.remaining = 0
        if (conn.body_mode == "chunked" or conn.remaining) and not conn.inbuf \
                and conn.expect_continue_wanted(headers):
            try:
                conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            except OSError:
                pass  # the body will not come; the idle timeout closes the connection

    def _read_length_body(self, conn: _Conn) -> bool:
        buf = conn.inbuf
        take = min(conn.remaining, len(buf))
        if take:
            if not conn.discarding:
                conn.body += buf[:take]
            del buf[:take]
            conn.remaining -= take
        return conn.remaining == 0

    def _read_chunked_body(self, conn: _Conn) -> bool:
        buf = conn.inbuf
        limit = self.limits.max_body_bytes
        while True:
            if conn.chunk_phase == "size":
                end = buf.find(b"\r\n")
                if end < 0:
                    if len(buf) > MAX_CHUNK_LINE:
                        raise _Refused(400, "chunk size line too long")
                    if b"\n" in buf:
                        raise _Refused(400, "chunk size line not ended by CRLF")
                    return False
                if end > MAX_CHUNK_LINE:
                    raise _Refused(400, "chunk size line too long")
                size = _chunk_size(bytes(buf[:end]))
                del buf[:end + 2]
                if size == 0:
                    conn.chunk_phase = "trailers"
                    continue
                conn.body_total += size
                if conn.body_total > DISCARD_LIMIT:
                    raise _Refused(413, "", _too_large(conn.body_total, limit))
                if conn.body_total > limit and not conn.discarding:
                    conn.discarding = True
                    conn.body = bytearray()
                if conn.deadline is not None:
                    conn.deadline += size / MIN_BODY_RATE
                conn.remaining = size
                conn.chunk_phase = "data"
            elif conn.chunk_phase == "data":
                take = min(conn.remaining, len(buf))
                if take:
                    if not conn.discarding:
                        conn.body += buf[:take]
                    del buf[:take]
                    conn.remaining -= take
                if conn.remaining:
                    return False
                conn.chunk_phase = "crlf"
            elif conn.chunk_phase == "crlf":
                if len(buf) < 2:
                    if buf and buf[:1] != b"\r":
                        raise _Refused(400, "chunk data not followed by CRLF")
                    return False
                if buf[:2] != b"\r\n":
                    raise _Refused(400, "chunk data not followed by CRLF")
                del buf[:2]
                conn.chunk_phase = "size"
            else:  # trailers: field lines up to an empty line, all ignored
                end = buf.find(b"\n", conn.searched)
                if end < 0:
                    conn.searched = len(buf)
                    if conn.trailer_bytes + len(buf) > MAX_HEADER_BYTES:
                        raise _Refused(431, "trailer section too large")
                    return False
                if end == 0 or buf[end - 1] != 0x0D:
                    raise _Refused(400, "trailer line not ended by CRLF")
                end -= 1
                line = bytes(buf[:end])
                del buf[:end + 2]
                conn.searched = 0
                if not line:
                    return True
                conn.trailer_bytes += end + 2
                if conn.trailer_bytes > MAX_HEADER_BYTES:
                    raise _Refused(431, "trailer section too large")
                if b"\n" in line or b"\r" in line:
                    raise _Refused(400, "trailer line not ended by CRLF")
                _field(line)


def _is_token(text: bytes) -> bool:
    return bool(text) and all(b in _TOKEN for b in text)


def _field(line: bytes) -> tuple[str, str]:
    """(lower-cased name, value) of one field line, or a 400."""
    if line[:1] in (b" ", b"\t"):
        raise _Refused(400, "obsolete line folding in the header section")
    name, colon, value = line.partition(b":")
    if not colon or not _is_token(name):
        raise _Refused(400, "malformed header field")
    value = value.strip(b" \t")
    if any(b in _CTL for b in value):
        raise _Refused(400, "control character in a header value")
    return name.decode("ascii").lower(), value.decode("latin-1")


def _chunk_size(line: bytes) -> int:
    """The size in a chunk line (``1a`` or ``1a;name=value``), or a 400."""
    digits, _, ext = line.partition(b";")
    if ext or b";" in line:
        digits = digits.rstrip(b" \t")
        if any(b in _CTL for b in ext):
            raise _Refused(400, "invalid chunk extension")
    if not digits or not all(b in _HEX for b in digits) or len(digits.lstrip(b"0")) > 16:
        raise _Refused(400, "invalid chunk size")
    return int(digits, 16)


def _too_large(size: int, limit: int) -> bytes:
    error = f"Request body is over the server's limit: Max {limit} bytes / Size {size} bytes"
    return orjson.dumps({"ids": [""], "status": 413, "error": error}) + b"\n"
