"""Every private piece of typer that the CLI layer uses, in one place.

typer 0.26-0.28 vendor click as ``typer._click`` (a private package) and do not re-export the
classes a custom group, help formatter or completion generator needs; `TyperGroup` also hides
click's own command lookup behind the private `_click_resolve_command`. Everything the CLI takes
from there is imported here and nowhere else, so a typer upgrade that moves or changes one of them
breaks this module (and tests/test_compat.py, which exercises each name) instead of a command at
run time. When typer is upgraded, fix this file and the pin in pyproject.toml together.
"""

from __future__ import annotations

from typing import Any

from typer._click.core import Command, Context, Parameter
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter
from typer._click.globals import get_current_context
from typer._click.utils import make_default_short_help
from typer._types import TyperChoice
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from inngest_cli.errors import UsageError as CLIUsageError

__all__ = [
    "Choice",
    "ClickException",
    "Command",
    "Context",
    "HelpFormatter",
    "NoArgsIsHelpError",
    "Parameter",
    "TyperArgument",
    "TyperCommand",
    "TyperGroup",
    "TyperOption",
    "UsageError",
    "get_current_context",
    "make_default_short_help",
    "resolve_command",
]


def resolve_command(
    group: TyperGroup, ctx: Context, args: list[str]
) -> tuple[str | None, Command | None, list[str]]:
    """click's own `Group.resolve_command` (name, command, remaining args), without the
    suggestion TyperGroup adds over its eagerly registered commands only; raises UsageError
    ("No such command ...") for an unknown name."""
    method: Any = TyperGroup._click_resolve_command
    result: tuple[str | None, Command | None, list[str]] = method(group, ctx, args)
    return result


class Choice(TyperChoice[str]):
    """A fixed set of values, for ``typer.Option(click_type=Choice([...]))``: click validates
    the value, and help and completion list the same choices. A value not in the set is our one
    usage error line: ``--output: 'yaml' is not one of table, json``."""

    def __init__(self, choices: list[str] | tuple[str, ...]) -> None:
        super().__init__(list(choices), case_sensitive=True)

    def convert(self, value: Any, param: Parameter | None, ctx: Context | None) -> str:
        if value in self.choices:
            return str(value)
        if param is None:
            where = "value"
        elif param.param_type_name == "argument":
            where = param.metavar or (param.name or "value").upper()
        else:
            where = max(param.opts, key=len)
        raise CLIUsageError(f"{where}: {value!r} is not one of {', '.join(self.choices)}")
