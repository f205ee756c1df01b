"""Cancelling function runs one by one, each with what became of it: cancelled, already
finished (left as it was), or not found.

Each run is read first: the REST API answers a cancel of a finished run with the same 200 as a
real cancel and leaves the run as it was, so only the read tells the two apart. (A run that
finishes between the read and the cancel is reported as cancelled.)"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inngest_cli.restclient import RestAPI

CANCELLED = "cancelled"
ALREADY_FINISHED = "already_finished"
NOT_FOUND = "not_found"


def cancel_runs(api: RestAPI, run_ids: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One result per run, in order, as each is done: ``{"run_id", "result", "status"}``
    (``status``: the run's status when read, None when not found)."""
    for run_id in run_ids:
        yield cancel_run(api, run_id)


def cancel_run(api: RestAPI, run_id: str) -> dict[str, Any]:
    from inngest_cli.apiobjects import is_terminal, status
    from inngest_cli.errors import NotFoundError

    try:
        run = api.get_run(run_id)
        if is_terminal(run):
            return {"run_id": run_id, "result": ALREADY_FINISHED, "status": status(run)}
        api.cancel_run(run_id)
    except NotFoundError:
        return {"run_id": run_id, "result": NOT_FOUND, "status": None}
    return {"run_id": run_id, "result": CANCELLED, "status": status(run)}


def not_found(results: Iterable[dict[str, Any]]) -> list[str]:
    """The IDs of the runs that were not found."""
    return [result["run_id"] for result in results if result["result"] == NOT_FOUND]
