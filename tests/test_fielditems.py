"""HTTPie-style field items (`data.a=b`, `data.n:=1`, `@file`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inngest_cli.errors import UsageError
from inngest_cli.fielditems import FieldItem, apply_items, looks_like_item, parse_item


def build(*tokens: str) -> dict[str, Any]:
    event: dict[str, Any] = {"name": "app/a"}
    apply_items(event, [parse_item(t) for t in tokens])
    return event


def usage_error(token: str) -> UsageError:
    with pytest.raises(UsageError) as info:
        parse_item(token)
    return info.value


def test_string_value_stays_a_string() -> None:
    item = parse_item("data.user.id=42")
    assert item == FieldItem(token="data.user.id=42", path=("data", "user", "id"), value="42")


def test_json_number() -> None:
    item = parse_item("data.count:=42")
    assert item.path == ("data", "count")
    assert item.value == 42
    assert isinstance(item.value, int)


def test_user_root() -> None:
    assert parse_item("user.email=a@b.c").path == ("user", "email")


def test_nested_objects_are_created() -> None:
    assert build("data.user.id=42") == {"name": "app/a", "data": {"user": {"id": "42"}}}


def test_items_merge_into_one_object() -> None:
    assert build("data.a.b=1", "data.a.c:=2", "user.id=u") == {
        "name": "app/a", "data": {"a": {"b": "1", "c": 2}}, "user": {"id": "u"},
    }


def test_later_item_overwrites() -> None:
    assert build("data.a=1", "data.a:=2")["data"] == {"a": 2}


def test_null_parent_is_replaced_by_an_object() -> None:
    event: dict[str, Any] = {"name": "a", "data": None}
    apply_items(event, [parse_item("data.x=1")])
    assert event["data"] == {"x": "1"}


@pytest.mark.parametrize(
    ("token", "value"),
    [
        pytest.param('data.o:={"a":[1,true,null]}', {"a": [1, True, None]}, id="object"),
        pytest.param("data.l:=[1,2]", [1, 2], id="array"),
        pytest.param("data.t:=true", True, id="true"),
        pytest.param("data.f:=false", False, id="false"),
        pytest.param("data.n:=null", None, id="null"),
        pytest.param("data.x:=1.5", 1.5, id="float"),
        pytest.param('data.s:="text"', "text", id="json-string"),
        pytest.param("data.x:= 7 ", 7, id="json-with-space"),
    ],
)
def test_json_values(token: str, value: Any) -> None:
    assert parse_item(token).value == value


@pytest.mark.parametrize(
    ("token", "path", "value"),
    [
        pytest.param(r"data.a\.b=1", ("data", "a.b"), "1", id="escaped-dot"),
        pytest.param(r"data.a\=b=1", ("data", "a=b"), "1", id="escaped-equals"),
        pytest.param(r"data.a\:=1", ("data", "a:"), "1", id="escaped-colon"),
        pytest.param(r"data.a\@=1", ("data", "a@"), "1", id="escaped-at"),
        pytest.param(r"data.a\\b=1", ("data", "a\\b"), "1", id="escaped-backslash"),
        pytest.param(r"data.x=\@lit", ("data", "x"), "@lit", id="escaped-at-value"),
        pytest.param("data.a=b=c", ("data", "a"), "b=c", id="equals-in-value"),
        pytest.param("data.u=http://h:1/p", ("data", "u"), "http://h:1/p", id="colon-in-value"),
        pytest.param("data.a:b=1", ("data", "a:b"), "1", id="colon-in-key"),
        pytest.param("data.x=", ("data", "x"), "", id="empty-value"),
    ],
)
def test_escapes_and_separators(token: str, path: tuple[str, ...], value: Any) -> None:
    item = parse_item(token)
    assert (item.path, item.value) == (path, value)


def test_escaped_dot_makes_one_key() -> None:
    assert build(r"data.a\.b=1")["data"] == {"a.b": "1"}


def test_string_from_file(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("hello\nworld\n", encoding="utf-8")
    assert parse_item(f"data.body=@{note}").value == "hello\nworld\n"


def test_json_from_file(tmp_path: Path) -> None:
    tags = tmp_path / "tags.json"
    tags.write_text('{"tags": ["a", "b"], "n": 1}\n', encoding="utf-8")
    assert parse_item(f"data.t:=@{tags}").value == {"tags": ["a", "b"], "n": 1}


def test_json_file_that_is_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("nope", encoding="utf-8")
    token = f"data.t:=@{bad}"
    assert usage_error(token).message.startswith(f"field item {token!r}: value is not valid JSON (")


def test_no_separator() -> None:
    assert usage_error("data.x").message == (
        "field item 'data.x': expected path=value or path:=json"
    )


def test_trailing_backslash_has_no_separator() -> None:
    assert usage_error("data.x\\").message == (
        "field item 'data.x\\\\': expected path=value or path:=json"
    )


def test_empty_key_in_the_middle() -> None:
    assert usage_error("data..x=1").message == (
        "field item 'data..x=1': empty key in path 'data..x'"
    )


def test_empty_last_key() -> None:
    assert usage_error("data.=1").message == "field item 'data.=1': empty key in path 'data.'"


def test_empty_path() -> None:
    assert usage_error("=1").message == "field item '=1': empty key in path ''"


def test_path_must_start_with_data_or_user() -> None:
    error = usage_error("name=x")
    assert error.message == "field item 'name=x': path must start with data. or user."
    assert error.hint == "e.g. data.name=x"


def test_path_with_other_root() -> None:
    error = usage_error("meta.x:=1")
    assert error.message == "field item 'meta.x:=1': path must start with data. or user."
    assert error.hint == "e.g. data.x:=1"


def test_bare_root_is_not_a_path() -> None:
    error = usage_error("data=1")
    assert error.message == "field item 'data=1': path must start with data. or user."


def test_invalid_json_after_json_separator() -> None:
    assert usage_error("data.x:=nope").message.startswith(
        "field item 'data.x:=nope': value is not valid JSON ("
    )


def test_empty_json_value() -> None:
    assert usage_error("data.x:=").message.startswith(
        "field item 'data.x:=': value is not valid JSON ("
    )


def test_two_json_values() -> None:
    assert usage_error("data.x:=1 2").message.startswith(
        "field item 'data.x:=1 2': value is not valid JSON ("
    )


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    token = f"data.x=@{missing}"
    assert usage_error(token).message == (
        f"field item {token!r}: cannot read {missing}: No such file or directory"
    )


def test_missing_json_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    token = f"data.x:=@{missing}"
    assert usage_error(token).message == (
        f"field item {token!r}: cannot read {missing}: No such file or directory"
    )


def test_directory_is_unreadable(tmp_path: Path) -> None:
    token = f"data.x=@{tmp_path}"
    assert usage_error(token).message == (
        f"field item {token!r}: cannot read {tmp_path}: Is a directory"
    )


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    token = f"data.x=@{binary}"
    assert usage_error(token).message.startswith(f"field item {token!r}: cannot read {binary}: ")


def test_setting_into_a_string_fails() -> None:
    event: dict[str, Any] = {"name": "a"}
    with pytest.raises(UsageError) as info:
        apply_items(event, [parse_item("data.a=1"), parse_item("data.a.b=2")])
    assert info.value.message == (
        "field item 'data.a.b=2': data.a is not an object, cannot set a key in it"
    )


def test_setting_into_an_array_fails() -> None:
    event: dict[str, Any] = {"name": "a", "data": {"x": {"l": [1]}}}
    with pytest.raises(UsageError) as info:
        apply_items(event, [parse_item("data.x.l.y:=1")])
    assert info.value.message == (
        "field item 'data.x.l.y:=1': data.x.l is not an object, cannot set a key in it"
    )


def test_setting_into_a_non_object_data_fails() -> None:
    event: dict[str, Any] = {"name": "a", "data": "text"}
    with pytest.raises(UsageError) as info:
        apply_items(event, [parse_item("data.k=v")])
    assert info.value.message == (
        "field item 'data.k=v': data is not an object, cannot set a key in it"
    )


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("data.x=1", True),
        ("data.x:=1", True),
        ("a=b", True),
        ("=", True),
        (r"x\\=1", True),
        (r"data.x\=1", False),
        ("events.ndjson", False),
        ("./dir/file.json", False),
        ("-", False),
        ("\\", False),
        ("", False),
    ],
)
def test_looks_like_item(token: str, expected: bool) -> None:
    assert looks_like_item(token) is expected
