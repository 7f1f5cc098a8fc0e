"""Ingest alone: `run_ingest` on one landing directory into a fresh warehouse directory.

    python benchmarks/ingest_only.py LANDING WAREHOUSE

Prints wall time and the peak RSS of this process (DuckDB runs in it).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import time
from pathlib import Path

landing, warehouse = Path(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(warehouse, ignore_errors=True)
os.environ.update(KYLUAT_LANDING_DIR=str(landing), KYLUAT_WAREHOUSE_DIR=str(warehouse),
                  KYLUAT_PSEUDONYM_KEY="kyluat-benchmark-key")

from kyluat.config import Settings  # noqa: E402
from kyluat.ingest import run_ingest  # noqa: E402

start = time.perf_counter()
summary = run_ingest(Settings.from_env(), run_id="bench")
elapsed = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"ingest {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB, {summary.files_new} files new, "
      f"{summary.files_rejected} rejected, {summary.rows_accepted} rows accepted, "
      f"{summary.rows_quarantined} quarantined")
