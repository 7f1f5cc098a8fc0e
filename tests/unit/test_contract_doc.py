"""docs/CONTRACT.md says what the code does: kinds and columns (§3), vocabularies (§4) and
rule codes (§5) are compared with kyluat.contract, the vocabulary seeds and kyluat.rules."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from kyluat.contract import KINDS
from kyluat.rules import FILE_RULES, ROW_RULES

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "CONTRACT.md"
SEEDS = REPO_ROOT / "dbt_project" / "seeds"

# Code and other files cite these section numbers: they must keep their meaning.
SECTIONS = {1: "Landing folder", 2: "What ingestion guarantees", 3: "Kinds",
            4: "Vocabularies", 5: "Rejections", 6: "Counting rules"}


def _sections(text: str, marker: str) -> dict[str, str]:
    """Heading -> body, for headings that start with `marker` (`## ` or `### `)."""
    parts = re.split(rf"^{marker}(.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def _table_rows(body: str) -> list[list[str]]:
    """Cells of the body rows of the markdown tables in `body` (header and rule left out)."""
    rows = []
    for line in body.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[-| ]+\|", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [r for r in rows if r and r[0] not in ("column", "vocabulary", "rule code", "format")]


def _code(cell: str) -> str | None:
    m = re.fullmatch(r"`([^`]+)`", cell)
    return m.group(1) if m else None


@pytest.fixture(scope="module")
def top() -> dict[str, str]:
    return _sections(DOC.read_text(encoding="utf-8"), "## ")


def _section(top: dict[str, str], number: int) -> str:
    heading = f"{number}. {SECTIONS[number]}"
    assert heading in top, f"docs/CONTRACT.md has no section '## {heading}'"
    return top[heading]


def test_section_numbers_keep_their_meaning(top):
    for number in SECTIONS:
        _section(top, number)


def _kind_section(top, kind: str) -> str:
    kinds = _sections(_section(top, 3), "### ")
    found = [body for heading, body in kinds.items() if f"`{kind}`" in heading]
    assert len(found) == 1, f"§3 needs one section for kind {kind}"
    return found[0]


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_column_of_every_kind_is_in_its_table(top, kind):
    spec = KINDS[kind]
    rows = {_code(r[0]): r for r in _table_rows(_kind_section(top, kind))}
    assert set(rows) == {c.name for c in spec.columns}, (
        f"§3 {kind}: the table's columns differ from kyluat/contract.py")
    for c in spec.columns:
        marks = rows[c.name][1]
        assert marks.startswith("required" if c.required else "optional"), (
            f"§3 {kind}.{c.name} must be marked {'required' if c.required else 'optional'}")
        assert ("key" in marks) == c.key, f"§3 {kind}.{c.name}: key mark differs from the code"
        if c.default:
            assert f"default `{c.default}`" in rows[c.name][2], f"§3 {kind}.{c.name}: default"


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_example_row_uses_contract_columns(top, kind):
    spec = KINDS[kind]
    blocks = re.findall(r"```csv\n(.*?)```", _kind_section(top, kind), flags=re.S)
    assert blocks, f"§3 {kind} has no example"
    lines = blocks[0].splitlines()
    assert len(lines) >= 2, f"§3 {kind}: the example has no row"
    header = next(csv.reader([lines[0]]))
    assert set(header) <= {c.name for c in spec.columns}
    assert {c.name for c in spec.columns if c.required} <= set(header)
    for row in csv.reader(lines[1:]):
        assert len(row) == len(header)


def _seed_terms() -> set[tuple[str, str]]:
    terms = set()
    for path in sorted(SEEDS.glob("vocab_*.csv")):
        vocabulary = path.stem.removeprefix("vocab_")
        with path.open(encoding="utf-8", newline="") as fh:
            terms |= {(vocabulary, row["code"]) for row in csv.DictReader(fh)}
    return terms


def test_every_vocabulary_code_is_listed_with_its_vocabulary(top):
    listed, vocabulary = set(), None
    for row in _table_rows(_section(top, 4)):
        vocabulary = _code(row[0]) or vocabulary
        listed.add((vocabulary, _code(row[1])))
    seeds = _seed_terms()
    assert seeds, "no vocabulary seeds found"
    assert seeds - listed == set(), "codes of the seeds missing from §4"
    assert listed - seeds == set(), "codes in §4 that no seed has"


def test_every_vocabulary_of_the_contract_has_a_seed():
    seeds = {v for v, _ in _seed_terms()}
    for kind in KINDS.values():
        for c in kind.columns:
            if c.vocabulary:
                base = c.vocabulary.removeprefix("member_").removeprefix("org_")
                assert c.vocabulary in seeds or base in seeds, c.vocabulary


def test_every_rule_code_is_explained(top):
    body = _sections(_section(top, 5), "### ")
    rows = {heading: {_code(r[0]) for r in _table_rows(text)} for heading, text in body.items()}
    assert rows.get("5.1 Rows") == set(ROW_RULES), "§5.1 differs from kyluat.rules.ROW_RULES"
    assert rows.get("5.2 Files") == set(FILE_RULES), "§5.2 differs from kyluat.rules.FILE_RULES"
