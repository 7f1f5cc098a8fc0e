"""The bundled Quang Nam sample: deterministic, and calibrated to the published figures.

The founding figures are counted here from the files themselves, with plain csv
and json reading and the rules of CONTRACT.md §6, independently of the generator.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from synthetic.quang_nam import generate

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMITTED = REPO_ROOT / "warehouse" / "samples" / "quang_nam_2021_2023"

# Published in the founding forum (SEED_FIGURES.md), Quang Nam, all levels, 2021-2023.
PUBLISHED_PC_INSPECTION_SUPERVISION = 279
PUBLISHED_IC_LACK_OF_RESPONSIBILITY = 205
PERIOD_START, PERIOD_END = date(2021, 1, 1), date(2023, 12, 31)
KEY = ("deciding_unit_code", "decision_ref", "member_id")

# What a clerk's Vietnamese export means (CONTRACT §4 labels).
VI_COLUMNS = {
    "Mã đơn vị quyết định": "deciding_unit_code", "Số quyết định": "decision_ref",
    "Mã đảng viên": "member_id", "Họ và tên": "member_name", "Thẩm quyền": "authority_type",
    "Hình thức kỷ luật": "discipline_form", "Ngày quyết định": "decision_date",
    "Mã đơn vị đảng viên": "member_unit_code", "Nội dung vi phạm": "violation_categories",
    "Qua công tác": "channel", "Cấp ủy viên": "is_committee_member", "Dự bị": "is_probationary",
    "Trạng thái": "status",
}
YES_NO = {"có": "true", "không": "false"}
VI_VALUES = {
    "authority_type": {"cấp ủy": "party_committee", "ủy ban kiểm tra": "inspection_committee"},
    "discipline_form": {"khiển trách": "reprimand", "cảnh cáo": "warning",
                        "cách chức": "removal_from_post", "khai trừ": "expulsion"},
    "channel": {"kiểm tra": "inspection", "giám sát": "supervision",
                "giải quyết tố cáo, khiếu nại": "complaint_denunciation", "khác": "other"},
    "is_committee_member": YES_NO,
    "is_probationary": YES_NO,
}
VI_CATEGORIES = {
    "nguyên tắc tập trung dân chủ, quy chế làm việc": "democratic_centralism",
    "công tác cán bộ": "personnel_work",
    "quản lý, sử dụng đất đai, tài chính, tài sản": "land_finance_assets",
    "đầu tư, mua sắm": "investment_procurement",
    "thiếu trách nhiệm, buông lỏng lãnh đạo": "lack_of_responsibility",
    "tham nhũng, tiêu cực": "corruption_negativity",
    "suy thoái tư tưởng chính trị, đạo đức, lối sống": "degradation",
    "những điều đảng viên không được làm": "prohibited_conduct",
    "trách nhiệm nêu gương": "exemplary_duty",
    "kê khai tài sản": "asset_declaration",
    "dân số, kế hoạch hóa gia đình": "population_policy",
    "hôn nhân gia đình": "marriage_family",
}


def pc_inspection_supervision(row: dict) -> bool:
    return row["authority_type"] == "party_committee" and row["channel"] in (
        "inspection", "supervision")


def ic_lack_of_responsibility(row: dict) -> bool:
    return (row["authority_type"] == "inspection_committee"
            and "lack_of_responsibility" in row["violation_categories"].split(";"))


# ----------------------------------------------------------------------------- reading


def read_records(path: Path) -> list[dict[str, str]]:
    """Rows of one landing file as text, with the contract's English vocabulary."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".json", ".ndjson"):
        records = (json.loads(text) if path.suffix == ".json"
                   else [json.loads(line) for line in text.splitlines()])
        return [{k: _as_text(v) for k, v in r.items()} for r in records]
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [_from_vietnamese(r) if "Số quyết định" in r else r for r in rows]


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _from_vietnamese(row: dict[str, str]) -> dict[str, str]:
    out = {VI_COLUMNS[k]: v for k, v in row.items()}
    for column, labels in VI_VALUES.items():
        out[column] = labels[out[column]]
    out["violation_categories"] = ";".join(
        VI_CATEGORIES[c] for c in out["violation_categories"].split(";"))
    day, month, year = out["decision_date"].split("/")
    out["decision_date"] = f"{year}-{month}-{day}"
    return out


