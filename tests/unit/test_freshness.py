from datetime import datetime, timedelta

import duckdb

from kyluat.freshness import stale_kinds
from kyluat.ingest import ensure_schema


def _registry(path, received: dict[str, datetime]):
    con = duckdb.connect(str(path))
    ensure_schema(con)
    for i, (kind, at) in enumerate(received.items()):
        con.execute("insert into audit.file_registry (file_id, path, kind, registered_at, status)"
                    " values (?, ?, ?, ?, 'loaded')", [i, f"{kind}/f.csv", kind, at])
    con.close()


# Each kind's reporting cycle with its grace period, in days: monthly 31 + 14, quarterly
# 92 + 14, yearly 366 + 31.
CYCLES = {"member_disciplines": 45, "org_disciplines": 45, "activities": 45,
          "aggregate_reports": 106, "memberships": 397, "governance_indicators": 397}


def test_a_kind_older_than_its_cycle_is_stale(tmp_path):
    now = datetime(2026, 6, 30)
    received = {kind: now - timedelta(days=1) for kind in CYCLES}
    received["member_disciplines"] = now - timedelta(days=60)  # monthly kind, 60 days old
    _registry(tmp_path / "w.duckdb", received)
    stale = stale_kinds(tmp_path / "w.duckdb", now=now)
    assert [s.kind for s in stale] == ["member_disciplines"]
    assert "60 days ago" in stale[0].describe() and "cycle 45 days" in stale[0].describe()


def test_nothing_is_stale_when_every_kind_arrived_within_its_cycle(tmp_path):
    now = datetime(2026, 6, 30)
    _registry(tmp_path / "w.duckdb", {k: now - timedelta(days=d) for k, d in CYCLES.items()})
    assert stale_kinds(tmp_path / "w.duckdb", now=now) == []


def test_a_day_past_its_cycle_is_stale(tmp_path):
    now = datetime(2026, 6, 30)
    _registry(tmp_path / "w.duckdb", {k: now - timedelta(days=d + 1) for k, d in CYCLES.items()})
    assert {s.kind for s in stale_kinds(tmp_path / "w.duckdb", now=now)} == set(CYCLES)
