"""Validate a warehouse relation with Great Expectations and explain each failure.

GE's SQL path over DuckDB is unreliable, so the suite's query runs in DuckDB and GE validates
the resulting dataframe (suites keep it bounded: rows of small relations, profiles of large
ones). Results are kept in a file-backed GE project under the warehouse folder; its Data Docs
site is rendered once per run, after the checks.

GE lives in a worker process of its own (`start_checker`, kyluat/worker.py): importing it and
building its contexts costs a small run several seconds of Python, which in this process would
hold the GIL against ingestion and dbt; on its own core it is paid while they run. The queries run
here (the worker never opens the warehouse); the worker validates their dataframes, keeps the
results and renders Data Docs.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import os
import sys
import types
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from data_quality.suites import Suite
from kyluat.locking import connect
from kyluat.worker import Pending, Worker, started

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


def start_checker(project_dir: Path | None = None) -> Worker:
    """The worker process that runs GE, started once per process; the first call has it import
    GE and build the contexts of `project_dir` at once, while the caller goes on."""
    _no_analytics()  # the worker inherits the environment
    return started("Great Expectations", _warm, project_dir)


def _in_checker(function, *args):
    """`function(*args)` in the worker process, waiting for its answer."""
    return start_checker().call(function, *args)


def _warm(project_dir: Path | None) -> None:
    """The worker's first task (never run in a process that has other use for sqlalchemy)."""
    _lighter_import()
    _gx(project_dir)


class _Deferred(types.ModuleType):
    """A module imported when one of its attributes is first read."""

    def __getattr__(self, attribute: str):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)
        return getattr(real, attribute)


_DEFERRED = ("scipy.stats", "altair")
"""Imported at import time by one GE expectation the suites do not use (KL divergence):
half of GE's import, about 1.5 s of the worker's warm-up. Loaded if something reads them."""

_HIDDEN = ("sqlalchemy",)
"""GE's SQL data sources, an optional part of GE it loads when installed (Dagster needs it):
the worker validates dataframes only."""


def _lighter_import() -> None:
    """Before Great Expectations is imported in the worker: defer and hide what it would
    import without using."""
    for name in _DEFERRED:
        sys.modules.setdefault(name, _Deferred(name))
    for name in _HIDDEN:
        if name not in sys.modules:
            sys.modules[name] = None  # `import` raises ImportError: GE's "not installed"


def _no_analytics() -> None:
    """Before Great Expectations is imported: no usage analytics sent from the checks (GE reads
    the setting from its environment only, once)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def data_docs_index(project_dir: Path) -> Path:
    return project_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


@functools.lru_cache(maxsize=4)
def _gx(project_dir: Path | None):
    """GE, an in-memory context that validates, and the file-backed project that keeps the
    results for Data Docs (None: results are not kept); built once per project. Validating
    through the file-backed context rewrote its YAML and JSON files for every suite."""
    _no_analytics()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    memory = gx.get_context(mode="ephemeral")
    memory.variables.progress_bars = ProgressBarsConfig(globally=False)
    memory.data_sources.add_pandas("kyluat")
    kept = None
    if project_dir is not None:
        project_dir.mkdir(parents=True, exist_ok=True)
        kept = gx.get_context(mode="file", project_root_dir=str(project_dir))
    return gx, memory, kept


def _batch_definition(context, suite: Suite):
    source = context.data_sources.get("kyluat")
    try:
        return source.get_asset(suite.name).get_batch_definition("whole")
    except LookupError:
        return source.add_dataframe_asset(suite.name).add_batch_definition_whole_dataframe(
            "whole")


def fetch(con, suite: Suite):
    frame = con.execute(suite.sql).df()
    for column in frame.columns:  # GE compares dates as timestamps
        if frame[column].dtype == object and _holds_dates(frame[column]):
            import pandas as pd

            frame[column] = pd.to_datetime(frame[column])
    return frame


def validate(db_path: Path, suite: Suite, project_dir: Path | None = None) -> Outcome:
    """Run `suite` on the warehouse at `db_path`; with `project_dir`, keep the result in the
    GE project there (see build_data_docs)."""
    return validate_all(db_path, [suite], project_dir)[0]


def validate_all(db_path: Path, suites: list[Suite], project_dir: Path | None = None,
                 ahead: int = 4) -> list[Outcome]:
    """The outcome of each of `suites`, in their order. Their queries run here, on one
    connection, while the worker validates the rows sent before: a step costs about the
    longer of the two, not their sum. At most `ahead` answers wait unread: the worker writes
    them to a pipe that must not fill while this process writes to the worker's."""
    checker, pending, outcomes = start_checker(), deque(), []
    con = connect(db_path, read_only=True)
    try:
        for suite in suites:
            if len(pending) >= ahead:
                outcomes.append(pending.popleft().result())
            pending.append(checker.submit(_validate_frame, suite, fetch(con, suite),
                                          project_dir))
    finally:
        con.close()
    return outcomes + [answer.result() for answer in pending]


