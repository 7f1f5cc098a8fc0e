"""What `kyluat run` prints as it goes and after: a line as each stage starts and ends with its
counts, the summary of that run, its plain-text log; and a rerun with nothing new, one line.

The lines of the real run are those of the session's sample run (tests/conftest.py runs it as
`kyluat run` does and keeps what it printed); the rerun is cheap (no Dagster run)."""

from __future__ import annotations

import csv
import json
import re
import time
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest

from kyluat.config import DBT_MANIFEST
from orchestration import progress
from orchestration.cli import main
from orchestration.run_logs import new_run_log, run_logs_dir
from tests.conftest import SAMPLE_LANDING, SAMPLE_RUN_OUTPUT

pytestmark = pytest.mark.integration

STAGE_ORDER = ["ingest", "freshness check", "raw checks", "dbt build", "mart checks", "publish",
               "province files", "public file", "report", "disclosure check",
               "public file published"]


def sample_rows() -> int:
    """Data rows of the sample's files, counted here from the files themselves."""
    rows = 0
    for path in SAMPLE_LANDING.rglob("*"):
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if path.suffix == ".csv":
            delimiter = ";" if text.splitlines()[0].count(";") else ","
            rows += sum(1 for _ in csv.DictReader(StringIO(text), delimiter=delimiter))
        elif path.suffix == ".json":
            rows += len(json.loads(text))
        elif path.suffix == ".ndjson":
            rows += sum(1 for line in text.splitlines() if line.strip())
    return rows


def project_counts() -> dict[str, int]:
    """Models, seeds and tests of the dbt project (its manifest), and the GE suites."""
    from data_quality.suites import suites

    manifest = json.loads(DBT_MANIFEST.read_text("utf-8"))
    kinds = [n["resource_type"] for n in manifest["nodes"].values()]
    layers = [s.asset[0] for s in suites().values()]
    return {"model": kinds.count("model"), "seed": kinds.count("seed"),
            "test": kinds.count("test"), "raw": layers.count("raw"),
            "marts": layers.count("marts")}


@pytest.fixture(scope="module")
def run_output(sample_run) -> tuple[list[str], Path]:
    settings, _ = sample_run
    lines = (settings.warehouse_dir.parent / SAMPLE_RUN_OUTPUT).read_text("utf-8").splitlines()
    return lines, settings.warehouse_dir


def test_each_stage_says_when_it_starts_and_ends_with_its_counts(run_output):
    lines, warehouse = run_output
    files = sum(1 for p in SAMPLE_LANDING.rglob("*") if p.is_file())
    counts = project_counts()
    starts = [line.removesuffix(": started") for line in lines if line.endswith(": started")]
    assert starts == STAGE_ORDER
    ends = {m[1]: m[4] for line in lines
            if (m := re.fullmatch(r"([a-z ]+): done in (\d+\.\d) s(: (.*))?", line))}
    assert list(ends) == STAGE_ORDER
    assert ends["ingest"] == (f"{files} files found, {files} new read; {sample_rows()} rows "
                              "loaded, 0 quarantined")
    assert ends["freshness check"] == "1 of 1 checks passed"
    assert ends["raw checks"] == f"{counts['raw']} of {counts['raw']} checks passed"
    assert ends["dbt build"] == (f"{counts['model']} models and {counts['seed']} seeds built, 0 "
                                 f"unchanged; {counts['test']} of {counts['test']} tests passed")
    assert ends["mart checks"] == f"{counts['marts']} of {counts['marts']} checks passed"
    assert re.fullmatch(r"\d+ tables published in full \(.*\)", ends["publish"])
    assert ends["report"] == f"{warehouse / 'report' / 'index.html'} drawn"
    assert ends["province files"] == "1 province files written"  # DNG, carrying QNM
    assert re.fullmatch(r"\d+ counts, \d+ suppressed below k=5, \d+ more against differencing",
                        ends["public file"])
    assert ends["disclosure check"] == "1 of 1 checks passed"
    assert ends["public file published"] == (f"{warehouse / 'tiers' / 'public' / 'public.duckdb'}"
                                             " replaced")
    for stage in STAGE_ORDER:  # each starts after the one before has ended
        assert lines.index(f"{stage}: started") < next(
            i for i, line in enumerate(lines) if line.startswith(f"{stage}: done in"))


