"""Which reporting years newly loaded rows touch (kyluat/periods.py), on hand-built raw
tables with hand-worked answers."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from kyluat import periods
from kyluat.ingest import ensure_schema


@pytest.fixture
def con():
    con = duckdb.connect()
    ensure_schema(con)
    yield con
    con.close()


def member_decision(con, run_id, decision_ref, decision_date, member_key="m1",
                    activity_ref=None):
    con.execute("""
        insert into raw.member_disciplines
            (deciding_unit_code, decision_ref, member_key, decision_date, activity_ref, _run_id)
        values ('QNM', ?, ?, ?, ?, ?)""", [decision_ref, member_key, decision_date,
                                           activity_ref, run_id])


def activity(con, run_id, activity_ref, start_date):
    con.execute("""
        insert into raw.activities (conducting_unit_code, activity_ref, start_date, _run_id)
        values ('QNM', ?, ?, ?)""", [activity_ref, start_date, run_id])


def published_history(con):
    """Rows of 2019-2021 from a run that was published."""
    member_decision(con, "run-1", "1-QĐ", date(2019, 5, 1), activity_ref="KT-1")
    member_decision(con, "run-1", "2-QĐ", date(2021, 3, 1))
    activity(con, "run-1", "KT-1", date(2018, 11, 20))
    activity(con, "run-1", "KT-2", date(2020, 2, 2))
    periods.mark_published(con)


def test_nothing_new_touches_nothing(con):
    assert periods.pending_years(con) == []
    published_history(con)
    assert periods.pending_years(con) == []


def test_a_new_decision_touches_its_year(con):
    published_history(con)
    member_decision(con, "run-2", "3-QĐ", date(2022, 7, 1))
    assert periods.pending_years(con) == [2022]


def test_a_revision_touches_the_year_of_every_version(con):
    published_history(con)
    # 2-QĐ was dated 2021; its correction says 2023: 2021 loses it, 2023 gains it
    member_decision(con, "run-2", "2-QĐ", date(2023, 1, 9))
    assert periods.pending_years(con) == [2021, 2023]


def test_a_decision_touches_the_year_of_the_inspection_it_followed(con):
    published_history(con)
    member_decision(con, "run-2", "4-QĐ", date(2022, 1, 5), member_key="m2", activity_ref="KT-2")
    assert periods.pending_years(con) == [2020, 2022]


def test_a_revised_decision_touches_the_activities_of_its_old_version(con):
    published_history(con)
    # 1-QĐ (2019) followed KT-1 (2018); its revision no longer names an activity
    member_decision(con, "run-2", "1-QĐ", date(2019, 5, 1))
    assert periods.pending_years(con) == [2018, 2019]


def test_a_revised_activity_touches_both_start_years(con):
    published_history(con)
    activity(con, "run-2", "KT-2", date(2021, 2, 2))
    assert periods.pending_years(con) == [2020, 2021]


def test_a_membership_count_is_the_denominator_of_three_years(con):
    published_history(con)
    con.execute("insert into raw.memberships (unit_code, as_of_date, members, _run_id) "
                "values ('QNM', date '2022-12-31', 1000, 'run-2')")
    assert periods.pending_years(con) == [2021, 2022, 2023]


def test_a_change_to_the_unit_tree_touches_every_year(con):
    published_history(con)
    con.execute("insert into raw.org_units (unit_code, valid_from, _run_id) "
                "values ('QNM-D99', date '2024-07-01', 'run-2')")
    assert periods.pending_years(con) is None


def test_years_stay_pending_until_a_publication(con):
    published_history(con)
    member_decision(con, "run-2", "5-QĐ", date(2024, 1, 1))
    member_decision(con, "run-3", "6-QĐ", date(2025, 1, 1))  # run-2 was not published
    assert periods.pending_years(con) == [2024, 2025]
    assert periods.mark_published(con) == 2
    assert periods.pending_years(con) == []


def test_a_backfill_adds_its_years_to_the_pending_ones():
    assert periods.years_to_rebuild([2022], [2019, 2020]) == [2019, 2020, 2022]
    assert periods.years_to_rebuild([], []) == []
    assert periods.years_to_rebuild(None, [2019]) is None
