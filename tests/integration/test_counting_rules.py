"""The counting rules of CONTRACT §6, proved on a hand-built landing whose answers are worked
out by hand below (not by the code under test).

Tree: TW > PA (province, merged into PB on 2025-07-01) > PA-D1 (district, abolished
2025-07-01, successor PB) > PA-D1-G1 (grassroots; from 2025-07-01 directly under PB) >
PA-D1-G1-C1 (cell). TW > PB > PB-D1.

Decisions of 2023 (member ids M1..M6):
  D1 cell C1, M1, reported by three levels (three files, same key); lack_of_responsibility
  D2 district PA-D1, M2, revoked by a later file
  D3 province PA, M3, two categories (corruption_negativity; lack_of_responsibility)
  D4 PB-D1, M4 (outside PA)
  D5 district PA-D1, M5, personnel_work
  D6 grassroots G1, M1 again (same person, second decision), other

The run here is the refresh job alone (`draw=False`): what is drawn after it is tested in
test_tiers.py and test_report.py.
"""

from __future__ import annotations

import duckdb
import pytest

from orchestration.pipeline import run_pipeline
from tests.conftest import make_workspace, write

pytestmark = pytest.mark.integration

ORG_UNITS = """unit_code,valid_from,name,level,parent_code,valid_to,successor_codes
TW,1930-02-03,Trung ương,central,,,
PA,2000-01-01,Tỉnh A,province,TW,2025-07-01,PB
PB,2000-01-01,Tỉnh B,province,TW,,
PA-D1,2000-01-01,Huyện A1,district,PA,2025-07-01,PB
PA-D1-G1,2000-01-01,Xã A1-1,grassroots,PA-D1,2025-07-01,
PA-D1-G1,2025-07-01,Xã A1-1,grassroots,PB,,
PA-D1-G1-C1,2000-01-01,Chi bộ A1-1-1,cell,PA-D1-G1,,
PB-D1,2000-01-01,Huyện B1,district,PB,,
"""

HEADER = ("deciding_unit_code,decision_ref,member_id,authority_type,discipline_form,"
          "decision_date,member_unit_code,violation_categories,channel,status\n")
D1 = ("PA-D1-G1-C1,1/CB,M1,party_committee,warning,2023-03-01,PA-D1-G1-C1,"
      "lack_of_responsibility,inspection,in_force\n")
D2 = ("PA-D1,2/HU,M2,inspection_committee,reprimand,2023-05-01,PA-D1,corruption_negativity,"
      "supervision,{status}\n")
D3 = ("PA,3/TU,M3,inspection_committee,expulsion,2023-06-01,PA,"
      '"corruption_negativity;lack_of_responsibility",inspection,in_force\n')
D4 = "PB-D1,4/QU,M4,party_committee,reprimand,2023-07-01,PB-D1,other,other,in_force\n"
D5 = "PA-D1,5/HU,M5,party_committee,warning,2023-08-01,PA-D1,personnel_work,inspection,in_force\n"
D6 = "PA-D1-G1,6/DU,M1,party_committee,reprimand,2023-09-01,PA-D1-G1,other,supervision,in_force\n"

MEMBERSHIPS = """unit_code,as_of_date,members
PA,2022-12-31,1000
PA,2023-06-30,1500
PA,2024-03-31,1200
"""

REPORT_HEADER = ("reporting_unit_code,period_start,period_end,measure,authority_type,"
                 "subject_kind,discipline_form,violation_category,channel,source_ref,value,"
                 "value_qualifier,scope\n")
REPORTS = {  # source_ref: (value, qualifier, scope, expected status, expected computed)
    "R-EXACT": (4, "exact", "unit_and_below", "match", 4),
    "R-AT-LEAST-BELOW": (3, "at_least", "unit_and_below", "consistent", 4),
    "R-AT-LEAST-ABOVE": (5, "at_least", "unit_and_below", "mismatch", 4),
    "R-AT-MOST": (9, "at_most", "unit_and_below", "consistent", 4),
    "R-WRONG": (6, "exact", "unit_and_below", "mismatch", 4),
    "R-UNIT-ONLY": (1, "exact", "unit_only", "match", 1),
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    settings = make_workspace(tmp_path_factory.mktemp("rules"), monkeypatch)
    landing = settings.landing_dir
    write(landing / "org_units" / "tree.csv", ORG_UNITS)
    write(landing / "memberships" / "members.csv", MEMBERSHIPS)
    # D1 reported by the cell, the district and the province: the same business key three times
    write(landing / "member_disciplines" / "1_cell.csv", HEADER + D1)
    write(landing / "member_disciplines" / "2_district.csv",
          HEADER + D1 + D2.format(status="in_force") + D5)
    write(landing / "member_disciplines" / "3_province.csv", HEADER + D1 + D3 + D6)
    write(landing / "member_disciplines" / "4_other_province.csv", HEADER + D4)
    write(landing / "member_disciplines" / "5_revocation.csv", HEADER + D2.format(status="revoked"))
    write(landing / "aggregate_reports" / "reports.csv", REPORT_HEADER + "".join(
        f"PA,2023-01-01,2023-12-31,disciplined,all,member,all,all,all,{ref},{value},{q},{scope}\n"
        for ref, (value, q, scope, _, _) in REPORTS.items()))
    outcome = run_pipeline(draw=False)
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)
    # No activities were sent: a freshness warning, which does not block publication.
    warnings = [c for c in outcome.failed_checks if not c.blocking]
    assert [c.name for c in warnings] == ["submissions_are_fresh"]
    assert "activities: no file received yet" in warnings[0].description
    yield duckdb.connect(str(settings.published_db), read_only=True)
    monkeypatch.undo()


