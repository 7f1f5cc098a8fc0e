"""The jobs. `refresh_warehouse` does everything up to the published national file, in one
process, one step after another (DuckDB allows one writer); schedules, the landing sensor and
`kyluat run` start it. `draw_published_files` then draws the files made from the published
file alone (the report, the province files, the public file): it reads analytics.duckdb, needs
no writer lock, and so never holds up the next refresh. The sensor
`published_files_after_refresh` starts it after each successful refresh, `kyluat run` right
after its refresh."""

from dagster import AssetSelection, define_asset_job

JOB_NAME = "refresh_warehouse"
DRAW_JOB_NAME = "draw_published_files"
# the run queue's lanes (dagster.yaml): one writer at a time, one drawing run beside it
LANE_TAG = "kyluat/lane"
WRITER_LANE, DRAW_LANE = {LANE_TAG: "writer"}, {LANE_TAG: "draw"}

# assets drawn from analytics.duckdb only (orchestration/report_assets.py, tier_assets.py)
DRAWN_FROM_PUBLISHED = AssetSelection.assets(
    ["published", "report"], ["published", "provinces"], ["published", "public_candidate"],
    ["published", "public"])

refresh_warehouse = define_asset_job(
    JOB_NAME, selection=AssetSelection.all() - DRAWN_FROM_PUBLISHED, tags=WRITER_LANE,
    description="Ingest new files, build and check every model, publish analytics.duckdb; "
                "tag kyluat/years=FIRST:LAST also rebuilds those reporting years (a backfill), "
                "kyluat/full_refresh=true rebuilds everything",
)

draw_published_files = define_asset_job(
    DRAW_JOB_NAME, selection=DRAWN_FROM_PUBLISHED, tags=DRAW_LANE,
    description="Draw the report, the province files and the public file (with its blocking "
                "disclosure check) from analytics.duckdb; each is skipped when already drawn "
                "from the file published now",
)
