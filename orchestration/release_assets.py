"""The release job: freeze the published figures as a named release, on demand only (a
refresh run never makes one). It holds the warehouse's writer lock, so no publication
replaces the file while it is copied."""


from datetime import date

from dagster import Config, OpExecutionContext, job, op

from kyluat.releases import make_release
from orchestration.job import WRITER_LANE
from orchestration.resources import WarehouseResource

RELEASE_JOB_NAME = "release_published"


class ReleaseConfig(Config):
    name: str
    as_of: str | None = None  # YYYY-MM-DD, default today


@op(description="Copy analytics.duckdb into releases/<name>/ (DuckDB file with storage "
                "version v1.0.0, Parquet, dictionary, metadata, diff, checksums), read-only")
def freeze_release(context: OpExecutionContext, config: ReleaseConfig,
                   warehouse: WarehouseResource) -> str:
    release = make_release(warehouse.settings(), config.name,
                           date.fromisoformat(config.as_of) if config.as_of else None)
    context.log.info(f"release {release.name} in {release.path}")
    return str(release.path)


@job(name=RELEASE_JOB_NAME, tags=WRITER_LANE,
     description="Freeze the published figures as a named, citable release; run config "
                 "ops.freeze_release.config.name")
def release_published():
    freeze_release()
