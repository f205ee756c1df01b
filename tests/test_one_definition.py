"""Each constant, pattern and message is defined in one module; the others import it. These
checks read the package's source, so a second copy added later fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "inngest_cli"


def _modules_containing(text: str) -> list[str]:
    return sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if text in path.read_text(encoding="utf-8")
    )


@pytest.mark.parametrize(
    ("text", "home"),
    [
        ("0123456789ABCDEFGHJKMNPQRSTVWXYZ", "ids.py"),  # Crockford base32
        ("signkey-\\w+-", "signingkeys.py"),  # the key prefix
        ("[0-9a-fA-F]+", "signingkeys.py"),  # the key body
        ("bsignkey-", "signingkeys.py"),  # a key inside a text
        ("looks like seconds", "validation.py"),
        ('"auto", "ndjson", "json"', "formats.py"),
        ('"table", "json", "ndjson", "ids"', "formats.py"),
        ("_GO_ESCAPES =", "jsontext.py"),
        ("OPT_SORT_KEYS", "jsontext.py"),
        ("re.sub(_FRACTION", "timeparse.py"),  # the RFC 3339 parser
    ],
)
def test_defined_in_one_module(text: str, home: str) -> None:
    assert _modules_containing(text) == [home]


def test_the_three_time_parsers_live_in_timeparse_and_say_which_times_they_read() -> None:
    from inngest_cli import apiobjects, timeparse
    from inngest_cli.server import v1format

    assert not hasattr(apiobjects, "parse_time_ms") and not hasattr(v1format, "parse_time")
    for parser in ("parse_time_ms", "parse_rfc3339_ms", "parse_go_time_ms"):
        assert _modules_containing(f"def {parser}(") == ["timeparse.py"], parser
    moment, ms = "2026-11-23T10:00:00.5Z", 1_795_428_000_500
    assert timeparse.parse_rfc3339_ms(moment) == ms
    assert timeparse.parse_go_time_ms(moment) == ms
    assert timeparse.parse_time_ms(moment, past_by_default=True) == ms
    # where they differ, on purpose: relative times are for the command line only
    assert timeparse.parse_rfc3339_ms("-1h") is None and timeparse.parse_go_time_ms("-1h") is None
