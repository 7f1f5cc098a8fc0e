"""The short report printed after a run: files, rows, checks and the headline figures."""

from __future__ import annotations

from data_quality.runner import data_docs_index
from kyluat.config import Settings
from kyluat.query import connect_published
from orchestration.pipeline import RunOutcome


def print_run_summary(outcome: RunOutcome, settings: Settings) -> None:
    passed = sum(c.passed for c in outcome.checks)
    print(f"run {outcome.run_id}")
    print(f"checks: {passed} of {len(outcome.checks)} passed")
    for check in outcome.failed_checks:
        kind = "BLOCKING" if check.blocking else "warning"
        if check.failed_rows is None:  # a Great Expectations suite
            print(f"  {kind} {check.asset} {check.name}: {check.description}")
            continue
        print(f"  {kind} {check.asset} dbt test {check.name}: {check.failed_rows} failing rows")
        for line in check.failing_rows:
            print(f"      {line}")
    for failure in outcome.step_failures:
        print(f"  FAILED step {failure}")
    docs = data_docs_index(settings.quality_dir)
    if docs.exists():
        print(f"data docs: {docs}")
    if outcome.nothing_to_do:
        print(f"nothing new since the last publication: {settings.published_db} unchanged")
        return
    if not outcome.published:
        print(f"NOT PUBLISHED: {settings.published_db} was left as it was")
        return
    print(f"published: {settings.published_db}")
    con = connect_published(settings.published_db)
    try:
        files, rows, loaded, quarantined = con.execute("""
            select count(*), sum(row_count), sum(accepted_count), sum(rejected_count)
            from audit.file_registry
        """).fetchone()
        print(f"files read: {files}; rows: {rows or 0} ({loaded or 0} loaded, "
              f"{quarantined or 0} in quarantine)")
        print("published figures against the records:")
        for row in con.execute("""
            select figure_id, published_value, computed_value, status
            from marts.rpt_published_reconciliation
            where figure_origin = 'published' order by figure_id
        """).fetchall():
            print(f"  {row[0]:<20} published {row[1]:>6}  computed "
                  f"{'-' if row[2] is None else row[2]:>6}  {row[3]}")
    finally:
        con.close()
