"""Reference data shared with dbt: vocabularies and header aliases live as dbt seeds.

Ingestion reads the same seed files, so adding an alias is one line in one place.
"""

from __future__ import annotations

import csv
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from kyluat.config import SEEDS_DIR
from kyluat.rows import create_table

# Folding used for vocabulary values in SQL: case, diacritics, đ, inner whitespace.
FOLD_SQL = (r"regexp_replace(replace(strip_accents(lower(nfc_normalize(trim(s)))), 'đ', 'd'), "
            r"'\s+', ' ', 'g')")
FOLD_MACRO = f"create or replace temp macro kyluat_fold(s) as {FOLD_SQL}"

# Vocabularies that are subsets of a seed, with the words a clerk understands.
_DERIVED = {
    "member_discipline_form": ("discipline_form", "applies_to_member", "a member discipline form"),
    "org_discipline_form": ("discipline_form", "applies_to_org", "an organisation discipline form"),
}
# What a clerk calls a vocabulary where the name of its seed does not say it.
_NAMES = {"status": "decision status", "org_level": "organisation level"}


def _description(vocabulary: str) -> str:
    """How a message names vocabulary `vocabulary` (seed vocab_<vocabulary>): "an activity
    type"."""
    name = _NAMES.get(vocabulary, vocabulary.replace("_", " "))
    return ("an " if name[0] in "aeio" else "a ") + name  # a unit, an organisation


_FOLD_CONNECTION: duckdb.DuckDBPyConnection | None = None
_FOLD_LOCK = threading.Lock()


def fold(text: str) -> str:
    """`kyluat_fold` of `text`, evaluated by DuckDB: one fold for the vocabulary values of
    the rows (in SQL) and the handful of header names of a file (here)."""
    global _FOLD_CONNECTION
    with _FOLD_LOCK:
        if _FOLD_CONNECTION is None:
            _FOLD_CONNECTION = duckdb.connect()
            _FOLD_CONNECTION.execute(FOLD_MACRO)
        return _FOLD_CONNECTION.execute("select kyluat_fold(?)", [text]).fetchone()[0]


def header_key(header: str) -> str:
    """A header name as it is matched: underscores and any run of spaces (tabs, no-break
    spaces) read as one space, then folded."""
    return fold(" ".join(header.replace("_", " ").split()))


