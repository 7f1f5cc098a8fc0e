"""Which reporting years a run must rebuild.

The year-partitioned models (dbt tag `by_year`) are rebuilt year by year. A run rebuilds the
years that rows loaded since the last publication touch, plus the years of its partitions
(a backfill). A load run's rows count as built once a publication succeeded after it:
`audit.published_loads` (created with the other audit tables, kyluat/ingest.py) lists those
runs, so a run that loads but fails its checks leaves its years pending for the next one.

A row touches more than its own year: a revision may move a decision to another year (every
version's year is rebuilt), a decision changes the funnel of the inspection it followed (the
activity's year), a membership count is the denominator of the year before and after, and
a change to the unit tree changes the levels and roll-ups of every year.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from kyluat.contract import KINDS

UNPUBLISHED = "_run_id not in (select run_id from audit.published_loads)"
"""A raw row loaded by a run whose rows are not yet in the published file."""


def _key(kind: str) -> str:
    return ", ".join(c.stored_name for c in KINDS[kind].key_columns)


def _versions_of_changed(kind: str, columns: str) -> str:
    """Every version (old and new) of the business keys that have an unpublished version."""
    return f"""
        select {columns} from raw.{kind}
        where ({_key(kind)}) in (
            select {_key(kind)} from raw.{kind} where {UNPUBLISHED})
    """



PENDING_YEARS_SQL = f"""
with decision_versions as (
    {_versions_of_changed("member_disciplines", "decision_date, activity_ref")}
    union all
    {_versions_of_changed("org_disciplines", "decision_date, activity_ref")}
),

touched as (
    select year(decision_date) as year from decision_versions
    union
    select year(start_date) from raw.activities
    where activity_ref in (select activity_ref from decision_versions)
    union
    select year(start_date) from ({_versions_of_changed("activities", "start_date")})
    union
    select year(as_of_date) + unnest([-1, 0, 1]) from raw.memberships where {UNPUBLISHED}
)

select year from touched where year is not null order by year
"""


def pending_years(con: duckdb.DuckDBPyConnection) -> list[int] | None:
    """Years touched by rows not yet published; None when every year must be rebuilt."""
    if con.execute(f"select count(*) from raw.org_units where {UNPUBLISHED}").fetchone()[0]:
        return None
    return [row[0] for row in con.execute(PENDING_YEARS_SQL).fetchall()]


def mark_published(con: duckdb.DuckDBPyConnection) -> int:
    """Every load run whose rows are now in the published file; returns how many were new."""
    runs = " union ".join(f"select _run_id from raw.{kind}" for kind in KINDS)
    return con.execute(f"""
        insert into audit.published_loads
        select distinct _run_id, now() from ({runs}) as loads (_run_id)
        where _run_id not in (select run_id from audit.published_loads)
    """).fetchone()[0]


def years_to_rebuild(pending: list[int] | None, partition_years: Iterable[int]) -> list[int] | None:
    """The pending years and those of the run's partitions; None (all) stays all."""
    if pending is None:
        return None
    return sorted(set(pending) | set(partition_years))


def pending_kinds(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The kinds with rows not yet published: the models reading them must be rebuilt."""
    return [kind for kind in KINDS if con.execute(
        f"select exists (select 1 from raw.{kind} where {UNPUBLISHED})").fetchone()[0]]


def _listed(values: Iterable | None) -> str:
    return "all" if values is None else ",".join(map(str, values))


def record_build(con: duckdb.DuckDBPyConnection, run_id: str, years: list[int] | None,
                 models: Iterable[str] | None = None) -> None:
    """A dbt build of the working file rebuilds `years` (None: every year) of `models` (dbt
    model and seed names; None: every one)."""
    con.execute("insert into audit.builds (run_id, built_at, rebuilt_years, rebuilt_models) "
                "values (?, now(), ?, ?)",
                [run_id, _listed(years), _listed(None if models is None else sorted(models))])


def built_models(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str] | None:
    """The models the build of `run_id` rebuilds; None: every one (or no build recorded)."""
    row = con.execute("select rebuilt_models from audit.builds where run_id = ? "
                      "order by built_at desc limit 1", [run_id]).fetchone()
    return None if row is None else _parsed(row[0], str)


def build_started(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    return con.execute("select exists (select 1 from audit.builds where run_id = ?)",
                       [run_id]).fetchone()[0]


def _parsed(text: str | None, kind: type) -> set | None:
    if text is None or text == "all":  # builds recorded before models were listed: all
        return None
    return {kind(value) for value in text.split(",") if value}


def built_since_publication(con: duckdb.DuckDBPyConnection
                            ) -> tuple[list[int] | None, set[str] | None]:
    """Every year and every model a build rebuilt since the last publication, what an
    incremental publication must copy (a failed run's build included); None: every year
    (model), or no publication yet."""
    last = con.execute("select max(published_at) from audit.publications").fetchone()[0]
    if last is None:
        return None, None
    years: set[int] | None = set()
    models: set[str] | None = set()
    for year_text, model_text in con.execute(
            "select rebuilt_years, rebuilt_models from audit.builds where built_at > ?",
            [last]).fetchall():
        built_years, built = _parsed(year_text, int), _parsed(model_text, str)
        years = None if years is None or built_years is None else years | built_years
        models = None if models is None or built is None else models | built
    return (None if years is None else sorted(years)), models
