"""The Dagster definitions against a committed snapshot (asset keys and groups, checks and
whether they block, jobs, schedules, sensors): a change of lineage shows in review as a diff
of tests/integration/definitions_snapshot.json. After an intended change:
`KYLUAT_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/integration/test_definitions_snapshot.py`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from orchestration.definitions import defs

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def describe_definitions() -> dict:
    graph = defs.resolve_asset_graph()
    assets = {key.to_user_string(): {
        "group": graph.get(key).group_name,
        "upstream": sorted(k.to_user_string() for k in graph.get(key).parent_keys)}
        for key in graph.get_all_asset_keys()}
    checks = {f"{key.asset_key.to_user_string()}:{key.name}": graph.get_check_spec(key).blocking
              for key in graph.asset_check_keys}
    return {
        "assets": dict(sorted(assets.items())),
        "checks": dict(sorted(checks.items())),
        # what each job runs: the assets and checks it selects
        "jobs": {job.name: sorted(
            [k.to_user_string() for k in job.asset_layer.selected_asset_keys]
            + [f"{k.asset_key.to_user_string()}:{k.name}"
               for k in job.asset_layer.asset_graph.asset_check_keys])
            for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name)
            if not job.name.startswith("__")},
        "schedules": sorted((s.name, s.cron_schedule) for s in defs.schedules),
        "sensors": sorted(s.name for s in defs.sensors),
    }


def test_definitions_match_the_snapshot():
    current = json.loads(json.dumps(describe_definitions()))  # tuples as lists
    if os.environ.get("KYLUAT_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n")
    assert current == json.loads(SNAPSHOT.read_text())
