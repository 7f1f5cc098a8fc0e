"""Reporting-year partitions: a backfill rebuilds only its range, in one run; a late
submission rebuilds only the years it touches; and what incremental runs leave equals a build
from scratch. Real Dagster, dbt and DuckDB on the bundled sample.

Which rows a run rewrote is read from the tables' physical order: a year-partitioned model
deletes the years it rebuilds and appends them again, so the rows it left alone keep their
order at the front and the rebuilt years follow (DuckDB keeps insertion order, and compacting
deleted rows does not reorder them).

The runs here are the refresh job alone (`draw=False`): what is drawn after it is tested
in test_tiers.py and test_report.py."""

from __future__ import annotations

import json
import re

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, RunsFilter

from kyluat.config import DBT_MANIFEST
from orchestration.dbt_runner import INCREMENTAL_THREADS
from orchestration.partitions import REBUILT_YEARS_TAG
from orchestration.pipeline import run_pipeline
from orchestration.summary import print_run_summary
from tests.conftest import write

pytestmark = pytest.mark.integration


def by_year_models() -> dict[str, str]:
    """Every year-partitioned model (dbt tag by_year) and the year expression it deletes by,
    every model rebuilt by activity (tag by_activity), by its activities' start year, and by
    decision (tag by_decision), by its decisions' year."""
    nodes = json.loads(DBT_MANIFEST.read_text())["nodes"].values()
    models = {}
    for node in nodes:
        if node["resource_type"] == "model" and "by_activity" in node["tags"]:
            models[f"{node['schema']}.{node['alias']}"] = "year(start_date)"
        elif node["resource_type"] == "model" and "by_decision" in node["tags"]:
            models[f"{node['schema']}.{node['alias']}"] = "year(decision_date)"
        elif node["resource_type"] == "model" and "by_year" in node["tags"]:
            [hook] = node["config"]["pre-hook"]
            year_expr = re.search(r"delete_rebuild_years\('([^']+)'", hook["sql"]).group(1)
            models[f"{node['schema']}.{node['alias']}"] = year_expr
    return models


def stored_rows(settings) -> dict[str, list[tuple]]:
    """Per model, its rows in storage order, each led by its year."""
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        con.execute("set preserve_insertion_order = true")
        return {table: con.execute(f"select {year_expr}, * from {table}").fetchall()
                for table, year_expr in by_year_models().items()}
    finally:
        con.close()


RECONCILIATION = "marts.rpt_published_reconciliation"


def shuffle_storage_order(settings) -> None:
    """Store every year-partitioned model's rows, and the reconciliation report's (rebuilt
    by figure), in an order no build produces, so that a table rebuilt whole (even in its
    usual order) cannot pass for one left alone."""
    con = duckdb.connect(str(settings.working_db))
    try:
        for table in [*by_year_models(), RECONCILIATION]:
            con.execute("begin transaction")
            con.execute(f"create temp table shuffled as select * from {table}")
            con.execute(f"delete from {table}")
            con.execute(f"insert into {table} select * from shuffled as r "
                        "order by md5(r::varchar)")
            con.execute("drop table shuffled")
            con.execute("commit")
    finally:
        con.close()


def assert_rebuilt(before: list[tuple], after: list[tuple], years: set[int], table: str):
    """`after` is `before` with exactly the rows of `years` deleted and appended again."""
    kept = [row for row in before if row[0] not in years]
    assert after[:len(kept)] == kept, f"{table}: rows of other years moved or changed"
    appended = after[len(kept):]
    assert {row[0] for row in appended} == years & {row[0] for row in before}, table


def published_member_count(settings, year: int) -> int:
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        return con.execute("select count(*) from marts.fct_member_discipline "
                           "where decision_year = ?", [year]).fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def sample_warehouse(sample_copy):
    """A copy of the sample's published warehouse, its partitioned tables shuffled."""
    shuffle_storage_order(sample_copy)
    return sample_copy


def test_every_year_partitioned_model_is_found():
    assert set(by_year_models()) >= {
        "marts.fct_member_discipline", "marts.fct_org_discipline", "marts.fct_activity",
        "marts.mart_discipline_unit_year", "marts.mart_inspection_funnel",
        "marts.fct_member_discipline_history", "marts.fct_org_discipline_history",
        "scopes.scoped_discipline"}


