"""Statistical disclosure control of the public tier: suppression and the differencing attack.

A cell is one count of members disciplined: (unit, scope, period, breakdown, value). Cells are
tied by exact relations an attacker can subtract: a unit's total against its breakdown by
authority, form and channel (equal sums) and by violation category (a decision with two
categories counts in both: the categories add up to at least the total, each at most the
total); a parent against its own decisions and its children (equal sums); the multi-year
figure against its years (equal sums).

Suppression: every count from 1 to k-1 is suppressed (reason PRIMARY; zero is not sensitive).
Then the attack below is run on what would be published; while it pins the value of a
suppressed cell, one more published cell of a relation holding it is suppressed (reason
SECONDARY_HIERARCHY, SECONDARY_BREAKDOWN or SECONDARY_YEARS, after the relation), the
smallest count of the relation (the total last, zeros only when no count is left).

The attack (`attack`) knows what the reason codes say: a PRIMARY cell lies in 1..k-1, a
SECONDARY cell is zero or at least k (taken as any count from zero: the attack works on
intervals and does not split a secondary cell's range into cases). It narrows every
suppressed cell's interval through every relation until nothing changes; a cell whose
interval is one value is recovered. It derives the relations from the published table's
columns alone (parent_code, scope, period, breakdown), not from how suppression chose its
cells, so that the blocking check judges the published file independently.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from dataclasses import dataclass, field

DEFAULT_MIN_COUNT = 5
"""k: the smallest count published. 5 is the threshold of the national statistical offices that
publish counts of persons in sensitive categories (the UK ONS, Eurostat's health statistics):
below it, the people of a commune can tell who is counted. KYLUAT_PUBLIC_MIN_COUNT changes it."""

PRIMARY = "PRIMARY"
SECONDARY_HIERARCHY = "SECONDARY_HIERARCHY"
SECONDARY_BREAKDOWN = "SECONDARY_BREAKDOWN"
SECONDARY_YEARS = "SECONDARY_YEARS"
REASONS = (PRIMARY, SECONDARY_HIERARCHY, SECONDARY_BREAKDOWN, SECONDARY_YEARS)

ALL_PERIODS = "all"
TOTAL = "total"
ADDITIVE_BREAKDOWNS = ("authority_type", "discipline_form", "channel")
OVERLAPPING_BREAKDOWNS = ("violation_category",)  # a decision may count in several values
ALL_LEVELS, REST = "all_levels", "rest"


def min_count() -> int:
    text = os.environ.get("KYLUAT_PUBLIC_MIN_COUNT", "").strip()
    if not text:
        return DEFAULT_MIN_COUNT
    if not text.isdigit() or int(text) < 2:
        from kyluat.config import ConfigError
        raise ConfigError(f"KYLUAT_PUBLIC_MIN_COUNT={text!r} is not a whole number of at least "
                          f"2; set it to e.g. {DEFAULT_MIN_COUNT} or unset it")
    return int(text)


Key = tuple  # (unit_code, scope, period, breakdown, breakdown_value)


@dataclass
class Cell:
    unit_code: str
    parent_code: str | None
    scope: str
    period: str
    breakdown: str
    breakdown_value: str
    value: int | None  # None: suppressed
    reason: str | None = None

    @property
    def key(self) -> Key:
        return (self.unit_code, self.scope, self.period, self.breakdown, self.breakdown_value)


@dataclass(frozen=True)
class Relation:
    """total = sum(parts) when `equal`, else sum(parts) >= total and each part <= total."""

    kind: str  # hierarchy, breakdown, years
    total: Key
    parts: tuple[Key, ...]
    equal: bool = True


def relations(cells: list[Cell]) -> list[Relation]:
    """Every relation among the cells, from their columns."""
    keys = {c.key for c in cells}
    found: list[Relation] = []
    # breakdowns against the total of the same unit, scope and period
    by_breakdown: dict[tuple, list[Key]] = defaultdict(list)
    for c in cells:
        if c.breakdown != TOTAL:
            by_breakdown[(c.unit_code, c.scope, c.period, c.breakdown)].append(c.key)
    for (unit, scope, period, breakdown), parts in sorted(by_breakdown.items()):
        total = (unit, scope, period, TOTAL, TOTAL)
        if total in keys:
            found.append(Relation("breakdown", total, tuple(sorted(parts)),
                                  equal=breakdown not in OVERLAPPING_BREAKDOWNS))
    # a parent (all levels) against its own decisions and its children
    children: dict[str, set[str]] = defaultdict(set)
    for c in cells:
        if c.parent_code is not None and c.scope == ALL_LEVELS:
            children[c.parent_code].add(c.unit_code)
    for c in cells:
        if c.scope == ALL_LEVELS and c.unit_code in children:
            parts = [(u, ALL_LEVELS, *c.key[2:]) for u in sorted(children[c.unit_code])]
            rest = (c.unit_code, REST, *c.key[2:])
            if rest in keys:
                parts.append(rest)
            found.append(Relation("hierarchy", c.key, tuple(p for p in parts if p in keys)))
    # the multi-year figure against its years
    by_years: dict[tuple, list[Key]] = defaultdict(list)
    for c in cells:
        if c.period != ALL_PERIODS:
            by_years[(c.unit_code, c.scope, c.breakdown, c.breakdown_value)].append(c.key)
    for (unit, scope, breakdown, value), parts in sorted(by_years.items()):
        total = (unit, scope, ALL_PERIODS, breakdown, value)
        if total in keys:
            found.append(Relation("years", total, tuple(sorted(parts))))
    return found


@dataclass
class Recovered:
    key: Key
    value: int
    reason: str | None

    def describe(self) -> str:
        unit, scope, period, breakdown, value = self.key
        return (f"{unit} ({scope}) {period} {breakdown}={value}: recoverable as {self.value} "
                f"(suppressed {self.reason})")


def attack(cells: list[Cell], k: int, found: list[Relation] | None = None
           ) -> list[Recovered]:
    """The suppressed cells whose value the relations pin to one number below k."""
    found = relations(cells) if found is None else found
    lo: dict[Key, float] = {}
    hi: dict[Key, float] = {}
    reason = {}
    for c in cells:
        if c.value is not None:
            lo[c.key] = hi[c.key] = c.value
        elif c.reason == PRIMARY:
            lo[c.key], hi[c.key] = 1, k - 1
        else:
            lo[c.key], hi[c.key] = 0, math.inf  # secondary: zero or at least k
        reason[c.key] = c.reason
    touching: dict[Key, list[Relation]] = defaultdict(list)
    for relation in found:
        for key in (relation.total, *relation.parts):
            if hi[key] != lo[key]:
                touching[key].append(relation)
    pending = [r for r in found if any(lo[x] != hi[x] for x in (r.total, *r.parts))]
    while pending:
        changed: set[Key] = set()
        for relation in pending:
            changed |= _narrow(relation, lo, hi)
        pending = list({id(r): r for key in changed for r in touching[key]}.values())
    return [Recovered(c.key, int(lo[c.key]), c.reason) for c in cells
            if c.value is None and lo[c.key] == hi[c.key] and lo[c.key] < k]


def _narrow(relation: Relation, lo: dict, hi: dict) -> set[Key]:
    changed = set()
    total, parts = relation.total, relation.parts
    sum_lo = sum(lo[p] for p in parts)
    finite_hi = sum(hi[p] for p in parts if hi[p] != math.inf)
    unbounded = sum(hi[p] == math.inf for p in parts)

    def others_hi(p):  # the largest the other parts can add up to
        if unbounded - (hi[p] == math.inf) > 0:
            return math.inf
        return finite_hi - (hi[p] if hi[p] != math.inf else 0)

    def tighten(key, new_lo, new_hi):
        if new_lo > lo[key]:
            lo[key] = new_lo
            changed.add(key)
        if new_hi < hi[key]:
            hi[key] = new_hi
            changed.add(key)

    sum_hi = math.inf if unbounded else finite_hi
    if relation.equal:
        tighten(total, sum_lo, sum_hi)
        for p in parts:
            tighten(p, lo[total] - others_hi(p), hi[total] - (sum_lo - lo[p]))
    else:
        tighten(total, max([lo[p] for p in parts], default=0), sum_hi)
        for p in parts:
            tighten(p, lo[total] - others_hi(p), hi[total])
    return changed


_SECONDARY_REASON = {"hierarchy": SECONDARY_HIERARCHY, "breakdown": SECONDARY_BREAKDOWN,
                     "years": SECONDARY_YEARS}


@dataclass
class SuppressionResult:
    cells: list[Cell]
    primary: int = 0
    secondary: int = 0
    rounds: int = 0
    left: list[Recovered] = field(default_factory=list)  # recoverable still (none expected)


def suppress(cells: list[Cell], k: int, max_rounds: int = 1000) -> SuppressionResult:
    """Primary suppression of 1..k-1, then secondary suppression until the attack recovers
    nothing. `cells` carry their true values; the result's cells carry what is published."""
    result = SuppressionResult(cells)
    true_value = {c.key: c.value for c in cells}
    by_key = {c.key: c for c in cells}
    for c in cells:
        if c.value is not None and 1 <= c.value < k:
            c.value, c.reason = None, PRIMARY
            result.primary += 1
    found = relations(cells)
    holding: dict[Key, list[Relation]] = defaultdict(list)
    for relation in found:
        for key in (relation.total, *relation.parts):
            holding[key].append(relation)
    while result.rounds < max_rounds:
        recovered = attack(cells, k, found)
        if not recovered:
            break
        result.rounds += 1
        chosen: set[Key] = set()
        for item in recovered:
            # the nearest relation with a count still shown: the item's own relations first,
            # then those of the hidden cells they hold (a chain of relations pinned it)
            seen_cells, seen_relations = {item.key}, set()
            frontier = [item.key]
            pick = None
            while frontier and pick is None:
                # one pass over each relation not seen yet: its cells still shown, and its
                # cells not reached yet (the next frontier; relations seen before add none)
                candidates, next_frontier = [], []
                for key in frontier:
                    for relation in holding[key]:
                        if id(relation) in seen_relations:
                            continue
                        seen_relations.add(id(relation))
                        open_cells, hidden = [], 0
                        for m in (relation.total, *relation.parts):
                            if by_key[m].value is None:
                                hidden += 1
                            elif m not in chosen:
                                open_cells.append(m)
                            if m not in seen_cells:
                                seen_cells.add(m)
                                next_frontier.append(m)
                        if open_cells:
                            candidates.append((hidden, relation, open_cells))
                if candidates:
                    _, relation, open_cells = min(candidates, key=lambda c: c[0])
                    pick = min(open_cells, key=lambda m: (m == relation.total,
                                                          true_value[m] == 0, true_value[m], m))
                    break
                frontier = next_frontier
            if pick is None:
                continue
            chosen.add(pick)
            by_key[pick].value, by_key[pick].reason = None, _SECONDARY_REASON[relation.kind]
            result.secondary += 1
        if not chosen:
            result.left = recovered
            break
    else:
        result.left = attack(cells, k, found)
    return result


IDENTIFIER_COLUMNS = ("member_key", "member_id", "member_name", "decision_ref", "activity_ref",
                      "subject_member_key", "source_file_id", "source_file_path",
                      "source_row_number", "file_id", "path", "reason")
COUNTS_TABLE = "aggregates.discipline_counts"
RATE_COLUMNS = ("members_disciplined_per_1000", "expulsion_share", "corruption_share",
                "yoy_change", "yoy_change_share")


def check_public_file(path, k: int) -> list[str]:
    """Every way the public file could single out a person; empty when it cannot.

    Reads only the file: its tables and columns (no identifier, no row-level table), every
    count (none in 1..k-1, each hidden one with a reason code and each reason with a hidden
    value), the rates (none beside a hidden count), and the differencing attack on the
    relations its columns define."""
    import duckdb

    problems: list[str] = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        for schema, table, column in con.execute(
                "select schema_name, table_name, column_name from duckdb_columns() "
                "where database_name = current_database() order by all").fetchall():
            if column in IDENTIFIER_COLUMNS:
                problems.append(f"{schema}.{table}.{column} identifies a record or a person")
        for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database()").fetchall():
            if schema != "aggregates" or table.startswith(("fct_", "bridge_", "quarantine")):
                problems.append(f"{schema}.{table} is not a public aggregate table")
        cells = [Cell(*row) for row in con.execute(
            "select unit_code, parent_code, scope, period, breakdown, breakdown_value, "
            f"members_disciplined, suppression_reason from {COUNTS_TABLE}").fetchall()]
        for c in cells:
            if c.value is not None and 1 <= c.value < k:
                problems.append(f"{_name(c.key)}: count {c.value} is below {k}")
            if c.value is None and c.reason not in REASONS:
                problems.append(f"{_name(c.key)}: hidden without a reason code")
            if c.value is not None and c.reason is not None:
                problems.append(f"{_name(c.key)}: marked {c.reason} but shown")
        for row in con.execute(
                f"select unit_code, decision_year, {', '.join(RATE_COLUMNS)} "
                "from aggregates.discipline_rates where members_disciplined is null").fetchall():
            if any(v is not None for v in row[2:]):
                problems.append(f"{row[0]} {row[1]}: a rate or change is shown beside a "
                                "hidden count")
        for figure_id, value in con.execute(
                "select figure_id, computed_value from aggregates.published_figures "
                f"where computed_value between 1 and {k - 1}").fetchall():
            problems.append(f"published figure {figure_id}: computed value {value} below {k}")
    finally:
        con.close()
    problems += [item.describe() for item in attack(cells, k)]
    return problems


def _name(key: Key) -> str:
    unit, scope, period, breakdown, value = key
    return f"{unit} ({scope}) {period} {breakdown}={value}"
