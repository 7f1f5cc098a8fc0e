"""Publication tiers built by the sample's pipeline run: the province file holds its subtree
only and reproduces the national figures, the public file holds aggregates only and passes
the disclosure check, the command line opens each tier read-only."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys

import duckdb
import pytest

from kyluat import disclosure, tiers
from kyluat.config import REPO_ROOT
from tests.conftest import (
    PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
    PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
)

# In the sample, Quảng Nam (QNM) merged into Đà Nẵng (DNG) on 2025-07-01: DNG is the one
# province today, and its file holds Quảng Nam's history.
PROVINCE = "DNG"
CODE_COLUMNS = set(tiers.ROW_UNIT_COLUMNS + tiers.OTHER_UNIT_COLUMNS
                   + ("ancestor_code", "current_unit_code"))


@pytest.fixture(scope="module")
def built(sample_run):
    settings, outcome = sample_run
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)
    return settings, outcome


def _subtree(national) -> set[str]:
    """Every unit under DNG today or, on some date, under a unit DNG carries today."""
    con = duckdb.connect(str(national), read_only=True)
    try:
        return {r[0] for r in con.execute("""
            with carried as (select unit_code from marts.bridge_org_unit_current_rollup
                             where ancestor_code = ?)
            select unit_code from carried
            union select unit_code from marts.bridge_org_unit_ancestry
                  where ancestor_code in (select unit_code from carried)""",
            [PROVINCE]).fetchall()}
    finally:
        con.close()


def test_the_province_file_holds_no_unit_outside_its_subtree(built):
    settings, _ = built
    path = tiers.province_file(settings.warehouse_dir, PROVINCE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    subtree = _subtree(settings.published_db)
    assert {"QNM", "DNG", "QNM-D01"} <= subtree and "TW" not in subtree
    con = duckdb.connect(str(path), read_only=True)
    checked = 0
    try:
        for schema, table, column in con.execute(
                "select schema_name, table_name, column_name from duckdb_columns() "
                "where database_name = current_database()").fetchall():
            if column in CODE_COLUMNS:
                found = {r[0] for r in con.execute(
                    f"select distinct {column} from {schema}.{table} "
                    f"where {column} is not null").fetchall()}
                assert found <= subtree, (table, column, sorted(found - subtree)[:5])
                checked += 1
            elif column == "successor_codes":
                found = {r[0] for r in con.execute(
                    f"select distinct unnest({column}) from {schema}.{table}").fetchall()}
                assert found <= subtree
        tables = {r[0] for r in con.execute("select schema_name || '.' || table_name "
                                            "from duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert checked >= 15
    assert "audit.check_results" not in tables and "marts.dim_violation_category" in tables


def test_the_province_file_reproduces_the_national_figures(built):
    settings, _ = built
    path = tiers.province_file(settings.warehouse_dir, PROVINCE)
    con = duckdb.connect(str(path), read_only=True)
    con.execute(f"attach '{settings.published_db}' as national (read_only)")
    try:
        for table in ("mart_discipline_unit_year", "mart_discipline_breakdown",
                      "mart_discipline_by_violation_category", "mart_inspection_funnel",
                      "mart_discipline_by_term"):
            province_rows = con.execute(f"select count(*) from marts.{table}").fetchone()[0]
            assert province_rows > 0
            for a, b in (("marts", "national.marts"), ("national.marts", "marts")):
                differing = con.execute(f"""
                    select count(*) from (select * from {a}.{table}
                        where unit_code in (select unit_code from marts.dim_org_unit)
                        except all select * from {b}.{table}
                        where unit_code in (select unit_code from marts.dim_org_unit))""")
                assert differing.fetchone()[0] == 0, table
        # the founding figures, from the records of the province file alone
        as_of_qnm = """from marts.fct_member_discipline f join marts.bridge_org_unit_ancestry a
            on a.unit_code = f.deciding_unit_code and a.ancestor_code = 'QNM'
            and f.decision_date >= a.valid_from
            and (a.valid_to is null or f.decision_date < a.valid_to)
            where counts_in_totals and decision_date between '2021-01-01' and '2023-12-31'"""
        assert con.execute(f"select count(*) {as_of_qnm} and authority_type = 'party_committee' "
                           "and channel in ('inspection', 'supervision')").fetchone()[0] \
            == PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION
        assert con.execute(f"select count(*) {as_of_qnm} and authority_type = "
                           "'inspection_committee' and list_contains(violation_categories, "
                           "'lack_of_responsibility')").fetchone()[0] \
            == PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY
    finally:
        con.close()


def test_the_public_file_holds_aggregates_only_and_passes_the_check(built):
    settings, outcome = built
    path = tiers.public_file(settings.warehouse_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    check = [c for c in outcome.checks if c.name == "disclosure_control"]
    assert len(check) == 1 and check[0].passed and check[0].blocking
    assert disclosure.check_public_file(path, disclosure.DEFAULT_MIN_COUNT) == []
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select schema_name || '.' || table_name "
                                            "from duckdb_tables()").fetchall()}
        columns = {r[0] for r in con.execute(
            "select column_name from duckdb_columns() "
            "where database_name = current_database()").fetchall()}
        small = con.execute("select count(*) from aggregates.discipline_counts "
                            "where members_disciplined between 1 and 4").fetchone()[0]
        hidden = con.execute("select count(*), count(suppression_reason) from "
                             "aggregates.discipline_counts where members_disciplined is null"
                             ).fetchone()
        figures = dict(con.execute("select figure_id, computed_value from "
                                   "aggregates.published_figures").fetchall())
    finally:
        con.close()
    assert tables == {"aggregates.discipline_counts", "aggregates.discipline_rates",
                      "aggregates.published_figures"}
    assert not columns & {"member_key", "decision_ref", "activity_ref", "source_file_id",
                          "reason", "path"}
    assert small == 0 and hidden[0] > 0 and hidden[0] == hidden[1]
    assert figures["QNM-2124-PC-IS"] == PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION
    assert figures["QNM-2124-IC-LR"] == PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY
    for table in tiers.PUBLIC_TABLES:
        assert (path.parent / "csv" / f"{table}.csv").stat().st_size > 0
        assert (path.parent / "parquet" / f"{table}.parquet").stat().st_size > 0


def test_tiers_are_not_rebuilt_when_the_national_file_did_not_change(sample_copy):
    from dagster import materialize

    from orchestration.resources import WarehouseResource
    from orchestration.tier_assets import (
        disclosure_control,
        province_tier,
        public_candidate,
        public_tier,
    )

    # the copy has new inodes: as after a new publication, the tiers are drawn again
    warehouse = WarehouseResource(warehouse_dir=str(sample_copy.warehouse_dir))
    assets = [province_tier, public_candidate, public_tier, disclosure_control]
    first = materialize(assets, resources={"published_files": warehouse})
    assert first.success
    rebuilt = [m.materialization.metadata["skipped"].value
               for m in first.get_asset_materialization_events()]
    assert rebuilt == [False, False, False]
    files = sorted(p for p in tiers.tiers_dir(sample_copy.warehouse_dir).rglob("*")
                   if p.is_file())
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    again = materialize(assets, resources={"published_files": warehouse})
    skipped = [m.materialization.metadata["skipped"].value
               for m in again.get_asset_materialization_events()]
    assert skipped == [True, True, True]
    assert sorted(p for p in tiers.tiers_dir(sample_copy.warehouse_dir).rglob("*")
                  if p.is_file()) == files
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == before


def _kyluat(*args, warehouse):
    env = {**os.environ, "KYLUAT_WAREHOUSE_DIR": str(warehouse)}
    return subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_kyluat_sql_opens_each_tier_read_only(built):
    settings, _ = built
    public = _kyluat("sql", "--tier", "public", "--format", "csv",
                     "select count(*) from aggregates.published_figures",
                     warehouse=settings.warehouse_dir)
    assert public.returncode == 0 and public.stdout.splitlines()[1] == "5", public.stderr
    province = _kyluat("sql", "--province", PROVINCE, "--format", "csv",
                       "select count(*) from marts.dim_org_unit where unit_code = 'TW'",
                       warehouse=settings.warehouse_dir)
    assert province.returncode == 0 and province.stdout.splitlines()[1] == "0"
    write = _kyluat("sql", "--tier", "public", "create table aggregates.x (a int)",
                    warehouse=settings.warehouse_dir)
    assert write.returncode == 2 and "read-only" in write.stderr
    # Quang Nam merged into Da Nang on 2025-07-01: its history is in Da Nang's file
    merged = _kyluat("sql", "--province", "QNM", "--format", "csv",
                     "select count(*) from marts.fct_member_discipline "
                     "where deciding_unit_code = 'QNM'", warehouse=settings.warehouse_dir)
    assert merged.returncode == 0 and int(merged.stdout.splitlines()[1]) > 0, merged.stderr
    assert merged.stderr.strip() == ("kyluat sql: QNM was merged into DNG on 2025-07-01; "
                                     "opening DNG's file, which holds QNM's history")
    wrong = _kyluat("sql", "--province", "HNI", "select 1", warehouse=settings.warehouse_dir)
    assert wrong.returncode == 2
    assert wrong.stderr.strip() == ("kyluat sql: no file for province 'HNI'; the province "
                                    "files are: DNG")
    bare = _kyluat("sql", "--tier", "province", "select 1", warehouse=settings.warehouse_dir)
    assert bare.returncode == 2 and len(bare.stderr.strip().splitlines()) == 1
