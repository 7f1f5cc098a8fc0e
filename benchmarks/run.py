"""`make bench`: the pipeline at national scale, against a plain DuckDB SQL script.

For each scale (0.1, 1 and 10 national years by default; `--quick` for 0.1 only):

1. `kyluat generate` writes a SYNTHETIC landing directory; its last month of activities and
   member decisions is held back for step 4;
2. the whole pipeline (`orchestration.pipeline.run_pipeline`, in a child process on a fresh
   warehouse, configured like tests/conftest.py `make_workspace`): wall time, peak memory
   (the child and every process it waited for, dbt included), input rows per second, time of
   each Dagster step and of each dbt model (run_results.json);
3. benchmarks/baseline.sql on the same files, in a child process; its headline numbers
   must equal the published ones (members disciplined per unit and year, the computed value
   of every submitted aggregate figure, the decision facts) or the benchmark stops;
4. the analyst guide's queries (docs/analyst_guide.md) on the published analytics.duckdb;
5. on the largest scale only: the held-back month is added and the pipeline runs again on
   the loaded warehouse (the incremental run).

Then the fixed cost of a run on the tiny bundled sample, split by stage. Results go to
benchmarks/results/<date>.json and a Markdown rendering beside it, each figure next to its
target, rewritten after every scale. Timings are medians of `--repeat` runs where a run is
cheap (tiny sample, queries).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RESULTS = REPO / "benchmarks" / "results"
SAMPLE_LANDING = REPO / "warehouse" / "samples" / "quang_nam_2021_2023" / "landing"
BASELINE_SQL = REPO / "benchmarks" / "baseline.sql"
ANALYST_GUIDE = REPO / "docs" / "analyst_guide.md"
BENCH_KEY = "kyluat-benchmark-key"
HELD_BACK_KINDS = ("activities", "member_disciplines")

TARGETS = {
    "ratio_scale_10": ("pipeline time / baseline time at scale 10", 1.5, "x"),
    "peak_rss_mb": ("peak memory of any pipeline run", 3072, "MB"),
    "incremental_s": ("one new monthly file added to the full warehouse", 15, "s"),
    "noop_s": ("`kyluat run` with nothing new, on the full warehouse", 5, "s"),
    "query_p95_ms": ("analyst queries, 95th percentile", 100, "ms"),
    "tiny_run_s": ("whole run on the tiny bundled sample", 15, "s"),
}


# --------------------------------------------------------------------------- child processes

def _child_env(root: Path, landing: Path) -> dict[str, str]:
    """The environment tests/conftest.py `make_workspace` sets, for a child process."""
    env = dict(os.environ)
    for folder in (root / "warehouse", root / "dagster"):
        folder.mkdir(parents=True, exist_ok=True)
    env.update({
        "KYLUAT_LANDING_DIR": str(landing),
        "KYLUAT_WAREHOUSE_DIR": str(root / "warehouse"),
        "DAGSTER_HOME": str(REPO),
        "KYLUAT_DAGSTER_STORAGE": str(root / "dagster"),
        "KYLUAT_PSEUDONYM_KEY": BENCH_KEY,
        "GX_ANALYTICS_ENABLED": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONPATH": str(REPO),
    })
    return env


def _run_child(args: list[str], env: dict[str, str], log: Path) -> tuple[dict, float, float]:
    """Run `python benchmarks/run.py <args>`; returns (its JSON answer, wall s, peak RSS MB).
    What earlier steps wrote is flushed to disk first: a timed run must not pay for writing
    back another's gigabytes."""
    os.sync()
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, __file__, *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(errors="replace")
    answers = [line for line in text.splitlines() if line.startswith("BENCH_RESULT ")]
    if proc.returncode != 0 or not answers:
        tail = "\n".join(text.splitlines()[-30:])
        raise SystemExit(f"child {' '.join(args)} failed (exit {proc.returncode}); "
                         f"log {log}:\n{tail}")
    # ru_maxrss is in kB on Linux and covers the child and the processes it waited for.
    return json.loads(answers[-1][len("BENCH_RESULT "):]), wall, usage.ru_maxrss / 1024