def member_rows(root: Path, with_revision_file: bool = True) -> list[dict[str, str]]:
    """All member-discipline rows in submission order (file names sort in that order)."""
    rows = []
    for path in sorted((root / "landing" / "member_disciplines").iterdir()):
        if with_revision_file or "revision" not in path.name:
            rows += [dict(r, _file=path.name) for r in read_records(path)]
    return rows


class OrgTree:
    def __init__(self, root: Path) -> None:
        self.versions: dict[str, list[dict]] = {}
        for row in read_records(root / "landing" / "org_units" / "01_org_units.csv"):
            self.versions.setdefault(row["unit_code"], []).append(row)

    def version(self, code: str, day: date | None) -> dict | None:
        """The version valid on `day`, or the latest one when `day` is None."""
        versions = sorted(self.versions.get(code, []), key=lambda v: v["valid_from"])
        if day is None:
            return versions[-1] if versions else None
        for v in versions:
            if date.fromisoformat(v["valid_from"]) <= day and (
                    not v["valid_to"] or day < date.fromisoformat(v["valid_to"])):
                return v
        return None

    def chain(self, code: str, day: date | None) -> list[str]:
        """The unit and its ancestors, through the tree valid on `day`."""
        out = []
        while code:
            out.append(code)
            version = self.version(code, day)
            code = version["parent_code"] if version else ""
        return out


def count_members(root: Path, keep, *, dedup=True, revisions=True, period=True, scope=True,
                  tree_on_decision_date=True) -> int:
    """Members disciplined in Quang Nam, 2021-2023 (CONTRACT §6); a flag off = a naive count."""
    rows = member_rows(root, with_revision_file=revisions)
    if dedup:  # a later file replaces an earlier row with the same business key
        rows = list({tuple(r[k] for k in KEY): r for r in rows}.values())
    tree = OrgTree(root)
    total = 0
    for row in rows:
        day = date.fromisoformat(row["decision_date"])
        if revisions and row["status"] == "revoked":
            continue
        if period and not PERIOD_START <= day <= PERIOD_END:
            continue
        tree_day = day if tree_on_decision_date else None
        if scope and "QNM" not in tree.chain(row["deciding_unit_code"], tree_day):
            continue
        total += keep(row)
    return total


def current_rows(root: Path) -> list[dict[str, str]]:
    rows = {tuple(r[k] for k in KEY): r for r in member_rows(root)}
    return [r for r in rows.values() if r["status"] != "revoked"]


def landing_files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("quang_nam")
    generate(out)
    return out


# ----------------------------------------------------------------------------- determinism


def test_same_seed_writes_the_same_bytes(sample: Path, tmp_path: Path) -> None:
    (tmp_path / "landing" / "stale").mkdir(parents=True)  # a rerun removes old output
    (tmp_path / "landing" / "stale" / "old.csv").write_text("x\n")
    counts = generate(tmp_path)
    assert landing_files(tmp_path) == landing_files(sample)
    for rel in landing_files(sample):
        assert (tmp_path / rel).read_bytes() == (sample / rel).read_bytes(), rel
    assert set(counts) == {str(p) for p in landing_files(sample) if p.parts[0] == "landing"}


def test_committed_sample_is_what_the_script_writes(sample: Path) -> None:
    assert landing_files(COMMITTED) == landing_files(sample)
    for rel in landing_files(sample):
        assert (COMMITTED / rel).read_bytes() == (sample / rel).read_bytes(), (
            f"{rel} differs: rerun python -m synthetic.quang_nam")


