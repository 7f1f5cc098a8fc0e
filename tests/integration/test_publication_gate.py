"""A failed blocking check stops publication and leaves the previous file as it was."""

from __future__ import annotations

import csv
import hashlib

import duckdb
import pytest

from orchestration.cli import main
from orchestration.pipeline import run_pipeline
from tests.conftest import write

pytestmark = pytest.mark.integration


def _revoke_most_decisions(landing):
    """A revision file that revokes every decision of 2021-2023: far more than the suite's
    20 % tolerance of revoked decisions."""
    header = None
    rows = []
    for name in ("2021_districts.csv", "2022_districts.csv", "2023_districts.csv"):
        with (landing / "member_disciplines" / name).open(encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames
            for row in reader:
                rows.append({**row, "status": "revoked"})
    lines = [",".join(header)] + [
        ",".join(f'"{row[c]}"' if "," in row[c] or ";" in row[c] else row[c] for c in header)
        for row in rows]
    write(landing / "member_disciplines" / "2099_mass_revocation.csv", "\n".join(lines) + "\n")
    return len(rows)


def test_failing_expectation_keeps_previous_published_file(sample_copy, capsys):
    workspace = sample_copy
    before = hashlib.sha256(workspace.published_db.read_bytes()).hexdigest()

    revoked = _revoke_most_decisions(workspace.landing_dir)
    assert revoked > 500
    outcome = run_pipeline()

    assert not outcome.published and not outcome.success
    failed = [c for c in outcome.failed_checks if c.name == "ge_fct_member_discipline"]
    assert failed and failed[0].blocking
    message = failed[0].description
    assert "fct_member_discipline.revoked_share" in message, message
    assert "bad revision file" in message
    assert hashlib.sha256(workspace.published_db.read_bytes()).hexdigest() == before
    with duckdb.connect(str(workspace.published_db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_member_discipline "
                           "where status = 'revoked'").fetchone()[0] < 50

    # The CLI says so and exits non-zero.
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert "NOT PUBLISHED" in out and "ge_fct_member_discipline" in out
