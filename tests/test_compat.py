"""The private typer pieces behind cli/compat.py still exist and behave as the CLI needs.

A typer upgrade that moves or changes one of them fails here, with the name of what broke,
before any command does. Fix cli/compat.py (and the pin in pyproject.toml) together."""

from __future__ import annotations

from typing import Annotated

import pytest
import typer

from inngest_cli.cli import compat
from inngest_cli.errors import InngestCLIError


def _group() -> compat.TyperGroup:
    app = typer.Typer(add_completion=False, rich_markup_mode=None)

    @app.command()
    def hello(
        name: Annotated[str, typer.Option("--name", help="Who.")] = "x",
        shell: Annotated[str, typer.Argument(click_type=compat.Choice(["bash", "zsh"]))] = "bash",
    ) -> None:
        """Say hello."""

    @app.command()
    def other() -> None:
        """Another."""

    group = typer.main.get_group(app)
    assert isinstance(group, compat.TyperGroup)
    return group


def test_every_name_is_exported() -> None:
    for name in compat.__all__:
        assert getattr(compat, name, None) is not None, f"typer no longer provides {name}"


def test_resolve_command_finds_a_command_and_passes_the_rest_on() -> None:
    group = _group()
    ctx = compat.Context(group, info_name="t")
    name, command, rest = compat.resolve_command(group, ctx, ["hello", "--name", "ada"])
    assert name == "hello"
    assert isinstance(command, compat.TyperCommand)
    assert rest == ["--name", "ada"]


def test_resolve_command_raises_click_usage_error_for_an_unknown_name() -> None:
    group = _group()
    ctx = compat.Context(group, info_name="t")
    with pytest.raises(compat.UsageError) as caught:
        compat.resolve_command(group, ctx, ["helo"])
    assert caught.value.message == "No such command 'helo'."
    assert isinstance(caught.value, compat.ClickException)
    assert caught.value.exit_code == 2


def test_params_are_typer_options_and_arguments_with_help_panels() -> None:
    command = _group().commands["hello"]
    option, argument = command.params
    assert isinstance(option, compat.TyperOption) and isinstance(option, compat.Parameter)
    assert isinstance(argument, compat.TyperArgument)
    assert option.opts == ["--name"] and option.help == "Who."
    assert hasattr(option, "rich_help_panel")


def test_choice_validates_and_completes() -> None:
    choice = compat.Choice(["bash", "zsh"])
    assert choice.convert("zsh", None, None) == "zsh"
    with pytest.raises(InngestCLIError) as caught:
        choice.convert("tcsh", None, None)
    assert caught.value.message == "value: 'tcsh' is not one of bash, zsh"
    command = _group().commands["hello"]
    ctx = compat.Context(command, info_name="hello")
    items = command.params[1].shell_complete(ctx, "z")
    assert [item.value for item in items] == ["zsh"]


def test_no_args_is_help_error_is_a_usage_error() -> None:
    assert issubclass(compat.NoArgsIsHelpError, compat.UsageError)


def test_help_formatter_and_short_help() -> None:
    formatter = compat.HelpFormatter(width=40)
    with formatter.section("Things"):
        formatter.write_dl([("--a", "first"), ("--b", "second")])
    assert formatter.getvalue() == "Things:\n  --a  first\n  --b  second\n"
    assert compat.make_default_short_help("One. Two.", 45) == "One."
