"""Instruction counts: the CPU work of a send, measured the same way on a busy machine.

    .venv/bin/python bench/instructions.py --baseline ../old/.venv/bin/python
    .venv/bin/python bench/instructions.py --sizes 20000 --profile   # and where they go

Wall and CPU times on a shared 2-core machine drift by 2x between runs (bench/bulk.py
interleaves rounds for that reason, and still needs several). The number of instructions a
process executes does not drift: valgrind's cachegrind counts them. For each case it runs, one
after the other against the null sink (bench/nullsink.py, on 127.0.0.1):

  one     `inngest-cli send --name ... data.n:=1`        (a one-event send: start-up)
  N       `inngest-cli send FILE -o ids` of N events        (bench/out/events-N.ndjson)

with this checkout and, with --baseline PYTHON, with `PYTHON -m inngest_cli` (another version),
and prints instructions per case, per event beyond start-up, and the ratio to the baseline.
Counts include every thread; the kernel's work (reads, sockets) is not counted. Compare
like with like: an editable install (`pip install -e`, as .venv is) runs its import hook at
every start (~50 M instructions) where a regular install does not; --python sets the
interpreter that runs this checkout, e.g. one of a venv with a regular install of it. Needs
valgrind. --profile writes a callgrind profile of this checkout's largest send and prints its
20 most expensive functions.

--sink-work counts the other side instead: `inngest-cli serve` (this checkout, SQLite in a fresh
file) under cachegrind while curl (the input pre-chunked as bench/bulk.py does) or `inngest-cli
send` posts the N events to it, and once with no client, for serve's own start and stop. On
this 2-core machine serve's CPU time with `inngest-cli send` as the client often reads up to
~15% above its CPU time with curl (bench/bulk.py's sink CPU); these counts tell whether that is
work the client makes for the sink (other requests) or the same work done slower beside a client
that uses the other core. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from bulk import Sink, chunk_for_curl, generate  # noqa: E402

PY = sys.executable


def count(cmd: list[str], cwd: Path, out: str = "/dev/null", tool: str = "cachegrind") -> int:
    """Instructions executed by ``cmd`` (all threads, user space)."""
    options = (
        ["--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}"]
        if tool == "cachegrind"
        else ["--tool=callgrind", f"--callgrind-out-file={out}"]
    )
    run = subprocess.run(
        ["valgrind", *options, *cmd],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=1800,
    )
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{run.stderr[-2000:]}")
    return refs(run.stderr)


def refs(report: str) -> int:
    """The instruction count in valgrind's report (its stderr)."""
    match = re.search(r"I\s+refs:\s+([\d,]+)", report)
    assert match, report[-2000:]
    return int(match.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200000", help="bulk sizes (comma-separated)")
    parser.add_argument("--baseline", metavar="PYTHON", help="another version's python")
    parser.add_argument("--python", default=PY, help="this version's python (default: this one)")
    parser.add_argument("--profile", action="store_true", help="callgrind the largest send")
    parser.add_argument(
        "--sink-work", action="store_true", help="count serve's instructions per client instead"
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    if args.sink_work:
        sink_work([int(s) for s in args.sizes.split(",")], args.python)
        return
    # bytecode for the checkout, as an installed package has: under PYTHONDONTWRITEBYTECODE an
    # editable install would otherwise compile its changed modules in every counted run
    compileall.compile_dir(str(ROOT.parent / "inngest_cli"), quiet=1)
    sizes = [int(s) for s in args.sizes.split(",")]
    versions = {"cli": args.python, **({"base": args.baseline} if args.baseline else {})}
    workdir = Path(tempfile.mkdtemp(prefix="inngest-instr-"))
    sink = Sink(workdir, "null")
    try:
        cases = {"one": ["send", "--name", "bench/one", "data.n:=1"]}
        for size in sizes:
            cases[f"{size:,}"] = ["send", str(generate(size)), "--no-progress"]
        table: dict[str, dict[str, int]] = {}
        for case, argv in cases.items():
            for version, python in versions.items():
                cmd = [python, "-m", "inngest_cli", *argv, "--dev", "--event-api-url",
                       sink.url, "-q", "-o", "ids"]
                # outside the checkout: `-m` looks in the working directory first, and each
                # python must import its own installed version
                table.setdefault(case, {})[version] = count(cmd, workdir)
                print(f"  {case:>10} {version:<5} {table[case][version]:>15,}", file=sys.stderr)
        header = f"{'case':>10} {'version':<8} {'instructions':>15} {'per event':>10}"
        print(f"\n{header} {'vs base':>8}")
        for case, row in table.items():
            for version, instructions in row.items():
                events = int(case.replace(",", "")) if case != "one" else 0
                per = (
                    f"{(instructions - table['one'][version]) / events:10,.0f}" if events
                    else " " * 10
                )
                ratio = f"{instructions / row['base']:7.2f}x" if "base" in row else ""
                print(f"{case:>10} {version:<8} {instructions:15,} {per} {ratio}")
        if args.profile:
            out = workdir / "callgrind.out"
            argv = cases[f"{sizes[-1]:,}"]
            cmd = [args.python, "-m", "inngest_cli", *argv, "--dev", "--event-api-url", sink.url,
                   "-q", "-o", "ids"]
            count(cmd, workdir, str(out), tool="callgrind")
            report = subprocess.run(["callgrind_annotate", str(out)], capture_output=True,
                                    text=True, check=True).stdout
            rows = [line for line in report.splitlines() if re.match(r"\s*[\d,]+ \(", line)]
            print(f"\nwhere the instructions of the {sizes[-1]:,}-event send go (self cost):")
            for line in rows[1:21]:
                print("  " + re.sub(r"\s*\[.*\]$", "", line.replace(os.sep * 2, os.sep))[:110])
    finally:
        sink.stored()
        shutil.rmtree(workdir, ignore_errors=True)


def serve_count(python: str, workdir: Path, client: Callable[[str], list[str]] | None) -> int:
    """Instructions `serve` executes from its start to its stop, with the command
    ``client(serve's URL)`` run to completion in between."""
    db = workdir / f"serve-{time.time_ns()}.db"
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           python, "-m", "inngest_cli", "serve", "--port", "0", "--db", str(db), "--quiet"]
    serve = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert serve.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", serve.stdout.readline())
        assert match, "serve did not start"
        if client is not None:
            subprocess.run(client(match.group(0)), cwd=workdir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, check=True, timeout=1800)
    finally:
        serve.terminate()
        _, err = serve.communicate(timeout=300)
    return refs(err)


def sink_work(sizes: list[int], python: str) -> None:
    """serve's instructions per event, with curl and with `inngest-cli send` as the client."""
    workdir = Path(tempfile.mkdtemp(prefix="inngest-instr-"))
    try:
        idle = serve_count(python, workdir, None)
        print(f"  serve with no client: {idle:,}", file=sys.stderr)
        print(f"\n{'events':>10} {'client':<6} {'serve instructions':>19} {'per event':>10}")
        for size in sizes:
            path = generate(size)
            template = chunk_for_curl(path, workdir).read_text()

            def curl(url: str, template: str = template) -> list[str]:
                config = workdir / "curl-url.cfg"
                config.write_text(template.replace("URL", f"{url}/e/bench"))
                return ["curl", "-K", str(config)]

            def cli(url: str, path: Path = path) -> list[str]:
                return [python, "-m", "inngest_cli", "send", str(path), "--dev",
                        "--event-api-url", url, "--no-progress", "-q", "-o", "ids"]

            for name, client in (("curl", curl), ("cli", cli)):
                total = serve_count(python, workdir, client)
                print(f"{size:>10,} {name:<6} {total:19,} {(total - idle) / size:10,.0f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
