"""The Event API client: one `POST /e/{key}` and the classification of its reply.

Success means HTTP 200 *and* a JSON body with an `ids` list (reference §4): a Dev Server's UI
fallback answers 200 with HTML to a mistyped URL, and must not count as sent.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx
import orjson

from inngest_cli import __version__
from inngest_cli.config import EventAPIConfig
from inngest_cli.ids import SEED_HEADER, IdSeed
from inngest_cli.redact import mask, redact

USER_AGENT = f"inngest-cli/{__version__}"


class Outcome(Enum):
    ACCEPTED = "accepted"  # 200 with ids
    REJECTED = "rejected"  # 400: the first `len(ids)` events were accepted, the next one failed
    TOO_LARGE = "too_large"  # 413: the request is over the account's cap
    RETRY = "retry"  # 429, 5xx, network error: the same request may succeed later
    FATAL = "fatal"  # every request would fail the same way (bad key, wrong URL, ...)


@dataclass
class Reply:
    outcome: Outcome
    status: int | None
    ids: list[str]
    error: str
    retry_after: float | None = None
    auth: bool = False
    hint: str | None = None


Trace = Callable[[str], None]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _json(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def classify(status: int, content: bytes, headers: httpx.Headers | dict[str, str]) -> Reply:
    """Turn an HTTP reply into an Outcome; tolerant of content types and extra fields."""
    body = _json(content)
    obj = body if isinstance(body, dict) else {}
    raw_ids = obj.get("ids")
    ids = [i for i in raw_ids if isinstance(i, str) and i] if isinstance(raw_ids, list) else []
    error = obj.get("error") if isinstance(obj.get("error"), str) else ""
    snippet = content[:120].decode("utf-8", "replace").strip().replace("\n", " ")
    if status == 200:
        if isinstance(raw_ids, list) and not error:
            return Reply(Outcome.ACCEPTED, status, ids, "")
        return Reply(
            Outcome.FATAL,
            status,
            [],
            f"HTTP 200 but not an Event API reply: {snippet!r}",
            hint="check the Event API URL (--event-api-url, INNGEST_DEV): is an Inngest "
            "server listening there?",
        )
    if status in (401, 403):
        return Reply(
            Outcome.FATAL,
            status,
            [],
            error or snippet or "unauthorized",
            auth=True,
            hint="check INNGEST_EVENT_KEY / --event-key: it must be an event key of this "
            "Inngest environment",
        )
    if status == 413:
        return Reply(Outcome.TOO_LARGE, status, [], error or "request too large")
    if status == 429 or status >= 500:
        return Reply(
            Outcome.RETRY,
            status,
            [],
            error or snippet or f"HTTP {status}",
            retry_after=_retry_after(headers.get("retry-after")),
        )
    if status == 400 and isinstance(body, dict):
        return Reply(Outcome.REJECTED, status, ids, error or snippet or "rejected")
    return Reply(
        Outcome.FATAL,
        status,
        [],
        f"HTTP {status}: {error or snippet}",
        hint="check the Event API URL (--event-api-url, INNGEST_DEV)",
    )


class EventAPI:
    """Posts request bodies to `{origin}/e/{key}` over kept-alive connections (thread-safe)."""

    def __init__(
        self,
        config: EventAPIConfig,
        *,
        timeout: float = 30.0,
        connections: int = 4,
        trace: Trace | None = None,
        verify: bool = True,
    ) -> None:
        self.config = config
        self.trace = trace
        self._url = config.url()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if config.env:
            headers["x-inngest-env"] = config.env
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            verify=verify,
            follow_redirects=False,
        )

    @property
    def display_url(self) -> str:
        return f"{self.config.origin}/e/{mask(self.config.event_key)}"

    def post(self, body: bytes, seed: IdSeed, count: int) -> Reply:
        headers = {SEED_HEADER: seed.header()}
        started = time.perf_counter()
        if self.trace:
            self._trace_request(body, headers, count)
        try:
            response = self._client.post(self._url, content=body, headers=headers)
        except httpx.TransportError as exc:
            reason = redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            if self.trace:
                self.trace(f"< {reason} after {1000 * (time.perf_counter() - started):.0f} ms")
            return Reply(Outcome.RETRY, None, [], reason)
        if self.trace:
            elapsed = 1000 * (time.perf_counter() - started)
            self.trace(
                f"< HTTP {response.status_code} {response.reason_phrase} "
                f"({elapsed:.0f} ms, {len(response.content)} bytes)"
            )
            for name, value in response.headers.items():
                self.trace(f"<   {name}: {redact(value)}")
        return classify(response.status_code, response.content, response.headers)

    def _trace_request(self, body: bytes, extra: dict[str, str], count: int) -> None:
        assert self.trace is not None
        self.trace(f"> POST {self.display_url} ({count} events, {len(body)} bytes)")
        for name, value in {**dict(self._client.headers), **extra}.items():
            self.trace(f">   {name}: {redact(value)}")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> EventAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
