"""dbt models and seeds as Dagster assets; dbt tests become (blocking) asset checks.

The assets and checks are dagster-dbt's translation of the manifest, kept beside it
(orchestration/dbt_specs.py). One step, one `dbt build` in the run's dbt worker process
(orchestration/dbt_runner.py) of what this run has to rebuild: the models that read a kind
with rows not yet published (every model and seed after a change to the project, for a
backfill or a full refresh), with the year-partitioned models rebuilding only the years of
this run (orchestration/partitions.py). A model left alone is reported unchanged, and its
tests' last results stand."""


import functools
import graphlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    multi_asset,
)

from kyluat import periods, publish
from kyluat.check_results import last_results, record_check_results
from kyluat.config import DBT_MANIFEST
from orchestration import dbt_specs
from orchestration.dbt_runner import (
    BuildResult,
    NodeResult,
    dbt_build,
    write_results,
)
from orchestration.partitions import (
    FULL_REFRESH_TAG,
    REBUILT_YEARS_TAG,
    UNCHANGED,
    describe_years,
    kinds_this_run,
    requested_years,
    years_this_run,
)
from orchestration.resources import WarehouseResource

UNIQUE_ID = "dagster_dbt/unique_id"
"""Metadata key under which dagster-dbt keeps each asset's and check's dbt node."""

KEPT_RESULTS = 20
"""Node results of the latest dbt builds kept in the warehouse's logs folder."""


def _selection(context: AssetExecutionContext) -> list[str] | None:
    """dbt node names of the selected assets, or None when the whole project is selected."""
    specs = {spec.key: spec for spec in context.assets_def.specs}
    if set(context.selected_asset_keys) >= set(specs):
        return None
    return [specs[key].metadata[UNIQUE_ID].split(".")[-1]
            for key in sorted(context.selected_asset_keys, key=str)]


@functools.cache
def _manifest() -> Mapping[str, Any]:
    return json.loads(DBT_MANIFEST.read_text("utf-8"))


def downstream_of(manifest: Mapping[str, Any], kinds: list[str]) -> set[str]:
    """Names of the models and seeds that read the raw tables of `kinds`, directly or not."""
    children, found = manifest["child_map"], set()
    todo = [f"source.{manifest['metadata']['project_name']}.raw.{kind}" for kind in kinds]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return {node.split(".")[-1] for node in found if node.split(".")[0] in ("model", "seed")}


def views(manifest: Mapping[str, Any]) -> set[str]:
    """Names of the models materialized as views."""
    return {node["name"] for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["config"]["materialized"] == "view"}


def build_order(manifest: Mapping[str, Any]) -> list[str]:
    """Unique ids of every model and seed, each after the ones it reads."""
    built = {n for n in manifest["nodes"] if n.split(".")[0] in ("model", "seed")}
    graph = {n: [p for p in manifest["parent_map"].get(n, []) if p in built] for n in built}
    return list(graphlib.TopologicalSorter(graph).static_order())


def _models_this_run(context: AssetExecutionContext, con) -> list[str] | None:
    """dbt names of the models and seeds this run builds; None: the whole project."""
    asked = _selection(context)
    kinds = kinds_this_run(con, context.run.tags)
    if kinds is None:
        return asked
    pending = downstream_of(_manifest(), kinds)
    if asked is None:
        # a view holds its query, not rows: with the project as last published, it is as it
        # was (rebuilt when asked for by name)
        return sorted(pending - views(_manifest()))
    return sorted(pending & set(asked))


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


def _events(context: AssetExecutionContext, build: BuildResult, models: list[str] | None,
            years: str, samples: dict[str, list[str]]) -> Iterator:
    """A materialization per model or seed built, and per selected one left alone (marked
    unchanged), in build order; a check result per test that ran."""
    assets = {spec.metadata[UNIQUE_ID]: spec.key for spec in context.assets_def.specs}
    checks = {spec.metadata[UNIQUE_ID]: spec for spec in context.assets_def.check_specs}
    selected_checks = set(context.selected_asset_check_keys)
    built = {n.unique_id: n for n in build.nodes}
    for unique_id in build_order(_manifest()):
        key = assets.get(unique_id)
        if key is None or key not in context.selected_asset_keys:
            continue
        node = built.get(unique_id)
        if node is not None and node.status == "success":
            yield MaterializeResult(asset_key=key, metadata={
                "dbt_seconds": round(node.seconds, 3), "rebuilt_years": years})
        elif node is None and models is not None and unique_id.split(".")[-1] not in models:
            yield MaterializeResult(asset_key=key, metadata={UNCHANGED: True})
    for node in build.nodes:
        if node.unique_id in checks and node.status in ("pass", "fail", "warn", "error"):
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