def test_a_full_build_stores_each_year_partitioned_model_in_year_order(sample_copy):
    """A rebuilt year's delete then frees whole row groups: with every year in every row
    group, each checkpoint rewrote the whole table. In the working and the published file.
    The activity facts are kept in start-date order, which their filters use."""
    activity_models = {"marts.fct_activity", "scopes.scoped_activity"}  # rebuilt by activity
    for db in (sample_copy.working_db, sample_copy.published_db):
        con = duckdb.connect(str(db), read_only=True)
        try:
            con.execute("set preserve_insertion_order = true")
            for table, year_expr in by_year_models().items():
                if table in activity_models or (db == sample_copy.published_db
                                                and not table.startswith("marts.")):
                    continue
                rows = con.execute(f"select {year_expr} from {table}").fetchall()
                years = [row[0] for row in rows]
                assert len(set(years)) > 1, table  # the sample spans years
                assert years == sorted(years), f"{db.name} {table}: years out of order"
            # rebuilt by activity, found by start date (in_rebuild_activities)
            dates = [row[0] for row in con.execute(
                "select start_date from marts.fct_activity").fetchall()]
            assert len(set(dates)) > 1 and dates == sorted(dates), f"{db.name} fct_activity"
        finally:
            con.close()


def test_a_run_with_nothing_new_rebuilds_nothing(sample_warehouse):
    before = stored_rows(sample_warehouse)
    outcome = run_pipeline(draw=False)
    assert outcome.success and outcome.nothing_to_do
    assert stored_rows(sample_warehouse) == before


def test_a_run_whose_rows_touch_no_year_rebuilds_no_year(sample_warehouse, capsys):
    """dbt runs (a new file arrived) but its only row is quarantined: no year is pending."""
    before = stored_rows(sample_warehouse)
    write(sample_warehouse.landing_dir / "member_disciplines" / "2022_bad.csv",
          "deciding_unit_code,decision_ref,member_id,member_name,authority_type,"
          "discipline_form,decision_date,member_unit_code,violation_categories,channel,"
          "is_committee_member,is_probationary,activity_ref,status,violation_date\n"
          "QNM-D11,998-QĐ/UBKTHU,DV100000002,Trần Văn Sai,inspection_committee,reprimand,"
          "not-a-date,QNM-D11-G03,lack_of_responsibility,inspection,false,false,,in_force,\n")
    outcome = run_pipeline(draw=False)
    assert outcome.success and outcome.published, (outcome.failed_checks,
                                                   outcome.step_failures)
    assert DagsterInstance.get().get_run_by_id(outcome.run_id).tags[REBUILT_YEARS_TAG] == "none"
    assert stored_rows(sample_warehouse) == before
    # the summary speaks of this run: its one file, where its row went, no year rebuilt
    print_run_summary(outcome, sample_warehouse)
    out = capsys.readouterr().out
    assert "new files: 1; rows: 1 (0 loaded, 1 in quarantine)" in out, out
    assert ("member_disciplines/2022_bad.csv: 1 rows in quarantine; row 2: decision_date"
            in out), out
    assert "reporting years rebuilt: none" in out, out


