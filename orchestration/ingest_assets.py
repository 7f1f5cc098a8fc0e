"""Ingestion: landing files -> raw tables, file registry and quarantine (one transaction).

A run with nothing to do (kyluat/changes.py) loads nothing and materializes only the file
registry: every step after it is skipped, the published file stays as it is, and the
freshness warning still runs."""


from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from kyluat.changes import published_problem, set_aside_unreadable, what_changed
from kyluat.contract import KINDS
from kyluat.ingest import run_ingest
from kyluat.publish import capture_published_row_counts
from orchestration.partitions import describe_request
from orchestration.resources import WarehouseResource

RAW_KEYS = {kind: AssetKey(["raw", kind]) for kind in KINDS}
AUDIT_KEYS = [AssetKey(["audit", "file_registry"]), AssetKey(["audit", "quarantine"])]
PUBLISHED_ROW_COUNTS = AssetKey(["audit", "published_row_counts"])
NOTHING_TO_DO = "nothing_to_do"
"""Metadata of the file registry's materialization when the run had nothing to do."""


@multi_asset(
    specs=[AssetSpec(key, group_name="ingest", description=KINDS[kind].description,
                     skippable=True)
           for kind, key in RAW_KEYS.items()]
    + [AssetSpec(AUDIT_KEYS[0], group_name="ingest",
                 description="Every file read: path, size, sha256, kind, counts, first error"),
       AssetSpec(AUDIT_KEYS[1], group_name="ingest", skippable=True,
                 description="Rows (and whole files) that failed the contract, with reasons"),
       AssetSpec(PUBLISHED_ROW_COUNTS, group_name="ingest", skippable=True,
                 description="Row counts of the file analysts read now, taken before loading: "
                             "dbt's assert_no_row_count_drop compares the new build with them")],
    can_subset=False,
)
def submitted_files(context: AssetExecutionContext, warehouse: WarehouseResource):
    """Read every new file of the landing directory; re-check quarantined rows."""
    settings = warehouse.settings()
    changes = what_changed(settings, describe_request(context.run.tags))
    context.log.info(f"work for this run: {changes.describe()}")
    if not changes.any:
        yield MaterializeResult(asset_key=AUDIT_KEYS[0],
                                metadata={"files_new": 0, NOTHING_TO_DO: True})
        return
    if (problem := published_problem(settings.published_db)) is not None:
        aside = set_aside_unreadable(settings.published_db)
        context.log.warning(f"the published file {settings.published_db} cannot be read "
                            f"({problem}); it was moved aside to {aside.name} and this run "
                            "publishes a new one from the working warehouse, which it leaves "
                            "whole")
    published_counts = capture_published_row_counts(settings)
    summary = run_ingest(settings, run_id=context.run.run_id)
    context.log.info(f"{summary.files_new} new files, {summary.rows_accepted} rows loaded, "
                     f"{summary.rows_quarantined} quarantined, {summary.rows_resolved} "
                     "released from quarantine")
    for kind, key in RAW_KEYS.items():
        counts = summary.kinds.get(kind)
        yield MaterializeResult(asset_key=key, metadata={
            "new_files": counts.files if counts else 0,
            "rows_loaded": counts.accepted if counts else 0,
            "rows_quarantined": counts.quarantined if counts else 0,
            "rows_released_from_quarantine": counts.resolved if counts else 0,
        })
    yield MaterializeResult(asset_key=AUDIT_KEYS[0], metadata={
        "files_seen": summary.files_seen, "files_new": summary.files_new,
        "files_rejected": summary.files_rejected})
    yield MaterializeResult(asset_key=PUBLISHED_ROW_COUNTS,
                            metadata={"published_tables": len(published_counts)})
    yield MaterializeResult(asset_key=AUDIT_KEYS[1], metadata={
        "rows_quarantined": summary.rows_quarantined,
        "rows_released": summary.rows_resolved})