def _carried_over(context: AssetExecutionContext, build: BuildResult,
                  settings) -> list[tuple]:
    """Results of the selected tests that did not run (their models are unchanged): each
    test's last result on this warehouse, recorded again for this run."""
    ran = {n.unique_id for n in build.nodes}  # skipped after an error: no result at all
    missing = [spec for spec in context.assets_def.check_specs
               if spec.metadata[UNIQUE_ID] not in ran
               and AssetCheckKey(spec.asset_key, spec.name) in context.selected_asset_check_keys]
    last = last_results(settings.working_db, [(s.name, s.asset_key.to_user_string())
                                              for s in missing])
    return [(context.run.run_id, spec.name, spec.asset_key.to_user_string(),
             *last.get((spec.name, spec.asset_key.to_user_string()),
                       (False, spec.blocking, "no earlier result on this warehouse: "
                        "run `kyluat run --full-refresh`")))
            for spec in missing]


def _carried_events(rows: list[tuple], context: AssetExecutionContext) -> Iterator:
    specs = {(s.name, s.asset_key.to_user_string()): s for s in context.assets_def.check_specs}
    for _, name, asset, passed, blocking, details in rows:
        spec = specs[(name, asset)]
        yield AssetCheckResult(
            asset_key=spec.asset_key, check_name=name, passed=passed,
            severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
            description=f"not run again, {asset} is unchanged: {details}",
            metadata={UNCHANGED: True})


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


_ASSET_SPECS, _CHECK_SPECS = dbt_specs.load()


@multi_asset(name="dbt_models", specs=_ASSET_SPECS, check_specs=_CHECK_SPECS, can_subset=True)
def dbt_models(context: AssetExecutionContext, warehouse: WarehouseResource):
    """`dbt build` of the models (seeds, tests) this run must rebuild; the year-partitioned
    facts and marts rebuild the years of this run: those rows loaded since the last
    publication touch, and a backfill's range."""
    settings = warehouse.settings()
    con = warehouse.connect()
    try:
        years = years_this_run(con, context.run.tags)
        models = _models_this_run(context, con)
        periods.record_build(con, context.run.run_id, years, models)  # before: a failed
    finally:                                                        # build counts
        con.close()  # dbt opens the file next
    described = describe_years(years)
    context.log.info(f"rebuilding reporting years: {described}; models: "
                     f"{'all' if models is None else len(models)}")
    context.instance.add_run_tags(context.run.run_id, {REBUILT_YEARS_TAG: described})
    if years is not None and (models is None or models):
        publish.copy_ahead(settings)  # while dbt builds: an incremental publication's copy
    if models is None or models:
        build, released = dbt_build(settings.warehouse_dir, years, select=models,
                                    full_refresh=context.run.tags.get(FULL_REFRESH_TAG) == "true",
                                    requested=requested_years(context.run.tags))
    else:
        build, released = BuildResult(success=True, seconds=0.0), None
    try:
        # the results are reported while the dbt worker closes the warehouse file, unless a
        # failed test's rows must be read from it first
        if any(n.failing_rows_sql for n in build.nodes) and released is not None:
            released.result()
        write_results(build, settings.warehouse_dir / "logs" / "dbt" / f"{context.run.run_id}.json")
        prune_results(settings.warehouse_dir / "logs" / "dbt", KEPT_RESULTS)
        yield from _events(context, build, models, described, _samples(warehouse, build))
    finally:
        if released is not None:
            released.result()
    carried = _carried_over(context, build, settings)
    record_check_results(settings.working_db, _check_rows(context, build) + carried)
    yield from _carried_events(carried, context)
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
