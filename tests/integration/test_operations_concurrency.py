"""One writer, and analysts never blocked.

Two `kyluat run` started at once on the same warehouse both succeed: the second waits for the
first to finish (the writer lock), nothing is loaded twice and the figures are right. As soon
as the first has published, eight reader processes query the published file read-only in a loop
for as long as the second run writes (ingestion, dbt build, checks, publication): none gets an
error, every snapshot is consistent, readers that keep one connection read the file they opened
to the end, and connections opened after the second publication read the new file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, RunsFilter

from kyluat.config import REPO_ROOT
from tests.conftest import (
    PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
    PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
    SAMPLE_LANDING,
    copy_sample,
    make_workspace,
)

pytestmark = pytest.mark.integration

RUN_TIMEOUT = 900  # seconds for two serialized runs on a busy 2-core machine
KYLUAT = Path(sys.executable).with_name("kyluat")

# One snapshot, read in one connection. Invariants that hold on any published sample:
#  rollup  - the mart's QNM total equals the facts rolled up to QNM through the ancestry bridge;
#  history - every accepted member-discipline row is one version in the history;
#  current - one current row per (decision, member), and each is the current history version.
SNAPSHOT = """
select
  (select sum(members_disciplined) from marts.mart_discipline_unit_year
    where structure = 'as_of' and unit_code = 'QNM') as mart_qnm,
  (select count(*) from marts.fct_member_discipline f
     join marts.bridge_org_unit_ancestry a on a.unit_code = f.deciding_unit_code
      and f.decision_date >= a.valid_from and f.decision_date < a.valid_to
    where a.ancestor_code = 'QNM' and f.counts_in_totals) as facts_qnm,
  (select count(*) from marts.fct_member_discipline_history) as history_rows,
  (select sum(accepted_count) from audit.file_registry
    where kind = 'member_disciplines') as accepted_rows,
  (select count(*) from marts.fct_member_discipline) as current_rows,
  (select count(distinct (deciding_unit_code, decision_ref, member_key))
     from marts.fct_member_discipline) as current_keys,
  (select count(*) from marts.fct_member_discipline_history where is_current) as history_current
"""

READER = r"""
import json, os, sys, time
import duckdb
path, stop, out, hold = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "hold"
snapshot = sys.stdin.read()
real = os.path.realpath(path)

def open_inode():
    # the inode of the file this process's DuckDB reads ("... (deleted)" once replaced)
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") in (real, real + " (deleted)"):
                return os.fstat(int(fd)).st_ino
        except OSError:
            pass

con, deadline = None, time.monotonic() + float(sys.argv[5])
with open(out, "w", buffering=1) as log:  # one JSON line per snapshot, kept if we crash
    while True:
        last = os.path.exists(stop) or time.monotonic() > deadline
        try:
            if con is None:
                con = duckdb.connect(path, read_only=True)
            row = con.execute(snapshot).fetchone()
            log.write(json.dumps({"snapshot": dict(zip([d[0] for d in con.description], row)),
                                  "inode": open_inode()}) + "\n")
            if not hold:
                con.close()
                con = None
        except Exception as exc:
            log.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
            con = None
        if last:
            break
        time.sleep(1.0)
    log.write(json.dumps({"done": True}) + "\n")
