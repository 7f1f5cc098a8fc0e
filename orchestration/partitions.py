"""Reporting years: which years a run rebuilds, and how a run asks for more (a backfill).

The year-partitioned models (dbt tag `by_year`) rebuild year by year. A run rebuilds:

- the years that rows loaded since the last publication touch (kyluat/periods.py), always;
- the years of its `kyluat/years` tag (`FIRST:LAST`): a backfill, as one run
  (`kyluat run --years 2019:2021`, or the tag added when launching the job in the UI);
- every year with the `kyluat/full_refresh` tag, every model from scratch.

Years are run tags, not Dagster partitions: a partitioned run records a materialization per
asset and year (more than 400 events on the bundled sample, a third of a small run's time),
and a refresh run had to cover every partition although it recomputed only a few. The years
a run did rebuild are recorded on it (tag `kyluat/rebuilt_years`) and on the models'
materializations.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from kyluat import periods
from kyluat.changes import project_fingerprint

YEARS_TAG = "kyluat/years"
"""Run tag of a backfill: `FIRST:LAST` (or one year) of reporting years to rebuild."""

FULL_REFRESH_TAG = "kyluat/full_refresh"
"""Run tag: rebuild every model from scratch (after a model's columns changed)."""

UNCHANGED = "unchanged"
"""Metadata of a model's materialization (a check's result) when this run left it alone: it
reads no kind with new rows, so it holds what its last build wrote (the last result holds)."""

REBUILT_YEARS_TAG = "kyluat/rebuilt_years"
"""Added to a run when its dbt step starts: the years it rebuilds ("all", or a list)."""


def run_tags(years: tuple[int, int] | None = None, full_refresh: bool = False) -> dict[str, str]:
    """Tags of a run that also rebuilds `years` (a backfill) or everything (full refresh)."""
    tags = {}
    if years:
        tags[YEARS_TAG] = f"{years[0]}:{years[1]}"
    if full_refresh:
        tags[FULL_REFRESH_TAG] = "true"
    return tags


def requested_years(tags: Mapping[str, str]) -> list[int]:
    """The years a backfill's tag asks for; none for a refresh."""
    text = tags.get(YEARS_TAG, "").strip()
    if not text:
        return []
    first, _, last = text.partition(":")
    return list(range(int(first), int(last or first) + 1))


def years_this_run(con: duckdb.DuckDBPyConnection, tags: Mapping[str, str]) -> list[int] | None:
    """The years this run rebuilds; None for every year. The same answer for every step of a
    run: pending years change only when a publication marks them published, its last act."""
    if tags.get(FULL_REFRESH_TAG) == "true":
        return None
    return periods.years_to_rebuild(periods.pending_years(con), requested_years(tags))


def kinds_this_run(con: duckdb.DuckDBPyConnection, tags: Mapping[str, str]) -> list[str] | None:
    """The kinds whose models this run rebuilds (those with rows not yet published); None:
    every model, for a full refresh, a backfill, a project (models, seeds, checks, code)
    changed since the last publication, or no publication yet."""
    if tags.get(FULL_REFRESH_TAG) == "true" or requested_years(tags):
        return None
    last = con.execute("select fingerprint from audit.publications "
                       "order by published_at desc limit 1").fetchone()
    if last is None or last[0] != project_fingerprint():
        return None
    return periods.pending_kinds(con)


def changed_relations(con: duckdb.DuckDBPyConnection, run_id: str,
                      tags: Mapping[str, str]) -> set[str] | None:
    """`schema.table` of what this run changes: the raw tables of kinds with rows not yet
    published, the marts its dbt build rebuilds (once it started); None: everything."""
    kinds = kinds_this_run(con, tags)
    models = periods.built_models(con, run_id)
    if kinds is None or models is None and periods.build_started(con, run_id):
        return None
    return {f"raw.{kind}" for kind in kinds} | {f"marts.{model}" for model in models or ()}


def describe_years(years: list[int] | None) -> str:
    return "all" if years is None else ",".join(map(str, years)) or "none"


def describe_request(tags: Mapping[str, str]) -> str | None:
    """What a run asks for beyond new data: a backfill's years or a full refresh."""
    if tags.get(FULL_REFRESH_TAG) == "true":
        return "a full refresh was asked for"
    if tags.get(YEARS_TAG):
        return f"a backfill of reporting years {tags[YEARS_TAG]} was asked for"
    return None
