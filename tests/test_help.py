"""Help that teaches, for every command in the tree: new commands are covered automatically."""

from __future__ import annotations

import re

import pytest
import typer

from inngest_cli.cli.compat import Context, make_default_short_help
from inngest_cli.cli.main import COMMANDS, app, run


def command_paths() -> list[tuple[tuple[str, ...], bool]]:
    """Every command's path and whether it is a group, read from the real command tree."""
    found: list[tuple[tuple[str, ...], bool]] = []

    def walk(command: object, path: tuple[str, ...], parent: Context | None) -> None:
        ctx = Context(command, info_name=path[-1] if path else "inngest-cli", parent=parent)  # type: ignore[arg-type]
        is_group = hasattr(command, "list_commands")
        found.append((path, is_group))
        if is_group:
            for name in command.list_commands(ctx):  # type: ignore[attr-defined]
                walk(command.get_command(ctx, name), (*path, name), ctx)  # type: ignore[attr-defined]

    walk(typer.main.get_command(app), (), None)
    return found


PATHS = command_paths()
LEAVES = [path for path, is_group in PATHS if not is_group]
GROUPS = [path for path, is_group in PATHS if is_group]


def test_the_tree_has_the_commands_we_ship() -> None:
    assert {("send",), ("serve",), ("config", "show"), ("completions",)} <= set(LEAVES)


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_every_command_has_help_with_an_example(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*path, "--help"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"Usage: inngest-cli {' '.join(path)} ")
    assert "Example" in out, f"`inngest-cli {' '.join(path)} --help` shows no example"
    assert err == ""


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_short_help_flag(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert run([*path, "-h"]) == 0
    assert capsys.readouterr().out.startswith("Usage: ")


@pytest.mark.parametrize("path", GROUPS, ids=lambda p: " ".join(p) or "inngest-cli")
def test_a_group_without_arguments_lists_its_commands(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(list(path)) == 0
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "Commands:" in text
    children = [p[-1] for p, _ in PATHS if len(p) == len(path) + 1 and p[: len(path)] == path]
    assert children and all(name in text for name in children)


def test_root_help_lists_the_global_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--profile", "--quiet", "--verbose", "--no-color", "--debug", "--version"):
        assert option in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    """`inngest-cli --help` lists each command without importing it: from main.COMMANDS."""
    built = COMMANDS[name].load(name)
    listed = make_default_short_help(COMMANDS[name].help, 1000)
    assert listed == built.get_short_help_str(1000)


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_metavars_say_what_to_type(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"<[a-z][a-z ]*>", out), "a type name (<str>, <int range>) as a metavar"
    usage = out.splitlines()[0]
    assert "{" not in usage and "}" not in usage, usage


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
def test_examples_are_printed_one_per_line_as_written(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    """The epilog is never re-wrapped at 80 columns: each example is one line of the help."""
    assert run([*path, "--help"]) == 0
    shown = [line.strip() for line in capsys.readouterr().out.splitlines()]
    command = typer.main.get_command(app)
    ctx = Context(command, info_name="inngest-cli")
    for name in path:
        command = command.get_command(ctx, name)  # type: ignore[attr-defined]
        ctx = Context(command, info_name=name, parent=ctx)
    for line in (command.epilog or "").splitlines():
        if line.strip() and line.strip() != "\b":
            assert line.strip() in shown, line


def test_send_help_reads_in_sections(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["send", "--help"]) == 0
    out = capsys.readouterr().out
    titles = [line[:-1] for line in out.splitlines() if re.fullmatch(r"[A-Z][^:]*:", line)]
    assert titles == [
        "Arguments",
        "Event (one event from flags)",
        "Bulk input",
        "Runs",
        "Connection",
        "Output",
        "Global options",
    ]
    for line in (
        "  -n, --name NAME ",
        "  -f, --file FILE ",
        "  --max-batch N ",
        "  --timeout SECONDS ",
        "  --event-api-url URL ",
        "  --format FORMAT ",
        "  --on-error continue|stop ",
        "  -o, --output FORMAT ",
    ):
        assert line in out, line


def test_events_get_names_its_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["events", "get", "--help"]) == 0
    usage = capsys.readouterr().out.splitlines()[0]
    assert usage == "Usage: inngest-cli events get [OPTIONS] EVENT_ID"
