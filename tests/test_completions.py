"""Shell completion: the committed scripts match the command tree, and each shell really
completes commands, options, option values, files and profile names with them. bash, zsh and
fish must be installed (.ci/run installs zsh and fish): a missing shell fails, never skips."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from inngest_cli.cli.completions import FILE_NAMES, SHELLS, read_tree, script
from inngest_cli.cli.main import run

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = ".venv/bin/python -m inngest_cli.cli.completions"
# every TOML spelling of a profile: a dotted key, quoted and spaced table headers, a comment
CONFIG = '''profiles.ci.env = "c"

[profiles.staging]
env = "s"

[profiles."prod-eu"]
env = "p"

[ profiles . qa ]  # spaces are allowed around the dots
env = "q"

[profiles.'local dev']
dev = true
'''
PROFILES = ["ci", "staging", "prod-eu", "qa", "local dev"]


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_script_is_up_to_date(shell: str) -> None:
    committed = (ROOT / "completions" / FILE_NAMES[shell]).read_text(encoding="utf-8")
    assert committed == script(shell), (
        f"completions/{FILE_NAMES[shell]} is out of date with the command tree; "
        f"regenerate all three with: {REGENERATE}"
    )


@pytest.mark.parametrize("shell", SHELLS)
def test_completions_command_prints_the_script(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["completions", shell]) == 0
    assert capsys.readouterr().out == script(shell)


def test_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["completions", "tcsh"]) == 2
    assert capsys.readouterr().err == "error: SHELL: 'tcsh' is not one of bash, zsh, fish\n"


def test_profile_names_come_from_the_config_file_the_cli_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(config))
    assert run(["completions", "--profile-names"]) == 0
    assert capsys.readouterr().out.splitlines() == PROFILES


@pytest.mark.parametrize("text", ["[profiles.x\n", "profiles = 3\n", "\xff"])
def test_profile_names_of_a_broken_file_are_none(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(text.encode("latin-1"))
    monkeypatch.setenv("INNGEST_CLI_CONFIG", str(config))
    assert run(["completions", "--profile-names"]) == 0
    assert capsys.readouterr() == ("", "")


def test_tree_reads_values_from_click() -> None:
    import typer

    from inngest_cli.cli.main import app

    root = read_tree(typer.main.get_command(app))
    send = next(node for node in root.commands if node.path == ["send"])
    options = {name: option for option in send.options for name in option.names}
    assert options["--output"].values == ["table", "json", "ndjson", "ids"]
    assert options["--file"].complete == "file" and options["--file"].multiple
    assert not options["--dry-run"].takes_value
    assert send.arguments[0].complete == "file"
    profile = next(option for option in root.options if "--profile" in option.names)
    assert profile.complete == "profile"


@pytest.fixture
def workdir(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    (tmp_path / "events.ndjson").write_text("{}\n")
    (tmp_path / "other.json").write_text("{}\n")
    config = tmp_path / "xdg" / "inngest-cli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(CONFIG)
    env = {k: v for k, v in os.environ.items() if k != "INNGEST_CLI_CONFIG"}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path), TERM="dumb")
    # the scripts ask this checkout's inngest-cli for profile names
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return tmp_path, env


# --- bash: call the completion function as bash would ----------------------------------------

BASH_CASES = [
    ("inngest-cli ''", "send serve completions events runs functions cancellations config"),
    ("inngest-cli se", "send serve"),
    ("inngest-cli --pro", "--profile"),
    ("inngest-cli --profile q", "qa"),
    ("inngest-cli --profile staging s", "send serve"),
    ("inngest-cli -q send --dry", "--dry-run"),
    ("inngest-cli send -o ''", "table json ndjson ids"),
    ("inngest-cli send --output = nd", "ndjson"),
    ("inngest-cli send --name ''", ""),
    ("inngest-cli send --name x ev", "events.ndjson"),
    ("inngest-cli send --file oth", "other.json"),
    ("inngest-cli config ''", "show path"),
    ("inngest-cli config show -o ''", "table json"),
    ("inngest-cli completions ''", "bash zsh fish"),
]


def bash_complete(workdir: tuple[Path, dict[str, str]], line: str) -> list[str]:
    """COMPREPLY, one entry a line, for COMP_WORDS=(line): the words as bash hands them to the
    function, quotes and backslashes included."""
    cwd, env = workdir
    program = (
        f"source {ROOT / 'completions' / FILE_NAMES['bash']}\n"
        f"COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _inngest_cli\n"
        'for word in "${COMPREPLY[@]}"; do printf "%s\\n" "$word"; done\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "-c", program], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize(("line", "expected"), BASH_CASES)
def test_bash_completes(workdir: tuple[Path, dict[str, str]], line: str, expected: str) -> None:
    assert sorted(bash_complete(workdir, line)) == sorted(expected.split())


@pytest.mark.parametrize(("line", "expected"), [
    ("inngest-cli --profile ''", ["ci", "staging", "prod-eu", "qa", "local\\ dev"]),
    ("inngest-cli send --profile lo", ["local\\ dev"]),
    ("inngest-cli --profile 'local\\ d'", ["local\\ dev"]),  # typed: local\ d
    ("inngest-cli --profile \"'local d\"", ["local dev"]),  # typed: 'local d (readline closes it)
    ("inngest-cli --profile '\"lo'", ["local dev"]),  # typed: "lo
    ("inngest-cli --profile 'local\\ x'", []),
])
def test_bash_offers_a_profile_name_with_a_space_as_one_quoted_word(
    workdir: tuple[Path, dict[str, str]], line: str, expected: list[str]
) -> None:
    """Escaped after a bare or escaped prefix, as it is after an opening quote (checked by hand
    in an interactive bash: `--profile lo<Tab>` gives `local\\ dev`, `'lo<Tab>` gives
    `'local dev'`)."""
    assert bash_complete(workdir, line) == expected


# --- fish: `complete -C` asks fish what it would offer ----------------------------------------

FISH_CASES = [
    ("inngest-cli ", {"send", "serve", "completions", "events", "runs", "functions",
                      "cancellations", "config"}),
    ("inngest-cli --profile ", set(PROFILES)),
    ("inngest-cli send -o ", {"table", "json", "ndjson", "ids"}),
    ("inngest-cli send --output=", {"--output=table", "--output=json", "--output=ndjson",
                                    "--output=ids"}),
    ("inngest-cli --profile staging config ", {"show", "path"}),
    ("inngest-cli send ev", {"events.ndjson"}),
    ("inngest-cli completions ", {"bash", "zsh", "fish"}),
]


@pytest.mark.parametrize(("line", "expected"), FISH_CASES)
def test_fish_completes(
    workdir: tuple[Path, dict[str, str]], line: str, expected: set[str]
) -> None:
    cwd, env = workdir
    path = ROOT / "completions" / FILE_NAMES["fish"]
    done = subprocess.run(
        ["fish", "--no-config", "-c", f"source {path}; complete -C '{line}'"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert {row.split("\t")[0] for row in done.stdout.splitlines()} == expected


# --- zsh: an interactive zsh in a pseudo-terminal, pressing Tab --------------------------------


def zsh_tab(cwd: Path, env: dict[str, str], line: str, expect: list[str]) -> str:
    """Type ``line`` and Tab into an interactive zsh; return its screen output once every string
    in ``expect`` has appeared (or after 20 s)."""
    setup = (
        f"PS1='> '; fpath=({ROOT / 'completions'} $fpath); autoload -Uz compinit; "
        "compinit -u -D; inngest-cli() { :; }; zstyle ':completion:*' menu no; echo READY\n"
    )
    return pty_tab(["zsh", "-f", "-i"], setup, cwd, env, line + "\t\t", expect)


def pty_tab(
    argv: list[str], setup: str, cwd: Path, env: dict[str, str], typed: str, expect: list[str]
) -> str:
    """Run ``setup`` in an interactive shell on a pseudo-terminal (it ends by printing READY),
    then type ``typed``; return the screen once every string in ``expect`` is on it (or 20 s)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True
    )
    os.close(slave)
    screen = ""

    def read_until(needles: list[str], deadline: float) -> None:
        nonlocal screen
        while time.monotonic() < deadline and not all(n in screen for n in needles):
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    return
                screen += re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|\r", "", chunk.decode(errors="replace"))

    try:
        os.write(master, setup.encode())
        read_until(["READY\n"], time.monotonic() + 20)
        screen = ""
        os.write(master, typed.encode())
        read_until(expect, time.monotonic() + 20)
        return screen
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