def test_a_backfill_rebuilds_only_its_range_in_one_run(sample_warehouse):
    before = stored_rows(sample_warehouse)
    instance = DagsterInstance.get()
    refreshes = RunsFilter(job_name="refresh_warehouse")  # each is followed by a drawing run
    runs_before = len(instance.get_run_records(refreshes))

    outcome = run_pipeline(years=(2022, 2023), draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)

    assert len(instance.get_run_records(refreshes)) == runs_before + 1
    after = stored_rows(sample_warehouse)
    for table in before:
        # a year's change against the previous one: rebuilding 2023 rebuilds 2024's row too
        years = {2022, 2023, 2024} if table == "marts.mart_discipline_unit_year" else {
            2022, 2023}
        assert_rebuilt(before[table], after[table], years, table)
        assert sorted(after[table]) == sorted(before[table]), f"{table}: same rows, recomputed"
    # the run and the models' materializations record the years it rebuilt
    assert instance.get_run_by_id(outcome.run_id).tags[REBUILT_YEARS_TAG] == "2022,2023"
    materialized = {
        record.asset_key.to_user_string():
            record.event_log_entry.asset_materialization.metadata["rebuilt_years"].value
        for record in instance.get_records_for_run(
            outcome.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
        if record.asset_key.path[0] == "marts"}
    assert materialized["marts/fct_member_discipline"] == "2022,2023"


REBUILT_BY_DECISION = "scopes.scoped_discipline"  # rows: year, structure, ..., decision_ref (6)
LEFT_ALONE_BY_A_MEMBER_DECISION = ("marts.fct_org_discipline", "marts.fct_org_discipline_history",
                                   "marts.fct_activity", "scopes.scoped_activity")


def activity_rows(settings, table: str) -> list[tuple]:
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        con.execute("set preserve_insertion_order = true")
        return con.execute(f"select * from {table}").fetchall()
    finally:
        con.close()


def test_a_decision_naming_an_activity_rebuilds_that_activity_alone(sample_warehouse):
    """Activities rebuild by activity, not by year: a late decision that followed an
    inspection rewrites that inspection's row of fct_activity (one more member disciplined)
    and nothing else; its funnel rows in scoped_activity, which no decision changes,
    stay where they were."""
    settings = sample_warehouse
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        ref, disciplined = con.execute(
            "select activity_ref, members_disciplined from marts.fct_activity "
            "where start_year = 2022 and subject_kind = 'member' and activity_ref in ("
            "  select activity_ref from marts.fct_activity group by 1 having count(*) = 1) "
            "order by activity_ref limit 1"
        ).fetchone()
    finally:
        con.close()
    facts, scopes = (activity_rows(settings, "marts.fct_activity"),
                     activity_rows(settings, "scopes.scoped_activity"))
    write(settings.landing_dir / "member_disciplines" / "2022_late_after_inspection.csv",
          "deciding_unit_code,decision_ref,member_id,member_name,authority_type,"
          "discipline_form,decision_date,member_unit_code,violation_categories,channel,"
          "is_committee_member,is_probationary,activity_ref,status,violation_date\n"
          "QNM-D11,997-QĐ/UBKTHU,DV100000003,Trần Văn Theo,inspection_committee,reprimand,"
          f"2022-12-20,QNM-D11-G03,lack_of_responsibility,inspection,false,false,{ref},"
          "in_force,\n")
    outcome = run_pipeline(draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)

    after = activity_rows(settings, "marts.fct_activity")
    column = activity_rows_columns(settings).index("members_disciplined")
    kept = [row for row in facts if row[1] != ref]
    assert after[:-1] == kept, "rows of other activities moved or changed"
    [old] = [row for row in facts if row[1] == ref]
    assert after[-1][1] == ref and after[-1][column] == disciplined + 1
    assert after[-1][:column] == old[:column]
    assert activity_rows(settings, "scopes.scoped_activity") == scopes
    # publication copied that activity's new row, and every other row as it was
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        published = con.execute("select * from marts.fct_activity").fetchall()
    finally:
        con.close()
    assert sorted(published, key=repr) == sorted(after, key=repr)


def test_an_activity_corrected_into_another_year_leaves_no_row_in_the_old_one(
        sample_warehouse):
    """The activity models find the rows to replace within the start years of every version
    of an activity (in_rebuild_activities): a correction that moves an inspection from 2022
    to 2023 must remove its 2022 rows from fct_activity, scoped_activity and the published
    file. Runs the pipeline: an incremental run after a correction is what it tests."""
    settings = sample_warehouse
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        unit, ref, scopes = con.execute("""
            select a.conducting_unit_code, a.activity_ref, count(s.scope_unit_code)
            from marts.fct_activity as a
            join scopes.scoped_activity as s using (conducting_unit_code, activity_ref)
            where a.start_year = 2022 and a.subject_kind = 'organization'
              and a.activity_ref not in (
                  select activity_ref from marts.fct_activity group by 1 having count(*) > 1)
              and a.conducting_unit_code in (
                  select conducting_unit_code from marts.fct_activity where start_year = 2023)
            group by all order by all limit 1""").fetchone()
    finally:
        con.close()
    submitted = settings.landing_dir / "activities" / "activities.ndjson"
    [record] = [r for r in map(json.loads, submitted.read_text(encoding="utf-8").splitlines())
                if (r["conducting_unit_code"], r["activity_ref"]) == (unit, ref)]
    record.update(start_date="2023-03-01", end_date="2023-04-01")
    write(settings.landing_dir / "activities" / "2023_correction.ndjson",
          json.dumps(record, ensure_ascii=False) + "\n")
    outcome = run_pipeline(draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)

    for db, tables in ((settings.working_db, ("marts.fct_activity", "scopes.scoped_activity")),
                       (settings.published_db, ("marts.fct_activity",))):
        con = duckdb.connect(str(db), read_only=True)
        try:
            for table in tables:
                dates = [row[0] for row in con.execute(
                    f"select start_date::varchar from {table} "
                    "where conducting_unit_code = ? and activity_ref = ?", [unit, ref]).fetchall()]
                expected = 1 if table == "marts.fct_activity" else scopes
                assert dates == ["2023-03-01"] * expected, f"{db.name} {table}: {dates}"
        finally:
            con.close()


def test_a_decision_corrected_into_another_year_leaves_no_scope_row_in_the_old_one(
        sample_warehouse):
    """scoped_discipline finds the rows to replace within the years of every version of a
    decision (in_rebuild_decisions): a correction that moves a decision from 2022 to 2023
    must remove its 2022 rows there, as the facts rebuilt by year do. Runs the pipeline: an
    incremental run after a correction is what it tests."""
    settings = sample_warehouse
    submitted = settings.landing_dir / "member_disciplines" / "2022_districts.csv"
    header, *rows = submitted.read_text(encoding="utf-8").splitlines()
    [row] = [r for r in rows if r.startswith("QNM-D11,74-QĐ/UBKTHU,")]
    assert ",2022-01-13," in row
    key = ("QNM-D11", "74-QĐ/UBKTHU")
    query = ("select decision_date::varchar from scopes.scoped_discipline "
             "where deciding_unit_code = ? and decision_ref = ?")
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        before = [r[0] for r in con.execute(query, key).fetchall()]
    finally:
        con.close()
    assert before and set(before) == {"2022-01-13"}
    write(settings.landing_dir / "member_disciplines" / "2023_correction.csv",
          header + "\n" + row.replace(",2022-01-13,", ",2023-02-01,") + "\n")
    outcome = run_pipeline(draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)

    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        after = [r[0] for r in con.execute(query, key).fetchall()]
    finally:
        con.close()
    assert after == ["2023-02-01"] * len(before), after


def activity_rows_columns(settings) -> list[str]:
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        return [d[0] for d in con.execute("select * from marts.fct_activity limit 0").description]
    finally:
        con.close()


def test_a_late_submission_rebuilds_the_years_it_touches_and_equals_a_full_build(
        sample_warehouse, capsys):
    settings = sample_warehouse
    before = stored_rows(settings)
    members_2022 = published_member_count(settings, 2022)
    figures_before = activity_rows(settings, RECONCILIATION)
    write(settings.landing_dir / "member_disciplines" / "2022_late_district.csv",
          "deciding_unit_code,decision_ref,member_id,member_name,authority_type,"
          "discipline_form,decision_date,member_unit_code,violation_categories,channel,"
          "is_committee_member,is_probationary,activity_ref,status,violation_date\n"
          "QNM-D11,999-QĐ/UBKTHU,DV100000001,Trần Văn Muộn,inspection_committee,reprimand,"
          "2022-11-14,QNM-D11-G03,lack_of_responsibility,inspection,false,false,,in_force,\n")

    outcome = run_pipeline(draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)
    # a build of some years keeps more of its small nodes in flight
    assert f"Concurrency: {INCREMENTAL_THREADS} threads" in capsys.readouterr().out

    after = stored_rows(settings)
    # organisation decisions read no member decision, and the decision names no activity:
    # those models are left alone, untouched
    for table in LEFT_ALONE_BY_A_MEMBER_DECISION:
        assert after.pop(table) == before.pop(table), table
    # the scopes are rebuilt by decision: the late decision's rows are appended, and every
    # other row of 2022 stays where it was
    scopes_before = before.pop(REBUILT_BY_DECISION)
    assert after[REBUILT_BY_DECISION][:len(scopes_before)] == scopes_before
    appended = after[REBUILT_BY_DECISION][len(scopes_before):]
    assert appended and {row[6] for row in appended} == {"999-QĐ/UBKTHU"}, appended
    for table in before:
        years = {2022, 2023} if table == "marts.mart_discipline_unit_year" else {2022}
        assert_rebuilt(before[table], after[table], years, table)
    assert published_member_count(settings, 2022) == members_2022 + 1
    # a view holds its query: the one over the new rows is not built again, and reads them
    rebuilt = last_build_models(settings)
    assert "fct_member_discipline" in rebuilt and "stg_member_disciplines" not in rebuilt
    assert late_decision_in_staging(settings)
    assert_figures_recomputed(figures_before, activity_rows(settings, RECONCILIATION), 2022)
    assert "incrementally (reporting years 2022)" in publication_note(outcome.run_id)
    published_incrementally = published_marts(settings)

    outcome = run_pipeline(full_refresh=True, draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)
    assert "Concurrency: 2 threads" in capsys.readouterr().out  # the profile's
    assert "in full" in publication_note(outcome.run_id)
    full_build = stored_rows(settings)
    for table in LEFT_ALONE_BY_A_MEMBER_DECISION:
        full_build.pop(table)
    assert {table: sorted(rows) for table, rows in full_build.items()} == {
        table: sorted(rows) for table, rows in after.items()}
    # the file published by copying only 2022 equals the one published in full
    assert published_marts(settings) == published_incrementally


def last_build_models(settings) -> list[str]:
    """The models and seeds the latest dbt build was given (audit.builds)."""
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        return con.execute("select rebuilt_models from audit.builds "
                           "order by built_at desc limit 1").fetchone()[0].split(",")
    finally:
        con.close()


def late_decision_in_staging(settings) -> bool:
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        return con.execute("select count(*) from staging.stg_member_disciplines "
                           "where decision_ref = '999-QĐ/UBKTHU'").fetchone()[0] == 1
    finally:
        con.close()


def assert_figures_recomputed(before: list[tuple], after: list[tuple], year: int) -> None:
    """The report computed again exactly the figures whose period meets `year` and those
    tied to one inspection (appended); every other figure kept its row, where it was."""
    # columns: ... 5 period_start, 6 period_end, ... 13 activity_ref
    def again(row: tuple) -> bool:
        return row[5].year <= year <= row[6].year or row[13] is not None

    kept = [row for row in before if not again(row)]
    assert kept and len(kept) < len(before), "the sample has figures of both kinds"
    assert after[:len(kept)] == kept, "figures of other years moved or changed"
    recomputed = sorted(after[len(kept):], key=repr)
    assert [row[:16] for row in recomputed] == sorted(
        (row[:16] for row in before if again(row)), key=repr)


def publication_note(run_id: str) -> str:
    [record] = [r for r in DagsterInstance.get().get_records_for_run(
        run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
        if r.asset_key.to_user_string() == "published/analytics"]
    return record.event_log_entry.asset_materialization.metadata["published"].value


def published_marts(settings) -> dict[str, list[tuple]]:
    """Every published mart, its rows sorted, and its column types."""
    con = duckdb.connect(str(settings.published_db), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' "
            "order by 1").fetchall()]
        return {t: (con.execute(f"select column_name, data_type from duckdb_columns() where "
                                f"schema_name = 'marts' and table_name = '{t}' "
                                "order by column_index").fetchall(),
                    sorted(con.execute(f"select * from marts.{t}").fetchall(), key=repr))
                for t in tables}
    finally:
        con.close()


UNIT_TREE = ("intermediate.int_org_unit_ancestry", "intermediate.int_org_unit_current_map",
             "intermediate.int_org_unit_current_rollup", "marts.bridge_org_unit_ancestry",
             "marts.bridge_org_unit_current_rollup")


def unit_tree_rows(settings) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        con.execute("set preserve_insertion_order = true")
        return {table: con.execute(f"select * from {table}").fetchall() for table in UNIT_TREE}
    finally:
        con.close()


def test_the_unit_tree_is_rebuilt_when_units_arrive_and_equals_a_full_build(sample_warehouse):
    """The unit-tree models are left alone while raw.org_units is unchanged (their rows keep
    the shuffled storage order), and rebuilt whole, as a full build, when a unit arrives."""
    settings = sample_warehouse
    con = duckdb.connect(str(settings.working_db))
    try:
        for table in UNIT_TREE:
            con.execute(f"create temp table shuffled as select * from {table}")
            con.execute(f"delete from {table}")
            con.execute(f"insert into {table} select * from shuffled as r "
                        "order by md5(r::varchar)")
            con.execute("drop table shuffled")
    finally:
        con.close()
    shuffled = unit_tree_rows(settings)

    assert run_pipeline(draw=False).success
    assert unit_tree_rows(settings) == shuffled, "a unit-tree model was rebuilt needlessly"

    write(settings.landing_dir / "org_units" / "02_new_unit.csv",
          "unit_code,valid_from,name,level,parent_code,unit_type,valid_to,successor_codes\n"
          "QNM-D11-G99,2023-03-01,Chi bộ mới,grassroots,QNM-D11,commune,2025-07-01,\n"
          "QNM-D11-G99,2025-07-01,Chi bộ mới,grassroots,DNG,commune,,\n")
    outcome = run_pipeline(draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)
    incremental = {table: sorted(rows) for table, rows in unit_tree_rows(settings).items()}
    assert any("QNM-D11-G99" in row for row in incremental["marts.bridge_org_unit_ancestry"])
    assert incremental != {table: sorted(rows) for table, rows in shuffled.items()}

    outcome = run_pipeline(full_refresh=True, draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)
    assert {table: sorted(rows) for table, rows in unit_tree_rows(settings).items()} == incremental
