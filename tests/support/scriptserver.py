"""A scripted HTTP server for tests of the HTTP policy: a real process on 127.0.0.1 that answers
requests with the replies it was given, in order, then normally.

    python tests/support/scriptserver.py --replies '[{"status": 503, "headers":
        {"Retry-After": "1"}}, {"status": 302, "headers": {"Location": "https://x/"}}, "ok"]'

A scripted reply is {"status": N, "headers": {...}, "body": <text, or JSON written as JSON>}
(an absent body is an empty one). "ok", and every request after the script, is a normal answer
for the path: `POST /e/{key}` gets IDs, and the REST routes of run operations get Inngest-shaped
replies (a Running run, its one queued job, one function, a cancellation, ...).
`GET /_state` returns every request seen (method, path, time, headers, body).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from inngest_cli.ids import new_ulid  # noqa: E402

RUN_ID = "01KB0000000000000000000RUN"
FUNCTION = {
    "internal_id": "9f3c1a52-6f0e-4a53-9b7e-0c1d2e3f4a5b",
    "env_id": "00000000-0000-0000-0000-000000000000",
    "app_id": "11111111-2222-4333-8444-555555555555",
    "id": "my-app-sync",
    "name": "Sync users",
    "config": {},
    "created_at": "2026-11-23T10:00:00Z",
    "archived_at": "0001-01-01T00:00:00Z",
}
JOB = {
    "JobID": "3kq0o1x2y9z8w",
    "at": "2026-11-23T10:00:05Z",
    "position": 0,
    "kind": "sleep",
    "attempt": 1,
    "Raw": {"id": "3kq0o1x2y9z8w"},
}


class State:
    def __init__(self, replies: list[Any]) -> None:
        self.lock = threading.Lock()
        self.replies = replies
        self.requests: list[dict[str, Any]] = []


def envelope(data: Any) -> bytes:
    return orjson.dumps({"data": data, "metadata": {"fetched_at": "2026-11-23T10:00:00Z"}})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        path = urlsplit(self.path).path
        if path == "/_state":
            with state.lock:
                self._send(200, orjson.dumps({"requests": state.requests}))
            return
        with state.lock:
            state.requests.append({
                "method": self.command,
                "path": self.path,
                "time": time.time(),
                "headers": dict(self.headers.items()),
                "body": body.decode("utf-8", "replace"),
            })
            reply = state.replies.pop(0) if state.replies else "ok"
        if reply != "ok":
            content = reply.get("body", b"")
            if not isinstance(content, (str, bytes)):
                content = orjson.dumps(content)
            if isinstance(content, str):
                content = content.encode()
            self._send(reply["status"], content, reply.get("headers"))
            return
        self._ok(path, body)

    def _ok(self, path: str, body: bytes) -> None:
        parts = path.split("/")[1:]
        method = self.command
        if parts[0] == "e":
            parsed = orjson.loads(body)
            count = len(parsed) if isinstance(parsed, list) else 1
            ids = [new_ulid() for _ in range(count)]
            return self._send(200, orjson.dumps({"ids": ids, "status": 200}))
        if parts[:2] == ["v1", "runs"] and len(parts) == 3:
            if method == "DELETE":
                return self._send(200, b"")
            run = {"run_id": parts[2], "run_started_at": "2026-11-23T10:00:00Z",
                   "function_id": FUNCTION["internal_id"], "status": "Running",
                   "ended_at": None, "event_id": RUN_ID}
            return self._send(200, envelope(run))
        if parts[:2] == ["v1", "runs"] and parts[3:] == ["jobs"]:
            return self._send(200, envelope([JOB]))
        if parts[:2] == ["v1", "apps"]:
            return self._send(200, orjson.dumps([FUNCTION]))
        if parts == ["v1", "cancellations"]:
            if method == "POST":
                request = orjson.loads(body)
                cancellation = {"id": new_ulid(), "function_id": request["function_id"],
                                "started_after": request.get("started_after"),
                                "started_before": request["started_before"],
                                "kind": "bulk_run", "cause": "API"}
                return self._send(200, envelope(cancellation))
            return self._send(200, envelope([]))
        if parts[:2] == ["v1", "cancellations"]:
            return self._send(200, envelope({"ok": True}))
        if parts == ["v1", "events"]:
            return self._send(200, envelope([]))
        return self._send(404, b"404 page not found\n")

    do_GET = do_POST = do_DELETE = do_PUT = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), Handler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", default="[]")
    args = parser.parse_args()
    server = Server(State(orjson.loads(args.replies)))
    print(f"scriptserver listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
