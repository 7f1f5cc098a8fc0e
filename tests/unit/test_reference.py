"""The seeds are reference data that ingestion and dbt share: they must be unambiguous."""

import csv

import duckdb
import pytest

from kyluat import reference
from kyluat.config import SEEDS_DIR
from kyluat.contract import KINDS


def test_no_folded_label_means_two_codes_in_one_vocabulary():
    con = duckdb.connect()
    reference.load_vocabularies(con)
    clashes = con.execute("""
        select vocabulary, match_key, list(distinct code) from vocab_match
        group by all having count(distinct code) > 1
    """).fetchall()
    assert clashes == []


def test_every_vocabulary_used_by_the_contract_exists():
    con = duckdb.connect()
    reference.load_vocabularies(con)
    known = {r[0] for r in con.execute("select distinct vocabulary from vocab_match").fetchall()}
    used = {c.vocabulary for k in KINDS.values() for c in k.columns if c.vocabulary}
    assert used <= known


def test_header_aliases_name_real_columns():
    columns = {c.name for k in KINDS.values() for c in k.columns}
    with (SEEDS_DIR / "header_aliases.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        assert row["column_name"] in columns, row
        assert not row["kind"] or row["kind"] in KINDS, row


# (text, its fold): worked by hand from the rule: trimmed, NFC, lower case, without
# diacritics, đ as d, runs of ASCII whitespace as one space; underscores and no-break spaces
# are kept (a code such as in_force folds to itself).
FOLDS = [
    ("Thiếu trách nhiệm", "thieu trach nhiem"),
    ("  ĐẢNG  ủy ", "dang uy"),
    ("Giải quyết tố cáo, khiếu nại", "giai quyet to cao, khieu nai"),
    ("in_force", "in_force"),
    ("Khie\u0302\u0309n tra\u0301ch", "khien trach"),  # decomposed (NFD) input
    ("có\tkhông", "co khong"),
    ("a\u00a0b", "a\u00a0b"),
]


@pytest.mark.parametrize(("text", "folded"), FOLDS)
def test_one_fold_in_python_and_sql(text, folded):
    con = duckdb.connect()
    reference.load_vocabularies(con)  # defines kyluat_fold as validation uses it
    assert con.execute("select kyluat_fold(?)", [text]).fetchone()[0] == folded
    assert reference.fold(text) == folded


def test_header_names_read_underscores_and_any_spaces_as_one_space():
    columns = {c.name for c in KINDS["member_disciplines"].columns}
    for header in ("decision_date", "Decision Date", " DECISION\u00a0date ", "decision__date"):
        assert reference.canonical_header("member_disciplines", header, columns) \
            == "decision_date", header


def test_vietnamese_headers_map_to_contract_columns():
    columns = {c.name for c in KINDS["member_disciplines"].columns}
    assert reference.canonical_header("member_disciplines", "Hình thức kỷ luật", columns) \
        == "discipline_form"
    assert reference.canonical_header("member_disciplines", " MÃ ĐẢNG VIÊN ", columns) \
        == "member_id"
    assert reference.canonical_header("aggregate_reports", "Nội dung vi phạm",
                                      {c.name for c in KINDS["aggregate_reports"].columns}) \
        == "violation_category"
    assert reference.canonical_header("member_disciplines", "Ghi chú", columns) is None


def test_codes_come_from_the_seed_and_follow_a_changed_flag(tmp_path):
    import shutil

    from kyluat.config import SEEDS_DIR
    from kyluat.reference import codes

    assert codes("discipline_form", "allowed_for_probationary") == ["reprimand", "warning"]
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    path = seeds / "vocab_discipline_form.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "removal_from_post,Removal from post,Cách chức,,true,false,false",
        "removal_from_post,Removal from post,Cách chức,,true,false,true"), encoding="utf-8")
    assert codes("discipline_form", "allowed_for_probationary", seeds) == [
        "reprimand", "warning", "removal_from_post"]


def test_a_column_of_a_vocabulary_by_code_in_seed_order():
    channels = reference.column("activity_type", "channel")
    assert list(channels)[:2] == ["inspection_on_signs", "inspection_of_discipline_work"]
    assert (channels["appeal"], channels["regular_supervision"]) == (
        "complaint_denunciation", "supervision")
    assert reference.column("discipline_form", "label_vi")["expulsion"] == "Khai trừ"


def test_a_message_names_each_vocabulary_of_the_seeds(tmp_path):
    """A seed added is named from its file name: no list of vocabularies to keep in step."""
    import shutil

    for seed in ("vocab_discipline_form.csv", "vocab_org_level.csv"):
        shutil.copy(SEEDS_DIR / seed, tmp_path / seed)
    (tmp_path / "vocab_unit_kind.csv").write_text("code,label_en,label_vi,aliases\n"
                                                  "cell,Cell,Chi bộ,\n", encoding="utf-8")
    con = duckdb.connect()
    reference.load_vocabularies(con, tmp_path)
    assert dict(con.execute("select vocabulary, description from vocab_expect").fetchall()) == {
        "discipline_form": "a discipline form", "org_level": "an organisation level",
        "unit_kind": "a unit kind", "member_discipline_form": "a member discipline form",
        "org_discipline_form": "an organisation discipline form"}