def _read_seed(name: str, seeds_dir: Path) -> list[dict[str, str]]:
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def codes(vocabulary: str, flag: str | None = None, seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """The codes of vocabulary seed `vocab_<vocabulary>`, in seed order; with `flag`, only
    those whose column `flag` is true (e.g. discipline forms `applies_to_member`)."""
    return [row["code"] for row in _read_seed(f"vocab_{vocabulary}", seeds_dir)
            if flag is None or _flagged(row, flag)]


def column(vocabulary: str, name: str, seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """{code: its column `name`} of vocabulary seed `vocab_<vocabulary>`, in seed order (e.g.
    the channel of each activity type, the Vietnamese label of each form)."""
    return {row["code"]: row[name] for row in _read_seed(f"vocab_{vocabulary}", seeds_dir)}


def _flagged(row: dict[str, str], flag: str) -> bool:
    return row[flag].strip().lower() == "true"


@dataclass(frozen=True)
class MemberForms:
    """Which discipline forms a member may get (CONTRACT §4), from `vocab_discipline_form`:
    a probationary member only those `allowed_for_probationary`, and a form that `needs_post`
    only a member who holds a post (`is_committee_member`)."""
    forms: tuple[str, ...]             # applies_to_member, in seed order
    for_probationary: tuple[str, ...]
    needing_post: tuple[str, ...]
    label_vi: dict[str, str]
    label_en: dict[str, str]

    def allowed(self, probationary: bool, committee: bool) -> list[str]:
        return [f for f in self.forms
                if (not probationary or f in self.for_probationary)
                and (committee or f not in self.needing_post)]

    @property
    def for_probationary_text(self) -> str:
        """The forms a probationary member may get, as a clerk reads them."""
        return " or ".join(self.label_vi[f].lower() for f in self.for_probationary)

    def post_form_text(self, form: str) -> str:
        return f"'{self.label_vi[form].lower()}' ({self.label_en[form].lower()})"


@cache
def member_forms(seeds_dir: Path = SEEDS_DIR) -> MemberForms:
    rows = [r for r in _read_seed("vocab_discipline_form", seeds_dir)
            if _flagged(r, "applies_to_member")]
    return MemberForms(
        forms=tuple(r["code"] for r in rows),
        for_probationary=tuple(r["code"] for r in rows if _flagged(r, "allowed_for_probationary")),
        needing_post=tuple(r["code"] for r in rows if _flagged(r, "needs_post")),
        label_vi={r["code"]: r["label_vi"] for r in rows},
        label_en={r["code"]: r["label_en"] for r in rows})


def load_vocabularies(con: duckdb.DuckDBPyConnection, seeds_dir: Path = SEEDS_DIR) -> None:
    """Create temp tables `vocab_match(vocabulary, match_key, code)` and
    `vocab_expect(vocabulary, description, expected)` from the seeds."""
    con.execute(FOLD_MACRO)
    rows: list[tuple] = []
    descriptions = {derived: words for derived, (_, _, words) in _DERIVED.items()}
    for seed in sorted(seeds_dir.glob("vocab_*.csv")):
        vocabulary = seed.stem.removeprefix("vocab_")
        descriptions[vocabulary] = _description(vocabulary)
        targets = [vocabulary] + [d for d, (base, _, _) in _DERIVED.items() if base == vocabulary]
        for rank, entry in enumerate(_read_seed(seed.stem, seeds_dir)):
            terms = [entry["code"], entry["label_en"], entry["label_vi"]]
            terms += [a for a in (entry.get("aliases") or "").split("|") if a.strip()]
            for target in targets:
                flag = _DERIVED.get(target, (None, None))[1]
                if flag and entry.get(flag, "").lower() != "true":
                    continue
                rows += [(target, entry["code"], entry["label_vi"], t, rank) for t in terms]
    create_table(con, "vocab_source", [("vocabulary", "varchar"), ("code", "varchar"),
                                       ("label_vi", "varchar"), ("term", "varchar"),
                                       ("rank", "integer")], rows, temporary=True)
    con.execute("""
        create or replace temp table vocab_match as
        select distinct vocabulary, kyluat_fold(term) as match_key, code
        from vocab_source
    """)
    create_table(con, "vocab_description", [("vocabulary", "varchar"),
                                            ("description", "varchar")],
                 list(descriptions.items()), temporary=True)
    con.execute("""
        create or replace temp table vocab_expect as
        select s.vocabulary,
               any_value(d.description) as description,
               -- labels that hold commas are listed with semicolons
               case when bool_or(s.label_vi like '%,%')
                    then string_agg(s.label_vi, '; ' order by s.rank)
                    else string_agg(s.label_vi, ', ' order by s.rank) end as expected
        from (select vocabulary, code, lower(any_value(label_vi)) as label_vi, min(rank) as rank
              from vocab_source group by vocabulary, code) s
        left join vocab_description d using (vocabulary)
        group by s.vocabulary
    """)
    # The member form rules (`MemberForms`) as variables, for the validation statement.
    forms = member_forms(seeds_dir)
    con.execute("set variable kyluat_forms_for_probationary = ?::varchar[]",
                [list(forms.for_probationary)])
    con.execute("set variable kyluat_forms_for_probationary_text = ?",
                [forms.for_probationary_text])
    con.execute("set variable kyluat_forms_needing_post = ?::varchar[]",
                [list(forms.needing_post)])
    con.execute("set variable kyluat_post_form_text = map(?::varchar[], ?::varchar[])",
                [list(forms.needing_post), [forms.post_form_text(f) for f in forms.needing_post]])


@cache
def header_aliases(seeds_dir: Path = SEEDS_DIR) -> dict[tuple[str, str], str]:
    """{(kind or '', folded alias): canonical column}; kind-specific entries win."""
    return {(r["kind"], header_key(r["alias"])): r["column_name"]
            for r in _read_seed("header_aliases", seeds_dir)}


def canonical_header(kind: str, header: str, columns: set[str]) -> str | None:
    """The contract column a submitted header means, or None when it means nothing."""
    key = header_key(header)
    if key.replace(" ", "_") in columns:
        return key.replace(" ", "_")
    aliases = header_aliases()
    for scope in (kind, ""):
        column = aliases.get((scope, key))
        if column in columns:
            return column
    return None
