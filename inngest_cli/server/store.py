"""SQLite storage for `inngest-cli serve`: events, function runs, apps' functions and bulk
cancellations.

Events are clustered by internal_id (``WITHOUT ROWID``), with one index on (name, internal_id).
There is deliberately no index on ``received_at``: the window query below does not need one, and
each index costs about a third of the insert time.

One connection guarded by one lock (``:memory:`` needs a single connection anyway, and a request
holds the lock only for its one transaction).  WAL with ``synchronous=FULL``: once an insert has
returned, its rows survive a ``kill -9`` of the server or a power cut.

Listing newest-first is ``ORDER BY internal_id DESC`` over a ``received_at`` window.  Scanning the
primary key backwards is fast when the window holds the newest rows, but would walk the whole table
for an old window or the last page.  So the store remembers how far an event's ULID time may be
from its ``received_at`` (``meta``: ``min_skew_ms``/``max_skew_ms``; 0 for the server's own IDs,
the client's clock offset for seeded IDs) and turns the window into an ``internal_id`` range.
That range is read from the database in the same transaction as the events, never cached: several
`serve` processes may share one file, and each must see the others' events.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from inngest_cli.ids import encode_ulid

SCHEMA_VERSION = 1
MEMORY = ":memory:"
_MAX_ULID_MS = (1 << 48) - 1
_ZERO_ENTROPY = bytes(10)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    internal_id TEXT PRIMARY KEY,      -- ULID, what POST /e answers with
    received_at INTEGER NOT NULL,      -- ms since the epoch, server clock
    name        TEXT NOT NULL,
    id          TEXT NOT NULL,         -- the sender's id, else internal_id
    data        TEXT,                  -- JSON object, NULL for null/missing
    user        TEXT,                  -- JSON object, NULL when empty
    ts          INTEGER NOT NULL,      -- ms, receive time when not sent
    v           TEXT                   -- NULL when empty
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_name ON events (name, internal_id);

-- Function runs: nothing writes them yet, GET /v1/runs/{id} and /v1/events/{id}/runs read them.
CREATE TABLE IF NOT EXISTS runs (
    run_id           TEXT PRIMARY KEY,  -- ULID
    event_id         TEXT NOT NULL,     -- events.internal_id of the triggering event
    function_id      TEXT NOT NULL,     -- UUID
    function_version INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL DEFAULT 'Running',
    run_started_at   INTEGER NOT NULL,  -- ms
    ended_at         INTEGER,           -- ms, NULL while running
    output           TEXT,              -- JSON, NULL when absent
    batch_id         TEXT,
    original_run_id  TEXT,
    cron             TEXT
);
CREATE INDEX IF NOT EXISTS runs_event_id ON runs (event_id, run_id);

-- Apps' functions: nothing registers them yet (serve runs no functions), read by
-- GET /v1/apps/{app}/functions and by POST /v1/cancellations to resolve a function.
CREATE TABLE IF NOT EXISTS functions (
    internal_id TEXT PRIMARY KEY,      -- UUID
    app_id      TEXT NOT NULL,         -- the app's internal UUID
    app_name    TEXT NOT NULL,         -- the name the SDK registered the app under
    slug        TEXT NOT NULL,         -- the function's ID as the API shows it
    name        TEXT NOT NULL,
    config      TEXT NOT NULL DEFAULT '{}',  -- JSON
    created_at  INTEGER NOT NULL       -- ms
);
CREATE INDEX IF NOT EXISTS functions_app ON functions (app_name, internal_id);

-- Bulk cancellations (POST/GET /v1/cancellations, DELETE /v1/cancellations/{id}).
CREATE TABLE IF NOT EXISTS cancellations (
    id                   TEXT PRIMARY KEY,  -- ULID
    created_at           INTEGER NOT NULL,  -- ms
    app_id               TEXT NOT NULL,     -- the app's internal UUID
    function_internal_id TEXT NOT NULL,
    function_id          TEXT NOT NULL,     -- the function's slug
    started_after        INTEGER,           -- ms, NULL for no lower bound
    started_before       INTEGER NOT NULL,  -- ms
    expression           TEXT               -- the `if` CEL expression, NULL when none
);

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('min_skew_ms', 0), ('max_skew_ms', 0);
"""

_SET_META = "UPDATE meta SET value = ? WHERE key = ?"
_FUNCTION_COLUMNS = "internal_id, app_id, app_name, slug, name, config, created_at"
_CANCELLATION_COLUMNS = ("id, created_at, app_id, function_internal_id, function_id, "
                         "started_after, started_before, expression")