def test_the_summary_is_about_the_run(run_output, sample_run):
    lines, warehouse = run_output
    _, outcome = sample_run
    files = sum(1 for p in SAMPLE_LANDING.rglob("*") if p.is_file())
    counts = project_counts()
    checks = 2 + counts["raw"] + counts["test"] + counts["marts"]  # freshness, disclosure
    summary = lines[lines.index(f"run {outcome.run_id}"):]
    rows = sample_rows()
    assert summary[1:4] == [f"new files: {files}; rows: {rows} ({rows} loaded, 0 in quarantine)",
                            "reporting years rebuilt: all",
                            f"checks: {checks} of {checks} passed, 0 failed"]
    assert f"published: {warehouse / 'analytics.duckdb'} replaced by this run's build" in summary
    assert "  QNM-2124-PC-IS       published    279  computed    279  match" in summary
    log = sorted(run_logs_dir(warehouse).glob("*.log"))
    assert summary[-1] == f"run log: {log[-1]}"


def test_the_run_log_is_plain_text_named_by_time_and_run_id(run_output, sample_run):
    lines, warehouse = run_output
    _, outcome = sample_run
    (log,) = run_logs_dir(warehouse).glob("*.log")
    stamp = datetime.strptime(log.name.split("_")[0], "%Y%m%dT%H%M%SZ")
    assert abs((datetime.now(UTC).replace(tzinfo=None) - stamp).total_seconds()) < 3600
    assert log.name == f"{log.name.split('_')[0]}_{outcome.run_id}.log"
    text = log.read_text("utf-8")
    assert "\x1b" not in text
    for line in lines:  # what the terminal showed, and more: dbt's own lines
        assert line in text
    assert "Done. PASS=" in text
    stamps = [datetime.fromisoformat(line.split(" ", 1)[0]) for line in text.splitlines()
              if re.match(r"\d{4}-\d\d-\d\dT", line)]
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)]
    assert max(gaps) <= 10, gaps  # a line at least every 10 seconds, heartbeat included


def test_a_rerun_with_nothing_new_says_so_in_one_line(sample_copy, capsys):
    assert main(["run"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"nothing new since the last publication: {sample_copy.published_db} unchanged"]
    assert captured.err == ""


def test_the_heartbeat_names_the_running_stage_when_nothing_else_is_said(monkeypatch):
    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 0.6)
    out, log = StringIO(), StringIO()
    with progress.RunProgress(out, log, bars=False) as reporter:
        time.sleep(1.5)
        reporter.step_started("dbt_models")
        reporter.work_planned("dbt_models", 104, "models, seeds and tests")
        for _ in range(7):
            reporter.work_done("dbt_models")
        time.sleep(1.5)
        reporter.step_ended("dbt_models")
    lines = out.getvalue().splitlines()
    started = lines.index("dbt build: started")
    assert started >= 1 and all(re.fullmatch(
        r"  preparing the run \(loading Dagster and dbt\): \d s since the start", line)
        for line in lines[:started]), lines
    beats = lines[started + 1:-1]
    assert beats and all(re.fullmatch(
        r"  dbt build: running for \d s, 7 of 104 models, seeds and tests", line)
        for line in beats), lines
    assert re.fullmatch(r"dbt build: done in 1\.\d s: 0 models and 0 seeds built, 0 unchanged",
                        lines[-1]), lines
    assert len(log.getvalue().splitlines()) == len(lines)


def test_only_the_latest_run_logs_are_kept(tmp_path):
    folder = run_logs_dir(tmp_path)
    folder.mkdir(parents=True)
    for day in range(1, 36):  # 35 old logs, and the new one: the 30 latest are kept
        (folder / f"202601{day:02d}T000000Z_run-{day}.log").write_text("old run\n")
    path = new_run_log(tmp_path, "the-new-run")
    path.write_text("new run\n")
    kept = sorted(p.name for p in folder.glob("*.log"))
    assert len(kept) == 30
    assert kept[0] == "20260107T000000Z_run-7.log" and kept[-1] == path.name
