"""Validate a warehouse relation with Great Expectations and explain each failure.

GE's SQL path over DuckDB is unreliable, so rows are fetched from DuckDB as dataframes in
bounded chunks and each chunk is validated; failures are summed over chunks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from data_quality.suites import Suite

CHUNK_ROWS = 250_000
_SAMPLE = 5


@dataclass
class Failure:
    expectation: str
    column: str | None
    unexpected_count: int
    rows_checked: int
    sample: list[str] = field(default_factory=list)
    why: str = ""

    def describe(self, relation: str) -> str:
        where = f"{relation}.{self.column}" if self.column else relation
        sample = f"; e.g. {', '.join(self.sample)}" if self.sample else ""
        return (f"{self.expectation} failed on {where}: {self.unexpected_count} of "
                f"{self.rows_checked} rows ({self.why}){sample}")


@dataclass
class Outcome:
    suite: str
    relation: str
    rows_checked: int
    expectations: int
    failures: list[Failure]

    @property
    def success(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        if self.success:
            return (f"{self.suite}: {self.expectations} expectations passed on "
                    f"{self.rows_checked} rows of {self.relation}")
        return "; ".join(f.describe(self.relation) for f in self.failures)


def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no network calls from checks
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, context


def validate(db_path: Path, suite: Suite) -> Outcome:
    gx, context = _context()
    gx_suite = gx.ExpectationSuite(
        name=suite.name,
        expectations=[getattr(gx.expectations, e.type)(**e.kwargs, meta={"index": i})
                      for i, e in enumerate(suite.expectations)])
    batch_definition = (context.data_sources.add_pandas(suite.name)
                        .add_dataframe_asset(suite.relation)
                        .add_batch_definition_whole_dataframe("chunk"))
    failures: dict[int, Failure] = {}
    rows = 0
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        reader = con.execute(f"select * from {suite.relation}")
        while True:
            chunk = reader.fetch_df_chunk(CHUNK_ROWS // 2048 or 1)
            if rows and chunk.empty:
                break
            rows += len(chunk)
            _validate_chunk(batch_definition, gx_suite, suite, chunk, failures, rows)
            if chunk.empty:
                break
    finally:
        con.close()
    for failure in failures.values():
        failure.rows_checked = rows
    return Outcome(suite.name, suite.relation, rows, len(suite.expectations),
                   [failures[i] for i in sorted(failures)])


def _validate_chunk(batch_definition, gx_suite, suite: Suite, chunk, failures, rows) -> None:
    import pandas as pd

    for column in chunk.columns:  # GE compares dates as timestamps
        if chunk[column].dtype == object and len(chunk) and _is_date(chunk[column]):
            chunk[column] = pd.to_datetime(chunk[column])
    result = batch_definition.get_batch(batch_parameters={"dataframe": chunk}).validate(
        gx_suite, result_format={"result_format": "COMPLETE"})
    for outcome in result.results:
        if outcome.success:
            continue
        index = outcome.expectation_config.meta["index"]  # GE does not keep suite order
        expectation = suite.expectations[index]
        details = outcome.result or {}
        failure = failures.setdefault(index, Failure(
            expectation.type, expectation.kwargs.get("column"), 0, rows, why=expectation.why))
        error = _raised(outcome.exception_info)
        if error:
            failure.sample = [f"could not be evaluated: {error}"]
            continue
        failure.unexpected_count += int(details.get("unexpected_count") or 0)
        for position in (details.get("unexpected_index_list") or [])[:_SAMPLE]:
            if len(failure.sample) < _SAMPLE and isinstance(position, int):
                row = chunk.iloc[position]
                failure.sample.append("/".join(str(row[k]) for k in suite.key_columns))
        if "observed_value" in details and not failure.sample:
            failure.sample.append(f"observed {details['observed_value']}")


def _raised(info) -> str | None:
    """GE reports errors flat or per metric; return the first message."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    nested = (_raised(v) for v in info.values() if isinstance(v, dict))
    return next((m for m in nested if m), None)


def _is_date(series) -> bool:
    import datetime

    first = series.dropna().head(1)
    return len(first) == 1 and isinstance(first.iloc[0], datetime.date)
