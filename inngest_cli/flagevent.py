"""The one event `send` builds from its flags: --name, --data/--user (JSON, ``@file`` or
``@-``), --id, --v, --ts and field items (``data.user.id=42``, ``data.count:=42``), checked as
any input event is; each problem is a usage error naming the flag it came from."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inngest_cli.errors import UsageError

if TYPE_CHECKING:
    from inngest_cli.payload import Event, Shaping
    from inngest_cli.sendjob import SendJob

# The event field a validation problem starts with, and the flag that sets it.
_FIELD_FLAGS = {
    "name": "--name",
    "data": "--data",
    "user": "--user",
    "id": "--id",
    "v": "--v",
    "ts": "--ts",
    "timestamp": "--ts",
    "event": "--name",
}


def flag_event(job: SendJob, shaping: Shaping) -> Event:
    """The job's event, validated and encoded as it will be sent (``job.name`` is set)."""
    from inngest_cli.jsontext import EncodeError, dumps
    from inngest_cli.payload import Failure, finish_event

    assert job.name is not None
    event = build_event(job)
    try:
        body = dumps(event)
    except EncodeError as exc:
        raise UsageError(f"field items: {exc}") from None
    result = finish_event(event, body, "flags", 0, shaping, body)
    if isinstance(result, Failure):
        raise UsageError(_flag_problem(result.reason), hint=result.hint)
    return result


def build_event(job: SendJob) -> dict[str, Any]:
    """The event as a dict, before validation: flags first, then the field items over them."""
    from inngest_cli.fielditems import apply_items, parse_item
    from inngest_cli.timeparse import TimeValueError, parse_time_ms

    assert job.name is not None
    for flag, text in (("--name", job.name), ("--id", job.event_id), ("--v", job.v)):
        if text is not None and not _is_utf8(text):
            raise UsageError(f"{flag}: not valid UTF-8")
    # data is always an object, {} when not given, as the SDKs send it: a handler reading
    # event.data.x must not meet null
    event: dict[str, Any] = {"name": job.name, "data": {}}
    if job.data is not None:
        event["data"] = _json_object_flag(job.data, "--data")
    if job.user is not None:
        event["user"] = _json_object_flag(job.user, "--user")
    if job.event_id is not None:
        event["id"] = job.event_id
    if job.v is not None:
        event["v"] = job.v
    if job.ts is not None:
        try:
            event["ts"] = parse_time_ms(job.ts, past_by_default=False)
        except TimeValueError as exc:
            raise UsageError(f"--ts: {exc}") from None
    apply_items(event, [parse_item(token) for token in job.items])
    return event


def _read_at(value: str, what: str) -> tuple[str, str]:
    """`@file` / `@-` values: (text, where it came from); anything else is literal."""
    if not value.startswith("@"):
        return value, what
    target = value[1:]
    try:
        if target == "-":
            return sys.stdin.read(), f"{what} (stdin)"
        return Path(target).read_text(encoding="utf-8"), target
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{what}: cannot read {target}: {reason}") from None


def _json_object_flag(value: str, what: str) -> dict[str, Any]:
    import orjson

    from inngest_cli.validation import json_error

    text, where = _read_at(value, what)
    if not text.strip():
        raise UsageError(
            f"{where}: empty; give a JSON object, e.g. {what} '{{\"plan\": \"pro\"}}'"
        )
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{where}: not valid JSON ({json_error(exc)})") from None
    if not isinstance(parsed, dict):
        from inngest_cli.validation import json_type

        raise UsageError(f"{where}: must be a JSON object, not {json_type(parsed)}")
    return parsed


def _is_utf8(text: str) -> bool:
    """False for arguments holding bytes that are not UTF-8 (Python keeps them as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _flag_problem(problem: str) -> str:
    """Prefix a validation problem with the flag it came from (`--ts: timestamp is ...`)."""
    if problem.startswith("event is "):  # the size of the whole event: no single flag
        return problem
    return f"{_FIELD_FLAGS.get(problem.split(' ', 1)[0], '--name')}: {problem}"
