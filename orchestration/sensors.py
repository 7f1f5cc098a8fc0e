"""The landing sensor: a new or changed submission starts `refresh_warehouse`, once per content.

Every 30 seconds the sensor lists the finished files under the landing directory
(`KYLUAT_LANDING_DIR`, read at each evaluation; default `$KYLUAT_WAREHOUSE_DIR/landing`).
A file is finished unless a part of its path starts with `.` or `~$` or ends with `.tmp` or
`.part` (an upload in progress, contract §1); those wait until they are renamed.

The cursor remembers the sha256 of every content that has started a run (and, per path, size,
mtime and sha256, so that a file is hashed again only when it changed). A content already seen
never starts a run again: not under a new name, not after a delete and a copy back. One
evaluation that finds new contents asks for one run whose run key is made of their sha256, so
the same batch cannot be launched twice even with a reset cursor.

The sensor `published_files_after_refresh` starts `draw_published_files` after each refresh
that succeeded, once per refresh run (its run key names the run).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_status_sensor,
    sensor,
)

from kyluat.config import Settings
from kyluat.landing import hash_landing
from orchestration.job import JOB_NAME, draw_published_files, refresh_warehouse

SENSOR_NAME = "landing_files"
INTERVAL_SECONDS = 30


@dataclass
class LandingCursor:
    seen: set[str] = field(default_factory=set)  # sha256 of every content that started a run
    files: dict[str, list] = field(default_factory=dict)  # path -> [size, mtime_ns, sha256]

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(seen=set(data.get("seen", [])), files=dict(data.get("files", {})))

    def to_json(self) -> str:
        return json.dumps({"seen": sorted(self.seen), "files": self.files},
                          separators=(",", ":"), sort_keys=True)


def scan(landing_dir: Path, cursor: LandingCursor) -> tuple[list[tuple[str, str]], LandingCursor]:
    """New contents [(relative path, sha256)] and the cursor that remembers them."""
    files = hash_landing(landing_dir, cursor.files)
    new: dict[str, str] = {}  # sha256 -> first path it was found under
    for relative, (*_, sha) in files.items():
        if sha not in cursor.seen and sha not in new:
            new[sha] = relative
    found = sorted((relative, sha) for sha, relative in new.items())
    return found, LandingCursor(seen=cursor.seen | set(new), files=files)


def _describe(found: list[tuple[str, str]], limit: int = 240) -> str:
    text = ", ".join(relative for relative, _ in found)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@sensor(
    name=SENSOR_NAME,
    job_name=JOB_NAME,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts refresh_warehouse when a finished file with a content not seen before "
                "appears in the landing directory (KYLUAT_LANDING_DIR); files named .*, ~$*, "
                "*.tmp or *.part are uploads in progress and wait.",
)
def landing_files_sensor(context: SensorEvaluationContext) -> SensorResult:
    landing_dir = Settings.from_env().landing_dir
    found, cursor = scan(landing_dir, LandingCursor.from_json(context.cursor))
    if not found:
        return SensorResult(skip_reason=SkipReason(f"no new content in {landing_dir}"),
                            cursor=cursor.to_json())
    digest = hashlib.sha256("\n".join(sorted(sha for _, sha in found)).encode()).hexdigest()
    context.log.info(f"{len(found)} new file(s) in {landing_dir}: {_describe(found)}")
    return SensorResult(
        run_requests=[RunRequest(run_key=f"landing-{digest}", tags={
                        "kyluat/trigger": SENSOR_NAME,
            "kyluat/new_files": f"{len(found)}: {_describe(found)}",
        })],
        cursor=cursor.to_json(),
    )


DRAW_SENSOR_NAME = "published_files_after_refresh"


@run_status_sensor(
    name=DRAW_SENSOR_NAME,
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[refresh_warehouse],
    request_job=draw_published_files,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts draw_published_files (report, province files, public file) after each "
                "successful refresh_warehouse; what is already drawn from the published file "
                "is skipped.",
)
def published_files_after_refresh(context: RunStatusSensorContext) -> RunRequest:
    run_id = context.dagster_run.run_id
    return RunRequest(run_key=f"draw-after-{run_id}",
                      tags={"kyluat/trigger": DRAW_SENSOR_NAME, "kyluat/after_run": run_id})
