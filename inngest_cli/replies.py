"""What a `POST /e/{key}` reply means, independent of the HTTP library.

Success means HTTP 200 *and* a JSON body with an `ids` list (docs/protocol.md §6): a Dev Server's UI
fallback answers 200 with HTML to a mistyped URL, and must not count as sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from itertools import repeat
from typing import Any

import msgspec
import orjson

from inngest_cli.httppolicy import parse_retry_after, redirect_problem, retryable_status, snippet
from inngest_cli.redact import Secrets

MAX_ERROR = 1000  # characters of a reply's `error` kept in a message


class Outcome(Enum):
    ACCEPTED = "accepted"  # 200 with ids
    REJECTED = "rejected"  # 400: the first `len(ids)` events were accepted, the next one failed
    TOO_LARGE = "too_large"  # 413: the request is over the account's cap
    RETRY = "retry"  # 429, 5xx, network error: the same request may succeed later
    FATAL = "fatal"  # every request would fail the same way (bad key, wrong URL, ...)


class Reply(msgspec.Struct):
    outcome: Outcome
    status: int | None
    ids: list[str]
    error: str
    retry_after: float | None = None
    auth: bool = False
    hint: str | None = None


Trace = Callable[[str], None]


def _json(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return None


def _usable_ids(raw: list[Any]) -> list[str]:
    """The non-empty strings of a reply's `ids` (checked in C for the usual all-good list)."""
    if all(map(isinstance, raw, repeat(str))) and all(raw):
        return raw
    return [i for i in raw if isinstance(i, str) and i]


def classify(status: int, content: bytes, headers: Mapping[str, str], secrets: Secrets) -> Reply:
    """Turn an HTTP reply into an Outcome; tolerant of content types and extra fields. The
    server's words in it are masked by ``secrets``."""
    body = _json(content)
    obj = body if isinstance(body, dict) else {}
    raw_ids = obj.get("ids")
    ids = _usable_ids(raw_ids) if isinstance(raw_ids, list) else []
    # a reply's words are the server's: masked here, before they are cut or become a message
    error = secrets.excerpt(obj["error"], MAX_ERROR) if isinstance(obj.get("error"), str) else ""
    if status == 200 and isinstance(raw_ids, list) and not error:
        return Reply(Outcome.ACCEPTED, status, ids, "")  # the usual reply: nothing to quote
    start = snippet(content, secrets, 120)
    if status == 200:
        return Reply(
            Outcome.FATAL,
            status,
            [],
            f"HTTP 200 but not an Event API reply: {start!r}",
            hint="is an Inngest server at the Event API URL (--event-api-url, INNGEST_DEV)?",
        )
    if status in (401, 403):
        return Reply(
            Outcome.FATAL,
            status,
            [],
            error or start or "unauthorized",
            auth=True,
            hint="INNGEST_EVENT_KEY / --event-key must be an event key of this environment",
        )
    if status == 413:
        return Reply(Outcome.TOO_LARGE, status, [], error or "request too large")
    if retryable_status(status):
        return Reply(
            Outcome.RETRY,
            status,
            [],
            error or start or f"HTTP {status}",
            retry_after=parse_retry_after(headers.get("retry-after")),
        )
    redirect = redirect_problem(status, headers, secrets)
    if redirect is not None:
        return Reply(
            Outcome.FATAL,
            status,
            [],
            redirect,
            hint="if that is the Event API, pass its origin as --event-api-url",
        )
    if status == 400 and isinstance(body, dict):
        return Reply(Outcome.REJECTED, status, ids, error or start or "rejected")
    return Reply(
        Outcome.FATAL,
        status,
        [],
        f"HTTP {status}: {error or start}"
        if error or isinstance(body, dict)
        else f"HTTP {status}, not an Inngest Event API reply: {' '.join(start.split())[:60]!r}",
        hint="check the Event API URL (--event-api-url, INNGEST_DEV)",
    )
