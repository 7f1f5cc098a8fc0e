from datetime import datetime, timedelta

import duckdb

from kyluat.freshness import REPORTING_CYCLE_DAYS, stale_kinds
from kyluat.ingest import ensure_schema


def _registry(path, received: dict[str, datetime]):
    con = duckdb.connect(str(path))
    ensure_schema(con)
    for i, (kind, at) in enumerate(received.items()):
        con.execute("insert into audit.file_registry (file_id, path, kind, registered_at, status)"
                    " values (?, ?, ?, ?, 'loaded')", [i, f"{kind}/f.csv", kind, at])
    con.close()


def test_a_kind_older_than_its_cycle_is_stale(tmp_path):
    now = datetime(2026, 6, 30)
    received = {kind: now - timedelta(days=1) for kind in REPORTING_CYCLE_DAYS}
    received["member_disciplines"] = now - timedelta(days=60)  # monthly kind, 60 days old
    _registry(tmp_path / "w.duckdb", received)
    stale = stale_kinds(tmp_path / "w.duckdb", now=now)
    assert [s.kind for s in stale] == ["member_disciplines"]
    assert "60 days ago" in stale[0].describe() and "cycle 45 days" in stale[0].describe()


def test_nothing_is_stale_when_every_kind_arrived_within_its_cycle(tmp_path):
    now = datetime(2026, 6, 30)
    _registry(tmp_path / "w.duckdb", {k: now - timedelta(days=d - 1)
                                      for k, d in REPORTING_CYCLE_DAYS.items()})
    assert stale_kinds(tmp_path / "w.duckdb", now=now) == []
