"""Numbers as people read them: sizes in binary units (`3.8 MiB`), counts with thousands
separators (`1,000,000`), and stderr lines kept within 80 columns."""

from __future__ import annotations

WIDTH = 80
_UNITS = ("KiB", "MiB", "GiB", "TiB")


def size_text(size: int) -> str:
    """`812 bytes`, `256 KiB`, `3.8 MiB`: binary units with one decimal, none when it is 0."""
    if size < 1024:
        return f"{size} byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            text = f"{value:,.1f}".removesuffix(".0")
            return f"{text} {unit}"
    raise AssertionError("unreachable")


def size_texts(size: int, limit: int) -> tuple[str, str]:
    """``size`` and ``limit`` for a message that says one is over the other: in binary units,
    or in exact bytes with separators when the rounded forms would read the same."""
    rounded = size_text(size), size_text(limit)
    if rounded[0] != rounded[1]:
        return rounded
    return f"{size:,} bytes", f"{limit:,} bytes"


def fit(text: str, width: int = WIDTH, indent: str = "  ") -> str:
    """``text`` broken at spaces into lines of at most ``width`` columns (the later ones
    indented); a word longer than a line is left whole rather than broken."""
    import textwrap

    if len(text) <= width:
        return text
    return "\n".join(textwrap.wrap(text, width, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False))


def labelled(label: str, text: str, width: int = WIDTH) -> str:
    """``label text`` (e.g. `hint: ...`) broken at spaces into lines of at most ``width``
    columns, the later lines indented to align under the text after the label. A word longer
    than a line is never broken: it stays whole on a line of its own (the first one still
    follows the label). Text that fits, and text without spaces, is returned as it came."""
    head = f"{label} "
    if columns(head + text) <= width:
        return head + text
    indent = " " * len(head)
    lines: list[str] = []
    line, used = head, len(head)
    for word in text.split():
        size = columns(word)
        if line in (head, indent):  # nothing on this line yet: the word goes here, whole
            line, used = line + word, used + size
        elif used + 1 + size <= width:
            line, used = f"{line} {word}", used + 1 + size
        else:
            lines.append(line)
            line, used = indent + word, len(indent) + size
    lines.append(line)
    return "\n".join(lines)


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: East Asian wide and fullwidth characters take
    two, combining marks none, the others one."""
    import unicodedata

    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


def cut(text: str, width: int = WIDTH) -> str:
    """``text`` if it fits ``width`` columns, else as much of it as fits with `…` at the end."""
    if columns(text) <= width:
        return text
    taken, used = [], 1  # the ellipsis takes one column
    for char in text:
        used += columns(char)
        if used > width:
            break
        taken.append(char)
    return "".join(taken) + "…"
