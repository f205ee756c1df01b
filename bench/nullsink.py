"""A minimal Event API sink for benchmarks: parses each JSON body, counts its events, answers
with that many IDs, stores nothing. With it a client's own cost per event weighs far more than
with `serve`, but it is not free: parsing every body with orjson takes it ~0.35-0.45 s of CPU per
200k events of bench/bulk.py, which on a 2-core machine is most of curl's run and most of the
core a client does not use (README, "Benchmarks"). `GET /count` returns how many events it took,
and when (`time.monotonic()`, a clock every process on the machine shares) the first post's body
had arrived, when the last reply went out, and for how many seconds the sink was parsing and
answering at least one post (`busy`): whether the client or the sink held a run back.

    python bench/nullsink.py      # prints "nullsink listening on http://127.0.0.1:PORT"
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

IDS = [f"01JQDAE4RQF8MBCR55T{i:07d}" for i in range(5000)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server: Sink

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        sink = self.server
        self._reply(
            orjson.dumps(
                {"count": sink.count, "first": sink.first, "last": sink.last, "busy": sink.busy}
            )
        )

    def do_POST(self) -> None:
        sink = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sink.begin()
        try:
            events = orjson.loads(body)
            count = len(events) if isinstance(events, list) else 1
            with sink.lock:
                sink.count += count
            self._reply(b'{"ids":' + orjson.dumps(IDS[:count]) + b',"status":200}\n')
        finally:
            sink.end()


class Sink(ThreadingHTTPServer):
    daemon_threads = True
    count = 0
    lock = threading.Lock()
    first: float | None = None  # when the first post's body had arrived (time.monotonic())
    last: float | None = None  # when the latest post ended
    busy = 0.0  # seconds in which at least one post was being parsed and answered
    _active = 0
    _since = 0.0

    def begin(self) -> None:
        """A post's work begins: its body has arrived (waiting for it is the client's pace)."""
        with self.lock:
            now = time.monotonic()
            if self.first is None:
                self.first = now
            if not self._active:
                self._since = now
            self._active += 1

    def end(self) -> None:
        with self.lock:
            now = time.monotonic()
            self._active -= 1
            if not self._active:
                self.busy += now - self._since
            self.last = now


def main() -> None:
    server = Sink(("127.0.0.1", 0), Handler)
    print(f"nullsink listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
