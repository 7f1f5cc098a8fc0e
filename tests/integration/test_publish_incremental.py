"""Incremental publication (kyluat/publish.py): the previous published file brought up to date
must equal a file published afresh from the same working file, table by table.

Real DuckDB files in temporary directories. The working file is written here directly, with
tables named and partitioned like the real marts (the partitioning is read from the dbt
models), so each case takes well under a second."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from kyluat import publish as publishing
from kyluat.config import Settings
from kyluat.publish import (
    DecisionPartition,
    YearPartition,
    activity_partitioned_marts,
    copy_ahead,
    dated_in_years,
    decision_partitioned_marts,
    publish,
    year_partitioned_marts,
)

YEARS = [2021, 2022, 2023, 2024]


def _settings(root: Path) -> Settings:
    (root / "warehouse").mkdir(parents=True, exist_ok=True)
    return Settings(landing_dir=root / "landing", warehouse_dir=root / "warehouse")


def _write_working(settings: Settings, version: int) -> None:
    """A working file whose rows depend on `version` in 2023 only: member decisions of 2023
    (their violation categories too, one row each in the bridge, rebuilt by decision) and,
    through the year-on-year change (offsets 0 and 1), the unit-year rows of 2023 and 2024;
    the unit dimension (year-less) changes whole."""
    con = duckdb.connect(str(settings.working_db))
    try:
        for schema in ("marts", "audit", "staging"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(f"""
            create or replace table marts.fct_member_discipline as
            select 'U' || (i % 7) as deciding_unit_code, 'D' || y || '-' || i as decision_ref,
                   'M' || i as member_key, y as decision_year,
                   (case when y = 2023 then i * {version} else i end)::bigint as weight,
                   case when y = 2023 and i % {version} = 0 then ['c' || (i % 3), 'other']
                        else ['c' || (i % 3)] end as violation_categories
            from range(50) as r(i), unnest({YEARS}) as u(y)""")
        con.execute("""
            create or replace table marts.bridge_member_discipline_violation as
            select deciding_unit_code, decision_ref, member_key,
                   unnest(violation_categories) as violation_category
            from marts.fct_member_discipline""")
        con.execute(f"""
            create or replace table marts.mart_discipline_unit_year as
            select s as structure, 'U' || i as unit_code, y as decision_year,
                   (case when y in (2023, 2024) then 10 * i + {version} else i end)::bigint
                       as members_disciplined,
                   round(i / 3, 3)::decimal(18, 3) as members_disciplined_per_1000
            from unnest(['as_of', 'current']) as t(s), range(9) as r(i),
                 unnest({YEARS}) as u(y)""")
        con.execute(f"""
            create or replace table marts.dim_org_unit as
            select 'U' || i as unit_code, 'name ' || i || ' v{version}' as unit_name
            from range(9) as r(i)""")
        con.execute(f"""
            create or replace table audit.file_registry as
            select i as file_id, 'file' || i as path from range({3 + version}) as r(i)""")
        con.execute("create or replace view marts.not_published as select 1 as x")
        con.execute("create or replace table staging.not_published as select 1 as x")
    finally:
        con.close()


def _full_copy(settings: Settings, root: Path) -> Path:
    """The same working file published from scratch, in a warehouse of its own."""
    other = _settings(root)
    shutil.copyfile(settings.working_db, other.working_db)
    result = publish(other)
    assert not result.incremental
    return result.path


def assert_same_file(actual: Path, expected: Path) -> None:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{actual}' as actual (read_only)")
        con.execute(f"attach '{expected}' as expected (read_only)")
        layout = """
            select schema_name, table_name, column_index, column_name, data_type
            from duckdb_columns() where database_name = ? and (schema_name, table_name) in
                (select (schema_name, table_name) from duckdb_tables() where database_name = ?)
            order by all"""
        tables = con.execute(layout, ["actual", "actual"]).fetchall()
        assert tables == con.execute(layout, ["expected", "expected"]).fetchall()
        names = sorted({(schema, table) for schema, table, *_ in tables})
        assert names, "nothing published"
        for schema, table in names:
            for left, right in (("actual", "expected"), ("expected", "actual")):
                extra = con.execute(f"""
                    select count(*) from (select * from {left}.{schema}.{table}
                                          except all
                                          select * from {right}.{schema}.{table})
                """).fetchone()[0]
                assert extra == 0, f"{schema}.{table}: {extra} rows in {left} not in {right}"
    finally:
        con.close()


@pytest.fixture
def published(tmp_path) -> Settings:
    """A working file published once (version 1), then changed in 2023 (version 2)."""
    settings = _settings(tmp_path / "a")
    _write_working(settings, version=1)
    publish(settings)
    _write_working(settings, version=2)
    return settings


def test_partitioning_is_read_from_the_dbt_models():
    marts = year_partitioned_marts()
    assert marts["fct_member_discipline"] == YearPartition("decision_year", (0,))
    assert "fct_activity" not in marts and activity_partitioned_marts() == {"fct_activity"}
    assert marts["mart_inspection_funnel"] == YearPartition("year", (0,))
    assert marts["mart_discipline_unit_year"] == YearPartition("decision_year", (0, 1))
    assert YearPartition("decision_year", (0, 1)).years([2023, 2020]) == [2020, 2021, 2023, 2024]
    assert "dim_org_unit" not in marts and "mart_discipline_by_term" not in marts
    assert decision_partitioned_marts() == {"bridge_member_discipline_violation": DecisionPartition(
        "fct_member_discipline", ("deciding_unit_code", "decision_ref", "member_key"))}


def test_only_some_years_rebuilt(published, tmp_path):
    result = publish(published, rebuilt_years=[2023])
    assert result.incremental, result.fallback
    assert_same_file(result.path, _full_copy(published, tmp_path / "b"))
    assert result.tables["marts.fct_member_discipline"] == 200


def test_no_year_rebuilt_still_replaces_the_year_less_tables(tmp_path):
    settings = _settings(tmp_path / "a")
    _write_working(settings, version=1)
    publish(settings)
    con = duckdb.connect(str(settings.working_db))
    con.execute("update marts.dim_org_unit set unit_name = unit_name || ' renamed'")
    con.close()
    result = publish(settings, rebuilt_years=[])
    assert result.incremental
    assert_same_file(result.path, _full_copy(settings, tmp_path / "b"))


def test_a_table_removed_from_the_working_file(published, tmp_path):
    con = duckdb.connect(str(published.working_db))
    con.execute("drop table marts.dim_org_unit")
    con.close()
    result = publish(published, rebuilt_years=[2023])
    assert result.incremental, result.fallback
    assert "marts.dim_org_unit" not in result.tables
    assert_same_file(result.path, _full_copy(published, tmp_path / "b"))


def test_a_table_added_to_the_working_file(published, tmp_path):
    con = duckdb.connect(str(published.working_db))
    con.execute("create table marts.mart_new as select 1 as x")
    con.close()
    result = publish(published, rebuilt_years=[2023])
    assert result.incremental, result.fallback
    assert_same_file(result.path, _full_copy(published, tmp_path / "b"))


def test_a_changed_column_layout_falls_back_to_the_full_copy(published, tmp_path):
    con = duckdb.connect(str(published.working_db))
    con.execute("alter table marts.fct_member_discipline add column note varchar")
    con.close()
    result = publish(published, rebuilt_years=[2023])
    assert not result.incremental and "layout" in result.fallback
    assert_same_file(result.path, _full_copy(published, tmp_path / "b"))


def test_rows_changed_outside_the_rebuilt_years_are_caught_by_the_row_counts(published,
                                                                             tmp_path):
    con = duckdb.connect(str(published.working_db))
    con.execute("delete from marts.fct_member_discipline where decision_year = 2021")
    con.close()
    result = publish(published, rebuilt_years=[2023])
    assert not result.incremental and "row counts" in result.fallback
    assert_same_file(result.path, _full_copy(published, tmp_path / "b"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_corrupt_previous_file_falls_back_to_the_full_copy(published, tmp_path, damage):
    target = published.published_db
    if damage == "garbage":
        with target.open("r+b") as handle:
            handle.write(b"\xde\xad\xbe\xef" * 4096)
    elif damage == "truncated":
        with target.open("r+b") as handle:
            handle.truncate(8192)
    else:
        target.write_bytes(b"")
    result = publish(published, rebuilt_years=[2023])
    assert not result.incremental and result.fallback
    assert_same_file(result.path, _full_copy(published, tmp_path / "b"))
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "analytics.duckdb", "discipline.duckdb"]


def test_a_missing_previous_file_falls_back_to_the_full_copy(tmp_path):
    settings = _settings(tmp_path / "a")
    _write_working(settings, version=2)
    result = publish(settings, rebuilt_years=[2023])
    assert not result.incremental
    assert_same_file(result.path, _full_copy(settings, tmp_path / "b"))


KILLED_PUBLICATION = """
import os, sys
import duckdb
con = duckdb.connect(sys.argv[1])
con.execute("create table t as select range as x from range(100000)")
con.execute("insert into t select * from t")
os._exit(9)  # as if killed: the temporary file and its WAL stay behind
"""


def test_leftovers_of_a_killed_publication_are_removed(published):
    folder = published.published_db.parent
    stale = folder / ".analytics.duckdb.999999.tmp"
    subprocess.run([sys.executable, "-c", KILLED_PUBLICATION, str(stale)], check=False)
    (folder / ".analytics.duckdb.888888.tmp.wal").write_bytes(b"x")
    assert stale.exists() and (folder / (stale.name + ".wal")).exists()
    result = publish(published, rebuilt_years=[2023])
    assert result.incremental
    assert sorted(p.name for p in folder.iterdir()) == ["analytics.duckdb", "discipline.duckdb"]
    publish(published)
    assert sorted(p.name for p in folder.iterdir()) == ["analytics.duckdb", "discipline.duckdb"]


@pytest.fixture
def copies(monkeypatch) -> list[Path]:
    """Where the previous published file is copied to, each time it is."""
    made: list[Path] = []
    real = shutil.copyfile

    def counted(source, target, **options):
        made.append(Path(target))
        return real(source, target, **options)

    monkeypatch.setattr(publishing.shutil, "copyfile", counted)
    return made


def test_the_copy_made_ahead_is_the_one_brought_up_to_date(published, tmp_path, copies):
    copy_ahead(published)  # as the dbt step does while dbt builds
    result = publish(published, rebuilt_years=[2023])
    assert result.incremental, result.fallback
    assert len(copies) == 1, "the previous file was copied again"
    assert_same_file(result.path, _full_copy(published, tmp_path / "b"))
    folder = published.published_db.parent
    assert sorted(p.name for p in folder.iterdir()) == ["analytics.duckdb", "discipline.duckdb"]


def test_a_copy_made_ahead_of_a_file_replaced_since_is_not_used(published, tmp_path, copies):
    """Another file in the published file's place (a restore, a release rolled back): the
    copy made before is of a file no longer there, and is made again."""
    copy_ahead(published).join()  # copied before the file is replaced
    target = published.published_db
    replacement = target.with_name("replacement.duckdb")
    shutil.copy2(target, replacement)
    replacement.replace(target)
    result = publish(published, rebuilt_years=[2023])
    assert result.incremental, result.fallback
    assert len(copies) == 3  # ahead, the replacement here, and again
    assert_same_file(result.path, _full_copy(published, tmp_path / "b"))


def test_year_filters_are_date_ranges_the_zone_maps_can_skip():
    assert dated_in_years("d", None) == "true"
    assert dated_in_years("d", []) == "false"
    assert dated_in_years("d", [2024, 2022, 2023, 2019, 2023]) == (
        "((d >= date '2019-01-01' and d < date '2020-01-01') or "
        "(d >= date '2022-01-01' and d < date '2025-01-01'))")


def test_an_unchanged_year_less_table_is_kept_and_a_changed_one_replaced(tmp_path):
    settings = _settings(tmp_path / "a")
    _write_working(settings, version=1)
    publish(settings)
    # the previous file's unit dimension in an order no copy produces: kept, it stays so
    con = duckdb.connect(str(settings.published_db))
    con.execute("create table shuffled as select * from marts.dim_org_unit order by md5(unit_name)")
    con.execute("delete from marts.dim_org_unit")
    con.execute("insert into marts.dim_org_unit select * from shuffled")
    con.execute("drop table shuffled")
    shuffled = con.execute("select * from marts.dim_org_unit").fetchall()
    con.close()

    result = publish(settings, rebuilt_years=[])
    assert result.incremental
    con = duckdb.connect(str(result.path), read_only=True)
    assert con.execute("select * from marts.dim_org_unit").fetchall() == shuffled
    con.close()

    con = duckdb.connect(str(settings.working_db))
    con.execute("update marts.dim_org_unit set unit_name = 'renamed' where unit_code = 'U3'")
    con.close()
    result = publish(settings, rebuilt_years=[])
    assert result.incremental
    assert_same_file(result.path, _full_copy(settings, tmp_path / "b"))
