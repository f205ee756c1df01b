"""gcpolicy: fewer cyclic-GC passes where events are made by the million, and memory still
bounded; `serve` runs under it and puts the process back as it found it."""

from __future__ import annotations

import gc
import threading
import weakref

import httpx
import pytest

from inngest_cli.gcpolicy import THRESHOLD, fewer_collections
from inngest_cli.server import ServerConfig, create_server, local_url, serve_until_signalled


class Node:
    """A container that can be part of a cycle (and be weakly referenced)."""

    def __init__(self) -> None:
        self.other: object = None


def test_thresholds_are_raised_inside_and_put_back_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == THRESHOLD
        assert gc.get_freeze_count() > 0  # what existed is out of every collection
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_put_back_after_an_exception() -> None:
    before = gc.get_threshold()
    with pytest.raises(KeyError), fewer_collections():
        raise KeyError("x")
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)


def test_cycles_are_still_collected_without_being_asked() -> None:
    """Memory stays bounded: garbage in cycles goes at the next automatic collection."""
    with fewer_collections():
        node = Node()
        node.other = node  # a cycle: reference counting alone never frees it
        ref = weakref.ref(node)
        del node
        assert ref() is not None
        # enough new containers (each one a tracked dict) to pass the first threshold twice
        keep = [{} for _ in range(THRESHOLD[0] * 2)]
        assert ref() is None
        del keep


def test_serve_runs_under_the_policy_and_puts_the_process_back() -> None:
    before = gc.get_threshold()
    server = create_server(ServerConfig(db=":memory:", port=0, quiet=True))
    seen: dict[str, object] = {}

    def ready() -> None:
        seen["threshold"] = gc.get_threshold()

        def use_then_stop() -> None:
            try:
                reply = httpx.post(f"{local_url(server)}/e/key", json={"name": "a/b"})
                seen["status"] = reply.status_code
            finally:
                server.shutdown()

        threading.Thread(target=use_then_stop, daemon=True).start()

    serve_until_signalled(server, on_ready=ready)
    assert seen == {"threshold": THRESHOLD, "status": 200}
    assert (gc.get_threshold(), gc.get_freeze_count()) == (before, 0)
