"""Run operations in real processes over loopback: `runs cancel`, `runs jobs`, `functions list`
and `cancellations create|list|delete` against `serve` (whose database the tests fill with runs
and functions, as nothing registers them), and against tests/support/scriptserver.py for the
replies `serve` never gives (dev-server 500s, compile errors, queued jobs). Each test checks what
the server holds afterwards, not only the exit code."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from typing import Any

import httpx
import pytest

from inngest_cli.server.store import Store

from .conftest import CLI, FaultServer, ServeProcess, run_cli

RUNNING = "01KB00000000000000000000R1"
COMPLETED = "01KB00000000000000000000R2"
UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
FUNCTION_ID = "9f3c1a52-6f0e-4a53-9b7e-0c1d2e3f4a5b"
APP_UUID = "11111111-2222-4333-8444-555555555555"
SIGNING_KEY = "signkey-prod-" + "ab" * 32
FALLBACK_KEY = "signkey-prod-" + "cd" * 32
NOT_A_TERMINAL = (
    "error: {} needs confirmation and stdin is not a terminal: nothing was sent\n"
    "hint: pass --yes to do it, or --dry-run to see the request\n"
)


def fill(server: ServeProcess) -> None:
    """One app with one function, a running run and a completed one."""
    store = Store(server.db)
    try:
        store.insert_function(
            (FUNCTION_ID, APP_UUID, "my-app", "my-app-sync", "Sync users", '{"fv":1}',
             1764000000000)
        )
        for run_id, status, ended in ((RUNNING, "Running", None),
                                      (COMPLETED, "Completed", 1764000001000)):
            store.insert_run((run_id, 1764000000000, FUNCTION_ID, 0, "01KB00000000000000000000E1",
                              None, None, None, status, ended, None))
    finally:
        store.close()


@pytest.fixture
def filled(serve: ServeProcess) -> ServeProcess:
    fill(serve)
    return serve


def cli(server: ServeProcess | FaultServer | str, *args: str, **kwargs: Any) -> Any:
    url = server if isinstance(server, str) else server.url
    return run_cli(*args, "--api-url", url, "--dev", **kwargs)


def run_status(server: ServeProcess, run_id: str) -> str:
    reply = httpx.get(f"{server.url}/v1/runs/{run_id}", timeout=10)
    status: str = reply.json()["data"]["status"]
    return status


def cancellations(server: ServeProcess) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = httpx.get(f"{server.url}/v1/cancellations", timeout=10).json()[
        "data"
    ]
    return data


# -- runs cancel ----------------------------------------------------------------------------


def test_cancel_reports_each_run_and_exits_4_for_an_unknown_one(filled: ServeProcess) -> None:
    result = cli(filled, "runs", "cancel", RUNNING, COMPLETED, UNKNOWN, "--yes", "-o", "table")
    assert result.returncode == 4
    assert result.stdout == (
        "RUN ID                      RESULT\n"
        f"{RUNNING}  cancelled\n"
        f"{COMPLETED}  already Completed\n"
        f"{UNKNOWN}  not found\n"
    )
    assert result.stderr == f"error: run {UNKNOWN} not found\n"
    assert run_status(filled, RUNNING) == "Cancelled"
    assert run_status(filled, COMPLETED) == "Completed"


def test_cancel_one_run_needs_no_confirmation_and_prints_json(filled: ServeProcess) -> None:
    result = cli(filled, "runs", "cancel", RUNNING.lower())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"run_id": RUNNING, "result": "cancelled", "status": "Running"}
    ]
    again = cli(filled, "runs", "cancel", RUNNING, "-o", "ndjson")
    assert again.returncode == 0
    assert json.loads(again.stdout) == {
        "run_id": RUNNING, "result": "already_finished", "status": "Cancelled"
    }


def test_cancel_ids_lists_only_the_runs_cancelled(filled: ServeProcess) -> None:
    result = cli(filled, "runs", "cancel", RUNNING, COMPLETED, "--yes", "-o", "ids")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{RUNNING}\n", "")


def test_cancel_two_unknown_runs(filled: ServeProcess) -> None:
    other = "01ARZ3NDEKTSV4RRFFQ69G5FAW"
    result = cli(filled, "runs", "cancel", UNKNOWN, other, "--yes", "-o", "ids")
    assert result.returncode == 4
    assert result.stderr == f"error: 2 of 2 runs not found: {UNKNOWN}, {other}\n"


def test_cancelling_several_runs_without_a_terminal_needs_yes(filled: ServeProcess) -> None:
    result = cli(filled, "runs", "cancel", RUNNING, COMPLETED)
    assert result.returncode == 2
    assert result.stderr == NOT_A_TERMINAL.format("runs cancel")
    assert result.stdout == ""
    assert run_status(filled, RUNNING) == "Running"


def test_cancel_dry_run_prints_the_requests(filled: ServeProcess) -> None:
    result = cli(filled, "runs", "cancel", RUNNING, COMPLETED, "--dry-run", "-o", "table")
    assert result.returncode == 0
    assert result.stdout == (
        f"DELETE {filled.url}/v1/runs/{RUNNING}\nDELETE {filled.url}/v1/runs/{COMPLETED}\n"
    )
    assert run_status(filled, RUNNING) == "Running"


def test_cancel_a_bad_run_id_is_a_usage_error_and_sends_nothing(filled: ServeProcess) -> None:
    result = cli(filled, "runs", "cancel", RUNNING, "xyz", "--yes")
    assert result.returncode == 2
    assert result.stderr.startswith("error: RUN_ID: 'xyz' is not an Inngest run id")
    assert run_status(filled, RUNNING) == "Running"


def test_serve_answers_the_reference_shapes_for_runs(serve: ServeProcess) -> None:
    with httpx.Client(base_url=serve.url, timeout=10) as http:
        bad = http.delete("/v1/runs/xyz")
        assert (bad.status_code, bad.json()) == (
            400, {"error": "Invalid run ID: xyz", "data": None, "status": 400}
        )
        missing = http.delete(f"/v1/runs/{UNKNOWN}")
        assert (missing.status_code, missing.json()["error"]) == (
            404, f"Unable to load function run: {UNKNOWN}"
        )
        jobs = http.get(f"/v1/runs/{UNKNOWN.lower()}/jobs")
        assert (jobs.status_code, jobs.json()["error"]) == (
            500, f"Unable to load function run: {UNKNOWN.lower()}"
        )
        assert http.get("/v1/apps/no-such-app/functions").content == b"[]\n"
        wrong = http.put("/v1/runs/" + UNKNOWN)
        assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET, DELETE")


# -- runs jobs ------------------------------------------------------------------------------


def test_jobs_of_a_run_without_jobs(filled: ServeProcess) -> None:
    result = cli(filled, "runs", "jobs", RUNNING, "-o", "table")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == f"no queued jobs for run {RUNNING} (a finished run has none)\n"
    as_json = cli(filled, "runs", "jobs", RUNNING)
    assert (as_json.returncode, as_json.stdout) == (0, "[]\n")


def test_jobs_of_an_unknown_run_exit_4(serve: ServeProcess) -> None:
    result = cli(serve, "runs", "jobs", UNKNOWN)
    assert result.returncode == 4
    assert result.stderr == f"error: run {UNKNOWN} not found\n"


def test_jobs_table_fits_80_columns(script_server: Any) -> None:
    server = script_server()
    result = cli(server, "runs", "jobs", RUNNING, "-o", "table", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KIND", "AT", "(UTC)", "ATTEMPT", "POSITION", "JOB", "ID"]
    assert lines[1].split() == ["sleep", "2026-11-23", "10:00:05", "1", "0", "3kq0o1x2y9z8w"]
    assert max(len(line) for line in lines) <= 80
    ids = cli(server, "runs", "jobs", RUNNING, "-o", "ids")
    assert ids.stdout == "3kq0o1x2y9z8w\n"
    ndjson = cli(server, "runs", "jobs", RUNNING, "-o", "ndjson")
    assert json.loads(ndjson.stdout)["Raw"] == {"id": "3kq0o1x2y9z8w"}


def test_jobs_legacy_200_with_an_error_body_is_not_found(script_server: Any) -> None:
    error = {"error": f"Unable to load function run: {UNKNOWN}", "data": None, "status": 500}
    server = script_server("--replies", json.dumps([{"status": 200, "body": error}]))
    result = cli(server, "runs", "jobs", UNKNOWN)
    assert result.returncode == 4
    assert result.stderr == f"error: run {UNKNOWN} not found\n"
    assert len(server.state()["requests"]) == 1  # not retried


# -- functions list -------------------------------------------------------------------------


def test_functions_of_an_unknown_app_list_nothing_and_say_so(serve: ServeProcess) -> None:
    result = cli(serve, "functions", "list", "--app", "no-such-app")
    assert (result.returncode, result.stdout) == (0, "[]\n")
    assert result.stderr == (
        "no functions for app 'no-such-app' (is that the app ID the SDK registered?)\n"
    )


def test_functions_list_formats(filled: ServeProcess) -> None:
    table = cli(filled, "functions", "list", "--app", "my-app", "-o", "table",
                env={"COLUMNS": "80"})
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "INTERNAL", "ID", "CREATED"]
    assert lines[1].split() == ["my-app-sync", "Sync", "users", FUNCTION_ID, "2025-11-24"]
    assert max(len(line) for line in lines) <= 80
    [function] = json.loads(cli(filled, "functions", "list", "--app", "my-app").stdout)
    assert function == {
        "internal_id": FUNCTION_ID, "env_id": "00000000-0000-0000-0000-000000000000",
        "app_id": APP_UUID, "id": "my-app-sync", "name": "Sync users", "config": {"fv": 1},
        "created_at": "2025-11-24T16:00:00Z", "archived_at": "0001-01-01T00:00:00Z",
    }
    ids = cli(filled, "functions", "list", "--app", "my-app", "-o", "ids")
    assert ids.stdout == "my-app-sync\n"


def test_functions_app_name_is_one_path_segment(script_server: Any) -> None:
    server = script_server()
    result = cli(server, "functions", "list", "--app", "team/app x", "-o", "ids")
    assert result.returncode == 0, result.stderr
    assert server.state()["requests"][0]["path"] == "/v1/apps/team%2Fapp%20x/functions"


# -- cancellations --------------------------------------------------------------------------

CREATE = ("cancellations", "create", "--app", "my-app", "--function", "my-app-sync",
          "--started-after", "2h")


def test_create_list_delete(filled: ServeProcess) -> None:
    created = cli(filled, *CREATE, "--if", "event.data.plan == 'free'", "--yes")
    assert created.returncode == 0, created.stderr
    cancellation = json.loads(created.stdout)
    assert cancellation["function_id"] == "my-app-sync"
    assert cancellation["app_id"] == APP_UUID
    assert cancellation["if"] == "event.data.plan == 'free'"
    assert (cancellation["kind"], cancellation["cause"]) == ("bulk_run", "API")
    [stored] = cancellations(filled)
    assert stored == cancellation
    listed = cli(filled, "cancellations", "list", "-o", "ids")
    assert listed.stdout == cancellation["id"] + "\n"
    table = cli(filled, "cancellations", "list", "-o", "table", env={"COLUMNS": "80"})
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "FUNCTION", "STARTED", "AFTER", "STARTED", "BEFORE"]
    assert lines[1].split()[:2] == [cancellation["id"], "my-app-sync"]
    assert max(len(line) for line in lines) <= 80
    deleted = cli(filled, "cancellations", "delete", cancellation["id"], "--yes")
    assert deleted.returncode == 0
    assert json.loads(deleted.stdout) == {"id": cancellation["id"], "deleted": True}
    assert cancellations(filled) == []
    again = cli(filled, "cancellations", "delete", cancellation["id"], "--yes")
    assert again.returncode == 4
    assert again.stderr == f"error: cancellation {cancellation['id']} not found\n"


def test_create_window_is_sent_as_given(filled: ServeProcess) -> None:
    result = cli(filled, "cancellations", "create", "--app", "my-app", "--function",
                 "my-app-sync", "--started-after", "2026-11-23T10:00:00Z",
                 "--started-before", "2026-11-23T11:00:00+01:00", "--yes", "-o", "ndjson")
    assert result.returncode == 0, result.stderr
    [stored] = cancellations(filled)
    assert stored["started_after"] == "2026-11-23T10:00:00Z"
    assert stored["started_before"] == "2026-11-23T10:00:00Z"  # equal bounds are allowed
    assert "if" not in stored
    assert json.loads(result.stdout)["id"] == stored["id"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--app", "", "--function", "f", "--started-after", "1h"], "app_id is required"),
        (["--app", "a", "--function", " ", "--started-after", "1h"], "function_id is required"),
        (["--app", "a", "--function", "f", "--started-after", "1h", "--started-before", "+1h"],
         "started_before must be in the past"),
        (["--app", "a", "--function", "f", "--started-after", "now", "--started-before", "2h"],
         "started_after must be before started_before"),
        (["--app", "", "--function", "", "--started-after", "1h", "--started-before", "2h"],
         "app_id is required; function_id is required; "
         "started_after must be before started_before"),
        (["--app", "a", "--function", "f", "--started-after", "yesterday"],
         "--started-after: 'yesterday' is not epoch milliseconds, an ISO-8601 time "
         "(2026-11-23T10:00:00Z) or a relative time (+10m, -2h, 7d)"),
    ],
)
def test_create_is_validated_with_the_servers_messages(
    filled: ServeProcess, args: list[str], error: str
) -> None:
    result = cli(filled, "cancellations", "create", *args, "--yes")
    assert result.returncode == 2
    assert result.stderr == f"error: {error}\n"
    assert cancellations(filled) == []


def test_serve_validates_as_inngest_does(serve: ServeProcess) -> None:
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    cases = [
        (b"", 400, "Invalid cancellation request"),
        (b"[1]", 400, "Invalid cancellation request"),
        (b'{"app_id":1}', 400, "Invalid cancellation request"),
        (b'{"app_id":"a","function_id":"f","started_before":"2024-01-01 00:00:00"}', 400,
         "Invalid cancellation request"),
        (b"{}", 400, "app_id is required\nfunction_id is required\nstarted_before is required"),
        (json.dumps({"app_id": "a", "function_id": "f", "started_before": future}).encode(), 400,
         "started_before must be in the past"),
        (b'{"app_id":"a","function_id":"f","started_before":"2024-01-01T00:00:00Z",'
         b'"started_after":"2024-02-01T00:00:00Z"}', 400,
         "started_after must be before started_before"),
        (b'{"APP_ID":"a","function_id":"f","started_before":"2024-01-01T00:00:00Z"}', 404,
         "function not found"),
    ]
    with httpx.Client(base_url=serve.url, timeout=10) as http:
        for body, status, message in cases:
            reply = http.post("/v1/cancellations", content=body)
            assert (reply.status_code, reply.json()) == (
                status, {"error": message, "data": None, "status": status}
            ), body
        bad = http.delete("/v1/cancellations/bad")
        assert (bad.status_code, bad.json()["error"]) == (400, "Invalid cancellation ID")
        listed = http.get("/v1/cancellations")
        assert (listed.status_code, listed.json()["data"]) == (200, [])


def test_create_on_an_unknown_function_is_not_found(filled: ServeProcess) -> None:
    result = cli(filled, "cancellations", "create", "--app", "my-app", "--function", "sync",
                 "--started-after", "1h", "--yes")
    assert result.returncode == 4
    assert result.stderr == (
        "error: function sync not found\n"
        "hint: `inngest-cli functions list --app APP` shows the IDs (a dev or self-hosted\n"
        "      server wants the slug, often <app-id>-<function-id>)\n"
    )


def test_create_without_a_terminal_needs_yes_and_sends_nothing(filled: ServeProcess) -> None:
    result = cli(filled, *CREATE)
    assert result.returncode == 2
    assert result.stderr == NOT_A_TERMINAL.format("cancellations create")
    assert cancellations(filled) == []


def test_create_dry_run_prints_the_request(filled: ServeProcess) -> None:
    result = cli(filled, "cancellations", "create", "--app", "my-app", "--function",
                 "my-app-sync", "--started-after", "2026-11-23T10:00:00Z", "--started-before",
                 "2026-11-23T11:00:00.5Z", "--if", "event.data.x > 1", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "method": "POST",
        "url": f"{filled.url}/v1/cancellations",
        "body": {"app_id": "my-app", "function_id": "my-app-sync",
                 "started_before": "2026-11-23T11:00:00.500Z",
                 "started_after": "2026-11-23T10:00:00.000Z", "if": "event.data.x > 1"},
    }
    assert cancellations(filled) == []


def test_delete_bad_id_and_needs_yes(filled: ServeProcess) -> None:
    bad = cli(filled, "cancellations", "delete", "bad", "--yes")
    assert bad.returncode == 2
    assert bad.stderr == (
        "error: CANCELLATION_ID: Invalid cancellation ID: 'bad' (a 26-character ULID)\n"
        "hint: `inngest-cli cancellations list` shows them\n"
    )
    refused = cli(filled, "cancellations", "delete", UNKNOWN)
    assert (refused.returncode, refused.stderr) == (
        2, NOT_A_TERMINAL.format("cancellations delete")
    )
    dry = cli(filled, "cancellations", "delete", UNKNOWN, "--dry-run", "-o", "table")
    assert dry.stdout == f"DELETE {filled.url}/v1/cancellations/{UNKNOWN}\n"


UNAVAILABLE = (
    "error: bulk cancellations are not available on {}: it answered HTTP 500 with an empty "
    "body, as dev and self-hosted Inngest servers do\n"
    "hint: they need Inngest Cloud; `inngest-cli runs cancel RUN_ID` cancels single\n"
    "      runs anywhere\n"
)


@pytest.mark.parametrize(
    "args",
    [
        [*CREATE, "--yes"],
        ["cancellations", "list"],
        ["cancellations", "delete", UNKNOWN, "--yes"],
    ],
)
def test_dev_server_empty_500_is_said_once_and_not_retried(
    script_server: Any, args: list[str]
) -> None:
    server = script_server("--replies", json.dumps([{"status": 500}] * 3))
    result = cli(server, *args)
    assert result.returncode == 1
    assert result.stderr == UNAVAILABLE.format(server.url)
    assert len(server.state()["requests"]) == 1


def test_the_servers_expression_error_is_shown_as_it_says(script_server: Any) -> None:
    message = (
        "invalid expression: ERROR: <input>:1:17: Syntax error: mismatched input '=' "
        "expecting <EOF>\n | event.data.plan = 'free'\n | ................^"
    )
    body = {"error": message, "data": None, "status": 400}
    server = script_server("--replies", json.dumps([{"status": 400, "body": body}]))
    result = cli(server, *CREATE, "--if", "event.data.plan = 'free'", "--yes")
    assert result.returncode == 1
    assert result.stderr == (
        "error: invalid expression: ERROR: <input>:1:17: Syntax error: mismatched input '=' "
        "expecting <EOF>\n"
        " | event.data.plan = 'free'\n"
        " | ................^\n"
    )
    [request] = server.state()["requests"]
    assert json.loads(request["body"])["if"] == "event.data.plan = 'free'"


def test_create_is_not_retried_once_it_may_have_been_applied(script_server: Any) -> None:
    body = {"error": "Error creating cancellation", "data": None, "status": 503}
    server = script_server("--replies", json.dumps([{"status": 503, "body": body}]))
    result = cli(server, *CREATE, "--yes")
    assert result.returncode == 1
    assert result.stderr == (
        "error: function my-app-sync: HTTP 503: Error creating cancellation "
        "(not retried: it may have been applied)\n"
    )
    assert len(server.state()["requests"]) == 1


def test_create_is_retried_after_a_429(script_server: Any) -> None:
    server = script_server("--replies", json.dumps(
        [{"status": 429, "headers": {"Retry-After": "0"}}]))
    result = cli(server, *CREATE, "--yes", "-o", "ids")
    assert result.returncode == 0, result.stderr
    assert len(server.state()["requests"]) == 2


# -- keys, env, trace -----------------------------------------------------------------------


def test_hashed_signing_key_and_fallback(serve_factory: Any) -> None:
    server: ServeProcess = serve_factory("--signing-key", FALLBACK_KEY)
    fill(server)
    env = {"INNGEST_SIGNING_KEY": SIGNING_KEY, "INNGEST_SIGNING_KEY_FALLBACK": FALLBACK_KEY}
    result = run_cli("runs", "cancel", RUNNING, "--api-url", server.url, "-o", "ids", env=env)
    assert (result.returncode, result.stdout) == (0, f"{RUNNING}\n"), result.stderr
    refused = run_cli("cancellations", "list", "--api-url", server.url,
                      "--signing-key", SIGNING_KEY)
    assert refused.returncode == 3
    assert SIGNING_KEY not in refused.stderr and "ab" * 32 not in refused.stderr


@pytest.mark.parametrize("branch", ["branch-7", "feature/café"])
def test_env_header_and_verbose_trace_mask_the_key(script_server: Any, branch: str) -> None:
    server = script_server()
    result = run_cli(*CREATE, "--yes", "--api-url", server.url, "--signing-key", SIGNING_KEY,
                     "--env", branch, "--verbose")
    assert result.returncode == 0, result.stderr
    [request] = server.state()["requests"]
    # UTF-8 on the wire (http.server reads header bytes as latin-1)
    assert request["headers"]["x-inngest-env"].encode("latin-1").decode() == branch
    assert request["headers"]["Authorization"].startswith("Bearer ")
    assert f"> POST {server.url}/v1/cancellations" in result.stderr
    assert ">   authorization: Bearer ****" in result.stderr
    assert request["headers"]["Authorization"][7:] not in result.stderr
    assert "< HTTP 200 OK" in result.stderr


# -- the confirmation prompt on a real terminal ---------------------------------------------


def prompt(args: list[str], answer: bytes) -> tuple[int, str, str]:
    """Run the CLI with stdin and stderr on a pseudo-terminal, answer its prompt, and return
    (exit code, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, *args], stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=dict(os.environ)
    )
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 30
    while b"[y/N] " not in shown and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                shown += os.read(master, 4096)
            except OSError:
                break
    os.write(master, answer)
    out, _ = proc.communicate(timeout=30)
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return proc.returncode, out.decode(), shown.decode().replace("\r\n", "\n")


