"""The event `send` builds from flags: what users of the SDKs expect (data is an object), and
flag values that could be read two ways, or not at all, are one plain usage error each, with
nothing sent."""

from __future__ import annotations

import pytest

from tests.conftest import ServeProcess, run_cli


def send(serve: ServeProcess, *args: str) -> object:
    return run_cli("send", "--dev", "--no-progress", "--event-api-url", serve.url, *args)


def test_an_event_with_only_a_name_has_empty_data_like_the_sdks_send(serve: ServeProcess) -> None:
    result = send(serve, "--name", "app/x")
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    [event] = serve.events()
    assert event["data"] == {}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--ts", "10m"], "error: --ts: '10m' needs a sign: +10m (that far ahead) or -10m "
                          "(that long ago)\n"),
        (["--ts", "1.5h"], "error: --ts: '1.5h' needs a sign: +1.5h (that far ahead) or -1.5h "
                           "(that long ago)\n"),
        (["--data", ""], "error: --data: empty; give a JSON object, e.g. --data "
                         "'{\"plan\": \"pro\"}'\n"),
        (["--user", " \n"], "error: --user: empty; give a JSON object, e.g. --user "
                            "'{\"plan\": \"pro\"}'\n"),
    ],
)
def test_ambiguous_or_empty_flag_values_are_usage_errors(
    serve: ServeProcess, args: list[str], error: str
) -> None:
    result = send(serve, "--name", "app/x", *args)
    assert (result.returncode, result.stderr) == (2, error)  # type: ignore[attr-defined]
    assert serve.events() == []