ZSH_CASES = [
    ("inngest-cli ", ["config", "events", "send", "serve", "completions"]),
    ("inngest-cli send -o ", ["table", "ndjson", "ids"]),
    ("inngest-cli --profile ", ["ci", "staging", "prod-eu", "qa"]),
    ("inngest-cli config ", ["show", "path"]),
]


@pytest.mark.parametrize(("line", "expected"), ZSH_CASES)
def test_zsh_completes(
    workdir: tuple[Path, dict[str, str]], line: str, expected: list[str]
) -> None:
    cwd, env = workdir
    screen = zsh_tab(cwd, env, line, expected)
    assert all(word in screen for word in expected), screen


@pytest.mark.parametrize(("typed", "completed"), [
    ("inngest-cli --profile lo", "inngest-cli --profile local\\ dev "),
    ("inngest-cli send --profile 'lo", "inngest-cli send --profile 'local dev' "),
])
def test_bash_inserts_a_profile_name_with_a_space_as_one_word(
    workdir: tuple[Path, dict[str, str]], typed: str, completed: str
) -> None:
    """What an interactive bash (readline) puts on the line at Tab: one word either way."""
    cwd, env = workdir
    setup = f"PS1='> '; source {ROOT / 'completions' / FILE_NAMES['bash']}; echo READY\n"
    screen = pty_tab(["bash", "--norc", "--noprofile", "-i"], setup, cwd, env, typed + "\t",
                     [completed])
    assert completed in screen, screen


@pytest.mark.parametrize("shell", SHELLS)
def test_script_parses(shell: str, tmp_path: Path) -> None:
    path = ROOT / "completions" / FILE_NAMES[shell]
    done = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
