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
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from inngest_cli import __version__
from inngest_cli.config import APIConfig
from inngest_cli.errors import AuthError, ConnectError, NotFoundError, RemoteError
from inngest_cli.redact import excerpt, mask, redact, register_secret
from inngest_cli.redact import snippet as body_snippet
from inngest_cli.restmodel import format_query_time, text

USER_AGENT = f"inngest-cli/{__version__}"
PAGE_SIZE = 100  # Cloud's documented maximum; the OSS server clamps to 51 and we follow the cursor
MAX_BACKOFF = 5.0
MAX_RETRY_AFTER = 30.0
MAX_ERROR = 1000  # characters of a reply's `error` kept in a message
_SIGNKEY_PREFIX = re.compile(r"^signkey-\w+-", re.ASCII)
_BIG_INT = re.compile(rb"\d{19}")
_RUN_NOT_FOUND = "unable to load function run"
_WRONG_URL_HINT = "check --api-url / INNGEST_API_BASE_URL: is an Inngest server there?"

Trace = Callable[[str], None]


def bearer_token(signing_key: str) -> str:
    """The token the SDKs send for ``signing_key``: the hex SHA-256 of its bytes, prefix off.
    A key that is not hex is sent as it is."""
    bare = _SIGNKEY_PREFIX.sub("", signing_key.strip(), count=1)
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
    retry_after: float | None = None


def _judge(status: int, content: bytes, headers: httpx.Headers) -> _Verdict:
    body = parse_json(content)
    obj = body if isinstance(body, dict) else {}
    error = obj.get("error")
    body_status = obj.get("status")
    if isinstance(error, str) and error and isinstance(body_status, int) and body_status >= 400:
        status = body_status if status < 400 else status  # the legacy 200-with-error-body
    # the server's words, masked before they are cut (a cut key would escape the masking)
    snippet = body_snippet(content, 160)
    message = excerpt(error, MAX_ERROR) if isinstance(error, str) and error else snippet
    if 200 <= status < 300:
        if "data" in obj:
            return _Verdict(True, obj["data"], status)
        return _Verdict(False, status=status, message=f"not an Inngest REST API reply: {snippet!r}")
    retry_after = None
    if status in (429, 503):
        try:
            seconds = float(str(headers.get("retry-after", "")))
            retry_after = min(MAX_RETRY_AFTER, max(0.0, seconds))
        except ValueError:
            retry_after = None
    run_missing = status == 500 and message.lower().startswith(_RUN_NOT_FOUND)
    return _Verdict(
        False,
        status=status,
        message=message or f"HTTP {status}",
        retry=(status == 429 or status >= 500) and not run_missing,
        auth=status in (401, 403),
        # A JSON 404 is Inngest's "not found"; a plain one is a wrong URL.
        not_found=run_missing or (status == 404 and isinstance(error, str) and bool(error)),
        retry_after=retry_after,
    )


class RestAPI:
    """GETs against `{origin}/v1/...` with auth, retries and reply checks; one kept-alive
    connection. Use as a context manager (or call `close`)."""

    def __init__(
        self,
        config: APIConfig,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.2,
        trace: Trace | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        self.config = config
        self.retries = retries
        self.backoff = backoff
        self.trace = trace
        self.sleep = sleep
        self._tokens = [
            bearer_token(key)
            for key in (config.signing_key, config.signing_key_fallback)
            if key is not None
        ]
        for token in self._tokens:
            register_secret(token)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if config.env:
            headers["x-inngest-env"] = config.env
        self._client = httpx.Client(
            base_url=config.origin,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
            verify=verify,
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

    # -- plumbing -------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, str] | None, what: str) -> Any:
        retries = 0
        while True:
            verdict = self._attempt(path, params)
            if verdict.ok:
                return verdict.data
            if verdict.auth and len(self._tokens) > 1:
                self._tokens.pop(0)  # rotate to the fallback key, once and for good
                continue
            if verdict.retry and retries < self.retries:
                retries += 1
                self.sleep(self._delay(retries, verdict.retry_after))
                continue
            raise self._error(verdict, what, retries)

    def _attempt(self, path: str, params: dict[str, str] | None) -> _Verdict:
        headers = {"Authorization": f"Bearer {self._tokens[0]}"} if self._tokens else {}
        request = self._client.build_request("GET", path, params=params, headers=headers)
        started = time.perf_counter()
        if self.trace:
            self._trace_request(request)
        try:
            response = self._client.send(request)
        except httpx.TransportError as exc:
            reason = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            if self.trace:
                self.trace(f"< {reason} after {1000 * (time.perf_counter() - started):.0f} ms")
            return _Verdict(False, status=0, message=reason, retry=True)
        if self.trace:
            elapsed = 1000 * (time.perf_counter() - started)
            self.trace(
                f"< HTTP {response.status_code} {redact(response.reason_phrase)} "
                f"({elapsed:.0f} ms, {len(response.content)} bytes)"
            )
            for name, value in response.headers.items():
                self.trace(redact(f"<   {name}: {value}"))  # names are the server's too
        return _judge(response.status_code, response.content, response.headers)

    def _trace_request(self, request: httpx.Request) -> None:
        assert self.trace is not None
        self.trace(f"> GET {redact(str(request.url))}")
        for name, value in request.headers.items():
            if name.lower() == "authorization":
                value = "Bearer " + mask(value[7:])
            self.trace(f">   {name}: {redact(value)}")

    def _delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return min(MAX_BACKOFF, self.backoff * 2.0 ** (retry - 1)) + random.uniform(0, self.backoff)

    def _error(self, verdict: _Verdict, what: str, retries: int) -> Exception:
        origin = self.config.origin
        status, message = verdict.status, redact(verdict.message)
        hint: str | None = None
        if verdict.auth:
            if self._tokens:
                hint = (
                    "check INNGEST_SIGNING_KEY / --signing-key (and --env for a branch "
                    "environment): it must be a signing key of this environment"
                )
            else:
                hint = "set INNGEST_SIGNING_KEY or pass --signing-key"
            return AuthError(
                f"{origin}: authentication failed (HTTP {status}: {message})",
                status=status,
                hint=hint,
            )
        if status == 0:
            after = f" after {retries} retries" if retries else ""
            return ConnectError(
                f"cannot reach {origin}{after}: {message}",
                hint="is the server running? check --api-url / INNGEST_API_BASE_URL "
                "(--dev for a local Dev Server)",
            )
        if verdict.retry:
            return ConnectError(
                f"{what}: {origin} kept failing after {retries} retries: HTTP {status}: {message}"
            )
        if verdict.not_found:
            if what.startswith("event "):
                hint = "a just-sent event takes a moment to be stored (events get --wait 10)"
            return NotFoundError(f"{what} not found", status=status, hint=hint)
        if 200 <= status < 300:
            return RemoteError(
                f"{what}: HTTP {status} but {message}",
                status=status,
                hint=_WRONG_URL_HINT,
            )
        if status == 404:
            hint = _WRONG_URL_HINT
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
