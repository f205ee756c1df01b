"""A fault-injecting Event API for tests: a real process on 127.0.0.1 that stores events in memory
(deduplicated by internal ID, as a retried request with the same seed reproduces its IDs) and
misbehaves on schedule.

    python tests/support/faultserver.py --faults 500,ok,drop,reset,429,slow --max-body 600000
    python tests/support/faultserver.py --fault-rate 0.02 --seed 7
    python tests/support/faultserver.py --fault-rate 0.02 --retry-after 0.05 --slow 0.8 --lean

Faults (one per request, in order; then `ok`):
    ok      answer normally
    500     answer 500, store nothing
    429     answer 429 with Retry-After: --retry-after (default 1), store nothing
    reset   close the connection (RST) before reading the body, store nothing
    drop    store the batch, then close the connection without answering
    slow    store the batch, then answer only after --slow seconds (past the client's timeout)
    hang    store the batch, then never answer (the connection stays open until the client goes)
    short   store the batch, answer 200 with one ID fewer than the events
    long    store the batch, answer 200 with one ID more than the events
    badids  store the batch, answer 200 with numbers for IDs
    html    answer 200 with an HTML page (a Dev Server UI fallback), store nothing
Events named `fault/reject` are refused with a 400 like Inngest's partial failure; bodies over
--max-body bytes get 413; a body that is not JSON, or an element that is not an object, gets
Inngest's 400. `GET /_state` returns what was stored and what happened; with --lean it leaves
out the per-request records (seeds, times, bodies), which a soak of a million events would make
huge. `GET /_wait?stored=N&timeout=S` answers once N requests have stored events (with the
state's counters), so a test can kill a client at the moment its request is stored, whatever
the machine's load: `{"stored": n, "events": m, "reached": true|false}`.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from inngest_cli.ids import SEED_HEADER, IdSeed, new_ulid  # noqa: E402

KINDS = ("500", "429", "reset", "drop", "slow")
NOT_EVENTS = "Request body must contain an event object or an array of event objects"


class State:
    def __init__(
        self,
        faults: list[str],
        rate: float,
        seed: int,
        slow: float,
        max_body: int,
        retry_after: str = "1",
        lean: bool = False,
    ) -> None:
        self.lock = threading.Lock()
        self.faults = faults
        self.rate = rate
        self.random = random.Random(seed)
        self.slow = slow
        self.max_body = max_body
        self.retry_after = retry_after
        self.lean = lean
        self.events: dict[str, Any] = {}
        self.order: list[str] = []
        self.requests = 0
        self.replays = 0
        self.injected: dict[str, int] = {}
        self.seeds: list[str | None] = []
        self.times: list[float] = []
        self.requests_seen: list[dict[str, Any]] = []
        self.stored = 0  # requests that stored events (before their reply, if any)
        self.changed = threading.Condition(self.lock)

    def next_fault(self) -> str:
        with self.lock:
            self.requests += 1
            if not self.lean:
                self.times.append(time.time())
            if self.faults:
                fault = self.faults.pop(0)
            elif self.rate and self.random.random() < self.rate:
                fault = self.random.choice(KINDS)
            else:
                fault = "ok"
            if fault != "ok":
                self.injected[fault] = self.injected.get(fault, 0) + 1
            return fault


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the reply goes out in two writes: no 40 ms delayed ACK
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        try:
            data = orjson.dumps(body) + b"\n"
        except orjson.JSONEncodeError:  # stored events nested deeper than orjson's 254 levels
            data = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def do_GET(self) -> None:
        state = self.server.state
        if self.path.startswith("/_wait"):
            query = parse_qs(urlsplit(self.path).query)
            wanted = int(query.get("stored", ["1"])[0])
            deadline = time.monotonic() + float(query.get("timeout", ["30"])[0])
            with state.changed:
                while state.stored < wanted and time.monotonic() < deadline:
                    state.changed.wait(max(0.0, deadline - time.monotonic()))
                self._reply(200, {"stored": state.stored, "events": len(state.order),
                                  "reached": state.stored >= wanted})
            return
        with state.lock:
            self._reply(
                200,
                {
                    "events": [state.events[i] for i in state.order],
                    "ids": state.order,
                    "requests": state.requests,
                    "replays": state.replays,
                    "injected": state.injected,
                    "seeds": state.seeds,
                    "times": state.times,
                    "seen": state.requests_seen,
                },
            )

    def do_POST(self) -> None:
        state = self.server.state
        fault = state.next_fault()
        if fault == "reset":
            self._reset()
            return
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        seed_header = self.headers.get(SEED_HEADER)
        with state.lock:
            if not state.lean:
                state.seeds.append(seed_header)
                state.requests_seen.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body.decode("utf-8", "replace"),
                    }
                )
        if fault == "html":
            page = b"<!doctype html><html><body>Inngest UI</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        if fault == "500":
            self._reply(500, {"error": "injected"})
            return
        if fault == "429":
            self._reply(429, {"error": "rate limited"}, {"Retry-After": state.retry_after})
            return
        if len(body) > state.max_body:
            self._reply(413, {"error": "request too large"})
            return
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            try:  # the stdlib takes what orjson refuses and Inngest takes: lone surrogates
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                parsed = None
        if not isinstance(parsed, (list, dict)):
            self._reply(400, {"ids": [""], "status": 400, "error": NOT_EVENTS})
            return
        events = parsed if isinstance(parsed, list) else [parsed]
        seed = IdSeed.parse(seed_header)
        ids: list[str] = []
        error = None
        with state.lock:
            for position, event in enumerate(events, start=1):
                if not isinstance(event, dict):
                    error = "json: cannot unmarshal into Go value of type event.raw"
                    break
                if event.get("name") == "fault/reject":
                    error = "event rejected by the fault server"
                    break
                event_id = seed.event_id(position) if seed else new_ulid()
                if event_id in state.events:
                    state.replays += 1
                else:
                    state.events[event_id] = event
                    state.order.append(event_id)
                ids.append(event_id)
            if ids:
                state.stored += 1
                state.changed.notify_all()
        if fault == "drop":
            self._reset()
            return
        time.sleep(self.server.delay)  # --delay: every stored batch waits before its reply
        if fault == "slow":
            time.sleep(state.slow)
        if fault == "hang":
            while self.connection.recv(1):  # until the client closes (or is killed)
                pass
            self.close_connection = True
            return
        if fault in ("short", "long", "badids") and not error:
            bad: list[Any] = {"short": ids[:-1], "long": [*ids, new_ulid()],
                              "badids": list(range(len(ids)))}[fault]
            self._reply(200, {"ids": bad, "status": 200})
            return
        if error:
            self._reply(400, {"ids": ids or [""], "status": 400, "error": error})
        else:
            self._reply(200, {"ids": ids, "status": 200})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = socket.SOMAXCONN  # a burst of reconnects after resets: no SYN drops
    state: State
    delay: float = 0.0

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client gave up first (a `slow` reply after its timeout): expected
        super().handle_error(request, client_address)


def main() -> None:
    sys.setrecursionlimit(10_000)  # json.dumps of the deepest events a client sends (1024 levels)
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--faults", default="")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slow", type=float, default=3.0)
    parser.add_argument("--max-body", type=int, default=1 << 40)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every reply")
    parser.add_argument("--retry-after", default="1", help="the 429s' Retry-After value")
    parser.add_argument("--lean", action="store_true", help="keep no per-request records")
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.delay = args.delay
    server.state = State(
        [f for f in args.faults.split(",") if f],
        args.fault_rate,
        args.seed,
        args.slow,
        args.max_body,
        args.retry_after,
        args.lean,
    )
    print(f"faultserver listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
