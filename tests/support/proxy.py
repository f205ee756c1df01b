"""A small forwarding HTTP proxy for tests: a real process on 127.0.0.1 that forwards
absolute-URI requests (`POST http://127.0.0.1:PORT/e/key HTTP/1.1`) and tunnels `CONNECT`, to
loopback targets only.

    python tests/support/proxy.py

`GET /_proxied` (a request to the proxy itself) returns what it forwarded: method and URL (or
`CONNECT host:port`) per request.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import orjson

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization",
               "transfer-encoding", "te", "trailer", "upgrade"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self) -> None:
        if not self.path.startswith("http://"):
            if self.path == "/_proxied":
                with self.server.lock:
                    return self._answer(200, orjson.dumps(self.server.seen))
            return self._answer(400, b'{"error":"not a proxy request"}')
        target = urlsplit(self.path)
        if target.hostname != "127.0.0.1":
            return self._answer(403, b'{"error":"loopback targets only"}')
        with self.server.lock:
            self.server.seen.append(f"{self.command} {self.path}")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request(self.command, path or "/", body=body or None, headers=headers)
            reply = upstream.getresponse()
            content = reply.read()
        except OSError:
            return self._answer(502, b'{"error":"upstream unreachable"}')
        finally:
            upstream.close()
        self.send_response(reply.status, reply.reason)
        for name, value in reply.getheaders():
            if name.lower() not in _HOP_BY_HOP | {"content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_DELETE = do_PUT = _forward

    def do_CONNECT(self) -> None:
        host, _, port = self.path.rpartition(":")
        if host != "127.0.0.1":
            return self._answer(403, b'{"error":"loopback targets only"}')
        with self.server.lock:
            self.server.seen.append(f"CONNECT {self.path}")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=30)
        except OSError:
            return self._answer(502, b'{"error":"upstream unreachable"}')
        self.send_response(200, "Connection established")
        self.end_headers()
        self._relay(self.connection, upstream)
        self.close_connection = True

    @staticmethod
    def _relay(client: socket.socket, upstream: socket.socket) -> None:
        sockets = [client, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 30)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), Handler)


def main() -> None:
    server = Server()
    print(f"proxy listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