def test_another_seed_gives_other_records_with_the_same_figures(tmp_path: Path) -> None:
    generate(tmp_path, seed=7)
    assert count_members(tmp_path, pc_inspection_supervision) == 279
    assert count_members(tmp_path, ic_lack_of_responsibility) == 205


# ----------------------------------------------------------------------------- calibration


def test_records_reproduce_the_published_figures(sample: Path) -> None:
    assert count_members(sample, pc_inspection_supervision) == PUBLISHED_PC_INSPECTION_SUPERVISION
    assert count_members(sample, ic_lack_of_responsibility) == PUBLISHED_IC_LACK_OF_RESPONSIBILITY


@pytest.mark.parametrize("naive", [
    {"dedup": False}, {"revisions": False}, {"period": False}, {"scope": False},
    {"tree_on_decision_date": False},
    {"dedup": False, "revisions": False, "period": False, "scope": False},
])
def test_a_count_that_skips_a_rule_misses_both_figures(sample: Path, naive: dict) -> None:
    assert count_members(sample, pc_inspection_supervision, **naive) != 279
    assert count_members(sample, ic_lack_of_responsibility, **naive) != 205


def test_revoked_decisions_were_first_sent_in_force_and_would_count(sample: Path) -> None:
    rows = member_rows(sample)
    revoked = [r for r in rows if r["status"] == "revoked"]
    assert len(revoked) >= 8
    first = {tuple(r[k] for k in KEY): r for r in rows if "revision" not in r["_file"]}
    tree = OrgTree(sample)
    for row in revoked:
        original = first[tuple(row[k] for k in KEY)]
        day = date.fromisoformat(original["decision_date"])
        assert original["status"] == "in_force"
        assert PERIOD_START <= day <= PERIOD_END
        assert "QNM" in tree.chain(original["deciding_unit_code"], day)
        assert pc_inspection_supervision(original) or ic_lack_of_responsibility(original)


def test_amended_decisions_change_the_form_and_still_count(sample: Path) -> None:
    rows = member_rows(sample)
    first = {tuple(r[k] for k in KEY): r for r in rows if "revision" not in r["_file"]}
    amended = [r for r in rows if r["status"] == "amended"]
    assert len(amended) >= 2
    for row in amended:
        assert row["discipline_form"] != first[tuple(row[k] for k in KEY)]["discipline_form"]
    counted = {tuple(r[k] for k in KEY) for r in current_rows(sample)}
    assert all(tuple(r[k] for k in KEY) in counted for r in amended)


def test_district_decisions_are_reported_again_by_the_province(sample: Path) -> None:
    by_key: dict[tuple, list[dict]] = {}
    for row in member_rows(sample):
        by_key.setdefault(tuple(row[k] for k in KEY), []).append(row)
    repeated = {(k[0], k[1]) for k, rows in by_key.items()
                if {r["_file"] for r in rows} >= {"2021_2023_province.csv"}
                and any(r["_file"].endswith("_districts.csv") for r in rows)}
    assert len(repeated) >= 8
    for key, rows in by_key.items():
        if (key[0], key[1]) in repeated:
            assert all({**r, "_file": ""} == {**rows[0], "_file": ""} for r in rows)


def test_other_distractors_are_present(sample: Path) -> None:
    rows = current_rows(sample)
    tree = OrgTree(sample)

    def in_period(r):
        return PERIOD_START <= date.fromisoformat(r["decision_date"]) <= PERIOD_END

    def in_quang_nam(r):
        return "QNM" in tree.chain(r["deciding_unit_code"], date.fromisoformat(r["decision_date"]))

    counted = [r for r in rows if in_period(r) and in_quang_nam(r)]
    years = Counter(r["decision_date"][:4] for r in rows if in_quang_nam(r))
    assert all(years[str(y)] > 0 for y in range(2016, 2025))
    dates = {r["decision_date"] for r in rows}
    assert {"2020-12-31", "2024-01-01"} <= dates
    assert any(r["authority_type"] == "party_committee"
               and r["channel"] in ("complaint_denunciation", "other") for r in counted)
    assert any(r["authority_type"] == "inspection_committee"
               and not ic_lack_of_responsibility(r) for r in counted)
    assert any(ic_lack_of_responsibility(r) and ";" in r["violation_categories"]
               for r in counted)
    assert any(r["deciding_unit_code"].startswith("DNG") for r in rows if in_period(r))
    levels = {tree.version(r["deciding_unit_code"], None)["level"]
              for r in counted if pc_inspection_supervision(r)}
    assert {"province", "district", "grassroots", "cell"} <= levels
    assert len({r["member_id"] for r in rows}) < len(rows)


