"""A full disk at each stage: the warehouse folder is a size-limited tmpfs of its own, mounted
in a private mount namespace (`unshare --user --map-root-user --mount`: no root needed where
user namespaces are allowed, and nothing is mounted for the rest of the machine). `kyluat -v
run` is paused (SIGSTOP to its process group) when a stage starts, the filesystem is filled
to the last byte, and the run goes on (SIGCONT). It must fail saying the disk is full, leave
the previous published file byte for byte and a working file that opens and is consistent
(every loaded file's rows all in raw, or none), and run to the end once space is freed.

The parent (`full_disk_trial`) starts this module's `main` inside the namespace for each stage
and reads its JSON result."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import duckdb

from kyluat.config import REPO_ROOT
from kyluat.contract import KINDS
from tests.reliability.kill import STAGES, copy_base, kyluat_run, run_to_end

HEADROOM = 256 << 20  # the tmpfs: the base warehouse and this much; the filler takes it all


def namespaces_available() -> bool:
    try:
        return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def full_disk_trial(base: Path, root: Path, stage: str, rerun: bool) -> dict:
    """One stage's trial in a private mount namespace; its result as a dict."""
    command = ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
               "tests.reliability.full_disk", "--base", str(base), "--root", str(root),
               "--stage", stage, *(["--rerun"] if rerun else [])]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the {stage} trial did not finish: {done.stderr[-3000:]}")
    return json.loads(lines[-1])


def held(trial: dict) -> bool:
    """The trial kept its guarantees (and, when it reran, recovered)."""
    return (trial["filled"] and trial["exit_code"] != 0 and trial["said_disk_full"]
            and trial["published_unchanged"] and trial["working_consistent"]
            and not trial["leftovers"]
            and trial.get("rerun_code", 0) == 0 and trial.get("rerun_published", True))


def _fill(folder: Path) -> int:
    """Write zeros into `folder` until the filesystem is full; the bytes written."""
    written = 0
    with (folder / "filler").open("wb", buffering=0) as fh:
        for size in (1 << 20, 4096, 1):
            block = b"\0" * size
            try:
                while True:
                    written += fh.write(block)
            except OSError:
                continue
    return written


def _consistent(working: Path) -> tuple[bool, dict]:
    """Every file registered as loaded has all its accepted rows in raw, and raw has no row of
    a file it does not know: (consistent, rows per kind)."""
    with duckdb.connect(str(working), read_only=True) as con:
        rows = {k: con.execute(f"select count(*) from raw.{k}").fetchone()[0] for k in KINDS}
        loaded = " union all ".join(f"select _file_id from raw.{k}" for k in KINDS)
        bad = con.execute(f"""
            select count(*) from audit.file_registry r
            full join (select _file_id, count(*) as n from ({loaded}) group by all) l
                on l._file_id = r.file_id
            where coalesce(r.accepted_count, -1) <> coalesce(l.n, 0)
        """).fetchone()[0]
    return bad == 0, rows


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--stage", required=True, choices=sorted(set(STAGES.values())))
    parser.add_argument("--rerun", action="store_true")
    args = parser.parse_args(argv)
    base, root = Path(args.base), Path(args.root)
    copy_base(base, root)
    warehouse = root / "warehouse"
    size = sum(p.stat().st_size for p in warehouse.rglob("*") if p.is_file()) + HEADROOM
    shutil.rmtree(warehouse)
    warehouse.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(warehouse)],
                   check=True)
    shutil.copytree(base / "warehouse", warehouse, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("logs"))
    published, working = warehouse / "analytics.duckdb", warehouse / "discipline.duckdb"
    before_sha = _sha256(published)
    _, before_rows = _consistent(working)

    process = kyluat_run(root, verbose=True)
    filled = threading.Event()
    output: list[str] = []

    def follow() -> None:
        for line in process.stdout:
            output.append(line)
            if filled.is_set() or " - dagster - " not in line:
                continue
            if any(f" - {m}" in line and s == args.stage for m, s in STAGES.items()):
                os.killpg(process.pid, signal.SIGSTOP)
                try:
                    _fill(warehouse)
                finally:
                    filled.set()
                    os.killpg(process.pid, signal.SIGCONT)

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    code = process.wait(timeout=1800)
    reader.join(timeout=30)
    text = "".join(output)
    consistent, rows = _consistent(working)
    result = {
        "stage": args.stage, "filled": filled.is_set(), "exit_code": code,
        "said_disk_full": "No space left on device" in text or "disk is full" in text,
        "message": next((line.strip() for line in output if "No space left" in line), "")[:400],
        "published_unchanged": _sha256(published) == before_sha,
        "working_consistent": consistent,
        "working_rows": "previous" if rows == before_rows else "new",
        "leftovers": sorted(p.name for p in warehouse.glob(".analytics.duckdb.*.tmp*")),
        "tail": text[-1500:] if code == 0 or not filled.is_set() else "",
    }
    if args.rerun:
        (warehouse / "filler").unlink()
        rerun_code, _ = run_to_end(root)
        result["rerun_code"] = rerun_code
        result["rerun_published"] = _sha256(published) != before_sha
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
