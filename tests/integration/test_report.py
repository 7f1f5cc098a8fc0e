"""The static report: built from the published sample (a copy of the session's), opened offline
in headless Chromium; and the report asset that the session's pipeline run materialised."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import duckdb
import pytest

from kyluat.config import REPO_ROOT
from kyluat.report import build_report
from orchestration.cli import main
from tests.browser import open_page
from tests.conftest import (
    PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
    PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
)

pytestmark = pytest.mark.integration

# the screenshot is kept here for a person to look at
ARTIFACTS = Path(os.environ.get("KYLUAT_TEST_ARTIFACTS") or REPO_ROOT / ".artifacts")

# Every chart of the nation's page on the sample: each must be drawn with data marks.
NATION_CHARTS = {"year_level", "provinces", "structures", "breakdown", "violation", "funnel",
                 "terms", "governance", "reconciliation", "files"}


def test_report_opens_offline_with_every_chart_drawn(sample_copy, tmp_path, capsys):
    out = tmp_path / "report"
    started = time.perf_counter()
    assert main(["report", "--warehouse", str(sample_copy.warehouse_dir),
                 "--out", str(out)]) == 0
    build_seconds = time.perf_counter() - started
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / name) for name in ("index.html", "index.en.html",
                                                    "quality.html", "quality.en.html")]
    print(f"report built in {build_seconds:.2f} s")

    with open_page(out / "index.html") as visit:
        page = visit.page
        page.wait_for_function("document.body.dataset.charts", timeout=60_000)
        assert page.evaluate("document.body.dataset.charts") == "rendered", visit.console_errors
        marks = dict(page.evaluate("""[...document.querySelectorAll('figure.chart')].map(f =>
            [f.dataset.figure, f.querySelectorAll('svg .role-mark > *').length])"""))
        assert set(marks) == NATION_CHARTS
        assert all(count > 0 for count in marks.values()), marks
        reconciliation = page.evaluate("""[...document.querySelectorAll(
            '#reconciliation table tbody tr')].map(tr => [...tr.cells].map(td => td.innerText))""")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        assert visit.console_errors == []
        assert visit.network_requests == []
        assert visit.requests == [(out / "index.html").resolve().as_uri()]

    # The founding figures, published and counted from the records, side by side.
    for figure_id, value in (("QNM-2124-PC-IS", PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION),
                             ("QNM-2124-IC-LR",
                              PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY)):
        row = next(cells for cells in reconciliation if figure_id in cells)
        # origin, figure, unit, period, published, computed, status, explanation
        assert row[4:7] == [str(value), str(value), "Khớp"], row  # match, in Vietnamese
    # A superseded district report disagreed with the records and says by how much.
    assert any(cells[6] == "Lệch" and "chênh" in cells[7] for cells in reconciliation)


def test_quality_page_opens_offline_styled_with_every_check(sample_copy):
    """The data-quality page the publication wrote: its styles apply and every check's latest
    result is shown, without a network request (Great Expectations' own Data Docs fetch
    theirs from the internet and show a blank page offline)."""
    with duckdb.connect(str(sample_copy.published_db), read_only=True) as con:
        checks = {(name, asset) for name, asset in con.execute(
            "select distinct check_name, asset from audit.check_results").fetchall()}
    assert len(checks) == 44  # 23 dbt tests and 21 suites: the whole sample run
    with open_page(sample_copy.report_dir / "quality.html") as visit:
        page = visit.page
        page.wait_for_function("document.body.dataset.charts", timeout=60_000)
        assert page.evaluate("document.body.dataset.charts") == "rendered", visit.console_errors
        assert page.evaluate("getComputedStyle(document.querySelector('header'))"
                             ".backgroundColor") == "rgb(122, 16, 16)"
        assert page.evaluate("getComputedStyle(document.querySelector('table'))"
                             ".borderCollapse") == "collapse"
        assert page.evaluate("document.querySelectorAll("
                             "'figure.chart svg .role-mark > *').length") > 0
        rows = page.evaluate("""[...document.querySelectorAll(
            '#every-check tbody tr')].map(tr => [...tr.cells].map(td => td.innerText))""")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "quality.png"), full_page=True)
        assert visit.console_errors == [] and visit.network_requests == []
    assert {(r[0], r[1]) for r in rows} == checks and len(rows) == len(checks)
    assert {r[4] for r in rows} == {"Đạt"}  # every check passed on the sample


def test_province_pages_write_numbers_for_their_language(sample_copy, tmp_path):
    out = tmp_path / "report"
    assert main(["report", "--warehouse", str(sample_copy.warehouse_dir), "--province", "QNM",
                 "--out", str(out)]) == 0
    vi = (out / "QNM.html").read_text(encoding="utf-8")
    en = (out / "QNM.en.html").read_text(encoding="utf-8")
    # Quang Nam's members at the end of 2016 (memberships.csv): 68356.
    assert re.search(r">68\.356<", vi) and re.search(r">68,356<", en)
    assert '<html lang="vi">' in vi and '<html lang="en">' in en
    assert 'href="QNM.en.html"' in vi and 'href="QNM.html"' in en
    assert "Trên 1.000 đảng viên" in vi and "Per 1,000 members" in en
    for page in (vi, en):
        assert not re.search(r"(src|href)=\"https?:", page)
        assert "DV0" not in page  # no member id of the sample's submissions


def test_bad_report_invocations_say_what_to_do(sample_copy, tmp_path, capsys):
    assert main(["report", "--warehouse", str(sample_copy.warehouse_dir),
                 "--province", "XYZ"]) == 2
    assert "XYZ is not a province with figures" in capsys.readouterr().err
    assert main(["report", "--warehouse", str(tmp_path / "empty")]) == 1
    assert "does not exist yet: run `kyluat run`" in capsys.readouterr().err


def test_publication_drew_the_report_and_a_rerun_skips_it(sample_copy):
    report = sample_copy.report_dir
    stamp = json.loads((report / ".source.json").read_text())
    assert stamp["sha256"] == hashlib.sha256(sample_copy.published_db.read_bytes()).hexdigest()
    for name in ("index.html", "index.en.html", "quality.html", "quality.en.html"):
        assert (report / name).exists(), name
    before = (report / "index.html").stat().st_mtime_ns
    result = build_report(sample_copy.published_db, report, skip_if_current=True)
    assert result.skipped and result.pages == []
    assert (report / "index.html").stat().st_mtime_ns == before
