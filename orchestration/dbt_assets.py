"""dbt models and seeds as Dagster assets; dbt tests become (blocking) asset checks.

One step, one `dbt build` in this process (orchestration/dbt_runner.py): seeds, staging,
intermediate models and marts, with the year-partitioned models rebuilding only the years
of this run (orchestration/partitions.py)."""


from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
)
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets

from kyluat import periods
from kyluat.check_results import record_check_results
from kyluat.config import DBT_PROJECT_DIR
from orchestration.dbt_runner import BuildResult, NodeResult, dbt_build, write_results
from orchestration.partitions import (
    FULL_REFRESH_TAG,
    REBUILT_YEARS_TAG,
    describe_years,
    years_this_run,
)
from orchestration.resources import WarehouseResource

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR)

UNIQUE_ID = "dagster_dbt/unique_id"
"""Metadata key under which dagster-dbt keeps each asset's and check's dbt node."""

KEPT_RESULTS = 20
"""Node results of the latest dbt builds kept in the warehouse's logs folder."""


def manifest_path():
    if not DBT_PROJECT.manifest_path.exists():
        raise FileNotFoundError(
            f"{DBT_PROJECT.manifest_path} is missing: the dbt manifest is prepared at setup "
            "time. Run `make setup` (or `dbt parse` in dbt_project/).")
    return DBT_PROJECT.manifest_path


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


def _selection(context: AssetExecutionContext) -> list[str] | None:
    """dbt node names of the selected assets, or None when the whole project is selected."""
    specs = {spec.key: spec for spec in context.assets_def.specs}
    if set(context.selected_asset_keys) >= set(specs):
        return None
    return [specs[key].metadata[UNIQUE_ID].split(".")[-1]
            for key in sorted(context.selected_asset_keys, key=str)]


def failing_rows(con, sql: str, limit: int = 5) -> list[str]:
    """Up to `limit` rows a failed test found, as `column=value` lines (tests select keys and
    codes, never personal data)."""
    cursor = con.execute(f"select * from ({sql}) as failing limit {int(limit)}")
    columns = [d[0] for d in cursor.description]
    return [", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True))
            for row in cursor.fetchall()]


def _samples(warehouse: WarehouseResource, build: BuildResult) -> dict[str, list[str]]:
    failed = [n for n in build.nodes if n.failing_rows_sql]
    if not failed:
        return {}
    con = warehouse.connect(read_only=True)
    try:
        return {n.unique_id: failing_rows(con, n.failing_rows_sql) for n in failed}
    finally:
        con.close()


def _events(context: AssetExecutionContext, build: BuildResult, years: str,
            samples: dict[str, list[str]]) -> Iterator:
    """A materialization per model or seed built, a check result per test that ran."""
    assets = {spec.metadata[UNIQUE_ID]: spec.key for spec in context.assets_def.specs}
    checks = {spec.metadata[UNIQUE_ID]: spec for spec in context.assets_def.check_specs}
    selected_checks = set(context.selected_asset_check_keys)
    for node in build.nodes:
        if node.unique_id in assets and node.status == "success":
            yield MaterializeResult(asset_key=assets[node.unique_id], metadata={
                "dbt_seconds": round(node.seconds, 3), "rebuilt_years": years})
        elif node.unique_id in checks and node.status in ("pass", "fail", "warn", "error"):
            spec = checks[node.unique_id]
            if AssetCheckKey(spec.asset_key, spec.name) not in selected_checks:
                continue
            yield AssetCheckResult(
                asset_key=spec.asset_key, check_name=spec.name,
                passed=node.status in ("pass", "warn"),
                severity=AssetCheckSeverity.ERROR if spec.blocking else AssetCheckSeverity.WARN,
                description=_test_description(node),
                metadata={"dbt_seconds": round(node.seconds, 3),
                          "failing_rows": samples.get(node.unique_id, []), **(
                    {} if node.status == "error" else {"failed_row_count": node.failures or 0})})


def _test_description(node: NodeResult) -> str:
    if node.status == "pass":
        return "dbt test passed"
    if node.status == "error":
        return f"dbt test could not run: {(node.message or '').strip().splitlines()[0]}"
    return f"dbt test: {node.failures} failing rows"


def _check_rows(context: AssetExecutionContext, build: BuildResult) -> list[tuple]:
    checks = {spec.metadata[UNIQUE_ID]: spec for spec in context.assets_def.check_specs}
    return [(context.run.run_id, checks[n.unique_id].name,
             checks[n.unique_id].asset_key.to_user_string(), n.status in ("pass", "warn"),
             checks[n.unique_id].blocking, _test_description(n))
            for n in build.nodes if n.unique_id in checks and n.status != "skipped"]


@dbt_assets(manifest=manifest_path(), dagster_dbt_translator=LayeredTranslator(),
            project=DBT_PROJECT)
def dbt_models(context: AssetExecutionContext, warehouse: WarehouseResource):
    """`dbt build` of every model, seed and test; the year-partitioned facts and marts
    rebuild the years of this run: those rows loaded since the last publication touch, and
    a backfill's range."""
    settings = warehouse.settings()
    con = warehouse.connect()
    try:
        years = years_this_run(con, context.run.tags)
        periods.record_build(con, context.run.run_id, years)  # before: a failed build counts
    finally:
        con.close()  # dbt opens the file next
    described = describe_years(years)
    context.log.info(f"rebuilding reporting years: {described}")
    context.instance.add_run_tags(context.run.run_id, {REBUILT_YEARS_TAG: described})
    build = dbt_build(settings.warehouse_dir, years, select=_selection(context),
                      full_refresh=context.run.tags.get(FULL_REFRESH_TAG) == "true")
    write_results(build, settings.warehouse_dir / "logs" / "dbt" / f"{context.run.run_id}.json")
    prune_results(settings.warehouse_dir / "logs" / "dbt", KEPT_RESULTS)
    record_check_results(settings.working_db, _check_rows(context, build))
    yield from _events(context, build, described, _samples(warehouse, build))
    if build.errors:
        first = build.errors[0]
        raise Failure(
            description=f"dbt could not build {len(build.errors)} node(s); first: "
                        f"{first.unique_id}: {(first.message or '').strip().splitlines()[0]}",
            metadata={"errors": [f"{n.unique_id}: {n.message}" for n in build.errors]})


def prune_results(folder, keep: int) -> None:
    """Remove all but the `keep` newest result files in `folder`."""
    files = sorted(folder.glob("*.json"), key=lambda path: path.stat().st_mtime, reverse=True)
    for path in files[keep:]:
        path.unlink(missing_ok=True)


DBT_ASSETS = [dbt_models]
MART_KEYS = [key for key in dbt_models.keys if key.path[0] == "marts"]
