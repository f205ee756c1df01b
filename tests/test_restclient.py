"""The REST v1 client: auth, reply classification, retries and pagination. In-process against a
mock transport (a plain function), plus the real wire against tests/support/runserver.py."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from inngest_cli.apiobjects import format_query_time
from inngest_cli.config import APIConfig
from inngest_cli.errors import AuthError, ConnectError, NotFoundError, RemoteError
from inngest_cli.restclient import RestAPI, bearer_token, parse_json
from inngest_cli.timeparse import now_ms

HEX_KEY = "signkey-test-" + "ab" * 32
HASHED = hashlib.sha256(bytes.fromhex("ab" * 32)).hexdigest()
FALLBACK = "signkey-prod-" + "cd" * 32
ULID = "01JQDAE4RQF8MBCR55T5AK4KXS"

Handler = Callable[[httpx.Request], httpx.Response]


def config(**overrides: Any) -> APIConfig:
    values: dict[str, Any] = {
        "origin": "http://inngest.test",
        "signing_key": None,
        "signing_key_fallback": None,
        "env": None,
        "dev": True,
    }
    values.update(overrides)
    return APIConfig(**values)


def client(handler: Handler, **overrides: Any) -> RestAPI:
    return RestAPI(
        config(**overrides),
        transport=httpx.MockTransport(handler),
        sleep=lambda _: None,
        backoff=0.0,
    )


def reply(status: int, body: Any, content_type: str = "application/json") -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return httpx.Response(status, content=content, headers={"Content-Type": content_type})


def ok(data: Any) -> httpx.Response:
    return reply(200, {"data": data, "metadata": {"fetched_at": "2026-11-23T10:00:00Z"}})


# -- auth ---------------------------------------------------------------------------------


def test_bearer_token_is_the_sha256_of_the_key_bytes_without_prefix() -> None:
    assert bearer_token(HEX_KEY) == HASHED
    assert bearer_token("ab" * 32) == HASHED
    assert bearer_token("not-hex-key") == "not-hex-key"


def test_headers_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok([])

    with client(handler, signing_key=HEX_KEY, env="branch-1") as api:
        api.list_events()
    headers = seen[0].headers
    assert headers["authorization"] == f"Bearer {HASHED}"
    assert headers["x-inngest-env"] == "branch-1"
    assert headers["user-agent"].startswith("inngest-cli/")


def test_a_branch_name_beyond_ascii_goes_as_utf8() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok([])

    with client(handler, env="feature/café") as api:
        api.list_events()
    assert dict(seen[0].headers.raw)[b"x-inngest-env"] == "feature/café".encode()


def test_no_key_sends_no_authorization() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return ok([])

    with client(handler) as api:
        api.list_events()
    assert "authorization" not in seen[0].headers


def test_401_retries_once_with_the_fallback_key_and_keeps_it() -> None:
    tokens: list[str] = []
    good = f"Bearer {bearer_token(FALLBACK)}"

    def handler(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers["authorization"])
        if request.headers["authorization"] != good:
            return reply(401, b"Authentication failed\n", "text/plain")
        return ok([])

    with client(handler, signing_key=HEX_KEY, signing_key_fallback=FALLBACK) as api:
        api.list_events()
        api.list_events()
    assert tokens == [f"Bearer {HASHED}", good, good]


def test_plain_text_401_is_an_auth_error_naming_no_key() -> None:
    with client(
        lambda r: reply(401, b"Authentication failed\n", "text/plain"),
        signing_key=HEX_KEY,
        signing_key_fallback=FALLBACK,
    ) as api:
        with pytest.raises(AuthError) as caught:
            api.get_event(ULID)
    message = caught.value.message
    assert message == "http://inngest.test: authentication failed (HTTP 401: Authentication failed)"
    assert caught.value.hint is not None and "INNGEST_SIGNING_KEY" in caught.value.hint
    for secret in (HEX_KEY, HASHED, FALLBACK, "ab" * 32):
        assert secret not in message + caught.value.hint


def test_403_without_a_key_hints_at_setting_one() -> None:
    with client(lambda r: reply(403, {"error": "forbidden", "status": 403})) as api:
        with pytest.raises(AuthError) as caught:
            api.list_events()
    assert caught.value.hint == "set INNGEST_SIGNING_KEY or pass --signing-key"


# -- classification -----------------------------------------------------------------------


@pytest.mark.parametrize("http_status", [200, 404])
def test_error_body_is_an_error_even_with_http_200(http_status: int) -> None:
    body = {"error": "Event not found", "data": None, "status": 404}
    with client(lambda r: reply(http_status, body)) as api:
        with pytest.raises(NotFoundError) as caught:
            api.get_event(ULID)
    assert caught.value.message == f"event {ULID} not found"
    assert caught.value.exit_code == 4


@pytest.mark.parametrize("http_status", [200, 500])
def test_run_not_found_500_is_not_found(http_status: int) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        body = {"error": f"Unable to load function run: {ULID}", "data": None, "status": 500}
        return reply(http_status, body)

    with client(handler) as api:
        with pytest.raises(NotFoundError) as caught:
            api.get_run(ULID)
    assert caught.value.message == f"run {ULID} not found"
    assert len(calls) == 1  # not retried


def test_legacy_400_is_a_remote_error_with_the_servers_message() -> None:
    body = {"error": "Invalid cursor query parameter", "data": None, "status": 400}
    with client(lambda r: reply(200, body)) as api:
        with pytest.raises(RemoteError) as caught:
            api.list_events(cursor="bad")
    assert caught.value.message == "events: HTTP 400: Invalid cursor query parameter"
    assert caught.value.exit_code == 1


def test_plain_404_is_a_wrong_url_not_a_missing_event() -> None:
    with client(lambda r: reply(404, b"404 page not found\n", "text/plain")) as api:
        with pytest.raises(RemoteError) as caught:
            api.get_event(ULID)
    assert not isinstance(caught.value, NotFoundError)
    assert caught.value.message == f"event {ULID}: HTTP 404: 404 page not found"


def test_200_that_is_not_an_envelope_is_an_error() -> None:
    with client(lambda r: reply(200, b"<html>UI</html>", "text/html")) as api:
        with pytest.raises(RemoteError) as caught:
            api.list_events()
    assert (
        caught.value.message
        == "events: HTTP 200 but not an Inngest REST API reply: '<html>UI</html>'"
    )
    assert caught.value.hint is not None and "--api-url" in caught.value.hint


def test_transient_errors_are_retried() -> None:
    answers = iter([reply(502, b"bad gateway"), reply(500, {"error": "x", "status": 500}), ok([])])
    with client(lambda r: next(answers)) as api:
        assert api.list_events() == []


def test_retries_are_bounded() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return reply(503, {"error": "Unable to query events", "status": 503})

    with client(handler) as api:
        with pytest.raises(ConnectError) as caught:
            api.list_events()
    assert len(calls) == 6
    assert caught.value.message == (
        "events: http://inngest.test kept failing after 5 retries: HTTP 503: Unable to query events"
    )
    assert caught.value.exit_code == 5


def test_network_errors_are_retried_then_reported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with client(handler) as api:
        with pytest.raises(ConnectError) as caught:
            api.get_run(ULID)
    assert caught.value.message.startswith("cannot reach http://inngest.test after 5 retries:")


def test_retry_after_is_honoured() -> None:
    slept: list[float] = []
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}), ok([])])
    api = RestAPI(
        config(), transport=httpx.MockTransport(lambda r: next(answers)), sleep=slept.append
    )
    with api:
        api.list_events()
    assert slept == [2.0]


def test_camel_case_objects_are_paged_by_their_internal_id() -> None:
    pages = {None: [{"internalID": "01JQDAE4RQF8MBCR55T5AK4KXT"}, {"internalID": ULID}], ULID: []}
    cursors: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        cursors.append(cursor)
        return ok(pages[cursor])

    with client(handler) as api:
        events = list(api.iterate_events())
    assert len(events) == 2 and cursors == [None, ULID]


def test_a_server_that_ignores_the_cursor_does_not_loop_forever() -> None:
    with client(lambda r: ok([{"internal_id": ULID}])) as api:
        with pytest.raises(RemoteError, match="do not move past the cursor"):
            list(api.iterate_events())


def test_go_nil_list_is_empty_and_wrong_shapes_are_errors() -> None:
    with client(lambda r: ok(None)) as api:
        assert api.event_runs(ULID) == []
    with client(lambda r: ok("x")) as api:
        with pytest.raises(RemoteError, match="expected a list of objects"):
            api.list_events()
    with client(lambda r: ok([])) as api:
        with pytest.raises(RemoteError, match="expected an object"):
            api.get_run(ULID)


def test_big_integers_survive_exactly() -> None:
    assert parse_json(b'{"data":{"n":123456789012345678901234567890}}') == {
        "data": {"n": 123456789012345678901234567890}
    }


def test_trace_masks_the_authorization_header() -> None:
    lines: list[str] = []
    api = RestAPI(
        config(signing_key=HEX_KEY),
        transport=httpx.MockTransport(lambda r: ok([])),
        trace=lines.append,
    )
    with api:
        api.list_events(name="app/a", limit=5)
    text = "\n".join(lines)
    assert "> GET http://inngest.test/v1/events?name=app%2Fa&limit=5" in text
    assert f"authorization: Bearer ****{HASHED[-4:]}" in text
    assert HASHED not in text and HEX_KEY not in text
    assert "< HTTP 200 OK" in text


# -- against the run server (a real process) ----------------------------------------------


def test_pagination_keeps_the_window_on_every_page(run_server: Any) -> None:
    server = run_server("--max-limit", "7")
    old = [{"name": "app/old", "received_at": 1_000_000_000_000} for _ in range(3)]
    httpx.post(f"{server.url}/_events", json=old).raise_for_status()
    httpx.post(f"{server.url}/e/k", json=[{"name": f"app/{i}"} for i in range(20)])
    after = now_ms() - 60_000
    before = after + 120_000
    with RestAPI(config(origin=server.url)) as api:
        events = list(api.iterate_events(received_after=after, received_before=before))
    assert [e["name"] for e in events] == [f"app/{i}" for i in reversed(range(20))]
    queries = [q for q in server.state()["queries"] if q["path"] == "/v1/events"]
    assert len(queries) == 4  # 7 + 7 + 6, then an empty page
    assert {(q["received_after"][0], q["received_before"][0]) for q in queries} == {
        (format_query_time(after), format_query_time(before))
    }
    assert [q.get("cursor", [None])[0] for q in queries] == [
        None,
        events[6]["internal_id"],
        events[13]["internal_id"],
        events[19]["internal_id"],
    ]
    assert all(q["limit"] == ["100"] for q in queries)


def test_total_limits_what_is_asked_for(run_server: Any) -> None:
    server = run_server()
    httpx.post(f"{server.url}/e/k", json=[{"name": "app/a"} for _ in range(60)])
    with RestAPI(config(origin=server.url)) as api:
        events = list(api.iterate_events(total=55))
    assert len(events) == 55
    limits = [q["limit"][0] for q in server.state()["queries"]]
    assert limits == ["55", "4"]  # the server clamps the first to 51


# -- run operations: what is retried --------------------------------------------------------


def _request() -> Any:
    from inngest_cli.apiobjects import CancellationRequest

    return CancellationRequest("my-app", "my-app-sync", started_before=now_ms() - 1000)


def test_a_create_that_timed_out_is_not_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("timed out", request=request)

    with client(handler) as api:
        with pytest.raises(ConnectError) as caught:
            api.create_cancellation(_request())
    assert len(calls) == 1
    assert caught.value.message == (
        "function my-app-sync: http://inngest.test: ReadTimeout: timed out "
        "(not retried: it may have been applied)"
    )


def test_a_create_that_could_not_connect_is_retried() -> None:
    answers: list[Any] = ["refuse", ok({"id": ULID})]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if answer == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        assert isinstance(answer, httpx.Response)
        return answer

    with client(handler) as api:
        assert api.create_cancellation(_request()) == {"id": ULID}
    assert answers == []


def test_cancel_run_accepts_the_empty_200_and_rejects_html() -> None:
    with client(lambda r: httpx.Response(200, content=b"")) as api:
        api.cancel_run(ULID)
    page = b"<!doctype html><html>Inngest dev server</html>"
    with client(lambda r: httpx.Response(200, content=page)) as api:
        with pytest.raises(RemoteError) as caught:
            api.cancel_run(ULID)
    assert caught.value.message.startswith(f"run {ULID}: HTTP 200 but not an Inngest REST API")


def test_app_functions_reads_a_bare_array_or_an_envelope() -> None:
    with client(lambda r: reply(200, [{"id": "f"}])) as api:
        assert api.app_functions("a") == [{"id": "f"}]
    with client(lambda r: ok([{"id": "g"}])) as api:
        assert api.app_functions("a") == [{"id": "g"}]
