"""`inngest-cli completions bash|zsh|fish`: shell completion scripts generated from the real command
tree.

The command tree (commands, options, which options take a value, and what that value can be) is
read from click's model of the CLI, values through click's own `shell_complete` (choices, files,
directories). The scripts are static: pressing Tab never starts Python (about 2 ms a Tab in bash,
against about 75 ms for typer's own completion, which runs the program on every Tab and offers
no profile names), and a committed script that no longer matches the tree fails a test. Only a
value of `--profile` asks the program, `inngest-cli completions --profile-names`, which reads the
config file the CLI itself reads, with a TOML parser (a shell cannot parse TOML).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer

from inngest_cli.cli.compat import Choice

HELP = """Print a shell completion script for bash, zsh or fish.

The script is generated from the command tree and completes commands, options, option values
(output formats, files) and the profile names of the config file. See 'Shell completion' in
the README for where each shell looks for it; completions/ in the source tree holds the same
scripts."""

EPILOG = """\b
Examples:
  inngest-cli completions bash > ~/.local/share/bash-completion/completions/inngest-cli
  inngest-cli completions zsh > ~/.zfunc/_inngest-cli   # with fpath=(~/.zfunc $fpath)
  inngest-cli completions fish > ~/.config/fish/completions/inngest-cli.fish
"""

PROG = "inngest-cli"
SHELLS = ("bash", "zsh", "fish")
FILE_NAMES = {"bash": "inngest-cli.bash", "zsh": "_inngest-cli", "fish": "inngest-cli.fish"}
PROFILE_OPTION = "--profile"
_PATHLIKE = re.compile(r"\b(FILE|PATH|DIR)\b")


def _print_profile_names(value: bool) -> None:
    if value:
        from inngest_cli.cli.context import current
        from inngest_cli.profiles import config_path, profile_names

        run = current()
        names = profile_names(config_path(run.environ))
        run.stdout.write("".join(f"{name}\n" for name in names))
        raise typer.Exit()


def completions(
    shell: Annotated[
        str,
        typer.Argument(
            metavar="SHELL",
            help="bash, zsh or fish.",
            show_default=False,
            click_type=Choice(SHELLS),
        ),
    ],
    profile_names: Annotated[
        bool,
        typer.Option(
            "--profile-names",
            hidden=True,
            is_eager=True,
            callback=_print_profile_names,
            help="Print the config file's profile names, one a line (for the scripts).",
        ),
    ] = False,
) -> None:
    from inngest_cli.cli.context import current

    current().stdout.write(script(shell))


def script(shell: str) -> str:
    """The completion script for ``shell`` for the CLI as it is now."""
    from inngest_cli.cli.main import app

    root = read_tree(typer.main.get_command(app))
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](root)


# --- the command tree, as the scripts need it ------------------------------------------------


@dataclass
class Option:
    names: list[str]
    help: str
    takes_value: bool = False
    metavar: str = ""
    values: list[str] = field(default_factory=list)  # fixed choices
    complete: str = ""  # "", "file", "dir" or "profile"
    multiple: bool = False


@dataclass
class Argument:
    metavar: str
    many: bool
    values: list[str] = field(default_factory=list)
    complete: str = ""


@dataclass
class Node:
    path: list[str]
    help: str
    options: list[Option] = field(default_factory=list)
    commands: list[Node] = field(default_factory=list)
    arguments: list[Argument] = field(default_factory=list)

    def walk(self) -> list[Node]:
        return [self] + [node for child in self.commands for node in child.walk()]

    @property
    def key(self) -> str:
        return " ".join(self.path)

    def value_options(self) -> list[str]:
        return [name for option in self.options if option.takes_value for name in option.names]


def _one_line(text: str | None) -> str:
    line = " ".join((text or "").split("\n\n")[0].split())
    line = re.sub(r"\s*\[(env|default):[^\]]*\]", "", line)
    return line if len(line) <= 80 else line[:77].rstrip() + "..."


def _values(param: Any, ctx: Any) -> tuple[list[str], str]:
    """Fixed values and the kind of completion of a parameter, asked of click itself."""
    try:
        items = param.shell_complete(ctx, "")
    except Exception:  # a completion callback that needs more context: offer nothing
        items = []
    kinds = {item.type for item in items}
    kind = type(param.type).__name__
    if kind in ("TyperPath", "Path", "File"):  # typer's Path leaves file names to the shell
        file_okay = getattr(param.type, "file_okay", True)
        kinds.add("dir" if getattr(param.type, "dir_okay", False) and not file_okay else "file")
    if "dir" in kinds:
        return [], "dir"
    if "file" in kinds:
        return [], "file"
    values = [str(item.value) for item in items if item.type == "plain"]
    if values:
        return values, ""
    metavar = param.metavar or ""
    return [], "file" if _PATHLIKE.search(metavar.upper()) else ""


def read_tree(command: Any, path: list[str] | None = None, parent: Any = None) -> Node:
    from inngest_cli.cli.compat import Context, TyperArgument, TyperOption

    path = path or []
    ctx = Context(command, info_name=path[-1] if path else PROG, parent=parent)
    node = Node(path, _one_line(command.get_short_help_str(limit=200)))
    for param in command.get_params(ctx):
        if isinstance(param, TyperOption) and not param.hidden:
            takes_value = not param.is_flag and not param.count
            values, complete = _values(param, ctx) if takes_value else ([], "")
            if PROFILE_OPTION in param.opts:
                complete = "profile"
            node.options.append(
                Option(
                    names=[*param.opts, *param.secondary_opts],
                    help=_one_line(param.help),
                    takes_value=takes_value,
                    metavar=(param.metavar or max(param.opts, key=len).lstrip("-")).upper(),
                    values=values,
                    complete=complete,
                    multiple=bool(param.multiple),
                )
            )
        elif isinstance(param, TyperArgument):
            values, complete = _values(param, ctx)
            metavar = param.metavar or (param.name or "ARG").upper()
            node.arguments.append(Argument(metavar, param.nargs != 1, values, complete))
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                node.commands.append(read_tree(sub, [*path, name], ctx))
    return node


HEADER = (
    "{comment} {shell} completion for inngest-cli, generated from its command tree by\n"
    "{comment} `inngest-cli completions {shell}`. Do not edit: regenerate it.\n"
)
PROFILE_NAMES = f"command {PROG} completions --profile-names 2>/dev/null"


# --- bash ----------------------------------------------------------------------------------------


def _sq(text: str) -> str:
    """A single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _bash_case(patterns: list[str], body: str, indent: str) -> str:
    return f"{indent}{'|'.join(_sq(p) for p in patterns)}) {body} ;;\n"