# ----------------------------------------------------------------------------- contract


def test_member_forms_follow_the_rules(sample: Path) -> None:
    for row in member_rows(sample):
        if row["is_probationary"] == "true":
            assert row["discipline_form"] in ("reprimand", "warning"), row
        if row["discipline_form"] == "removal_from_post":
            assert row["is_committee_member"] == "true", row
        violation_date = row.get("violation_date")  # not in the Vietnamese export
        assert not violation_date or violation_date <= row["decision_date"]


def test_a_decision_reference_names_one_decision(sample: Path) -> None:
    decisions: dict[tuple, set] = {}
    for row in member_rows(sample):
        decisions.setdefault((row["deciding_unit_code"], row["decision_ref"]), set()).add(
            (row["decision_date"], row["authority_type"], row["channel"]))
    assert all(len(v) == 1 for v in decisions.values())
    for path in (sample / "landing" / "member_disciplines").iterdir():
        keys = [tuple(r[k] for k in KEY) for r in read_records(path)]
        assert len(keys) == len(set(keys)), path.name


UNIT_DATES = {  # kind: [(unit column, date column)]
    "member_disciplines": [("deciding_unit_code", "decision_date"),
                           ("member_unit_code", "decision_date")],
    "org_disciplines": [("deciding_unit_code", "decision_date"),
                        ("target_unit_code", "decision_date")],
    "activities": [("conducting_unit_code", "start_date"), ("subject_unit_code", "start_date")],
    "memberships": [("unit_code", "as_of_date")],
    "aggregate_reports": [("reporting_unit_code", "period_end")],
    "org_units": [("parent_code", "valid_from")],
}


def test_every_unit_exists_and_is_valid_on_the_row_date(sample: Path) -> None:
    tree = OrgTree(sample)
    for path in (sample / "landing").rglob("*.*"):
        kind = path.parent.name
        for row in read_records(path):
            for unit_column, date_column in UNIT_DATES.get(kind, []):
                if row[unit_column]:
                    day = date.fromisoformat(row[date_column])
                    assert tree.version(row[unit_column], day), (path.name, row)
            if kind == "member_disciplines":  # the member belongs at or below the decider
                day = date.fromisoformat(row["decision_date"])
                assert row["deciding_unit_code"] in tree.chain(row["member_unit_code"], day)
            if kind == "org_disciplines":
                day = date.fromisoformat(row["decision_date"])
                assert row["deciding_unit_code"] in tree.chain(row["target_unit_code"], day)[1:]
            if kind == "governance_indicators":
                assert tree.version(row["unit_code"], date(int(row["year"]), 12, 31))


def test_files_are_clean_utf8_text(sample: Path) -> None:
    for path in (sample / "landing").rglob("*.*"):
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data, path.name
        text = data.decode("utf-8")
        assert unicodedata.normalize("NFC", text) == text, path.name
        for row in read_records(path):
            for column, value in row.items():
                assert not value.startswith(("=", "+", "-", "@")), (path.name, column, value)
                if column.endswith("date") or column.startswith("period_"):
                    assert not value or value <= "2024-12-31", (path.name, row)


def test_org_history_of_2025(sample: Path) -> None:
    tree = OrgTree(sample)
    assert tree.version("QNM", date(2025, 7, 1)) is None
    assert tree.version("QNM-D17", date(2025, 7, 1)) is None
    assert len([c for c in tree.versions if c.startswith("QNM-KCQ-G") and c.count("-") == 2]) == 65
    after = tree.version("QNM-KCQ-G01", date(2025, 7, 1))
    assert after["parent_code"] == "DNG"
    assert tree.chain("QNM-KCQ-G01-C01", date(2024, 4, 12))[-3:] == ["QNM-KCQ", "QNM", "TW"]


