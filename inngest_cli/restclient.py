"""The REST v1 read API client (docs/protocol.md §7-§8): events, the runs they triggered, runs.

Every reply is judged in one place (`_judge`), because servers disagree about how to say "error":
a JSON body with `error` and `status` >= 400 is an error even under HTTP 200 (Inngest up to
v1.43 loses the status code in its cache middleware), a self-hosted server's 401 is plain text,
and a run that does not exist is a 500 `Unable to load function run`.

Auth is what the Python SDK sends: `Bearer <hex(sha256(key bytes))>` with the `signkey-<env>-`
prefix left off; on 401/403 the fallback key (`INNGEST_SIGNING_KEY_FALLBACK`, key rotation) is
tried once, and kept for the rest of the session if it works.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import orjson

from inngest_cli.apiobjects import CancellationRequest, format_query_time, text
from inngest_cli.config import APIConfig
from inngest_cli.errors import AuthError, ConnectError, NotFoundError, RemoteError
from inngest_cli.httppolicy import (
    DEFAULT_BACKOFF,
    DEFAULT_RETRIES,
    USER_AGENT,
    Notice,
    RetryAfterCap,
    Tracer,
    httpx_client,
    redirect_problem,
    retry_delay,
    retryable_error,
    retryable_status,
    should_retry,
    snippet,
    transport_failure,
    unreachable_hint,
    utf8_headers,
)
from inngest_cli.redact import Secrets
from inngest_cli.signingkeys import strip_prefix

__all__ = ["USER_AGENT", "ExpressionError", "RestAPI", "UnavailableError", "bearer_token"]

PAGE_SIZE = 100  # Cloud's documented maximum; the OSS server clamps to 51 and we follow the cursor
MAX_ERROR = 1000  # characters of a reply's `error` kept in a message
_BIG_INT = re.compile(rb"\d{19}")
_RUN_NOT_FOUND = "unable to load function run"
_BAD_EXPRESSION = "invalid expression:"
_WRONG_URL_HINT = "check --api-url / INNGEST_API_BASE_URL: is an Inngest server there?"

Trace = Callable[[str], None]
Expect = Literal["envelope", "array", "empty"]


class ExpressionError(RemoteError):
    """The server could not compile an `if` expression; ``lines`` is its message as it gave it
    (CEL's report: the error, the expression, a caret under the column)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0], status=400)
        self.lines = lines


class UnavailableError(RemoteError):
    """The server does not offer this operation (bulk cancellations on dev or self-hosted)."""


def bearer_token(signing_key: str) -> str:
    """The token the SDKs send for ``signing_key``: the hex SHA-256 of its bytes, prefix off.
    A key that is not hex is sent as it is."""
    bare = strip_prefix(signing_key.strip())
    try:
        raw = bytes.fromhex(bare)
    except ValueError:
        return signing_key.strip()
    return hashlib.sha256(raw).hexdigest() if raw else signing_key.strip()


def parse_json(content: bytes) -> Any:
    """JSON, exactly: integers beyond 64 bits (which orjson turns into floats) via the stdlib."""
    try:
        if _BIG_INT.search(content):
            return json.loads(content)
        return orjson.loads(content)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Verdict:
    """What a reply means: ``data`` on success, else an error and whether to retry."""

    ok: bool
    data: Any = None
    status: int = 0
    message: str = ""
    retry: bool = False
    auth: bool = False
    not_found: bool = False
    empty: bool = False  # an error reply without a body (a Go panic turned into a 500)
    sent: bool = True  # False: the request never reached the server (a failed connect)


def _judge(
    status: int, content: bytes, headers: httpx.Headers, expect: Expect, secrets: Secrets
) -> _Verdict:
    body = parse_json(content)
    obj = body if isinstance(body, dict) else {}
    error = obj.get("error")
    body_status = obj.get("status")
    if isinstance(error, str) and error and isinstance(body_status, int) and body_status >= 400:
        status = body_status if status < 400 else status  # the legacy 200-with-error-body
    # the server's words, masked before they are cut (a cut key would escape the masking)
    start = snippet(content, secrets)
    message = secrets.excerpt(error, MAX_ERROR) if isinstance(error, str) and error else start
    if 200 <= status < 300:
        if expect == "empty" and (not content.strip() or body is not None):
            return _Verdict(True, None, status)
        if expect == "array" and isinstance(body, list):
            return _Verdict(True, body, status)
        if "data" in obj:
            return _Verdict(True, obj["data"], status)
        return _Verdict(False, status=status, message=f"not an Inngest REST API reply: {start!r}")
    redirect = redirect_problem(status, headers, secrets)
    if redirect is not None:
        return _Verdict(False, status=status, message=redirect)
    run_missing = status == 500 and message.lower().startswith(_RUN_NOT_FOUND)
    return _Verdict(
        False,
        status=status,
        message=message or f"HTTP {status}",
        retry=retryable_status(status) and not run_missing,
        auth=status in (401, 403),
        # A JSON 404 is Inngest's "not found"; a plain one is a wrong URL.
        not_found=run_missing or (status == 404 and isinstance(error, str) and bool(error)),
        empty=not content.strip(),
    )


class RestAPI:
    """Requests to `{origin}/v1/...` with auth, retries and reply checks (`httppolicy`); one
    kept-alive connection. Use as a context manager (or call `close`). ``notice`` gets the
    policy's warnings (a Retry-After that was capped). What it reports is masked by ``secrets``
    (the run's; else its own keys alone), to which its keys and bearer tokens are added."""

    def __init__(
        self,
        config: APIConfig,
        *,
        timeout: float = 30.0,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        trace: Trace | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        verify: bool = True,
        notice: Notice | None = None,
        secrets: Secrets | None = None,
    ) -> None:
        self.config = config
        self.retries = retries
        self.backoff = backoff
        self.trace = trace
        self.secrets = Secrets() if secrets is None else secrets
        self._tracer = Tracer(trace, self.secrets)
        self._retry_after = RetryAfterCap(self.secrets, notice)
        self.sleep = sleep
        self._tokens = [
            bearer_token(key)
            for key in (config.signing_key, config.signing_key_fallback)
            if key is not None
        ]
        for secret in (config.signing_key, config.signing_key_fallback, *self._tokens):
            self.secrets.add(secret)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if config.env:
            headers["x-inngest-env"] = config.env
        self._client = httpx_client(
            config.origin,
            verify=verify,
            base_url=config.origin,
            headers=utf8_headers(headers),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
        )

    # -- the API --------------------------------------------------------------------------

    def list_events(
        self,
        *,
        name: str | None = None,
        received_after: int | None = None,
        received_before: int | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """One page of events, newest first. Times are epoch milliseconds."""
        params: dict[str, str] = {}
        if name:
            params["name"] = name
        if received_after is not None:
            params["received_after"] = format_query_time(received_after)
        if received_before is not None:
            params["received_before"] = format_query_time(received_before)
        if cursor:
            params["cursor"] = cursor
        if limit is not None:
            params["limit"] = str(limit)
        return _objects(self._get("/v1/events", params, "events"), "events")

    def iterate_events(
        self,
        *,
        name: str | None = None,
        received_after: int | None = None,
        received_before: int | None = None,
        total: int | None = None,
        page_size: int = PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Up to ``total`` events (all when None), newest first, page by page: the cursor is the
        last page's last internal ID, and every page asks for the same time window. Ends on an
        empty page (a short page proves nothing: servers clamp `limit` differently)."""
        cursor: str | None = None
        remaining = total
        while remaining is None or remaining > 0:
            limit = page_size if remaining is None else min(remaining, page_size)
            page = self.list_events(
                name=name,
                received_after=received_after,
                received_before=received_before,
                cursor=cursor,
                limit=limit,
            )
            if remaining is not None:
                page = page[:remaining]
                remaining -= len(page)
            yield from page
            if not page:
                return
            last = text(page[-1], "internal_id")
            if not last or (cursor is not None and last >= cursor):
                raise RemoteError(
                    "the server's event pages do not move past the cursor; stopped paging",
                    hint="is --api-url an Inngest REST API?",
                )
            cursor = last

    def get_event(self, event_id: str) -> dict[str, Any]:
        return _object(
            self._get(f"/v1/events/{event_id}", None, f"event {event_id}"), f"event {event_id}"
        )

    def event_runs(self, event_id: str) -> list[dict[str, Any]]:
        """The runs ``event_id`` triggered ([] for an unknown or not yet stored event)."""
        what = f"runs of event {event_id}"
        return _objects(self._get(f"/v1/events/{event_id}/runs", None, what), what)

    def get_run(self, run_id: str) -> dict[str, Any]:
        return _object(self._get(f"/v1/runs/{run_id}", None, f"run {run_id}"), f"run {run_id}")

    # -- run operations -----------------------------------------------------------------

    def cancel_run(self, run_id: str) -> None:
        """`DELETE /v1/runs/{id}`. The server answers 200 for a run that has already finished
        too (and leaves it as it was): read the run first to tell the two apart."""
        self._request("DELETE", f"/v1/runs/{run_id}", what=f"run {run_id}", expect="empty")

    def run_jobs(self, run_id: str) -> list[dict[str, Any]]:
        """The run's queued jobs (at most 10, in the server's order; [] once it has finished)."""
        what = f"run {run_id}"
        return _objects(self._request("GET", f"/v1/runs/{run_id}/jobs", what=what), what)

    def app_functions(self, app: str) -> list[dict[str, Any]]:
        """The app's functions; [] for an app the server does not know (it never says 404).
        The OSS server answers a bare array; an enveloped one is read too."""
        what = f"functions of app {app}"
        path = f"/v1/apps/{_segment(app)}/functions"
        return _objects(self._request("GET", path, what=what, expect="array"), what)

    def create_cancellation(self, request: CancellationRequest) -> dict[str, Any]:
        """`POST /v1/cancellations`. Not retried once it may have reached the server (a second
        one would be a second cancellation)."""
        what = f"function {request.function_id}"
        data = self._request(
            "POST",
            "/v1/cancellations",
            what=what,
            body=request.body(),
            idempotent=False,
            unavailable=True,
        )
        return _object(data, "cancellation")

    def list_cancellations(self) -> list[dict[str, Any]]:
        data = self._request("GET", "/v1/cancellations", what="cancellations", unavailable=True)
        return _objects(data, "cancellations")

    def delete_cancellation(self, cancellation_id: str) -> None:
        what = f"cancellation {cancellation_id}"
        self._request(
            "DELETE", f"/v1/cancellations/{cancellation_id}", what=what, unavailable=True
        )

    # -- plumbing -------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None, what: str) -> Any:
        return self._request("GET", path, params=params, what=what)

    def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        expect: Expect = "envelope",
        idempotent: bool = True,
        unavailable: bool = False,
    ) -> Any:
        """One call with the policy's retries; ``unavailable``: an empty 500 means the server
        does not offer the route (dev and self-hosted Inngest for bulk cancellations)."""
        content = orjson.dumps(body) if body is not None else None
        retries = 0
        while True:
            verdict, retry_after = self._attempt(method, path, params, content, expect)
            if verdict.ok:
                return verdict.data
            if verdict.auth and len(self._tokens) > 1:
                self._tokens.pop(0)  # rotate to the fallback key, once and for good
                continue
            if unavailable and verdict.status == 500 and verdict.empty:
                raise UnavailableError(
                    f"bulk cancellations are not available on {self.config.origin}: it answered "
                    "HTTP 500 with an empty body, as dev and self-hosted Inngest servers do",
                    status=500,
                    hint="they need Inngest Cloud; `inngest-cli runs cancel RUN_ID` cancels "
                    "single runs anywhere",
                )
            retry = verdict.retry and (
                should_retry(verdict.status, idempotent=idempotent)
                if verdict.status
                else retryable_error(verdict.message, idempotent=idempotent)
            )
            if retry and retries < self.retries:
                retries += 1
                delay = retry_delay(retries, retry_after, self.backoff)
                self._tracer.retry(retries, self.retries, delay)
                self.sleep(delay)
                continue
            raise self._error(verdict, what, retries, retried=retry)

    def _attempt(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        content: bytes | None,
        expect: Expect,
    ) -> tuple[_Verdict, float | None]:
        headers = {"Authorization": f"Bearer {self._tokens[0]}"} if self._tokens else {}
        if content is not None:
            headers["Content-Type"] = "application/json"
        request = self._client.build_request(
            method, path, params=params, headers=headers, content=content
        )
        started = self._tracer.request(method, str(request.url), request.headers.items())
        try:
            response = self._client.send(request)
        except httpx.TransportError as exc:
            failure = transport_failure(type(exc).__name__, str(exc), str(request.url))
            reason = self.secrets.redact(failure)
            self._tracer.failure(started, reason)
            return _Verdict(False, status=0, message=reason, retry=True), None
        self._tracer.response(
            started,
            response.status_code,
            response.reason_phrase,
            len(response.content),
            response.headers.items(),
        )
        verdict = _judge(
            response.status_code, response.content, response.headers, expect, self.secrets
        )
        retry_after = self._retry_after(response.headers, verdict.status) if verdict.retry else None
        return verdict, retry_after

    def _error(self, verdict: _Verdict, what: str, retries: int, *, retried: bool) -> Exception:
        origin = self.config.origin
        status, message = verdict.status, self.secrets.redact(verdict.message)
        hint: str | None = None
        if verdict.auth:
            if self._tokens:
                hint = (
                    "INNGEST_SIGNING_KEY / --signing-key must be a signing key of this "
                    "environment (--env for a branch)"
                )
            else:
                hint = "set INNGEST_SIGNING_KEY or pass --signing-key"
            return AuthError(
                f"{origin}: authentication failed (HTTP {status}: {message})",
                status=status,
                hint=hint,
            )
        if status == 0:
            if not retried and retryable_error(verdict.message):  # a POST that may have landed
                return ConnectError(
                    f"{what}: {origin}: {message} (not retried: it may have been applied)",
                    hint="`inngest-cli cancellations list` shows whether it was",
                )
            after = f" after {retries} retries" if retries else ""
            return ConnectError(
                f"cannot reach {origin}{after}: {message}",
                hint=unreachable_hint(message)
                or "is the server running? check --api-url / INNGEST_API_BASE_URL "
                "(--dev for a local Dev Server)",
            )
        if verdict.retry:
            if not retried:  # a POST that may have been applied: not repeated
                return RemoteError(
                    f"{what}: HTTP {status}: {message} (not retried: it may have been applied)",
                    status=status,
                )
            return ConnectError(
                f"{what}: {origin} kept failing after {retries} retries: HTTP {status}: {message}"
            )
        if verdict.not_found:
            if what.startswith("event "):
                hint = "a just-sent event takes a moment to be stored (events get --wait 10)"
            elif what.startswith("function "):
                hint = (
                    "`inngest-cli functions list --app APP` shows the IDs (a dev or self-hosted "
                    "server wants the slug, often <app-id>-<function-id>)"
                )
            return NotFoundError(f"{what} not found", status=status, hint=hint)
        if status == 400 and verdict.message.startswith(_BAD_EXPRESSION):
            return ExpressionError(message.split("\n"))
        if 200 <= status < 300:
            return RemoteError(
                f"{what}: HTTP {status} but {message}",
                status=status,
                hint=_WRONG_URL_HINT,
            )
        if 300 <= status < 400:
            return RemoteError(
                f"{what}: {message}",
                status=status,
                hint="if that is the REST API, pass its origin as --api-url",
            )
        if status == 404:
            hint = _WRONG_URL_HINT
        if status == 400:  # Inngest joins its validation errors with newlines
            message = "; ".join(line for line in message.split("\n") if line)
        return RemoteError(f"{what}: HTTP {status}: {message}", status=status, hint=hint)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RestAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _objects(data: Any, what: str) -> list[dict[str, Any]]:
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return data
    if data is None:  # a Go nil slice
        return []
    raise RemoteError(f"{what}: expected a list of objects, got {type(data).__name__}")


def _object(data: Any, what: str) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    raise RemoteError(f"{what}: expected an object, got {type(data).__name__}")


def _segment(value: str) -> str:
    """``value`` as one URL path segment (an app name may hold `/` or spaces)."""
    from urllib.parse import quote

    return quote(value, safe="")
