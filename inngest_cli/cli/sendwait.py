"""`send --wait`: once the events are sent, wait for the runs each one triggered and report them.

The report goes to stderr, one line per run as each event finishes, so `send`'s stdout keeps its
documented shape. Exit status: that of the send when it was not 0; else 0 when every run
completed (or was skipped), and 1 when a run failed or was cancelled, did not finish within
--wait-timeout, or an event started no run at all (see `inngest_cli.waiting`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from inngest_cli.cli.console import stderr_line
from inngest_cli.errors import ExitCode, InngestCLIError, UsageError

if TYPE_CHECKING:
    from inngest_cli.config import APIConfig, EventAPIConfig
    from inngest_cli.payload import Event
    from inngest_cli.waiting import EventWait

MAX_WAIT_EVENTS = 1000


def waiter_for(
    wait: bool,
    timeout: float,
    event_config: EventAPIConfig,
    *,
    env: str | None,
    dev: bool,
    dry_run: bool,
    signing_key: str | None = None,
) -> RunWaiter | None:
    """A RunWaiter for `send --wait` (None without --wait); usage errors come before sending."""
    if not wait:
        return None
    if dry_run:
        raise UsageError("--wait cannot be combined with --dry-run: nothing is sent")
    return RunWaiter(rest_config(event_config, env, dev, signing_key), timeout)


def tee(
    first: Callable[[Event, str], None], second: Callable[[Event, str], None] | None
) -> Callable[[Event, str], None]:
    """Both callbacks, in order (just ``first`` when there is no second)."""
    if second is None:
        return first

    def both(event: Event, event_id: str) -> None:
        first(event, event_id)
        second(event, event_id)

    return both


def rest_config(
    event_config: EventAPIConfig, env: str | None, dev: bool, signing_key: str | None = None
) -> APIConfig:
    """The REST API to read runs from. In dev mode, unless INNGEST_API_BASE_URL or
    INNGEST_BASE_URL say otherwise, that is where the events went: a Dev Server (or `serve`)
    answers both on one port."""
    from inngest_cli.cli.context import current
    from inngest_cli.config import CLOUD_API, DEFAULT, resolve_api

    run = current()
    config = resolve_api(
        signing_key=signing_key, env=env, dev="1" if dev else None,
        layers=run.layers(), secrets=run.secrets,
    )
    if config.dev and config.sources.get("origin") in (DEFAULT, config.sources.get("dev")):
        config = config._replace(origin=event_config.origin)
    if not config.dev and config.signing_key is None and config.origin == CLOUD_API:
        raise UsageError(
            "--wait reads runs through the REST API, which needs a signing key",
            hint="set INNGEST_SIGNING_KEY or --signing-key (the key of the events' environment)",
        )
    return config


class RunWaiter:
    """Collects the accepted events while sending (at most MAX_WAIT_EVENTS), then waits."""

    def __init__(self, config: APIConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self.events: list[tuple[str, str | None]] = []
        self.extra = 0

    def collect(self, event: Event, event_id: str) -> None:
        if len(self.events) < MAX_WAIT_EVENTS:
            self.events.append((event_id, event.name))
        else:
            self.extra += 1

    def finish(self, send_code: int) -> int:
        """Wait for the runs (unless the send was interrupted or sent nothing)."""
        if send_code == ExitCode.INTERRUPTED or not self.events:
            return send_code
        if self.extra:
            raise UsageError(
                f"--wait follows at most {MAX_WAIT_EVENTS} events; "
                f"{len(self.events) + self.extra} were sent, and not waited for",
                hint="send fewer events per command, or check runs with `inngest-cli events runs`",
            )
        from inngest_cli.cli.apioptions import open_api
        from inngest_cli.cli.console import info, print_error
        from inngest_cli.waiting import wait_for_runs

        count = len(self.events)
        info(
            f"waiting for the runs of {count} event{'' if count == 1 else 's'} "
            f"(--wait-timeout {self.timeout:g} s)"
        )
        with open_api(self.config) as api:
            waits = wait_for_runs(api, self.events, self.timeout, on_done=_report)
        problem = _problem(waits, self.timeout)
        if problem is None:
            return send_code
        message, hint = problem
        if send_code != ExitCode.OK:
            print_error(message, hint)
            return send_code
        raise InngestCLIError(message, hint=hint)


RUN_INDENT = "  "
OUTPUT_INDENT = "    "


def _report(wait: EventWait) -> None:
    """The event on a line, as soon as it has an outcome, and each of its runs on a line of its
    own below it; a finished run's output follows, indented and cut to 80 columns (names and
    IDs are never cut; `runs get RUN_ID` shows the whole output). An event without runs is one
    line."""
    from inngest_cli.apiobjects import field, format_duration, is_terminal, run_duration_ms, status
    from inngest_cli.cli.render import preview
    from inngest_cli.units import WIDTH, cut
    from inngest_cli.waiting import Outcome

    head = f"{wait.name} {wait.event_id}" if wait.name else wait.event_id
    if wait.outcome is Outcome.NO_RUNS:
        stderr_line(f"{head}: no runs after {wait.waited:.1f} s")
        return
    if wait.outcome is Outcome.NOT_FOUND:
        stderr_line(f"{head}: event not found through the REST API after {wait.waited:.1f} s")
        return
    stderr_line(head)
    for run_id, run in wait.runs.items():
        run_status = status(run)
        line = f"{RUN_INDENT}run {run_id} "
        if not is_terminal(run):
            stderr_line(f"{line}still {run_status} after {wait.waited:.1f} s")
            continue
        took = format_duration(run_duration_ms(run))  # finished: no clock needed
        output = preview(field(run, "output"))
        stderr_line(line + run_status + (f" in {took}" if took else ""))
        if output:
            stderr_line(OUTPUT_INDENT + cut(output, WIDTH - len(OUTPUT_INDENT)))


def _problem(waits: list[EventWait], timeout: float) -> tuple[str, str | None] | None:
    from inngest_cli.waiting import Outcome

    counts = {outcome: 0 for outcome in Outcome}
    for wait in waits:
        assert wait.outcome is not None
        counts[wait.outcome] += 1
    bad = len(waits) - counts[Outcome.COMPLETED]
    if not bad:
        return None
    words = {
        Outcome.FAILED: "failed",
        Outcome.TIMED_OUT: f"still running after {timeout:g} s",
        Outcome.NO_RUNS: "started no run",
        Outcome.NOT_FOUND: "not found through the REST API",
    }
    parts = [f"{counts[o]} {word}" for o, word in words.items() if counts[o]]
    message = f"{bad} of {len(waits)} events did not complete: {', '.join(parts)}"
    hint = None
    if counts[Outcome.NO_RUNS]:
        hint = "is a function triggered by these events synced to this environment?"
    elif counts[Outcome.NOT_FOUND]:
        hint = (
            "is the REST API (INNGEST_API_BASE_URL, --env, INNGEST_SIGNING_KEY) "
            "the environment the events were sent to?"
        )
    elif counts[Outcome.TIMED_OUT]:
        hint = "raise --wait-timeout, or check the run with `inngest-cli runs get RUN_ID`"
    return message, hint
