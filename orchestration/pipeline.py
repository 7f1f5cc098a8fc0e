"""Run the Dagster jobs in this process: the one path used by `kyluat run`, `make demo` and
the tests, so they exercise exactly what a scheduled run executes (the refresh, then the
files drawn from the published file, as the sensor would start them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kyluat.config import REPO_ROOT, Settings
from orchestration.check_evaluations import CheckOutcome, check_outcome


def use_project_instance() -> None:
    """Default DAGSTER_HOME to the repository (whose dagster.yaml every command uses).

    Writes to the environment, as the only ones of the pipeline besides GE's (data_quality/
    runner.py), because they configure a library that reads nothing else: Dagster finds its
    instance by DAGSTER_HOME, and dagster.yaml names the storage folder as
    `env: KYLUAT_DAGSTER_STORAGE`. Where a run reads and writes is its configuration."""
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT))
    os.environ.setdefault("KYLUAT_DAGSTER_STORAGE", str(REPO_ROOT / ".dagster"))


def load_definitions(settings: Settings):
    """The Dagster definitions, loaded after starting the worker processes that run Great
    Expectations for `settings` and dbt: their imports, the longest of a run's, go on on the
    other core while this one loads the definitions and ingests."""
    from data_quality.runner import start_checker
    from orchestration.dbt_runner import start_dbt_worker

    use_project_instance()
    start_checker(settings.quality_dir)
    start_dbt_worker()
    from orchestration.definitions import defs

    return defs


@dataclass
class RunOutcome:
    run_id: str
    published: bool
    checks: list[CheckOutcome] = field(default_factory=list)
    step_failures: list[str] = field(default_factory=list)
    nothing_to_do: bool = False  # nothing changed since the last publication
    rebuilt_years: str | None = None  # "all", "none" or a list; None when dbt did not run
    draw_run_id: str | None = None  # the run of draw_published_files after this one

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed]

    @property
    def success(self) -> bool:
        return (self.published or self.nothing_to_do) and not self.step_failures and not any(
            c.blocking for c in self.failed_checks)


def _project_instance():
    """The instance of DAGSTER_HOME, its storage created by one process at a time: two first
    runs on an empty storage folder would both create its SQLite tables."""
    from dagster import DagsterInstance

    from kyluat.locking import exclusive

    with exclusive(Path(os.environ["KYLUAT_DAGSTER_STORAGE"]) / ".instance.lock"):
        instance = DagsterInstance.get()
        instance.get_runs(limit=1)  # creates the run and event storage
    return instance


def warehouse_config(settings: Settings) -> dict[str, str]:
    """The warehouse resource's configuration of a run on `settings`."""
    config = {"landing_dir": str(settings.landing_dir),
              "warehouse_dir": str(settings.warehouse_dir)}
    if settings.pseudonym_key_file is not None:
        config["pseudonym_key_file"] = str(settings.pseudonym_key_file)
    return config


def run_pipeline(instance=None, log_level: str = "WARNING", settings: Settings | None = None,
                 years: tuple[int, int] | None = None, full_refresh: bool = False,
                 run_id: str | None = None, draw: bool = True) -> RunOutcome:
    """Run the refresh job once and, when it published, the job that draws the files made
    from the published file (`draw`; the sensor does it for runs the daemon launches).
    `settings` (landing and warehouse folders; default: the KYLUAT_* variables, read now) are
    the configuration of their resources. Their events also go to the progress reporter of
    this process, if one is active (orchestration/progress.py)."""
    settings = settings or Settings.from_env()
    defs = load_definitions(settings)
    from orchestration.job import JOB_NAME
    from orchestration.partitions import REBUILT_YEARS_TAG, run_tags

    instance = instance or _project_instance()
    result = defs.resolve_job_def(JOB_NAME).execute_in_process(
        instance=instance, raise_on_error=False, run_config=_run_config(log_level, settings),
        tags=run_tags(years, full_refresh), run_id=run_id)
    materializations = {e.asset_key.to_user_string(): e.materialization
                        for e in result.get_asset_materialization_events()}
    registry = materializations.get("audit/file_registry")
    outcome = RunOutcome(run_id=result.run_id,
                         published="published/analytics" in materializations,
                         nothing_to_do=bool(registry and "nothing_to_do" in registry.metadata),
                         rebuilt_years=instance.get_run_by_id(result.run_id).tags.get(
                             REBUILT_YEARS_TAG))
    _collect(result, outcome)
    if draw and outcome.published:
        draw_published_files(outcome, instance, log_level, settings)
    return outcome


def draw_published_files(outcome: RunOutcome, instance, log_level: str = "WARNING",
                         settings: Settings | None = None) -> None:
    """Run draw_published_files after the refresh of `outcome`, adding its checks and step
    failures to it."""
    from orchestration.definitions import defs
    from orchestration.job import DRAW_JOB_NAME

    drawn = defs.resolve_job_def(DRAW_JOB_NAME).execute_in_process(
        instance=instance, raise_on_error=False,
        run_config=_run_config(log_level, settings or Settings.from_env(), "published_files"),
        tags={"kyluat/after_run": outcome.run_id})
    outcome.draw_run_id = drawn.run_id
    _collect(drawn, outcome)


def _run_config(log_level: str, settings: Settings, resource: str = "warehouse") -> dict:
    return {"loggers": {"console": {"config": {"log_level": log_level}}, "progress": {}},
            "resources": {resource: {"config": warehouse_config(settings)}}}


def _collect(result, outcome: RunOutcome) -> None:
    """The check evaluations and step failures of one job's run, into `outcome`."""
    outcome.checks += [check_outcome(e) for e in result.get_asset_check_evaluations()]
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        message = error.message.strip().splitlines()[0] if error else "failed"
        outcome.step_failures.append(f"{event.step_key}: {message}")
