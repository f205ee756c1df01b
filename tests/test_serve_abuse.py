"""`inngest-cli serve` under abuse: malformed and oversize bodies, broken HTTP, slow, stalled and
half-closed clients, concurrent writers from several processes, and `kill -9` under load.

After each, the server must still answer (`GET /health` 200) and its database must be consistent:
every event it answered 200 for is listed exactly once, and survives a `kill -9` and restart.
Everything runs on 127.0.0.1 and is bounded in time.  The timeout tests use an in-process server
with short timeouts; the rest the real `serve` process.
"""

from __future__ import annotations

import json
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from inngest_cli import jsontext
from inngest_cli.errors import UsageError
from inngest_cli.server import (
    EventServer,
    ServerConfig,
    check_config,
    create_server,
    ingest,
    is_loopback,
)
from inngest_cli.server.app import DEFAULT_MAX_BODY_BYTES
from tests.conftest import CLI, ServeProcess, start_serve

NOT_EVENTS = "Request body must contain an event object or an array of event objects"
MB = 1 << 20


def health(url: str) -> int:
    return httpx.get(f"{url}/health", timeout=5).status_code


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def stored_ids(db: str) -> list[str]:
    """Every internal ID in the database file, read directly (the server may be dead)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT internal_id FROM events").fetchall()
    conn.close()
    return [row[0] for row in rows]


def integrity(db: str) -> str:
    conn = sqlite3.connect(db)
    try:
        result: str = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    return result


def raw_exchange(url: str, data: bytes, *, half_close: bool = False,
                 timeout: float = 5) -> bytes:
    """Send raw bytes on a fresh connection and read until the server closes it (or the
    response is complete and the connection stays open: then what arrived within timeout)."""
    with socket.create_connection(host_port(url), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if _complete(b"".join(chunks)):
                break
        return b"".join(chunks)


def _complete(response: bytes) -> bool:
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.") else 0


@pytest.fixture
def quiet_serve(tmp_path: Path) -> Iterator[ServeProcess]:
    server = start_serve("--quiet", tmp_path=tmp_path)
    yield server
    server.stop()


# -- malformed bodies --------------------------------------------------------------------------


def malformed_bodies(count: int, seed: int = 7) -> list[bytes]:
    """`count` bodies that are not a valid batch, or only partly one, of many kinds."""
    rng = random.Random(seed)
    good = b'{"name":"abuse/ok","data":{"n":1}}'
    makers: list[Callable[[], bytes]] = [
        lambda: rng.randbytes(rng.randrange(1, 2000)),
        lambda: good[: rng.randrange(1, len(good))],
        lambda: b"[" + b",".join([good] * rng.randrange(1, 5)) + b"," + good[: rng.randrange(30)],
        lambda: rng.choice([b"1", b'"x"', b"null", b"true", b"[1]", b'[{"name":1}]', b"[[]]",
                            b'{"name":[]}', b'{"name":"a","data":[]}', b'{"name":"a","ts":"1"}',
                            b'{"name":"a","user":"x"}', b'{"name":"inngest/x"}', b"{}", b"[null]"]),
        lambda: b'{"name":"a","data":{"x":' + b"[" * rng.choice([1100, 20_000]) + b"}}",
        lambda: b"[" + good + b',{"name":"a","data":{"x":' + b"9" * rng.choice([400, 5000])
        + b"}}]",
        lambda: b'{"name":"a","data":{"x":NaN}}',
        lambda: b'[' + good + b',{"name":"a","data":{"x":"\\ud800"},"id":"\\udfff"}]',
        lambda: b'{"name":"a\xff\xfe","data":{"\xc0":1}}',
        lambda: b"\xef\xbb\xbf" + good,
        lambda: b"[" + good + b"," + rng.randbytes(50) + b"]",
        lambda: b'{"name":"a"} trailing',
        lambda: b"\x1f\x8b\x08\x00" + rng.randbytes(40),  # gzip-looking
        lambda: b'[' + b'{"name":"abuse/ok"},' * rng.randrange(1, 20) + b'{"name":""}]',
        lambda: good.replace(b"1", b"1" + b" " * rng.randrange(1, 10)) + b"\x00",
    ]
    return [rng.choice(makers)() for _ in range(count)]


def test_a_thousand_malformed_bodies(quiet_serve: ServeProcess) -> None:
    bodies = malformed_bodies(1000)
    rng = random.Random(3)
    content_types = ["application/json", "text/plain", "application/x-www-form-urlencoded",
                     "multipart/form-data; boundary=x", "", "application/json; charset=latin1"]

    def post_all(part: list[bytes]) -> list[tuple[int, Any]]:
        out = []
        with httpx.Client(base_url=quiet_serve.url, timeout=30) as http:
            for body in part:
                seed = rng.choice(["", "1,AAAAAAAAAAAAAA==", "junk", "9" * 5000 + ",AAAA"])
                headers = {"Content-Type": rng.choice(content_types),
                           "x-inngest-event-id-seed": seed}
                reply = http.post(f"/e/key-{rng.randrange(3)}", content=body, headers=headers)
                out.append((reply.status_code, orjson.loads(reply.content)))
        return out

    with ThreadPoolExecutor(4) as pool:
        replies = [r for part in pool.map(post_all, [bodies[i::4] for i in range(4)]) for r in part]
    statuses = Counter(status for status, _ in replies)
    assert set(statuses) <= {200, 400}, statuses  # never a 500, never a dropped connection
    answered: list[str] = []
    for status, body in replies:
        assert body["status"] == status
        assert (status == 400) == ("error" in body)
        answered += [i for i in body["ids"] if i]
    assert health(quiet_serve.url) == 200
    listed = [e["internal_id"] for e in quiet_serve.events()]
    # Each answered ID listed exactly once (a repeated seed repeats IDs: a retry, stored once).
    assert len(listed) == len(set(listed))
    assert set(listed) == set(answered)
    assert integrity(quiet_serve.db) == "ok"


@pytest.mark.parametrize(("request_bytes", "statuses"), [
    (b"GARBAGE\r\n\r\n", {400}),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32) + b"\r\n\r\n", {400}),  # TLS
    (b"POST /e/k HTTP/1.1\r\nContent-Length: abc\r\n\r\n{}", {400}),
    (b"POST /e/k HTTP/1.1\r\nContent-Length: -1\r\n\r\n{}", {400}),
    (b"POST /e/k HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n{}", {400}),
    (b"POST /e/k HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", {400}),
    (b"POST /e/k HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n{}", {413}),
    (b"POST /e/k HTTP/1.1\r\nContent-Length: 1000000000000000\r\n\r\n{}", {413}),
    (b"POST /e/k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", {400}),
    (b"POST /e/k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", {400}),
    (b"POST /e/k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", {400}),
    (b"POST /e/k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", {413}),
    (b"POST /e/k HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", {431}),
    (b"POST /e/k HTTP/1.1\r\n" + b"X-H: 1\r\n" * 150 + b"\r\n", {431}),
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", {414}),
    (b"POST /e/k HTTP/9.9\r\nContent-Length: 2\r\n\r\n{}", {505}),
    (b"BREW /e/k HTTP/1.1\r\n\r\n", {501}),
    (b"POST /e/%00%0a%ff HTTP/1.1\r\nContent-Length: 14\r\n\r\n{\"name\":\"a/b\"}", {200}),
    (b"GET /v1/events?limit=" + b"9" * 5000 + b" HTTP/1.1\r\n\r\n", {200}),
    (b"GET /v1/events?received_after=" + b"9" * 5000 + b"-01-01 HTTP/1.1\r\n\r\n", {400}),
    (b"GET /v1/events/%ff%fe HTTP/1.1\r\n\r\n", {400}),
    (b"POST /e/k HTTP/1.1\r\nx-inngest-event-id-seed: " + b"9" * 5000 + b",AAAAAAAAAAAAAA==\r\n"
     b"Content-Length: 12\r\n\r\n{\"name\":\"a\"}", {200}),
])
def test_broken_http_is_refused_and_the_server_goes_on(
    quiet_serve: ServeProcess, request_bytes: bytes, statuses: set[int]
) -> None:
    response = raw_exchange(quiet_serve.url, request_bytes, half_close=False, timeout=5)
    assert status_of(response) in statuses, response[:300]
    assert health(quiet_serve.url) == 200


def test_oversize_bodies(quiet_serve: ServeProcess) -> None:
    pad = "p" * 3600
    with httpx.Client(base_url=quiet_serve.url, timeout=60) as http:
        # 20 MB single object: over the 3 MiB event limit
        big = b'{"name":"big","data":{"s":"' + b"a" * (20 * MB) + b'"}}'
        reply = http.post("/e/k", content=big)
        assert reply.status_code == 400
        assert reply.json()["error"].startswith("Event is over the max size: Max 3145728 bytes")
        # 20 MB of garbage
        reply = http.post("/e/k", content=random.Random(1).randbytes(20 * MB))
        assert reply.status_code == 400 and reply.json()["error"]
        # 20 MB array of 6,000 events: the first 5,000 are stored, then the count limit
        events = [orjson.dumps({"name": "abuse/many", "data": {"i": i, "pad": pad}})
                  for i in range(6000)]
        body = b"[" + b",".join(events) + b"]"
        assert len(body) > 20 * MB
        reply = http.post("/e/k", content=body)
        assert reply.status_code == 400
        assert reply.json()["error"] == "Cannot have more than 5000 events in a batch"
        many = reply.json()["ids"]
        assert len(many) == 5000
        # an oversize element in the middle of a 20 MB array: the ones before it are stored
        middle = b'{"name":"abuse/huge","data":{"s":"' + b"a" * (4 * MB) + b'"}}'
        half = b",".join(events[:2000])
        body = b"[" + half + b"," + middle + b"," + half + b"]"
        reply = http.post("/e/k", content=body)
        assert reply.status_code == 400 and len(reply.json()["ids"]) == 2000
        before = reply.json()["ids"]
        assert http.get("/health").status_code == 200
    stored = Counter(e["internal_id"] for e in quiet_serve.events(name="abuse/many"))
    assert stored == Counter(many + before)


def test_bodies_over_the_server_limit_are_discarded_with_a_413(quiet_serve: ServeProcess) -> None:
    size = DEFAULT_MAX_BODY_BYTES + 1
    with httpx.Client(base_url=quiet_serve.url, timeout=60) as http:
        reply = http.post("/e/k", content=b" " * size)
        assert reply.status_code == 413
        assert reply.json() == {"ids": [""], "status": 413, "error": (
            f"Request body is over the server's limit: Max {DEFAULT_MAX_BODY_BYTES} bytes / "
            f"Size {size} bytes")}

        def chunks() -> Iterator[bytes]:
            for _ in range(65):
                yield b" " * MB

        reply = http.post("/e/k", content=chunks())  # chunked: the size shows only as it comes
        assert reply.status_code == 413
        assert http.get("/health").status_code == 200
    # With Expect: 100-continue the client is told before it sends anything.
    response = raw_exchange(quiet_serve.url, (
        f"POST /e/k HTTP/1.1\r\nContent-Length: {size}\r\nExpect: 100-continue\r\n\r\n").encode())
    assert status_of(response) == 413
    assert quiet_serve.events() == []


# -- slow, stalled and half-closed clients -----------------------------------------------------


@pytest.fixture
def fast_timeouts() -> Iterator[EventServer]:
    """An in-process server that drops idle connections after 0.5 s and slow requests after 1 s."""
    server = create_server(ServerConfig(db=":memory:", port=0, idle_timeout=0.5,
                                        request_timeout=1.0, max_body_bytes=MB))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    thread.join()
    server.close()


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_stalled_clients_do_not_block_others_and_are_dropped(
    fast_timeouts: EventServer,
) -> None:
    url = fast_timeouts.url
    stalled = []
    try:
        for i in range(50):
            sock = socket.create_connection(host_port(url), timeout=5)
            stalled.append(sock)
            if i % 3 == 0:
                sock.sendall(b"POST /e/k HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{\"na")
            elif i % 3 == 1:
                sock.sendall(b"POST /e/k HTTP/1.1\r\nHost: x\r\n")  # headers never end
            # else: connected, silent
        started = time.monotonic()
        with httpx.Client(base_url=url, timeout=5) as http:
            assert http.get("/health").status_code == 200
            assert http.post("/e/k", content=b'{"name":"a"}').status_code == 200
        assert time.monotonic() - started < 0.5  # not queued behind the stalled ones
        # Only the idle timeout closed the stalled ones (a thread per connection is gone).
        assert wait_for(lambda: fast_timeouts.http.connection_count == 0, 3), \
            fast_timeouts.http.connection_count
        for sock in stalled:  # each was closed by the server
            sock.settimeout(1)
            try:
                assert sock.recv(65536) == b""
            except ConnectionResetError:
                pass
    finally:
        for sock in stalled:
            sock.close()
    assert fast_timeouts.store.count_events() == 1


def test_a_trickling_client_is_cut_off(fast_timeouts: EventServer) -> None:
    body = b'{"name":"trickle","data":{"s":"' + b"x" * 200 + b'"}}'
    request = b"POST /e/k HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    started = time.monotonic()
    closed_after = None
    with socket.create_connection(host_port(fast_timeouts.url), timeout=5) as sock:
        for byte in request:  # one byte every 0.1 s: never idle for 0.5 s, 25 s in all
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            time.sleep(0.1)
            if time.monotonic() - started > 4:
                break
        if closed_after is None:
            sock.settimeout(2)
            try:
                assert sock.recv(100) == b""
            except ConnectionResetError:
                pass
            closed_after = time.monotonic() - started
    assert closed_after < 3, closed_after  # the 1 s request budget, not the 25 s it wanted
    assert fast_timeouts.store.count_events() == 0
    assert httpx.get(f"{fast_timeouts.url}/health", timeout=5).status_code == 200


def test_an_idle_keep_alive_connection_is_closed(fast_timeouts: EventServer) -> None:
    with socket.create_connection(host_port(fast_timeouts.url), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n\r\n")
        response = b""
        while not _complete(response):
            response += sock.recv(65536)
        assert status_of(response) == 200
        started = time.monotonic()
        assert sock.recv(65536) == b""  # the server hung up after 0.5 s of silence
        assert time.monotonic() - started < 2


@pytest.mark.parametrize("budget", [MB, 64 * MB])
def test_bodies_in_memory_stay_within_the_budget(budget: int) -> None:
    """Ten clients send their headers, then all at once a 1,000 KiB body each.  With a body
    budget of 1 MiB the server reads the bodies about one at a time (the others wait, and are
    not timed out meanwhile): it never holds more than the budget plus about two bodies, and
    all ten are stored.  With a 64 MiB budget it holds them all together (so the measurement
    can tell the difference)."""
    server = create_server(ServerConfig(db=":memory:", port=0, idle_timeout=2.0,
                                        max_body_bytes=MB, max_buffered_bytes=budget))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    heads_read = threading.Event()
    try:
        def send(i: int) -> int:
            body = orjson.dumps({"name": "budget", "data": {"i": i, "s": "x" * 1000_000}})
            with socket.create_connection(host_port(server.url), timeout=30) as sock:
                sock.sendall(b"POST /e/k HTTP/1.1\r\nConnection: close\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(body))
                assert heads_read.wait(10)
                sock.sendall(body)
                response = b""
                while chunk := sock.recv(65536):
                    response += chunk
            return status_of(response)

        with ThreadPoolExecutor(10) as pool:
            results = pool.map(send, range(10))
            # every connection has its head parsed and waits for its body (loop internals)
            assert wait_for(lambda: sum(bool(c.body_mode) for c in
                                        list(server.http._conns.values())) == 10, 10)
            heads_read.set()
            assert list(results) == [200] * 10
        assert server.store.count_events() == 10
    finally:
        heads_read.set()
        server.shutdown()
        thread.join()
        server.close()
    peak = server.http.peak_buffered
    if budget == MB:
        assert peak <= budget + 2 * MB, peak
    else:
        assert peak > 5 * MB, peak


def test_a_fast_client_with_a_big_body_is_not_cut_off(fast_timeouts: EventServer) -> None:
    """The request budget grows with the declared body (1 s per 64 KiB)."""
    data = {"s": "x" * (900 * 1024)}
    body = orjson.dumps({"name": "big-enough", "data": data})
    request = b"POST /e/k HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body)
    with socket.create_connection(host_port(fast_timeouts.url), timeout=10) as sock:
        sock.sendall(request)
        for offset in range(0, len(body), 64 * 1024):  # 1.3 s in all, over the 1 s budget
            sock.sendall(body[offset:offset + 64 * 1024])
            time.sleep(0.09)
        response = b""
        while not _complete(response):
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
    assert status_of(response) == 200, response[:300]


@pytest.mark.parametrize("how", ["mid-body", "mid-headers", "after-request"])
def test_half_closed_clients(quiet_serve: ServeProcess, how: str) -> None:
    body = b'{"name":"half-closed"}'
    request = b"POST /e/k HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    cut = {"mid-body": len(request) - 5, "mid-headers": 20, "after-request": len(request)}[how]
    response = raw_exchange(quiet_serve.url, request[:cut], half_close=True, timeout=5)
    if how == "after-request":  # a complete request still gets its answer
        assert status_of(response) == 200
        assert [e["name"] for e in quiet_serve.events()] == ["half-closed"]
    else:
        assert response == b""
        assert quiet_serve.events() == []
    assert health(quiet_serve.url) == 200


def test_slow_clients_do_not_block_the_real_server(quiet_serve: ServeProcess) -> None:
    socks = []
    try:
        for _ in range(40):
            sock = socket.create_connection(host_port(quiet_serve.url), timeout=5)
            sock.sendall(b"POST /e/k HTTP/1.1\r\nContent-Length: 5000\r\n\r\n[")
            socks.append(sock)
        with httpx.Client(base_url=quiet_serve.url, timeout=5) as http:
            for i in range(20):
                assert http.post("/e/k", content=b'{"name":"while-stalled"}').status_code == 200
                assert http.get("/health").status_code == 200, i
    finally:
        for sock in socks:
            sock.close()
    assert len(quiet_serve.events(name="while-stalled")) == 20


def test_event_posts_are_stored_one_at_a_time_and_other_routes_do_not_wait(
    fast_timeouts: EventServer,
) -> None:
    """Posts arriving together are parsed and stored one after another (side by side they only
    take turns under the GIL, at a cost): at most one is inside the store at once, every one is
    answered, and /health is answered while they queue."""
    store = fast_timeouts.store
    inside, most, lock = 0, 0, threading.Lock()
    original = store.insert_events

    def slow_insert(rows: Any, skew_ms: int = 0) -> None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.15)
        original(rows, skew_ms)
        with lock:
            inside -= 1

    store.insert_events = slow_insert  # type: ignore[method-assign]
    url = fast_timeouts.url
    body = orjson.dumps([{"name": "app/queued", "data": {"n": n}} for n in range(3)])
    with ThreadPoolExecutor(4) as pool:
        posts = [pool.submit(httpx.post, f"{url}/e/k", content=body, timeout=5) for _ in range(4)]
        time.sleep(0.1)  # the first is being stored, the others wait for it
        assert health(url) == 200
        assert not all(post.done() for post in posts)  # answered while posts still queue
        replies = [post.result() for post in posts]
    assert [reply.status_code for reply in replies] == [200] * 4
    assert len({i for reply in replies for i in reply.json()["ids"]}) == 12
    assert most == 1


def test_event_posts_are_stored_in_the_order_they_arrived_by_one_thread(
    fast_timeouts: EventServer,
) -> None:
    """Posts that arrive while one is being stored wait in the order they came, and one thread
    stores them all (the HTTP layer's serial thread, not whichever pool thread is free); other
    routes go to the pool meanwhile."""
    store = fast_timeouts.store
    seen: list[tuple[int, int]] = []  # (data.n of the post's first event, thread)
    original = store.insert_events

    def slow_insert(rows: Any, skew_ms: int = 0) -> None:
        seen.append((orjson.loads(rows[0][4])["n"], threading.get_ident()))
        time.sleep(0.1)
        original(rows, skew_ms)

    store.insert_events = slow_insert  # type: ignore[method-assign]
    host, port = host_port(fast_timeouts.url)
    socks = [socket.create_connection((host, port), timeout=5) for _ in range(5)]
    try:
        for n, sock in enumerate(socks):
            body = orjson.dumps([{"name": "app/ordered", "data": {"n": n}}])
            sock.sendall(b"POST /e/k HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            time.sleep(0.02)  # read by the server in this order, while the first is stored
        assert health(fast_timeouts.url) == 200  # not behind the posts
        replies = [sock.makefile("rb").read1(65536) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert [status_of(reply) for reply in replies] == [200] * 5
    assert [n for n, _ in seen] == [0, 1, 2, 3, 4]
    assert len({thread for _, thread in seen}) == 1
    assert seen[0][1] != threading.get_ident()


def test_more_posts_than_pool_threads_do_not_hold_up_other_routes(
    fast_timeouts: EventServer,
) -> None:
    """Posts wait in their own lane, not in the pool: with more posts queued behind a slow one
    than the pool has threads, /health and reads are still answered at once."""
    store = fast_timeouts.store
    original = store.insert_events

    def slow_insert(rows: Any, skew_ms: int = 0) -> None:
        time.sleep(0.1)
        original(rows, skew_ms)

    store.insert_events = slow_insert  # type: ignore[method-assign]
    url = fast_timeouts.url
    posts = fast_timeouts.config.workers + 8
    body = orjson.dumps({"name": "app/queued", "data": {}})
    with ThreadPoolExecutor(posts) as pool:
        replies = [pool.submit(httpx.post, f"{url}/e/k", content=body, timeout=10)
                   for _ in range(posts)]
        time.sleep(0.2)  # every post has arrived; most wait for the ones before them
        started = time.monotonic()
        assert httpx.get(f"{url}/health", timeout=2).status_code == 200
        assert httpx.get(f"{url}/v1/events", timeout=2).status_code == 200
        waited = time.monotonic() - started
        assert sum(reply.done() for reply in replies) < posts  # posts were still queued
        assert [reply.result().status_code for reply in replies] == [200] * posts
    assert waited < 0.3  # not behind the posts queued in the pool (~0.8 s of them, before)


# -- many writers, and kill -9 under load ------------------------------------------------------

WRITER = r"""
import base64, random, sys, time
import httpx, orjson
url, writer, count, seeded = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
rng = random.Random(writer)
sent = 0
with httpx.Client(base_url=url, timeout=10) as http:
    while count == 0 or sent < count:
        size = min(rng.choice([1, 1, 3, 20, 50]), count - sent if count else 50)
        events = [{"name": "load", "data": {"w": writer, "i": sent + k}} for k in range(size)]
        headers = {}
        if seeded:  # deterministic IDs, as the CLI and the SDKs send them
            entropy = base64.b64encode(rng.randbytes(10)).decode()
            headers["x-inngest-event-id-seed"] = f"{int(time.time() * 1000)},{entropy}"
        body = orjson.dumps(events if size > 1 or rng.random() < 0.5 else events[0])
        try:
            reply = http.post("/e/k", content=body, headers=headers)
        except httpx.HTTPError:
            break
        if reply.status_code != 200:
            print("status", reply.status_code, flush=True)
            break
        ids = reply.json()["ids"]
        assert len(ids) == size
        sys.stdout.write("".join(f"{i} {writer} {sent + k}\n" for k, i in enumerate(ids)))
        sys.stdout.flush()
        sent += size
"""


def start_writers(url: str, count: int, writers: int = 4) -> list[subprocess.Popen[str]]:
    return [subprocess.Popen([sys.executable, "-c", WRITER, url, str(w), str(count),
                              "1" if w % 2 else "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL)
            for w in range(writers)]


def collect(writers: list[subprocess.Popen[str]], timeout: float = 60) -> list[tuple[str, int,
                                                                                  int]]:
    """(id, writer, i) for every event a writer got a 200 for."""
    answered = []
    for proc in writers:
        out, err = proc.communicate(timeout=timeout)
        assert "Traceback" not in err, err[-2000:]
        for line in out.splitlines():
            assert not line.startswith("status"), line
            event_id, writer, i = line.split()
            answered.append((event_id, int(writer), int(i)))
    return answered


def test_concurrent_writers_from_several_processes(quiet_serve: ServeProcess) -> None:
    writers = start_writers(quiet_serve.url, 2000)
    answered = collect(writers)
    assert Counter((w, i) for _, w, i in answered) == Counter(
        (w, i) for w in range(4) for i in range(2000))
    listed = quiet_serve.events(name="load")
    assert Counter(e["internal_id"] for e in listed) == Counter(a[0] for a in answered)
    assert Counter((e["data"]["w"], e["data"]["i"]) for e in listed) == Counter(
        (w, i) for _, w, i in answered)
    assert health(quiet_serve.url) == 200
    assert integrity(quiet_serve.db) == "ok"


def test_concurrent_cli_senders(quiet_serve: ServeProcess, tmp_path: Path) -> None:
    procs = []
    for w, batch in enumerate([1, 7, 50, 500]):
        data = "".join(json.dumps({"name": "cli-load", "data": {"w": w, "i": i}}) + "\n"
                       for i in range(2000))
        source = tmp_path / f"w{w}.ndjson"
        source.write_text(data)
        procs.append(subprocess.Popen(
            [*CLI, "send", "--dev", "--event-api-url", quiet_serve.url, "--no-progress",
             "--max-batch", str(batch), "-o", "ids", str(source)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL))
    ids: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ids += out.split()
    assert len(ids) == len(set(ids)) == 8000
    listed = quiet_serve.events(name="cli-load")
    assert Counter(e["internal_id"] for e in listed) == Counter(ids)
    assert Counter((e["data"]["w"], e["data"]["i"]) for e in listed) == Counter(
        (w, i) for w in range(4) for i in range(2000))


def test_every_200_survives_kill_9_under_load(tmp_path: Path) -> None:
    db = str(tmp_path / "kill9.db")
    answered: list[tuple[str, int, int]] = []
    for round_ in range(2):
        server = start_serve("--quiet", db=db)
        try:
            writers = start_writers(server.url, 0)  # until the server goes away
            # Kill once the writers are well under way (however slow the machine is to start
            # them): 500 more events stored.
            target = len(stored_ids(db)) + 500
            assert wait_for(lambda target=target: len(stored_ids(db)) >= target, 60)
            server.proc.kill()  # SIGKILL while four clients are mid-request
            server.proc.communicate()
            got = collect(writers)
        finally:
            server.stop()
        assert got, f"round {round_}: nothing was answered before the kill"
        answered += got
        assert integrity(db) == "ok"
        stored = Counter(stored_ids(db))
        assert not [i for i, n in stored.items() if n > 1]
        missing = [a for a in answered if a[0] not in stored]
        assert missing == [], f"round {round_}: {len(missing)} events answered 200 were lost"
        # At most the in-flight batches (4 writers x 50 events) were stored without a reply.
        assert len(stored) - len({a[0] for a in answered}) <= 4 * 50
    restarted = start_serve("--quiet", db=db)
    try:
        listed = Counter(e["internal_id"] for e in restarted.events(name="load"))
        assert all(listed[a[0]] == 1 for a in answered)
        assert health(restarted.url) == 200
    finally:
        restarted.stop()


# -- refusing to listen beyond loopback without a key ------------------------------------------


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.5.5.5", True), ("127.1", True), ("::1", True),
    ("localhost", True), ("LOCALHOST", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("0", False), ("10.0.0.1", False),
    ("192.0.2.1", False), ("[::1]", False), ("::ffff:127.0.0.1", False),
])
def test_non_loopback_needs_an_event_key(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    config = ServerConfig(db=":memory:", host=host, port=0)
    if loopback:
        check_config(config)
    else:
        with pytest.raises(UsageError, match="not a loopback address"):
            check_config(config)
    check_config(ServerConfig(db=":memory:", host=host, port=0, event_keys=("k",)))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_serve_refuses_a_non_loopback_host_without_a_key(host: str, tmp_path: Path) -> None:
    proc = subprocess.run([*CLI, "serve", "--host", host, "--port", "0", "--db",
                           str(tmp_path / "x.db")], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: refusing to listen on {host} (not a loopback address)")
    assert proc.stdout == ""


def test_the_id_table_is_built_once_under_concurrent_first_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first requests after a start, on several threads at once, each get all their IDs
    (a half-built table once gave one of them too few: a 500 for a valid batch)."""
    monkeypatch.setattr(ingest, "_TAILS", [])
    results: list[int] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        results.append(len(ingest.ulid_run(1_700_000_000_000, 0, 1 << 15)))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=first_use) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert results == [1 << 15] * 8


