"""dbt tests block publication too: a lost share of facts (row-count drop against the file
analysts read), a fact pointing at a unit that does not exist (referential integrity), a
form that is no member form of the seed (vocabulary), a required value missing and a count
below zero."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from orchestration.cli import main
from orchestration.dbt_assets import failing_rows
from orchestration.dbt_runner import dbt_test

pytestmark = pytest.mark.integration


def test_row_count_drop_and_broken_reference_block_publication(sample_copy, capsys):
    workspace = sample_copy
    before = hashlib.sha256(workspace.published_db.read_bytes()).hexdigest()

    with duckdb.connect(str(workspace.published_db), read_only=True) as con:
        published_rows = con.execute(
            "select count(*) from marts.fct_member_discipline").fetchone()[0]
    with duckdb.connect(str(workspace.working_db)) as con:
        lost = con.execute("delete from raw.member_disciplines "
                           "where hash(decision_ref) % 10 = 0").fetchone()[0]
        con.execute("""
            insert into raw.member_disciplines
            select * replace ('ORPHAN-1' as decision_ref, 'NO-SUCH-UNIT' as member_unit_code)
            from raw.member_disciplines limit 1""")
        # an organisation's form given to a member: not a member form of the seed
        con.execute("""
            insert into raw.member_disciplines
            select * replace ('ORG-FORM-1' as decision_ref, 'dissolution' as discipline_form)
            from raw.member_disciplines where decision_ref <> 'ORPHAN-1' limit 1""")
    assert lost > 50

    # Raw rows are never deleted, so no incremental run would notice: rebuild everything.
    assert main(["run", "--full-refresh"]) == 1
    out = capsys.readouterr().out
    out = out[out.index("checks:"):]  # the summary, after any progress lines
    assert hashlib.sha256(workspace.published_db.read_bytes()).hexdigest() == before
    assert "NOT PUBLISHED" in out
    # which test, on which table, how many rows, and the failing rows themselves
    assert "dbt test assert_no_row_count_drop: 2 failing rows" in out, out
    # the rows analysts read before the run, as the test reports them
    assert f"table_name=fct_member_discipline, published_rows={published_rows}" in out, out
    assert "table_name=fct_member_discipline_history" in out, out
    assert "marts/fct_member_discipline dbt test references_fct_member_discipline" in out, out
    assert "column_name=member_unit_code, missing_value=NO-SUCH-UNIT" in out, out
    assert ("marts/fct_member_discipline dbt test "
            "in_vocabulary_fct_member_discipline_discipline_form") in out, out
    assert "discipline_form=dissolution" in out, out


def test_a_missing_value_and_a_negative_count_fail_their_tests(sample_copy):
    """The tests of several columns name the columns at fault. dbt tests the copied marts,
    broken in place: a pipeline run would rebuild them (and skip what follows a failure)."""
    with duckdb.connect(str(sample_copy.working_db)) as con:
        con.execute("update marts.fct_member_discipline set channel = null, member_key = null "
                    "where rowid = (select min(rowid) from marts.fct_member_discipline)")
        con.execute("update marts.fct_activity set orgs_disciplined = -1 "
                    "where rowid in (select rowid from marts.fct_activity limit 2)")
    tests = ["not_null_fct_member_discipline", "not_negative_fct_activity",
             "not_null_fct_org_discipline"]
    result = dbt_test(sample_copy.warehouse_dir, tests)
    found = {node.unique_id.split(".")[2]: node for node in result.nodes}
    assert set(found) == set(tests)
    assert found["not_null_fct_org_discipline"].status == "pass"
    with duckdb.connect(str(sample_copy.working_db), read_only=True) as con:
        missing, negative = (found[name] for name in tests[:2])
        assert (missing.status, missing.failures) == ("fail", 1)
        assert failing_rows(con, missing.failing_rows_sql) == ["null_columns=member_key, channel"]
        assert (negative.status, negative.failures) == ("fail", 2)
        assert failing_rows(con, negative.failing_rows_sql) == [
            "negative_columns=orgs_disciplined"] * 2