def _answer(payload: dict) -> None:
    print("BENCH_RESULT " + json.dumps(payload, default=str), flush=True)


def child_pipeline() -> None:
    """In a fresh process: load the definitions, run the job, report step timings."""
    t0 = time.perf_counter()
    from kyluat.config import Settings
    from orchestration.pipeline import draw_published_files, load_definitions, run_pipeline

    load_definitions(Settings.from_env())  # as run_pipeline does first, timed as start-up
    from dagster import DagsterEventType, DagsterInstance

    instance = DagsterInstance.get()
    t1 = time.perf_counter()
    outcome = run_pipeline(instance=instance, draw=False)
    t2 = time.perf_counter()
    # the files drawn from the published file (report, province and public files) have a job
    # of their own, timed apart: the baseline does not make them
    if outcome.published:
        draw_published_files(outcome, instance)
    t3 = time.perf_counter()
    steps: dict[str, list[float]] = {}
    kinds = (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS,
             DagsterEventType.STEP_FAILURE)
    run_start = run_end = None
    for record in instance.all_logs(outcome.run_id):
        event = record.dagster_event
        run_start = record.timestamp if run_start is None else min(run_start, record.timestamp)
        run_end = record.timestamp if run_end is None else max(run_end, record.timestamp)
        if event and event.event_type in kinds and record.step_key:
            steps.setdefault(record.step_key, []).append(record.timestamp)
    blocked = [f for f in outcome.step_failures if "asset check failed" in f]
    _answer({
        "success": outcome.success, "run_id": outcome.run_id, "published": outcome.published,
        "checks_failed": [f"{c.asset} {c.name}: {c.description}"
                          for c in outcome.failed_checks if c.blocking],
        "step_failures": [f for f in outcome.step_failures if f not in blocked],
        "startup_s": t1 - t0, "run_s": t2 - t1, "draw_s": t3 - t2,
        "steps": {k: max(v) - min(v) for k, v in steps.items()},
    })


def baseline_prelude(landing: str, key: bytes) -> str:
    """What benchmarks/baseline.sql takes from the homes of the rules: the cleaning of a
    value, the fold, the date parser, the yes/no words, the open end of a unit version and
    the contract's defaults."""
    import yaml

    from kyluat.config import DBT_PROJECT_DIR, SEEDS_DIR
    from kyluat.contract import AGGREGATE_REPORTS, MEMBER_DISCIPLINES
    from kyluat.readers import sql_text
    from kyluat.reference import FOLD_SQL
    from kyluat.validation import FALSE_WORDS, TRUE_WORDS, normalized_sql, parse_date_sql

    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    block = key.ljust(64, b"\0")
    defaults = {"default_status": MEMBER_DISCIPLINES.column("status").default,
                "default_value_qualifier": AGGREGATE_REPORTS.column("value_qualifier").default,
                "default_scope": AGGREGATE_REPORTS.column("scope").default}
    return "\n".join([
        f"create or replace macro clean(s) as {normalized_sql('s')};",
        f"create or replace macro kyluat_fold(s) as {FOLD_SQL};",
        f"create or replace macro pdate(s) as {parse_date_sql('s')};",
        f"create or replace macro to_bool(s) as coalesce(kyluat_fold(s) in {TRUE_WORDS}, false);",
        "create or replace macro is_bool(s) as "
        f"s is null or kyluat_fold(s) in {TRUE_WORDS} or kyluat_fold(s) in {FALSE_WORDS};",
        f"set variable landing = {sql_text(landing)};",
        f"set variable seeds = {sql_text(str(SEEDS_DIR))};",
        f"set variable ipad = '{bytes(b ^ 0x36 for b in block).hex()}';",
        f"set variable opad = '{bytes(b ^ 0x5C for b in block).hex()}';",
        f"set variable open_valid_to = date '{dbt_vars['open_valid_to']}';",
        *(f"set variable {name} = {sql_text(value)};" for name, value in defaults.items()),
    ])


