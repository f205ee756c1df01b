"""Hints fit 80 columns: `hint:` once, its text wrapped at spaces under itself, never inside a
word; the `error:` line is never wrapped. Every hint the code can produce is collected from the
source (each `hint=` argument, `hint`/`.hint` assignment, `*_HINT(S)` constant, a Failure's hint
argument and the return values of the `*hint` functions) and rendered."""

from __future__ import annotations

import ast
import io
from collections.abc import Iterator
from contextlib import redirect_stderr
from itertools import product
from pathlib import Path

import pytest

from inngest_cli.cli.console import print_error
from inngest_cli.units import WIDTH, columns, labelled
from tests.conftest import run_cli

PACKAGE = Path(__file__).resolve().parent.parent / "inngest_cli"
SAMPLE = "x" * 12  # what an f-string's {placeholder} becomes: a short name, a number, an ID part
HINT_ARGUMENT = {"Failure": 4, "_fail": 2}  # positional index of the hint in these calls


Scope = dict[str, list[str]]


def _values(node: ast.AST | None, scope: Scope) -> list[str]:
    """The strings an expression can give: literals and both sides of `if`/`or`, joined by `+`;
    a name assigned a string in the same scope gives that string, anything else (an attribute,
    a call, a parameter) the SAMPLE."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.JoinedStr):
        parts = [
            _values(part, scope) if isinstance(part, ast.Constant) else
            (_values(part.value, scope) if isinstance(part, ast.FormattedValue) else [SAMPLE])
            for part in node.values
        ]
        return ["".join(pieces) for pieces in product(*parts)]
    if isinstance(node, ast.IfExp):
        return _values(node.body, scope) + _values(node.orelse, scope)
    if isinstance(node, ast.BoolOp):
        return [text for value in node.values for text in _values(value, scope)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        pairs = product(_values(node.left, scope), _values(node.right, scope))
        return [left + right for left, right in pairs]
    if isinstance(node, ast.Dict):
        return [text for value in node.values for text in _values(value, scope)]
    if isinstance(node, ast.Name) and scope.get(node.id):
        return scope[node.id]
    return [SAMPLE]


def _scope(tree: ast.AST) -> Scope:
    """The strings each plain name is assigned directly in ``tree`` (not in nested functions)."""
    scope: Scope = {}
    nodes = list(ast.iter_child_nodes(tree))
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    scope.setdefault(target.id, []).extend(
                        v for v in _values(node.value, {}) if v != SAMPLE
                    )
        nodes.extend(ast.iter_child_nodes(node))
    return scope


def _is_hint_target(target: ast.expr) -> bool:
    name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
    return name == "hint" or name.endswith(("_HINT", "_HINTS"))


def _hint_expressions(tree: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(expression, the function or module it is in) for each place a hint is given."""
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))]
    for owner in scopes:
        for node in _own_nodes(owner):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "hint":
                        yield keyword.value, owner
                callee = node.func.id if isinstance(node.func, ast.Name) else ""
                index = HINT_ARGUMENT.get(callee)
                if index is not None and len(node.args) > index:
                    yield node.args[index], owner
            elif isinstance(node, ast.Assign) and any(_is_hint_target(t) for t in node.targets):
                yield node.value, owner
            elif (isinstance(node, ast.Return) and node.value is not None
                  and isinstance(owner, ast.FunctionDef) and owner.name.endswith("hint")):
                yield node.value, owner


def _own_nodes(owner: ast.AST) -> Iterator[ast.AST]:
    nodes = list(ast.iter_child_nodes(owner))
    while nodes:
        node = nodes.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            nodes.extend(ast.iter_child_nodes(node))


# Variables named `hint` that are pieces of an error message, not hints.
NOT_HINTS = {" (profiles are [profiles.NAME] tables)", f" (did you mean {SAMPLE}?)", ""}