def _bash_reply(kind: str, values: list[str]) -> str:
    if kind == "file":
        return "_inngest_cli_files -f; return"
    if kind == "dir":
        return "_inngest_cli_files -d; return"
    if kind == "profile":
        return "_inngest_cli_profiles; return"
    if values:
        return f"_inngest_cli_words {_sq(' '.join(values))}; return"
    return "return"  # a free-form value: nothing to offer


def bash(root: Node) -> str:
    nodes = root.walk()
    out = [HEADER.format(comment="#", shell="bash"), "\n"]
    out.append(
        "_inngest_cli_words() {\n"
        "    local IFS=$' \\t\\n'\n"
        '    COMPREPLY=($(compgen -W "$1" -- "$cur"))\n'
        "}\n\n"
        "_inngest_cli_files() {\n"
        "    local IFS=$'\\n'\n"
        "    compopt -o filenames 2>/dev/null\n"
        '    COMPREPLY=($(compgen "$1" -- "$cur"))\n'
        "}\n\n"
        "# profile names, one a line, matched against the word as typed (without its quotes and\n"
        "# backslashes). A name with a space stays one word: escaped (local\\ dev), or as it is\n"
        "# after an opening quote, which readline then closes.\n"
        "_inngest_cli_profiles() {\n"
        "    local name quoted typed=${cur//\\\\/}\n"
        "    typed=${typed#[\\\"\\']}\n"
        "    COMPREPLY=()\n"
        "    while IFS= read -r name; do\n"
        '        [[ $name == "$typed"* ]] || continue\n'
        "        quoted=$name\n"
        "        [[ $cur == [\\\"\\']* ]] || printf -v quoted %q \"$name\"\n"
        '        COMPREPLY+=("$quoted")\n'
        f"    done < <({PROFILE_NAMES})\n"
        "}\n\n"
    )
    out.append(
        "_inngest_cli() {\n"
        '    local cur=${COMP_WORDS[COMP_CWORD]} prev= path= word opt skip= i\n'
        "    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
        "    # which command is being completed: follow the words, skipping option values\n"
        "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
        "        word=${COMP_WORDS[i]}\n"
        "        if [[ $word == = ]]; then skip=1; continue; fi\n"
        "        if [[ -n $skip ]]; then skip=; continue; fi\n"
        '        case "$path:$word" in\n'
    )
    for node in nodes:
        if node.commands:
            out.append(
                _bash_case(
                    [f"{node.key}:{c.path[-1]}" for c in node.commands],
                    'path="${path:+$path }$word"',
                    "            ",
                )
            )
    value_patterns = [f"{n.key}:{name}" for n in nodes for name in n.value_options()]
    if value_patterns:
        out.append(_bash_case(value_patterns, "skip=1", "            "))
    out.append(
        "        esac\n"
        "    done\n"
        "    # the value of an option: --opt VALUE, --opt=VALUE\n"
        "    opt=$prev\n"
        "    if [[ $cur == = ]]; then cur=\n"
        "    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then opt=${COMP_WORDS[COMP_CWORD-2]}\n"
        "    fi\n"
        '    case "$path:$opt" in\n'
    )
    free: list[str] = []  # options whose value is free text: nothing to offer
    for node in nodes:
        for option in node.options:
            patterns = [f"{node.key}:{name}" for name in option.names]
            if not option.takes_value:
                continue
            if option.complete or option.values:
                reply = _bash_reply(option.complete, option.values)
                out.append(_bash_case(patterns, reply, "        "))
            else:
                free += patterns
    if free:
        out.append(_bash_case(free, "return", "        "))
    out.append('    esac\n    if [[ $cur == -* ]]; then\n        case "$path" in\n')
    for node in nodes:
        names = [name for option in node.options for name in option.names]
        out.append(_bash_case([node.key], f"_inngest_cli_words {_sq(' '.join(names))}", "        "))
    out.append('        esac\n        return\n    fi\n    case "$path" in\n')
    for node in nodes:
        if node.commands:
            words = " ".join(c.path[-1] for c in node.commands)
            out.append(_bash_case([node.key], f"_inngest_cli_words {_sq(words)}", "        "))
        elif node.arguments:
            arg = node.arguments[0]  # every command here has at most one positional kind
            out.append(_bash_case([node.key], _bash_reply(arg.complete, arg.values), "        "))
    out.append("    esac\n}\n\ncomplete -F _inngest_cli inngest-cli\n")
    return "".join(out)


