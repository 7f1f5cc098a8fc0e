"""Kill-and-rerun suite: `kyluat run` is killed (SIGKILL to its whole process group) at a
seeded random moment of one stage (ingest, dbt, checks, publish), or at a moment inside the
stage that its log names (MARKED_POINTS, what `make test` runs), the published file is
checked to be the previous state or the new one and nothing else, the run is started again
to the end, and its published tables are compared, table by table, with those of an
uninterrupted reference run.

Every trial starts from a copy of the same base (a published warehouse and a landing folder
with one new file), so each run has work in every stage.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kyluat.config import REPO_ROOT

# The first line each step of the job logs (`kyluat -v run`), by stage.
STAGES = {"work for this run": "ingest", "rebuilding reporting years": "dbt",
          "checking the raw suites": "checks", "checking the mart suites": "checks",
          "publishing ": "publish"}
STAGE_ORDER = ["ingest", "dbt", "checks", "publish"]
# The line logged once the new published file is in place: a kill after it is after the run's
# last stage.
PUBLISHED = "published "
# How long after its first step starts a kill may come, per stage (seconds): most of a stage
# on the bundled sample, so that the kill lands inside it.
WINDOWS = {"ingest": 1.0, "dbt": 5.0, "checks": 2.0, "publish": 1.5}


@dataclass(frozen=True)
class KillPoint:
    """When a trial kills: `delay` seconds after the first line of `stage` (a random moment),
    or, with `line` (a regular expression), as soon as a line of the stage matches it, which
    does not depend on how loaded the machine is; in publication, once the new published file
    is being built beside the old one."""
    stage: str
    delay: float = 0.0
    line: str | None = None


# A moment inside each stage that its log names, after the stage has begun writing:
# ingestion has loaded the new file's rows in its open transaction, dbt has built a first mart
# in the working file and not the others, the checks have begun, publication is building the
# new file (`.analytics.duckdb.<pid>.tmp`).
MARKED_POINTS = [KillPoint("ingest", line=r"2023_kill_suite\.csv: \d+ rows accepted"),
                 KillPoint("dbt", line=r"OK created sql \w+ model marts\."),
                 KillPoint("checks", line=r" - checking the raw suites"),
                 KillPoint("publish", line=r" - publishing ")]
RUN_TIMEOUT = 600


def figures(path: Path) -> dict[str, tuple] | None:
    """Every published mart, the registry and the quarantine as (rows, sum of row hashes),
    without the columns a run stamps (timestamps, run ids); None when the file is missing."""
    if not path.exists():
        return None
    found: dict[str, tuple] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        columns: dict[str, list[str]] = {}
        for table, column, data_type in con.execute(
                "select schema_name || '.' || table_name, column_name, data_type "
                "from duckdb_columns() where schema_name in ('marts', 'audit') "
                "order by column_index").fetchall():
            if data_type.startswith("TIMESTAMP") or column.endswith("run_id"):
                continue
            columns.setdefault(table, []).append(f'"{column}"')
        for table, kept in sorted(columns.items()):
            if table.startswith("audit.") and table not in ("audit.file_registry",
                                                            "audit.quarantine"):
                continue  # run bookkeeping
            found[table] = con.execute(
                f"select count(*), coalesce(sum(hash(({', '.join(kept)}))::hugeint), 0) "
                f"from {table}").fetchone()
    return found


def environment(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(KYLUAT_LANDING_DIR=str(root / "landing"), KYLUAT_WAREHOUSE_DIR=str(root /
               "warehouse"), KYLUAT_DAGSTER_STORAGE=str(root / "dagster"),
               DAGSTER_HOME=str(REPO_ROOT), PYTHONUNBUFFERED="1")
    return env


def copy_base(base: Path, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(base / "landing", root / "landing")
    shutil.copytree(base / "warehouse", root / "warehouse",
                    ignore=shutil.ignore_patterns("logs"))
    (root / "dagster").mkdir(parents=True)


def kyluat_run(root: Path, verbose: bool = False) -> subprocess.Popen:
    command = [sys.executable, "-m", "orchestration.cli", *(["-v"] if verbose else []), "run"]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=environment(root), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)  # its own process group, killed whole


def run_to_end(root: Path) -> tuple[int, str]:
    process = kyluat_run(root)
    out, _ = process.communicate(timeout=RUN_TIMEOUT)
    return process.returncode, out


@dataclass
class Trial:
    target: str
    killed_in: str | None    # the stage running when the kill came; None: the run had ended
                             # or published before it
    state_after_kill: str    # "previous", "new" or "other"
    rerun_code: int
    mismatched_tables: list[str]
    leftovers: list[str]


def stage_reached(lines: list[str]) -> str | None:
    """The stage a run was in once it had printed `lines`: the last stage whose first line
    it printed; None before the first, and once it printed that the new file is published."""
    stage = None
    for line in lines:
        if " - dagster - " not in line:
            continue
        if f" - {PUBLISHED}" in line:
            stage = None
        for marker, name in STAGES.items():
            if f" - {marker}" in line:
                stage = name
    return stage


def kill_trial(base: Path, root: Path, point: KillPoint, previous: dict,
               reference: dict) -> Trial:
    copy_base(base, root)
    process = kyluat_run(root, verbose=True)
    lines: list[str] = []
    started, killed = threading.Event(), threading.Event()
    reached = [False]  # the kill point was reached (not only the end of the run)
    pattern = re.compile(point.line) if point.line else None
    staging = root / "warehouse"

    def kill() -> None:
        if not killed.is_set() and process.poll() is None:
            killed.set()
            os.killpg(process.pid, signal.SIGKILL)

    def follow() -> None:
        stage = None
        for line in process.stdout:
            lines.append(line)
            stage = stage_reached([line]) or stage
            if stage != point.stage or started.is_set():
                continue
            if pattern is None or pattern.search(line):
                reached[0] = True
                if pattern is not None and point.stage != "publish":
                    kill()  # from here, as the line is read: no wait for another thread
                started.set()
        started.set()  # the run ended

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    try:
        if not started.wait(RUN_TIMEOUT):
            raise TimeoutError(f"no {point.stage} step within {RUN_TIMEOUT} s")
        if reached[0] and pattern is None:
            time.sleep(point.delay)
            kill()
        elif reached[0] and point.stage == "publish":
            # until the new file is being built (its temporary file exists), or the run ended
            while process.poll() is None and not any(staging.glob(".analytics.duckdb.*.tmp")):
                time.sleep(0.001)
            kill()
    finally:
        process.wait(timeout=RUN_TIMEOUT)
        reader.join(timeout=60)
    # Where the run was is read from everything it printed before it died, not from how far
    # this process had read when it sent the signal.
    killed_in = stage_reached(lines) if process.returncode == -signal.SIGKILL else None
    published = root / "warehouse" / "analytics.duckdb"
    try:
        now = figures(published)
        state = "previous" if now == previous else "new" if now == reference else "other"
    except duckdb.Error:
        state = "other"
    code, _ = run_to_end(root)
    after = figures(published) or {}
    mismatched = sorted(t for t in set(after) | set(reference)
                        if after.get(t) != reference.get(t))
    leftovers = sorted(p.name for p in (root / "warehouse").glob(".analytics.duckdb.*.tmp*"))
    leftovers += sorted(p.name for p in (root / "warehouse").glob(".ingest-*"))
    return Trial(point.stage, killed_in, state, code, mismatched, leftovers)


@dataclass
class KillReport:
    trials: list[Trial] = field(default_factory=list)

    @property
    def kills(self) -> Counter:
        return Counter(t.killed_in for t in self.trials if t.killed_in)

    @property
    def recoveries(self) -> int:
        return sum(t.rerun_code == 0 and not t.mismatched_tables for t in self.trials)

    @property
    def mismatches(self) -> int:
        return sum(len(t.mismatched_tables) for t in self.trials)

    @property
    def bad_states(self) -> int:
        return sum(t.state_after_kill == "other" for t in self.trials)

    def lines(self) -> list[str]:
        per_stage = ", ".join(f"{s} {self.kills.get(s, 0)}" for s in STAGE_ORDER)
        ended = sum(t.killed_in is None for t in self.trials)
        return [f"kills per stage: {per_stage} (runs that had published before their kill: "
                f"{ended})",
                f"recoveries: {self.recoveries} of {len(self.trials)} reruns reproduced the "
                "reference exactly",
                f"mismatches: {self.mismatches} tables differing from the reference; "
                f"published file neither previous nor new after a kill: {self.bad_states}; "
                f"leftovers after a rerun: {sum(len(t.leftovers) for t in self.trials)}"]


def make_base(base: Path, sample_warehouse: Path, sample_landing: Path) -> None:
    """A published sample and one new file: every stage of the next run has work."""
    if base.exists():
        shutil.rmtree(base)
    shutil.copytree(sample_landing, base / "landing")
    shutil.copytree(sample_warehouse, base / "warehouse", ignore=shutil.ignore_patterns("logs"))
    new = base / "landing" / "member_disciplines" / "2023_kill_suite.csv"
    new.write_text(
        "deciding_unit_code,decision_ref,member_id,member_name,authority_type,discipline_form,"
        "decision_date,member_unit_code,violation_categories,channel,is_committee_member,"
        "is_probationary,activity_ref,status,violation_date\n"
        + "".join(f"QNM,{900 + i}-QĐ/UBKTTU,DV9900{i:05d},,inspection_committee,reprimand,"
                  f"2023-0{1 + i % 9}-15,QNM,lack_of_responsibility,inspection,false,false,,"
                  "in_force,\n" for i in range(20)), encoding="utf-8")


def run_kill_suite(base: Path, work: Path, kills: int, seed: int = 18,
                   points: list[KillPoint] | None = None) -> KillReport:
    """Trials from `base` (see make_base): at each of `points`, or, by default, `kills` trials
    with the stages in turn, each kill a seeded random time within the stage's window after
    the stage starts."""
    rng = random.Random(seed)
    if points is None:
        points = [KillPoint(stage, delay=rng.uniform(0, WINDOWS[stage]))
                  for stage in (STAGE_ORDER[i % len(STAGE_ORDER)] for i in range(kills))]
    reference_root = work / "reference"
    copy_base(base, reference_root)
    previous = figures(reference_root / "warehouse" / "analytics.duckdb")
    code, out = run_to_end(reference_root)
    if code != 0:
        raise RuntimeError(f"the reference run failed: {out[-2000:]}")
    reference = figures(reference_root / "warehouse" / "analytics.duckdb")
    if reference == previous:
        raise RuntimeError("the reference run published nothing new: no stage had work")
    report = KillReport()
    for i, point in enumerate(points):
        report.trials.append(kill_trial(base, work / f"trial_{i:03d}", point, previous,
                                        reference))
        shutil.rmtree(work / f"trial_{i:03d}", ignore_errors=True)
    return report
