"""Subcommands imported and built only when used.

Typer turns every registered command into a click command (reading each function's signature and
annotations) before it parses anything, and registering a command means importing its module. For
a tool started thousands of times in CI, `inngest-cli send` should pay for `send` only, and
`inngest-cli --help` for no command at all: the root group lists each command's short help from
the registry below and builds a command the first time it is asked for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import ClassVar, NamedTuple

import typer

from inngest_cli.cli.compat import (
    Command,
    Context,
    HelpFormatter,
    UsageError,
    make_default_short_help,
    resolve_command,
)
from inngest_cli.cli.helpformat import GlobalCallback, SectionedGroup, finish


class Lazy(NamedTuple):  # not a dataclass: those compile methods at import
    """Where a command lives: ``module.attribute`` is a Typer app (a command group) or a command
    function (its help and epilog are the module's HELP and EPILOG). ``help`` is shown in the
    parent's command list without importing the module (a test checks that it matches)."""

    module: str
    attribute: str
    help: str

    def load(
        self, name: str, root: Command | None = None, on_global: GlobalCallback | None = None
    ) -> Command:
        module = importlib.import_module(self.module)
        target = getattr(module, self.attribute)
        holder = typer.Typer(add_completion=False, rich_markup_mode=None)
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name)
        else:
            holder.command(
                name, help=getattr(module, "HELP", None), epilog=getattr(module, "EPILOG", None)
            )(target)
        command: Command = typer.main.get_group(holder).commands[name]
        return finish(command, root, on_global)


class LazyGroup(SectionedGroup):
    """A TyperGroup whose ``lazy`` commands are built on first use (with the help rules and the
    global options of cli/helpformat.py; ``on_global`` applies a global option given after the
    command)."""

    lazy: ClassVar[Mapping[str, Lazy]] = {}
    on_global: ClassVar[GlobalCallback | None] = None

    def list_commands(self, ctx: Context) -> list[str]:
        return [*self.commands, *(name for name in self.lazy if name not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            on_global = type(self).on_global
            self.commands[cmd_name] = self.lazy[cmd_name].load(cmd_name, self, on_global)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        try:
            return resolve_command(self, ctx, args)
        except UsageError as error:  # TyperGroup's suggestion, over the lazy commands too
            from difflib import get_close_matches

            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                suggestions = ", ".join(repr(match) for match in matches)
                error.message = f"{error.message.rstrip('.')}. Did you mean {suggestions}?"
            raise

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            built = self.commands.get(name)
            if built is not None:
                if not built.hidden:
                    rows.append((name, built.get_short_help_str(limit)))
            else:
                rows.append((name, make_default_short_help(self.lazy[name].help, limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def lazy_group(
    commands: Mapping[str, Lazy], on_global: GlobalCallback | None = None
) -> type[LazyGroup]:
    """A LazyGroup class for typer.Typer(cls=...) with these lazy commands."""
    hook = staticmethod(on_global) if on_global else None
    attributes = {"lazy": dict(commands), "on_global": hook}
    return type("RootGroup", (LazyGroup,), attributes)

