"""dbt models and seeds as Dagster assets; dbt tests become (blocking) asset checks.

Two steps, in this order: the models every year shares, then the year-partitioned facts and
marts (partitioned by reporting year) with what depends on them."""


import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from kyluat import periods
from kyluat.config import DBT_PROJECT_DIR
from kyluat.locking import connect
from orchestration.partitions import FULL_REFRESH_TAG, REPORTING_YEARS, requested_years
from orchestration.resources import WarehouseResource

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def manifest_path() -> Path:
    if not MANIFEST.exists():
        raise FileNotFoundError(
            f"{MANIFEST} is missing: the dbt manifest is prepared at setup time. "
            "Run `make setup` (or `dbt parse` in dbt_project/).")
    return MANIFEST


class LayeredTranslator(DagsterDbtTranslator):
    """Asset keys and groups follow the layer: staging/..., intermediate/..., marts/...,
    reference/... for seeds; sources keep the keys of the ingestion assets (meta)."""

    def _layer(self, props: Mapping[str, Any]) -> str:
        if props["resource_type"] == "seed":
            return "reference"
        return props["fqn"][1] if len(props["fqn"]) > 2 else "models"

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props)


BY_YEAR = "tag:by_year+"
"""The year-partitioned models and everything downstream of them (built after them)."""


KEPT_TARGETS = 20
"""Each dbt call writes a target folder of its own (compiled SQL, run_results.json, about
5 MB): the latest ones per step are kept, so scheduled runs do not fill the disk."""


def _build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
           **environment: str):
    args = ["build"]
    if context.run.tags.get(FULL_REFRESH_TAG) == "true":
        args.append("--full-refresh")
    with warehouse.dbt_environment(**environment):
        invocation = dbt.cli(args, context=context)
        yield from invocation.stream()
    keep_parse_state(invocation.target_path)
    prune_targets(invocation.target_path.parent, f"{context.op_def.name}-", KEPT_TARGETS)


def keep_parse_state(target_path: Path) -> None:
    """dagster-dbt starts each call from target/partial_parse.msgpack. The one `make setup`
    wrote names another warehouse (dbt then parses the whole project again, seconds per call):
    keep the latest call's instead, written aside and renamed so a reader never sees half."""
    latest = target_path / "partial_parse.msgpack"
    if latest.exists():
        shared = target_path.parent / latest.name
        aside = shared.with_name(f".{latest.name}.{os.getpid()}")
        shutil.copyfile(latest, aside)
        os.replace(aside, shared)


def prune_targets(target_dir: Path, prefix: str, keep: int) -> None:
    """Remove all but the `keep` newest folders named `prefix*` in `target_dir`."""
    folders = sorted((path for path in target_dir.glob(f"{prefix}*") if path.is_dir()),
                     key=lambda path: path.stat().st_mtime, reverse=True)
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)


@dbt_assets(manifest=manifest_path(), dagster_dbt_translator=LayeredTranslator(),
            exclude=BY_YEAR)
def dbt_reference_models(context: AssetExecutionContext, dbt: DbtCliResource,
                         warehouse: WarehouseResource):
    """`dbt build` of what every year shares: seeds, staging views, the unit tree, dimensions,
    membership denominators, governance."""
    yield from _build(context, dbt, warehouse)


@dbt_assets(manifest=manifest_path(), dagster_dbt_translator=LayeredTranslator(),
            select=BY_YEAR, partitions_def=REPORTING_YEARS,
            backfill_policy=BackfillPolicy.single_run())
def dbt_period_models(context: AssetExecutionContext, dbt: DbtCliResource,
                      warehouse: WarehouseResource):
    """`dbt build` of the year-partitioned facts and marts, for the years this run touches:
    the range of a backfill (in this one step) and the years of rows loaded since the last
    publication (orchestration/partitions.py, kyluat/periods.py). Reports downstream of them
    that have no year (reconciliation, party terms, the decision-category bridge) are
    recomputed whole."""
    con = connect(warehouse.settings().working_db)
    try:
        pending = periods.pending_years(con)
    finally:
        con.close()  # dbt opens the file next, in its own process
    years = periods.years_to_rebuild(pending, requested_years(context))
    context.log.info("rebuilding reporting years: " + (
        "all" if years is None else ", ".join(map(str, years)) or "none"))
    yield from _build(context, dbt, warehouse, KYLUAT_REBUILD_YEARS="all" if years is None
                      else ",".join(map(str, years)))


DBT_ASSETS = [dbt_reference_models, dbt_period_models]
MART_KEYS = [key for assets in DBT_ASSETS for key in assets.keys if key.path[0] == "marts"]
