"""Shared fixtures: every test runs on temporary directories, never on warehouse/."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from kyluat.config import REPO_ROOT, Settings

SAMPLE_LANDING = REPO_ROOT / "warehouse" / "samples" / "quang_nam_2021_2023" / "landing"

# The founding figures as published (SEED_FIGURES.md): the sample is calibrated to them and
# the pipeline must reproduce them from the records.
PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION = 279
PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY = 205

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs two workers: each keeps the files dbt writes as it builds (compiled
    # SQL) in a folder of its own, so that two builds never write the same file at once.
    os.environ.setdefault("DBT_TARGET_PATH", tempfile.mkdtemp(prefix=f"kyluat-dbt-{worker}-"))


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Settings:
    """A landing and a warehouse directory of the test's own, and a Dagster instance in
    a temporary folder configured by the project's dagster.yaml."""
    return make_workspace(tmp_path, monkeypatch)


def make_workspace(root: Path, monkeypatch) -> Settings:
    landing, warehouse, dagster = root / "landing", root / "warehouse", root / "dagster"
    for folder in (landing, warehouse, dagster):
        folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("KYLUAT_LANDING_DIR", str(landing))
    monkeypatch.setenv("KYLUAT_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(REPO_ROOT))
    monkeypatch.setenv("KYLUAT_DAGSTER_STORAGE", str(dagster))
    monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY", "test-key")
    return Settings.from_env()


def copy_sample(landing: Path) -> None:
    shutil.copytree(SAMPLE_LANDING, landing, dirs_exist_ok=True)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


SAMPLE_RUN_OUTPUT = "kyluat_run_output.txt"
"""Beside the sample run's warehouse: what its `kyluat run` printed (tests/integration/
test_run_progress.py reads it)."""


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The whole pipeline run once on the bundled sample, in a warehouse of its own, as
    `kyluat run` runs it (progress lines, run log, summary)."""
    from orchestration.cli import report_run

    monkeypatch = pytest.MonkeyPatch()
    settings = make_workspace(tmp_path_factory.mktemp("sample"), monkeypatch)
    copy_sample(settings.landing_dir)
    output = io.StringIO()
    outcome = report_run(settings, work="the bundled sample", out=output)
    (settings.warehouse_dir.parent / SAMPLE_RUN_OUTPUT).write_text(output.getvalue(), "utf-8")
    yield settings, outcome
    monkeypatch.undo()


@pytest.fixture
def sample_copy(sample_run, workspace) -> Settings:
    """The published sample, copied into this test's workspace (landing and warehouse): a
    test that changes it changes its own copy, never the session's."""
    built, outcome = sample_run
    assert outcome.success, (outcome.failed_checks, outcome.step_failures)
    copy_sample(workspace.landing_dir)
    shutil.copytree(built.warehouse_dir, workspace.warehouse_dir, dirs_exist_ok=True)
    return workspace
