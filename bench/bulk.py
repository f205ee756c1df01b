"""Bulk-send benchmark: `inngest-cli send` vs curl (the I/O floor) vs the official SDK.

    .venv/bin/python bench/bulk.py                 # 200k and 2M events (a few minutes)
    .venv/bin/python bench/bulk.py --sizes 20000   # quick look

For each input size it generates an NDJSON file of realistic events (bench/out/, reused), then,
against the same local sink (`inngest-cli serve` on 127.0.0.1, a fresh SQLite file per run), times:

  curl   posting the input pre-chunked into <=512 KB JSON arrays, one kept-alive connection,
         each body streamed from its file (chunking is done before the clock starts: this is
         the floor for the sink)
  curl4  with --clients ...,curl4: the same, over 4 connections at once (`curl -Z`), as many as
         `inngest-cli` keeps busy (its default --concurrency): the sink's floor for that
  sdk    the official `inngest` SDK's `send_sync` in chunks of 1000 (a script reading the file)
  cli    `inngest-cli send FILE`
  base   with --baseline PYTHON: the same send by `PYTHON -m inngest_cli` (another version)

(--sink-python PYTHON runs another version's serve as the sink, for a change to serve itself;
--sink-baseline PYTHON runs every contender against both, interleaved: rows named "curl/old" and
the like are against `PYTHON -m inngest_cli serve`, and each client's time with the old sink is
compared with its time with this one, round by round.)

interleaved round by round, and prints each one's median throughput, ratios (cli/curl, cli/sdk;
with several rounds also each round's, min / median / max, which shows the machine's noise),
peak RSS and CPU time (steadier than wall time on a busy machine), and the CPU time the sink spent
serving each run (Linux): client and sink share the machine's cores, so a client that uses more
of them leaves the sink less. With --sink null it also prints when the client's first request had
reached the sink (its start-up, which the sink waits through) and for what share of the time from
then to the last reply the sink was working (parsing and answering, bodies already received):
near 100% the sink holds the client back, well below it the client is the one to speed up.
Every run checks that the sink stored exactly the number of events sent. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import re
import resource
import shutil
import site
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from serve_idle import cpu_seconds

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
PY = sys.executable
# The contenders that run in this interpreter's venv start with -S, with the checkout and the
# venv's site-packages put on their path instead of by `site`, as from a regular install: an
# editable install's import hook (its `.pth` runs at every start) costs ~50 M instructions,
# ~30 ms here, which a user's install does not pay.
_BOOT = (
    f"import sys; sys.path.insert(0, {str(ROOT.parent)!r}); "
    f"sys.path += {site.getsitepackages()!r}; import runpy; "
)


def installed(target: str, *args: str) -> list[str]:
    """A command running ``target`` (a module name, or a script's path) in this venv, -S (and
    -P: not from the working directory)."""
    run = (
        f"runpy.run_path({target!r}, run_name='__main__')"
        if target.endswith(".py")
        else f"runpy.run_module({target!r}, run_name='__main__', alter_sys=True)"
    )
    return [PY, "-S", "-P", "-c", _BOOT + run, *args]


CHUNK_BYTES = 512 * 1000  # "<= 512 KB"
OLD = "/old"  # the label suffix of a contender run against the --sink-baseline serve

SDK_SCRIPT = r"""
import sys, orjson, inngest
client = inngest.Inngest(app_id="bench", is_production=False, event_api_base_url=sys.argv[2])
chunk = []
with open(sys.argv[1], "rb") as f:
    for line in f:
        e = orjson.loads(line)
        chunk.append(inngest.Event(name=e["name"], data=e["data"], id=e["id"]))
        if len(chunk) == 1000:
            client.send_sync(chunk)
            chunk = []
if chunk:
    client.send_sync(chunk)
