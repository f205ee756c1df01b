"""Start-up benchmark: how long a user waits for `inngest-cli` to do one small thing.

    .venv/bin/python bench/startup.py              # 30 interleaved rounds
    .venv/bin/python bench/startup.py --runs 100   # steadier medians

In one process tree (this script, a local sink, and each client as a child process), against
`inngest-cli serve --port 0 --db :memory:` on 127.0.0.1, it times, interleaved round by round so
that machine noise hits every case alike:

  help     inngest-cli --help
  typer    python -c "import typer"                    (the floor for any typer CLI)
  send     inngest-cli send --name ... data.n:=1  (one event; INNGEST_DEV=the sink)
  raw      a minimal httpx + orjson script posting the same event
  sdk      a script calling the official `inngest` SDK's send_sync with the same event
  python   python -c pass                               (interpreter start, for reference)

and prints each case's median wall time (and CPU time, steadier on a busy machine) and the ratios
against the targets:
help <= 1.3x typer, send <= 1.0x raw, send <= 0.5x sdk. Every send is checked (exit status 0),
and the sink is checked to hold every event sent. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
_SCRIPT = Path(PY).with_name("inngest-cli")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [PY, "-m", "inngest_cli"]

RAW = r"""
import sys, httpx, orjson
r = httpx.post(sys.argv[1] + "/e/NO_EVENT_KEY_SET",
               content=orjson.dumps([{"name": "bench/startup", "data": {"n": 1}}]),
               headers={"content-type": "application/json"})
assert r.status_code == 200, r.text
print(orjson.loads(r.content)["ids"][0])
"""

SDK = r"""
import sys, inngest
client = inngest.Inngest(app_id="bench", is_production=False, event_api_base_url=sys.argv[1])
print(client.send_sync(inngest.Event(name="bench/startup", data={"n": 1}))[0])
"""

TARGETS = (("help", "typer", 1.3), ("send", "raw", 1.0), ("send", "sdk", 0.5))


def cases(url: str) -> dict[str, list[str]]:
    return {
        "help": [*CLI, "--help"],
        "typer": [PY, "-c", "import typer"],
        "send": [*CLI, "send", "--name", "bench/startup", "data.n:=1"],
        "raw": [PY, "-c", RAW, url],
        "sdk": [PY, "-c", SDK, url],
        "python": [PY, "-c", "pass"],
    }


def start_sink() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", "0", "--db", ":memory:", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
    if not match:
        proc.kill()
        raise SystemExit("serve did not start")
    return proc, match.group(0)


def stored(url: str) -> int:
    import httpx

    count, params = 0, {"name": "bench/startup", "limit": "51"}
    while True:
        page = httpx.get(f"{url}/v1/events", params=params, timeout=10).json()["data"]
        if not page:
            return count
        count += len(page)
        params["cursor"] = page[-1]["internal_id"]


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time, and CPU time (user + system) of the child: steadier on a busy machine."""
    cpu = cpu_of_children()
    started = time.perf_counter()
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv[:3]} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed, cpu_of_children() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="rounds (each runs every case once)")
    parser.add_argument("--only", nargs="*", help="cases to run (default: all)")
    args = parser.parse_args()

    sink, url = start_sink()
    # as installed: bytecode caches are written (pip compiles on install), no user settings
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("INNGEST_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["INNGEST_DEV"] = url
    # no config file (a missing one is never parsed): measure the tool, not the user's profile
    env["INNGEST_CLI_CONFIG"] = os.path.join(os.path.dirname(__file__), "out", "no-config.toml")
    try:
        todo = cases(url)
        if args.only:
            todo = {name: argv for name, argv in todo.items() if name in args.only}
        times: dict[str, list[float]] = {name: [] for name in todo}
        cpu: dict[str, list[float]] = {name: [] for name in todo}
        for argv in todo.values():  # warm-up: bytecode caches, page cache
            time_once(argv, env)
        for _ in range(args.runs):
            for name, argv in todo.items():
                wall, used = time_once(argv, env)
                times[name].append(wall)
                cpu[name].append(used)
        sends = sum(args.runs + 1 for name in ("send", "raw", "sdk") if name in todo)
        held = stored(url)
    finally:
        sink.terminate()
        sink.wait()

    print(f"{len(todo)} cases x {args.runs} interleaved runs, Python {sys.version.split()[0]}")
    print(f"{'case':8} {'median':>9} {'min':>9} {'p90':>9} {'cpu':>9}")
    medians, cpu_medians = {}, {}
    for name, values in times.items():
        values.sort()
        medians[name] = statistics.median(values)
        cpu_medians[name] = statistics.median(cpu[name])
        p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
        print(
            f"{name:8} {1000 * medians[name]:7.1f}ms {1000 * values[0]:7.1f}ms "
            f"{1000 * p90:7.1f}ms {1000 * cpu_medians[name]:7.1f}ms"
        )
    for case, base, target in TARGETS:
        if case in medians and base in medians:
            ratio = medians[case] / medians[base]
            cpu_ratio = cpu_medians[case] / cpu_medians[base]
            verdict = "ok" if ratio <= target else "MISSED"
            print(
                f"{case}/{base}: {ratio:.2f}x wall, {cpu_ratio:.2f}x cpu "
                f"(target <= {target}x) {verdict}"
            )
    if held != sends:
        raise SystemExit(f"the sink holds {held} events, {sends} were sent")
    print(f"sink holds all {held} events sent")


if __name__ == "__main__":
    main()
