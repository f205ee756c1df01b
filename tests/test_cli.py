"""Argument parsing and rendering, in-process (typer's CliRunner and `run`): fast checks of the
command tree, usage errors, exit codes and output shapes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from inngest_cli import __version__
from inngest_cli.cli.main import app, run
from inngest_cli.cli.output import SendOutput, render_table, summary
from inngest_cli.payload import Event
from inngest_cli.sender import Stats

runner = CliRunner()


def event(line: int, name: str = "app/a", event_id: str | None = None) -> Event:
    return Event("stdin", line, b"{}", b"{}", name, event_id)


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"inngest-cli {__version__}\n"


def test_no_arguments_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([]) == 0
    err = capsys.readouterr().err
    assert "send" in err and "serve" in err


@pytest.mark.parametrize("command", ["send", "serve"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output


def test_unknown_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["send", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No such option: --bogus")
    assert err.endswith("\nhint: see 'inngest-cli send --help'\n")
    assert err.count("\n") == 2


def test_bad_int_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["send", "--concurrency", "zero"]) == 2
    assert capsys.readouterr().err.startswith("error: Invalid value for '--concurrency' / '-c'")


def test_out_of_range_value_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["send", "--max-batch", "5001", "--name", "a", "--dev"]) == 2
    assert capsys.readouterr().err.startswith(
        "error: Invalid value for '--max-batch': 5001 is not in the range 1<=x<=5000.\n"
    )


def test_on_error_value_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["send", "--dev", "--name", "a", "--on-error", "later"]) == 2
    assert capsys.readouterr().err == "error: --on-error: 'later' is not one of continue, stop\n"


def test_id_field_needs_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["send", "--dev", "--id-field", "uid", "x.ndjson"]) == 2
    assert capsys.readouterr().err.startswith("error: --id-field/--ts-field need --name")


def test_dry_run_plans_without_sending(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["send", "--dev", "--dry-run", "--name", "app/a", "data.x:=1"]) == 0
    out, err = capsys.readouterr()
    assert out == "request 1: 1 event, 33 bytes (flags)\n"
    assert err == "dry run: 1 event valid in 1 request, 0 invalid; nothing was sent\n"


def test_dry_run_verbose_shows_the_request_with_the_key_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = "secret-event-key-123456wxyz"
    code = run(["send", "--event-key", key, "--dry-run", "--verbose", "--name", "app/a"])
    assert code == 0
    out = capsys.readouterr().out
    assert "POST https://inn.gs/e/****wxyz\n" in out
    assert '[{"name":"app/a","data":{}}]' in out
    assert key not in out


# --- rendering --------------------------------------------------------------------------------


@pytest.mark.usefixtures("cli_run")
def test_json_output_is_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    output = SendOutput("json", show_source=False)
    output.accepted(event(1), "01A")
    output.accepted(event(2), "01B")
    output.finish(Stats(sent=2, failed=1))
    assert json.loads(capsys.readouterr().out) == {"ids": ["01A", "01B"], "sent": 2, "failed": 1}


@pytest.mark.usefixtures("cli_run")
def test_json_output_with_nothing_sent_is_still_valid(capsys: pytest.CaptureFixture[str]) -> None:
    SendOutput("json", show_source=False).finish(Stats(sent=0, failed=3))
    assert json.loads(capsys.readouterr().out) == {"ids": [], "sent": 0, "failed": 3}


@pytest.mark.usefixtures("cli_run")
def test_ndjson_output_names_the_source_for_several_inputs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = SendOutput("ndjson", show_source=True)
    output.accepted(event(7), "01A")
    output.finish(Stats(sent=1))
    assert capsys.readouterr().out == '{"line":7,"id":"01A","source":"stdin"}\n'


@pytest.mark.usefixtures("cli_run")
def test_table_is_replaced_by_a_note_above_the_cut_off(capsys: pytest.CaptureFixture[str]) -> None:
    output = SendOutput("table", show_source=False)
    for line in range(1, 102):
        output.accepted(event(line), f"01{line:024d}")
    output.finish(Stats(sent=101))
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "101 events sent: too many for a table; -o ndjson or -o ids lists them\n"


@pytest.mark.usefixtures("cli_run")
def test_table_keeps_long_ids_whole_at_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    ulid = "01JQDAE4RQF8MBCR55T5AK4KXS"
    render_table([("app/some.rather.long.event.name.for.testing", "order-" + "9" * 30, ulid)])
    out = capsys.readouterr().out
    assert ulid in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_summary_wording() -> None:
    stats = Stats(sent=1, failed=0, requests=1, retries=1)
    assert summary(stats).startswith("sent 1 event in 1 request (1 retry), 0 failed, ")
    stats = Stats(sent=2, failed=1, requests=2, retries=2, stopped_at="f:3")
    text = summary(stats)
    assert text.startswith("sent 2 events in 2 requests (2 retries), 1 failed, ")
    assert text.endswith(";\n  stopped reading at f:3")  # 83 columns on one line


def test_summary_has_thousands_separators_and_fits_80_columns() -> None:
    stats = Stats(sent=1_000_000, failed=1_234, requests=4_000, retries=12, not_sent=5_000,
                  unconfirmed=2_500)
    lines = summary(stats).splitlines()
    assert lines[0].startswith("sent 1,000,000 events in 4,000 requests (12 retries), 1,234 "
                               "failed,")
    assert lines[-2:] == ["  2,500 events unconfirmed (may have been stored);", "  5,000 not sent"]
    assert max(map(len, lines)) <= 80
    assert summary(stats, dry_run=True) == (
        "dry run: 1,000,000 events valid in 4,000 requests, 1,234 invalid;\n  nothing was sent")
    assert summary(Stats(sent=3, requests=1), dry_run=True) == (
        "dry run: 3 events valid in 1 request, 0 invalid; nothing was sent")
