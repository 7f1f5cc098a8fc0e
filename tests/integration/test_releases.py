"""Releases: a frozen, citable copy of the published figures that later runs never change, and
the difference between two releases with its reasons.

The runs here are the refresh job alone (`draw=False`): what is drawn after it is tested
in test_tiers.py and test_report.py."""

from __future__ import annotations

import csv
import json
import stat

import duckdb

from orchestration.cli import main
from orchestration.release_assets import release_published
from orchestration.resources import WarehouseResource
from tests.conftest import PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION, write

FIGURE = ("select computed_value from marts.rpt_published_reconciliation "
          "where figure_id = 'QNM-2124-PC-IS'")

# One decision the province's party committee took in 2023 through inspection, sent late:
# it belongs to the figure of 2021-2023 (party committees, inspection and supervision).
LATE_FILE = "member_disciplines/2023_late_d12.csv"
LATE_ROW = ("deciding_unit_code,decision_ref,member_id,authority_type,discipline_form,"
            "decision_date,member_unit_code,violation_categories,channel,is_committee_member,"
            "is_probationary,status\n"
            "QNM-D12,99-QĐ/HU,DV900000001,party_committee,reprimand,2023-06-15,"
            "QNM-D12-G01-C03,corruption_negativity,inspection,false,false,in_force\n")


def test_release_survives_a_late_submission_and_the_diff_names_it(sample_copy, capsys):
    from orchestration.pipeline import run_pipeline

    settings = sample_copy
    # the first release through the Dagster job, as the UI or a schedule would make it
    result = release_published.execute_in_process(
        run_config={"ops": {"freeze_release": {"config": {"name": "2024-year-end"}}}},
        resources={"warehouse": WarehouseResource(warehouse_dir=str(settings.warehouse_dir),
                                                  landing_dir=str(settings.landing_dir))})
    assert result.success
    folder = settings.warehouse_dir / "releases" / "2024-year-end"

    # a DuckDB 1.x client (the pinned one) opens it read-only; written in the pinned format
    con = duckdb.connect(str(folder / "release.duckdb"), read_only=True)
    assert con.execute(FIGURE).fetchone()[0] == PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION
    assert con.execute("select tags['storage_version'] from duckdb_databases() "
                       "where database_name = current_database()").fetchone()[0] == "v1.0.0+"
    tables = {f"{s}.{t}" for s, t in con.execute(
        "select schema_name, table_name from duckdb_tables()").fetchall()}
    con.close()
    header = (folder / "release.duckdb").read_bytes()[8:20]
    assert header[:4] == b"DUCK" and int.from_bytes(header[4:], "little") == 64  # v1.0.0

    assert {p.stem for p in (folder / "parquet").glob("*.parquet")} == tables
    assert len(tables) == 33
    meta = json.loads((folder / "release.json").read_text())
    assert meta["name"] == "2024-year-end" and len(meta["files_received"]) == 15
    assert meta["source_run"]
    with (folder / "dictionary.csv").open(encoding="utf-8") as handle:
        dictionary = list(csv.DictReader(handle))
    assert {row["table"] for row in dictionary} == tables
    by_column = {(row["table"], row["column"]): row for row in dictionary}
    assert by_column[("marts.fct_member_discipline", "source_file_id")]["description"]
    assert "do not add up across violation categories" in by_column[
        ("marts.mart_discipline_by_violation_category", "violation_category")]["warnings"]
    assert "restated after the 2025 reorganisation" in by_column[
        ("marts.mart_discipline_unit_year", "structure")]["warnings"]
    assert not (folder / "diff.txt").exists()  # the first release has nothing to differ from
    # read-only files whose checksums are listed
    for path in [folder, *folder.rglob("*")]:
        assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), path
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(tables) + 3  # parquet files, the DuckDB file, dictionary, metadata

    # never rewritten: the same name is refused in one line, exit 2
    capsys.readouterr()
    assert main(["release", "2024-year-end"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0

    # a late submission arrives; the pipeline runs again (what the release must outlive)
    write(settings.landing_dir / LATE_FILE, LATE_ROW)
    assert run_pipeline(settings=settings, draw=False).success
    assert main(["release", "2025-q1"]) == 0

    capsys.readouterr()
    assert main(["sql", "--release", "2024-year-end", "--format", "csv", FIGURE]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "279"
    assert main(["sql", "--format", "csv", FIGURE]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "280"

    assert main(["diff", "2024-year-end", "2025-q1"]) == 0
    diff = capsys.readouterr().out
    assert "QNM-2124-PC-IS: 279 -> 280 (+1)" in diff
    assert "late submission: 1 decision(s) dated before the cut-off" in diff
    assert LATE_FILE in diff
    assert "marts.fct_member_discipline: 1 added, 0 removed, 0 changed" in diff
    # the diff written with the release is the same
    written = (settings.warehouse_dir / "releases" / "2025-q1" / "diff.txt").read_text()
    assert written == diff

    assert main(["releases"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["2024-year-end", "2025-q1"]
    assert main(["sql", "--release", "nope", "select 1"]) == 2