def child_baseline(landing: str, db: str) -> None:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(db)
    con.execute(baseline_prelude(landing, BENCH_KEY.encode()))
    con.execute(BASELINE_SQL.read_text())
    con.execute("checkpoint")
    con.close()
    _answer({"baseline_s": time.perf_counter() - t0})


# --------------------------------------------------------------------------- checks

HEADLINES = {
    "members disciplined per unit and year (as_of tree)": (
        "select unit_code, decision_year, members_disciplined from marts.mart_discipline_unit_year "
        "where structure = 'as_of' and members_disciplined > 0",
        "select unit_code, decision_year, members_disciplined from members_by_unit_year"),
    "decision facts (rows, counted rows, members, forms)": (
        "select count(*), count(*) filter (where counts_in_totals), count(distinct member_key), "
        "min(member_key), max(member_key), count(*) filter (where discipline_form = 'expulsion')"
        " from marts.fct_member_discipline",
        "select count(*), count(*) filter (where counts_in_totals), count(distinct member_key), "
        "min(member_key), max(member_key), count(*) filter (where discipline_form = 'expulsion')"
        " from fct_member_discipline"),
    "ancestry roll-up (unit, ancestor, validity)": (
        "select count(*), count(distinct unit_code), sum(distance), min(valid_from), "
        "max(valid_to) from marts.bridge_org_unit_ancestry",
        "select count(*), count(distinct unit_code), sum(distance), min(valid_from), "
        "max(valid_to) from ancestry"),
    "reconciliation computed values of submitted figures": (
        "select source_ref, reporting_unit_code, period_start, period_end, measure, subject_kind,"
        " authority_type, as_of_date, published_value, computed_value "
        "from marts.rpt_published_reconciliation where figure_origin = 'submitted'",
        "select source_ref, reporting_unit_code, period_start, period_end, measure, subject_kind,"
        " authority_type, as_of_date, published_value, computed_value from reconciliation"),
}


def check_headlines(published: Path, baseline: Path) -> dict[str, int]:
    """The baseline must answer exactly what the pipeline published; stop loudly otherwise."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"attach '{published}' as pub (read_only)")
    con.execute(f"attach '{baseline}' as base (read_only)")
    compared: dict[str, int] = {}
    problems = []
    for name, (pipeline_sql, baseline_sql) in HEADLINES.items():
        con.execute("use pub")
        ours = sorted(map(tuple, con.execute(pipeline_sql).fetchall()), key=repr)
        con.execute("use base")
        theirs = sorted(map(tuple, con.execute(baseline_sql).fetchall()), key=repr)
        if ours != theirs:
            only_ours = [r for r in ours if r not in set(theirs)][:5]
            only_theirs = [r for r in theirs if r not in set(ours)][:5]
            problems.append(f"{name}: pipeline {len(ours)} rows, baseline {len(theirs)} rows; "
                            f"only in pipeline {only_ours}; only in baseline {only_theirs}")
        compared[name] = len(ours)
    con.close()
    if problems:
        raise SystemExit("BASELINE DISAGREES WITH THE PIPELINE:\n" + "\n".join(problems))
    return compared


# --------------------------------------------------------------------------- analyst queries

def analyst_queries(unit: str, year: int) -> list[str]:
    """The analyst guide's queries, on a generated province and year instead of Quang Nam's."""
    blocks = re.findall(r"```sql\n(.*?)```", ANALYST_GUIDE.read_text(), flags=re.S)
    queries = []
    for block in blocks:
        sql = block.strip().rstrip(";").replace("'QNM'", f"'{unit}'")
        sql = re.sub(r"\b2023\b", str(year), sql)
        queries.append(sql)
    return queries


def time_queries(db: Path, queries: list[str], repeat: int) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    per_query, samples = [], []
    for sql in queries:
        con.execute(sql).fetchall()  # warm-up: the first read of a file is not what we measure
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            con.execute(sql).fetchall()
            times.append((time.perf_counter() - start) * 1000)
        samples += times
        per_query.append({"query": " ".join(sql.split())[:90],
                          "p50_ms": round(statistics.median(times), 2),
                          "max_ms": round(max(times), 2)})
    con.close()
    samples.sort()
    return {"query_p50_ms": round(statistics.median(samples), 2),
            "query_p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
            "queries": per_query}


# --------------------------------------------------------------------------- one scale

def _dbt_models(warehouse: Path, run_id: str, top: int = 12) -> dict:
    """Per-node times of this run's `dbt build`, from the results the dbt step keeps."""
    path = warehouse / "logs" / "dbt" / f"{run_id}.json"
    if not path.exists():
        return {}
    result = json.loads(path.read_text())
    nodes = sorted(result["nodes"], key=lambda r: -r["seconds"])
    models = sum(r["seconds"] for r in nodes if r["unique_id"].startswith("model."))
    tests = sum(r["seconds"] for r in nodes if r["unique_id"].startswith("test."))
    return {"dbt_elapsed_s": round(result["seconds"], 2),
            "models_s": round(models, 2), "tests_s": round(tests, 2), "nodes": len(nodes),
            "slowest": {r["unique_id"].split(".", 2)[-1]: round(r["seconds"], 2)
                        for r in nodes[:top]}}