def test_district_reports_match_the_records_but_one(sample: Path) -> None:
    tree = OrgTree(sample)
    computed = Counter()
    for row in current_rows(sample):
        day = date.fromisoformat(row["decision_date"])
        for code in tree.chain(row["deciding_unit_code"], day):
            computed[(code, row["decision_date"][:4])] += 1
    reports = read_records(sample / "landing/aggregate_reports/district_annual_reports.csv")
    vintages: dict[tuple, list[dict]] = {}
    for r in reports:
        vintages.setdefault((r["reporting_unit_code"], r["period_start"], r["source_ref"]),
                            []).append(r)
    latest = {k: max(v, key=lambda r: r["as_of_date"]) for k, v in vintages.items()}
    wrong = [r for r in latest.values()
             if int(r["value"]) != computed[(r["reporting_unit_code"], r["period_start"][:4])]]
    assert len(latest) == 54
    assert len(wrong) == 1 and "deliberately wrong" in wrong[0]["source_title"]
    assert int(wrong[0]["value"]) == computed[
        (wrong[0]["reporting_unit_code"], wrong[0]["period_start"][:4])] + 3
    (older,) = [r for k, v in vintages.items() if len(v) == 2 for r in v if r is not latest[k]]
    assert int(older["value"]) != computed[(older["reporting_unit_code"],
                                            older["period_start"][:4])]


def test_memberships_and_published_denominators(sample: Path) -> None:
    rows = read_records(sample / "landing/memberships/memberships.csv")
    by_key = {(r["unit_code"], r["as_of_date"][:4]): r for r in rows}
    bloc = by_key[("QNM-KCQ", "2024")]
    assert int(bloc["members"]) > 4500 and bloc["party_organizations"] == "65"
    for year in range(2016, 2025):
        province = int(by_key[("QNM", str(year))]["members"])
        children = [int(r["members"]) for (code, y), r in by_key.items()
                    if y == str(year) and (code.startswith("QNM-D") or code == "QNM-KCQ")]
        assert 68_000 <= province <= 72_000 and province >= sum(children)


def test_published_governance_figures_and_the_central_inspection(sample: Path) -> None:
    indicators = {(r["year"], r["indicator"]): r for r in read_records(
        sample / "landing/governance_indicators/governance_indicators.csv")}
    assert {k: (v["rank"], v["score"]) for k, v in indicators.items()} == {
        ("2023", "PAR_INDEX"): ("56", ""), ("2023", "SIPAS"): ("59", ""),
        ("2023", "PAPI"): ("48", ""), ("2023", "PCI"): ("30", ""),
        ("2023", "SATISFACTION"): ("", "81.28"), ("2022", "SATISFACTION"): ("", "89.95")}
    (inspection,) = [a for a in read_records(sample / "landing/activities/activities.ndjson")
                     if a["conducting_unit_code"] == "TW"]
    assert (inspection["conclusion_ref"], inspection["subject_unit_code"],
            inspection["end_date"], inspection["members_discipline_required"],
            inspection["orgs_discipline_required"]) == (
        "581-TB/UBKTTW", "QNM-KCQ-G01", "2023-11-30", "15", "2")
    heads = [r for r in current_rows(sample) if r.get("activity_ref") == "581-TB/UBKTTW"]
    assert len(heads) == 2 and {r["deciding_unit_code"] for r in heads} == {"QNM"}
    cells = [r for r in read_records(sample / "landing/org_disciplines/org_disciplines.csv")
             if r["activity_ref"] == "581-TB/UBKTTW"]
    assert sorted(r["target_unit_code"] for r in cells) == ["QNM-KCQ-G01-C01", "QNM-KCQ-G01-C02"]
