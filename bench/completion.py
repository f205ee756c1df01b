"""Completion benchmark: what one Tab costs, and offers, with the static bash script in
`completions/` against typer's own completion (`--show-completion`'s mechanism).

    .venv/bin/python bench/completion.py              # 15 interleaved rounds
    .venv/bin/python bench/completion.py --runs 40

Typer's completion runs the program on every Tab (its bash function calls
`_INNGEST_CLI_COMPLETE=complete_bash COMP_WORDS=... inngest-cli`), so one Tab is one process
run; the app here has `add_completion=False`, so a three-line driver enables it exactly as typer
would. The static script is a bash function in the running shell: its cost is the function call,
timed over a batch of calls inside one bash with $EPOCHREALTIME. A `--profile` value is the one
case where the static script starts the program too (`completions --profile-names`), so that case
includes a process run for both. Rounds are interleaved so that machine noise hits both alike;
the medians per Tab are printed, with what each offered for each line. (Typer's bash script is
registered with `complete -o default`: where it offers nothing, bash falls back to file names,
for a FILE argument and for a `--profile` value alike.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASH_SCRIPT = ROOT / "completions" / "inngest-cli.bash"
PY = sys.executable

DRIVER = """
import sys, typer
from typer import completion
from inngest_cli.cli.main import app
completion.completion_init()
sys.exit(typer.main.get_command(app).main(prog_name="inngest-cli",
                                          complete_var="_INNGEST_CLI_COMPLETE"))
"""

LINES = [  # the words on the command line when Tab is pressed; the last one is being completed
    ["inngest-cli", "send", "-o", ""],
    ["inngest-cli", "ev"],
    ["inngest-cli", "events", "get", "--"],
    ["inngest-cli", "--profile", ""],
    ["inngest-cli", "send", "ev"],  # a FILE argument (events.ndjson is in the working directory)
]
CONFIG = "[profiles.ci]\nenv = 'c'\n\n[profiles.'local dev']\ndev = true\n"
BATCH = 50  # static calls timed together (one call is ~ the clock's resolution)


def typer_tab(line: list[str], env: dict[str, str]) -> tuple[float, list[str]]:
    """One Tab of typer's bash completion: the program run with the words in the environment."""
    run_env = {**env, "_INNGEST_CLI_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(line),
               "COMP_CWORD": str(len(line) - 1)}
    started = time.perf_counter()
    done = subprocess.run([PY, "-c", DRIVER], env=run_env, capture_output=True, text=True,
                          check=True, cwd=env["HOME"])
    return time.perf_counter() - started, [w for w in done.stdout.splitlines() if w]


def static_tab(line: list[str], env: dict[str, str], batch: int) -> tuple[float, list[str]]:
    """The static script's function, called ``batch`` times in one bash: the time of one call."""
    import shlex

    program = (
        f"source {BASH_SCRIPT}\n"
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in line)}); "
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "start=$EPOCHREALTIME\n"
        f"for ((n = 0; n < {batch}; n++)); do _inngest_cli; done\n"
        "end=$EPOCHREALTIME\n"
        'echo "${start/./} ${end/./}"\n'
        'for word in "${COMPREPLY[@]}"; do printf "%s\\n" "$word"; done\n'
    )
    done = subprocess.run(["bash", "--norc", "-c", program], env=env, capture_output=True,
                          text=True, check=True, cwd=env["HOME"])
    first, *offered = done.stdout.splitlines()
    start, end = (int(x) for x in first.split())
    return (end - start) / 1e6 / batch, offered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        config = Path(home) / "inngest-cli" / "config.toml"
        config.parent.mkdir()
        config.write_text(CONFIG)
        env = {k: v for k, v in os.environ.items() if k != "INNGEST_CLI_CONFIG"}
        (Path(home) / "events.ndjson").write_text("{}\n")
        env.update(XDG_CONFIG_HOME=home, HOME=home,
                   PATH=f"{Path(PY).parent}{os.pathsep}{env['PATH']}")
        times: dict[tuple[str, str], list[float]] = {}
        offers: dict[tuple[str, str], list[str]] = {}
        for _ in range(args.runs):
            for words in LINES:
                line = " ".join(words)
                # a --profile value starts a process in the static script too: fewer per batch
                batch = 3 if "--profile" in words else BATCH
                for kind in ("static", "typer"):
                    took, offered = (static_tab(words, env, batch) if kind == "static"
                                     else typer_tab(words, env))
                    times.setdefault((line, kind), []).append(took)
                    offers[line, kind] = offered
    print(f"median time of one Tab over {args.runs} interleaved rounds (bash)")
    for line in (" ".join(words) for words in LINES):
        static = statistics.median(times[line, "static"]) * 1000
        typer = statistics.median(times[line, "typer"]) * 1000
        print(f"\n{line}<Tab>\n  static  {static:8.2f} ms  {' '.join(offers[line, 'static'])}")
        print(f"  typer   {typer:8.2f} ms  {' '.join(offers[line, 'typer']) or '(nothing)'}")
        print(f"  typer/static {typer / static:.0f}x")


if __name__ == "__main__":
    main()