def time_noop(env: dict[str, str], published: Path) -> tuple[float, bool]:
    """`kyluat run` once more with nothing new: wall seconds, and whether the published file
    stayed byte for byte."""
    import hashlib

    before = hashlib.sha256(published.read_bytes()).hexdigest()
    os.sync()  # as _run_child
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("kyluat")), "run"], env=env, cwd=REPO,
                   check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return seconds, hashlib.sha256(published.read_bytes()).hexdigest() == before


def _stage_split(steps: dict[str, float]) -> dict[str, float]:
    split = {"ingest": 0.0, "dbt": 0.0, "checks": 0.0, "publish": 0.0}
    for step, seconds in steps.items():
        if step == "submitted_files":
            split["ingest"] += seconds
        elif step.startswith("dbt_"):
            split["dbt"] += seconds
        elif step.startswith("published"):
            split["publish"] += seconds
        else:
            split["checks"] += seconds
    return {k: round(v, 2) for k, v in split.items()}


def _link_tree(src: Path, dst: Path, skip: set[str]) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src).as_posix()
        if path.is_file() and rel not in skip:
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, dst / rel)


def _require(run: dict, what: str) -> None:
    """Ingestion and dbt must have run; a blocking data check that failed is reported."""
    if run["step_failures"]:
        raise SystemExit(f"{what} failed: {run['step_failures']}")
    for failure in run["checks_failed"]:
        print(f"WARNING {what}: blocking check failed, nothing published: {failure}",
              flush=True)


