"""Stale submissions: a kind whose newest file is older than its reporting cycle.

A warning, never a block: a quiet month is possible, but a data engineer should look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kyluat.locking import connect

# Days between two files of a kind, with a grace period: monthly kinds 31 + 14,
# quarterly reports 92 + 14, yearly kinds 366 + 31. org_units changes only when units do.
REPORTING_CYCLE_DAYS = {
    "member_disciplines": 45,
    "org_disciplines": 45,
    "activities": 45,
    "aggregate_reports": 106,
    "memberships": 397,
    "governance_indicators": 397,
}


@dataclass(frozen=True)
class StaleKind:
    kind: str
    newest_file_at: datetime | None
    age_days: int | None
    cycle_days: int

    def describe(self) -> str:
        if self.newest_file_at is None:
            return f"{self.kind}: no file received yet (cycle {self.cycle_days} days)"
        return (f"{self.kind}: newest file received {self.age_days} days ago "
                f"({self.newest_file_at:%Y-%m-%d}), cycle {self.cycle_days} days")


def stale_kinds(working_db: Path, now: datetime | None = None) -> list[StaleKind]:
    now = now or datetime.now()
    con = connect(working_db, read_only=True)
    try:
        newest = dict(con.execute("""
            select kind, max(registered_at) from audit.file_registry
            where status <> 'rejected' group by kind
        """).fetchall())
    finally:
        con.close()
    stale = []
    for kind, cycle in REPORTING_CYCLE_DAYS.items():
        received = newest.get(kind)
        age = (now - received).days if received else None
        if received is None or age > cycle:
            stale.append(StaleKind(kind, received, age, cycle))
    return stale
