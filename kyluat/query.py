"""Read-only SQL on the published file, for analysts and for the demo summary."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb


def connect_published(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise SystemExit(f"{path} does not exist yet: run `kyluat run` (or `make demo`) first")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:  # not a DuckDB file, truncated, or damaged
        raise SystemExit(f"{path} cannot be opened ({str(exc).splitlines()[0]}); the next "
                         "`kyluat run` publishes it again from the working warehouse") from None


def run_query(source: Path | duckdb.DuckDBPyConnection, query: str,
              output_format: str = "table") -> int:
    """Run `query` on a published file, or on a connection already open (the DuckLake
    catalog attached read-only), and close it."""
    con = connect_published(source) if isinstance(source, Path) else source
    try:
        relation = con.sql(query)
        if relation is None:
            return 0
        if output_format == "csv":
            writer = csv.writer(sys.stdout)
            writer.writerow(relation.columns)
            writer.writerows(relation.fetchall())
        else:
            relation.show(max_rows=10_000, max_width=240)
        return 0
    except duckdb.Error as exc:
        print(f"query failed: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
