"""`inngest-cli send` end to end: the real CLI as a subprocess against a real `serve` (or the
fault-injecting server when a test needs to see the wire or a misbehaving reply)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inngest_cli.ids import IdSeed, is_ulid
from inngest_cli.timeparse import now_ms
from tests.conftest import ServeProcess, run_cli

DEV = ["send", "--dev", "--no-progress"]


def send(serve: ServeProcess, *args: str, **kwargs: Any) -> Any:
    return run_cli(*DEV, "--event-api-url", serve.url, *args, **kwargs)


def only_event(serve: ServeProcess) -> dict[str, Any]:
    events = serve.events()
    assert len(events) == 1, events
    return events[0]


# --- one event from flags -----------------------------------------------------------------


def test_send_from_flags_prints_json_ids_when_piped(serve: ServeProcess) -> None:
    result = send(
        serve,
        "--name",
        "app/user.signup",
        "data.email=ada@example.com",
        'data.plan:="pro"',
        "data.seats:=3",
        "data.flags.beta:=true",
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    stored = only_event(serve)
    assert out == {"ids": [stored["internal_id"]], "sent": 1, "failed": 0}
    assert stored["name"] == "app/user.signup"
    assert stored["data"] == {
        "email": "ada@example.com",
        "plan": "pro",
        "seats": 3,
        "flags": {"beta": True},
    }
    assert "sent 1 event in 1 request (0 retries), 0 failed" in result.stderr


def test_data_json_and_items_merge_over_it(serve: ServeProcess) -> None:
    result = send(serve, "--name", "app/a", "--data", '{"a": 1, "b": {"c": 2}}', "data.b.d=x")
    assert result.returncode == 0, result.stderr
    assert only_event(serve)["data"] == {"a": 1, "b": {"c": 2, "d": "x"}}


def test_data_and_user_from_files(serve: ServeProcess, tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text('{"invoice": 42}')
    (tmp_path / "user.json").write_text('{"external_id": "u1"}')
    result = send(
        serve,
        "--name",
        "app/a",
        "--data",
        f"@{tmp_path / 'data.json'}",
        "--user",
        f"@{tmp_path / 'user.json'}",
    )
    assert result.returncode == 0, result.stderr
    event = only_event(serve)
    assert event["data"] == {"invoice": 42}
    assert event["user"] == {"external_id": "u1"}


def test_data_from_stdin(serve: ServeProcess) -> None:
    result = send(serve, "--name", "app/a", "--data", "@-", input='{"from": "stdin"}')
    assert result.returncode == 0, result.stderr
    assert only_event(serve)["data"] == {"from": "stdin"}


def test_id_v_user_and_ts_flags(serve: ServeProcess) -> None:
    result = send(
        serve,
        "--name",
        "app/a",
        "--id",
        "order-1",
        "--v",
        "2024-05-15.1",
        "--user",
        '{"email": "a@b.c"}',
        "--ts",
        "1684274328198",
    )
    assert result.returncode == 0, result.stderr
    event = only_event(serve)
    assert (event["id"], event["v"], event["user"], event["ts"]) == (
        "order-1",
        "2024-05-15.1",
        {"email": "a@b.c"},
        1684274328198,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-23T10:00:00Z", 1795428000000),
        ("2026-11-23T11:00:00+01:00", 1795428000000),
        ("2026-11-23", 1795392000000),
    ],
)
def test_ts_iso(serve: ServeProcess, value: str, expected: int) -> None:
    assert send(serve, "--name", "app/a", "--ts", value).returncode == 0
    assert only_event(serve)["ts"] == expected


def test_ts_relative_schedules_in_the_future(serve: ServeProcess) -> None:
    before = now_ms()
    assert send(serve, "--name", "app/a", "--ts", "+10m").returncode == 0
    ts = only_event(serve)["ts"]
    assert before + 600_000 <= ts <= now_ms() + 600_000


def test_ts_relative_past(serve: ServeProcess) -> None:
    before = now_ms()
    assert send(serve, "--name", "app/a", "--ts", "-2h").returncode == 0
    ts = only_event(serve)["ts"]
    assert before - 7_200_000 <= ts <= now_ms() - 7_200_000


# --- output formats -----------------------------------------------------------------------


def test_output_ids(serve: ServeProcess) -> None:
    result = send(serve, "--name", "app/a", "-o", "ids")
    assert result.returncode == 0
    assert result.stdout == only_event(serve)["internal_id"] + "\n"


def test_output_ndjson(serve: ServeProcess) -> None:
    result = send(serve, "--name", "app/a", "-o", "ndjson")
    assert json.loads(result.stdout) == {"line": None, "id": only_event(serve)["internal_id"]}


def test_output_ndjson_gives_each_array_element_its_index(serve: ServeProcess) -> None:
    """Both elements of a one-line array start on line 1; `element` tells them apart."""
    data = '[{"name":"app/a"},{"name":"app/b"}]\n{"name":"app/c"}\n[\n {"name":"app/d"}]\n'
    result = send(serve, "-o", "ndjson", "--format", "json", input=data)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    by_name = {event["name"]: event["internal_id"] for event in serve.events()}
    assert records == [
        {"line": 1, "element": 0, "id": by_name["app/a"]},
        {"line": 1, "element": 1, "id": by_name["app/b"]},
        {"line": 2, "id": by_name["app/c"]},
        {"line": 4, "element": 0, "id": by_name["app/d"]},
    ]


def test_dry_run_json_is_the_plan_as_one_object(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text("".join(f'{{"name":"app/{n}"}}\n' for n in range(3)))
    result = run_cli(*DEV, "--dry-run", "--max-batch", "2", "-o", "json", str(source))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "requests": [
            {"request": 1, "events": 2, "bytes": 35, "first": {"source": str(source), "line": 1},
             "last": {"source": str(source), "line": 2}},
            {"request": 2, "events": 1, "bytes": 18, "first": {"source": str(source), "line": 3},
             "last": {"source": str(source), "line": 3}},
        ],
        "valid": 3,
        "invalid": 0,
    }
    assert result.stderr == "dry run: 3 events valid in 2 requests, 0 invalid; nothing was sent\n"


def test_dry_run_ndjson_is_one_object_per_request_and_verbose_adds_the_request() -> None:
    result = run_cli(*DEV, "--dry-run", "--verbose", "-o", "ndjson", "--name", "app/a")
    assert result.returncode == 0, result.stderr
    [plan] = [json.loads(line) for line in result.stdout.splitlines()]
    seed = plan["headers"].pop("x-inngest-event-id-seed")
    assert seed.count(",") == 1
    assert plan == {
        "request": 1, "events": 1, "bytes": 28,
        "first": {"source": "flags", "line": None}, "last": {"source": "flags", "line": None},
        "url": "http://127.0.0.1:8288/e/****_SET",
        "headers": {"Content-Type": "application/json"},
        "body": [{"name": "app/a", "data": {}}],
    }


def test_output_table(serve: ServeProcess) -> None:
    result = send(serve, "--name", "app/a", "--id", "order-1", "-o", "table", env={"COLUMNS": "80"})
    assert result.returncode == 0
    event_id = only_event(serve)["internal_id"]
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["EVENT", "ID", "EVENT", "ID"]
    assert lines[1].split() == ["app/a", "order-1", event_id]
    assert "\x1b[" not in result.stdout  # no colour codes when not a terminal... unless asked


def test_bad_output_value_is_a_usage_error(serve: ServeProcess) -> None:
    result = send(serve, "--name", "app/a", "-o", "yaml")
    assert result.returncode == 2
    assert result.stderr == "error: --output: 'yaml' is not one of table, json, ndjson, ids\n"
    assert serve.events() == []


# --- whole events from files and stdin -----------------------------------------------------


def test_object_on_stdin(serve: ServeProcess) -> None:
    result = send(serve, input='{\n  "name": "app/a",\n  "data": {"x": 1}\n}\n')
    assert result.returncode == 0, result.stderr
    assert only_event(serve)["data"] == {"x": 1}


def test_array_from_file_keeps_input_order(serve: ServeProcess, tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_text(json.dumps([{"name": "app/a", "data": {"n": i}} for i in range(5)], indent=2))
    result = send(serve, "--file", str(path))
    assert result.returncode == 0, result.stderr
    ids = json.loads(result.stdout)["ids"]
    stored = {e["internal_id"]: e["data"]["n"] for e in serve.events()}
    assert [stored[i] for i in ids] == [0, 1, 2, 3, 4]


def test_name_with_stdin_records_as_data(serve: ServeProcess) -> None:
    result = send(
        serve,
        "--name",
        "app/user.imported",
        "--id-field",
        "uid",
        input='{"uid": "u1", "plan": "pro"}\n{"uid": "u2"}\n',
    )
    assert result.returncode == 0, result.stderr
    events = sorted(serve.events(), key=lambda e: e["id"])
    assert [(e["name"], e["id"], e["data"]) for e in events] == [
        ("app/user.imported", "u1", {"uid": "u1", "plan": "pro"}),
        ("app/user.imported", "u2", {"uid": "u2"}),
    ]


def test_python_dash_m_works(serve: ServeProcess) -> None:
    assert run_cli("--version").stdout.startswith("inngest-cli ")


# --- validation: one test per error; exact message, exit code, and nothing sent -----------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", ""], "error: --name: event name is empty\n"),
        (
            ["--name", "inngest/x"],
            "error: --name: event name is reserved for internal use: inngest/x\n",
        ),
        (
            ["--name", "INNGEST/Fn.Finished"],
            "error: --name: event name is reserved for internal use: INNGEST/Fn.Finished\n",
        ),
        (["--name", "a", "--data", "[1]"], "error: --data: must be a JSON object, not an array\n"),
        (
            ["--name", "a", "--data", "{nope"],
            "error: --data: not valid JSON (unexpected character, expected a string key "
            "(column 2))\n",
        ),
        (["--name", "a", "--user", '"x"'], "error: --user: must be a JSON object, not a string\n"),
        (
            ["--name", "a", "--data", "@/nonexistent/d.json"],
            "error: --data: cannot read /nonexistent/d.json: No such file or directory\n",
        ),
        (
            ["--name", "a", "--ts", "1700000000"],
            "error: --ts: 1700000000 looks like seconds; "
            "Inngest wants milliseconds (1700000000000)\n",
        ),
        (
            ["--name", "a", "--ts", "yesterday"],
            "error: --ts: 'yesterday' is not epoch milliseconds, "
            "an ISO-8601 time (2026-11-23T10:00:00Z) "
            "or a relative time (+10m, -2h)\n",
        ),
        (["--name", "a", "--ts", "4102444800001"], "error: --ts: timestamp is after Jan 1, 2100\n"),
        (["--name", "a", "--ts", "100000000000"], "error: --ts: timestamp is before Jan 1, 1980\n"),
        (
            ["--name", "a", "count:=1"],
            "error: field item 'count:=1': path must start with data. or user.\n"
            "hint: e.g. data.count:=1\n",
        ),
        (
            ["--name", "a", "data.n:=bogus"],
            "error: field item 'data.n:=bogus': value is not valid JSON "
            "(unexpected character, expected a "
            "JSON value (column 1))\n",
        ),
        (
            ["--name", "a", "data.a=1", "data.a.b=2"],
            "error: field item 'data.a.b=2': data.a is not an object, cannot set a key in it\n",
        ),
        (
            ["--name", "a", "--max-event-bytes", "20", "data.text=" + "x" * 40],
            "error: event is 71 bytes, over the max event size of 20 bytes\n"
            "hint: the limit is 3 MiB on self-hosted servers and paid Cloud plans, 256 KiB on\n"
            "      Cloud's free plan (--max-event-bytes)\n",
        ),
    ],
)
def test_flag_validation_errors(serve: ServeProcess, args: list[str], message: str) -> None:
    result = send(serve, *args)
    assert result.stderr == message
    assert result.returncode == 2
    assert result.stdout == ""
    assert serve.events() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"name": ""}', "error: stdin:1: event name is empty"),
        ('{"data": {}}', "error: stdin:1: event name is empty"),
        (
            '{"name": "inngest/x"}',
            "error: stdin:1: event name is reserved for internal use: inngest/x",
        ),
        ('{"name": "a", "data": "x"}', "error: stdin:1: data must be an object, not a string"),
        ('{"name": "a", "data": []}', "error: stdin:1: data must be an object, not an array"),
        ('{"name": "a", "user": 1}', "error: stdin:1: user must be an object, not a number"),
        ('{"name": 1}', "error: stdin:1: name must be a string, not a number"),
        ('{"name": "a", "id": 1}', "error: stdin:1: id must be a string, not a number"),
        ('{"name": "a", "v": 1}', "error: stdin:1: v must be a string, not a number"),
        (
            '{"name": "a", "ts": "1"}',
            "error: stdin:1: ts must be an integer (milliseconds since the epoch), not a string",
        ),
        (
            '{"name": "a", "ts": 1.5}',
            "error: stdin:1: ts must be an integer (milliseconds since the epoch), not a number",
        ),
        (
            '{"name": "a", "ts": 1700000000}',
            "error: stdin:1: timestamp is before Jan 1, 1980\n"
            "hint: 1700000000 looks like seconds; Inngest wants milliseconds (1700000000000)",
        ),
        ('{"name": "a", "ts": 4102444800001}', "error: stdin:1: timestamp is after Jan 1, 2100"),
        ('[{"name": "a"},\n 1]', "error: stdin:2: event must be a JSON object, not a number"),
        ('"hello"', "error: stdin:1: event must be a JSON object, not a string"),
        ('{"name": "a"', "error: stdin:1: invalid JSON: Expecting ',' delimiter (column 13)"),
    ],
)
def test_input_validation_errors(serve: ServeProcess, body: str, message: str) -> None:
    result = send(serve, "--on-error", "stop", input=body)
    assert message + "\n" in result.stderr, result.stderr
    assert result.returncode == 1
    assert serve.events() == []


def test_invalid_event_in_a_file_names_the_file_and_line(
    serve: ServeProcess, tmp_path: Path
) -> None:
    path = tmp_path / "users.ndjson"
    path.write_text('{"name": "a"}\n\n{"name": ""}\n')
    result = send(serve, str(path), "--on-error", "stop")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: {path}:1: not sent: stopped at the error at {path}:3\n"
        f"error: {path}:3: event name is empty\n"
    )
    assert serve.events() == []


def test_missing_input_file(serve: ServeProcess) -> None:
    result = send(serve, "/nonexistent/events.ndjson")
    assert result.returncode == 1
    assert (
        result.stderr
        == "error: /nonexistent/events.ndjson: cannot read: No such file or directory\n"
    )


def test_nothing_to_send_is_a_usage_error() -> None:
    result = run_cli("send", "--dev")
    assert result.returncode == 2
    assert result.stderr.startswith("error: nothing to send: give --name NAME")


def test_items_cannot_mix_with_input_files(serve: ServeProcess, tmp_path: Path) -> None:
    path = tmp_path / "e.ndjson"
    path.write_text('{"name": "a"}\n')
    result = send(serve, str(path), "data.x=1")
    assert result.returncode == 2
    assert serve.events() == []


# --- configuration and the wire ------------------------------------------------------------


def test_cloud_mode_without_key_fails_before_any_traffic(fault_server: Any) -> None:
    server = fault_server()
    result = run_cli("send", "--event-api-url", server.url, "--name", "app/a")
    assert result.returncode == 2
    assert result.stderr == (
        "error: no event key: set INNGEST_EVENT_KEY or pass --event-key\n"
        "hint: for a local Dev Server or `inngest-cli serve`, pass --dev or INNGEST_DEV=1\n"
    )
    assert server.state()["requests"] == 0


def test_headers_key_env_and_seed_on_the_wire(fault_server: Any) -> None:
    server = fault_server()
    key = "evt-key-0123456789abcdef"
    result = run_cli(
        "send",
        "--event-api-url",
        server.url,
        "--name",
        "app/a",
        "--env",
        "feature/x",
        env={"INNGEST_EVENT_KEY": key},
    )
    assert result.returncode == 0, result.stderr
    seen = server.state()["seen"][0]
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert seen["path"] == f"/e/{key}"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("inngest-cli/")
    assert headers["x-inngest-env"] == "feature/x"
    seed = IdSeed.parse(headers["x-inngest-event-id-seed"])
    assert seed is not None
    assert json.loads(result.stdout)["ids"] == [seed.event_id(1)]
    assert key not in result.stdout + result.stderr


def test_event_key_flag_beats_environment(fault_server: Any) -> None:
    server = fault_server()
    result = run_cli(
        "send",
        "--event-api-url",
        server.url,
        "--name",
        "app/a",
        "--event-key",
        "flagkey",
        env={"INNGEST_EVENT_KEY": "envkey", "INNGEST_ENV": "from-env"},
    )
    assert result.returncode == 0, result.stderr
    seen = server.state()["seen"][0]
    assert seen["path"] == "/e/flagkey"
    assert {k.lower(): v for k, v in seen["headers"].items()}["x-inngest-env"] == "from-env"


def test_inngest_dev_url_sets_the_origin(fault_server: Any) -> None:
    server = fault_server()
    result = run_cli("send", "--name", "app/a", env={"INNGEST_DEV": server.url})
    assert result.returncode == 0, result.stderr
    assert server.state()["seen"][0]["path"] == "/e/NO_EVENT_KEY_SET"


def test_401_says_the_key_was_rejected_and_masks_it(serve_factory: Any) -> None:
    server = serve_factory("--event-key", "good-key-000000000001")
    result = run_cli(
        "send",
        "--event-api-url",
        server.url,
        "--name",
        "app/a",
        "--event-key",
        "wrong-key-99999999abcd",
    )
    assert result.returncode == 3
    assert (
        f"error: the event key was rejected by {server.url}/e/****abcd: Event key not found "
        "(1 event not sent)\n"
    ) in result.stderr
    assert "wrong-key-99999999abcd" not in result.stdout + result.stderr
    assert server.events() == []


def test_400_shows_the_server_error_and_accepted_ids(fault_server: Any) -> None:
    server = fault_server()
    body = '[{"name": "app/a"}, {"name": "fault/reject"}]'
    result = run_cli(*DEV, "--event-api-url", server.url, "-o", "ids", input=body)
    assert result.returncode == 6
    state = server.state()
    assert result.stdout == state["ids"][0] + "\n"
    assert "error: stdin:1: event rejected by the fault server\n" in result.stderr


def test_non_json_200_is_not_success(fault_server: Any) -> None:
    server = fault_server("--faults", "html")
    result = run_cli(*DEV, "--event-api-url", server.url, "--name", "app/a")
    assert result.returncode == 1
    assert (
        f"error: {server.url}/e/****_SET: HTTP 200 but not an Event API reply: "
        "'<!doctype html><html><body>Inngest UI</body></html>' (1 event not sent)\n"
    ) in result.stderr
    assert result.stderr.endswith(
        "\nhint: is an Inngest server at the Event API URL (--event-api-url, INNGEST_DEV)?\n"
    )


def test_unreachable_server_exits_5() -> None:
    result = run_cli(
        *DEV, "--event-api-url", "http://127.0.0.1:9", "--retries", "0", "--name", "app/a"
    )
    assert result.returncode == 5
    assert result.stderr.splitlines()[-2].startswith(
        "error: could not reach the Event API at http://127.0.0.1:9/e/****_SET after 1 attempt: "
        "ConnectError"
    )
    assert result.stderr.splitlines()[-1] == (
        "hint: check that a server is running at that address (--event-api-url)"
    )


def test_ids_are_ulids(serve: ServeProcess) -> None:
    result = send(serve, "--name", "app/a")
    assert all(is_ulid(i) for i in json.loads(result.stdout)["ids"])