def unit_year(con, structure, unit, column="members_disciplined"):
    row = con.execute(f"select {column} from marts.mart_discipline_unit_year "
                      "where structure = ? and unit_code = ? and decision_year = 2023",
                      [structure, unit]).fetchone()
    return row[0] if row else None


def test_a_decision_reported_by_three_levels_counts_once_at_every_ancestor(warehouse):
    assert warehouse.execute("select count(*) from marts.fct_member_discipline "
                             "where decision_ref = '1/CB'").fetchone()[0] == 1
    # D1 only; D1+D6; D1+D6+D5 (D2 revoked); +D3; +D4
    assert unit_year(warehouse, "as_of", "PA-D1-G1-C1") == 1
    assert unit_year(warehouse, "as_of", "PA-D1-G1") == 2
    assert unit_year(warehouse, "as_of", "PA-D1") == 3
    assert unit_year(warehouse, "as_of", "PA") == 4
    assert unit_year(warehouse, "as_of", "TW") == 5


def test_distinct_persons_are_a_separate_measure(warehouse):
    # M1 has two decisions (D1, D6)
    assert unit_year(warehouse, "as_of", "PA", "distinct_members_disciplined") == 3
    assert unit_year(warehouse, "as_of", "PA-D1-G1", "distinct_members_disciplined") == 1


def test_revoked_decisions_leave_current_totals_and_stay_in_history(warehouse):
    fact = warehouse.execute("select status, counts_in_totals from marts.fct_member_discipline "
                             "where decision_ref = '2/HU'").fetchone()
    assert fact == ("revoked", False)
    history = warehouse.execute("""
        select version_number, status, is_current, source_file_path
        from marts.fct_member_discipline_history where decision_ref = '2/HU'
        order by version_number""").fetchall()
    assert history == [(1, "in_force", False, "member_disciplines/2_district.csv"),
                       (2, "revoked", True, "member_disciplines/5_revocation.csv")]
    corruption = warehouse.execute("""
        select disciplined from marts.mart_discipline_by_violation_category
        where structure = 'as_of' and unit_code = 'PA-D1' and decision_year = 2023
          and violation_category = 'corruption_negativity'""").fetchone()
    assert corruption is None  # D2 was the only one there


def test_two_categories_count_once_in_each_and_once_in_the_total(warehouse):
    rows = dict(warehouse.execute("""
        select violation_category, sum(disciplined)::int
        from marts.mart_discipline_by_violation_category
        where structure = 'as_of' and unit_code = 'PA' and decision_year = 2023
          and subject_kind = 'member' group by violation_category""").fetchall())
    assert rows == {"lack_of_responsibility": 2, "corruption_negativity": 1,
                    "personnel_work": 1, "other": 1}
    assert unit_year(warehouse, "as_of", "PA") == 4  # not 5: D3 counts once in the total
    assert warehouse.execute("select count(*) from marts.bridge_member_discipline_violation "
                             "where decision_ref = '3/TU'").fetchone()[0] == 2


def test_as_of_rollup_keeps_the_old_province_and_current_rollup_follows_the_merger(warehouse):
    as_of = {r[0] for r in warehouse.execute("""
        select a.ancestor_code from marts.fct_member_discipline f
        join marts.bridge_org_unit_ancestry a on a.unit_code = f.deciding_unit_code
         and f.decision_date >= a.valid_from and f.decision_date < a.valid_to
        where f.decision_ref = '5/HU'""").fetchall()}
    current = {r[0] for r in warehouse.execute("""
        select r.ancestor_code from marts.fct_member_discipline f
        join marts.bridge_org_unit_current_rollup r on r.unit_code = f.deciding_unit_code
        where f.decision_ref = '5/HU'""").fetchall()}
    assert as_of == {"PA-D1", "PA", "TW"}
    assert current == {"PB", "TW"}
    # Today's Province B carries everything of Province A plus its own: D1, D3, D5, D6, D4
    assert unit_year(warehouse, "current", "PB") == 5
    assert unit_year(warehouse, "current", "PA") is None
    assert unit_year(warehouse, "as_of", "PB") == 1


def test_rate_uses_the_membership_count_nearest_in_time(warehouse):
    # nearest to 2023-12-31 is 2024-03-31 (91 days), not the latest before it (2023-06-30)
    members, as_of, rate = warehouse.execute("""
        select members_in_unit, members_as_of, members_disciplined_per_1000
        from marts.mart_discipline_unit_year
        where structure = 'as_of' and unit_code = 'PA' and decision_year = 2023""").fetchone()
    assert (members, str(as_of)) == (1200, "2024-03-31")
    assert rate == pytest.approx(4 * 1000 / 1200, abs=1e-3)


def test_reconciliation_statuses_honour_the_qualifier(warehouse):
    rows = {r[0]: r[1:] for r in warehouse.execute("""
        select source_ref, status, computed_value, difference
        from marts.rpt_published_reconciliation where figure_origin = 'submitted'""").fetchall()}
    for ref, (value, _, _, status, computed) in REPORTS.items():
        assert rows[ref] == (status, computed, computed - value), ref
