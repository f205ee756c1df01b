"""`events tail`: the follower in-process (late and out-of-order storage, pages, memory), and the
real command as a subprocess against `serve`, sent events while it runs, then SIGINT."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from inngest_cli.ids import encode_ulid
from inngest_cli.tail import EventFollower
from tests.conftest import CLI, ServeProcess


def uid(ms: int, n: int = 0) -> str:
    return encode_ulid(ms, n.to_bytes(10, "big"))


class Store:
    """Events as a server lists them: newest first, in pages of ``page`` (counts the reads)."""

    def __init__(self, page: int = 3) -> None:
        self.ids: list[str] = []
        self.page = page
        self.read = 0

    def add(self, *ids: str) -> None:
        self.ids.extend(ids)

    def iterate_events(self, *, name: str | None = None, **_: Any) -> Iterator[dict[str, Any]]:
        for internal_id in sorted(self.ids, reverse=True):
            self.read += 1
            yield {"internal_id": internal_id, "name": name or "app/a"}


def ids(events: list[dict[str, Any]]) -> list[str]:
    return [e["internal_id"] for e in events]


def test_only_events_after_the_start_oldest_first_once_each() -> None:
    store = Store()
    store.add(uid(1000), uid(2000))
    follower = EventFollower(store, lookback_ms=500)
    follower.prime()
    assert follower.poll() == []
    store.add(uid(3000), uid(3001), uid(3002), uid(3003), uid(3004))  # more than a page
    assert ids(follower.poll()) == [uid(3000), uid(3001), uid(3002), uid(3003), uid(3004)]
    assert follower.poll() == []


def test_a_late_event_with_an_older_id_is_printed_once() -> None:
    store = Store()
    follower = EventFollower(store, lookback_ms=2000)
    follower.prime()
    store.add(uid(10_000))
    assert ids(follower.poll()) == [uid(10_000)]
    store.add(uid(9_000))  # stored late, within the lookback
    assert ids(follower.poll()) == [uid(9_000)]
    store.add(uid(5_000))  # older than the lookback: not looked for
    assert follower.poll() == []


def test_from_an_empty_start_everything_is_new() -> None:
    store = Store()
    follower = EventFollower(store)
    follower.prime()
    store.add(uid(1), uid(2))
    assert ids(follower.poll()) == [uid(1), uid(2)]


def test_reads_stop_at_the_boundary_and_memory_stays_bounded() -> None:
    store = Store()
    store.add(*(uid(ms) for ms in range(0, 100_000, 100)))  # 1000 old events
    follower = EventFollower(store, lookback_ms=1000)
    follower.prime()
    store.read = 0
    store.add(uid(200_000))
    assert ids(follower.poll()) == [uid(200_000)]
    assert store.read == 1 + 11 + 1  # the new event, the 1 s looked back from 99.9 s, one more
    store.read = 0
    assert follower.poll() == []
    assert store.read == 2  # the newest event, then one below the boundary
    assert len(follower._seen) == 1


# -- the real command ---------------------------------------------------------------------


class Tail:
    """`inngest-cli events tail` as a subprocess; its stdout lines arrive on a queue. It runs
    with --verbose: the trace of its first reply on stderr says it has primed (events stored
    from then on are new), so a test waits for that rather than for a fixed time."""

    def __init__(self, *args: str, sigint_ignored: bool = False, read_stdout: bool = True) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "events", "tail", "--interval", "0.1", "--verbose", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=dict(os.environ),
            # what a shell does to `cmd &`
            preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            if sigint_ignored
            else None,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []  # stderr lines that are not the request trace
        self._primed = threading.Event()
        self._readers = [threading.Thread(target=self._read_stderr, daemon=True)]
        if read_stdout:
            self._readers.append(threading.Thread(target=self._read, daemon=True))
        for reader in self._readers:
            reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.startswith("< HTTP 200"):
                self._primed.set()
            elif not line.startswith(("> ", "< ")):
                self.errors.append(line)

    def wait_primed(self, timeout: float = 20) -> None:
        assert self._primed.wait(timeout), f"tail did not start following: {self.errors}"

    def take(self, count: int, timeout: float = 10) -> list[str]:
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < count:
            out.append(self.lines.get(timeout=max(0.01, deadline - time.monotonic())))
        return out

    def interrupt(self) -> tuple[int, str]:
        """SIGINT; the exit status and what it wrote on stderr besides the trace."""
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=10)
        self.close()
        return code, "".join(self.errors)

    def close(self) -> None:
        """After the process has ended: finish reading its output and close the pipes."""
        for reader in self._readers:
            reader.join(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None and not stream.closed:
                stream.close()


def post(serve: ServeProcess, events: list[dict[str, Any]]) -> list[str]:
    reply = httpx.post(f"{serve.url}/e/k", json=events, timeout=10)
    reply.raise_for_status()
    result: list[str] = reply.json()["ids"]
    return result


def test_tail_prints_events_sent_while_it_runs(serve: ServeProcess) -> None:
    post(serve, [{"name": "app/before"}])
    tail = Tail("--api-url", serve.url)
    try:
        tail.wait_primed()  # from here on events are new: app/before is not
        first = post(serve, [{"name": "app/a", "data": {"n": 1}}])
        lines = tail.take(1)
        many = post(serve, [{"name": "app/b", "data": {"n": i}} for i in range(120)])
        lines += tail.take(120)
        last = post(serve, [{"name": "app/c"}])
        lines += tail.take(1)
        end = post(serve, [{"name": "app/end"}])  # oldest first: a repeat would come before it
        lines += tail.take(1)
    finally:
        code, err = tail.interrupt()
    events = [json.loads(line) for line in lines]  # piped: NDJSON, whole objects
    assert [e["internal_id"] for e in events] == first + many + last + end
    assert [e["data"]["n"] for e in events[1:121]] == list(range(120))
    assert set(events[0]) >= {"internal_id", "received_at", "name", "data", "id"}
    assert code == 130 and err == ""


def test_tail_by_name_as_ids(serve: ServeProcess) -> None:
    tail = Tail("--api-url", serve.url, "--name", "app/wanted", "-o", "ids")
    try:
        tail.wait_primed()
        ids_sent = post(serve, [{"name": "app/other"}, {"name": "app/wanted"}, {"name": "x"}])
        assert tail.take(1) == [ids_sent[1] + "\n"]
    finally:
        code, _ = tail.interrupt()
    assert code == 130


def test_tail_refuses_json(serve: ServeProcess) -> None:
    from tests.conftest import run_cli

    result = run_cli("events", "tail", "--api-url", serve.url, "-o", "json")
    assert result.returncode == 2
    assert result.stderr == "error: --output json: events tail never ends; use -o ndjson\n"


def test_tail_ends_on_sigint_even_when_started_in_the_background(serve: ServeProcess) -> None:
    tail = Tail("--api-url", serve.url, "-o", "ids", sigint_ignored=True)
    tail.wait_primed()
    sent = post(serve, [{"name": "app/a"}])
    assert tail.take(1) == [sent[0] + "\n"]
    code, err = tail.interrupt()
    assert code == 130 and err == ""


def test_tail_ends_quietly_when_its_reader_goes_away(serve: ServeProcess) -> None:
    tail = Tail("-o", "ids", "--api-url", serve.url, read_stdout=False)
    proc = tail.proc
    assert proc.stdout is not None
    tail.wait_primed()
    post(serve, [{"name": "app/a"}])
    proc.stdout.readline()
    proc.stdout.close()  # `| head -1`
    post(serve, [{"name": "app/b"}])
    assert proc.wait(timeout=10) == 0
    tail.close()
    assert tail.errors == []


def test_follow_yields_each_new_event_once_and_stops_when_asked() -> None:
    """Between polls the store grows; `stopped` is asked before each poll (here: after three)."""
    store = Store()
    store.add(uid(1000))  # there at the start: not new
    polls = iter([uid(2000), uid(3000)])
    asked = []

    def stopped() -> bool:
        asked.append(len(asked))
        added = next(polls, None)
        if added is not None:
            store.add(added)
        return len(asked) > 3

    events = EventFollower(store, lookback_ms=500).follow(0.0, stopped)
    assert ids(list(events)) == [uid(2000), uid(3000)]
    assert len(asked) == 4  # three polls, then told to stop