# -- hostile but parseable bodies: Inngest's answers, never a 500 -------------------------------


@pytest.mark.parametrize(("body", "error"), [
    # numbers beyond float64 (and beyond Python's 4,300-digit int() limit)
    (b'{"name":"a","data":{"x":' + b"9" * 5000 + b"}}",
     "json: cannot unmarshal number " + "9" * 5000 + " into Go value of type float64"),
    (b'[{"name":"a","data":{"x":1' + b"0" * 400 + b"}}]",
     "json: cannot unmarshal number 1" + "0" * 400 + " into Go value of type float64"),
    (b'{"name":"a","data":{"x":-1e400}}',
     "json: cannot unmarshal number -1e400 into Go value of type float64"),
    (b'{"name":"a","data":{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "exceeded max depth"),
    (b'[{"name":"a"},' + b'{"a":' * 100_000 + b"]", "exceeded max depth"),
])
def test_hostile_numbers_and_nesting_are_400s(body: bytes, error: str) -> None:
    accepted, problem = ingest.parse_body(body)
    assert problem == error
    assert len(accepted) == (1 if body.startswith(b'[{"name":"a"},') else 0)


def test_lone_surrogates_become_replacement_characters_as_in_go(
    quiet_serve: ServeProcess,
) -> None:
    body = rb'[{"name":"sur\ud800","id":"\udfff","data":{"\udc00":"x\ud83d","y":"\ud83d\ude00"}}]'
    reply = httpx.post(f"{quiet_serve.url}/e/k", content=body, timeout=10)
    assert reply.status_code == 200, reply.text
    [event] = quiet_serve.events()
    assert (event["name"], event["id"]) == ("sur\ufffd", "\ufffd")
    assert event["data"] == {"\ufffd": "x\ufffd", "y": "\U0001f600"}


def test_deep_but_valid_data_is_stored_and_read_back(quiet_serve: ServeProcess) -> None:
    """Deeper than orjson encodes (254), shallower than the decoders' limit (about 1,000)."""
    for depth in (300, 900):
        data = {"x": json.loads("[" * depth + "]" * depth)}
        body = json.dumps([{"name": f"deep/{depth}", "data": data}]).encode()
        reply = httpx.post(f"{quiet_serve.url}/e/k", content=body, timeout=10)
        assert reply.status_code == 200, reply.text
        [event_id] = reply.json()["ids"]
        got = httpx.get(f"{quiet_serve.url}/v1/events/{event_id}", timeout=10)
        assert got.status_code == 200
        assert json.loads(got.content)["data"]["data"] == data


def test_deep_encoder_matches_orjson() -> None:
    value = {"b": [1, {"z": None, "a": [True, 1.5, "\u2028<&>"]}], "a": {}, "c": [], "é": "x"}
    expected = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    assert jsontext.go_sorted_json_deep(value) == expected


# -- strict framing (RFC 9112): one test per case, real sockets, the real serve process --------


def read_until_closed(url: str, data: bytes, timeout: float = 5) -> tuple[bytes, bool]:
    """Send ``data`` on a fresh connection; everything the server wrote back, and whether it
    closed the connection (EOF or reset) within ``timeout``."""
    with socket.create_connection(host_port(url), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return b"".join(chunks), False
            except ConnectionResetError:
                return b"".join(chunks), True
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
        return b"".join(chunks), False


def statuses(response: bytes) -> list[int]:
    """The status of every response in ``response`` (several when requests were pipelined)."""
    found = []
    while response.startswith(b"HTTP/1.1 "):
        found.append(int(response[9:12]))
        head, _, rest = response.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        response = rest[length:]
    assert response == b"", response[:200]
    return found


SMUGGLED = b'POST /e/k HTTP/1.1\r\nContent-Length: 20\r\n\r\n{"name":"smuggled"}\n'
GOOD = b'{"name":"framing/ok"}'


def chunked(body: bytes, encoding: bytes = b"chunked", extra: bytes = b"") -> bytes:
    return (b"POST /e/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + encoding + b"\r\n" + extra
            + b"\r\n" + body)


FRAMING_REFUSED = {
    "content-length-and-chunked": (
        b"POST /e/k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED, 400),
    "chunked-and-content-length": (
        b"POST /e/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 80\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED, 400),
    "xchunked": (chunked(b"0\r\n\r\n" + SMUGGLED, b"xchunked"), 400),
    "chunked-then-identity": (chunked(b"0\r\n\r\n" + SMUGGLED, b"chunked, identity"), 400),
    "identity": (chunked(b"0\r\n\r\n" + SMUGGLED, b"identity"), 400),
    "chunked-twice": (chunked(b"0\r\n\r\n" + SMUGGLED, b"chunked, chunked"), 400),
    "chunked-on-two-lines": (
        chunked(b"0\r\n\r\n" + SMUGGLED, extra=b"Transfer-Encoding: chunked\r\n"), 400),
    "empty-transfer-encoding": (chunked(b"0\r\n\r\n" + SMUGGLED, b""), 400),
    "gzip-then-chunked": (chunked(b"0\r\n\r\n" + SMUGGLED, b"gzip, chunked"), 501),
    "transfer-encoding-in-http-1.0": (
        b"POST /e/k HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, 400),
    "no-crlf-after-chunk-data": (chunked(b"15\r\n" + GOOD + b"XX0\r\n\r\n" + SMUGGLED), 400),
    "bare-lf-after-chunk-data": (chunked(b"15\r\n" + GOOD + b"\n0\r\n\r\n" + SMUGGLED), 400),
    "bare-lf-after-chunk-size": (chunked(b"15\n" + GOOD + b"\r\n0\r\n\r\n" + SMUGGLED), 400),
    "bare-lf-after-a-trailer": (
        chunked(b"15\r\n" + GOOD + b"\r\n0\r\nX-T: 1\n\r\n" + SMUGGLED), 400),
    "chunk-size-not-hex": (chunked(b"zz\r\n" + GOOD + b"\r\n0\r\n\r\n"), 400),
    "chunk-size-negative": (chunked(b"-5\r\nhello\r\n0\r\n\r\n"), 400),
    "chunk-size-0x": (chunked(b"0x15\r\n" + GOOD + b"\r\n0\r\n\r\n"), 400),
    "chunk-size-leading-space": (chunked(b" 15\r\n" + GOOD + b"\r\n0\r\n\r\n"), 400),
    "chunk-size-17-digits": (chunked(b"fffffffffffffffff\r\n"), 400),
    "chunk-size-over-1-gib": (chunked(b"ffffffffffffffff\r\n"), 413),
    "chunk-data-longer-than-its-size": (chunked(b"5\r\n" + GOOD + b"\r\n0\r\n\r\n"), 400),
    "content-length-twice-equal": (
        b"POST /e/k HTTP/1.1\r\nContent-Length: 21\r\nContent-Length: 21\r\n\r\n" + GOOD, 400),
    "content-length-twice-different": (
        b"POST /e/k HTTP/1.1\r\nContent-Length: 21\r\nContent-Length: 5\r\n\r\n" + GOOD, 400),
    "content-length-list": (b"POST /e/k HTTP/1.1\r\nContent-Length: 21, 21\r\n\r\n" + GOOD, 400),
    "content-length-plus": (b"POST /e/k HTTP/1.1\r\nContent-Length: +21\r\n\r\n" + GOOD, 400),
    "content-length-hex": (b"POST /e/k HTTP/1.1\r\nContent-Length: 0x15\r\n\r\n" + GOOD, 400),
    "content-length-empty": (b"POST /e/k HTTP/1.1\r\nContent-Length:\r\n\r\n" + GOOD, 400),
    "content-length-over-1-gib": (
        b"POST /e/k HTTP/1.1\r\nContent-Length: 2000000000\r\n\r\n" + GOOD, 413),
    "space-before-colon": (
        b"POST /e/k HTTP/1.1\r\nContent-Length : 21\r\n\r\n" + GOOD + SMUGGLED, 400),
    "obsolete-line-folding": (
        b"POST /e/k HTTP/1.1\r\nX-A: 1\r\n Content-Length: 21\r\n\r\n" + GOOD, 400),
    "bare-cr-in-a-header": (
        b"POST /e/k HTTP/1.1\r\nX-A: 1\rContent-Length: 21\r\n\r\n" + GOOD, 400),
    "control-character-in-a-value": (b"GET /health HTTP/1.1\r\nX-A: a\x00b\r\n\r\n", 400),
    "two-host-fields": (b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "http-2-request-line": (b"GET /health HTTP/2.0\r\n\r\n", 505),
    "http-0.9-request-line": (b"GET /health\r\n\r\n", 400),
    "two-spaces-in-the-request-line": (b"GET  /health HTTP/1.1\r\n\r\n", 400),
}


@pytest.mark.parametrize("case", list(FRAMING_REFUSED))
def test_framing_errors_are_refused_and_the_connection_closed(
    quiet_serve: ServeProcess, case: str
) -> None:
    """One reply, the refusal, with `Connection: close`; the connection is then closed, so a
    request hidden in the body (``smuggled``) is never answered or stored."""
    request, status = FRAMING_REFUSED[case]
    response, closed = read_until_closed(quiet_serve.url, request)
    assert statuses(response) == [status], response[:300]
    assert b"\r\nConnection: close\r\n\r\n" in response
    assert closed
    assert health(quiet_serve.url) == 200
    assert quiet_serve.events() == []


def test_a_refusal_names_the_problem(quiet_serve: ServeProcess) -> None:
    response, _ = read_until_closed(quiet_serve.url, FRAMING_REFUSED["xchunked"][0])
    assert response.partition(b"\r\n\r\n")[2] == (
        b"400 Bad Request: chunked must be the last transfer coding, once")
    response, _ = read_until_closed(quiet_serve.url, FRAMING_REFUSED["gzip-then-chunked"][0])
    assert response.partition(b"\r\n\r\n")[2] == (
        b"501 Not Implemented: transfer coding 'gzip' is not supported")


FRAMING_ACCEPTED = {
    "chunked": chunked(b"15\r\n" + GOOD + b"\r\n0\r\n\r\n"),
    "chunked-in-pieces-with-extensions-and-trailers": chunked(
        b"5;ext=1\r\n" + GOOD[:5] + b"\r\n0010 ; a=\"b\"\r\n" + GOOD[5:] + b"\r\n"
        b"0\r\nX-Trailer: 1\r\n\r\n"),
    "chunked-any-case": chunked(b"15\r\n" + GOOD + b"\r\n0\r\n\r\n", b"Chunked"),
    "te-request-header-is-not-transfer-encoding": (
        b"POST /e/k HTTP/1.1\r\nTE: chunked, identity\r\nContent-Length: 21\r\n\r\n" + GOOD),
    "content-length-with-leading-zeros": (
        b"POST /e/k HTTP/1.1\r\nContent-Length: 0021\r\n\r\n" + GOOD),
    "bare-lf-line-ends-in-the-head": b"POST /e/k HTTP/1.1\nContent-Length: 21\n\n" + GOOD,
    "an-empty-line-before-the-request": b"\r\nPOST /e/k HTTP/1.1\r\nContent-Length: 21\r\n\r\n"
                                        + GOOD,
    "absolute-form-target": (
        b"POST http://127.0.0.1/e/k HTTP/1.1\r\nContent-Length: 21\r\n\r\n" + GOOD),
}


@pytest.mark.parametrize("case", list(FRAMING_ACCEPTED))
def test_well_framed_requests_are_answered(quiet_serve: ServeProcess, case: str) -> None:
    """Followed on the same connection by a second request, which is answered too (the body
    ended exactly where it should) and then by ``Connection: close``."""
    request = FRAMING_ACCEPTED[case] + (
        b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")
    response, closed = read_until_closed(quiet_serve.url, request)
    assert statuses(response) == [200, 200], response[:300]
    assert closed
    assert [e["name"] for e in quiet_serve.events()] == ["framing/ok"]


def test_pipelined_requests_are_answered_in_order(quiet_serve: ServeProcess) -> None:
    one = b'POST /e/k HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s'
    request = b"".join(one % (len(b), b) for b in
                       (b'{"name":"p/1"}', b'"x"', b'{"name":"p/2"}', b"")) + (
        b"GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n")
    response, closed = read_until_closed(quiet_serve.url, request)
    assert statuses(response) == [200, 400, 200, 200, 404]
    assert closed
    assert sorted(e["name"] for e in quiet_serve.events()) == ["p/1", "p/2"]


def test_http_1_0_closes_unless_kept_alive(quiet_serve: ServeProcess) -> None:
    response, closed = read_until_closed(quiet_serve.url, b"GET /health HTTP/1.0\r\n\r\n")
    assert statuses(response) == [200] and closed
    response, closed = read_until_closed(
        quiet_serve.url, b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", timeout=1)
    assert statuses(response) == [200] and not closed
    assert b"\r\nConnection: keep-alive\r\n" in response


# -- the connection cap ------------------------------------------------------------------------


def proc_threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("Threads:")[1].split()[0])


def test_an_idle_flood_over_the_fd_limit_leaves_health_answered(tmp_path: Path) -> None:
    """With a file-descriptor limit of 128 (a cap of 64 connections), 300 connections that send
    nothing or half a request: the server keeps its few threads, closes the quietest connections
    to make room, and answers /health and a POST on new connections, every time."""
    import resource

    def low_fd_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))

    db = str(tmp_path / "flood.db")
    proc = subprocess.Popen([*CLI, "serve", "--port", "0", "--db", db, "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, preexec_fn=low_fd_limit)
    idle: list[socket.socket] = []
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        threads = proc_threads(proc.pid)
        for i in range(300):
            sock = socket.create_connection(host_port(url), timeout=5)
            if i % 2:  # a slowloris: headers begun, never ended
                sock.sendall(b"POST /e/k HTTP/1.1\r\nHost: x\r\nContent-Le")
            idle.append(sock)
        for _ in range(20):  # each on a new connection, between new idle ones
            assert raw_exchange(url, b"GET /health HTTP/1.1\r\n\r\n").startswith(
                b"HTTP/1.1 200 ")
            request = b'POST /e/k HTTP/1.1\r\nContent-Length: 19\r\n\r\n{"name":"flood/ok"}'
            assert raw_exchange(url, request).startswith(b"HTTP/1.1 200 ")
            idle.append(socket.create_connection(host_port(url), timeout=5))
        assert proc_threads(proc.pid) == threads  # no thread per connection
        closed = 0
        for sock in idle[:200]:  # the oldest were closed to make room
            sock.settimeout(2)
            try:
                closed += sock.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except TimeoutError:
                pass
        assert closed == 200
    finally:
        for sock in idle:
            sock.close()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert err == ""
    server = start_serve("--quiet", db=db)
    try:
        assert len(server.events(name="flood/ok")) == 20
    finally:
        server.stop()


def test_odd_request_targets_are_routed_and_logged_masked(tmp_path: Path) -> None:
    server = start_serve(tmp_path=tmp_path)  # not quiet: one log line per request
    try:
        for request, status in (
            (b"POST http://127.0.0.1/e/supersecretkey1234?x=1 HTTP/1.1\r\nContent-Length: 21"
             b"\r\n\r\n" + GOOD, 200),
            (b"GET //e/supersecretkey5678 HTTP/1.1\r\n\r\n", 404),
            (b"OPTIONS * HTTP/1.1\r\n\r\n", 404),
            (b"GET /v1/events?%00=\x7f HTTP/1.1\r\n\r\n", 400),
        ):
            assert status_of(raw_exchange(server.url, request)) == status, request
    finally:
        server.proc.send_signal(signal.SIGINT)
        _, err = server.proc.communicate(timeout=10)
    assert "supersecretkey" not in err and "Traceback" not in err, err
    lines = err.splitlines()[1:-1]  # between the start-up line and "stopped"
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "POST /e/****1234 200 1 event", "GET //e/****5678 404", "OPTIONS * 404"]


def mutated_requests(count: int, seed: int = 11) -> list[bytes]:
    """``count`` well-formed requests with random bytes flipped, dropped, doubled or inserted
    (CR, LF, space, colon, digits, NUL, high bytes), each cut at a random point or not."""
    rng = random.Random(seed)
    bases = [b"POST /e/k HTTP/1.1\r\nHost: x\r\nContent-Length: 21\r\n\r\n" + GOOD,
             chunked(b"5;a=1\r\n" + GOOD[:5] + b"\r\n10\r\n" + GOOD[5:] + b"\r\n0\r\nT: 1\r\n\r\n"),
             b"GET /v1/events?limit=2 HTTP/1.1\r\nExpect: 100-continue\r\n"
             b"Connection: close\r\n\r\n"]
    inserts = [b"\r", b"\n", b" ", b":", b"0", b"f", b"\x00", b"\xff", b",", b";", b"\r\n"]
    out = []
    for _ in range(count):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randrange(1, 4)):
            pos = rng.randrange(len(data))
            action = rng.randrange(4)
            if action == 0:
                data[pos] ^= 1 << rng.randrange(8)
            elif action == 1:
                del data[pos]
            elif action == 2:
                data[pos:pos] = data[pos:pos + rng.randrange(1, 8)]
            else:
                data[pos:pos] = rng.choice(inserts)
        if rng.random() < 0.2:
            data = data[:rng.randrange(len(data))]
        out.append(bytes(data))
    return out


def test_mutated_requests_never_break_the_server(tmp_path: Path) -> None:
    """Each is answered (any status but 500) or the connection closed; the server logs no error
    and goes on answering."""
    server = start_serve(tmp_path=tmp_path)
    try:
        def one(request: bytes) -> int:
            response, _ = read_until_closed(server.url, request + SMUGGLED, timeout=1)
            return status_of(response)

        with ThreadPoolExecutor(8) as pool:
            seen = Counter(pool.map(one, mutated_requests(400)))
        assert 500 not in seen, seen
        assert {200, 400} <= set(seen), seen  # the mutations hit both sides of the line
        assert health(server.url) == 200
    finally:
        server.proc.send_signal(signal.SIGINT)
        _, err = server.proc.communicate(timeout=10)
    assert server.proc.returncode == 0
    assert "error" not in err and "Traceback" not in err, err[-2000:]
