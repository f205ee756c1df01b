"""`inngest-cli serve` put together: configuration, the dispatch over the route table, logging,
start and stop.

The HTTP layer (connections, framing, limits) is `server/http.py`; the route table and its
handlers are `server/routes.py`.  Here: a path no route matches is 404 ``404 page not found``; a
matching path with the wrong method is 405 with ``Allow``; every path under ``/v1/`` (known or
not) needs the signing key when one is set (401 ``Authentication failed``); a CORS preflight is
answered 204, and a request with ``Origin`` gets it echoed back.
"""

from __future__ import annotations

import ipaddress
import queue
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from inngest_cli import __version__
from inngest_cli.errors import InngestCLIError, UsageError
from inngest_cli.gcpolicy import fewer_collections
from inngest_cli.jsontext import go_json
from inngest_cli.redact import Secrets, mask
from inngest_cli.server import v1format
from inngest_cli.server.http import HTTPServer, Limits, Request, Response
from inngest_cli.server.ingest import IdAllocator
from inngest_cli.server.routes import JSON, NOT_FOUND, ROUTES, TEXT, Route, Services
from inngest_cli.server.store import MEMORY, Store, StoreError

Log = Callable[[str], None]

DEFAULT_MAX_BODY_BYTES = Limits.max_body_bytes
_AUTH_FAILED = Response(401, b"Authentication failed\n", TEXT)


@dataclass(frozen=True)
class ServerConfig:
    db: str
    host: str = "127.0.0.1"
    port: int = 8288
    event_keys: tuple[str, ...] = ()
    signing_key: str | None = None
    signing_key_fallback: str | None = None  # accepted on /v1 too, as during a key rotation
    log: Log | None = field(default=None, compare=False)
    """Where log lines go (None: nowhere): errors, and one line per request unless quiet."""
    quiet: bool = False
    max_body_bytes: int = Limits.max_body_bytes
    idle_timeout: float = Limits.idle_timeout
    """Seconds a connection may send nothing (between requests, or stalled inside one)."""
    request_timeout: float = Limits.request_timeout
    """Seconds from a request's first byte to its last, plus one per 64 KiB of declared body."""
    max_connections: int = Limits.max_connections
    """Connections open at once (lowered to fit the file-descriptor limit)."""
    workers: int = Limits.workers
    """Threads running handlers."""
    max_buffered_bytes: int = Limits.max_buffered_bytes
    """Request bodies held in memory at once, all connections together."""
    create_db_dir: bool = False
    """Create the database file's directory when it is missing (else that is an error)."""


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
        problem = v1format.signing_key_problem(config.signing_key)
        if problem:
            raise UsageError(problem, hint="Inngest signing keys look like signkey-prod-<hex>")
    if config.db != MEMORY and not config.create_db_dir:
        directory = Path(config.db).expanduser().parent
        if not directory.is_dir():
            raise UsageError(f"--db {config.db}: directory {directory} does not exist",
                             hint=f"mkdir -p {directory} first, or pick another path")
    if not config.event_keys and not is_loopback(config.host):
        raise UsageError(
            f"refusing to listen on {config.host} (not a loopback address) without an event key",
            hint="set INNGEST_EVENT_KEY (or --event-key) so only clients with the key can send, "
                 "or use --host 127.0.0.1")