def _validate_frame(suite: Suite, frame, project_dir: Path | None) -> Outcome:
    """In the worker: GE's verdict on the rows of `suite`'s query. A suite is validated with
    GE's basic results (counts and observed values, half the cost of the complete ones), and
    again with the complete ones only when it fails: they name the failing rows."""
    gx, memory, kept = _gx(project_dir)
    gx_suite = gx.ExpectationSuite(
        name=suite.name,
        expectations=[getattr(gx.expectations, e.type)(**e.kwargs, meta={"index": i})
                      for i, e in enumerate(suite.expectations)])
    batch = _batch_definition(memory, suite).get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(gx_suite, result_format={"result_format": "BASIC"})
    if not result.success:
        result = batch.validate(gx_suite, result_format={"result_format": "COMPLETE"})
    if kept is not None:
        _keep(kept, suite.name, result)
    return Outcome(suite.name, suite.relation, len(frame), len(suite.expectations),
                   _failures(result, suite, frame))


def _keep(context, name: str, result) -> None:
    """Store a validation result where Data Docs renders it from."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
        run_id=RunIdentifier(run_name="kyluat",
                             run_time=datetime.datetime.now(datetime.UTC)),
        batch_identifier=name)
    context.validation_results_store.set(key, result)


def build_data_docs(project_dir: Path) -> Pending:
    """Render every kept validation result as the static Data Docs site, in the worker while
    the caller goes on; the answer is the site's index."""
    return start_checker().submit(_build_data_docs, project_dir)


def _build_data_docs(project_dir: Path) -> Path:
    _, _, kept = _gx(project_dir)
    kept.build_data_docs()
    return data_docs_index(project_dir)


def _failures(result, suite: Suite, frame) -> list[Failure]:
    failures: dict[int, Failure] = {}
    for outcome in result.results:
        if outcome.success:
            continue
        index = outcome.expectation_config.meta["index"]  # GE does not keep suite order
        expectation = suite.expectations[index]
        details = outcome.result or {}
        failure = failures.setdefault(index, Failure(
            expectation.type, _column_of(expectation), 0, len(frame), why=expectation.why))
        error = _raised(outcome.exception_info)
        if error:
            failure.sample = [f"could not be evaluated: {error}"]
            continue
        failure.unexpected_count += int(details.get("unexpected_count") or 0)
        for position in (details.get("unexpected_index_list") or [])[:_SAMPLE]:
            if isinstance(position, int) and suite.key_columns:
                row = frame.iloc[position]
                failure.sample.append("/".join(str(row[k]) for k in suite.key_columns))
        if "observed_value" in details and not failure.sample:
            failure.sample.append(f"observed {details['observed_value']}")
    return [failures[i] for i in sorted(failures)]


def _column_of(expectation) -> str | None:
    kwargs = expectation.kwargs
    if "column" in kwargs:
        return kwargs["column"]
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    return None


def _raised(info) -> str | None:
    """GE reports errors flat or per metric; return the first message."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    nested = (_raised(v) for v in info.values() if isinstance(v, dict))
    return next((m for m in nested if m), None)


def _holds_dates(series) -> bool:
    first = series.dropna().head(1)
    return len(first) == 1 and isinstance(first.iloc[0], datetime.date)
