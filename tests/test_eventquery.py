"""`events list`'s query from its flags (`EventQuery.from_flags`), in process; the end-to-end
tests in test_events.py read it through the real CLI and REST API."""

from __future__ import annotations

import pytest

from inngest_cli.errors import UsageError
from inngest_cli.eventquery import EventQuery

NOW = 1_764_000_000_000  # epoch ms
HOUR = 3_600_000


def test_relative_window_is_fixed_against_one_now() -> None:
    query = EventQuery.from_flags(name="app/a", since="2h", until="1h", limit=5, now=NOW)
    assert query == EventQuery("app/a", NOW - 2 * HOUR, NOW - HOUR, 5)


def test_until_defaults_to_now() -> None:
    query = EventQuery.from_flags(name=None, since="1h", until=None, limit=0, now=NOW)
    assert (query.received_after, query.received_before) == (NOW - HOUR, NOW)


def test_absolute_times() -> None:
    query = EventQuery.from_flags(
        name=None,
        since="2025-11-23T10:00:00Z",
        until="1764000000000",
        limit=0,
        now=NOW,
    )
    assert (query.received_after, query.received_before) == (1_763_892_000_000, NOW)


def test_a_one_instant_window_is_not_empty() -> None:
    query = EventQuery.from_flags(name=None, since=str(NOW), until=str(NOW), limit=0, now=NOW)
    assert query.received_after == query.received_before == NOW


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("1h", "2h", "--since is later than --until: the window is empty"),
        ("", None, "--since: empty time value"),
        ("1h", " ", "--until: empty time value"),
    ],
)
def test_refused(since: str, until: str | None, message: str) -> None:
    with pytest.raises(UsageError) as info:
        EventQuery.from_flags(name=None, since=since, until=until, limit=0, now=NOW)
    assert info.value.message == message
