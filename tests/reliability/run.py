"""`make reliability`: the kill-and-rerun suite and the input fuzzer at full size, with their
figures. `python -m tests.reliability.run --kills 50 --fuzz 200 [--seed 18] [--work DIR]`."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from kyluat.config import SAMPLE_LANDING, Settings
from tests.reliability import full_disk, fuzz, kill


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=52)
    parser.add_argument("--fuzz", type=int, default=220)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--work", help="folder for the trials (default: a temporary one)")
    args = parser.parse_args(argv)
    os.environ.setdefault("KYLUAT_PSEUDONYM_KEY", "kyluat-reliability-key")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    work = Path(args.work or tempfile.mkdtemp(prefix="kyluat-reliability-"))
    failed = False
    started = time.monotonic()

    if args.fuzz:
        root = work / "fuzz"
        shutil.rmtree(root, ignore_errors=True)
        for folder in ("landing", "warehouse"):
            (root / folder).mkdir(parents=True)
        report = fuzz.run_fuzz(Settings(root / "landing", root / "warehouse"),
                               fuzz.cases(args.fuzz, args.seed))
        print(f"fuzz: {report.cases} cases, {len(report.by_mutation)} mutations, "
              f"{len(report.failures)} failures")
        for failure in report.failures:
            print(f"  {failure}")
        failed |= bool(report.failures)

    if args.kills:
        sample = work / "sample"
        shutil.rmtree(sample, ignore_errors=True)
        shutil.copytree(SAMPLE_LANDING, sample / "landing")
        (sample / "warehouse").mkdir(parents=True)
        (sample / "dagster").mkdir()
        code, out = kill.run_to_end(sample)
        if code != 0:
            print(f"the sample did not publish:\n{out[-2000:]}")
            return 1
        kill.make_base(work / "base", sample / "warehouse", sample / "landing")
        report = kill.run_kill_suite(work / "base", work / "kills", args.kills, args.seed)
        for line in report.lines():
            print(line)
        failed |= bool(report.mismatches or report.bad_states or
                       report.recoveries != len(report.trials))
        if full_disk.namespaces_available():
            for stage in kill.STAGE_ORDER:
                trial = full_disk.full_disk_trial(work / "base", work / f"full_disk_{stage}",
                                                  stage, rerun=True)
                held = full_disk.held(trial)
                print(f"full disk in {stage}: previous published file kept, working file "
                      "consistent, 'No space left on device' said, rerun published"
                      if held else f"full disk in {stage}: FAILED {trial}")
                failed |= not held
        else:
            print("full disk: skipped (no user and mount namespaces here: unshare failed)")
    print(f"reliability: {'FAILED' if failed else 'passed'} in {time.monotonic() - started:.0f} s"
          + (f" (trials kept in {work})" if failed or args.work else ""))
    if not failed and not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
