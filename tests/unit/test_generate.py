"""`kyluat generate`: deterministic SYNTHETIC national data that passes the contract."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from kyluat.config import Settings
from kyluat.submission_check import validate_files
from orchestration.cli import main
from synthetic.generate import Plan, generate

SCALE = 0.01


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _rows(root: Path, kind: str) -> list[dict]:
    rows = []
    for path in sorted((root / kind).iterdir()):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                rows += list(csv.DictReader(fh))
        elif path.suffix == ".ndjson":
            rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            rows += json.loads(path.read_text(encoding="utf-8"))
    return rows


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("generated")
    return out, generate(out, SCALE, seed=7)


def test_same_seed_same_bytes_other_seed_other_data(generated, tmp_path):
    out, _ = generated
    assert main(["generate", "--out", str(tmp_path / "again"), "--scale", str(SCALE),
                 "--seed", "7"]) == 0
    assert _files(tmp_path / "again") == _files(out)

    generate(tmp_path / "other", SCALE, seed=8)
    other = _files(tmp_path / "other")
    assert other.keys() == _files(out).keys()
    assert other["activities/2024-06.csv"] != _files(out)["activities/2024-06.csv"]


def test_every_file_passes_the_contract(generated, tmp_path):
    out, counts = generated
    files = [out / rel for rel in counts]
    settings = Settings.from_env(landing_dir=tmp_path, warehouse_dir=tmp_path)  # nothing published
    assert validate_files(files, settings) == []


def test_landing_layout_formats_and_readme(generated):
    out, counts = generated
    kinds = {rel.split("/")[0] for rel in counts}
    assert kinds == {"org_units", "memberships", "member_disciplines", "org_disciplines",
                     "activities", "aggregate_reports", "governance_indicators"}
    assert {f"member_disciplines/2024-{m:02d}.csv" for m in range(1, 13)} <= counts.keys()
    assert {f"activities/2024-{m:02d}.csv" for m in range(1, 13)} <= counts.keys()
    assert any(rel.endswith(".ndjson") for rel in counts)
    assert any(rel.endswith(".json") for rel in counts)
    assert "SYNTHETIC" in (out / "README.md").read_text(encoding="utf-8")


def test_rough_counts(generated):
    _, counts = generated
    by_kind: dict[str, int] = {}
    for rel, rows in counts.items():
        by_kind[rel.split("/")[0]] = by_kind.get(rel.split("/")[0], 0) + rows
    assert by_kind["activities"] == 5_000  # 500,000 a year at scale 1
    assert 180 <= by_kind["member_disciplines"] <= 330  # about 25,000 a year at scale 1
    assert by_kind["org_units"] > 1_000
    one, ten, tenth = Plan.of(1), Plan.of(10), Plan.of(0.1)
    assert one.years == (2024,) and one.grassroots == 60_000 and one.districts == 696
    assert ten.years == tuple(range(2015, 2025)) and ten.activities_per_year == 500_000
    assert tenth.years == (2024,) and tenth.activities_per_year == 50_000
    assert tenth.grassroots == 10_035  # the real communes, no other grassroots units


def test_national_tree_and_its_2025_history(generated):
    out, counts = generated
    assert counts["org_units/vietnam_admin_units.csv"] == 14_150  # the real tree, whole
    units = _rows(out, "org_units")
    provinces = [u for u in units if u["level"] == "province"]
    assert len(provinces) == 63 + 34
    merged = [u for u in provinces if u["valid_to"]]
    assert len(merged) == 63 and all(u["valid_to"] == "2025-07-01" and u["successor_codes"]
                                     for u in merged)
    districts = [u for u in units if u["level"] == "district"]
    assert len(districts) == 696
    assert all(u["valid_to"] == "2025-07-01" and u["successor_codes"] for u in districts)
    new_provinces = {u["unit_code"] for u in provinces if not u["valid_to"]}
    moved = [u for u in units if u["level"] in ("grassroots", "cell")
             and u["valid_from"] == "2025-07-01"]
    # from 2025-07-01 every grassroots unit is under a new province, every cell under a
    # grassroots unit of the new tree
    grassroots_after = {u["unit_code"] for u in moved if u["level"] == "grassroots"}
    assert len(grassroots_after) >= 3_321
    assert all(u["parent_code"] in new_provinces for u in moved if u["level"] == "grassroots")
    assert all(u["parent_code"] in grassroots_after for u in moved if u["level"] == "cell")
    assert [u["level"] for u in units if u["unit_code"] == "TW"] == ["central"]


def test_member_rules_of_the_contract(generated):
    out, _ = generated
    rows = _rows(out, "member_disciplines")
    for row in rows:
        if row["is_probationary"] == "true":
            assert row["discipline_form"] in ("reprimand", "warning")
        if row["discipline_form"] == "removal_from_post":
            assert row["is_committee_member"] == "true"
        assert all(c for c in row["violation_categories"].split(";"))
    assert any(";" in row["violation_categories"] for row in rows)
    assert {row["status"] for row in rows} >= {"in_force"}
    reports = _rows(out, "aggregate_reports")
    assert any(r["reporting_unit_code"] == "TW" and r["measure"] == "inspected" for r in reports)