def all_hints() -> list[tuple[str, str]]:
    """(module, hint text) for every hint the package can give."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        module_scope = _scope(tree)
        for expression, owner in _hint_expressions(tree):
            scope = module_scope if owner is tree else {**module_scope, **_scope(owner)}
            for text in _values(expression, scope):
                if text not in NOT_HINTS and text.replace(SAMPLE, "").strip(" ;"):
                    found.append((str(path.relative_to(PACKAGE)), text))
    return sorted(set(found))


HINTS = all_hints()


def test_the_collector_finds_the_hints() -> None:
    """It cannot pass by finding nothing: the known hints of several kinds are among them."""
    texts = [text for _, text in HINTS]
    assert len(texts) >= 40
    assert any(text.startswith("the limit is 3 MiB on self-hosted") for text in texts)  # Failure
    assert "use 0-65535" in texts  # hint=
    assert f"{SAMPLE} looks like seconds; Inngest wants milliseconds ({SAMPLE})" in texts
    assert "set INNGEST_SIGNING_KEY or pass --signing-key" in texts  # hint = ...


@pytest.mark.parametrize(("module", "hint"), HINTS, ids=[f"{m}:{h[:30]}" for m, h in HINTS])
def test_every_hint_renders_within_80_columns(module: str, hint: str) -> None:
    err = io.StringIO()
    with redirect_stderr(err):
        print_error("something went wrong", hint)
    error, *lines = err.getvalue().splitlines()
    assert error == "error: something went wrong"
    assert lines[0].startswith("hint: ")
    assert all(line.startswith(" " * 6) and line[6] != " " for line in lines[1:])
    assert " ".join(line.strip() for line in lines).removeprefix("hint: ") == " ".join(hint.split())
    for line in lines:
        assert columns(line) <= WIDTH, f"{module}: {line!r}"


def test_a_hint_that_fits_is_printed_as_it_is() -> None:
    hint = "h" * (WIDTH - len("hint: "))
    assert labelled("hint:", hint) == f"hint: {hint}"
    assert labelled("hint:", "two  spaces kept") == "hint: two  spaces kept"


def test_a_long_hint_breaks_at_spaces_aligned_under_its_text() -> None:
    hint = ("the limit is 3 MiB on self-hosted servers and paid Cloud plans, 256 KiB on Cloud's "
            "free plan (--max-event-bytes)")
    assert labelled("hint:", hint) == (
        "hint: the limit is 3 MiB on self-hosted servers and paid Cloud plans, 256 KiB on\n"
        "      Cloud's free plan (--max-event-bytes)"
    )


def test_a_line_of_exactly_80_columns_is_not_broken() -> None:
    words = "word " * 14 + "abcd"  # 6 + 74 = 80
    assert len("hint: " + words) == 80
    assert labelled("hint:", words + " next") == f"hint: {words}\n      next"


def test_a_word_longer_than_a_line_stays_whole_on_a_line_of_its_own() -> None:
    url = "https://inngest.example.com/" + "p" * 80
    assert labelled("hint:", f"open {url} to see it") == f"hint: open\n      {url}\n      to see it"
    assert labelled("hint:", f"{url} first") == f"hint: {url}\n      first"  # not a bare label
    assert labelled("hint:", url) == f"hint: {url}"


def test_wide_characters_count_as_two_columns() -> None:
    """A path in Japanese is as wide on screen as twice its characters."""
    hint = "rerun the same command to resume from /srv/データ/送信/チェックポイント.ck now"
    assert (len("hint: " + hint), columns("hint: " + hint)) == (71, 84)  # fits by characters only
    assert labelled("hint:", hint) == (
        "hint: rerun the same command to resume from /srv/データ/送信/チェックポイント.ck\n"
        "      now"
    )
    assert all(columns(line) <= WIDTH for line in labelled("hint:", hint).splitlines())


def test_the_error_line_is_never_wrapped() -> None:
    message = "e " * 60
    err = io.StringIO()
    with redirect_stderr(err):
        print_error(message, "short")
    assert err.getvalue() == f"error: {message}\nhint: short\n"


def test_a_failed_input_line_wraps_its_hint_once(tmp_path: Path) -> None:
    """The per-line failure report (not print_error) wraps the same way, and still gives each
    hint once."""
    path = tmp_path / "big.ndjson"
    path.write_text(('{"name":"a","data":{"s":"' + "x" * 100 + '"}}\n') * 2)
    result = run_cli("send", "--dev", "--dry-run", "--max-event-bytes", "50", str(path))
    assert result.returncode == 1
    assert result.stderr == (
        f"error: {path}:1: event is 128 bytes, over the max event size of 50 bytes\n"
        "hint: the limit is 3 MiB on self-hosted servers and paid Cloud plans, 256 KiB on\n"
        "      Cloud's free plan (--max-event-bytes)\n"
        f"error: {path}:2: event is 128 bytes, over the max event size of 50 bytes\n"
        "dry run: 0 events valid in 0 requests, 2 invalid; nothing was sent\n"
    )
