"""An HTTP server that echoes the request back in its error replies, as web servers, gateways
and frameworks do: a real process on 127.0.0.1 for the secret-leak tests. The event key is in
the request path (`/e/{key}`) and the signing key's hash in the `Authorization` header, so a
client that prints a reply as it came prints the keys.

    python tests/support/echoserver.py --status 404 --style express
    python tests/support/echoserver.py --status 502 --style text --pad 100
    python tests/support/echoserver.py --status 500 --style json --encode url

Every request, whatever its method or path, gets --status with a body in --style:
    express   `<pre>Cannot POST /e/{key}</pre>` in an HTML page (Express's 404)
    text      plain text: the request line, every header, a blank line, the request body
    html      the `text` echo inside an HTML error page
    json      Inngest's error shape, `{"error": "<the text echo>", "status": N}`
    partial   `Cannot POST ` and the path cut after --cut characters, then `...`
    headers   the request's headers alone, `Authorization` first
--pad N puts N filler characters before the echo (to move the key across a client's cut);
--encode url|html|json escapes the echo as a URL component, HTML or a JSON string would. The
path and the Authorization header are also echoed in reply headers (`X-Echo-Path`,
`X-Echo-Authorization`, `Location` for a 3xx status, and the path's last segment in the name
of an `X-Seen-<segment>` header).
"""

from __future__ import annotations

import argparse
import html
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

STYLES = ("express", "text", "html", "json", "partial", "headers")
ENCODINGS = ("none", "url", "html", "json")


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._echo(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._echo(self.rfile.read(length))

    def _echo(self, body: bytes) -> None:
        options = self.server.options
        headers = "".join(f"{name}: {value}\n" for name, value in self.headers.items())
        echo = f"{self.command} {self.path} {self.request_version}\n{headers}\n"
        echo += body.decode("utf-8", "replace")
        if options.style in ("express", "partial"):
            path = self.path if options.style == "express" else self.path[: options.cut] + "..."
            echo = f"Cannot {self.command} {path}"
        if options.style == "headers":
            auth = self.headers.get("Authorization")
            echo = (f"Authorization: {auth}\n" if auth else "") + "".join(
                f"{name}: {value}\n" for name, value in self.headers.items()
                if name.lower() != "authorization"
            )
        echo = "x" * options.pad + _encode(echo, options.encode)
        content_type = "text/plain; charset=utf-8"
        if options.style == "express":
            page = f"<!DOCTYPE html>\n<html><body>\n<pre>{echo}</pre>\n</body></html>\n"
            content, content_type = page.encode(), "text/html; charset=utf-8"
        elif options.style == "html":
            page = f"<html><head><title>{options.status} Error</title></head><body>{echo}</body>"
            content, content_type = page.encode(), "text/html; charset=utf-8"
        elif options.style == "json":
            content = json.dumps({"error": echo, "status": options.status}).encode()
            content_type = "application/json"
        else:
            content = echo.encode()
        self.send_response(options.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("X-Echo-Path", self.path)
        self.send_header("X-Echo-Authorization", self.headers.get("Authorization", "-"))
        segment = self.path.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        if re.fullmatch(r"[A-Za-z0-9_-]+", segment):
            self.send_header(f"X-Seen-{segment}", "1")  # in a header's name
        if 300 <= options.status < 400:
            self.send_header("Location", f"http://127.0.0.1:9{self.path}")
        self.end_headers()
        self.wfile.write(content)


def _encode(text: str, encoding: str) -> str:
    if encoding == "url":
        return quote(text, safe="")
    if encoding == "html":
        return html.escape(text)
    if encoding == "json":
        return json.dumps(text)[1:-1]
    return text


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        super().__init__(("127.0.0.1", 0), Handler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--status", type=int, default=404)
    parser.add_argument("--style", choices=STYLES, default="express")
    parser.add_argument("--encode", choices=ENCODINGS, default="none")
    parser.add_argument("--pad", type=int, default=0)
    parser.add_argument("--cut", type=int, default=20)
    server = Server(parser.parse_args())
    print(f"echoserver listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
