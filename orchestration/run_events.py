"""The run logger `progress`: every event and message of a run, handed to the progress reporter
of `kyluat run` (orchestration/progress.py) when one is active in this process, and to nobody
otherwise (a run of the UI, a schedule or a sensor)."""

from __future__ import annotations

import logging

from dagster import DagsterEventType, logger

from orchestration import progress
from orchestration.check_evaluations import check_outcome

LOGGER_NAME = "orchestration.run_events"


class _ToProgress(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        reporter = progress.active()
        meta = getattr(record, "dagster_meta", None)
        if reporter is None or meta is None:
            return
        try:
            forward(reporter, meta, record.levelno)
        except Exception:  # a report that cannot be shown must never fail the run
            logging.getLogger(__name__).debug("progress report failed", exc_info=True)


def forward(reporter: progress.RunProgress, meta: dict, level: int) -> None:
    event, step = meta.get("dagster_event"), meta.get("step_key")
    message = meta.get("orig_message") or ""
    if event is None:
        if level >= logging.INFO:
            reporter.log_line(f"{step or 'run'}: {message}")
        if level == logging.WARNING and step:  # what a step warns of (Dagster's own: ERROR)
            reporter.warning(message)
        return
    kind = event.event_type
    if kind == DagsterEventType.STEP_START:
        reporter.step_started(step)
    elif kind == DagsterEventType.STEP_SUCCESS:
        reporter.step_ended(step)
    elif kind == DagsterEventType.STEP_FAILURE:
        error = event.step_failure_data.error
        reporter.log_line(f"{step}: {error.to_string() if error else 'failed'}")
        first = error.message.strip().splitlines()[0] if error and error.message else "failed"
        reporter.step_ended(step, failure=first)
    elif kind == DagsterEventType.ASSET_MATERIALIZATION:
        materialization = event.event_specific_data.materialization
        reporter.materialized(step, materialization.asset_key.to_user_string(),
                              {k: v.value for k, v in materialization.metadata.items()})
    elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
        check = check_outcome(event.event_specific_data)
        reporter.check_evaluated(step, check.name, check.passed, check.blocking, check.carried,
                                 check.description)
    elif level >= logging.WARNING:
        reporter.log_line(f"{step or 'run'}: {message}")


@logger(description="Hands the run's events to the progress lines of `kyluat run`, if it "
                    "started the run; does nothing otherwise")
def progress_logger(_init_context) -> logging.Logger:
    log = logging.getLogger(LOGGER_NAME)
    log.setLevel(logging.DEBUG)
    log.propagate = False  # never to the root logger: the console logger shows what it must
    if not any(isinstance(h, _ToProgress) for h in log.handlers):
        log.addHandler(_ToProgress())
    return log