"""


def generate(count: int) -> Path:
    path = OUT / f"events-{count}.ndjson"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rng = random.Random(count)
    plans = ["free", "pro", "team", "enterprise"]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        for i in range(count):
            f.write(
                orjson.dumps(
                    {
                        "name": "bench/user.imported",
                        "id": f"user-{i}",
                        "data": {
                            "seq": i,
                            "email": f"user{i}@example.com",
                            "plan": rng.choice(plans),
                            "score": round(rng.random(), 6),
                            "tags": ["import", "bench"],
                        },
                    }
                )
                + b"\n"
            )
    tmp.rename(path)
    return path


def chunk_for_curl(path: Path, workdir: Path) -> Path:
    """Pre-chunk NDJSON into JSON arrays of at most CHUNK_BYTES, and a curl config posting them."""
    config = workdir / "curl.cfg"
    chunks: list[Path] = []
    batch: list[bytes] = []
    size = 2

    def flush() -> None:
        chunk = workdir / f"chunk-{len(chunks):05d}.json"
        chunk.write_bytes(b"[" + b",".join(batch) + b"]")
        chunks.append(chunk)

    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if batch and (size + len(line) + 1 > CHUNK_BYTES or len(batch) == 5000):
                flush()
                batch, size = [], 2
            batch.append(line)
            size += len(line) + 1
    if batch:
        flush()
    with open(config, "w") as cfg:
        for i, chunk in enumerate(chunks):
            if i:
                cfg.write("next\n")
            # upload-file streams each body from its file when its request starts; data-binary
            # would read every chunk before the first request (at 2M events: 325 MiB, and twice
            # the time, most of it curl's own page faults). "Expect:" drops the 100-continue
            # round trip curl adds to uploads.
            cfg.write(
                f'url = "URL"\nupload-file = "{chunk}"\nrequest = "POST"\n'
                'header = "Content-Type: application/json"\nheader = "Expect:"\n'
                'output = "/dev/null"\nsilent\nfail\n'
            )
    return config


@dataclass
class Result:
    name: str
    events: int
    seconds: float
    rss_mib: float
    cpu: float = 0.0  # user + system seconds of the client process
    sink_cpu: float | None = None  # user + system seconds the sink spent meanwhile (Linux)
    first_post: float | None = None  # null sink: seconds from the start to the first body
    sink_busy: float | None = None  # null sink: working share of first body .. last reply

    def timeline(self) -> str:
        if self.first_post is None or self.sink_busy is None:
            return ""
        return f"  1st post {self.first_post:5.3f} s  sink busy {self.sink_busy:4.0%}"

    @property
    def rate(self) -> float:
        return self.events / self.seconds


class Sink:
    """A fresh sink on a free loopback port: `inngest-cli serve` with its own SQLite file, or
    (`--sink null`) bench/nullsink.py, which stores nothing and so measures the clients alone."""

    def __init__(self, workdir: Path, kind: str, python: str | None = None) -> None:
        self.kind = kind
        self.db = workdir / f"sink-{time.time_ns()}.db"
        serve = ["-m", "inngest_cli", "serve", "--port", "0", "--db", str(self.db), "--quiet"]
        cmd = [PY, str(ROOT / "nullsink.py")] if kind == "null" else [python or PY, *serve]
        # another version's serve: `-m` looks in the working directory first, not in this checkout
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=workdir if python else None,
        )
        assert self.proc.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", self.proc.stdout.readline())
        assert match, "sink did not start"
        self.url = match.group(0)
        self.report: dict[str, Any] = {}  # the null sink's /count, once stored()

    def cpu(self) -> float | None:
        """User + system seconds the sink has used so far (from /proc: Linux only)."""
        try:
            return cpu_seconds(self.proc.pid)
        except OSError:
            return None

    def stored(self) -> int:
        if self.kind == "null":
            with urllib.request.urlopen(f"{self.url}/count") as reply:
                self.report = orjson.loads(reply.read())
            taken: int = self.report["count"]
            self.proc.terminate()
            self.proc.communicate(timeout=30)
            return taken
        self.proc.terminate()
        self.proc.communicate(timeout=30)
        # closing(): a connection's `with` only commits, and each one left open kept its page
        # cache in this process, which every later child's peak RSS would then read as its own
        with closing(sqlite3.connect(self.db)) as conn:
            count: int = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        return count


def timed(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, float, float]:
    """Run ``cmd``; return (wall seconds, peak RSS MiB, CPU seconds of that process). On Linux
    a child's peak RSS starts at this process's own (it is kept across fork and exec), so no
    figure reads below `own_peak_mib()`, printed with the results."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def own_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(
    name: str,
    count: int,
    path: Path,
    workdir: Path,
    curl_cfg: Path,
    sink_kind: str,
    baseline: str | None = None,
    sink_python: str | None = None,
) -> Result:
    sink = Sink(workdir, sink_kind, sink_python)
    sink_before = sink.cpu()
    started = time.monotonic()  # the null sink's clock too (one per machine)
    if name in ("curl", "curl4"):
        cfg = workdir / "curl-url.cfg"
        cfg.write_text(curl_cfg.read_text().replace("URL", f"{sink.url}/e/bench"))
        parallel = ["-Z", "--parallel-max", "4", "--no-progress-meter"] if name == "curl4" else []
        seconds, rss, cpu = timed(["curl", *parallel, "-K", str(cfg)])
    elif name == "sdk":
        script = workdir / "sdk_send.py"
        script.write_text(SDK_SCRIPT)
        seconds, rss, cpu = timed(installed(str(script), str(path), sink.url))
    else:
        argv = ["send", str(path), "--dev", "--event-api-url", sink.url, "--no-progress"]
        argv += ["-q", "-o", "ids"]
        if name == "base" and baseline:  # another venv, a regular install
            # `-m` looks in the working directory first: not in this checkout
            seconds, rss, cpu = timed([baseline, "-m", "inngest_cli", *argv], cwd=workdir)
        else:
            seconds, rss, cpu = timed(installed("inngest_cli", *argv))
    sink_after = sink.cpu()
    sink_cpu = None if sink_before is None or sink_after is None else sink_after - sink_before
    stored = sink.stored()
    if stored != count:
        raise SystemExit(f"{name}: the sink stored {stored} events, expected {count}")
    result = Result(name, count, seconds, rss, cpu, sink_cpu)
    first, last, busy = (sink.report.get(key) for key in ("first", "last", "busy"))
    if first is not None and last is not None and busy is not None:
        result.first_post = first - started
        result.sink_busy = busy / (last - first) if last > first else 1.0
    return result


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def median(results: list[Result]) -> Result:
    """The run with the median time (the lower middle one for an even count), with its RSS."""
    ordered = sorted(results, key=lambda r: r.seconds)
    return ordered[(len(ordered) - 1) // 2]


def round_ratios(runs: dict[str, list[Result]]) -> list[str]:
    """Each round's ratios (cli/curl and the like), min / median / max: rounds are interleaved,
    so a round's contenders ran at about the same moment of the machine, and the spread shows
    how far the ratio of medians could move on another day."""
    pairs = [(client + old, floor + old) for old in ("", OLD) for client in ("cli", "base")
             for floor in ("curl", "curl4", "sdk")]
    # with --sink-baseline: each client's time with the old serve over its time with this one
    pairs += [(name, name + OLD) for name in runs if not name.endswith(OLD)]
    lines = []
    for client, floor in pairs:
        if client in runs and floor in runs and len(runs[client]) > 1:
            rounds = zip(runs[client], runs[floor], strict=True)
            ratios = sorted(floor_run.seconds / run.seconds for run, floor_run in rounds)
            middle = ratios[(len(ratios) - 1) // 2]
            what = f"{client} with this serve / with the old" if floor == client + OLD else (
                f"{client.removesuffix(OLD)} / {floor.removesuffix(OLD)}"
                + (" (old serve)" if OLD in floor else ""))
            lines.append(f"{what} by round: {ratios[0]:.2f}x / {middle:.2f}x / "
                         f"{ratios[-1]:.2f}x (min / median / max)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="200000,2000000")
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs per contender (the median is reported)"
    )
    parser.add_argument("--skip-sdk", action="store_true")
    parser.add_argument(
        "--clients",
        default="curl,cli,sdk",
        help="which contenders to run (comma-separated; curl4 too, if named)",
    )
    parser.add_argument(
        "--sink",
        choices=("serve", "null"),
        default="serve",
        help="serve: inngest-cli serve with SQLite (default); null: store nothing",
    )
    parser.add_argument(
        "--sink-python",
        metavar="PYTHON",
        help="with --sink serve: run `PYTHON -m inngest_cli serve` (another version's serve) "
        "as the sink, to see what a change to serve does",
    )
    parser.add_argument(
        "--sink-baseline",
        metavar="PYTHON",
        help="with --sink serve: also run every contender against `PYTHON -m inngest_cli serve`, "
        "interleaved, to compare two versions of serve side by side in one run",
    )
    parser.add_argument(
        "--baseline",
        metavar="PYTHON",
        help="add a 'base' contender: `PYTHON -m inngest_cli send` (another checkout's venv), "
        "to compare two versions side by side in one run",
    )
    args = parser.parse_args()
    if args.baseline:
        args.clients += ",base"
    # Bytecode for the package, as an installed one has (pip compiles at install); without it,
    # every run under PYTHONDONTWRITEBYTECODE would compile the package from source first.
    compileall.compile_dir(str(ROOT.parent / "inngest_cli"), quiet=1)
    names = [n for n in args.clients.split(",") if not (args.skip_sdk and n == "sdk")]
    # (label, client, sink's python): "curl/old" is curl against the --sink-baseline serve
    contenders = [(name, name, args.sink_python) for name in names]
    if args.sink_baseline:
        contenders += [(f"{name}{OLD}", name, args.sink_baseline) for name in names]
    table: dict[int, dict[str, Result]] = {}
    spreads: dict[int, list[str]] = {}
    for count in (int(s) for s in args.sizes.split(",")):
        path = generate(count)
        workdir = Path(tempfile.mkdtemp(prefix="inngest-bench-"))
        try:
            curl_cfg = chunk_for_curl(path, workdir)
            runs: dict[str, list[Result]] = {label: [] for label, _, _ in contenders}
            for _ in range(args.rounds):
                for label, name, sink_python in contenders:  # interleaved: drift hits all alike
                    result = run_one(
                        name, count, path, workdir, curl_cfg, args.sink, args.baseline,
                        sink_python,
                    )
                    runs[label].append(result)
                    print(
                        f"  {count:>9,} {label:<5} {result.seconds:7.2f} s "
                        f"{result.rate:>10,.0f} ev/s  peak RSS {result.rss_mib:6.1f} MiB"
                        f"  CPU {result.cpu:5.2f} s  sink CPU {_seconds(result.sink_cpu)}"
                        f"{result.timeline()}",
                        file=sys.stderr,
                        flush=True,
                    )
            table[count] = {name: median(results) for name, results in runs.items()}
            spreads[count] = round_ratios(runs)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    which = f" ({args.sink_python} -m inngest_cli serve)" if args.sink_python else ""
    print(
        f"\nsink: {args.sink}{which}, median of {args.rounds} round(s); no peak RSS reads below "
        f"{own_peak_mib():.1f} MiB (this script's own)"
    )
    print(
        f"{'events':>10} {'client':<9} {'seconds':>8} {'events/s':>11} {'peak RSS':>9}"
        f" {'CPU s':>6} {'sink CPU':>8} {'cli/curl':>9} {'cli/sdk':>8}"
        + (f" {'cli/curl4':>9}" if "curl4" in names else "")
    )
    for count, best in table.items():
        for name, result in best.items():
            extra = ""
            old = OLD if name.endswith(OLD) else ""  # against the same sink's floors
            curl, sdk, curl4 = (best.get(floor + old) for floor in ("curl", "sdk", "curl4"))
            if name.removesuffix(OLD) in ("cli", "base"):  # base: the --baseline version
                extra = f" {result.rate / curl.rate:8.2f}x" if curl else " " * 10
                extra += f" {result.rate / sdk.rate:7.2f}x" if sdk else " " * 9
                extra += f" {result.rate / curl4.rate:8.2f}x" if curl4 else ""
            print(
                f"{count:>10,} {name:<9} {result.seconds:8.2f} {result.rate:11,.0f} "
                f"{result.rss_mib:7.1f}Mi {result.cpu:6.2f} {_seconds(result.sink_cpu):>8}{extra}"
                f"{result.timeline()}"
            )
    for count, lines in spreads.items():
        for line in lines:
            print(f"{count:>10,} {line}")
    counts = sorted(table)
    if len(counts) > 1 and "cli" in names:
        small, large = table[counts[0]]["cli"], table[counts[-1]]["cli"]
        print(
            f"\ncli peak RSS {counts[-1]:,} vs {counts[0]:,} events: "
            f"{large.rss_mib / small.rss_mib:.2f}x ({large.rss_mib:.1f} vs {small.rss_mib:.1f} MiB)"
        )


if __name__ == "__main__":
    main()
