"""The real pipeline (Dagster job, dbt build, GE checks, publish) on the bundled sample."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from orchestration.cli import main
from orchestration.pipeline import run_pipeline
from tests.conftest import (
    PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
    PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
    SAMPLE_LANDING,
)

pytestmark = pytest.mark.integration


def published(settings):
    return duckdb.connect(str(settings.published_db), read_only=True)


def test_run_publishes_after_every_check_passed(sample_run):
    settings, outcome = sample_run
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)
    assert outcome.published and settings.published_db.exists()
    names = {c.name for c in outcome.checks}
    assert {"ge_fct_member_discipline", "ge_rpt_published_reconciliation"} <= names
    assert any(name.startswith("unique_combination") for name in names)  # dbt tests


def test_founding_figures_are_reproduced_from_the_records(sample_run):
    settings, _ = sample_run
    with published(settings) as con:
        rows = dict(((r[0]), r[1:]) for r in con.execute("""
            select figure_id, published_value, computed_value, status
            from marts.rpt_published_reconciliation where figure_origin = 'published'
        """).fetchall())
    assert rows["QNM-2124-PC-IS"] == (PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
                                      PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION, "match")
    assert rows["QNM-2124-IC-LR"] == (PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
                                      PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
                                      "match")


def test_analysts_can_count_the_founding_figure_from_the_facts(sample_run):
    """The same figure written the way an analyst would, against the published marts."""
    settings, _ = sample_run
    with published(settings) as con:
        count = con.execute("""
            select count(*)
            from marts.fct_member_discipline f
            join marts.bridge_org_unit_ancestry a
              on a.unit_code = f.deciding_unit_code
             and f.decision_date >= a.valid_from and f.decision_date < a.valid_to
            where a.ancestor_code = 'QNM' and f.counts_in_totals
              and f.authority_type = 'inspection_committee'
              and f.decision_date between date '2021-01-01' and date '2023-12-31'
              and list_contains(f.violation_categories, 'lack_of_responsibility')
        """).fetchone()[0]
    assert count == PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY


def test_submitted_reports_are_reconciled_including_a_wrong_one(sample_run):
    settings, _ = sample_run
    with published(settings) as con:
        statuses = dict(con.execute("""
            select status, count(*) from marts.rpt_published_reconciliation
            where figure_origin = 'submitted' and is_current_vintage group by status
        """).fetchall())
        vintages = con.execute("""
            select count(*) from marts.rpt_published_reconciliation
            where figure_origin = 'submitted' and not is_current_vintage
        """).fetchone()[0]
    assert statuses.get("mismatch") == 1  # the sample's one deliberately wrong district report
    assert statuses.get("match", 0) > 40
    assert vintages >= 1  # the older vintage is kept beside the current one


def test_every_file_is_registered_and_nothing_is_quarantined(sample_run):
    settings, _ = sample_run
    files = sorted(p.relative_to(SAMPLE_LANDING).as_posix()
                   for p in SAMPLE_LANDING.rglob("*") if p.is_file())
    with published(settings) as con:
        registry = con.execute("select path, status, row_count, accepted_count, sha256 "
                               "from audit.file_registry order by path").fetchall()
        open_rows = con.execute("select count(*) from audit.quarantine "
                                "where resolved_at is null").fetchone()[0]
    assert [r[0] for r in registry] == files
    assert all(r[1] == "loaded" and r[2] == r[3] for r in registry)
    for path, *_, sha in registry:
        assert sha == hashlib.sha256((SAMPLE_LANDING / path).read_bytes()).hexdigest()
    assert open_rows == 0


def _personal_values() -> set[str]:
    values = set()
    for path in SAMPLE_LANDING.rglob("*"):
        if path.suffix == ".csv":
            delimiter = ";" if path.read_text(encoding="utf-8").splitlines()[0].count(";") else ","
            with path.open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh, delimiter=delimiter):
                    for key, value in row.items():
                        if key in ("member_id", "member_name", "Mã đảng viên", "Họ và tên"):
                            values.add(value.strip())
        elif path.suffix in (".json", ".ndjson"):
            text = path.read_text(encoding="utf-8")
            records = json.loads(text) if path.suffix == ".json" else [
                json.loads(line) for line in text.splitlines() if line.strip()]
            for record in records:
                for key in ("member_id", "member_name", "subject_member_id"):
                    if record.get(key):
                        values.add(str(record[key]).strip())
    return {v for v in values if v}


def test_no_member_id_or_name_reaches_the_published_file(sample_run):
    settings, _ = sample_run
    personal = _personal_values()
    assert len(personal) > 1000  # the scan really looks at the sample's ids and names
    with published(settings) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        leaks = []
        for schema, table in tables:
            columns = [r[0] for r in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? "
                "and table_name = ?", [schema, table]).fetchall()]
            assert not {"member_id", "member_name", "subject_member_id"} & set(columns)
            for column in columns:
                found = con.execute(
                    f'select distinct "{column}"::varchar from {schema}.{table} '
                    f'where "{column}"::varchar in (select unnest(?::varchar[]))',
                    [sorted(personal)]).fetchall()
                leaks += [(schema, table, column, v[0]) for v in found]
    assert leaks == []


def test_second_run_changes_nothing(sample_copy):
    """Nothing new: no dbt, no checks, no publication; the published file stays byte for byte
    (and the CLI starts no Dagster run at all)."""
    before = hashlib.sha256(sample_copy.published_db.read_bytes()).hexdigest()
    again = run_pipeline()
    assert again.success and again.nothing_to_do and not again.published
    assert {c.name for c in again.checks} == {"submissions_are_fresh"}
    assert hashlib.sha256(sample_copy.published_db.read_bytes()).hexdigest() == before
    runs = DagsterInstance.get().get_run_records()
    assert main(["run"]) == 0
    assert len(DagsterInstance.get().get_run_records()) == len(runs)
    assert hashlib.sha256(sample_copy.published_db.read_bytes()).hexdigest() == before


def test_sql_command_reads_the_published_file(sample_run):
    settings, _ = sample_run
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "sql", "--format", "csv",
         "select figure_id, status from marts.rpt_published_reconciliation "
         "where figure_id like 'QNM-%' order by 1"],
        capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == ["figure_id,status", "QNM-2124-IC-LR,match",
                                          "QNM-2124-PC-IS,match"]


def test_every_check_run_is_recorded_in_the_published_file(sample_run):
    settings, outcome = sample_run
    with published(settings) as con:
        recorded = con.execute("""
            select check_name, passed from audit.check_results where run_id = ?""",
                               [outcome.run_id]).fetchall()
    # Every blocking check of the definitions as reviewed in the committed snapshot (the
    # freshness check only warns), not as the run reports them. The checks of the tiers
    # (published/*) judge files drawn from the published file, after it was written.
    snapshot = json.loads(Path(__file__).with_name("definitions_snapshot.json")
                          .read_text(encoding="utf-8"))["checks"]
    gates = {key.split(":")[1] for key, blocking in snapshot.items()
             if blocking and not key.startswith("published/")}
    assert len(recorded) == len(gates) > 40
    assert {name for name, _ in recorded} == gates
    assert all(passed for _, passed in recorded)


def test_data_docs_site_is_built_under_the_warehouse(sample_run):
    settings, _ = sample_run
    index = settings.quality_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert index.exists()
    assert "fct_member_discipline" in index.read_text(encoding="utf-8")
