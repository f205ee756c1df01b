"""A REST v1 test server that reports function runs: a real process on 127.0.0.1 that takes events
on `POST /e/{key}`, serves `/v1` reads like Inngest, and scripts each event's runs by its name.

    python tests/support/runserver.py [--signing-key HEX] [--legacy-errors] [--camel]
        [--store-delay S] [--run-delay S] [--max-limit N] [--faults 500,reset,...]

Runs, by event name (each starts when the event is received):
    test/ok       one run, Running for --run-delay s, then Completed with output {"ok": true}
    test/fail     one run, Running, then Failed with an error output
    test/cancel   one run, Running, then Cancelled
    test/hang     one run that stays Running
    test/long     one run, Completed with an output longer than a line (with wide characters)
    test/two      two runs: one Completed at --run-delay, one that shows up only then and is
                  Completed at twice --run-delay
    anything else no runs
Options:
    --store-delay   events (and their runs) are readable only this long after they arrive
    --signing-key   /v1 needs `Authorization: Bearer <key or hex sha256 of its bytes>`, else a
                    plain-text 401 as a self-hosted Inngest answers
    --legacy-errors every /v1 error body comes with HTTP 200 (Inngest up to v1.43)
    --camel         event and run objects use camelCase keys (internalID, runStartedAt, ...)
    --max-limit     clamp for `limit` on GET /v1/events (default 51, as the OSS server)
    --faults        one per /v1 request, in order: 500 (a JSON 500) or reset (connection reset)
`POST /_events` stores the given event objects as they are (`received_at` in ms, for windows);
`GET /_state` returns every /v1 query and Authorization header seen.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
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

from inngest_cli.ids import encode_ulid  # noqa: E402
from inngest_cli.server.v1format import rfc3339_ms  # noqa: E402
from inngest_cli.timeparse import parse_go_time_ms  # noqa: E402

NIL = "00000000-0000-0000-0000-000000000000"
FUNCTION = "9f3c1a52-6f0e-4a53-9b7e-0c1d2e3f4a5b"
SECOND_FUNCTION = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
CAMEL = {
    "internal_id": "internalID",
    "account_id": "accountID",
    "environment_id": "environmentID",
    "source_id": "sourceID",
    "received_at": "receivedAt",
    "run_id": "runID",
    "run_started_at": "runStartedAt",
    "function_id": "functionID",
    "function_version": "functionVersion",
    "event_id": "eventID",
    "ended_at": "endedAt",
}
SCRIPTS: dict[str, list[tuple[str, float | None, str, Any]]] = {
    # name: [(function, appears after (x run-delay), final status, output)]
    "test/ok": [(FUNCTION, 0, "Completed", {"ok": True})],
    "test/fail": [(FUNCTION, 0, "Failed", {"error": {"name": "Error", "message": "boom"}})],
    "test/cancel": [(FUNCTION, 0, "Cancelled", None)],
    "test/hang": [(FUNCTION, 0, "Running", None)],
    "test/long": [(FUNCTION, 0, "Completed", {"rows": ["Zürich 東京"] * 20})],
    "test/two": [
        (FUNCTION, 0, "Completed", {"first": True}),
        (SECOND_FUNCTION, 1, "Completed", {"second": True}),
    ],
}


class State:
    def __init__(self, args: argparse.Namespace) -> None:
        self.lock = threading.Lock()
        self.args = args
        self.events: dict[str, dict[str, Any]] = {}  # internal_id -> event (received_at in ms)
        self.runs: dict[str, dict[str, Any]] = {}  # run_id -> script
        self.last_ms = 0
        self.counter = 0
        self.queries: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        self.faults = [f for f in (args.faults or "").split(",") if f]
        self.accepted = set()
        if args.signing_key:
            bare = args.signing_key.split("-")[-1]
            self.accepted = {bare, hashlib.sha256(bytes.fromhex(bare)).hexdigest()}

    def new_id(self, ms: int) -> str:
        """Strictly increasing ULIDs (so ordering tests are deterministic)."""
        if ms <= self.last_ms:
            self.counter += 1
        else:
            self.last_ms, self.counter = ms, 0
        return encode_ulid(self.last_ms, self.counter.to_bytes(10, "big"))

    def visible(self, event: dict[str, Any], now: float) -> bool:
        return bool(event["_arrived"] + self.args.store_delay <= now)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, orjson.dumps(value) + b"\n")

    def _error(self, status: int, message: str) -> None:
        http = 200 if self.server.state.args.legacy_errors else status
        self._json(http, {"error": message, "data": None, "status": status})

    def _ok(self, data: Any) -> None:
        self._json(200, {"data": data, "metadata": {"fetched_at": rfc3339_ms(now_ms())}})

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        path = urlsplit(self.path).path
        parsed = orjson.loads(body)
        items = parsed if isinstance(parsed, list) else [parsed]
        ids = []
        with state.lock:
            arrived = time.monotonic()
            for item in items:
                if path == "/_events":  # stored as given
                    event = dict(item)
                else:
                    received = now_ms()
                    event = {
                        "name": item["name"],
                        "data": item.get("data"),
                        "received_at": received,
                    }
                    for key in ("id", "ts", "v", "user"):
                        if item.get(key):
                            event[key] = item[key]
                    event["ts"] = event.get("ts") or received
                event["internal_id"] = internal_id = state.new_id(event["received_at"])
                event.setdefault("id", internal_id)
                event["_arrived"] = arrived
                state.events[internal_id] = event
                ids.append(internal_id)
                for index, script in enumerate(SCRIPTS.get(event["name"], [])):
                    run_id = state.new_id(event["received_at"] + index)
                    state.runs[run_id] = {
                        "event_id": internal_id,
                        "started": event["received_at"],
                        "arrived": arrived,
                        "script": script,
                    }
        self._json(200, {"ids": ids, "status": 200})

    def do_GET(self) -> None:
        state = self.server.state
        split = urlsplit(self.path)
        if split.path == "/_state":
            with state.lock:
                self._json(200, {"queries": state.queries, "auth": state.auth})
            return
        with state.lock:
            state.queries.append({"path": split.path, **parse_qs(split.query)})
            state.auth.append(self.headers.get("Authorization"))
            fault = state.faults.pop(0) if state.faults else None
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault == "500":
            self._error(500, "Unable to query events")
            return
        if state.accepted and not self._authorized():
            self._send(401, b"Authentication failed\n", "text/plain; charset=utf-8")
            return
        parts = split.path.split("/")[1:]
        with state.lock:
            self._route(parts, {k: v[0] for k, v in parse_qs(split.query).items()})

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization") or ""
        if not header.lower().startswith("bearer "):
            return False
        token = header[7:].split("-")[-1]
        return any(hmac.compare_digest(token, key) for key in self.server.state.accepted)

    def _route(self, parts: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        now = time.monotonic()
        if parts == ["v1", "events"]:
            return self._list(query, now)
        if len(parts) in (3, 4) and parts[:2] == ["v1", "events"]:
            event = state.events.get(parts[2].upper())
            visible = event is not None and state.visible(event, now)
            if len(parts) == 4 and parts[3] == "runs":
                runs = [
                    self._run(run_id, run, now)
                    for run_id, run in sorted(state.runs.items())
                    if run["event_id"] == parts[2].upper()
                ]
                return self._ok([r for r in runs if r is not None] if visible else [])
            if not visible:
                return self._error(404, "Event not found")
            assert event is not None
            return self._ok(self._event(event))
        if len(parts) == 3 and parts[:2] == ["v1", "runs"]:
            run = state.runs.get(parts[2].upper())
            shown = None if run is None else self._run(parts[2].upper(), run, now)
            if shown is None:
                return self._error(500, f"Unable to load function run: {parts[2]}")
            return self._ok(shown)
        self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")

    def _list(self, query: dict[str, str], now: float) -> None:
        state = self.server.state
        received = now_ms()
        after, before = received - 3_600_000, received
        for key in ("received_after", "received_before"):
            if key in query:
                parsed = parse_go_time_ms(query[key])
                if parsed is None:
                    return self._error(400, "Invalid received_after query parameter")
                after, before = (parsed, before) if key == "received_after" else (after, parsed)
        try:
            limit = int(query.get("limit", "0")) or 20
        except ValueError:
            limit = 20
        limit = max(1, min(state.args.max_limit, limit))
        cursor = query.get("cursor")
        found = [
            event
            for internal_id, event in sorted(state.events.items(), reverse=True)
            if state.visible(event, now)
            and after <= event["received_at"] <= before
            and (cursor is None or internal_id < cursor)
            and ("name" not in query or event["name"] == query["name"])
        ]
        self._ok([self._event(event) for event in found[:limit]])

    def _keys(self, obj: dict[str, Any]) -> dict[str, Any]:
        if not self.server.state.args.camel:
            return obj
        return {CAMEL.get(key, key): value for key, value in obj.items()}

    def _event(self, event: dict[str, Any]) -> dict[str, Any]:
        shown = {
            "internal_id": event["internal_id"],
            "account_id": NIL,
            "environment_id": NIL,
            "source": "",
            "source_id": None,
            "received_at": rfc3339_ms(event["received_at"]),
            "id": event["id"],
            "name": event["name"],
            "data": event.get("data"),
        }
        for key in ("user", "ts", "v"):
            if event.get(key):
                shown[key] = event[key]
        return self._keys(shown)

    def _run(self, run_id: str, run: dict[str, Any], now: float) -> dict[str, Any] | None:
        delay = self.server.state.args.run_delay
        function, appears, final, output = run["script"]
        elapsed = now - run["arrived"]
        if appears and elapsed < appears * delay:
            return None
        done = final != "Running" and elapsed >= (appears + 1) * delay
        shown: dict[str, Any] = {
            "run_id": run_id,
            "run_started_at": rfc3339_ms(run["started"]),
            "function_id": function,
            "function_version": 1,
            "environment_id": "00000000-0000-4000-b000-000000000000",
            "event_id": run["event_id"],
            "status": final if done else "Running",
            "ended_at": rfc3339_ms(run["started"] + int((appears + 1) * delay * 1000))
            if done
            else None,
        }
        if done and output is not None:
            shown["output"] = output
        return self._keys(shown)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), Handler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signing-key")
    parser.add_argument("--legacy-errors", action="store_true")
    parser.add_argument("--camel", action="store_true")
    parser.add_argument("--store-delay", type=float, default=0.0)
    parser.add_argument("--run-delay", type=float, default=0.3)
    parser.add_argument("--max-limit", type=int, default=51)
    parser.add_argument("--faults")
    server = Server(State(parser.parse_args()))
    print(f"runserver listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
