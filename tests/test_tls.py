"""TLS verification stays on: a server with a certificate nobody signed is refused, unless the
user says --insecure, which then warns on every run."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b'{"ids":["01JQDAE4RQF8MBCR55T5AK4KXS"],"status":200}\n'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_unverifiable_certificate_is_refused(self_signed_server: str) -> None:
    result = run_cli("send", "--event-api-url", self_signed_server, "--event-key", "k" * 20,
                     "--name", "app/a", "--retries", "0")
    assert result.returncode == 5
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
    assert result.stdout == '{"ids":[],"sent":0,"failed":1}\n'


def test_insecure_sends_and_warns(self_signed_server: str) -> None:
    result = run_cli("--insecure", "send", "--event-api-url", self_signed_server,
                     "--event-key", "k" * 20, "--name", "app/a", "-o", "ids")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "01JQDAE4RQF8MBCR55T5AK4KXS\n"
    assert result.stderr.startswith(
        "warning: --insecure: TLS certificates are not verified; anyone on the network path "
        "can read the keys and events\n"
    )


def test_insecure_warns_for_the_rest_api_too(self_signed_server: str) -> None:
    result = run_cli("--insecure", "events", "get", "01JQDAE4RQF8MBCR55T5AK4KXS",
                     "--api-url", self_signed_server)
    assert result.stderr.startswith("warning: --insecure: TLS certificates are not verified")
    assert "CERTIFICATE_VERIFY_FAILED" not in result.stderr
