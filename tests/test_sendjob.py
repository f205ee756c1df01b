"""Planning a send (`sendjob.plan`): the mode decision table and its usage errors, in process.

The end-to-end tests (test_send*.py) run the same decisions through the real CLI; here each
row of the table is one call, with stdin described instead of wired up."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inngest_cli.errors import UsageError
from inngest_cli.sendjob import SendJob, SendPlan, Stdin, parse_rate, plan, split_targets

NO_STDIN = Stdin()
PIPE = Stdin(has_input=True, regular=False)
REDIRECTED = Stdin(has_input=True, regular=True)  # stdin < file


def planned(stdin: Stdin = NO_STDIN, **options: Any) -> SendPlan:
    return plan(SendJob(**options), stdin)


def refused(stdin: Stdin = NO_STDIN, **options: Any) -> tuple[str, str | None]:
    with pytest.raises(UsageError) as info:
        plan(SendJob(**options), stdin)
    return info.value.message, info.value.hint


# -- the mode ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stdin", "options", "mode", "paths"),
    [
        # --name alone: one event, unless stdin holds input, which then becomes its data
        (NO_STDIN, {"name": "app/a"}, "flags", ()),
        (PIPE, {"name": "app/a"}, "files", ("-",)),
        (PIPE, {"name": "app/a", "ignore_stdin": True}, "flags", ()),
        # a flag or a field item that shapes the event: the flags win over stdin
        (PIPE, {"name": "app/a", "data": "{}"}, "flags", ()),
        (PIPE, {"name": "app/a", "items": ("data.x=1",)}, "flags", ()),
        (REDIRECTED, {"name": "app/a", "ts": "+1m"}, "flags", ()),
        # files, named or `-`; stdin read unasked when it holds input
        (NO_STDIN, {"paths": ("a.ndjson",)}, "files", ("a.ndjson",)),
        (PIPE, {"paths": ("a.ndjson",)}, "files", ("a.ndjson",)),  # a file given: stdin unread
        (PIPE, {"paths": ("a.ndjson", "-")}, "files", ("a.ndjson", "-")),
        (NO_STDIN, {"name": "app/a", "paths": ("a.ndjson",)}, "files", ("a.ndjson",)),
        (PIPE, {}, "files", ("-",)),
        (REDIRECTED, {}, "files", ("-",)),
        # --follow never reads stdin
        (NO_STDIN, {"follow": Path("log.ndjson")}, "follow", ()),
        (PIPE, {"follow": Path("log.ndjson")}, "follow", ()),
        (PIPE, {"follow": Path("log.ndjson"), "name": "app/a"}, "follow", ()),
    ],
)
def test_mode_decision(
    stdin: Stdin, options: dict[str, Any], mode: str, paths: tuple[str, ...]
) -> None:
    result = planned(stdin, **options)
    assert (result.mode, result.paths) == (mode, paths)


NOTHING = (
    "nothing to send: give --name NAME (with --data or field items), a FILE, or pipe events on "
    "stdin",
    "e.g. inngest-cli send --name app/hello data.msg=hi",
)


@pytest.mark.parametrize(
    ("stdin", "options", "error"),
    [
        (NO_STDIN, {}, NOTHING),
        (PIPE, {"ignore_stdin": True}, NOTHING),
        (REDIRECTED, {"ignore_stdin": True}, NOTHING),
        (
            NO_STDIN,
            {"id_field": "uid"},
            ("--id-field/--ts-field need --name (each record is then an event's data)", None),
        ),
        (
            NO_STDIN,
            {"ts_field": "at", "paths": ("a.ndjson",)},
            ("--id-field/--ts-field need --name (each record is then an event's data)", None),
        ),
        (
            PIPE,
            {"ignore_stdin": True, "paths": ("-",)},
            ("--ignore-stdin: cannot also read stdin ('-')", None),
        ),
        (
            NO_STDIN,
            {"follow": Path("f"), "dry_run": True},
            ("--follow: cannot be combined with --dry-run", None),
        ),
        (
            NO_STDIN,
            {"follow": Path("f"), "wait": True},
            ("--follow: cannot be combined with --wait", None),
        ),
        (
            NO_STDIN,
            {"follow": Path("f"), "paths": ("a.ndjson",)},
            ("--follow: cannot be combined with input files", None),
        ),
        (
            NO_STDIN,
            {"name": "app/a", "items": ("data.x=1",), "paths": ("a.ndjson",)},
            (
                "field items: builds one event with --name and cannot be combined with input "
                "files or stdin",
                None,
            ),
        ),
        (
            PIPE,
            {"data": "{}"},  # no --name: stdin is the input, and --data has no event to shape
            ("--data: builds one event with --name and cannot be combined with input files or "
             "stdin", None),
        ),
        (
            NO_STDIN,
            {"name": "app/a", "user": "{}", "event_id": "x", "paths": ("a.ndjson",)},
            ("--id: builds one event with --name and cannot be combined with input files or "
             "stdin", None),
        ),
        (
            NO_STDIN,
            {"follow": Path("f"), "name": "app/a", "v": "1"},
            ("--v: builds one event with --name and cannot be combined with input files or "
             "stdin", None),
        ),
        (PIPE, {"paths": ("-", "a", "-")}, ("stdin ('-') can be read only once", None)),
    ],
)
def test_refused(stdin: Stdin, options: dict[str, Any], error: tuple[str, str | None]) -> None:
    assert refused(stdin, **options) == error


def test_first_refusal_wins_in_the_documented_order() -> None:
    """--id-field without --name is named before the --follow conflict and the missing input."""
    assert refused(NO_STDIN, id_field="x", follow=Path("f"), dry_run=True)[0].startswith(
        "--id-field/--ts-field need --name"
    )
    assert refused(PIPE, ignore_stdin=True, paths=("-", "-"))[0].startswith("--ignore-stdin")


# -- what follows from the mode -----------------------------------------------------------


def test_flags_mode_keeps_name_off_the_shaping() -> None:
    """The flag-built event carries its own name; shaping a record with it is for inputs."""
    result = planned(name="app/a", max_event_bytes=1000)
    assert result.shaping.name is None
    assert result.shaping.max_event_bytes == 1000
    assert planned(PIPE, name="app/a").shaping.name == "app/a"


def test_shaping_carries_the_record_options() -> None:
    shaping = planned(
        name="app/a", paths=("a",), id_field="uid", ts_field="at", keep_ts=True
    ).shaping
    assert (shaping.name, shaping.id_field, shaping.ts_field, shaping.keep_ts) == (
        "app/a",
        "uid",
        "at",
        True,
    )


@pytest.mark.parametrize(
    ("stdin", "options", "linger", "resumable"),
    [
        (NO_STDIN, {"name": "app/a"}, None, True),
        (NO_STDIN, {"paths": ("a", "b"), "linger": 1.5}, None, True),
        (REDIRECTED, {"linger": 1.5}, None, True),  # stdin < file is read again by a rerun
        (PIPE, {"linger": 1.5}, 1.5, False),  # a pipe can block and cannot be read again
        (PIPE, {"paths": ("a", "-")}, 0.2, False),
        (NO_STDIN, {"follow": Path("f"), "linger": 3.0}, 3.0, True),
    ],
)
def test_linger_only_for_inputs_that_can_block(
    stdin: Stdin, options: dict[str, Any], linger: float | None, resumable: bool
) -> None:
    result = planned(stdin, **options)
    assert (result.linger, result.resumable) == (linger, resumable)


@pytest.mark.parametrize(
    ("stdin", "options", "empty"),
    [
        (NO_STDIN, {"paths": ("a",)}, None),  # no --name: an empty input is a warning
        (PIPE, {}, None),
        (NO_STDIN, {"name": "app/a"}, None),  # the flag-built event is never empty
        (PIPE, {"name": "app/a"}, "stdin had no events"),
        (NO_STDIN, {"name": "app/a", "paths": ("-",)}, "the input had no events"),
        (NO_STDIN, {"name": "app/a", "paths": ("a",)}, "the input had no events"),
        (NO_STDIN, {"name": "app/a", "follow": Path("f")}, "the input had no events"),
    ],
)
def test_empty_input_is_an_error_only_with_name(
    stdin: Stdin, options: dict[str, Any], empty: str | None
) -> None:
    assert planned(stdin, **options).empty == empty


def test_checkpoint_keyed_on_the_sources() -> None:
    ckpt = Path("c.ckpt")
    assert planned(name="app/a", checkpoint=ckpt).checkpoint_sources == ("flags",)
    assert planned(PIPE, checkpoint=ckpt).checkpoint_sources == ("-",)
    assert planned(paths=("a", "-"), checkpoint=ckpt).checkpoint_sources == ("a", "-")
    assert planned(follow=Path("log"), checkpoint=ckpt).checkpoint_sources == ("log",)
    assert planned(paths=("a",), checkpoint=ckpt).checkpoint == ckpt


def test_dry_run_is_the_same_plan_without_checkpoint() -> None:
    """A dry run sends nothing, so it records nothing; everything else is planned alike."""
    options: dict[str, Any] = {"paths": ("a", "b"), "checkpoint": Path("c")}
    sending, dry = planned(**options), planned(**options, dry_run=True)
    assert (dry.dry_run, dry.checkpoint) == (True, None)
    assert (sending.dry_run, sending.checkpoint) == (False, Path("c"))
    assert (dry.mode, dry.paths, dry.shaping, dry.linger, dry.show_source) == (
        sending.mode,
        sending.paths,
        sending.shaping,
        sending.linger,
        sending.show_source,
    )


def test_source_shown_only_with_several_inputs() -> None:
    assert planned(paths=("a",)).show_source is False
    assert planned(PIPE, paths=("a", "-")).show_source is True


# -- parsing the arguments ----------------------------------------------------------------


def test_split_targets_items_then_files_in_order() -> None:
    items, paths = split_targets(["a.ndjson", "data.x=1", r"odd\=name", "data.n:=2"], [Path("b")])
    assert items == ("data.x=1", "data.n:=2")
    assert paths == ("a.ndjson", r"odd\=name", "b")


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("10", 10.0), ("50/s", 50.0), ("600/m", 10.0), ("7200/h", 2.0), (" 0.5/s ", 0.5)],
)
def test_rate(text: str, per_second: float) -> None:
    assert parse_rate(text) == per_second


@pytest.mark.parametrize("text", ["0", "-1/s", "fast", "5/d", "inf", "nan", "/s", ""])
def test_rate_refused(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_rate(text)
    assert (info.value.message, info.value.hint) == (
        f"--rate: {text!r} is not a rate",
        "e.g. --rate 50/s, --rate 600/m, --rate 10",
    )


# -- what stdin is ----------------------------------------------------------------------


@pytest.fixture
def stdin_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    opened: list[Any] = []

    def use(handle: Any) -> None:
        opened.append(handle)
        monkeypatch.setattr(sys, "stdin", handle)

    yield use
    for handle in opened:
        handle.close()


def test_stdin_probe_pipe(stdin_on: Any) -> None:
    read, write = os.pipe()
    os.close(write)
    stdin_on(os.fdopen(read))
    assert Stdin.probe() == PIPE


def test_stdin_probe_file(stdin_on: Any, tmp_path: Path) -> None:
    (tmp_path / "in").write_text("{}\n")
    stdin_on(open(tmp_path / "in"))  # noqa: SIM115 (closed by the fixture)
    assert Stdin.probe() == REDIRECTED


def test_stdin_probe_dev_null_and_closed(stdin_on: Any) -> None:
    stdin_on(open(os.devnull))  # noqa: SIM115
    assert Stdin.probe() == NO_STDIN
    closed = open(os.devnull)  # noqa: SIM115
    closed.close()
    stdin_on(closed)
    assert Stdin.probe() == NO_STDIN
