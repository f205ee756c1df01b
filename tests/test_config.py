"""Where and how to send (docs/protocol.md §10): flag > environment > default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from inngest_cli.config import (
    CLOUD_EVENT_API,
    DEV_ORIGIN,
    DEV_PLACEHOLDER_KEY,
    APIConfig,
    EventAPIConfig,
    Layers,
    ServeKeys,
    parse_dev,
    resolve_api,
    resolve_event_api,
    resolve_serve_keys,
)
from inngest_cli.errors import ExitCode, UsageError
from inngest_cli.redact import Secrets

NO_KEY = "no event key: set INNGEST_EVENT_KEY or pass --event-key"
NO_KEY_HINT = "for a local Dev Server or `inngest-cli serve`, pass --dev or INNGEST_DEV=1"
KEY = {"INNGEST_EVENT_KEY": "env-key"}


def event_api(
    *, environ: Mapping[str, str] | None = None, secrets: Secrets | None = None, **flags: Any
) -> EventAPIConfig:
    """`resolve_event_api` with ``environ`` alone below the flags (no profile)."""
    layers = Layers(environ=environ or {})
    secrets = Secrets() if secrets is None else secrets
    return resolve_event_api(layers=layers, secrets=secrets, **flags)


def api(*, environ: Mapping[str, str] | None = None, **flags: Any) -> APIConfig:
    return resolve_api(layers=Layers(environ=environ or {}), secrets=Secrets(), **flags)


def serve_keys(*args: Any, environ: Mapping[str, str], secrets: Secrets | None = None) -> ServeKeys:
    secrets = Secrets() if secrets is None else secrets
    return resolve_serve_keys(*args, environ=environ, secrets=secrets)



def test_defaults_are_the_documented_origins() -> None:
    assert CLOUD_EVENT_API == "https://inn.gs"
    assert DEV_ORIGIN == "http://127.0.0.1:8288"
    assert DEV_PLACEHOLDER_KEY == "NO_EVENT_KEY_SET"


# --- event key ----------------------------------------------------------------------------------


def test_key_from_env() -> None:
    config = event_api(environ=KEY)
    assert config == EventAPIConfig(origin="https://inn.gs", event_key="env-key", env=None,
                                    dev=False)


def test_key_flag_beats_env() -> None:
    assert event_api(event_key="flag-key", environ=KEY).event_key == "flag-key"


def test_key_is_stripped() -> None:
    assert event_api(environ={"INNGEST_EVENT_KEY": "  k1 \n"}).event_key == "k1"


def test_cloud_without_key_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        event_api(environ={})
    assert info.value.message == NO_KEY
    assert info.value.hint == NO_KEY_HINT
    assert info.value.exit_code == ExitCode.USAGE


def test_cloud_with_blank_key_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        event_api(environ={"INNGEST_EVENT_KEY": "   "})
    assert info.value.message == NO_KEY


def test_cloud_with_explicit_dev_off_and_no_key() -> None:
    with pytest.raises(UsageError) as info:
        event_api(environ={"INNGEST_DEV": "0"})
    assert info.value.message == NO_KEY


def test_dev_without_key_uses_the_placeholder() -> None:
    config = event_api(environ={"INNGEST_DEV": "1"})
    assert config == EventAPIConfig(origin="http://127.0.0.1:8288", event_key="NO_EVENT_KEY_SET",
                                    env=None, dev=True)


def test_dev_with_a_key_uses_it() -> None:
    assert event_api(environ={"INNGEST_DEV": "1", **KEY}).event_key == "env-key"


@pytest.mark.parametrize("key", ["a/b", "a?b", "a#b", "a%2Fb", "a b"])
def test_key_that_cannot_be_a_path_segment(key: str) -> None:
    with pytest.raises(UsageError) as info:
        event_api(event_key=key)
    assert info.value.message == "event key: contains characters that cannot appear in a URL path"


def test_key_is_registered_for_redaction() -> None:
    secrets = Secrets()
    event_api(environ={"INNGEST_EVENT_KEY": "abcdefghijklmnop"}, secrets=secrets)
    assert secrets.redact("key abcdefghijklmnop") == "key ****mnop"


def test_url() -> None:
    assert event_api(environ=KEY).url() == "https://inn.gs/e/env-key"


def test_dev_url() -> None:
    assert event_api(dev="1", environ={}).url() == "http://127.0.0.1:8288/e/NO_EVENT_KEY_SET"


# --- origin -------------------------------------------------------------------------------------


def test_cloud_origin_default() -> None:
    assert event_api(environ=KEY).origin == "https://inn.gs"


def test_dev_origin_default() -> None:
    assert event_api(environ={"INNGEST_DEV": "true"}).origin == "http://127.0.0.1:8288"


def test_dev_url_is_the_origin() -> None:
    config = event_api(environ={"INNGEST_DEV": "http://localhost:9999/"})
    assert (config.origin, config.dev) == ("http://localhost:9999", True)


def test_base_url_beats_dev_url() -> None:
    config = event_api(environ={"INNGEST_DEV": "http://d:1",
                                        "INNGEST_BASE_URL": "http://b:2/"})
    assert (config.origin, config.dev) == ("http://b:2", True)


def test_base_url_in_dev_mode() -> None:
    config = event_api(environ={"INNGEST_DEV": "1", "INNGEST_BASE_URL": "http://b:2"})
    assert config.origin == "http://b:2"


def test_base_url_in_cloud_mode() -> None:
    config = event_api(environ={"INNGEST_BASE_URL": "https://self.host/", **KEY})
    assert (config.origin, config.dev) == ("https://self.host", False)


def test_event_api_base_url_beats_base_url() -> None:
    config = event_api(environ={"INNGEST_DEV": "http://d:1",
                                        "INNGEST_BASE_URL": "http://b:2",
                                        "INNGEST_EVENT_API_BASE_URL": "https://e:3/", **KEY})
    assert config.origin == "https://e:3"


def test_flag_beats_every_url_variable() -> None:
    config = event_api(event_api_url="http://f:4/",
                               environ={"INNGEST_DEV": "http://d:1",
                                        "INNGEST_BASE_URL": "http://b:2",
                                        "INNGEST_EVENT_API_BASE_URL": "https://e:3", **KEY})
    assert config.origin == "http://f:4"


def test_empty_url_variables_are_ignored() -> None:
    config = event_api(environ={"INNGEST_EVENT_API_BASE_URL": "",
                                        "INNGEST_BASE_URL": "", **KEY})
    assert config.origin == "https://inn.gs"


SECRET = "evtkey_SECRET_0123456789ab"
SEPARATELY = "pass the origin (scheme://host[:port]) and the key separately"
EVENT_HINT = ("e.g. --event-api-url https://inn.gs with the key in INNGEST_EVENT_KEY "
              "(the client adds /e/<key> itself)")


@pytest.mark.parametrize(
    ("url", "shown", "what"),
    [
        (f"http://127.0.0.1:8288/e/{SECRET}", "'http://127.0.0.1:8288/…'", "a path"),
        (f"https://inn.gs/e/{SECRET}/", "'https://inn.gs/…'", "a path"),
        ("https://proxy.example/inngest/", "'https://proxy.example/…'", "a path"),
        (f"https://inn.gs?key={SECRET}", "'https://inn.gs/…'", "a query"),
        (f"https://inn.gs/#{SECRET}", "'https://inn.gs/…'", "a fragment"),
        (f"https://ada:{SECRET}@inn.gs", "'https://****@inn.gs'", "a user or password"),
        (f"https://{SECRET}@inn.gs/e/x", "'https://****@inn.gs/…'",
         "a user or password and a path"),
    ],
)
def test_an_origin_with_more_than_scheme_host_port_is_refused_masked(
    url: str, shown: str, what: str
) -> None:
    with pytest.raises(UsageError) as info:
        event_api(event_api_url=url, environ={"INNGEST_EVENT_KEY": SECRET})
    assert info.value.message == f"--event-api-url: {shown} has {what}; {SEPARATELY}"
    assert info.value.hint == EVENT_HINT
    assert info.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    ("variable", "hint"),
    [
        ("INNGEST_EVENT_API_BASE_URL", EVENT_HINT),
        ("INNGEST_BASE_URL", "e.g. INNGEST_BASE_URL=https://inngest.example.com with the keys "
         "in INNGEST_EVENT_KEY and INNGEST_SIGNING_KEY"),
    ],
)
def test_an_origin_with_a_path_from_the_environment_is_refused(variable: str, hint: str) -> None:
    with pytest.raises(UsageError) as info:
        event_api(environ={variable: f"http://h:1/e/{SECRET}", **KEY})
    assert info.value.message == f"{variable}: 'http://h:1/…' has a path; {SEPARATELY}"
    assert info.value.hint == hint


def test_an_origin_with_a_path_in_a_profile_is_refused() -> None:
    layers = Layers(environ={}, profile={"INNGEST_EVENT_API_BASE_URL": f"http://h/e/{SECRET}",
                                         "INNGEST_EVENT_KEY": SECRET}, profile_name="ci")
    with pytest.raises(UsageError) as info:
        resolve_event_api(layers=layers, secrets=Secrets())
    assert info.value.message == (
        f"profile ci (event_api_url): 'http://h/…' has a path; {SEPARATELY}"
    )


def test_an_api_origin_with_a_path_is_refused_with_the_signing_key_hint() -> None:
    with pytest.raises(UsageError) as info:
        api(api_url="https://api.inngest.com/v1", environ={})
    assert info.value.message == f"--api-url: 'https://api.inngest.com/…' has a path; {SEPARATELY}"
    assert info.value.hint == (
        "e.g. --api-url https://api.inngest.com with the key in INNGEST_SIGNING_KEY"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"htp://127.0.0.1:8288/e/{SECRET}", "'htp://127.0.0.1:8288/…'"),
        (f"http://[::1/e/{SECRET}", "'http://…/…'"),
        (f"http://h:99999/e/{SECRET}", "'http://h:99999/…'"),
        (f"http://h:{SECRET}", "'http://…'"),
        (SECRET, "the value"),
        (f"{SECRET}.example.com/e/x", "the value"),
        (f"ht tp://{SECRET}/", "'…://…'"),
    ],
)
def test_a_malformed_url_is_never_echoed_whole(url: str, shown: str) -> None:
    with pytest.raises(UsageError) as info:
        event_api(event_api_url=url, environ={"INNGEST_EVENT_KEY": SECRET})
    assert info.value.message == f"--event-api-url: {shown} is not an http:// or https:// URL"


def test_a_key_in_an_unregistered_form_of_url_is_still_masked() -> None:
    # the key is given only inside the URL: nothing registered it, the shape masks it
    with pytest.raises(UsageError) as info:
        event_api(event_api_url="htp://h/e/someotherkey1234", environ=KEY)
    assert "someotherkey" not in info.value.message


@pytest.mark.parametrize(
    ("url", "origin"),
    [("http://127.0.0.1:8288/", "http://127.0.0.1:8288"), ("HTTPS://Inn.gs//", "https://Inn.gs"),
     ("http://[::1]:8288", "http://[::1]:8288"), (" https://inn.gs ", "https://inn.gs")],
)
def test_an_origin_is_normalised(url: str, origin: str) -> None:
    assert event_api(event_api_url=url, environ=KEY).origin == origin


def test_inngest_dev_garbage_that_may_be_a_key_is_not_echoed() -> None:
    with pytest.raises(UsageError) as info:
        event_api(environ={"INNGEST_DEV": SECRET, **KEY})
    assert info.value.message == "INNGEST_DEV / --dev: the value is not 1, true, 0, false or a URL"


def test_the_dev_placeholder_key_is_not_registered() -> None:
    secrets = Secrets()
    event_api(dev="1", environ={}, secrets=secrets)
    assert DEV_PLACEHOLDER_KEY not in secrets
    assert secrets.redact("set INNGEST_EVENT_KEY to NO_EVENT_KEY_SET") == (
        "set INNGEST_EVENT_KEY to NO_EVENT_KEY_SET"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("INNGEST_BASE_URL", "ftp://x"), ("INNGEST_BASE_URL", "inn.gs"),
     ("INNGEST_EVENT_API_BASE_URL", "http://"), ("INNGEST_EVENT_API_BASE_URL", "localhost:8288")],
)
def test_bad_url_variable(name: str, value: str) -> None:
    with pytest.raises(UsageError) as info:
        event_api(environ={name: value, **KEY})
    assert info.value.message == f"{name}: {value!r} is not an http:// or https:// URL"


def test_bad_url_flag() -> None:
    with pytest.raises(UsageError) as info:
        event_api(event_api_url="inn.gs", environ=KEY)
    assert info.value.message == "--event-api-url: 'inn.gs' is not an http:// or https:// URL"


# --- INNGEST_DEV / --dev ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (False, None)),
        ("", (False, None)),
        ("0", (False, None)),
        ("false", (False, None)),
        ("FALSE", (False, None)),
        ("1", (True, None)),
        ("true", (True, None)),
        ("True", (True, None)),
        (" 1 ", (True, None)),
        ("http://127.0.0.1:9000", (True, "http://127.0.0.1:9000")),
        ("https://dev.example/", (True, "https://dev.example")),
    ],
)
def test_parse_dev(value: str | None, expected: tuple[bool, str | None]) -> None:
    assert parse_dev(value, Secrets()) == expected


@pytest.mark.parametrize("value", ["maybe", "2", "localhost:8288", "dev"])
def test_parse_dev_garbage(value: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_dev(value, Secrets())
    assert info.value.message == f"INNGEST_DEV / --dev: {value!r} is not 1, true, 0, false or a URL"


def test_dev_garbage_in_env() -> None:
    with pytest.raises(UsageError) as info:
        event_api(environ={"INNGEST_DEV": "maybe", **KEY})
    assert info.value.message == "INNGEST_DEV / --dev: 'maybe' is not 1, true, 0, false or a URL"


def test_dev_flag_beats_env_on() -> None:
    config = event_api(dev="0", environ={"INNGEST_DEV": "1", **KEY})
    assert (config.dev, config.origin) == (False, "https://inn.gs")


def test_dev_flag_beats_env_off() -> None:
    config = event_api(dev="1", environ={"INNGEST_DEV": "0"})
    assert (config.dev, config.event_key) == (True, "NO_EVENT_KEY_SET")


def test_dev_flag_url_beats_env_url() -> None:
    config = event_api(dev="http://flag:1", environ={"INNGEST_DEV": "http://env:2"})
    assert config.origin == "http://flag:1"


def test_dev_zero_is_cloud() -> None:
    config = event_api(environ={"INNGEST_DEV": "0", **KEY})
    assert (config.dev, config.origin) == (False, "https://inn.gs")


def test_dev_false_is_cloud() -> None:
    config = event_api(environ={"INNGEST_DEV": "false", **KEY})
    assert (config.dev, config.origin) == (False, "https://inn.gs")


# --- branch environment -------------------------------------------------------------------------


def test_no_branch_env() -> None:
    assert event_api(environ=KEY).env is None


def test_inngest_env() -> None:
    assert event_api(environ={"INNGEST_ENV": "feature-x", **KEY}).env == "feature-x"


def test_env_flag_beats_inngest_env() -> None:
    config = event_api(env="flag-env", environ={"INNGEST_ENV": "feature-x", **KEY})
    assert config.env == "flag-env"


@pytest.mark.parametrize(
    ("given", "source"),
    [({"env": "a\r\nX-Evil: 1"}, "--env"), ({"environ": {"INNGEST_ENV": "a\nb"}}, "INNGEST_ENV"),
     ({"environ": {"VERCEL_GIT_BRANCH": "a\tb"}}, "VERCEL_GIT_BRANCH")],
)
def test_a_branch_name_with_a_control_character_is_refused(
    given: dict[str, Any], source: str
) -> None:
    """It would go out as a header: a CR/LF in it would start another one."""
    environ = {**KEY, **given.pop("environ", {})}
    with pytest.raises(UsageError, match=f"^{source}: a branch environment name cannot hold"):
        event_api(environ=environ, **given)


def test_inngest_env_beats_platform_branches() -> None:
    config = event_api(environ={"INNGEST_ENV": "main", "RAILWAY_GIT_BRANCH": "r",
                                        "RENDER_GIT_BRANCH": "n", "VERCEL_GIT_BRANCH": "v", **KEY})
    assert config.env == "main"


def test_railway_branch_first() -> None:
    config = event_api(environ={"RAILWAY_GIT_BRANCH": "r", "RENDER_GIT_BRANCH": "n",
                                        "VERCEL_GIT_BRANCH": "v", **KEY})
    assert config.env == "r"


def test_render_branch_second() -> None:
    config = event_api(environ={"RENDER_GIT_BRANCH": "n", "VERCEL_GIT_BRANCH": "v", **KEY})
    assert config.env == "n"


def test_vercel_branch_third() -> None:
    assert event_api(environ={"VERCEL_GIT_BRANCH": "v", **KEY}).env == "v"


def test_empty_platform_branch_is_skipped() -> None:
    config = event_api(environ={"RAILWAY_GIT_BRANCH": "", "VERCEL_GIT_BRANCH": "v", **KEY})
    assert config.env == "v"


def test_empty_inngest_env_falls_back_like_the_sdk() -> None:
    # inngest-py 0.5.19 env_lib.get_environment_name():
    #   INNGEST_ENV or RAILWAY_GIT_BRANCH or RENDER_GIT_BRANCH or VERCEL_GIT_BRANCH
    config = event_api(environ={"INNGEST_ENV": "", "VERCEL_GIT_BRANCH": "v", **KEY})
    assert config.env == "v"


def test_empty_env_flag_means_none() -> None:
    assert event_api(env="", environ=KEY).env is None


# --- serve's keys ---------------------------------------------------------------------------


def test_serve_keys_come_from_the_environment_comma_separated() -> None:
    found = serve_keys(environ={
        "INNGEST_EVENT_KEY": " k1,k2 ,, k3 ", "INNGEST_SIGNING_KEY": " signkey-prod-ab ",
        "INNGEST_SIGNING_KEY_FALLBACK": "signkey-prod-cd"})
    assert found == ServeKeys(("k1", "k2", "k3"), "signkey-prod-ab", "signkey-prod-cd")
    assert found.sources == {"event_keys": "INNGEST_EVENT_KEY",
                             "signing_key": "INNGEST_SIGNING_KEY"}


def test_serve_key_flags_beat_the_environment() -> None:
    found = serve_keys(["f1"], "signkey-prod-ef", environ={
        "INNGEST_EVENT_KEY": "k1", "INNGEST_SIGNING_KEY": "signkey-prod-ab"})
    assert found == ServeKeys(("f1",), "signkey-prod-ef", None)
    assert found.sources == {"event_keys": "--event-key", "signing_key": "--signing-key"}


def test_serve_without_keys_accepts_any() -> None:
    found = serve_keys(environ={"INNGEST_EVENT_KEY": " , ", "INNGEST_SIGNING_KEY": " "})
    assert found == ServeKeys((), None, None)
    assert found.sources == {"event_keys": "default", "signing_key": "default"}


def test_serve_fallback_without_a_signing_key_is_refused() -> None:
    with pytest.raises(UsageError) as info:
        serve_keys(environ={"INNGEST_SIGNING_KEY_FALLBACK": "signkey-prod-cd"})
    assert info.value.message == "INNGEST_SIGNING_KEY_FALLBACK is set without a signing key"


def test_serve_keys_are_registered_for_masking() -> None:
    secrets = Secrets()
    serve_keys(environ={"INNGEST_EVENT_KEY": "first-key-0001,second-key-0002"}, secrets=secrets)
    assert secrets.redact("first-key-0001 second-key-0002") == "****0001 ****0002"