# --- zsh -----------------------------------------------------------------------------------------


def _zsh_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _zsh_action(kind: str, values: list[str]) -> str:
    if kind == "file":
        return "_files"
    if kind == "dir":
        return "_files -/"
    if kind == "profile":
        return "_inngest-cli_profiles"
    if values:
        return "(" + " ".join(re.sub(r"([\\()\s:])", r"\\\1", v) for v in values) + ")"
    return " "


def _zsh_option(option: Option) -> list[str]:
    """_arguments specs: '(-o --output)'{-o+,--output=}'[help]:FORMAT:(a b)'."""
    help_text = f"[{_zsh_help(option.help)}]"
    value = ""
    if option.takes_value:
        message = option.metavar.replace(":", " ").strip() or "VALUE"
        value = f":{message}:{_zsh_action(option.complete, option.values)}"
    forms = []
    for name in option.names:
        if not option.takes_value:
            forms.append(name)
        else:
            forms.append(name + ("+" if not name.startswith("--") else "="))
    if option.multiple:
        prefix = "'*'"
    elif len(option.names) > 1:
        prefix = "'(" + " ".join(option.names) + ")'"
    else:
        prefix = ""
    body = _sq(help_text + value)
    if len(forms) == 1:
        return [f"{prefix}{_sq(forms[0])}{body}" if prefix else _sq(forms[0] + help_text + value)]
    return [f"{prefix}{{{','.join(forms)}}}{body}"]


def _zsh_function(node: Node) -> str:
    name = "_inngest-cli" + "".join(f"_{part}" for part in node.path)
    specs = [spec for option in node.options for spec in _zsh_option(option)]
    lines = [f"{name}() {{\n"]
    if node.commands:
        lines.append("  local curcontext=$curcontext state state_descr line ret=1\n")
        lines.append("  typeset -A opt_args\n")
        specs += ["'1:command:->command'", "'*::argument:->argument'"]
    else:
        for arg in node.arguments:
            action = _zsh_action(arg.complete, arg.values)
            message = arg.metavar.replace(":", " ")
            specs.append(_sq(("*" if arg.many else "1") + f":{message}:{action}"))
    args = " \\\n    ".join(specs)
    if node.commands:
        lines.append(f"  _arguments -C \\\n    {args} && ret=0\n")
        lines.append("  case $state in\n    command)\n      local -a commands=(\n")
        for child in node.commands:
            lines.append(f"        {_sq(child.path[-1] + ':' + child.help.replace(':', ' '))}\n")
        label = " ".join([PROG, *node.path])
        lines.append(
            "      )\n"
            f"      _describe -t commands {_sq(label + ' command')} commands && ret=0\n"
            "      ;;\n"
            "    argument)\n"
            f'      curcontext="${{curcontext%:*:*}}:{PROG}-$words[1]:"\n'
            "      case $words[1] in\n"
        )
        for child in node.commands:
            function = name + f"_{child.path[-1]}"
            lines.append(f"        {child.path[-1]}) {function} && ret=0 ;;\n")
        lines.append("      esac\n      ;;\n  esac\n  return ret\n}\n")
    else:
        lines.append(f"  _arguments \\\n    {args}\n}}\n")
    return "".join(lines)


