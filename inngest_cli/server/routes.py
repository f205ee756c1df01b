"""What `inngest-cli serve` answers: the route table and its handlers (Event API and REST v1).

A handler is a plain function ``handler(services, request) -> Response``: ``services`` holds the
store and the ID allocator, ``request.params`` the path parameters named in its pattern.  Adding a
route is one line in :data:`ROUTES` and one function; the HTTP layer (`server/http.py`) and the
dispatch around the table (`server/app.py`: 404, 405 with ``Allow``, the signing key on
``/v1/...``, CORS) need no change.  A pattern is matched segment by segment; ``{name}`` matches
one non-empty segment, percent-decoded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from inngest_cli.ids import SEED_HEADER, IdSeed
from inngest_cli.jsontext import go_json
from inngest_cli.server import v1format
from inngest_cli.server.http import Request, Response
from inngest_cli.server.ingest import IdAllocator, parse_body
from inngest_cli.server.store import EventQuery, EventRow, Store, StoreError
from inngest_cli.timeparse import now_ms, parse_go_time_ms

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
NOT_FOUND = Response(404, b"404 page not found\n", TEXT)

_EVENT_KEY_NOT_FOUND = b'{"status":401,"message":"","error":"Event key not found"}\n'
_HEALTH = b'{"status":200,"message":"OK"}\n'


@dataclass(frozen=True)
class Services:
    """What handlers share: the database, the ID allocator, the accepted event keys (empty: any
    key), and the lock that takes event posts one at a time (see :func:`post_events`)."""

    store: Store
    ids: IdAllocator
    event_keys: frozenset[str]
    ingest: threading.Lock = field(default_factory=threading.Lock, compare=False)


Handler = Callable[[Services, Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.pattern.split("/")[1:])


# -- helpers for the REST v1 shapes -----------------------------------------------------------


def ok(data: Any, cache_seconds: int | None = None) -> Response:
    """A REST v1 success envelope (``Cache-Control`` as Inngest sends it for that route)."""
    headers = ((("Cache-Control", f"private, max-age={cache_seconds}"),)
               if cache_seconds else ())
    return Response(200, v1format.envelope(data, cache_seconds), JSON, headers)


def error(status: int, message: str) -> Response:
    """A REST v1 error body."""
    return Response(status, v1format.error_body(message, status), JSON)


# -- GET /health, POST /e/{key} ---------------------------------------------------------------


def health(services: Services, request: Request) -> Response:
    return Response(200, _HEALTH, JSON)


def post_events(services: Services, request: Request) -> Response:
    """Parse, validate and store one post of events, one post at a time.

    The work is Python under one GIL and SQLite has one writer, so posts handled side by side
    only take turns; each then waits for all of them, and the turns (cache misses, hand-offs of
    the GIL with the loop thread reading the next bodies) cost the server ~8% more CPU per event
    with four clients posting at once (bench/bulk.py's sink CPU).  Taken one at a time, a post
    is answered as soon as it is stored, and the order of internal IDs and ``received_at`` is
    the order posts were taken.  The HTTP layer hands every post to one thread, in the order
    the posts were read (`App.serial`); the lock keeps them one at a time for any other caller.
    The loop thread still reads every connection meanwhile, and other routes wait for neither."""
    if services.event_keys and request.params["key"] not in services.event_keys:
        return Response(401, _EVENT_KEY_NOT_FOUND, JSON)
    with services.ingest:
        return _store_post(services, request)


def _store_post(services: Services, request: Request) -> Response:
    received = now_ms()
    accepted, problem = parse_body(request.body)
    ids: list[str] = []
    if accepted:
        ids, id_ms = services.ids.allocate(len(accepted), received, _seed(request))
        rows: list[EventRow] = [
            (iid, received, name, event_id or iid, data, user, ts or received, v)
            for iid, (name, event_id, data, user, ts, v) in zip(ids, accepted, strict=True)]
        try:
            services.store.insert_events(rows, id_ms - received)
        except StoreError as store_error:
            # Not Inngest's 400: a storage failure is the server's fault and worth a retry
            # (retries with the same ID seed do not duplicate events).
            return Response(500, go_json(
                {"ids": [""], "status": 500, "error": str(store_error)}), TEXT, note=" 0 events")
    status = 400 if problem else 200
    payload: dict[str, Any] = {"ids": ids or [""], "status": status}
    if problem:
        payload["error"] = problem
    # Inngest sets no Content-Type here; Go's sniffing makes it text/plain.
    note = f" {len(ids)} event{'' if len(ids) == 1 else 's'}"
    return Response(status, go_json(payload), TEXT, note=note)


def _seed(request: Request) -> IdSeed | None:
    header = request.headers.get(SEED_HEADER)
    if header is not None and len(header) > 64:  # no valid seed is longer
        return None
    return IdSeed.parse(header)


# -- GET /v1/... ------------------------------------------------------------------------------


def list_events(services: Services, request: Request) -> Response:
    query = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
    cursor = None
    if query.get("cursor"):
        cursor = v1format.parse_ulid(query["cursor"])
        if cursor is None:
            return error(400, "Invalid cursor query parameter")
    now = now_ms()
    after, before = now - v1format.DEFAULT_WINDOW_MS, now
    if query.get("received_after"):
        parsed = parse_go_time_ms(query["received_after"])
        if parsed is None:
            return error(400, "Invalid received_after query parameter")
        after = parsed
    if query.get("received_before"):
        parsed = parse_go_time_ms(query["received_before"])
        if parsed is None:  # sic: Inngest names the wrong parameter
            return error(400, "Invalid received_after query parameter")
        before = parsed
    rows = services.store.list_events(EventQuery(
        after_ms=after, before_ms=before, limit=v1format.parse_limit(query.get("limit")),
        cursor=cursor, name=query.get("name") or None))
    return ok([v1format.event_object(row) for row in rows])


def get_event(services: Services, request: Request) -> Response:
    internal_id = v1format.parse_ulid(request.params["id"])
    if internal_id is None:
        return error(400, f"Invalid event ID: {request.params['id']}")
    row = services.store.get_event(internal_id)
    if row is None:
        return error(404, "Event not found")
    return ok(v1format.event_object(row), 5)


def event_runs(services: Services, request: Request) -> Response:
    internal_id = v1format.parse_ulid(request.params["id"])
    if internal_id is None:
        return error(400, f"Invalid event ID: {request.params['id']}")
    return ok([v1format.run_object(r) for r in services.store.runs_for_event(internal_id)], 15)


def get_run(services: Services, request: Request) -> Response:
    run_id = v1format.parse_ulid(request.params["id"])
    if run_id is None:
        return error(400, f"Invalid run ID: {request.params['id']}")
    run = services.store.get_run(run_id)
    if run is None:
        return error(500, f"Unable to load function run: {run_id}")
    return ok(v1format.run_object(run), 3)


# -- run operations: serve runs no functions (no queued jobs; cancellations are kept) ---------


def _answer(answer: v1format.Answer) -> Response:
    status, body, content_type, headers = answer
    return Response(status, body, content_type, headers)


def cancel_run(services: Services, request: Request) -> Response:
    return _answer(v1format.cancel_run(request.params["id"], services.store))


def run_jobs(services: Services, request: Request) -> Response:
    return _answer(v1format.run_jobs(request.params["id"], services.store))


def app_functions(services: Services, request: Request) -> Response:
    return _answer(v1format.app_functions(request.params["app"], services.store))


def create_cancellation(services: Services, request: Request) -> Response:
    return _answer(v1format.create_cancellation(request.body, services.store))


def list_cancellations(services: Services, request: Request) -> Response:
    return _answer(v1format.list_cancellations(services.store))


def delete_cancellation(services: Services, request: Request) -> Response:
    return _answer(v1format.delete_cancellation(request.params["id"], services.store))


ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", health),
    Route("POST", "/e/{key}", post_events),
    Route("GET", "/v1/events", list_events),
    Route("GET", "/v1/events/{id}", get_event),
    Route("GET", "/v1/events/{id}/runs", event_runs),
    Route("GET", "/v1/runs/{id}", get_run),
    Route("DELETE", "/v1/runs/{id}", cancel_run),
    Route("GET", "/v1/runs/{id}/jobs", run_jobs),
    Route("GET", "/v1/apps/{app}/functions", app_functions),
    Route("POST", "/v1/cancellations", create_cancellation),
    Route("GET", "/v1/cancellations", list_cancellations),
    Route("DELETE", "/v1/cancellations/{id}", delete_cancellation),
)
"""Every route `serve` answers.  Paths under ``/v1/`` require the signing key when one is set."""
