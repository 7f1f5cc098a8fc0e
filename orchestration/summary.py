"""The short report printed after a run, about that run: its new files and where their rows
went, the years it rebuilt, its checks, whether it published, and the headline figures."""

from __future__ import annotations

from collections.abc import Callable

from data_quality.runner import data_docs_index
from kyluat.config import Settings
from kyluat.lake import publications
from kyluat.locking import connect
from kyluat.query import connect_published
from kyluat.suspicious import file_notes
from orchestration.pipeline import RunOutcome

SHOWN_CHANGES = 5


def print_run_summary(outcome: RunOutcome, settings: Settings,
                      emit: Callable[[str], None] = print) -> None:
    passed = sum(c.passed for c in outcome.checks)
    carried = sum(c.carried for c in outcome.checks)
    emit(f"run {outcome.run_id}")
    if settings.working_db.exists():
        print_files_of_run(settings, outcome.run_id, emit)
    if outcome.rebuilt_years is not None:
        emit(f"reporting years rebuilt: {outcome.rebuilt_years.replace(',', ', ')}")
    emit(f"checks: {passed} of {len(outcome.checks)} passed, "
         f"{len(outcome.checks) - passed} failed"
         + (f" ({carried} not run again: their tables are unchanged, their last result "
            "holds)" if carried else ""))
    for check in outcome.failed_checks:
        kind = "BLOCKING" if check.blocking else "warning"
        if check.failed_rows is None:  # a Great Expectations suite
            emit(f"  {kind} {check.asset} {check.name}: {check.description}")
            continue
        emit(f"  {kind} {check.asset} dbt test {check.name}: {check.failed_rows} failing rows")
        for line in check.failing_rows:
            emit(f"      {line}")
    for failure in outcome.step_failures:
        emit(f"  FAILED step {failure}")
    docs = data_docs_index(settings.quality_dir)
    if docs.exists():
        emit(f"data docs: {docs}")
    if outcome.nothing_to_do:
        emit(f"nothing new since the last publication: {settings.published_db} unchanged")
        return
    if not outcome.published:
        emit(f"NOT PUBLISHED: {settings.published_db} was left as it was")
        return
    emit(f"published: {settings.published_db} replaced by this run's build")
    if settings.lake is not None:
        snapshots = [snapshot for snapshot, _, message in publications(settings.lake)
                     if message.endswith(f"run {outcome.run_id}")]
        emit(f"published: the DuckLake catalog, snapshot {snapshots[-1]}" if snapshots else
             "published: the DuckLake catalog already held this build's tables")
    con = connect_published(settings.published_db)
    try:
        emit("published figures against the records:")
        for row in con.execute("""
            select figure_id, published_value, computed_value, status
            from marts.rpt_published_reconciliation
            where figure_origin = 'published' order by figure_id
        """).fetchall():
            emit(f"  {row[0]:<20} published {row[1]:>6}  computed "
                 f"{'-' if row[2] is None else row[2]:>6}  {row[3]}")
    finally:
        con.close()
    for what, name in (("report", "index.html"), ("quality checks", "quality.html")):
        if (settings.report_dir / name).exists():
            emit(f"{what}: {settings.report_dir / name}")


def print_files_of_run(settings: Settings, run_id: str,
                       emit: Callable[[str], None] = print) -> None:
    """The files this run registered, their rows, and the first reason of each file that did
    not load whole."""
    con = connect(settings.working_db, read_only=True)
    try:
        files = con.execute("""
            select path, kind, status, row_count, accepted_count, rejected_count, first_error
            from audit.file_registry where run_id = ? order by path""", [run_id]).fetchall()
        changes = con.execute("""
            select unit_code, previous_primary, new_primary
            from audit.primary_successor_changes where run_id = ? order by unit_code
        """, [run_id]).fetchall()
    finally:
        con.close()
    rows = sum(f[3] or 0 for f in files)
    loaded = sum(f[4] or 0 for f in files)
    emit(f"new files: {len(files)}; rows: {rows} ({loaded} loaded, {rows - loaded} in "
          "quarantine)")
    for path, kind, status, row_count, _, rejected, first_error in files:
        if status != "loaded":
            what = "rejected" if status == "rejected" else f"{rejected} rows in quarantine"
            emit(f"  {path}: {what}; {first_error}")
        if (status != "loaded" or row_count == 0) and kind is not None:
            for note in file_notes(settings.landing_dir / path, kind):
                emit(f"  {path}: note: {note}")
    if any(status != "loaded" for _, _, status, *_ in files):
        emit("  the submitted values and full reasons: kyluat quarantine-report")
    if changes:
        shown = ", ".join(f"{unit} {before} -> {after or 'no successor'}"
                          for unit, before, after in changes[:SHOWN_CHANGES])
        more = f" and {len(changes) - SHOWN_CHANGES} more" if len(changes) > SHOWN_CHANGES else ""
        emit(f"primary successor changed for {len(changes)} unit(s): {shown}{more}; their "
              "history on today's structure moves with it (audit.primary_successor_changes)")