_TERMINAL = ("Completed", "Failed", "Cancelled", "Overflowed", "Skipped")
_WIDEN_MIN = "UPDATE meta SET value = ? WHERE key = 'min_skew_ms' AND value > ?"
_WIDEN_MAX = "UPDATE meta SET value = ? WHERE key = 'max_skew_ms' AND value < ?"
_SKEW = "SELECT key, value FROM meta WHERE key IN ('min_skew_ms', 'max_skew_ms')"
_EVENT_COLUMNS = "internal_id, received_at, name, id, data, user, ts, v"
_INSERT_EVENT = f"INSERT OR IGNORE INTO events ({_EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)"
# Rows per statement: 800 parameters, under SQLite's smallest default limit (999).
_ROWS_PER_INSERT = 100
_INSERT_EVENTS = _INSERT_EVENT + ",(?,?,?,?,?,?,?,?)" * (_ROWS_PER_INSERT - 1)
_RUN_COLUMNS = ("run_id, run_started_at, function_id, function_version, event_id, batch_id, "
                "original_run_id, cron, status, ended_at, output")

EventRow = tuple[str, int, str, str, str | None, str | None, int, str | None]
"""(internal_id, received_at, name, id, data, user, ts, v), the column order of ``events``."""

RunRow = tuple[str, int, str, int, str, str | None, str | None, str | None, str, int | None,
               str | None]
"""(run_id, run_started_at, function_id, function_version, event_id, batch_id, original_run_id,
cron, status, ended_at, output)."""


FunctionRow = tuple[str, str, str, str, str, str, int]
"""(internal_id, app_id, app_name, slug, name, config, created_at)."""

CancellationRow = tuple[str, int, str, str, str, int | None, int, str | None]
"""(id, created_at, app_id, function_internal_id, function_id, started_after, started_before,
expression)."""


