"""The HTTP side of `inngest-cli serve`: routing, keys, responses, logging, start and stop.

Routes (docs/protocol.md §1-§8): ``GET /health``, ``POST /e/{key}``, ``GET /v1/events``,
``GET /v1/events/{id}``, ``GET /v1/events/{id}/runs``, ``GET /v1/runs/{id}``.  Everything else is
404 ``404 page not found``; a known path with the wrong method is 405 with ``Allow``.

Hostile clients (one thread each) are bounded: a connection that sends nothing for
``idle_timeout`` seconds is closed, and so is one whose request (headers and body) takes longer
than ``request_timeout`` plus a second per 64 KiB of declared body; a body over ``max_body_bytes``
is read and thrown away, not kept, and answered 413 (Inngest has no such limit, but no Inngest
accepts requests that large either: Cloud stops at 3 MiB).  A malformed ``Content-Length`` is a
400 and ends the connection, as in Go's net/http.
"""

from __future__ import annotations

import io
import ipaddress
import queue
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from inngest_cli import __version__
from inngest_cli.errors import InngestCLIError, UsageError
from inngest_cli.ids import SEED_HEADER, IdSeed
from inngest_cli.redact import mask
from inngest_cli.server import rest
from inngest_cli.server.ingest import IdAllocator, parse_body
from inngest_cli.server.store import EventQuery, EventRow, Store, StoreError
from inngest_cli.timeparse import now_ms

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Log = Callable[[str], None]

DEFAULT_MAX_BODY_BYTES = 64 << 20
MIN_BODY_RATE = 64 * 1024
"""Bytes per second a client must keep up while sending a body (on top of ``request_timeout``)."""
DISCARD_LIMIT = 1 << 30
"""A body over the limit but under this many bytes is read and discarded before the 413, so that
a client that writes its whole body before reading the reply sees the 413; a larger one is
answered at once and the connection closed."""

_EVENT_KEY_NOT_FOUND = b'{"status":401,"message":"","error":"Event key not found"}\n'
_HEALTH = b'{"status":200,"message":"OK"}\n'
_NOT_FOUND = b"404 page not found\n"
_AUTH_FAILED = b"Authentication failed\n"
_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class ServerConfig:
    db: str
    host: str = "127.0.0.1"
    port: int = 8288
    event_keys: tuple[str, ...] = ()
    signing_key: str | None = None
    log: Log | None = field(default=None, compare=False)
    """Where log lines go (None: nowhere): errors, and one line per request unless quiet."""
    quiet: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    idle_timeout: float = 60.0
    """Seconds a connection may send nothing (between requests, or stalled inside one)."""
    request_timeout: float = 120.0
    """Seconds from a request's first byte to its last, plus one per 64 KiB of declared body."""


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    if host.lower() == "localhost":
        return True
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback
                               for info in infos)


def check_config(config: ServerConfig) -> None:
    """Refuse configurations that are wrong or unsafe, with one line and a hint."""
    if not 0 <= config.port <= 65535:
        raise UsageError(f"--port {config.port} is not a TCP port", hint="use 0-65535")
    if any(not key for key in config.event_keys):
        raise UsageError("--event-key must not be empty")
    if config.signing_key is not None:
        problem = rest.signing_key_problem(config.signing_key)
        if problem:
            raise UsageError(problem, hint="Inngest signing keys look like signkey-prod-<hex>")
    if not config.event_keys and not is_loopback(config.host):
        raise UsageError(
            f"refusing to listen on {config.host} (not a loopback address) without an event key",
            hint="add --event-key KEY so only clients with the key can send, "
                 "or use --host 127.0.0.1")