def zsh(root: Node) -> str:
    out = [f"#compdef {PROG}\n", HEADER.format(comment="#", shell="zsh"), "\n"]
    out.append(
        "_inngest-cli_profiles() {\n"
        "  local -a profiles\n"
        f"  profiles=(${{(f)\"$({PROFILE_NAMES})\"}})\n"
        "  _describe -t profiles 'profile' profiles\n"
        "}\n\n"
    )
    out.extend(_zsh_function(node) + "\n" for node in root.walk())
    out.append('_inngest-cli "$@"\n')
    return "".join(out)


# --- fish ----------------------------------------------------------------------------------------


def _fish_at(node: Node) -> str:
    return f"-n '__inngest_cli_at \"{node.key}\"'"  # command names are plain words


def _fish_option(node: Node, option: Option) -> str:
    parts = [f"complete -c {PROG} {_fish_at(node)}"]
    for name in option.names:
        if name.startswith("--"):
            parts.append(f"-l {name[2:]}")
        elif len(name) == 2:
            parts.append(f"-s {name[1]}")
        else:
            parts.append(f"-o {name[1:]}")
    if option.takes_value:
        if option.complete in ("file", "dir"):
            parts.append("-r -F")
        elif option.complete == "profile":
            parts.append("-x -a '(__inngest_cli_profiles)'")
        elif option.values:
            parts.append(f"-x -a {_sq(' '.join(option.values))}")
        else:
            parts.append("-x")
    if option.help:
        parts.append(f"-d {_sq(option.help)}")
    return " ".join(parts) + "\n"


def fish(root: Node) -> str:
    nodes = root.walk()
    out = [HEADER.format(comment="#", shell="fish"), "\n"]
    group_cases = [f"{n.key}:{c.path[-1]}" for n in nodes for c in n.commands]
    value_cases = [f"{n.key}:{name}" for n in nodes for name in n.value_options()]
    out.append(
        "function __inngest_cli_path --description 'The inngest-cli command being completed'\n"
        "    set -l words (commandline -opc)\n"
        "    set -e words[1]\n"
        "    set -l path ''\n"
        "    set -l skip 0\n"
        "    for word in $words\n"
        "        if test $skip -eq 1\n"
        "            set skip 0\n"
        "            continue\n"
        "        end\n"
        '        switch "$path:$word"\n'
        f"            case {' '.join(_sq(c) for c in group_cases)}\n"
        "                set path (string trim -- \"$path $word\")\n"
        f"            case {' '.join(_sq(c) for c in value_cases)}\n"
        "                set skip 1\n"
        "        end\n"
        "    end\n"
        '    echo "$path"\n'
        "end\n\n"
        "function __inngest_cli_at --description 'Is this the command being completed?'\n"
        "    set -l path (__inngest_cli_path)\n"
        '    test "$path" = "$argv[1]"\n'
        "end\n\n"
        "function __inngest_cli_profiles --description 'Profiles in the inngest-cli config file'\n"
        f"    {PROFILE_NAMES}\n"
        "end\n\n"
        f"complete -c {PROG} -f\n"
    )
    for node in nodes:
        out.append(f"\n# {' '.join([PROG, *node.path])}\n")
        at = _fish_at(node)
        for child in node.commands:
            out.append(f"complete -c {PROG} {at} -a {child.path[-1]} -d {_sq(child.help)}\n")
        for option in node.options:
            out.append(_fish_option(node, option))
        for arg in node.arguments:
            if arg.complete in ("file", "dir"):
                out.append(f"complete -c {PROG} {at} -F\n")
            elif arg.values:
                out.append(f"complete -c {PROG} {at} -a {_sq(' '.join(arg.values))}\n")
    return "".join(out)


def write_all(directory: str = "completions") -> list[str]:
    """Write every shell's script into ``directory`` (the committed copies: `python -m
    inngest_cli.cli.completions` from the repository root)."""
    from pathlib import Path

    written = []
    for shell, name in FILE_NAMES.items():
        target = Path(directory) / name
        target.write_text(script(shell), encoding="utf-8")
        written.append(str(target))
    return written


if __name__ == "__main__":
    import sys

    print("\n".join(write_all(*sys.argv[1:2])))
