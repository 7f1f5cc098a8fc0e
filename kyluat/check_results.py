"""audit.check_results: every check a run on this warehouse evaluated, one row per check and
run, written by the step that evaluated it (never read back from a shared Dagster instance,
which may hold the runs of other warehouses). Published with the audit schema."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kyluat.locking import connect
from kyluat.rows import create_table


def record_check_results(working_db: Path, rows: Sequence[tuple]) -> None:
    """Add (run_id, check, asset, passed, blocking, details) rows, evaluated now; a check
    recorded for the run already is replaced (a re-executed step)."""
    from kyluat.ingest import ensure_schema

    if not rows:
        return
    con = connect(working_db)
    try:
        ensure_schema(con)
        con.execute("begin transaction")
        create_table(con, "incoming", [("run_id", "varchar"), ("check_name", "varchar"),
                                       ("asset", "varchar"), ("passed", "boolean"),
                                       ("blocking", "boolean"), ("details", "varchar")],
                     list(rows), temporary=True)
        con.execute("""
            delete from audit.check_results r using incoming i
            where r.run_id = i.run_id and r.check_name = i.check_name and r.asset = i.asset
        """)
        con.execute("insert into audit.check_results select *, now() from incoming")
        con.execute("commit")
    finally:
        con.close()


def last_results(working_db: Path, checks: Sequence[tuple[str, str]]
                 ) -> dict[tuple[str, str], tuple[bool, bool, str]]:
    """(check, asset) -> (passed, blocking, details) of the latest evaluation of each check."""
    if not checks:
        return {}
    con = connect(working_db, read_only=True)
    try:
        create_table(con, "wanted", [("check_name", "varchar"), ("asset", "varchar")],
                     list(checks), temporary=True)
        rows = con.execute("""
            select r.check_name, r.asset, r.passed, r.blocking, r.details
            from audit.check_results r join wanted using (check_name, asset)
            qualify row_number() over (partition by r.check_name, r.asset
                                       order by r.evaluated_at desc) = 1
        """).fetchall()
    finally:
        con.close()
    return {(name, asset): (passed, blocking, details)
            for name, asset, passed, blocking, details in rows}