class App:
    """The application the HTTP layer serves: routing, keys, CORS and the access log."""

    def __init__(self, config: ServerConfig, services: Services) -> None:
        self.config = config
        self.services = services
        fallbacks = (config.signing_key_fallback,) if config.signing_key_fallback else ()
        self.auth = (v1format.SigningKeyAuth(config.signing_key, *fallbacks)
                     if config.signing_key else None)
        self.kind = "cloud" if (config.event_keys or config.signing_key) else "dev"
        # the server's own keys, masked wherever a request's text is logged
        self.secrets = Secrets(
            (*config.event_keys, config.signing_key, config.signing_key_fallback)
        )
        self.base_headers: tuple[tuple[str, str], ...] = (("Server", f"inngest-cli/{__version__}"),
                             ("X-Inngest-Server-Kind", self.kind))
        self._log = _LogWriter(config.log) if config.log else None

    def handle(self, request: Request) -> Response:
        try:
            response = self._route(request)
        except Exception as error:  # a bug or a broken database: answer, don't die
            self.log_error(f"error: {request.method} {request.path}: "
                           f"{type(error).__name__}: {error}")
            response = Response(500, go_json({"status": 500, "message": "",
                                                   "error": f"internal error: {error}"}), JSON)
        origin = request.headers.get("origin")
        if origin:
            response = replace(response, headers=(
                ("Access-Control-Allow-Origin", origin), ("Vary", "Origin"), *response.headers))
        return response

    def serial(self, request: Request) -> bool:
        """Whether ``request`` is an event post, which the HTTP layer hands to its serial
        thread: posts are stored one at a time, in the order they were read (routes.py), and
        never hold the pool's threads, which the other routes need (when they did, more posts
        at once than the pool has threads kept /health waiting behind all of them)."""
        return request.method == "POST" and request.path.startswith("/e/")

    def _route(self, request: Request) -> Response:
        if (request.method == "OPTIONS" and request.headers.get("origin")
                and request.headers.get("access-control-request-method")):
            return _preflight(request)
        segments = request.path.split("/")[1:] or [""]  # "*" (OPTIONS *) matches nothing
        if (segments[0] == "v1" and self.auth is not None
                and not self.auth.allows(request.headers.get("authorization"))):
            return _AUTH_FAILED
        allowed: list[str] = []
        for route in ROUTES:
            params = _match(route, segments)
            if params is None:
                continue
            if route.method == request.method:
                return route.handler(self.services, replace(request, params=params))
            allowed.append(route.method)
        if allowed:
            return Response(405, b"", None, (("Allow", ", ".join(allowed)),))
        return NOT_FOUND

    def log_access(self, method: str, target: str, response: Response,
                   elapsed_ms: float) -> None:
        if self.config.quiet or self._log is None:
            return
        if target.startswith("/"):
            path, _, query = target.partition("?")
        else:  # absolute-form (http://host/path?query): log the path and query only
            split = urlsplit(target)
            path, query = split.path, split.query
        if path.startswith("/e/"):
            shown = "/e/" + mask(unquote(path[3:]))
        else:
            shown = path + (f"?{query}" if query else "")
        shown = _printable(self.secrets.redact(shown))  # keys elsewhere (//e/KEY, a registered key)
        self._log.write(f"{method} {shown} {response.status}{response.note} {elapsed_ms:.1f}ms")

    def log_error(self, text: str) -> None:
        if self._log is not None:
            self._log.write(text)

    def close(self) -> None:
        if self._log is not None:
            self._log.close()


def _match(route: Route, segments: list[str]) -> dict[str, str] | None:
    pattern = route.segments
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for want, got in zip(pattern, segments, strict=True):
        if want.startswith("{"):
            if not got:
                return None
            params[want[1:-1]] = unquote(got)
        elif want != got:
            return None
    return params


def _preflight(request: Request) -> Response:
    requested = request.headers.get("access-control-request-headers")
    headers = [("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"),
               ("Access-Control-Max-Age", "3600")]
    if requested:
        headers.append(("Access-Control-Allow-Headers", requested))
    return Response(204, b"", None, tuple(headers))


def _printable(text: str) -> str:
    """``text`` with control and other unprintable characters escaped, for one log line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class EventServer:
    """The running server: the HTTP layer, the application and the store it owns.
    `close()` stops serving and closes all three."""

    def __init__(self, config: ServerConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.event_keys = frozenset(config.event_keys)
        self.app = App(config, Services(store, IdAllocator(), self.event_keys))
        limits = Limits(max_body_bytes=config.max_body_bytes, idle_timeout=config.idle_timeout,
                        request_timeout=config.request_timeout,
                        max_connections=config.max_connections, workers=config.workers,
                        max_buffered_bytes=config.max_buffered_bytes)
        try:
            self.http = HTTPServer((config.host, config.port), self.app, limits,
                                   serial=self.app.serial)
        except BaseException:
            self.app.close()
            raise
        self.server_address = self.http.server_address

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def serve_forever(self, poll_interval: float = 0.25) -> None:
        self.http.serve_forever(poll_interval)

    def shutdown(self) -> None:
        self.http.shutdown()

    def close(self) -> None:
        """Stop listening, close the database, then flush the log."""
        self.http.server_close()
        self.store.close()
        self.app.close()


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
        store = Store(config.db, create_dir=config.create_db_dir)
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
        with fewer_collections():  # every stored event is a few dicts: see gcpolicy
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


def local_url(server: EventServer) -> str:
    """The URL a client on this machine uses (loopback for a wildcard address)."""
    host = str(server.server_address[0])
    if host in ("0.0.0.0", "::"):
        return f"http://127.0.0.1:{server.server_address[1]}"
    return server.url


def describe(server: EventServer) -> str:
    """The start-up line for people (stderr)."""
    key = " INNGEST_EVENT_KEY=<key>" if server.event_keys else ""
    return (f"inngest-cli serve: listening on {server.url} (db: {server.store.path}); "
            f"send with: INNGEST_DEV={local_url(server)}{key} inngest-cli send --name app/hello")