class EventServer(ThreadingHTTPServer):
    """A threading HTTP server that owns the store; `close()` stops serving and closes both."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections, and each
    # dropped one costs its client a second (the SYN retransmission).
    request_queue_size = socket.SOMAXCONN

    def __init__(self, config: ServerConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.ids = IdAllocator()
        self.event_keys = frozenset(config.event_keys)
        self.auth = rest.SigningKeyAuth(config.signing_key) if config.signing_key else None
        self.kind = "cloud" if (config.event_keys or config.signing_key) else "dev"
        self._log = _LogWriter(config.log) if config.log else None
        if ":" in config.host:
            self.address_family = socket.AF_INET6
        super().__init__((config.host, config.port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def write_log(self, line: str) -> None:
        if self._log is not None:
            self._log.write(line)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError):  # the client went away
            return
        self.write_log(f"error: {type(error).__name__}: {error}")

    def log_access(self, line: str) -> None:
        if not self.config.quiet:
            self.write_log(line)

    def close(self) -> None:
        """Stop listening, close the database, then flush the log."""
        self.server_close()
        self.store.close()
        if self._log is not None:
            self._log.close()


class _LogWriter:
    """Hands log lines to a thread, so that a slow or unread stderr never stalls a request.
    When 10,000 lines are waiting, further ones are dropped and counted."""

    def __init__(self, sink: Log) -> None:
        self._sink = sink
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=10_000)
        self._dropped = 0
        self._thread = threading.Thread(target=self._run, name="serve-log", daemon=True)
        self._thread.start()

    def write(self, line: str) -> None:
        try:
            self._queue.put_nowait(line)
        except queue.Full:
            self._dropped += 1

    def _run(self) -> None:
        while (line := self._queue.get()) is not None:
            try:
                self._sink(line)
            except Exception:  # a closed stderr must not end the server
                pass

    def close(self, timeout: float = 2.0) -> None:
        if self._dropped:
            self.write(f"({self._dropped} log lines dropped: stderr was not being read)")
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)


def create_server(config: ServerConfig) -> EventServer:
    """Check the config, open the database and bind the port (nothing is served yet)."""
    check_config(config)
    try:
        store = Store(config.db)
    except (StoreError, OSError) as error:
        raise InngestCLIError(str(error), hint="pass --db PATH (or :memory:)") from error
    try:
        return EventServer(config, store)
    except OSError as error:
        store.close()
        reason = error.strerror or str(error)
        raise InngestCLIError(f"cannot listen on {config.host}:{config.port}: {reason}",
                              hint="pick another --port, or --port 0 for any free one") from error


def serve_until_signalled(server: EventServer, on_ready: Callable[[], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM, then stop listening and close the database.

    ``on_ready`` runs once the signal handlers are in place (print the start-up line there: a
    signal sent as soon as it is seen then still stops the server cleanly)."""
    main = threading.current_thread() is threading.main_thread()

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {}
    if main:  # SIGINT too: a shell may have started us with it ignored
        previous = {sig: signal.signal(sig, _terminate) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if on_ready is not None:
            on_ready()
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        if main:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            server.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class _ClientGone(Exception):
    pass


class _Refused(Exception):
    """A request refused before routing: answered with this status and body, then closed."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _bad_request(reason: str) -> _Refused:
    return _Refused(400, f"400 Bad Request: {reason}".encode())


def _too_large(size: int, limit: int) -> _Refused:
    error = f"Request body is over the server's limit: Max {limit} bytes / Size {size} bytes"
    return _Refused(413, rest.go_json({"ids": [""], "status": 413, "error": error}))


def _declared_length(text: str) -> int | None:
    """A Content-Length value as a number (huge ones capped past DISCARD_LIMIT), else None."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) < 20 else DISCARD_LIMIT + 1


class _SocketReader(io.RawIOBase):
    """The read side of a connection with two time limits: ``idle`` seconds for any one read,
    and a deadline for the whole request that starts with its first byte, so that a client
    trickling a byte at a time cannot keep a thread forever."""

    def __init__(self, sock: socket.socket, idle: float, budget: float) -> None:
        super().__init__()
        self._sock = sock
        self._idle = idle
        self._budget = budget
        self.deadline: float | None = None
        self.eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        timeout = self._idle
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the request took too long to arrive")
            timeout = min(timeout, remaining)
        self._sock.settimeout(timeout)
        count = self._sock.recv_into(buffer)
        if not count:
            self.eof = True
        elif self.deadline is None:
            self.deadline = time.monotonic() + self._budget
        return count

    def extend(self, seconds: float) -> None:
        if self.deadline is not None:
            self.deadline += seconds

    def next_request(self) -> None:
        self.deadline = None


def _printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped, for one log line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class _Handler(BaseHTTPRequestHandler):
    server: EventServer
    protocol_version = "HTTP/1.1"
    server_version = f"inngest-cli/{__version__}"
    disable_nagle_algorithm = True
    rbufsize = 1 << 16
    default_request_version = "HTTP/1.1"  # so that errors about the request line have a status
    error_message_format = "%(code)d %(message)s\n"  # as Go's net/http: text, no HTML page
    error_content_type = _TEXT
    _reader: _SocketReader

    def setup(self) -> None:
        config = self.server.config
        super().setup()
        self.connection.settimeout(config.idle_timeout)  # for writes; reads set their own
        self.rfile.close()
        self._reader = _SocketReader(self.connection, config.idle_timeout, config.request_timeout)
        self.rfile = io.BufferedReader(self._reader, self.rbufsize)

    def handle_one_request(self) -> None:
        self._reader.next_request()
        super().handle_one_request()

    def handle_expect_100(self) -> bool:
        size = _declared_length(self.headers.get("Content-Length", ""))
        limit = self.server.config.max_body_bytes
        if size is not None and size > limit:  # say so now, rather than have it sent
            self.close_connection = True
            self._reply(413, _too_large(size, limit).body, _TEXT)
            return False
        return super().handle_expect_100()

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # one line per request is written by _dispatch instead

    # -- plumbing ---------------------------------------------------------------------------

    def _dispatch(self) -> None:
        started = time.perf_counter()
        self._status = 0
        self._event_count: int | None = None
        split = urlsplit(self.path)
        path = split.path or "/"
        try:
            if self._reader.eof:  # the headers never ended: the client went away mid-request
                raise _ClientGone
            try:
                body = self._read_body()
            except _Refused as refused:
                self.close_connection = True
                self._reply(refused.status, refused.body, _TEXT)
            else:
                self.connection.settimeout(self.server.config.idle_timeout)  # for the reply
                self._route(path, split.query, body)
        except (_ClientGone, OSError):  # gone, reset, or too slow (TimeoutError)
            self.close_connection = True
            return
        except Exception as error:  # a bug or a broken database: answer, don't die
            self.server.write_log(f"error: {self.command} {path}: {type(error).__name__}: {error}")
            self._reply(500, rest.go_json({"status": 500, "message": "",
                                           "error": f"internal error: {error}"}), _JSON)
        elapsed = (time.perf_counter() - started) * 1000
        if path.startswith("/e/"):
            shown = "/e/" + _printable(mask(unquote(path[3:])))
        else:
            shown = _printable(path + (f"?{split.query}" if split.query else ""))
        count = ("" if self._event_count is None else
                 f" {self._event_count} event{'' if self._event_count == 1 else 's'}")
        self.server.log_access(f"{self.command} {shown} {self._status}{count} {elapsed:.1f}ms")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        size = _declared_length(lengths[0])
        if size is None or any(other.strip() != lengths[0].strip() for other in lengths):
            raise _bad_request("invalid Content-Length")
        limit = self.server.config.max_body_bytes
        if size > DISCARD_LIMIT:
            raise _too_large(size, limit)
        self._reader.extend(size / MIN_BODY_RATE)
        if size > limit:
            self._discard(size)
            raise _too_large(size, limit)
        body = self.rfile.read(size)
        if len(body) < size:
            raise _ClientGone
        return body

    def _discard(self, size: int) -> None:
        """Read ``size`` body bytes and keep none of them."""
        while size > 0:
            chunk = self.rfile.read(min(size, 1 << 20))
            if not chunk:
                raise _ClientGone
            size -= len(chunk)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        limit = self.server.config.max_body_bytes
        while True:
            line = self.rfile.readline(65537)
            if not line:
                raise _ClientGone
            digits = line.split(b";", 1)[0].strip()
            if not digits or len(digits) > 16 or digits.strip(b"0123456789abcdefABCDEF"):
                raise _bad_request("invalid chunk length")
            size = int(digits, 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                if total > limit:
                    raise _too_large(total, limit)
                return b"".join(parts)
            total += size
            if total > DISCARD_LIMIT:
                raise _too_large(total, limit)
            self._reader.extend(size / MIN_BODY_RATE)
            if total > limit:  # keep reading to the end, keep nothing
                parts.clear()
                self._discard(size)
            else:
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise _ClientGone
                parts.append(chunk)
            self.rfile.readline(65537)

    def _reply(self, status: int, body: bytes, content_type: str | None = None,
               headers: tuple[tuple[str, str], ...] = ()) -> None:
        self._status = status
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Inngest-Server-Kind", self.server.kind)
        if self.close_connection:
            self.send_header("Connection", "close")
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_allowed(self, allow: str) -> None:
        self._reply(405, b"", None, (("Allow", allow),))

    # -- routing ----------------------------------------------------------------------------

    def _route(self, path: str, query: str, body: bytes) -> None:
        method = self.command
        if (method == "OPTIONS" and self.headers.get("Origin")
                and self.headers.get("Access-Control-Request-Method")):
            self._preflight()
            return
        parts = path.split("/")[1:]
        if path == "/health":
            if method != "GET":
                return self._not_allowed("GET")
            return self._reply(200, _HEALTH, _JSON)
        if len(parts) == 2 and parts[0] == "e" and parts[1]:
            if method != "POST":
                return self._not_allowed("POST")
            return self._post_events(unquote(parts[1]), body)
        if parts[0] == "v1":
            if self.server.auth and not self.server.auth.allows(self.headers.get("Authorization")):
                return self._reply(401, _AUTH_FAILED, _TEXT)
            answer = rest.run_operations(method, [unquote(p) for p in parts[1:]], body,
                                         self.server.store)
            if answer is not None:
                return self._reply(*answer)
            return self._v1(method, [unquote(p) for p in parts[1:]], query)
        return self._reply(404, _NOT_FOUND, _TEXT)

    def _preflight(self) -> None:
        requested = self.headers.get("Access-Control-Request-Headers")
        headers = [("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"),
                   ("Access-Control-Max-Age", "3600")]
        if requested:
            headers.append(("Access-Control-Allow-Headers", requested))
        self._reply(204, b"", None, tuple(headers))

    # -- POST /e/{key} ----------------------------------------------------------------------

    def _post_events(self, key: str, body: bytes) -> None:
        server = self.server
        if server.event_keys and key not in server.event_keys:
            return self._reply(401, _EVENT_KEY_NOT_FOUND, _JSON)
        received = now_ms()
        accepted, error = parse_body(body)
        ids: list[str] = []
        if accepted:
            ids, id_ms = server.ids.allocate(len(accepted), received, self._seed())
            rows: list[EventRow] = [
                (iid, received, name, event_id or iid, data, user, ts or received, v)
                for iid, (name, event_id, data, user, ts, v) in zip(ids, accepted, strict=True)]
            try:
                server.store.insert_events(rows, id_ms - received)
            except StoreError as store_error:
                # Not Inngest's 400: a storage failure is the server's fault and worth a retry
                # (retries with the same ID seed do not duplicate events).
                self._event_count = 0
                return self._reply(500, rest.go_json(
                    {"ids": [""], "status": 500, "error": str(store_error)}), _TEXT)
        self._event_count = len(ids)
        status = 400 if error else 200
        payload: dict[str, Any] = {"ids": ids or [""], "status": status}
        if error:
            payload["error"] = error
        # Inngest sets no Content-Type here; Go's sniffing makes it text/plain.
        self._reply(status, rest.go_json(payload), _TEXT)

    def _seed(self) -> IdSeed | None:
        header = self.headers.get(SEED_HEADER)
        if header is not None and len(header) > 64:  # no valid seed is longer
            return None
        return IdSeed.parse(header)

    # -- /v1 --------------------------------------------------------------------------------

    def _v1(self, method: str, parts: list[str], query: str) -> None:
        route = _match_v1(parts)
        if route is None:
            return self._reply(404, _NOT_FOUND, _TEXT)
        if method != "GET":
            return self._not_allowed("GET")
        kind, ident = route
        store = self.server.store
        if kind == "events":
            return self._list_events(query)
        if kind in ("event", "event_runs"):
            internal_id = rest.parse_ulid(ident)
            if internal_id is None:
                return self._error(400, f"Invalid event ID: {ident}")
            if kind == "event_runs":
                runs = [rest.run_object(r) for r in store.runs_for_event(internal_id)]
                return self._ok(runs, 15)
            row = store.get_event(internal_id)
            if row is None:
                return self._error(404, "Event not found")
            return self._ok(rest.event_object(row), 5)
        run_id = rest.parse_ulid(ident)
        if run_id is None:
            return self._error(400, f"Invalid run ID: {ident}")
        run = store.get_run(run_id)
        if run is None:
            return self._error(500, f"Unable to load function run: {run_id}")
        return self._ok(rest.run_object(run), 3)

    def _list_events(self, query_string: str) -> None:
        query = {k: v[0] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        cursor = None
        if query.get("cursor"):
            cursor = rest.parse_ulid(query["cursor"])
            if cursor is None:
                return self._error(400, "Invalid cursor query parameter")
        now = now_ms()
        after, before = now - rest.DEFAULT_WINDOW_MS, now
        if query.get("received_after"):
            parsed = rest.parse_time(query["received_after"])
            if parsed is None:
                return self._error(400, "Invalid received_after query parameter")
            after = parsed
        if query.get("received_before"):
            parsed = rest.parse_time(query["received_before"])
            if parsed is None:  # sic: Inngest names the wrong parameter
                return self._error(400, "Invalid received_after query parameter")
            before = parsed
        rows = self.server.store.list_events(EventQuery(
            after_ms=after, before_ms=before, limit=rest.parse_limit(query.get("limit")),
            cursor=cursor, name=query.get("name") or None))
        self._ok([rest.event_object(row) for row in rows], None)

    def _ok(self, data: Any, cache_seconds: int | None) -> None:
        headers = ((("Cache-Control", f"private, max-age={cache_seconds}"),)
                   if cache_seconds else ())
        self._reply(200, rest.envelope(data, cache_seconds), _JSON, headers)

    def _error(self, status: int, message: str) -> None:
        self._reply(status, rest.error_body(message, status), _JSON)


def _match_v1(parts: list[str]) -> tuple[str, str] | None:
    """The route for the path segments after ``/v1``: (kind, id) or None."""
    if parts == ["events"]:
        return "events", ""
    if len(parts) == 2 and parts[0] == "events" and parts[1]:
        return "event", parts[1]
    if len(parts) == 3 and parts[0] == "events" and parts[1] and parts[2] == "runs":
        return "event_runs", parts[1]
    if len(parts) == 2 and parts[0] == "runs" and parts[1]:
        return "run", parts[1]
    return None


def describe(server: EventServer) -> str:
    """The start-up line (the tests read the URL from it)."""
    url = server.url
    local = url
    host = str(server.server_address[0])
    if host in ("0.0.0.0", "::"):
        local = f"http://127.0.0.1:{server.server_address[1]}"
    db = server.store.path
    key = " INNGEST_EVENT_KEY=<key>" if server.event_keys else ""
    return (f"inngest-cli serve: listening on {url} (db: {db}); "
            f"send with: INNGEST_DEV={local}{key} inngest-cli send --name app/hello")
