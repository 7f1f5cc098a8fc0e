"""The vocabulary seeds are the one home of the member form rules: change one seed row and
validation, the Great Expectations suites and the generator follow."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from data_quality.suites import suites
from kyluat.config import SEEDS_DIR, Settings
from kyluat.submission_check import validate_files
from synthetic.generate import generate

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
# Row 2 gives a probationary member a warning (cảnh cáo), rows 3 and 4 removal and expulsion.
PROBATIONARY_FORMS = CORPUS / "member_disciplines" / "probationary_forms.csv"
UNITS = CORPUS / "org_units" / "base_org_units.csv"


@pytest.fixture
def seeds_without_probationary_warning(tmp_path) -> Path:
    """A copy of the seeds in which a warning is no longer allowed for a probationary member."""
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    path = seeds / "vocab_discipline_form.csv"
    text = path.read_text(encoding="utf-8")
    row = "warning,Warning,Cảnh cáo,,true,true,true,2,false"
    assert row in text
    path.write_text(text.replace(row, "warning,Warning,Cảnh cáo,,true,true,false,2,false"),
                    encoding="utf-8")
    return seeds


def _probationary_problems(problems: list[str]) -> list[str]:
    return [p.split(":", 1)[1] for p in problems if "probationary" in p]


def test_validation_follows_the_seed(seeds_without_probationary_warning, tmp_path):
    settings = Settings.from_env(landing_dir=tmp_path, warehouse_dir=tmp_path)
    files = [UNITS, PROBATIONARY_FORMS]
    assert _probationary_problems(validate_files(files, settings)) == [
        "3: discipline_form 'cách chức' is not allowed for a probationary member; "
        "expected khiển trách or cảnh cáo",
        "4: discipline_form 'khai trừ' is not allowed for a probationary member; "
        "expected khiển trách or cảnh cáo",
    ]
    changed = validate_files(files, settings, seeds_dir=seeds_without_probationary_warning)
    assert _probationary_problems(changed) == [
        "2: discipline_form 'cảnh cáo' is not allowed for a probationary member; "
        "expected khiển trách",
        "3: discipline_form 'cách chức' is not allowed for a probationary member; "
        "expected khiển trách",
        "4: discipline_form 'khai trừ' is not allowed for a probationary member; "
        "expected khiển trách",
    ]


def _probationary_pairs(suite) -> tuple[set, str]:
    pair = next(e for e in suite.expectations if e.type == "ExpectColumnPairValuesToBeInSet")
    return {form for probationary, form in pair.kwargs["value_pairs_set"] if probationary}, \
        pair.why


def test_suites_follow_the_seed(seeds_without_probationary_warning):
    for name in ("raw_member_disciplines", "fct_member_discipline"):
        assert _probationary_pairs(suites()[name]) == (
            {"reprimand", "warning"}, "a probationary member can only get reprimand or warning")
        assert _probationary_pairs(suites(seeds_without_probationary_warning)[name]) == (
            {"reprimand"}, "a probationary member can only get reprimand")


def _probationary_forms(out: Path) -> set[str]:
    forms = set()
    for path in (out / "member_disciplines").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            forms |= {r["discipline_form"] for r in csv.DictReader(fh)
                      if r["is_probationary"] == "true"}
    return forms


def test_the_generator_follows_the_seed(seeds_without_probationary_warning, tmp_path):
    generate(tmp_path / "as_is", 0.01, seed=7)
    assert _probationary_forms(tmp_path / "as_is") == {"reprimand", "warning"}
    generate(tmp_path / "changed", 0.01, seed=7, seeds_dir=seeds_without_probationary_warning)
    assert _probationary_forms(tmp_path / "changed") == {"reprimand"}
