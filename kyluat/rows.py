"""Rows built in Python into a DuckDB table in one statement.

`executemany` binds and runs its statement once per row, about 1 ms a row: 8 s for the 6,000
counts of the national public file, half a second of every ingestion for the vocabularies.
A data frame of nullable columns is read by DuckDB in one scan instead."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

# how each DuckDB type travels in the frame: a nullable pandas type (a date as its ISO text)
_FRAME_DTYPES = {"varchar": "string", "date": "string", "integer": "Int64", "int": "Int64",
                 "bigint": "Int64", "double": "Float64", "boolean": "boolean"}


def create_table(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[tuple[str, str]],
                 rows: Sequence[tuple], temporary: bool = False) -> None:
    """Create (or replace) `table` with `columns`, (name, DuckDB type), holding `rows`."""
    definition = ", ".join(f"{name} {kind}" for name, kind in columns)
    con.execute(f"create or replace {'temp ' if temporary else ''}table {table} ({definition})")
    insert_rows(con, table, columns, rows)


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[tuple[str, str]],
                rows: Sequence[tuple]) -> None:
    """Append `rows` to `table`, whose columns are `columns` in order."""
    if not rows:
        return
    import pandas  # DuckDB reads its frames; imported only when rows come

    values = list(zip(*rows, strict=True))
    frame = pandas.DataFrame({
        name: pandas.array([None if v is None else str(v) for v in values[i]]
                           if kind == "date" else list(values[i]), dtype=_FRAME_DTYPES[kind])
        for i, (name, kind) in enumerate(columns)})
    con.register("rows_to_insert", frame)
    try:
        con.execute(f"insert into {table} select "
                    + ", ".join(f"cast({name} as {kind})" for name, kind in columns)
                    + " from rows_to_insert")
    finally:
        con.unregister("rows_to_insert")
