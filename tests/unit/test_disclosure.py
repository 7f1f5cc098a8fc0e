"""The disclosure check on hand-made tables: a hidden count recoverable by subtraction fails
it; suppression of the same table passes it."""

from __future__ import annotations

import duckdb

from kyluat import disclosure
from kyluat.disclosure import ALL_LEVELS, PRIMARY, REST, Cell

K = 5


def _table(path, rows):
    """A public file holding `rows`: (unit, parent, scope, period, breakdown, value, count,
    reason)."""
    con = duckdb.connect(str(path))
    con.execute("create schema aggregates")
    con.execute("""create table aggregates.discipline_counts (unit_code varchar,
        parent_code varchar, scope varchar, period varchar, breakdown varchar,
        breakdown_value varchar, members_disciplined bigint, suppression_reason varchar)""")
    con.executemany("insert into aggregates.discipline_counts values (?, ?, ?, ?, ?, ?, ?, ?)",
                    rows)
    con.execute("create table aggregates.discipline_rates (unit_code varchar, "
                "decision_year integer, members_disciplined bigint, "
                + ", ".join(f"{c} double" for c in disclosure.RATE_COLUMNS) + ")")
    con.execute("create table aggregates.published_figures (figure_id varchar, "
                "computed_value bigint)")
    con.close()
    return path


# The centre TW: 20 = 0 of its own + A 12 + B 8. B by authority: 3 hidden, 5 shown, and
# B's total 8 is shown, so 8 - 5 gives the 3.
RECOVERABLE = [
    ("TW", None, ALL_LEVELS, "2023", "total", "total", 20, None),
    ("TW", None, REST, "2023", "total", "total", 0, None),
    ("A", "TW", ALL_LEVELS, "2023", "total", "total", 12, None),
    ("B", "TW", ALL_LEVELS, "2023", "total", "total", 8, None),
    ("B", "TW", ALL_LEVELS, "2023", "authority_type", "inspection_committee", None, PRIMARY),
    ("B", "TW", ALL_LEVELS, "2023", "authority_type", "party_committee", 5, None),
]


def test_a_hidden_count_recoverable_by_subtraction_fails_the_check(tmp_path):
    problems = disclosure.check_public_file(_table(tmp_path / "p.duckdb", RECOVERABLE), K)
    assert problems == ["B (all_levels) 2023 authority_type=inspection_committee: recoverable "
                        "as 3 (suppressed PRIMARY)"]


def test_a_hidden_child_recoverable_from_its_parent_fails_the_check(tmp_path):
    rows = [("TW", None, ALL_LEVELS, "2023", "total", "total", 20, None),
            ("TW", None, REST, "2023", "total", "total", 0, None),
            ("A", "TW", ALL_LEVELS, "2023", "total", "total", 18, None),
            ("B", "TW", ALL_LEVELS, "2023", "total", "total", None, PRIMARY)]
    problems = disclosure.check_public_file(_table(tmp_path / "p.duckdb", rows), K)
    assert problems == ["B (all_levels) 2023 total=total: recoverable as 2 (suppressed PRIMARY)"]


def test_shown_small_counts_and_unmarked_gaps_fail_the_check(tmp_path):
    rows = [("TW", None, ALL_LEVELS, "2023", "total", "total", 3, None),
            ("TW", None, ALL_LEVELS, "2024", "total", "total", None, None)]
    problems = disclosure.check_public_file(_table(tmp_path / "p.duckdb", rows), K)
    assert "TW (all_levels) 2023 total=total: count 3 is below 5" in problems
    assert "TW (all_levels) 2024 total=total: hidden without a reason code" in problems


def test_suppression_of_the_recoverable_table_passes_the_check(tmp_path):
    # the true values: B by authority 3 and 5
    cells = [Cell(u, p, s, y, b, v, 3 if n is None else n) for u, p, s, y, b, v, n, _ in
             RECOVERABLE]
    result = disclosure.suppress(cells, K)
    hidden = {(c.unit_code, c.breakdown_value): c.reason for c in result.cells
              if c.value is None}
    # 3 is primary; then 5, the other part of B's 8, is suppressed too: 8 = x + y with x in
    # 1..4 (primary) and y at least 5 (secondary) leaves x anywhere in 1..3
    assert hidden == {("B", "inspection_committee"): PRIMARY,
                      ("B", "party_committee"): disclosure.SECONDARY_BREAKDOWN}
    rows = [(c.unit_code, c.parent_code, c.scope, c.period, c.breakdown, c.breakdown_value,
             c.value, c.reason) for c in result.cells]
    assert disclosure.check_public_file(_table(tmp_path / "p.duckdb", rows), K) == []
