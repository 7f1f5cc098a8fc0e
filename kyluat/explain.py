"""Show what a failed dbt test found: its failing rows are kept by dbt (store_failures) in
schema test_failures of the working file, under the alias the manifest gives the test."""

from __future__ import annotations

import json

import duckdb

from kyluat.config import DBT_PROJECT_DIR, Settings

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def _failures_relation(test_name: str) -> str | None:
    if not MANIFEST.exists():
        return None
    nodes = json.loads(MANIFEST.read_text(encoding="utf-8"))["nodes"].values()
    for node in nodes:
        if node["resource_type"] == "test" and node["name"] == test_name:
            return f"test_failures.{node.get('alias') or node['name']}"
    return None


def dbt_failure_sample(settings: Settings, test_name: str, limit: int = 5) -> list[str]:
    """Up to `limit` failing rows of a dbt test, as `column=value` lines (keys only, never
    personal data: tests select keys and codes)."""
    relation = _failures_relation(test_name)
    if relation is None or not settings.working_db.exists():
        return []
    con = duckdb.connect(str(settings.working_db), read_only=True)
    try:
        cursor = con.execute(f"select * from {relation} limit {int(limit)}")
        columns = [d[0] for d in cursor.description]
        return [", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True))
                for row in cursor.fetchall()]
    except duckdb.Error:
        return []
    finally:
        con.close()
