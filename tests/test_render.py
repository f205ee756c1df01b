"""Rendering of events and runs, in-process: colour only on a terminal, widths, previews."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from inngest_cli.apiobjects import field, format_duration, run_duration_ms, status
from inngest_cli.cli import render
from inngest_cli.cli.context import RunContext, bound
from inngest_cli.timeparse import parse_rfc3339_ms

RUN = {
    "run_id": "01JQDAE5B6R2C9XK7M2YV3TQ4N",
    "run_started_at": "2026-11-23T10:00:00.100Z",
    "function_id": "9f3c1a52-6f0e-4a53-9b7e-0c1d2e3f4a5b",
    "event_id": "01JQDAE4RQF8MBCR55T5AK4KXS",
    "status": "Failed",
    "ended_at": "2026-11-23T10:00:04.300Z",
    "output": {"error": "boom"},
}


@pytest.fixture(autouse=True)
def run() -> Iterator[RunContext]:
    """The renderers run under a command: here, of a run of our own."""
    with bound(RunContext(environ={})) as run:
        yield run


@pytest.fixture
def terminal(run: RunContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "80")


def test_status_is_coloured_on_a_terminal(terminal: None, capsys: Any) -> None:
    render.runs_table([RUN])
    out = capsys.readouterr().out
    assert "\x1b[1;31mFailed" in out
    assert RUN["run_id"] in out


def test_no_color_turns_colour_off(terminal: None, run: RunContext, capsys: Any) -> None:
    run.no_color = True
    render.runs_table([RUN])
    render.run_detail(RUN)
    assert "\x1b[" not in capsys.readouterr().out


def test_a_narrow_terminal_wraps_lines_rather_than_cut_ids(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    render.events_table(
        [{"internal_id": RUN["event_id"], "name": "app/x", "received_at": RUN["ended_at"]}]
    )
    assert RUN["event_id"] in capsys.readouterr().out


def test_tail_line_fits_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    event = {
        "internal_id": RUN["event_id"],
        "name": "app/x",
        "received_at": "2026-11-23T10:00:00Z",
        "data": {"long": "x" * 200},
    }
    line = render.event_line(event)
    assert line.startswith(f'10:00:00  {RUN["event_id"]}  app/x  {{"long":')
    assert len(line.rstrip("\n")) == 80 and line.endswith("…\n")


def test_preview_is_cut() -> None:
    assert render.preview(None) == ""
    assert render.preview({"a": 1}) == '{"a":1}'
    assert len(render.preview("x" * 1000)) == render.PREVIEW_CHARS + 1


def test_line_separators_are_escaped_in_json_lines() -> None:
    assert render.json_line({"s": "a\u2028b"}) == '{"s":"a\\u2028b"}\n'


@pytest.mark.parametrize(
    ("ms", "text"),
    [(None, ""), (312, "312 ms"), (4_200, "4.2 s"), (192_000, "3m 12s"), (7_500_000, "2h 05m")],
)
def test_durations(ms: int | None, text: str) -> None:
    assert format_duration(ms) == text


def test_run_fields_tolerate_camel_case_and_case() -> None:
    camel = {
        "runID": "R",
        "runStartedAt": "2026-11-23T10:00:00Z",
        "status": "COMPLETED",
        "endedAt": "2026-11-23T10:00:01.5+00:00",
    }
    assert field(camel, "run_id") == "R"
    assert status(camel) == "Completed"
    assert run_duration_ms(camel) == 1500
    assert run_duration_ms(RUN) == 4200
    running = {**RUN, "status": "Running", "ended_at": None}
    assert run_duration_ms(running) is None
    started = parse_rfc3339_ms(RUN["run_started_at"])
    assert started is not None and run_duration_ms(running, started + 50) == 50
    assert parse_rfc3339_ms("2026-11-23T10:00:00.123456789Z") == parse_rfc3339_ms(
        "2026-11-23T10:00:00.123Z"
    )
