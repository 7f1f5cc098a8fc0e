"""Statistics across the 2025 reorganisation, on Vietnam's real administrative tree.

The whole tree of `kyluat reference admin-tree` (14,150 unit versions) is loaded with
SYNTHETIC decisions of old and new provinces, districts and communes, 2021-2026, and
memberships of every province; then, for every new province and every year, the figures on
today's structure (`structure = 'current'`) are compared with figures worked out here in
plain Python from the submitted files, and with the `as_of` figures of its predecessors.

The pipeline runs afresh once per session (`real_tree_run`): no other fixture holds this
tree, and the sample's warehouse cannot be reused for it.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from kyluat import disclosure, tiers
from kyluat.admin_tree import write_admin_tree
from synthetic.columns import MEMBER_COLUMNS, MEMBERSHIP_COLUMNS
from tests.conftest import make_workspace

pytestmark = pytest.mark.integration

YEARS = range(2021, 2027)
REORGANISATION = date(2025, 7, 1)
# the last day a record may carry (the contract rejects dates in the future)
LAST_DAY = min(date(2026, 11, 30), date.today() - timedelta(days=1))
SPLIT = "C31268"  # Xã Tân Thạnh (Thới Lai, Cần Thơ): C31288-2025 first, then C31666-2025


def _tree(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["unit_code"]: row for row in csv.DictReader(fh)}


def _spread(code: str, salt: int) -> int:
    """A small deterministic number from a code (not Python's salted hash)."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(code)) * 7 + salt * 13


def _decisions_per_year(unit: dict) -> int:
    n = _spread(unit["unit_code"], 0)
    if unit["unit_code"] == SPLIT:
        return 2
    if unit["level"] == "province":
        return 1 + n % 3
    if unit["level"] == "district":
        return n % 3
    if not unit["valid_to"]:  # the fewer new communes decide more each (a steady national total)
        return 1 if n % 3 else 0
    return 1 if n % 3 == 0 else 0


def _dates(unit: dict, year: int, count: int) -> list[date]:
    """`count` decision dates of `year` inside the unit's life (and not in the future)."""
    first = max(date(year, 1, 1), date.fromisoformat(unit["valid_from"]))
    last = min(date(year, 12, 31), LAST_DAY,
               date.fromisoformat(unit["valid_to"]) - timedelta(days=1)
               if unit["valid_to"] else date(9999, 12, 31))
    if last < first:
        return []
    span = (last - first).days + 1
    return [first + timedelta(days=_spread(unit["unit_code"], year * 10 + i) % span)
            for i in range(count)]


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _submissions(landing: Path) -> tuple[dict[str, dict], list[dict], list[dict]]:
    units = _tree(write_admin_tree(landing))
    decisions = []
    for unit in units.values():
        if unit["level"] == "central":
            continue
        for year in YEARS:
            for i, day in enumerate(_dates(unit, year, _decisions_per_year(unit))):
                n = _spread(unit["unit_code"], year + i)
                decisions.append({
                    "deciding_unit_code": unit["unit_code"],
                    "decision_ref": f"{year}-{i + 1}/QĐ-{unit['unit_code']}",
                    "member_id": f"DV{unit['unit_code']}{year}{i}",
                    "authority_type": "party_committee" if n % 2 else "inspection_committee",
                    "discipline_form": "expulsion" if n % 10 == 0
                    else ("reprimand", "warning")[n % 2],
                    "decision_date": day.isoformat(),
                    "member_unit_code": unit["unit_code"],
                    "violation_categories": "lack_of_responsibility",
                    "channel": "inspection",
                })
    memberships = []
    for unit in units.values():
        if unit["level"] != "province":
            continue
        days = ([date(y, 12, 31) for y in range(2020, 2025)] if unit["valid_to"]
                else [date(2025, 12, 31), LAST_DAY])
        for day in days:
            members = 40_000 + _spread(unit["unit_code"], day.year) % 90_000
            memberships.append({"unit_code": unit["unit_code"], "as_of_date": day.isoformat(),
                                "members": members})
    _write_csv(landing / "member_disciplines" / "decisions.csv", MEMBER_COLUMNS, decisions)
    _write_csv(landing / "memberships" / "provinces.csv", MEMBERSHIP_COLUMNS, memberships)
    return units, decisions, memberships


@pytest.fixture(scope="session")
def real_tree_run(tmp_path_factory):
    """The pipeline run once on the real tree with synthetic records, in its own warehouse:
    (settings, units, decisions, memberships)."""
    from orchestration.pipeline import run_pipeline

    monkeypatch = pytest.MonkeyPatch()
    settings = make_workspace(tmp_path_factory.mktemp("real_tree"), monkeypatch)
    units, decisions, memberships = _submissions(settings.landing_dir)
    outcome = run_pipeline()
    assert outcome.success, ([(c.asset, c.name, c.description) for c in outcome.failed_checks
                              if c.blocking], outcome.step_failures)
    yield settings, units, decisions, memberships
    monkeypatch.undo()


@pytest.fixture(scope="session")
def published(real_tree_run):
    settings = real_tree_run[0]
    con = duckdb.connect(str(settings.published_db), read_only=True)
    yield con
    con.close()


def _new_province(units: dict[str, dict], code: str) -> str:
    """The new province a unit's records belong to, by climbing the submitted tree."""
    unit = units[code]
    while unit["level"] not in ("province", "central"):
        unit = units[unit["parent_code"]]
    return unit["unit_code"] if not unit["valid_to"] else unit["successor_codes"]


def _nearest_count(counts: list[tuple[date, int]], year: int) -> int | None:
    if not counts:
        return None
    year_end = date(year, 12, 31)
    return min(counts, key=lambda c: (abs((c[0] - year_end).days), c[0]))[1]


def _expected(units, decisions, memberships) -> dict[tuple[str, int], dict]:
    """Per (new province, year): disciplined, by the province itself, members, rate."""
    disciplined: Counter = Counter()
    by_itself: Counter = Counter()
    for d in decisions:
        unit = units[d["deciding_unit_code"]]
        key = (_new_province(units, unit["unit_code"]), int(d["decision_date"][:4]))
        disciplined[key] += 1
        by_itself[key] += unit["level"] == "province"
    counts = defaultdict(list)
    for m in memberships:
        counts[m["unit_code"]].append((date.fromisoformat(m["as_of_date"]), m["members"]))
    expected = {}
    for code, unit in units.items():
        if unit["level"] != "province" or unit["valid_to"]:
            continue
        predecessors = [q for q, u in units.items() if u["level"] == "province"
                        and (q == code or u["successor_codes"] == code)]
        for year in YEARS:
            year_end = date(year, 12, 31)
            existing = [q for q in predecessors
                        if date.fromisoformat(units[q]["valid_from"]) <= year_end
                        and (not units[q]["valid_to"]
                             or year_end < date.fromisoformat(units[q]["valid_to"]))]
            members = sum(_nearest_count(counts[q], year) for q in existing)
            n = disciplined[(code, year)]
            expected[(code, year)] = {
                "name": unit["name"], "predecessors": predecessors, "disciplined": n,
                "by_itself": by_itself[(code, year)], "members": members,
                "rate": round(1000 * n / members, 3)}
    return expected


def _mart(con, structure: str) -> dict[tuple[str, int], tuple]:
    return {(r[0], r[1]): r[2:] for r in con.execute("""
        select unit_code, decision_year, unit_name, level, members_disciplined,
               members_disciplined_by_unit_itself, members_in_unit,
               members_disciplined_per_1000
        from marts.mart_discipline_unit_year where structure = ?""", [structure]).fetchall()}


def test_every_new_province_every_year_on_todays_structure(real_tree_run, published):
    _, units, decisions, memberships = real_tree_run
    expected = _expected(units, decisions, memberships)
    assert len(expected) == 34 * len(YEARS)
    current, as_of = _mart(published, "current"), _mart(published, "as_of")
    for (code, year), e in sorted(expected.items()):
        assert (code, year) in current, (code, year)
        name, level, disciplined, by_itself, members, rate = current[(code, year)]
        assert (name, level) == (e["name"], "province"), (code, year)
        assert disciplined == e["disciplined"], (code, year)
        assert by_itself == e["by_itself"], (code, year)
        assert members == e["members"], (code, year)
        assert float(rate) == e["rate"], (code, year)
        # the same figures as the sums of the predecessors' as_of rows of that year
        rows = [as_of[(q, year)] for q in e["predecessors"] if (q, year) in as_of]
        assert disciplined == sum(r[2] for r in rows), (code, year)
        assert by_itself == sum(r[3] for r in rows), (code, year)


def test_no_row_lacks_a_name_or_a_level(published):
    """Current rows carry today's name for every year; as_of rows the name of the year (an
    old province in 2025, closed on 1 July, its name until then)."""
    assert published.execute("""
        select structure, count(*) from marts.mart_discipline_unit_year
        where unit_name is null or level is null group by all""").fetchall() == []
    assert published.execute("""
        select unit_name, level from marts.mart_discipline_unit_year
        where structure = 'as_of' and unit_code = 'P49' and decision_year = 2025""").fetchall() \
        == [("Tỉnh Quảng Nam", "province")]


def test_a_split_commune_carries_its_history_to_its_first_listed_successor(real_tree_run,
                                                                             published):
    _, units, decisions, _ = real_tree_run
    primary, other = units[SPLIT]["successor_codes"].split(";")
    carried = {q for q, u in units.items()
               if u["unit_code"] == primary
               or (u["valid_to"] and u["successor_codes"].split(";")[0] == primary)}
    assert SPLIT in carried
    by_year = Counter(int(d["decision_date"][:4]) for d in decisions
                      if d["deciding_unit_code"] in carried)
    rows = dict(published.execute("""
        select decision_year, members_disciplined from marts.mart_discipline_unit_year
        where structure = 'current' and unit_code = ?""", [primary]).fetchall())
    assert rows == dict(by_year)
    # the other successor gets none of the split commune's years
    own = Counter(int(d["decision_date"][:4]) for d in decisions
                  if d["deciding_unit_code"] == other
                  or (units[d["deciding_unit_code"]]["valid_to"]
                      and units[d["deciding_unit_code"]]["successor_codes"]
                      .split(";")[0] == other))
    assert dict(published.execute("""
        select decision_year, members_disciplined from marts.mart_discipline_unit_year
        where structure = 'current' and unit_code = ?""", [other]).fetchall()) == dict(own)


def test_the_whole_tree_loads_without_a_rejection(real_tree_run, published):
    settings = real_tree_run[0]
    assert published.execute("select count(*) from marts.dim_org_unit").fetchone() == (14_150,)
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        assert con.execute("select count(*) from audit.quarantine").fetchone() == (0,)


def test_figures_of_the_bundled_sample_stay_out_of_an_unrelated_warehouse(published):
    assert published.execute("""
        select count(*) from marts.rpt_published_reconciliation
        where figure_origin = 'published'""").fetchone() == (0,)



TREE = """unit_code,valid_from,name,level,parent_code,unit_type,valid_to,successor_codes
TW,1930-02-03,Trung ương,central,,,,
P1,2016-01-01,Tỉnh Một,province,TW,,,
C1,2016-01-01,Xã Tân Thạnh,grassroots,P1,,2025-07-01,{split}
C2,2016-01-01,Xã Trường Thành,grassroots,P1,,2025-07-01,N1
N1,2025-07-01,Xã Trường Thành,grassroots,P1,,,
N2,2025-07-01,Xã Định Môn,grassroots,P1,,,
"""


def test_the_public_file_of_the_national_tree_reveals_no_small_count(real_tree_run):
    """The differencing attack (parents against children, totals against breakdowns, all
    years against each year) on the public file drawn from 34 provinces' synthetic records:
    it recovers no hidden count, and there were small counts to hide."""
    path = tiers.public_file(real_tree_run[0].warehouse_dir)
    assert disclosure.check_public_file(path, disclosure.DEFAULT_MIN_COUNT) == []
    con = duckdb.connect(str(path), read_only=True)
    try:
        provinces, hidden, reasons = con.execute(
            "select count(distinct unit_code), count(*) filter (members_disciplined is null), "
            "count(suppression_reason) from aggregates.discipline_counts").fetchone()
    finally:
        con.close()
    assert provinces >= 34 and hidden > 0 and hidden == reasons


def test_a_resent_tree_that_changes_a_primary_successor_is_recorded_and_reported(workspace,
                                                                                 capsys):
    from kyluat.ingest import run_ingest
    from orchestration.summary import print_files_of_run

    tree = workspace.landing_dir / "org_units" / "tree.csv"
    tree.parent.mkdir(parents=True)
    tree.write_text(TREE.format(split="N1;N2"), encoding="utf-8")
    run_ingest(workspace, "first")
    # the same tree again, the split commune's successors in the other order
    (tree.parent / "tree_resent.csv").write_text(TREE.format(split="N2;N1"), encoding="utf-8")
    run_ingest(workspace, "second")
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        assert con.execute("""
            select unit_code, previous_primary, new_primary, run_id
            from audit.primary_successor_changes""").fetchall() == [("C1", "N1", "N2", "second")]
    print_files_of_run(workspace, "second")
    assert ("primary successor changed for 1 unit(s): C1 N1 -> N2; their history on today's "
            "structure moves with it (audit.primary_successor_changes)") in capsys.readouterr().out
