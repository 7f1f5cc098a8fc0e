"""A check's evaluation as Dagster reports it, read in one place: the outcome of a run
(pipeline.py), the alert of a failed run (alerts.py) and the progress lines of `kyluat run`
(run_events.py) all see a check through `check_outcome`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    blocking: bool
    description: str
    failed_rows: int | None = None  # dbt tests report how many rows failed
    failing_rows: list[str] = field(default_factory=list)  # and show the first few
    carried: bool = False  # not run again: its tables are unchanged, its last result holds

    @property
    def severity(self) -> str:
        """Dagster's name of its severity."""
        return "ERROR" if self.blocking else "WARN"


def check_outcome(evaluation) -> CheckOutcome:
    """What a check's evaluation (a Dagster AssetCheckEvaluation) says."""
    from dagster import AssetCheckSeverity  # Dagster is imported by a run, not by this module

    from orchestration.partitions import UNCHANGED

    failed_rows = evaluation.metadata.get("failed_row_count")
    failing_rows = evaluation.metadata.get("failing_rows")
    return CheckOutcome(
        asset=evaluation.asset_key.to_user_string(),
        name=evaluation.check_name,
        passed=evaluation.passed,
        blocking=evaluation.severity == AssetCheckSeverity.ERROR,
        description=evaluation.description or "",
        failed_rows=failed_rows.value if failed_rows else None,
        failing_rows=list(failing_rows.value) if failing_rows is not None else [],
        carried=UNCHANGED in evaluation.metadata)