def bench_scale(scale: float, seed: int, work: Path, repeat: int, incremental: bool) -> dict:
    from synthetic.generate import Plan, generate

    root = work / f"scale_{scale:g}"
    shutil.rmtree(root, ignore_errors=True)
    generated, landing = root / "generated", root / "landing"
    print(f"[scale {scale:g}] generating", flush=True)
    start = time.perf_counter()
    counts = generate(generated, scale, seed)
    generate_s = time.perf_counter() - start
    (generated / "README.md").rename(root / "README.md")  # not a submission
    plan = Plan.of(scale, seed)
    last = f"{plan.years[-1]}-12"
    held = {f"{kind}/{last}.csv" for kind in HELD_BACK_KINDS}
    _link_tree(generated, landing, held)
    rows = sum(n for rel, n in counts.items() if rel not in held)
    held_rows = sum(counts[rel] for rel in held)

    print(f"[scale {scale:g}] pipeline on {rows:,} rows", flush=True)
    env = _child_env(root, landing)
    run, wall, rss = _run_child(["_pipeline"], env, root / "pipeline.log")
    _require(run, f"pipeline at scale {scale:g}")
    pipeline_s = wall - run["draw_s"]  # the drawn files are timed apart
    # A blocking check that failed stops publication: the marts are then read from the
    # working file (same tables), and the failure is reported beside the timings.
    published = root / "warehouse" / "analytics.duckdb"
    if not published.exists():
        published = root / "warehouse" / "discipline.duckdb"

    print(f"[scale {scale:g}] baseline", flush=True)
    base_db = root / "baseline.duckdb"
    base, baseline_wall, base_rss = _run_child(
        ["_baseline", str(landing), str(base_db)], env, root / "baseline.log")
    compared = check_headlines(published, base_db)
    print(f"[scale {scale:g}] baseline agrees: {compared}", flush=True)

    inc, incremental_s, inc_rss = None, None, 0
    if incremental:
        print(f"[scale {scale:g}] incremental: + {held_rows:,} rows", flush=True)
        for rel in sorted(held):
            os.link(generated / rel, landing / rel)
        inc, inc_wall, inc_rss = _run_child(["_pipeline"], env, root / "incremental.log")
        _require(inc, f"incremental run at scale {scale:g}")
        incremental_s = inc_wall - inc["draw_s"]
    noop_s, noop_identical = (time_noop(env, published) if incremental and
                              published.name == "analytics.duckdb" else (None, None))

    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    unit, year = con.execute("""
        select unit_code, decision_year from marts.mart_discipline_unit_year
        where structure = 'as_of' and level = 'province'
        order by members_disciplined desc, unit_code limit 1""").fetchone()
    con.close()
    queries = time_queries(published, analyst_queries(unit, year), repeat)
    result = {
        "scale": scale, "years": f"{plan.years[0]}-{plan.years[-1]}",
        "input_rows": rows, "input_files": len(counts) - len(held),
        "generate_s": round(generate_s, 2),
        "pipeline_s": round(pipeline_s, 2), "baseline_s": round(baseline_wall, 2),
        "draw_s": round(run["draw_s"], 2),
        "incremental_draw_s": round(inc["draw_s"], 2) if inc else None,
        "baseline_sql_s": round(base["baseline_s"], 2),
        "ratio": round(pipeline_s / baseline_wall, 2),
        "peak_rss_mb": round(max(rss, inc_rss)), "baseline_peak_rss_mb": round(base_rss),
        "rows_per_s": round(rows / pipeline_s),
        "baseline_rows_per_s": round(rows / baseline_wall),
        "stages": {"startup": round(run["startup_s"], 2), **_stage_split(run["steps"])},
        "steps": {k: round(v, 2) for k, v in sorted(run["steps"].items(), key=lambda x: -x[1])},
        "dbt": _dbt_models(root / "warehouse", run["run_id"]),
        "incremental_s": round(incremental_s, 2) if inc else None,
        "incremental_rows": held_rows if inc else None,
        "incremental_stages": ({"startup": round(inc["startup_s"], 2),
                                **_stage_split(inc["steps"])} if inc else None),
        "incremental_dbt": _dbt_models(root / "warehouse", inc["run_id"], top=5) if inc
        else None,
        "noop_s": round(noop_s, 2) if noop_s is not None else None,
        "noop_published_identical": noop_identical,
        "full_rebuild_s": round(pipeline_s, 2),
        "headlines_compared": compared,
        "published": run["published"], "blocking_checks_failed": run["checks_failed"],
        "query_unit": unit, "query_year": year, **queries,
    }
    shown = ("pipeline_s", "baseline_s", "ratio", "peak_rss_mb", "rows_per_s", "incremental_s",
             "query_p95_ms")
    print(f"[scale {scale:g}] {json.dumps({k: result[k] for k in shown})}", flush=True)
    return result


