"""Time values, the one module that parses them: on the command line (epoch milliseconds,
ISO-8601 dates and times, and relative offsets `15m`, `2h`, `+10m`), the RFC 3339 times of API
responses, and the times of a REST query as Inngest's server reads them (for `serve`)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from inngest_cli.validation import seconds_hint

# patterns, compiled (and cached by `re`) on first use: most runs parse no time at all
_FRACTION = r"(\.\d{6})\d+"
_RELATIVE = r"^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$"
# a query's time as Go's server parses it (its digits are ASCII ones)
_GO_ISO = (
    r"(?a)(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?"
)
_GO_INT = r"(?a)[+-]?\d+"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


class TimeValueError(ValueError):
    pass


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def parse_time_ms(text: str, *, past_by_default: bool, now: int | None = None) -> int:
    """Parse ``text``, a time typed on the command line, into epoch milliseconds; raises
    `TimeValueError` with a message for the user. (Times in API responses: `parse_rfc3339_ms`.
    What `serve` accepts in a query, as Inngest's server does: `parse_go_time_ms`.)

    A bare relative value (`15m`) means that long ago when ``past_by_default`` (`--since`,
    where only the past makes sense); otherwise (`send --ts`, where both do) it is an error that
    asks for a sign, because `10m` reads as "ago" to some and "from now" to others. An explicit
    sign always wins (`+10m` ahead, `-2h` ago).
    """
    value = text.strip()
    if not value:
        raise TimeValueError("empty time value")
    now = now_ms() if now is None else now
    rel = re.match(_RELATIVE, value)
    if rel:
        sign, amount, unit = rel.groups()
        if not sign and not past_by_default:
            raise TimeValueError(
                f"{value!r} needs a sign: +{value} (that far ahead) or -{value} (that long ago)"
            )
        delta = round(float(amount) * _UNIT_MS[unit])
        if sign == "-" or (not sign and past_by_default):
            delta = -delta
        return now + delta
    if re.fullmatch(r"-?\d+", value):
        ms = int(value)
        if (hint := seconds_hint(ms)) is not None:
            raise TimeValueError(hint)
        return ms
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        examples = "+10m, -2h, 7d" if past_by_default else "+10m, -2h"  # no bare 7d for --ts
        raise TimeValueError(
            f"{value!r} is not epoch milliseconds, an ISO-8601 time (2026-11-23T10:00:00Z) "
            f"or a relative time ({examples})"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def parse_rfc3339_ms(value: Any) -> int | None:
    """Milliseconds for an RFC 3339 string in an API response (any offset, up to nanoseconds),
    else None: a field that is missing or malformed shows as empty rather than failing."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(re.sub(_FRACTION, r"\1", value.replace("z", "Z")))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def parse_go_time_ms(text: str) -> int | None:
    """Milliseconds for a query's time as Inngest's (Go) server parses it, None otherwise: an
    RFC 3339 / ISO 8601 date or time (offset-less means UTC) or an RFC 1123/822/850-style date.
    Numeric epochs and relative times are not dates here, unlike `parse_time_ms` (the CLI's
    flags), and a bad value is ignored rather than an error."""
    match = re.fullmatch(_GO_ISO, text)
    try:
        if match:
            year, month, day, hour, minute, second, frac, zone = match.groups()
            tz = UTC
            if zone and zone != "Z":
                sign = -1 if zone[0] == "-" else 1
                offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
                if offset >= timedelta(hours=24):
                    return None
                tz = timezone(sign * offset)
            moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                              int(second or 0), tzinfo=tz)
            millis = int((frac or "0")[:3].ljust(3, "0"))
            return (moment - _EPOCH) // _MS + millis
        if re.fullmatch(_GO_INT, text.strip()) or not any(c.isalpha() for c in text):
            return None
        import email.utils  # RFC 1123 dates: rare, and only `serve` reads them

        moment = email.utils.parsedate_to_datetime(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MS
