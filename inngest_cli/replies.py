"""What a `POST /e/{key}` reply means, independent of the HTTP library.

Success means HTTP 200 *and* a JSON body with an `ids` list (reference §4): a Dev Server's UI
fallback answers 200 with HTML to a mistyped URL, and must not count as sent.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson


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


def classify(status: int, content: bytes, headers: Mapping[str, str]) -> Reply:
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
    # 501 (a plain web server that does not take POST) will not change on a retry.
    if status == 429 or (status >= 500 and status != 501):
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
        f"HTTP {status}: {error or snippet}"
        if error or isinstance(body, dict)
        else f"HTTP {status}, not an Inngest Event API reply: {' '.join(snippet.split())[:60]!r}",
        hint="check the Event API URL (--event-api-url, INNGEST_DEV)",
    )
