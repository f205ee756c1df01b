"""docs/protocol.md is the repository's own statement of the protocol: the code cites it (and
nothing outside the repository), and its worked example is what the code computes."""

from __future__ import annotations

import re
from pathlib import Path

from inngest_cli.ids import IdSeed

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")


def _sources() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in ("inngest_cli", "tests", "bench", "docs"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md")]
    return files


def test_nothing_cites_a_document_outside_the_repository() -> None:
    # \u00a7 is the section sign: spelled as an escape so this file does not cite what it bans
    outside = re.compile(r"reference \u00a7|the reference \(\u00a7|/work/sha[r]ed|API reference")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _sources()
        if path.name != "test_protocol_doc.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert found == []


def test_every_cited_section_exists() -> None:
    sections = set(re.findall(r"^## (\d+)\. ", DOC, re.M))
    cited = {
        number
        for path in _sources()
        for span in re.findall(r"docs/protocol\.md (§[\d§ ,\-and]+)", path.read_text("utf-8"))
        for number in re.findall(r"§(\d+)", span)
    }
    assert cited and cited <= sections, cited - sections


def test_the_worked_seed_example_is_what_the_code_computes() -> None:
    header = re.search(r"x-inngest-event-id-seed: (\d+,[A-Za-z0-9+/=]+)\n", DOC)
    ids = re.search(r'\["(\w{26})", "(\w{26})"\]', DOC)
    assert header and ids
    seed = IdSeed.parse(header.group(1))
    assert seed is not None
    assert [seed.event_id(1), seed.event_id(2)] == [ids.group(1), ids.group(2)]
    assert "7a 28 b6 60 a5 d1 55 32 4f b8" in DOC
    assert seed.entropy.hex(" ") == "7a 28 b6 60 a5 d1 55 32 4f b8"