def bench_tiny(work: Path, repeat: int) -> dict:
    runs = []
    for i in range(repeat):
        root = work / f"tiny_{i}"
        shutil.rmtree(root, ignore_errors=True)
        landing = root / "landing"
        shutil.copytree(SAMPLE_LANDING, landing)
        run, wall, rss = _run_child(["_pipeline"], _child_env(root, landing), root / "run.log")
        if not run["success"]:
            raise SystemExit(f"tiny sample run failed: {run['step_failures']} "
                             f"{run['checks_failed']}")
        stages = {"startup": run["startup_s"], **_stage_split(run["steps"])}
        stages["other"] = wall - run["draw_s"] - sum(stages.values())
        runs.append({"wall": wall - run["draw_s"], "rss": rss, **stages, "draw": run["draw_s"]})
        print(f"[tiny] run {i + 1}: {wall - run['draw_s']:.1f} s, then "
              f"{run['draw_s']:.1f} s drawing the published files", flush=True)
    median = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    return {"tiny_run_s": median.pop("wall"), "tiny_peak_rss_mb": round(median.pop("rss")),
            "tiny_draw_s": median.pop("draw"),
            "tiny_stages": median, "tiny_runs_s": [round(r["wall"], 2) for r in runs]}


# --------------------------------------------------------------------------- report

def machine() -> dict:
    from importlib.metadata import version

    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 ** 2, 1),
            "python": platform.python_version(), "duckdb": version("duckdb"),
            "dagster": version("dagster"), "dbt_core": version("dbt-core"),
            "dbt_duckdb": version("dbt-duckdb"), "load_average_at_start": os.getloadavg()}


def _verdict(value, limit) -> str:
    if value is None:
        return "not measured"
    return "met" if value < limit else "**missed**"


def _incremental(s: dict) -> str:
    if s["incremental_s"] is None:
        return "-"
    return f"{s['incremental_s']} (+{s['incremental_rows']:,})"


