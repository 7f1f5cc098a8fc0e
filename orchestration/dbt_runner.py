"""dbt, called through its programmatic runner: one `dbt build` per run, on the project parsed
at setup, in the run's dbt worker process (kyluat/worker.py).

A dbt subprocess per call paid an interpreter start-up and a parse of the project on every
call (about 8 of the 12 seconds of a call on the bundled sample). The worker is started with
the run (`start_dbt_worker`): it imports dbt and loads the parsed project
(`target/partial_parse.msgpack`, written by `dbt parse` in `make setup`) on the other core
while the run's own process loads Dagster and ingests, and its builds' Python does not hold
the GIL of the process that handles Dagster's events. dbt's debug log file and its JSON
artifacts are not written: the node results come back as objects, `write_results` keeps what
operators read, and dbt's lines go to the caller's standard output (a run's log).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kyluat.config import DBT_MANIFEST, DBT_PROJECT_DIR
from kyluat.worker import Pending, Worker, emit, started

PARSED_PROJECT = DBT_MANIFEST.with_name("partial_parse.msgpack")
"""Where `dbt parse` leaves the parsed project (the profile is beside the project)."""

REBUILD_YEARS_VARIABLE = "KYLUAT_REBUILD_YEARS"
"""Read by dbt_project/macros/reporting_years.sql: the years the year-partitioned models
rebuild ("2021,2022"; "all": every year)."""

REQUESTED_YEARS_VARIABLE = "KYLUAT_REQUESTED_YEARS"
"""Read by the same macros: the years of a backfill, every activity of which the activity
models (rebuilt by activity, not by year) rebuild ("2021,2022"; empty: none)."""


class DbtNotRun(RuntimeError):
    """dbt could not start the build at all (bad project, unreadable warehouse file)."""


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    status: str  # models, seeds: success, error, skipped; tests: pass, fail, warn, error
    seconds: float
    failures: int | None    # failing rows of a test
    message: str | None
    failing_rows_sql: str | None = None  # a failed test's query of its failing rows

    @property
    def resource_type(self) -> str:
        return self.unique_id.split(".", 1)[0]

    @property
    def failed(self) -> bool:
        return self.status in ("error", "fail")


@dataclass
class BuildResult:
    success: bool
    seconds: float
    nodes: list[NodeResult] = field(default_factory=list)

    @property
    def errors(self) -> list[NodeResult]:
        """Models and seeds that dbt could not build (a failing test is not an error)."""
        return [n for n in self.nodes if n.status == "error" and n.resource_type != "test"]


INCREMENTAL_THREADS = 4
"""dbt's threads for a build of some years; a build of every year keeps the profile's 2. A
month's nodes are small queries between spans of dbt's own Python (which holds the worker's
GIL): with twice the nodes in flight, one's query runs while another's Python does, and a
month added to ten national years took about 1 s less. A whole build's nodes are large
queries, each using both cores and the shared memory limit."""


def build_arguments(select: list[str] | None = None, full_refresh: bool = False,
                    command: str = "build", threads: int | None = None) -> list[str]:
    """The `dbt build` (or `dbt test`, `command`) command line; `threads`: None, the
    profile's."""
    args = [command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
            str(DBT_PROJECT_DIR), "--log-level-file", "none", "--no-write-json",
            "--no-use-colors"]  # its lines go to the run's plain-text log
    if threads is not None:
        args += ["--threads", str(threads)]
    if select:
        args += ["--select", *select]
    if full_refresh:
        args.append("--full-refresh")
    return args


def build_environment(warehouse_dir: Path, years: list[int] | None,
                      requested: list[int] = ()) -> dict[str, str]:
    """The environment dbt's profile and macros read: where the warehouse is, which years the
    year-partitioned models rebuild (None: all), which years a backfill asked for."""
    return {"KYLUAT_WAREHOUSE_DIR": str(warehouse_dir),
            REBUILD_YEARS_VARIABLE: "all" if years is None else ",".join(map(str, years)),
            REQUESTED_YEARS_VARIABLE: ",".join(map(str, requested))}


def parsed_project():
    """The project as `dbt parse` left it at setup, loaded afresh for every build (a fraction
    of a second): dbt marks what it compiled in the manifest it is given, and a second build
    on the same object would find ephemeral models already injected and leave them out."""
    from dbt.contracts.graph.manifest import Manifest

    if not PARSED_PROJECT.exists():
        raise DbtNotRun(f"{PARSED_PROJECT} is missing: the dbt project is parsed at setup "
                        "time. Run `make setup` (or `dbt parse` in dbt_project/).")
    manifest = Manifest.from_msgpack(PARSED_PROJECT.read_bytes())
    manifest.build_flat_graph()  # the `graph` macros read (tests_on_rebuilt_rows.sql)
    return manifest


@contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    """`variables` in the environment for the duration of one build, the previous values
    restored after. dbt reads an invocation's environment from os.environ and from nowhere
    else, and these cannot be --vars: a changed var makes dbt parse the whole project again
    (see dbt_project/macros/reporting_years.sql), a changed variable only the models that
    read it."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _release_warehouse() -> None:
    """dbt-duckdb keeps its database open in the process after a build; close it, so that
    the next step can open the file (read-only, or attached) with a configuration of its own."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    if DuckDBConnectionManager._ENV is not None:
        DuckDBConnectionManager._ENV.close()
    DuckDBConnectionManager.close_all_connections()


_prepared: list = []  # in the worker: the parsed project loaded ahead of its first build


def start_dbt_worker() -> Worker:
    """The worker process that runs dbt, started once per process; the first call has it
    import dbt and load the parsed project at once, while the caller goes on."""
    return started("dbt", _warm, niceness=15)  # needed after the GE worker (niceness 10)


def _warm() -> None:
    import dbt.adapters.duckdb  # noqa: F401  (loaded by the build otherwise)

    if PARSED_PROJECT.exists():
        manifest = parsed_project()
        _first_invocation(manifest)
        _prepared.append(manifest)


def _first_invocation(manifest):
    """dbt's first command in a process builds the validators and schemas of its project
    and configuration classes and loads its plugins: about 0.8 s of the start of a build.
    A `dbt ls` that selects nothing pays it while the worker waits for its build; it reads
    no warehouse and prints nothing."""
    from dbt.cli.main import dbtRunner

    return dbtRunner(manifest=manifest).invoke(
        [*build_arguments(["tag:kyluat_selects_nothing"], command="ls"), "--quiet"])


def dbt_build(warehouse_dir: Path, years: list[int] | None, select: list[str] | None = None,
              full_refresh: bool = False, requested: list[int] = ()) -> tuple[BuildResult, Pending]:
    """`dbt build` of the working warehouse in `warehouse_dir`: its results, and the worker's
    closing of the warehouse file, which goes on after they come back. The close checkpoints
    what the build changed (a second or more on a national warehouse) while the caller
    reports the results: wait for it (`.result()`) before opening the file."""
    threads = INCREMENTAL_THREADS if years is not None and not full_refresh else None
    return _invoke(build_arguments(select, full_refresh, threads=threads), warehouse_dir, years,
                   requested)


def dbt_test(warehouse_dir: Path, select: list[str]) -> BuildResult:
    """`dbt test` of the `select`ed tests on the warehouse in `warehouse_dir`, as it is
    (nothing is built), on every row; the file is closed when it returns."""
    result, released = _invoke(build_arguments(select, command="test"), warehouse_dir, None)
    released.result()
    return result


def _invoke(arguments: list[str], warehouse_dir: Path, years: list[int] | None,
            requested: list[int] = ()) -> tuple[BuildResult, Pending]:
    worker = start_dbt_worker()
    result = worker.call(_run, arguments, build_environment(warehouse_dir, years, requested),
                         on_event=_report_progress)
    return result, worker.submit(_release_warehouse)


def _run(arguments: list[str], variables: Mapping[str, str]) -> BuildResult:
    """In the worker: one dbt command; the warehouse stays open (the caller asks for
    `_release_warehouse` next) unless the command failed to run."""
    from dbt.cli.main import dbtRunner

    manifest = _prepared.pop() if _prepared else parsed_project()
    runner = dbtRunner(manifest=manifest, callbacks=[_forward_progress])
    try:
        with _environment(variables):
            outcome = runner.invoke(arguments)
    except BaseException:
        _release_warehouse()
        raise
    if outcome.exception is not None or outcome.result is None:
        _release_warehouse()
        raise DbtNotRun(f"dbt {arguments[0]} did not run: {outcome.exception}")
    results = outcome.result
    return BuildResult(
        success=outcome.success, seconds=results.elapsed_time,
        nodes=[NodeResult(r.node.unique_id, str(r.status), r.execution_time, r.failures,
                          r.message, r.node.compiled_code if str(r.status) == "fail" else None)
               for r in results.results])


def _forward_progress(event) -> None:
    """In the worker: dbt's nodes as they start and finish, to the caller."""
    if event.info.name == "LogStartLine" and event.data.index == 1:
        emit(("planned", event.data.total))
    elif event.info.name == "NodeFinished":
        emit(("done",))


def _report_progress(event: tuple) -> None:
    """To the progress lines of `kyluat run`."""
    from orchestration import progress

    reporter = progress.active()
    if reporter is None:
        return
    if event[0] == "planned":
        reporter.work_planned(progress.DBT_STEP, event[1], "models, seeds and tests")
    else:
        reporter.work_done(progress.DBT_STEP)


def write_results(result: BuildResult, path: Path) -> None:
    """Each node's status and seconds, for operators and the benchmark."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"seconds": result.seconds, "success": result.success,
                                "nodes": [asdict(n) for n in result.nodes]}, indent=1),
                    encoding="utf-8")