class StoreError(Exception):
    """The database could not be opened or written."""


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/inngest-cli/serve.db``, else ``~/.local/share/inngest-cli/serve.db``."""
    base = os.environ.get("XDG_DATA_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "inngest-cli" / "serve.db"


@dataclass(frozen=True, slots=True)
class EventQuery:
    after_ms: int
    before_ms: int
    limit: int
    cursor: str | None = None
    name: str | None = None


class Store:
    def __init__(self, path: str | Path, *, create_dir: bool = False) -> None:
        """Open (or create) the database at ``path``.  Its directory must exist unless
        ``create_dir``: a mistyped path is an error, not a new directory tree."""
        self.path = str(path) if str(path) == MEMORY else str(Path(path).expanduser())
        if self.path != MEMORY:
            parent = Path(self.path).parent
            if create_dir:
                try:
                    parent.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise StoreError(
                        f"cannot create {parent}: {error.strerror or error}") from error
            elif not parent.is_dir():
                raise StoreError(f"cannot open database {self.path}: "
                                 f"directory {parent} does not exist")
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._setup()
        except sqlite3.Error as error:
            raise StoreError(f"cannot open database {self.path}: {error}") from error
        self._closed = False

    def _setup(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA page_size = 16384")  # new files only: ~20% faster bulk inserts
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA cache_size = -32768")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"schema version {version} is newer than this inngest-cli understands")
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Statement by statement: executescript() would commit the open transaction.
            # (No semicolons in the schema's comments.)
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close the connection; waits for a running transaction to finish first."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    # -- writes ----------------------------------------------------------------------------

    def insert_events(self, rows: Sequence[EventRow], skew_ms: int = 0) -> None:
        """Store ``rows`` in one transaction.  ``skew_ms`` is the rows' ULID time minus their
        ``received_at``.  A row whose internal_id exists already (a retried request with the
        same ID seed) is skipped, so retries do not duplicate events."""
        if not rows:
            return
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(_WIDEN_MIN, (skew_ms, skew_ms))
                    conn.execute(_WIDEN_MAX, (skew_ms, skew_ms))
                    _insert_rows(conn, rows)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise StoreError(f"cannot store events: {error}") from error

    def insert_run(self, row: RunRow) -> None:
        """Store or replace a function run (for the runs feature and for tests)."""
        with self._lock:
            try:
                self._conn.execute(
                    f"INSERT OR REPLACE INTO runs ({_RUN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    row)
            except sqlite3.Error as error:
                raise StoreError(f"cannot store run: {error}") from error

    def cancel_run(self, run_id: str, ended_at: int) -> bool | None:
        """Mark a run Cancelled unless it has finished; None for an unknown run, else whether
        it was cancelled now (False: it had already finished, and is left as it was)."""
        with self._lock:
            try:
                if self._conn.execute("SELECT 1 FROM runs WHERE run_id = ?",
                                      (run_id,)).fetchone() is None:
                    return None
                cursor = self._conn.execute(
                    "UPDATE runs SET status = 'Cancelled', ended_at = ?"
                    f" WHERE run_id = ? AND status NOT IN ({','.join('?' * len(_TERMINAL))})",
                    (ended_at, run_id, *_TERMINAL))
            except sqlite3.Error as error:
                raise StoreError(f"cannot cancel run: {error}") from error
            return cursor.rowcount > 0

    def insert_function(self, row: FunctionRow) -> None:
        """Store or replace an app's function (for tests, until serve registers apps)."""
        with self._lock:
            try:
                self._conn.execute(
                    f"INSERT OR REPLACE INTO functions ({_FUNCTION_COLUMNS})"
                    " VALUES (?,?,?,?,?,?,?)", row)
            except sqlite3.Error as error:
                raise StoreError(f"cannot store function: {error}") from error

    def insert_cancellation(self, row: CancellationRow) -> None:
        with self._lock:
            try:
                self._conn.execute(
                    f"INSERT INTO cancellations ({_CANCELLATION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                    row)
            except sqlite3.Error as error:
                raise StoreError(f"cannot store cancellation: {error}") from error

    def delete_cancellation(self, cancellation_id: str) -> bool:
        """Whether a cancellation with this ID existed (and is now gone)."""
        with self._lock:
            try:
                cursor = self._conn.execute("DELETE FROM cancellations WHERE id = ?",
                                            (cancellation_id,))
            except sqlite3.Error as error:
                raise StoreError(f"cannot delete cancellation: {error}") from error
            return cursor.rowcount > 0

    # -- reads -----------------------------------------------------------------------------

    def list_events(self, query: EventQuery) -> list[EventRow]:
        """Events received in [after_ms, before_ms], newest first by internal_id, internal
        (``inngest/``) names left out."""
        if query.after_ms > query.before_ms:
            return []
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")  # one snapshot for the skew range and the rows
            try:
                skew = dict(conn.execute(_SKEW).fetchall())
                rows = self._list(query, int(skew.get("min_skew_ms", 0)),
                                  int(skew.get("max_skew_ms", 0)))
            finally:
                conn.execute("COMMIT")
            return rows

    def _list(self, query: EventQuery, min_skew: int, max_skew: int) -> list[EventRow]:
        high_ms = query.before_ms + max_skew + 1
        if high_ms <= 0:
            return []
        low = encode_ulid(min(max(0, query.after_ms + min_skew), _MAX_ULID_MS), _ZERO_ENTROPY)
        # "8" sorts after every ULID (whose first character is 0-7).
        high = encode_ulid(high_ms, _ZERO_ENTROPY) if high_ms <= _MAX_ULID_MS else "8"
        if query.cursor is not None and query.cursor < high:
            high = query.cursor
        sql = (f"SELECT {_EVENT_COLUMNS} FROM events"
               " WHERE internal_id >= ? AND internal_id < ?"
               " AND +received_at >= ? AND +received_at <= ?"
               " AND name NOT LIKE 'inngest/%'")
        params: list[object] = [low, high, query.after_ms, query.before_ms]
        if query.name is not None:
            sql += " AND name = ?"
            params.append(query.name)
        sql += " ORDER BY internal_id DESC LIMIT ?"
        params.append(query.limit)
        return self._conn.execute(sql, params).fetchall()

    def get_event(self, internal_id: str) -> EventRow | None:
        with self._lock:
            row: EventRow | None = self._conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE internal_id = ?", (internal_id,)
            ).fetchone()
            return row

    def runs_for_event(self, event_id: str) -> list[RunRow]:
        with self._lock:
            return self._conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE event_id = ? ORDER BY run_id", (event_id,)
            ).fetchall()

    def get_run(self, run_id: str) -> RunRow | None:
        with self._lock:
            row: RunRow | None = self._conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            return row

    def app_functions(self, app_name: str) -> list[FunctionRow]:
        """The functions of the app registered as ``app_name`` (exact match), by internal_id."""
        with self._lock:
            return self._conn.execute(
                f"SELECT {_FUNCTION_COLUMNS} FROM functions WHERE app_name = ?"
                " ORDER BY internal_id", (app_name,)).fetchall()

    def function_by_slug(self, slug: str) -> FunctionRow | None:
        with self._lock:
            row: FunctionRow | None = self._conn.execute(
                f"SELECT {_FUNCTION_COLUMNS} FROM functions WHERE slug = ?"
                " ORDER BY internal_id LIMIT 1", (slug,)).fetchone()
            return row

    def list_cancellations(self) -> list[CancellationRow]:
        with self._lock:
            return self._conn.execute(
                f"SELECT {_CANCELLATION_COLUMNS} FROM cancellations ORDER BY id").fetchall()

    def count_events(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM events").fetchone()[0])


def _insert_rows(conn: sqlite3.Connection, rows: Sequence[EventRow]) -> None:
    """``rows`` a hundred to a statement.  sqlite3 gives up the GIL at every step, so
    ``executemany`` hands it over once per row to any thread that wants it, the server's loop
    thread reading the next requests among them, and waits each time to get it back."""
    whole = len(rows) - len(rows) % _ROWS_PER_INSERT
    execute = conn.execute
    for start in range(0, whole, _ROWS_PER_INSERT):
        execute(_INSERT_EVENTS, list(chain.from_iterable(rows[start:start + _ROWS_PER_INSERT])))
    conn.executemany(_INSERT_EVENT, rows[whole:])