def render_markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"# kyluat benchmark, {results['date']}", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python "
             f"{m['python']}, DuckDB {m['duckdb']}, Dagster {m['dagster']}, dbt-core "
             f"{m['dbt_core']} (dbt-duckdb {m['dbt_duckdb']}); load average at start "
             f"{', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}. "
             "Data: SYNTHETIC (`kyluat generate`).", "",
             "## Targets", "", "| figure | measured | target | verdict |", "|---|---|---|---|"]
    for key, (label, limit, unit) in TARGETS.items():
        value = results["summary"].get(key)
        shown = "n/a" if value is None else f"{value:g} {unit}"
        lines.append(f"| {label} | {shown} | < {limit:g} {unit} | {_verdict(value, limit)} |")
    lines += ["", "Pipeline figures are the `refresh_warehouse` run: files in, checked marts "
              "out, `analytics.duckdb` published, the work `benchmarks/baseline.sql` does. The "
              "files drawn from the published file after it (the report, the province files "
              "and the public file under disclosure control) are a job of their own, "
              "`draw_published_files`, which holds no writer lock; its time is shown beside "
              "each figure and is not in the ratio.", "", "## Per scale", "",
              "| scale | years | input rows | pipeline s | baseline s | ratio | peak RSS MB "
              "| rows/s | incremental s (+rows) | query p50 / p95 ms |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for s in results["scales"]:
        lines.append(f"| {s['scale']:g} | {s['years']} | {s['input_rows']:,} | {s['pipeline_s']} "
                     f"| {s['baseline_s']} | {s['ratio']} | {s['peak_rss_mb']} "
                     f"| {s['rows_per_s']:,} | {_incremental(s)} "
                     f"| {s['query_p50_ms']} / {s['query_p95_ms']} |")
    lines += ["", "## Where the time goes", ""]
    for s in results["scales"]:
        st = s["stages"]
        lines.append(f"- scale {s['scale']:g}: start-up {st['startup']} s, ingest "
                     f"{st['ingest']} s, dbt {st['dbt']} s, checks {st['checks']} s, publish "
                     f"{st['publish']} s. dbt: {s['dbt'].get('dbt_elapsed_s')} s inside dbt "
                     f"(models {s['dbt'].get('models_s')} s, tests {s['dbt'].get('tests_s')} s, "
                     f"{s['dbt'].get('nodes')} nodes); slowest: "
                     + ", ".join(f"`{k}` {v} s" for k, v in
                                 list(s["dbt"].get("slowest", {}).items())[:6])
                     + f". Then `draw_published_files`: {s.get('draw_s')} s.")
        if s["incremental_stages"]:
            lines.append(f"  Incremental run (+{s['incremental_rows']:,} rows, "
                         f"{s['incremental_s']} s against {s['full_rebuild_s']} s for the "
                         f"full build): {s['incremental_stages']}; then "
                         f"`draw_published_files`: {s.get('incremental_draw_s')} s.")
        if s.get("noop_s") is not None:
            lines.append(f"  `kyluat run` again with nothing new: {s['noop_s']} s; published "
                         f"file byte-identical: {s['noop_published_identical']}.")
        if s["blocking_checks_failed"]:
            lines.append(f"  Not published (blocking checks failed, marts read from the working "
                         f"file): {'; '.join(s['blocking_checks_failed'])[:400]}")
    if "tiny_run_s" in results:
        lines += ["", f"Tiny bundled sample: {results['tiny_run_s']} s (median of "
                  f"{results['tiny_runs_s']}), stages {results['tiny_stages']}; then "
                  f"`draw_published_files`: {results.get('tiny_draw_s')} s."]
    lines += ["", "Figures are wall-clock seconds on a machine shared with other work; see "
              "benchmarks/README.md for how to read them.", ""]
    return "\n".join(lines)


def _exit_like_kyluat() -> None:
    """A child ends as the `kyluat` command does (orchestration.cli.run_from_shell): exit
    handlers run, output flushed, then out without tearing the interpreter down, so the wall
    time is what an operator waits for."""
    import atexit

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_pipeline":
        child_pipeline()
        _exit_like_kyluat()
    if argv and argv[0] == "_baseline":
        child_baseline(argv[1], argv[2])
        _exit_like_kyluat()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1, 10])
    parser.add_argument("--quick", action="store_true", help="scale 0.1 only")
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the tiny sample and of each query (medians)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--no-tiny", action="store_true", help="skip the tiny-sample runs")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    scales = [0.1] if args.quick else args.scales
    work = args.work or Path(tempfile.mkdtemp(prefix="kyluat-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"date": date.today().isoformat(), "machine": machine(), "seed": args.seed,
                     "scales": []}
    stem = args.out / results["date"]
    try:
        # Results are written after every phase: a long run stopped half-way keeps what it
        # measured. The incremental run is measured on the largest warehouse only.
        for scale in scales:
            results["scales"].append(bench_scale(scale, args.seed, work, args.repeat,
                                                 incremental=scale == max(scales)))
            write_results(results, stem)
        if not args.no_tiny:
            results.update(bench_tiny(work, args.repeat))
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    markdown = write_results(results, stem)
    print(markdown)
    print(f"results: {stem}.json, {stem}.md")
    return 0


def write_results(results: dict, stem: Path) -> str:
    largest = max(results["scales"], key=lambda s: s["scale"])
    ten = next((s for s in results["scales"] if s["scale"] == 10), None)
    results["summary"] = {
        "ratio_scale_10": ten["ratio"] if ten else None,
        "peak_rss_mb": max(s["peak_rss_mb"] for s in results["scales"]),
        "incremental_s": largest["incremental_s"], "full_rebuild_s": largest["full_rebuild_s"],
        "incremental_scale": largest["scale"],
        "query_p50_ms": largest["query_p50_ms"], "query_p95_ms": largest["query_p95_ms"],
        "tiny_run_s": results.get("tiny_run_s"),
        "noop_s": largest.get("noop_s"),
        "noop_published_identical": largest.get("noop_published_identical"),
    }
    stem.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{stem}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    markdown = render_markdown(results)
    Path(f"{stem}.md").write_text(markdown)
    return markdown


if __name__ == "__main__":
    sys.exit(main())
