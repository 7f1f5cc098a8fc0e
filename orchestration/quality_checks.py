"""Data-quality checks beyond dbt's own tests: Great Expectations suites as blocking asset
checks (a failure stops publication), and a non-blocking freshness warning.

The suites run as two steps, each suite once, with one GE context per process: the raw
suites after ingestion, the mart suites after the dbt build; a step's queries run while the
GE worker validates the rows of the suites before. A step per suite cost more in
Dagster's step handling than most suites cost to evaluate. A suite whose tables this run
did not change is not evaluated again: its last result stands."""


import re
from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    asset_check,
    multi_asset_check,
)

from data_quality.runner import build_data_docs, validate_all
from data_quality.suites import Suite, suites
from kyluat.check_results import last_results, record_check_results
from kyluat.freshness import stale_kinds
from orchestration.partitions import UNCHANGED, changed_relations
from orchestration.resources import WarehouseResource

_RELATION = re.compile(r"\b((?:raw|marts)\.\w+)")


def _check_name(suite: Suite) -> str:
    return f"ge_{suite.name}"


def _spec(suite: Suite) -> AssetCheckSpec:
    return AssetCheckSpec(
        name=_check_name(suite), asset=AssetKey(list(suite.asset)), blocking=suite.blocking,
        description=f"Great Expectations suite '{suite.name}': "
                    + "; ".join(dict.fromkeys(e.why for e in suite.expectations)))


def reads(suite: Suite) -> set[str]:
    """`schema.table` of every relation the suite's query reads."""
    return set(_RELATION.findall(suite.sql))


def _run_suites(context: AssetCheckExecutionContext, warehouse: WarehouseResource,
                raw: bool) -> Iterator[AssetCheckResult]:
    settings = warehouse.settings()
    selected = set(context.selected_asset_check_keys)
    context.log.info(f"checking the {'raw' if raw else 'mart'} suites")
    con = warehouse.connect(read_only=True)
    try:
        changed = changed_relations(con, context.run.run_id, context.run.tags)
    finally:
        con.close()
    chosen = [s for s in suites().values()  # built now: "not in the future" means today
              if _is_raw(s) == raw and AssetCheckKey(AssetKey(list(s.asset)), _check_name(s))
              in selected]
    unchanged = [s for s in chosen if changed is not None and not reads(s) & changed]
    last = last_results(settings.working_db,
                        [(_check_name(s), "/".join(s.asset)) for s in unchanged])
    carried = [s for s in unchanged if (_check_name(s), "/".join(s.asset)) in last]
    to_validate = [s for s in chosen if s not in carried]
    evaluated = dict(zip([s.name for s in to_validate],
                         validate_all(settings.working_db, to_validate, settings.quality_dir),
                         strict=True))
    rows, failed = [], False
    for suite in chosen:
        key = AssetCheckKey(AssetKey(list(suite.asset)), _check_name(suite))
        asset = key.asset_key.to_user_string()
        if suite in carried:
            passed, blocking, details = last[(key.name, asset)]
            rows.append((context.run.run_id, key.name, asset, passed, blocking, details))
            failed = failed or not passed
            yield AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=passed,
                severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
                description=f"not run again, {', '.join(sorted(reads(suite)))} unchanged: "
                            f"{details}", metadata={UNCHANGED: True})
            continue
        outcome = evaluated[suite.name]
        failed = failed or not outcome.success
        rows.append((context.run.run_id, key.name, asset,
                     outcome.success, suite.blocking, outcome.summary()))
        yield AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name, passed=outcome.success,
            severity=AssetCheckSeverity.ERROR if suite.blocking else AssetCheckSeverity.WARN,
            description=outcome.summary(),
            metadata={"rows_checked": outcome.rows_checked,
                      "expectations": outcome.expectations,
                      "failures": [f.describe(suite.relation) for f in outcome.failures]})
    record_check_results(settings.working_db, rows)
    if failed:  # render the failure now: publication will not happen
        context.log.warning(f"data docs: {build_data_docs(settings.quality_dir).result()}")


def _is_raw(suite: Suite) -> bool:
    return suite.asset[0] == "raw"


RAW_SUITES = [s for s in suites().values() if _is_raw(s)]
MART_SUITES = [s for s in suites().values() if not _is_raw(s)]


@multi_asset_check(specs=[_spec(s) for s in RAW_SUITES], name="raw_quality", can_subset=True,
                   description="Great Expectations suites of the raw tables")
def raw_quality(context: AssetCheckExecutionContext, warehouse: WarehouseResource):
    yield from _run_suites(context, warehouse, raw=True)


@multi_asset_check(specs=[_spec(s) for s in MART_SUITES], name="mart_quality",
                   can_subset=True, description="Great Expectations suites of the marts")
def mart_quality(context: AssetCheckExecutionContext, warehouse: WarehouseResource):
    yield from _run_suites(context, warehouse, raw=False)


@asset_check(asset=AssetKey(["audit", "file_registry"]), name="submissions_are_fresh",
             blocking=False,
             description="Warns when a kind's newest file is older than its reporting cycle")
def submissions_are_fresh(warehouse: WarehouseResource) -> AssetCheckResult:
    """A warning, not a gate: shown in the run's summary, not kept in audit.check_results."""
    stale = stale_kinds(warehouse.settings().working_db)
    return AssetCheckResult(
        passed=not stale,
        severity=AssetCheckSeverity.WARN,
        description="; ".join(s.describe() for s in stale) or "every kind is within its cycle",
        metadata={"stale_kinds": [s.kind for s in stale]},
    )


QUALITY_CHECKS = [raw_quality, mart_quality, submissions_are_fresh]
