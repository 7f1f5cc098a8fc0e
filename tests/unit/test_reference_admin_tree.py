"""`kyluat reference admin-tree`: the real tree of `vietnamadminunits` as an org_units file."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from kyluat.config import Settings
from kyluat.submission_check import validate_files
from orchestration.cli import main


@pytest.fixture(scope="module")
def tree_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tree")
    assert main(["reference", "admin-tree", "--out", str(out)]) == 0
    return out / "org_units" / "vietnam_admin_units.csv"  # as README says


@pytest.fixture(scope="module")
def units(tree_file) -> dict[str, dict]:
    with tree_file.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_code = {row["unit_code"]: row for row in rows}
    assert len(by_code) == len(rows), "one version per code"
    return by_code


def test_the_tree_has_the_official_counts_before_and_after_2025_07_01(units):
    counts = Counter((u["level"], u["valid_to"]) for u in units.values())
    assert counts == {
        ("central", ""): 1,
        ("province", "2025-07-01"): 63, ("district", "2025-07-01"): 696,
        ("grassroots", "2025-07-01"): 10_035,
        ("province", ""): 34, ("grassroots", ""): 3_321,
    }
    assert sum(counts.values()) == 14_150
    assert all(unicodedata.is_normalized("NFC", u["name"]) for u in units.values())


def test_reused_gso_codes_stay_apart_and_mergers_name_the_new_units(units):
    # GSO 48 is old and new Đà Nẵng; Quảng Nam (49) merged into the new one
    assert (units["P48"]["name"], units["P48"]["valid_to"]) == ("Thành phố Đà Nẵng",
                                                                 "2025-07-01")
    assert units["P48"]["successor_codes"] == units["P49"]["successor_codes"] == "P48-2025"
    assert (units["P48-2025"]["valid_from"], units["P48-2025"]["parent_code"]) == (
        "2025-07-01", "TW")
    # a district goes to its province's successor; an island district to its special zone
    assert units["D490"]["successor_codes"] == "P48-2025"  # Quận Liên Chiểu
    assert units["D755"]["successor_codes"] == "C26732-2025"
    assert units["C26732-2025"]["name"] == "Đặc khu Côn Đảo"
    # every old unit has successors, each a unit that opens on 2025-07-01
    for unit in units.values():
        if unit["valid_to"]:
            successors = unit["successor_codes"].split(";")
            assert successors and all(units[s]["valid_from"] == "2025-07-01"
                                      for s in successors), unit


def test_a_split_commune_lists_the_package_default_successor_first(units):
    # Xã Tân Thạnh (Thới Lai, Cần Thơ) went mostly to the new Xã Trường Thành
    assert units["C31268"]["successor_codes"] == "C31288-2025;C31666-2025"
    assert units["C31288-2025"]["name"] == "Xã Trường Thành"
    split = [u for u in units.values() if ";" in u["successor_codes"]]
    assert len(split) == 471


def test_the_file_passes_the_contract(tree_file, tmp_path):
    assert validate_files([tree_file], Settings.from_env(warehouse_dir=tmp_path)) == []
