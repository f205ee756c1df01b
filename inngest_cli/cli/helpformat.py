"""How every command's help reads, in one place (applied to each command as it is built).

- Options in sections: each option's ``rich_help_panel`` names its section ("Connection",
  "Output", ...), rendered by click's plain formatter, so help piped to `grep` or read by a script
  is plain text and `--help` imports no rich (start-up time: bench/startup.py).
- Metavars that say what to type (`NAME`, `FILE`, `N`, `SECONDS`, `URL`, `EVENT_ID`) instead of
  typer's `<str>`, `<int range>` and the `{EVENT_ID}` it writes for a required argument; an
  explicit ``metavar=`` in a declaration always wins.
- The epilog (examples) as written: one example per line, never re-wrapped mid-command.
- The global options (``--debug``, ``--no-color``, ``--quiet``, ``--verbose``, ``--insecure``,
  ``--profile``) are accepted before or after the command: each command gets a copy of the root's
  options, listed under "Global options", that sets the same thing (`add_global_options`).

Typer builds its own command classes (from each ``@app.command()``); `finish` turns them into the
subclasses below, which only add formatting methods, so the modules declaring commands need no
change to get this help.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from inngest_cli.cli.compat import (
    Choice,
    Command,
    Context,
    HelpFormatter,
    Parameter,
    TyperArgument,
    TyperCommand,
    TyperGroup,
    TyperOption,
)

GLOBAL_PANEL = "Global options"
OPTIONS_PANEL = "Options"
ARGUMENTS_PANEL = "Arguments"

# str options whose name says what the value is (the rest show their own name: --env ENV)
_STR_METAVARS = {
    "v": "VERSION",
    "data": "JSON",
    "user": "JSON",
    "ts": "TIME",
    "since": "TIME",
    "until": "TIME",
}

# choices too many to list in the metavar (the help text lists them)
_CHOICE_METAVARS = {"output": "FORMAT", "input_format": "FORMAT"}

GlobalCallback = Callable[[str, Any], None]


def default_metavar(param: Parameter) -> str:
    """What to type for an option's value, from its type and name."""
    type_name = type(param.type).__name__
    name = (param.name or "value").lower()
    if type_name in ("TyperPath", "Path", "File"):
        dir_only = getattr(param.type, "dir_okay", False) and not getattr(
            param.type, "file_okay", True
        )
        return "DIR" if dir_only else "FILE"
    if name in _CHOICE_METAVARS:
        return _CHOICE_METAVARS[name]
    if isinstance(param.type, Choice) or type_name == "TyperChoice":
        return "|".join(str(choice) for choice in getattr(param.type, "choices", ()))
    if type_name in ("IntParamType", "IntRange"):
        return "N"
    if type_name in ("FloatParamType", "FloatRange"):
        return "SECONDS"
    if name.endswith("url"):
        return "URL"
    if name.endswith("key"):
        return "KEY"
    if name.endswith("_id") or name == "id":
        return "ID"
    if name.endswith("_field"):
        return "FIELD"
    return _STR_METAVARS.get(name, name.upper())


class _Sections:
    """Help formatting shared by commands and groups: its methods are copied into the classes
    below (not inherited: with a second base class, an instance of typer's own class could not
    become one of them)."""

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {ARGUMENTS_PANEL: [], OPTIONS_PANEL: []}
        help_record = None
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                panel = ARGUMENTS_PANEL
            elif "--help" in param.opts:
                help_record = record
                continue
            else:
                panel = getattr(param, "rich_help_panel", None) or OPTIONS_PANEL
            sections.setdefault(panel, []).append(record)
        if help_record is not None:  # with the global options, else with the options
            sections.setdefault(GLOBAL_PANEL if GLOBAL_PANEL in sections else OPTIONS_PANEL, [])
            (sections.get(GLOBAL_PANEL) or sections[OPTIONS_PANEL]).append(help_record)
        if GLOBAL_PANEL in sections:  # always the last section
            sections[GLOBAL_PANEL] = sections.pop(GLOBAL_PANEL)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        format_commands = getattr(self, "format_commands", None)
        if format_commands is not None:
            format_commands(ctx, formatter)

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []  # type: ignore[attr-defined]
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if isinstance(param, TyperArgument):
                metavar = param.metavar or (param.name or "ARG").upper()
                if param.nargs != 1 and not metavar.endswith("..."):
                    metavar += "..."
                if not param.required and not metavar.startswith("["):
                    metavar = f"[{metavar}]"
                pieces.append(metavar)
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        if isinstance(self, TyperGroup):
            pieces.append(self.subcommand_metavar or "COMMAND [ARGS]...")
        return pieces

    def format_epilog(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The epilog line by line as written (`\\b` markers, click's "do not wrap", dropped)."""
        epilog: str | None = getattr(self, "epilog", None)
        if not epilog:
            return
        lines = [line for line in epilog.strip("\n").splitlines() if line.strip() != "\b"]
        formatter.write_paragraph()
        for line in lines:
            formatter.write(f"{' ' * (formatter.current_indent + 2)}{line}".rstrip() + "\n")


_METHODS = {
    name: vars(_Sections)[name]
    for name in ("format_options", "collect_usage_pieces", "format_epilog")
}


class SectionedCommand(TyperCommand):
    """A typer command whose help follows this module's rules."""

    locals().update(_METHODS)


class SectionedGroup(TyperGroup):
    """A typer group whose help follows this module's rules."""

    locals().update(_METHODS)


def _walk(command: Command) -> Iterator[Command]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _walk(sub)


def finish(command: Command, root: Command | None = None, on_global: GlobalCallback | None = None
           ) -> Command:
    """Apply the help rules to ``command`` and its subcommands; with ``root``, give each a copy
    of the root's global options that calls ``on_global(name, value)`` when given."""
    for node in _walk(command):
        if type(node) is TyperCommand:
            node.__class__ = SectionedCommand
        elif type(node) is TyperGroup:
            node.__class__ = SectionedGroup
        for param in node.params:
            if isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
                param.metavar = default_metavar(param)
        if root is not None and on_global is not None:
            add_global_options(node, root, on_global)
    return command


def add_global_options(command: Command, root: Command, on_global: GlobalCallback) -> None:
    """Copies of the root's options (but --version and --help) on ``command``, so a global option
    works after the command too; an option the command declares itself keeps its own meaning."""
    taken = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    for param in root.params:
        if not isinstance(param, TyperOption) or param.is_eager or param.hidden:
            continue
        if taken & {*param.opts, *param.secondary_opts}:
            continue
        twin = copy.copy(param)
        twin.expose_value = False
        twin.rich_help_panel = GLOBAL_PANEL
        name = param.name or ""

        def given(ctx: Context, _param: Parameter, value: Any, name: str = name) -> Any:
            if value and not ctx.resilient_parsing:
                on_global(name, value)
            return value

        twin.callback = given
        command.params.append(twin)