"""


def consistent(s: dict) -> bool:
    return (s["mart_qnm"] == s["facts_qnm"] and s["history_rows"] == s["accepted_rows"]
            and s["current_rows"] == s["current_keys"] == s["history_current"])


def kyluat_run() -> subprocess.Popen:
    """A run that always has work (a full refresh): the second of two runs would otherwise
    find nothing new, and publish nothing, once the first has published."""
    return subprocess.Popen([str(KYLUAT), "run", "--full-refresh"], cwd=REPO_ROOT,
                            env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen, timeout: float) -> tuple[int, str]:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate(timeout=30)
        pytest.fail(f"kyluat run did not finish in {timeout}s: {output[-3000:]}")
    return process.returncode, output


def start_readers(published_db: Path, folder: Path, stop: Path) -> list:
    readers = []
    for i in range(8):
        mode = "hold" if i % 2 else "reconnect"
        out = folder / f"reader_{i}.jsonl"
        with (folder / f"reader_{i}.stderr").open("w") as stderr:
            process = subprocess.Popen(  # faulthandler: a crash shows where it happened
                [sys.executable, "-X", "faulthandler", "-c", READER, str(published_db),
                 str(stop), str(out), mode, str(RUN_TIMEOUT)],
                stdin=subprocess.PIPE, stderr=stderr, text=True)
        process.stdin.write(SNAPSHOT)
        process.stdin.close()
        readers.append((mode, process, out))
    return readers


def stop_readers(readers, stop: Path) -> None:
    stop.touch()
    for _, process, _ in readers:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def twin_runs(tmp_path_factory):
    """Two `kyluat run` processes started together on a fresh warehouse, a fresh Dagster
    storage and the sample, and eight readers reading from the first publication until both
    runs have ended."""
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("twins")
    settings = make_workspace(root, monkeypatch)
    copy_sample(settings.landing_dir)
    deadline = time.monotonic() + RUN_TIMEOUT
    processes = [kyluat_run(), kyluat_run()]
    stop, readers = root / "stop", []
    try:
        while not settings.published_db.exists():  # the first run has published
            assert time.monotonic() < deadline, "no publication"
            if any(p.poll() not in (None, 0) for p in processes):
                break  # a run failed: the test below says how
            time.sleep(0.1)
        first_inode = settings.published_db.stat().st_ino if settings.published_db.exists() \
            else None
        readers = start_readers(settings.published_db, root, stop)
        outcomes = [finish(p, max(1.0, deadline - time.monotonic())) for p in processes]
    finally:
        stop_readers(readers, stop)
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    yield settings, outcomes, readers, first_inode
    monkeypatch.undo()


def published_figures(settings) -> dict[str, tuple]:
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        return {r[0]: r[1:] for r in con.execute(
            "select figure_id, computed_value, status from marts.rpt_published_reconciliation "
            "where figure_origin = 'published'").fetchall()}


def test_two_runs_started_at_once_both_succeed_and_take_turns(twin_runs):
    settings, outcomes, _, _ = twin_runs
    for code, output in outcomes:
        assert code == 0, output[-3000:]
        assert "published:" in output

    figures = published_figures(settings)
    assert figures["QNM-2124-PC-IS"] == (PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION, "match")
    assert figures["QNM-2124-IC-LR"] == (PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
                                         "match")

    sample_files = sum(1 for p in SAMPLE_LANDING.rglob("*") if p.is_file())
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        # every file registered once, every row loaded once
        assert con.execute("select count(*), count(distinct path), count(distinct sha256) "
                           "from audit.file_registry").fetchone() == (sample_files,) * 3
        rows, distinct, accepted = con.execute("""
            select count(*), count(distinct (_file_id, _row_number)),
                   (select sum(accepted_count) from audit.file_registry
                     where kind = 'member_disciplines')
            from raw.member_disciplines""").fetchone()
        assert rows == distinct == accepted
    snapshot = read_snapshot(settings.published_db)
    assert consistent(snapshot), snapshot

    # The writer lock at work: one run's steps all ran before the other's first step.
    instance = DagsterInstance.get()
    runs = instance.get_runs(RunsFilter(job_name="refresh_warehouse"))  # not the drawing runs
    assert len(runs) == 2 and all(r.is_success for r in runs)
    spans = []
    for run in runs:
        times = [entry.timestamp for entry in instance.all_logs(run.run_id)
                 if entry.dagster_event is not None and entry.step_key
                 and entry.dagster_event.event_type in (DagsterEventType.STEP_START,
                                                        DagsterEventType.STEP_SUCCESS)]
        assert len(times) > 10
        spans.append((min(times), max(times)))
    (_, first_end), (second_start, _) = sorted(spans)
    assert first_end <= second_start, spans


def read_snapshot(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(SNAPSHOT).fetchone()
        return dict(zip([d[0] for d in con.description], row, strict=True))


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from kyluat.locking import writer_lock
with writer_lock(Path(sys.argv[1]), "holder"):
    print("held", flush=True)
    time.sleep(120)
"""


def test_writer_lock_waits_for_the_holder_and_a_killed_holder_releases_it(tmp_path):
    from kyluat.locking import writer_lock, writer_lock_path

    working_db = tmp_path / "discipline.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(working_db)],
                              cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert "run holder" in writer_lock_path(working_db).read_text()
        reports: list[str] = []

        def report(message):
            reports.append(message)
            if len(reports) == 3:  # it waited: now the holder dies without letting go
                holder.kill()

        started = time.monotonic()
        with writer_lock(working_db, "waiter", report=report, poll_seconds=0.1,
                         report_every_seconds=0.2):
            waited = time.monotonic() - started
            assert "run waiter" in writer_lock_path(working_db).read_text()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert len(reports) >= 3 and "held by run holder" in reports[0]
    assert 0.3 < waited < 30


def test_eight_readers_are_never_blocked_while_a_run_writes(twin_runs):
    settings, outcomes, readers, first_inode = twin_runs
    assert [code for code, _ in outcomes] == [0, 0]
    final = read_snapshot(settings.published_db)
    final_inode = settings.published_db.stat().st_ino
    assert consistent(final) and first_inode != final_inode  # the second run replaced it

    for mode, process, out in readers:
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        assert process.returncode == 0 and lines[-1] == {"done": True}, (
            f"{mode} reader exited with {process.returncode} after {len(lines)} lines: "
            + out.with_suffix(".stderr").read_text()[-3000:])
        errors = [line["error"] for line in lines if "error" in line]
        assert errors == [], (mode, errors[:3])
        snapshots = [line["snapshot"] for line in lines if "snapshot" in line]
        inodes = [line["inode"] for line in lines if "snapshot" in line]
        assert len(snapshots) >= 5, (mode, len(snapshots))
        assert all(consistent(s) for s in snapshots), mode
        assert all(s == final for s in snapshots), mode  # both runs published the same figures
        assert inodes[0] == first_inode, mode  # reading before the second publication
        if mode == "hold":  # one connection from start to end: the file it opened, replaced
            assert set(inodes) == {first_inode}, mode
        else:  # connections opened after the second publication read the new file
            assert inodes[-1] == final_inode, mode
