"""The event `send` builds from its flags (`flagevent.flag_event`), in process: what it holds,
and each problem as a usage error naming its flag. test_send_flag_event.py and test_send.py send
such events through the real CLI."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from inngest_cli.errors import UsageError
from inngest_cli.flagevent import flag_event
from inngest_cli.sendjob import SendJob, Stdin, plan


def built(**options: Any) -> dict[str, Any]:
    job = SendJob(**options)
    event = flag_event(job, plan(job, Stdin()).shaping)
    parsed: dict[str, Any] = orjson.loads(event.body)
    return parsed


def refused(**options: Any) -> str:
    job = SendJob(**options)
    with pytest.raises(UsageError) as info:
        flag_event(job, plan(job, Stdin()).shaping)
    return info.value.message


def test_name_alone_has_empty_data() -> None:
    assert built(name="app/a") == {"name": "app/a", "data": {}}


def test_flags_then_items_over_them() -> None:
    event = built(
        name="app/a",
        data='{"plan": "free", "n": 1}',
        user='{"id": "u1"}',
        event_id="dedup-1",
        v="2",
        ts="1700000000000",
        items=("data.plan=pro", "data.count:=3", "user.email=a@example.com"),
    )
    assert event == {
        "name": "app/a",
        "data": {"plan": "pro", "n": 1, "count": 3},
        "user": {"id": "u1", "email": "a@example.com"},
        "id": "dedup-1",
        "v": "2",
        "ts": 1700000000000,
    }


def test_data_from_a_file_and_from_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "d.json").write_text('{"from": "file"}', encoding="utf-8")
    assert built(name="app/a", data=f"@{tmp_path / 'd.json'}")["data"] == {"from": "file"}
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"from": "stdin"}'))
    assert built(name="app/a", user="@-")["user"] == {"from": "stdin"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": ""}, "--name: event name is empty"),
        ({"name": "app/\udcff"}, "--name: not valid UTF-8"),
        ({"name": "app/a", "event_id": "x\udcff"}, "--id: not valid UTF-8"),
        ({"name": "app/a", "data": "[1]"}, "--data: must be a JSON object, not an array"),
        ({"name": "app/a", "user": "7"}, "--user: must be a JSON object, not a number"),
        (
            {"name": "app/a", "data": "@/nonexistent/d.json"},
            "--data: cannot read /nonexistent/d.json: No such file or directory",
        ),
        (
            {"name": "app/a", "data": "{bad"},
            "--data: not valid JSON (unexpected character, expected a string key (column 2))",
        ),
    ],
)
def test_problems_name_their_flag(options: dict[str, Any], message: str) -> None:
    assert refused(**options) == message


def test_a_file_read_for_data_is_named_as_the_source(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text("[]", encoding="utf-8")
    assert refused(name="app/a", data=f"@{path}") == f"{path}: must be a JSON object, not an array"


def test_stdin_read_for_user_is_named_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("  \n"))
    assert refused(name="app/a", user="@-") == (
        "--user (stdin): empty; give a JSON object, e.g. --user '{\"plan\": \"pro\"}'"
    )
