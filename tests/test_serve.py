"""`inngest-cli serve` end to end: the real server process, spoken to over 127.0.0.1 with httpx.

Row numbers refer to the test vectors in docs/protocol.md (§11).  Most tests share one dev-mode
server and keep apart by giving their events unique names.
"""

from __future__ import annotations

import hashlib
import re
import signal
import socket
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from inngest_cli.ids import encode_ulid, ulid_time_ms
from inngest_cli.units import labelled
from tests.conftest import CLI, ServeProcess, run_cli, start_serve

ULID = r"[0-7][0-9A-HJKMNP-TV-Z]{25}"
NOT_EVENTS = "Request body must contain an event object or an array of event objects"
NIL_UUID = "00000000-0000-0000-0000-000000000000"
UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
MAX = 3 * 1024 * 1024
SIGNING_KEY = "signkey-test-" + "0123456789abcdef" * 4
HASHED_KEY = hashlib.sha256(bytes.fromhex("0123456789abcdef" * 4)).hexdigest()


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    server = start_serve(tmp_path=tmp_path_factory.mktemp("dev"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(dev: ServeProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev.url, timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """A self-hosted-style server: event keys and a signing key."""
    server = start_serve("--event-key", "good", "--event-key", "second-key-1234",
                         "--signing-key", SIGNING_KEY, tmp_path=tmp_path_factory.mktemp("sec"))
    yield server
    server.stop()


def unique(prefix: str = "t") -> str:
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


def every(client: httpx.Client, name: str) -> list[dict[str, Any]]:
    """All events of that name, page by page over one connection."""
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 51}
    while page := listed(client, name, **params):
        out += page
        params["cursor"] = page[-1]["internal_id"]
    return out


def post(client: httpx.Client, body: bytes | str | Any, key: str = "k",
         **headers: str) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    if not isinstance(content, bytes):
        content = orjson.dumps(content)
    return client.post(f"/e/{key}", content=content,
                       headers={k.replace("_", "-"): v for k, v in headers.items()})


def ids_of(reply: httpx.Response) -> list[str]:
    ids: list[str] = reply.json()["ids"]
    return ids


def v1(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return client.get(f"/v1/{path}", params=params)


def listed(client: httpx.Client, name: str, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("received_after", "2000-01-01T00:00:00Z")
    reply = v1(client, "events", name=name, **params)
    assert reply.status_code == 200, reply.text
    data: list[dict[str, Any]] = reply.json()["data"]
    return data


# -- POST /e/{key} -----------------------------------------------------------------------------


def test_single_event(client: httpx.Client) -> None:  # row 1
    reply = post(client, {"name": "app/a", "data": {"x": 1}}, key="anykey")
    assert reply.status_code == 200
    assert re.fullmatch(rf'\{{"ids":\["{ULID}"\],"status":200\}}\n', reply.text)
    assert reply.headers["x-inngest-server-kind"] == "dev"
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"  # as Go sniffs it


def test_array_ids_are_distinct_and_in_input_order(client: httpx.Client) -> None:  # row 2
    name = unique()
    reply = post(client, [{"name": name, "data": {"i": i}} for i in range(3)])
    ids = ids_of(reply)
    assert reply.status_code == 200 and len(set(ids)) == 3 and ids == sorted(ids)
    events = listed(client, name)
    assert [e["internal_id"] for e in events] == ids[::-1]  # newest first
    assert [e["data"]["i"] for e in events] == [2, 1, 0]


def test_seed_worked_example_and_retries(client: httpx.Client) -> None:  # row 3
    seed = {"x_inngest_event_id_seed": "1743130137367,eii2YKXRVTJPuA=="}
    body = '[{"name":"a"},{"name":"b"}]'
    expected = '{"ids":["01JQDAE4RQF8MBCR55T5AK4KXS","01JQDAE4RQF8MBCR55T5AK4KXT"],"status":200}\n'
    assert post(client, body, **seed).text == expected
    assert post(client, body, **seed).text == expected  # a retry: same IDs, no duplicates
    single = post(client, '{"name":"a"}', **seed)
    assert single.text == '{"ids":["01JQDAE4RQF8MBCR55T5AK4KXS"],"status":200}\n'
    stored = [e for e in listed(client, "a") if e["internal_id"] == "01JQDAE4RQF8MBCR55T5AK4KXS"]
    assert len(stored) == 1
    assert v1(client, "events/01JQDAE4RQF8MBCR55T5AK4KXT").json()["data"]["name"] == "b"


@pytest.mark.parametrize("header", ["", "nonsense", "1743130137367,short", "-5,eii2YKXRVTJPuA=="])
def test_invalid_seed_is_ignored(client: httpx.Client, header: str) -> None:
    reply = post(client, {"name": unique()}, x_inngest_event_id_seed=header)
    assert reply.status_code == 200
    assert abs(ulid_time_ms(ids_of(reply)[0]) - time.time() * 1000) < 60_000


@pytest.mark.parametrize("body", [b"", b"  \n", b"[]", b" [ ] "])
def test_no_events(client: httpx.Client, body: bytes) -> None:  # rows 4, 5
    reply = post(client, body)
    assert (reply.status_code, reply.text) == (200, '{"ids":[""],"status":200}\n')


@pytest.mark.parametrize(("body", "error"), [
    ('{"name":""}', "event name is empty"),  # row 6
    ('{"data":{}}', "event name is empty"),  # row 7
    ('{"name":"inngest/x"}', "event name is reserved for internal use: inngest/x"),  # row 8
    ('{"name":"Inngest/X"}', "event name is reserved for internal use: Inngest/X"),  # row 9
    ('{"name":"a","ts":1700000000}', "timestamp is before Jan 1, 1980"),  # row 10
    ('{"name":"a","ts":4102444800001}', "timestamp is after Jan 1, 2100"),  # row 11
    ('"hello"', NOT_EVENTS), ("123", NOT_EVENTS), ("null", NOT_EVENTS),  # row 14
    ("not json", NOT_EVENTS), ("true", NOT_EVENTS),
    ('[null]', "event name is empty"),
    ('{"name":"inngest/<x>"}', "event name is reserved for internal use: inngest/\\u003cx\\u003e"),
])
def test_rejected_events(client: httpx.Client, body: str, error: str) -> None:
    reply = post(client, body)
    assert reply.status_code == 400
    assert reply.text == f'{{"ids":[""],"status":400,"error":"{error}"}}\n'


@pytest.mark.parametrize(("body", "prefix"), [
    ('{"name":"a","data":"x"}', "json: cannot unmarshal string"),  # row 15
    ("[1]", "json: cannot unmarshal number"),  # row 16
    ('{"name":"a","ts":1.5}', "json: cannot unmarshal number"),
    ('{"name":"a","data":[]}', "json: cannot unmarshal array"),
    ('{"name":"a"', "unexpected end of JSON input"),
])
def test_decode_errors(client: httpx.Client, body: str, prefix: str) -> None:
    reply = post(client, body)
    assert reply.status_code == 400
    assert reply.json()["ids"] == [""] and reply.json()["error"].startswith(prefix)


def test_timestamp_boundary_is_inclusive(client: httpx.Client) -> None:  # row 12
    name = unique()
    assert post(client, {"name": name, "ts": 4102444800000}).status_code == 200
    assert post(client, {"name": name, "ts": 315532800000}).status_code == 200
    assert sorted(e["ts"] for e in listed(client, name)) == [315532800000, 4102444800000]


def test_event_without_data_as_stored(client: httpx.Client) -> None:  # row 13
    name = unique()
    before = int(time.time() * 1000)
    [internal_id] = ids_of(post(client, {"name": name}))
    reply = v1(client, f"events/{internal_id}")
    event = reply.json()["data"]
    assert list(event) == ["internal_id", "account_id", "environment_id", "source", "source_id",
                           "received_at", "id", "name", "data", "ts"]
    assert event["internal_id"] == event["id"] == internal_id
    assert (event["account_id"], event["environment_id"]) == (NIL_UUID, NIL_UUID)
    assert (event["source"], event["source_id"], event["data"]) == ("", None, None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z", event["received_at"])
    assert before - 1000 <= event["ts"] <= time.time() * 1000 + 1000  # missing ts: receive time


def test_fields_are_kept_and_normalized(client: httpx.Client) -> None:
    name = unique()
    sent = {"NAME": name, "data": {"_inngest": {"fn_id": "x"}, "z": 1, "a": [1, "<&>"]},
            "user": {"email": "u@example.com"}, "id": "client-id", "ts": 1767323045000, "v": "2"}
    [internal_id] = ids_of(post(client, sent))
    event = v1(client, f"events/{internal_id}").json()["data"]
    assert event["name"] == name and event["id"] == "client-id"
    assert event["data"] == {"a": [1, "<&>"], "z": 1}  # _inngest removed
    assert (event["user"], event["ts"], event["v"]) == ({"email": "u@example.com"},
                                                        1767323045000, "2")
    raw = v1(client, f"events/{internal_id}").content
    assert b'"data":{"a":[1,"\\u003c\\u0026\\u003e"],"z":1}' in raw  # Go's encoding


def test_partial_failure_keeps_earlier_events(client: httpx.Client) -> None:  # row 17
    name = unique()
    reply = post(client, [{"name": name}, {"name": ""}, {"name": name}])
    assert reply.status_code == 400
    assert re.fullmatch(rf'\{{"ids":\["({ULID})"\],"status":400,"error":"event name is empty"\}}\n',
                        reply.text)
    [stored] = listed(client, name)
    assert stored["internal_id"] == ids_of(reply)[0]


def _event_of_size(size: int, name: str) -> bytes:
    head = orjson.dumps({"name": name, "data": {"s": ""}})[:-3]  # ...{"s":"
    body = head + b"x" * (size - len(head) - 3) + b'"}}'
    assert len(body) == size
    return body


def test_event_size_limits(client: httpx.Client) -> None:  # rows 18, 19
    name = unique()
    assert post(client, _event_of_size(MAX, name)).status_code == 200
    reply = post(client, _event_of_size(MAX + 1, name))
    assert reply.status_code == 400
    assert reply.text == ('{"ids":[""],"status":400,"error":"Event is over the max size: '
                          'Max 3145728 bytes / Size 3145729 bytes"}\n')
    small = orjson.dumps({"name": name})
    reply = post(client, b"[" + small + b", " + _event_of_size(MAX + 1, name) + b"]")
    assert reply.status_code == 400 and len(ids_of(reply)) == 1
    assert reply.json()["error"].endswith("Size 3145729 bytes")
    assert post(client, b"[" + small + b",\n" + _event_of_size(MAX, name) + b"]").status_code == 200
    assert len(listed(client, name)) == 4


def test_batch_count_limits(client: httpx.Client) -> None:  # rows 20, 21
    name = unique()
    reply = post(client, [{"name": name, "data": {"i": i}} for i in range(5000)])
    assert reply.status_code == 200 and len(set(ids_of(reply))) == 5000
    reply = post(client, [{"name": name, "data": {"i": i}} for i in range(5001)])
    assert reply.status_code == 400
    assert reply.json()["error"] == "Cannot have more than 5000 events in a batch"
    assert len(set(ids_of(reply))) == 5000
    stored = every(client, name)
    assert len(stored) == 10_000 and stored[0]["internal_id"] == ids_of(reply)[-1]


def test_duplicate_client_ids_are_all_stored(client: httpx.Client) -> None:  # row 22
    name = unique()
    ids = ids_of(post(client, [{"name": name, "id": "dup"}, {"name": name, "id": "dup"}]))
    assert len(set(ids)) == 2
    assert [e["id"] for e in listed(client, name)] == ["dup", "dup"]


def test_chunked_body(client: httpx.Client) -> None:
    name = unique()
    parts = [b'[{"name":"', name.encode(), b'"},', b'{"name":"', name.encode(), b'"}]']
    reply = client.post("/e/k", content=iter(parts))
    assert reply.status_code == 200 and len(ids_of(reply)) == 2


# -- routing -----------------------------------------------------------------------------------


def test_health(client: httpx.Client) -> None:  # row 25
    reply = client.get("/health")
    assert (reply.status_code, reply.text) == (200, '{"status":200,"message":"OK"}\n')
    assert reply.headers["content-type"] == "application/json"


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("GET", "/e/k", "POST"), ("PUT", "/e/k", "POST"), ("POST", "/health", "GET"),
    ("POST", "/v1/events", "GET"), ("DELETE", f"/v1/events/{UNKNOWN}", "GET"),
])
def test_wrong_method(client: httpx.Client, method: str, path: str, allow: str) -> None:
    reply = client.request(method, path, content=b"{}")
    assert (reply.status_code, reply.headers["allow"], reply.content) == (405, allow, b"")


@pytest.mark.parametrize("path", ["/e/", "/e", "/e/k/", "/v1/events/", "/nope", "/v1"])
def test_unknown_paths(client: httpx.Client, path: str) -> None:
    reply = client.post(path, content=b'{"name":"a"}')
    assert (reply.status_code, reply.text) == (404, "404 page not found\n")


def test_cors_preflight(client: httpx.Client) -> None:
    reply = client.options("/e/k", headers={"Origin": "http://localhost:3000",
                                            "Access-Control-Request-Method": "POST",
                                            "Access-Control-Request-Headers": "content-type"})
    assert reply.status_code == 204
    assert reply.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert reply.headers["access-control-allow-headers"] == "content-type"


# -- GET /v1 -----------------------------------------------------------------------------------


def test_list_events_envelope(client: httpx.Client) -> None:  # row 26
    name = unique()
    post(client, {"name": name})
    reply = v1(client, "events")
    body = reply.json()
    assert reply.status_code == 200 and list(body) == ["data", "metadata"]
    assert list(body["metadata"]) == ["fetched_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z",
                        body["metadata"]["fetched_at"])
    assert 1 <= len(body["data"]) <= 20 and "cache-control" not in reply.headers
    assert body["data"][0]["name"] == name  # newest first, default window is the last hour


def test_limit_default_and_clamp(client: httpx.Client) -> None:  # row 27
    name = unique()
    post(client, [{"name": name}] * 60)
    assert len(listed(client, name)) == 20
    assert len(listed(client, name, limit=500)) == 51
    assert len(listed(client, name, limit="abc")) == 20
    assert len(listed(client, name, limit=-4)) == 1


def test_pagination_in_a_time_window(client: httpx.Client) -> None:  # row 28
    name = unique()
    start = time.time()
    ids = [ids_of(post(client, {"name": name, "data": {"i": i}}))[0] for i in range(7)]
    window = {"received_after": _iso(start - 1), "received_before": _iso(time.time() + 1)}
    pages, cursor = [], None
    while True:
        params = {**window, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = [e["internal_id"] for e in listed(client, name, **params)]
        if not page:
            break
        pages.append(page)
        cursor = page[-1]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == ids[::-1]
    assert listed(client, name, received_before=_iso(start - 60)) == []
    assert listed(client, name, received_after=_iso(time.time() + 60)) == []


def _iso(seconds: float) -> str:
    millis = int(seconds % 1 * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def test_time_parameters(client: httpx.Client) -> None:
    name = unique()
    post(client, {"name": name})
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    for after in (today, f"{today}T00:00:00+02:00", f"{today}T00:00:00.5Z"):
        assert len(listed(client, name, received_after=after)) == 1, after


@pytest.mark.parametrize(("params", "error"), [
    ({"cursor": "bad"}, "Invalid cursor query parameter"),  # row 29
    ({"received_before": "yesterday"}, "Invalid received_after query parameter"),  # row 30
    ({"received_after": "1700000000"}, "Invalid received_after query parameter"),  # row 31
    ({"received_after": "2026-01-02T03:04:05 02:00"}, "Invalid received_after query parameter"),
])
def test_list_parameter_errors(client: httpx.Client, params: dict[str, str], error: str) -> None:
    reply = v1(client, "events", **params)
    assert reply.status_code == 400
    assert reply.text == f'{{"error":"{error}","data":null,"status":400}}\n'


def test_name_filter(client: httpx.Client) -> None:  # row 32
    one, other = unique(), unique()
    post(client, [{"name": one}, {"name": other}, {"name": one}])
    assert {e["name"] for e in listed(client, one)} == {one}
    assert len(listed(client, one)) == 2


@pytest.mark.parametrize(("path", "status", "error"), [
    ("events/not-a-ulid", 400, "Invalid event ID: not-a-ulid"),  # row 33
    ("events/81ARZ3NDEKTSV4RRFFQ69G5FAV", 400, "Invalid event ID: 81ARZ3NDEKTSV4RRFFQ69G5FAV"),
    (f"events/{UNKNOWN}", 404, "Event not found"),  # row 34
    ("events/xyz/runs", 400, "Invalid event ID: xyz"),
    (f"runs/{UNKNOWN}", 500, f"Unable to load function run: {UNKNOWN}"),  # row 37
    ("runs/xyz", 400, "Invalid run ID: xyz"),  # row 38
])
def test_v1_errors(client: httpx.Client, path: str, status: int, error: str) -> None:
    reply = v1(client, path)
    assert reply.status_code == status
    assert reply.text == f'{{"error":"{error}","data":null,"status":{status}}}\n'
    assert reply.headers["content-type"] == "application/json"
    assert "cache-control" not in reply.headers


def test_get_event(client: httpx.Client) -> None:  # row 35
    [internal_id] = ids_of(post(client, {"name": unique(), "data": {"x": 1}}))
    reply = v1(client, f"events/{internal_id.lower()}")  # ULIDs parse case-insensitively
    assert reply.status_code == 200
    assert reply.headers["cache-control"] == "private, max-age=5"
    body = reply.json()
    assert body["data"]["internal_id"] == internal_id and body["data"]["data"] == {"x": 1}
    assert list(body["metadata"]) == ["fetched_at", "cached_until"]
    assert body["metadata"]["cached_until"] > body["metadata"]["fetched_at"]


def test_event_runs_and_runs(client: httpx.Client, dev: ServeProcess) -> None:  # rows 36, 37
    reply = v1(client, f"events/{UNKNOWN}/runs")
    assert reply.status_code == 200 and reply.json()["data"] == []
    assert reply.headers["cache-control"] == "private, max-age=15"
    # A run written by a later feature (straight into the runs table) is served.
    [event_id] = ids_of(post(client, {"name": unique()}))
    run_id = encode_ulid(int(time.time() * 1000), b"\x01" * 10)
    with sqlite3.connect(dev.db) as conn:
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("INSERT INTO runs (run_id, event_id, function_id, run_started_at, status,"
                     " output) VALUES (?, ?, 'fn-uuid', 1767323045000, 'Completed', '{\"ok\":1}')",
                     (run_id, event_id))
    conn.close()
    run = v1(client, f"runs/{run_id}")
    assert run.status_code == 200 and run.headers["cache-control"] == "private, max-age=3"
    assert run.json()["data"] == {
        "run_id": run_id, "run_started_at": "2026-01-02T03:04:05Z", "function_id": "fn-uuid",
        "function_version": 0, "environment_id": "00000000-0000-4000-b000-000000000000",
        "event_id": event_id, "status": "Completed", "ended_at": None, "output": {"ok": 1}}
    runs = v1(client, f"events/{event_id}/runs").json()["data"]
    assert [r["run_id"] for r in runs] == [run_id]


# -- keys --------------------------------------------------------------------------------------


def test_event_keys(secured: ServeProcess) -> None:  # rows 23, 24
    with httpx.Client(base_url=secured.url, timeout=30) as http:
        bad = post(http, {"name": "a"}, key="bad")
        assert bad.status_code == 401
        assert bad.text == '{"status":401,"message":"","error":"Event key not found"}\n'
        assert bad.headers["content-type"] == "application/json"
        assert bad.headers["x-inngest-server-kind"] == "cloud"
        for key in ("good", "second-key-1234"):
            reply = post(http, {"name": "a"}, key=key)
            assert reply.status_code == 200, reply.text
        assert post(http, {"name": "a"}, key="goo").status_code == 401
        assert http.get("/health").status_code == 200  # no auth on /health or /e


@pytest.mark.parametrize(("authorization", "status"), [
    (None, 401),  # row 39
    (f"Bearer {HASHED_KEY}", 200),  # row 40
    (f"bearer signkey-test-{HASHED_KEY}", 200),
    (f"Bearer {SIGNING_KEY}", 200),
    (f"Bearer {HASHED_KEY[:-1]}", 401),
    (f"Bearer  {HASHED_KEY}", 401),
    ("Bearer wrong", 401),
])
def test_signing_key(secured: ServeProcess, authorization: str | None, status: int) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for path in ("/v1/events", f"/v1/events/{UNKNOWN}/runs"):
        reply = httpx.get(secured.url + path, headers=headers, timeout=30)
        assert reply.status_code == status
        if status == 401:
            assert reply.text == "Authentication failed\n"
            assert reply.headers["content-type"].startswith("text/plain")


# -- the official SDK --------------------------------------------------------------------------


def test_python_sdk_can_send(dev: ServeProcess, client: httpx.Client) -> None:
    import inngest

    sdk = inngest.Inngest(app_id="t", is_production=False, event_api_base_url=dev.url)
    name = unique("sdk")
    try:
        ids = sdk.send_sync([inngest.Event(name=name, data={"n": 1}),
                             inngest.Event(name=name, data={"n": 2}, id="idem")])
    finally:
        sdk._http_client._http_client_sync.close()  # the SDK never closes its client
    assert len(ids) == 2 and all(re.fullmatch(ULID, i) for i in ids)
    events = listed(client, name)
    assert [e["data"]["n"] for e in events] == [2, 1] and events[0]["id"] == "idem"


# -- process lifecycle -------------------------------------------------------------------------


def test_events_survive_kill_9(serve_factory: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "durable.db")
    server = serve_factory(db=db)
    sent: list[str] = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for i in range(5):
            reply = post(http, [{"name": "durable", "data": {"i": i, "j": j}} for j in range(200)])
            assert reply.status_code == 200
            sent += ids_of(reply)
    server.proc.kill()  # SIGKILL: no chance to checkpoint or close
    server.proc.wait()
    restarted = serve_factory(db=db)
    assert sorted(e["internal_id"] for e in restarted.events()) == sorted(sent)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly_and_logs_masked_requests(serve_factory: Any, sig: int) -> None:
    server = serve_factory()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert post(http, {"name": "a"}, key="supersecretkey1234").status_code == 200
        assert post(http, "[]", key="k").status_code == 200
        assert http.get("/v1/events", params={"limit": 1}).status_code == 200
    err = _stop(server, sig)
    assert "supersecretkey" not in err and "Traceback" not in err
    assert re.search(r"^POST /e/\*\*\*\*1234 200 1 event \d+\.\dms$", err, re.M), err
    assert re.search(r"^POST /e/\*\*\*\* 200 0 events ", err, re.M), err
    assert re.search(r"^GET /v1/events\?limit=1 200 ", err, re.M), err
    assert err.rstrip().endswith("inngest-cli serve: stopped")


def _stop(server: ServeProcess, sig: int) -> str:
    """Stop with ``sig``, check for exit code 0, and return what the server wrote to stderr."""
    server.proc.send_signal(sig)
    _, err = server.proc.communicate(timeout=10)
    assert server.proc.returncode == 0, err
    return err


def test_stdout_holds_the_url_alone_and_both_diagnostics_go_to_stderr(serve_factory: Any) -> None:
    """The URL is data (stdout, read by start_serve); "listening" and "stopped" are for people,
    on one stream (stderr), so a script reading stdout sees the URL and nothing else. The
    listening line comes before the URL: a script that stops serve at once still gets it."""
    server = serve_factory()
    server.proc.send_signal(signal.SIGINT)
    out, err = server.proc.communicate(timeout=10)
    assert server.proc.returncode == 0, err
    assert out == ""  # nothing after the URL line
    lines = err.splitlines()
    assert lines[0].startswith(f"inngest-cli serve: listening on {server.url} (db: ")
    assert lines[-1] == "inngest-cli serve: stopped"


def test_quiet_memory_db(serve_factory: Any) -> None:
    server = serve_factory("--quiet", db=":memory:")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert post(http, {"name": "mem"}).status_code == 200
    assert [e["name"] for e in server.events()] == ["mem"]
    assert _stop(server, signal.SIGINT) == ""  # --quiet: no diagnostics at all


def test_default_db_is_in_the_user_data_dir(tmp_path: Path) -> None:
    proc = subprocess.Popen([*CLI, "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        url = proc.stdout.readline()
        line = proc.stderr.readline()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+\n", url)
        expected = tmp_path / "xdg-data" / "inngest-cli" / "serve.db"  # conftest's XDG_DATA_HOME
        assert line == (f"inngest-cli serve: listening on {url.strip()} (db: {expected}); "
                        f"send with: INNGEST_DEV={url.strip()} inngest-cli send --name app/hello\n")
        assert expected.exists()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_two_servers_on_one_database_agree(serve_factory: Any, tmp_path: Path) -> None:
    """Events stored through either process, from clients whose clocks are two days off (so
    their IDs' time is far from the receive time), are listed by both, in the default window."""
    db = str(tmp_path / "shared.db")
    first, second = serve_factory("--quiet", db=db), serve_factory("--quiet", db=db)
    day = 86_400_000
    sent = []
    with httpx.Client(timeout=30) as http:
        for server in (first, second):  # each has listed before the other stores anything
            assert http.get(f"{server.url}/v1/events").json()["data"] == []
        for server, offset, name in ((first, -2 * day, "behind"), (second, 2 * day, "ahead")):
            seed = f"{int(time.time() * 1000) + offset},{'A' * 14}=="
            reply = http.post(f"{server.url}/e/k", content=orjson.dumps({"name": name}),
                              headers={"x-inngest-event-id-seed": seed})
            assert reply.status_code == 200, reply.text
            sent += ids_of(reply)
        for server in (first, second):
            listed = http.get(f"{server.url}/v1/events").json()["data"]
            assert [e["internal_id"] for e in listed] == sorted(sent, reverse=True)


def test_a_database_in_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    db = tmp_path / "no" / "such" / "x.db"
    result = run_cli("serve", "--port", "0", "--db", str(db))
    assert result.returncode == 2
    hint = labelled("hint:", f"mkdir -p {db.parent} first, or pick another path")  # a long path
    assert result.stderr == f"error: --db {db}: directory {db.parent} does not exist\n{hint}\n"
    assert result.stdout == ""
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(("args", "error"), [
    (["--signing-key", "nothex"],
     "error: --signing-key must be hex of even length (optionally after signkey-<env>-)"),
    (["--signing-key", "signkey-prod-abc"],
     "error: --signing-key must be hex of even length (optionally after signkey-<env>-)"),
    (["--host", "0.0.0.0"],
     "error: refusing to listen on 0.0.0.0 (not a loopback address) without an event key"),
    (["--event-key", ""], "error: --event-key must not be empty"),
])
def test_refuses_bad_configuration(tmp_path: Path, args: list[str], error: str) -> None:
    result = run_cli("serve", "--port", "0", "--db", str(tmp_path / "x.db"), *args)
    assert result.returncode == 2
    first, *rest = result.stderr.splitlines()
    assert first == error
    assert rest == [] or rest[0].startswith("hint: ")
    assert all(line.startswith(" " * 6) and len(line) <= 80 for line in rest[1:])  # wrapped
    assert result.stdout == ""


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--port", str(port), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in result.stderr


def test_help() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    for flag in ("--host", "--port", "--db", "--event-key", "--signing-key", "--quiet"):
        assert flag in result.stdout