def test_prompt_on_a_terminal_yes_creates(filled: ServeProcess) -> None:
    code, out, shown = prompt([*CREATE, "--api-url", filled.url, "--dev", "-o", "ids"], b"y\n")
    assert code == 0, shown
    assert shown.startswith(
        "Cancel the runs of function my-app-sync (app my-app) started between "
    )
    assert f"on {filled.url}? [y/N] " in shown
    [stored] = cancellations(filled)
    assert out == stored["id"] + "\n"


def test_prompt_on_a_terminal_no_sends_nothing(filled: ServeProcess) -> None:
    code, out, shown = prompt([*CREATE, "--api-url", filled.url, "--dev"], b"n\n")
    assert (code, out) == (1, "")
    assert shown.endswith("[y/N] n\nerror: not confirmed: nothing was sent\n")
    assert cancellations(filled) == []


def test_prompt_for_several_runs(filled: ServeProcess) -> None:
    code, out, shown = prompt(
        ["runs", "cancel", RUNNING, COMPLETED, "--api-url", filled.url, "--dev", "-o", "ids"],
        b"yes\n",
    )
    assert (code, out) == (0, f"{RUNNING}\n"), shown
    assert shown.startswith(f"Cancel 2 runs on {filled.url}? [y/N] ")
    assert run_status(filled, RUNNING) == "Cancelled"
