"""Exactly once across run boundaries: `send --checkpoint` killed, cut off, overlapped, resumed
on changed input or with unwritable side files, against the fault-injecting Event API as a real
process. Each test reruns the real CLI and checks the server's store by content: every input
event stored, none under two IDs (the server keeps one row per ID, so a resend under the same
seed is a replay and a resend under a new seed a second row)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from inngest_cli.units import labelled
from tests.conftest import CLI, ndjson_events


def command(url: str, *args: str) -> list[str]:
    return [*CLI, "send", "--dev", "--event-api-url", url, "--no-progress", "-o", "ndjson",
            *args]


def start(url: str, *args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen(command(url, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=stdin, text=True)


def run(url: str, *args: str, input: str | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(url, *args), input=input, capture_output=True, text=True,
                          timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)


def wait_stored(server: Any, count: int, timeout: float = 60) -> None:
    """Block until ``count`` requests have stored events: the worst moment to be killed."""
    reply = httpx.get(f"{server.url}/_wait", params={"stored": count, "timeout": timeout},
                      timeout=timeout + 10).json()
    assert reply["reached"], reply


def kill(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.communicate()


def stored(server: Any) -> Counter[int]:
    return Counter(e["data"]["seq"] for e in server.state()["events"])


def printed(stdout: str) -> dict[int, str]:
    return {orjson.loads(line)["line"]: orjson.loads(line)["id"] for line in stdout.splitlines()}


def checkpoint_state(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text(ndjson_events(3000))
    return path


# -- 1. the run is durable before the first request leaves --------------------------------------
def test_killed_while_the_first_request_hangs_after_being_stored(
    fault_server: Any, events_file: Path, tmp_path: Path
) -> None:
    server = fault_server("--faults", "hang")
    ck = tmp_path / "ck"
    args = (str(events_file), "--checkpoint", str(ck), "--max-batch", "100")
    proc = start(server.url, *args, "--concurrency", "1")
    wait_stored(server, 1)  # request 1 is stored, and will never be answered
    kill(proc)
    assert stored(server) == Counter(range(100))
    assert checkpoint_state(ck)["inflight"][0]["start"] == 0  # recorded before it left
    result = run(server.url, *args)
    assert result.returncode == 0, result.stderr
    assert stored(server) == Counter(range(3000))
    assert len(printed(result.stdout)) == 3000
    assert server.state()["replays"] == 100  # request 1 again, under the same seed


def test_killed_mid_split_under_a_413_cap_then_rerun(
    fault_server: Any, events_file: Path, tmp_path: Path
) -> None:
    # Requests of up to 12 kB against a server that takes 3 kB: every request is split by 413s,
    # and the cap the first run learns is lower than the one the rerun starts with.
    server = fault_server("--max-body", "3000", "--delay", "0.3")
    ck = tmp_path / "ck"
    args = (str(events_file), "--checkpoint", str(ck), "--max-request-bytes", "12000")
    proc = start(server.url, *args)
    wait_stored(server, 6)  # several halves stored, their replies still on the way
    kill(proc)
    before = stored(server)
    assert 0 < sum(before.values()) < 3000 and max(before.values()) == 1
    state = checkpoint_state(ck)
    # Requests were in flight; whether the learned cap was saved before the kill depends on
    # whether a request was launched after the first 413 (it is saved with each launch), so
    # the rerun may start at 12 kB or lower: either way its halves are not the first run's.
    assert state["inflight"] and state["max_request_bytes"] <= 12000
    result = run(server.url, *args)
    assert result.returncode == 0, result.stderr
    assert stored(server) == Counter(range(3000))


# -- 2. only confirmed outcomes settle --------------------------------------------------------
def test_retries_exhausted_after_stored_but_dropped_replies_are_unconfirmed(
    fault_server: Any, tmp_path: Path
) -> None:
    server = fault_server("--faults", "drop,drop,drop,drop,drop,drop")
    ck, failed = tmp_path / "ck", tmp_path / "failed.ndjson"
    lines = ndjson_events(20)
    args = ("--checkpoint", str(ck), "--failed-out", str(failed), "--retries", "2",
            "--max-batch", "5", "--concurrency", "1")
    first = run(server.url, *args, input=lines)
    assert first.returncode == 5, first.stderr
    assert first.stdout == ""
    assert failed.read_text() == ""  # stored, maybe: replaying it would duplicate
    # The rerun resends the recorded request first; it is dropped again: unconfirmed again.
    assert orjson.loads(run(server.url, *args, "-o", "json", input=lines).stdout) == {
        "ids": [], "sent": 0, "failed": 0, "unconfirmed": 5, "not_sent": 15}
    assert first.stderr.splitlines() == [
        "warning: stdin:1-5: 5 events unconfirmed (gave up after 3 attempts: ReadError: "
        "[Errno 104] Connection reset by peer): the server may have stored them; the rerun "
        "resends them under the same IDs",
        "sent 0 events in 3 requests (2 retries), 0 failed, "
        + first.stderr.split("0 failed, ")[1].split(" s")[0]
        + " s;",  # the summary is broken before each clause to fit 80 columns
        "  5 events unconfirmed (may have been stored);",
        "  15 not sent",
        f"error: could not reach the Event API at {server.url}/e/****_SET after 3 attempts: "
        "ReadError: [Errno 104] Connection reset by peer",
        "hint: check that a server is running at that address (--event-api-url)",
    ]
    state = checkpoint_state(ck)
    assert (state["settled"], state["complete"]) == (0, False)
    assert stored(server) == Counter(range(5))
    again = run(server.url, *args, input=lines)
    assert again.returncode == 0, again.stderr
    assert stored(server) == Counter(range(20))
    assert len(printed(again.stdout)) == 20
    assert checkpoint_state(ck)["complete"] is True


def test_a_server_never_reached_leaves_the_events_not_sent_for_the_rerun(
    fault_server: Any, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on (yet)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    ck, failed = tmp_path / "ck", tmp_path / "failed.ndjson"
    lines = ndjson_events(12)
    args = ("--checkpoint", str(ck), "--failed-out", str(failed), "--retries", "1",
            "--max-batch", "4")
    first = run(url, *args, input=lines)
    assert first.returncode == 5, first.stderr
    assert "unconfirmed" not in first.stderr  # never connected: nothing can have been stored
    assert "; 12 not sent" in first.stderr
    assert failed.read_text() == ""  # the rerun sends them: not for replaying by hand too
    as_json = run(url, *args, "-o", "json", input=lines)
    assert orjson.loads(as_json.stdout) == {"ids": [], "sent": 0, "failed": 0, "not_sent": 12}
    server = fault_server("--port", str(port))
    again = run(url, *args, input=lines)
    assert again.returncode == 0, again.stderr
    assert stored(server) == Counter(range(12))


def test_without_a_checkpoint_events_never_sent_go_to_failed_out(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    failed = tmp_path / "failed.ndjson"
    result = run(url, "--failed-out", str(failed), "--retries", "0", input=ndjson_events(3))
    assert result.returncode == 5
    assert failed.read_text() == ndjson_events(3)  # never left: safe to replay


@pytest.mark.parametrize("fault", ["short", "long", "badids"])
def test_a_200_whose_ids_do_not_fit_is_unconfirmed_and_resent_under_the_same_seed(
    fault_server: Any, tmp_path: Path, fault: str
) -> None:
    server = fault_server("--faults", fault)
    ck, failed = tmp_path / "ck", tmp_path / "failed.ndjson"
    lines = ndjson_events(10)
    args = ("--checkpoint", str(ck), "--failed-out", str(failed), "--max-batch", "5",
            "--concurrency", "1")
    first = run(server.url, *args, input=lines)
    assert first.returncode == 1, first.stderr
    usable = {"short": 4, "long": 6, "badids": 0}[fault]
    assert first.stderr.splitlines()[-3:] == [
        f"error: {server.url}/e/****_SET: HTTP 200 but the reply has {usable} usable IDs for 5 "
        "events",
        "hint: the server may have stored them: rerun with the same --checkpoint to",
        "      resend them under the same IDs",
    ]
    assert failed.read_text() == ""
    again = run(server.url, *args, input=lines)
    assert again.returncode == 0, again.stderr
    assert stored(server) == Counter(range(10))
    assert sorted(printed(again.stdout)) == list(range(1, 11))


def test_a_400_then_a_kill_writes_each_failure_once(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server("--delay", "0.2")
    lines = "".join(
        f'{{"name":"fault/reject","data":{{"seq":-{i}}}}}\n' if i % 7 == 3 else
        f'{{"name":"test/seq","data":{{"seq":{i}}}}}\n' for i in range(400)
    )
    ck, failed = tmp_path / "ck", tmp_path / "failed.ndjson"
    source = tmp_path / "in.ndjson"
    source.write_text(lines)
    args = (str(source), "--checkpoint", str(ck), "--failed-out", str(failed), "--max-batch", "20")
    proc = start(server.url, *args)
    wait_stored(server, 8)
    kill(proc)
    again = run(server.url, *args)
    assert again.returncode == 6, again.stderr
    rejected = [line for line in lines.splitlines() if "reject" in line]
    assert failed.read_text().splitlines() == rejected
    assert stored(server) == Counter(i for i in range(400) if i % 7 != 3)


# -- 3. one run per checkpoint ----------------------------------------------------------------
def test_a_second_run_on_the_same_checkpoint_is_refused(
    fault_server: Any, events_file: Path, tmp_path: Path
) -> None:
    server = fault_server("--delay", "0.2")
    ck = tmp_path / "ck"
    args = (str(events_file), "--checkpoint", str(ck), "--max-batch", "200")
    first = start(server.url, *args)
    wait_stored(server, 1)
    second = run(server.url, *args)
    assert second.returncode == 7
    assert second.stderr == (
        f"error: --checkpoint: {ck} is in use by another run (pid {first.pid})\n"
        "hint: wait for it to finish; two runs on one checkpoint would send events twice\n"
    )
    assert second.stdout == ""
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert stored(server) == Counter(range(3000))


# -- 4. the checkpoint knows its input by content ---------------------------------------------
def test_a_file_rewritten_with_the_same_size_is_refused(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    path, ck = tmp_path / "in.ndjson", tmp_path / "ck"
    path.write_text(ndjson_events(10))
    assert run(server.url, str(path), "--checkpoint", str(ck)).returncode == 0
    path.write_text(ndjson_events(10, name="test/qes"))  # same size, other events
    result = run(server.url, str(path), "--checkpoint", str(ck))
    assert result.returncode == 2
    assert result.stderr == (
        f"error: --checkpoint: {ck} was written for a different input: its first 10 records "
        f"(up to {path}:10) are not the ones the checkpoint settled\n"
        "hint: resume with the same input, or delete the checkpoint to send this one anew\n"
    )
    assert server.state()["requests"] == 1


def test_yesterdays_checkpoint_refuses_todays_stdin(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    ck = tmp_path / "daily.ckpt"
    assert run(server.url, "-", "--checkpoint", str(ck), input=ndjson_events(5)).returncode == 0
    again = run(server.url, "-", "--checkpoint", str(ck), input=ndjson_events(5))
    assert again.returncode == 0
    assert "was already sent in full (5 sent, 0 failed)" in again.stderr
    today = run(server.url, "-", "--checkpoint", str(ck), input=ndjson_events(5, start=100))
    assert today.returncode == 2
    assert today.stderr.startswith(
        f"error: --checkpoint: {ck} was written for a different input: its first 5 records "
        "(up to stdin:5) are not the ones the checkpoint settled\n"
    )
    shorter = run(server.url, "-", "--checkpoint", str(ck), input=ndjson_events(3))
    assert shorter.returncode == 2
    assert "the input ends after 3 records; the checkpoint settled 5 (up to stdin:5)" in (
        shorter.stderr)
    assert stored(server) == Counter(range(5))


def test_a_grown_input_sends_only_what_was_added(fault_server: Any, tmp_path: Path) -> None:
    server = fault_server()
    path, ck = tmp_path / "log.ndjson", tmp_path / "ck"
    path.write_text(ndjson_events(10))
    assert run(server.url, str(path), "--checkpoint", str(ck)).returncode == 0
    with open(path, "a") as f:
        f.write(ndjson_events(5, start=10))
    result = run(server.url, str(path), "--checkpoint", str(ck))
    assert result.returncode == 0, result.stderr
    assert sorted(printed(result.stdout)) == list(range(11, 16))
    assert stored(server) == Counter(range(15))


def test_changed_input_inside_a_request_in_flight_is_refused(
    fault_server: Any, tmp_path: Path
) -> None:
    server = fault_server("--faults", "hang")
    path, ck = tmp_path / "in.ndjson", tmp_path / "ck"
    path.write_text(ndjson_events(50))
    proc = start(server.url, str(path), "--checkpoint", str(ck), "--max-batch", "10",
                 "--concurrency", "1")
    wait_stored(server, 1)
    kill(proc)
    path.write_text(ndjson_events(5) + ndjson_events(45, name="test/other", start=5))
    result = run(server.url, str(path), "--checkpoint", str(ck), "--max-batch", "10")
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: --checkpoint: {ck} was written for a different input: records 1-10 differ "
        "from those of a request that was in flight, which the server may have stored\n"
    )
    assert stored(server) == Counter(range(10))


# -- 5. side files ----------------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["--failed-out", "--checkpoint"])
@pytest.mark.parametrize("where", ["missing/f", "file/f"])
def test_an_unwritable_side_file_is_refused_before_anything_is_sent(
    fault_server: Any, tmp_path: Path, flag: str, where: str
) -> None:
    server = fault_server()
    (tmp_path / "file").write_text("")
    target = tmp_path / where
    result = run(server.url, flag, str(target), input=ndjson_events(3))
    reason = "No such file or directory" if where.startswith("missing") else "Not a directory"
    shown = target if flag == "--failed-out" else Path(f"{target}.lock")
    expected = f"error: {flag}: cannot write {shown}: {reason}\n"
    assert (result.returncode, result.stderr) == (2, expected)
    assert server.state()["requests"] == 0


def test_a_full_disk_for_failed_out_stops_and_reports_what_was_confirmed(
    fault_server: Any, tmp_path: Path
) -> None:
    server = fault_server()
    lines = ndjson_events(30) + "not json\n" + ndjson_events(30, start=30)
    ck = tmp_path / "ck"
    args = ("--checkpoint", str(ck), "--max-batch", "10", "--concurrency", "1")
    full = run(server.url, *args, "--failed-out", "/dev/full", input=lines)
    assert full.returncode == 8, full.stderr
    assert full.stderr.splitlines()[0] == (
        "error: stdin:31: invalid JSON: invalid literal, expected 'null' (column 1)"
    )
    hint = labelled("hint:", f"the {len(printed(full.stdout))} IDs printed are confirmed; free "
                    "the space and rerun the same command to resume")  # two lines
    assert full.stderr.splitlines()[-3:] == [
        "error: --failed-out: cannot write /dev/full: No space left on device", *hint.split("\n")
    ]
    confirmed = printed(full.stdout)
    assert set(range(1, 31)) <= set(confirmed)
    assert checkpoint_state(ck)["settled"] == 30  # up to the failure it could not record
    failed = tmp_path / "failed.ndjson"
    again = run(server.url, *args, "--failed-out", str(failed), input=lines)
    assert again.returncode == 6, again.stderr
    assert failed.read_text() == "not json\n"
    assert stored(server) == Counter(range(60))
    assert {n: i for n, i in printed(again.stdout).items() if n in confirmed} == {
        n: i for n, i in confirmed.items() if n in printed(again.stdout)}


def test_a_checkpoint_that_cannot_be_written_mid_run_stops_the_run(
    fault_server: Any, events_file: Path, tmp_path: Path
) -> None:
    server = fault_server("--delay", "0.3")
    home = tmp_path / "state"
    home.mkdir()
    ck = home / "ck"
    args = (str(events_file), "--checkpoint", str(ck), "--max-batch", "100")
    proc = start(server.url, *args)
    wait_stored(server, 1)
    home.rename(tmp_path / "gone")  # every later write of the checkpoint fails
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 8, err
    lines = err.splitlines()
    assert lines[-3] == f"error: --checkpoint: cannot write {ck}: No such file or directory"
    hint = f"the {len(printed(out))} IDs printed are confirmed; free the space and rerun the "
    assert "\n".join(lines[-2:]) == labelled("hint:", hint + "same command to resume")
    assert "Traceback" not in err
    confirmed = printed(out)
    assert confirmed and stored(server).keys() >= {n - 1 for n in confirmed}
    (tmp_path / "gone").rename(home)
    again = run(server.url, *args)
    assert again.returncode == 0, again.stderr
    assert stored(server) == Counter(range(3000))
    assert all(printed(again.stdout).get(n, i) == i for n, i in confirmed.items())


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b"garbage", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"version": 1}', "version 1, this inngest-cli writes 2"),
    ],
)
def test_a_corrupt_checkpoint_is_a_clear_error(
    fault_server: Any, tmp_path: Path, content: bytes, what: str
) -> None:
    server = fault_server()
    ck = tmp_path / "ck"
    ck.write_bytes(content)
    result = run(server.url, "--checkpoint", str(ck), input=ndjson_events(2))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        f"error: --checkpoint: {ck} is not a valid inngest-cli checkpoint ({what})"
    )
    assert server.state()["requests"] == 0


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("settled", "12", "settled is not a count"),
        ("settled", -1, "settled is not a count"),
        ("seed", 5, "seed is of the wrong type"),
        ("seed", "nope", "seed is not an ID seed"),
        ("inflight", {"a": 1}, "inflight is of the wrong type"),
        ("inflight", [{"start": 0, "count": "x", "seed": "1,AAAAAAAAAAAAAA==",
                       "digest": ""}], "count is not a count"),
        ("complete", "yes", "complete is of the wrong type"),
        ("max_request_bytes", "big", "max_request_bytes is not a size"),
        ("digest", None, "digest is missing"),
    ],
)
def test_a_checkpoint_with_bad_field_types_is_a_clear_error(
    fault_server: Any, tmp_path: Path, field: str, value: Any, what: str
) -> None:
    server = fault_server()
    ck = tmp_path / "ck"
    lines = ndjson_events(4)
    assert run(server.url, "--checkpoint", str(ck), input=lines).returncode == 0
    data = checkpoint_state(ck)
    data[field] = value
    ck.write_bytes(orjson.dumps(data))
    result = run(server.url, "--checkpoint", str(ck), input=lines)
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        2, f"error: --checkpoint: {ck} is not a valid inngest-cli checkpoint ({what})")
    assert "bug" not in result.stderr


def test_sigterm_then_resume_resends_in_flight_under_the_same_ids(
    fault_server: Any, events_file: Path, tmp_path: Path
) -> None:
    server = fault_server("--faults", "ok,hang")
    ck = tmp_path / "ck"
    args = (str(events_file), "--checkpoint", str(ck), "--max-batch", "500", "--concurrency", "1")
    proc = start(server.url, *args)
    wait_stored(server, 2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert sorted(printed(out)) == list(range(1, 501))
    # What was read after the request in flight is "read and not sent" (how much depends on
    # how far the reader had got); the request in flight is unconfirmed.
    assert "error: interrupted: 500 events confirmed sent, " in err
    assert ", 500 in flight not confirmed (read up to " in err
    again = run(server.url, *args)
    assert again.returncode == 0, again.stderr
    assert stored(server) == Counter(range(3000))
    assert os.path.exists(f"{ck}.lock")


# -- the rerun rebuilds the requests that may have been stored: a property ---------------------
class Store:
    """An in-process Event API over a shared store: one row per seeded ID, 413 above ``cap``,
    400 at the first event named `reject` (the ones before it stored). The ``hang_at``-th
    request that stores events stores them, kills the run (an interrupt with no grace) and
    never answers."""

    def __init__(self, rows: dict[str, bytes], cap: int | None, hang_at: int | None) -> None:
        import threading

        self.rows, self.cap, self.hang_at = rows, cap, hang_at
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.stored = 0
        self.kill: Any = None

    def post(self, body: bytes, seed: Any, count: int) -> Any:
        from inngest_cli.replies import Outcome, Reply

        if self.cap is not None and len(body) > self.cap:
            return Reply(Outcome.TOO_LARGE, 413, [], "too large")
        ids: list[str] = []
        with self.lock:
            for position, event in enumerate(orjson.loads(body), start=1):
                if event["name"] == "reject":
                    return Reply(Outcome.REJECTED, 400, ids, "rejected")
                event_id = seed.event_id(position)
                self.rows.setdefault(event_id, orjson.dumps(event))
                ids.append(event_id)
            self.stored += 1
            hang = self.stored == self.hang_at
        if hang:
            self.kill()
            self.release.wait(10)
            return Reply(Outcome.RETRY, None, [], "ReadError: the client was killed")
        return Reply(Outcome.ACCEPTED, 200, ids, "")


def one_run(path: Path, items: Any, store: Store, max_request_bytes: int,
            max_batch: int, concurrency: int) -> bool:
    """What `send --checkpoint` does, in process; True if the checkpoint ended complete. A
    kill leaves the checkpoint file as it was at that instant (nothing is flushed)."""
    from inngest_cli.batching import Limits
    from inngest_cli.checkpoint import Checkpoint
    from inngest_cli.errors import InngestCLIError
    from inngest_cli.sender import Sender, SendOptions

    checkpoint = Checkpoint.open(path, {"input": "property"})
    try:
        limits = Limits(max_request_bytes=max_request_bytes, max_batch=max_batch)
        replay, rest = [], iter(items)
        if checkpoint.resuming:
            replay, rest = checkpoint.resume(items)
            if checkpoint.max_request_bytes:
                limits.lower_to(checkpoint.max_request_bytes)
        sender = Sender(
            store, SendOptions(concurrency=concurrency, retries=0, limits=limits, grace=0.0,
                               base_seed=checkpoint.base_seed, resumable=True,
                               first_index=checkpoint.settled, replay=replay),
            on_accepted=lambda e, i: None, on_failure=lambda f: None,
            on_settled=lambda its, a, f: checkpoint.settle(its, a, f, limits.max_request_bytes),
            on_launch=lambda launch: checkpoint.launch(launch, limits.max_request_bytes),
        )
        store.kill = sender.interrupt
        try:
            sender.run(rest)
        except InngestCLIError:
            store.release.set()
            return False  # killed: the file stays as the kill left it
        if sender.settled_all:
            checkpoint.finish()
        return checkpoint.complete
    finally:
        checkpoint.close()


def _property_case(sizes: list[int], rejects: set[int], max_batch: int, caps: list[int | None],
                   kills: list[int], concurrency: int, run_size: int | None = None) -> None:
    """With ``run_size``, each run reads the input as the bulk fast path gives it: `PlainRun`s
    of that many lines (Events built only where something looks), in a `Runs`."""
    import tempfile

    from inngest_cli.payload import Event, Runs
    from inngest_cli.plainrun import PlainRun

    events = []
    for n, pad in enumerate(sizes):
        name = "reject" if n in rejects else "test/seq"
        body = orjson.dumps({"name": name, "data": {"seq": n, "pad": "x" * pad}})
        events.append(Event("in", n + 1, body, body, name, None))

    def read() -> Any:
        if run_size is None:
            return events
        return Runs([
            PlainRun("in", start + 1, [e.body for e in events[start:start + run_size]],
                     [e.name for e in events[start:start + run_size]],
                     [None] * len(events[start:start + run_size]))
            for start in range(0, len(events), run_size)
        ])

    rows: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "ck"
        complete = False
        for round_, cap in enumerate(caps):  # the server's cap may change between runs
            hang_at = kills[round_] if round_ < len(kills) else None
            complete = one_run(path, read(), Store(rows, cap, hang_at), 400, max_batch,
                               concurrency)
            if complete:
                break
        if not complete:
            complete = one_run(path, read(), Store(rows, None, None), 400, max_batch,
                               concurrency)
        assert complete
    seqs = Counter(orjson.loads(row)["data"]["seq"] for row in rows.values())
    assert seqs == Counter(n for n in range(len(sizes)) if n not in rejects)


def test_kills_at_any_stored_request_with_changing_413_caps_lose_and_duplicate_nothing() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=100, deadline=None, derandomize=True)
    @given(
        sizes=st.lists(st.integers(0, 60), min_size=1, max_size=40),
        reject_every=st.integers(0, 9),
        max_batch=st.integers(1, 9),
        caps=st.lists(st.one_of(st.none(), st.integers(120, 400)), min_size=1, max_size=3),
        kills=st.lists(st.integers(1, 6), max_size=3),
        concurrency=st.integers(1, 4),
        run_size=st.one_of(st.none(), st.integers(1, 12)),
    )
    def check(sizes: list[int], reject_every: int, max_batch: int, caps: list[int | None],
              kills: list[int], concurrency: int, run_size: int | None) -> None:
        rejects = {n for n in range(len(sizes)) if reject_every and n % (reject_every + 2) == 1}
        _property_case(sizes, rejects, max_batch, caps, kills, concurrency, run_size)

    check()


def test_serve_killed_mid_run_and_restarted_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    import sqlite3

    from tests.conftest import start_serve

    db = str(tmp_path / "serve.db")
    server = start_serve(db=db)
    port = server.url.rsplit(":", 1)[1]
    path, ck = tmp_path / "in.ndjson", tmp_path / "ck"
    path.write_text(ndjson_events(20000))
    args = (str(path), "--checkpoint", str(ck), "--max-batch", "100", "--retries", "2")
    proc = start(server.url, *args)
    assert proc.stdout is not None
    proc.stdout.readline()  # the first ID is back: the run is under way
    server.proc.kill()  # the outage: in flight, some stored and unanswered; then refused
    server.proc.communicate()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 5, err
    assert checkpoint_state(ck)["complete"] is False
    server = start_serve("--port", port, db=db)
    try:
        again = run(server.url, *args)
        assert again.returncode == 0, again.stderr
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT json_extract(data, '$.seq') FROM events").fetchall()
    assert Counter(seq for (seq,) in rows) == Counter(range(20000))
