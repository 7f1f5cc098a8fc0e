"""Each class of data-quality check fails on data that violates it, says what, where and how
many, and passes on clean data. The suites run on a copy of the sample's working warehouse,
tampered with one SQL statement per case (as a bug or a manual edit would)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from data_quality.runner import start_checker, validate
from data_quality.suites import suites

pytestmark = pytest.mark.integration

# Keys, uniqueness and vocabularies of the marts are dbt tests (tests/integration/
# test_dbt_gate.py), not suites: the suites see raw rows and profiles.
CASES = {
    # suite: (tampering SQL, expectation, column, words expected in the message)
    "keys not null": (
        "raw_member_disciplines",
        "update raw.member_disciplines set decision_ref = null "
        "where decision_ref in (select decision_ref from raw.member_disciplines limit 2)",
        "ExpectColumnValuesToBeBetween", "missing_decision_ref", "never empty"),
    "member ids only as keys": (
        "raw_member_disciplines",
        "update raw.member_disciplines set member_key = 'DV000123' "
        "where decision_ref in (select decision_ref from raw.member_disciplines limit 1)",
        "ExpectColumnValuesToBeBetween", "member_keys_not_hmac", "HMAC"),
    "share of revoked decisions": (
        "fct_member_discipline",
        "update marts.fct_member_discipline set status = 'revoked' where decision_year >= 2022",
        "ExpectColumnValuesToBeBetween", "revoked_share", "bad revision file"),
    "vocabulary": (
        "raw_member_disciplines",
        "update raw.member_disciplines set channel = 'telephone' "
        "where decision_ref in (select decision_ref from raw.member_disciplines limit 1)",
        "ExpectColumnValuesToBeInSet", "channel", "channel vocabulary"),
    "member form for the member's status": (
        "raw_member_disciplines",
        "update raw.member_disciplines set is_probationary = true, discipline_form = 'expulsion' "
        "where decision_ref in (select decision_ref from raw.member_disciplines limit 1)",
        "ExpectColumnPairValuesToBeInSet", "is_probationary,discipline_form", "probationary"),
    "dates not in the future": (
        "fct_org_discipline",
        "update marts.fct_org_discipline set decision_date = current_date + 400 "
        "where decision_ref in (select decision_ref from marts.fct_org_discipline limit 1)",
        "ExpectColumnValuesToBeBetween", "decision_date", "future"),
    "counts non-negative": (
        "raw_memberships",
        "update raw.memberships set members = -5 "
        "where unit_code in (select unit_code from raw.memberships limit 1)",
        "ExpectColumnValuesToBeBetween", "members", "never negative"),
    "rates within bounds": (
        "mart_discipline_unit_year",
        "update marts.mart_discipline_unit_year set members_disciplined_per_1000 = 1500 "
        "where unit_code = 'QNM'",
        "ExpectColumnValuesToBeBetween", "members_disciplined_per_1000", "denominator"),
    "probationary rule on the facts": (
        "fct_member_discipline",
        "update marts.fct_member_discipline set is_probationary = true, "
        "discipline_form = 'expulsion' "
        "where decision_ref in (select decision_ref from marts.fct_member_discipline limit 1)",
        "ExpectColumnPairValuesToBeInSet", "is_probationary,discipline_form", "probationary"),
    "distribution: year-over-year jump": (
        "discipline_distribution",
        "insert into marts.fct_member_discipline "
        "select f.* replace (f.decision_ref || '-copy' || t.n as decision_ref) "
        "from marts.fct_member_discipline f, range(8) t(n) where f.decision_year = 2022",
        "ExpectColumnValuesToBeBetween", "ratio_to_previous_year", "doubled submission"),
    "persons never exceed decisions": (
        "mart_discipline_unit_year",
        "update marts.mart_discipline_unit_year "
        "set distinct_members_disciplined = members_disciplined + 1 where unit_code = 'QNM'",
        "ExpectColumnValuesToBeBetween", "more_persons_than_decisions", "more persons"),
}


@pytest.fixture
def published_copy(sample_run, tmp_path):
    settings, outcome = sample_run
    assert outcome.success
    copy = tmp_path / "discipline.duckdb"
    shutil.copy(settings.working_db, copy)
    return copy


@pytest.fixture
def working_copy(published_copy):
    """The working file as the checks see it in a run: its rows loaded, none published yet
    (the raw suites read the rows not yet published)."""
    with duckdb.connect(str(published_copy)) as con:
        con.execute("delete from audit.published_loads")
    return published_copy


@pytest.mark.parametrize("suite_name", sorted(suites()))
def test_every_suite_passes_on_the_clean_sample(working_copy, suite_name):
    outcome = validate(working_copy, suites()[suite_name])
    assert outcome.success, outcome.summary()
    assert outcome.rows_checked > 0


@pytest.mark.parametrize("case", sorted(CASES))
def test_violating_data_fails_with_an_explanation(working_copy, case):
    suite_name, tamper, expectation, column, words = CASES[case]
    with duckdb.connect(str(working_copy)) as con:
        changed = con.execute(tamper).fetchone()[0]
    assert changed > 0
    suite = suites()[suite_name]
    outcome = validate(working_copy, suite)
    assert not outcome.success
    message = outcome.summary()
    failing = [f for f in outcome.failures if f.expectation == expectation and f.column == column]
    assert failing, message
    assert failing[0].unexpected_count > 0 or failing[0].sample, message
    assert f"{suite.relation}.{column}" in message and words in message, message


def test_raw_suites_read_only_rows_not_yet_published(published_copy):
    """A raw row is checked before its first publication; published rows are not read again,
    and a row whose load is not yet published is."""
    suite = suites()["raw_member_disciplines"]
    tamper = ("update raw.member_disciplines set member_key = 'DV000123' where decision_ref in "
              "(select decision_ref from raw.member_disciplines limit 1) returning _run_id")
    with duckdb.connect(str(published_copy)) as con:
        (run_id,) = con.execute(tamper).fetchone()
    outcome = validate(published_copy, suite)
    assert outcome.success and outcome.rows_checked == 0, outcome.summary()
    with duckdb.connect(str(published_copy)) as con:
        con.execute("delete from audit.published_loads where run_id = ?", [run_id])
    outcome = validate(published_copy, suite)
    assert not outcome.success
    assert "member_keys_not_hmac" in outcome.summary(), outcome.summary()


def test_a_failing_suite_names_its_failing_rows_by_their_keys(working_copy):
    """A suite is validated again with GE's complete results when it fails: the failure names
    the rows by the suite's key columns (never personal data)."""
    with duckdb.connect(str(working_copy)) as con:
        keys = con.execute(
            "update marts.fct_org_discipline set decision_date = current_date + 400 "
            "where decision_ref in (select decision_ref from marts.fct_org_discipline "
            "order by decision_ref limit 1) "
            "returning deciding_unit_code, decision_ref, target_unit_code").fetchall()
    outcome = validate(working_copy, suites()["fct_org_discipline"])
    (failure,) = [f for f in outcome.failures if f.column == "decision_date"]
    assert failure.unexpected_count == len(keys) == 1
    assert failure.sample == ["/".join(keys[0])]


def test_the_checker_validates_without_the_parts_of_ge_it_does_not_use(working_copy):
    """GE's import brings scipy.stats and altair (one unused expectation) and sqlalchemy
    (its SQL sources): the checker worker warms up without them, and still validates."""
    outcome = validate(working_copy, suites()["raw_member_disciplines"])
    assert outcome.success and outcome.rows_checked > 0, outcome.summary()
    loaded = start_checker().call(  # a module imported for real has a file
        eval, "[n for n in ('scipy.stats', 'altair', 'sqlalchemy') "
              "if '__file__' in vars(__import__('sys').modules.get(n) or __import__('sys'))]")
    assert loaded == []
