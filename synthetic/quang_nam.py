"""Deterministic generator of the bundled SYNTHETIC sample for Quang Nam province.

Every member, decision, activity, report and membership count written here is
invented by this script. Only the top of the organisation tree (Quang Nam, Da
Nang, the 18 districts, the provincial agencies' bloc and its Department of
Natural Resources and Environment) and the figures of the founding newspaper
forum (see SEED_FIGURES.md) are real.

The records are calibrated so that counting them by CONTRACT.md §6 over
2021-2023 reproduces the two published founding figures:

- 279 members disciplined by party committees at all levels through
  inspection and supervision work;
- 205 members disciplined by inspection committees at all levels for lack of
  responsibility.

Only correct counting gives those numbers: revisions by business key (later
file wins), revoked decisions excluded, each (unit, decision, member) once,
the period, and the scope rolled up through the tree valid on the decision
date. A distractor is planted for each rule.

Usage: python -m synthetic.quang_nam [--out DIR] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from kyluat.reference import column, member_forms
from synthetic.columns import (
    ACTIVITY_COLUMNS,
    MEMBER_COLUMNS,
    ORG_DISCIPLINE_COLUMNS,
    ORG_UNIT_COLUMNS,
    PUBLISHED_FIGURE_COLUMNS,
    REPORT_COLUMNS,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "warehouse" / "samples" / "quang_nam_2021_2023"
DEFAULT_SEED = 20240101

SOURCE = "Quang Nam provincial newspaper forum on cadres avoiding responsibility, 2024"
PUBLISHED_PC_INSPECTION_SUPERVISION = 279
PUBLISHED_IC_LACK_OF_RESPONSIBILITY = 205
TW_CONCLUSION = "581-TB/UBKTTW"

FIRST_DAY, LAST_DAY = date(2016, 1, 1), date(2024, 12, 31)
PERIOD_START, PERIOD_END = date(2021, 1, 1), date(2023, 12, 31)
TREE_SINCE = date(2010, 1, 1)
MERGER_DAY = date(2025, 7, 1)  # district level abolished, Quang Nam merged into Da Nang
TARGET_ACTIVITIES = 600
REUSE_RATE = 0.08  # share of members who were already disciplined once

PC, IC = "party_committee", "inspection_committee"
LOR = "lack_of_responsibility"

# Real district-level party committees of Quang Nam: (name, short name, unit type,
# synthetic member count at the end of 2016).
DISTRICTS = [
    ("Thành ủy Tam Kỳ", "Tam Kỳ", "city_committee", 6480),
    ("Thành ủy Hội An", "Hội An", "city_committee", 4460),
    ("Thị ủy Điện Bàn", "Điện Bàn", "town_committee", 7020),
    ("Huyện ủy Duy Xuyên", "Duy Xuyên", "district_committee", 4790),
    ("Huyện ủy Đại Lộc", "Đại Lộc", "district_committee", 5230),
    ("Huyện ủy Quế Sơn", "Quế Sơn", "district_committee", 3610),
    ("Huyện ủy Nông Sơn", "Nông Sơn", "district_committee", 1320),
    ("Huyện ủy Thăng Bình", "Thăng Bình", "district_committee", 6010),
    ("Huyện ủy Hiệp Đức", "Hiệp Đức", "district_committee", 1890),
    ("Huyện ủy Phú Ninh", "Phú Ninh", "district_committee", 3240),
    ("Huyện ủy Núi Thành", "Núi Thành", "district_committee", 4710),
    ("Huyện ủy Tiên Phước", "Tiên Phước", "district_committee", 3330),
    ("Huyện ủy Bắc Trà My", "Bắc Trà My", "district_committee", 1870),
    ("Huyện ủy Nam Trà My", "Nam Trà My", "district_committee", 1290),
    ("Huyện ủy Phước Sơn", "Phước Sơn", "district_committee", 1480),
    ("Huyện ủy Tây Giang", "Tây Giang", "district_committee", 1260),
    ("Huyện ủy Đông Giang", "Đông Giang", "district_committee", 1510),
    ("Huyện ủy Nam Giang", "Nam Giang", "district_committee", 1620),
]
DONG_GIANG = "QNM-D17"
HIGHLAND = ("QNM-D16", "QNM-D17", "QNM-D18")  # Cơ Tu surnames are common there
DISSOLVED_CELL = ("QNM-D09-G02-C03", date(2019, 6, 14))
MISMATCH_REPORT = ("QNM-D09", 2022)  # the one deliberately wrong district figure
TWO_VINTAGES_REPORT = ("QNM-D11", 2022)  # a figure first sent before year end

# Party organisations of the provincial agencies' bloc: G01 is real and required,
# the others are plausible agencies; G42-G65 are invented.
BLOC_AGENCIES = [
    ("Sở Tài nguyên và Môi trường", "department"),
    ("Sở Tài chính", "department"),
    ("Sở Kế hoạch và Đầu tư", "department"),
    ("Sở Xây dựng", "department"),
    ("Sở Giao thông vận tải", "department"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "department"),
    ("Sở Công Thương", "department"),
    ("Sở Y tế", "department"),
    ("Sở Giáo dục và Đào tạo", "department"),
    ("Sở Nội vụ", "department"),
    ("Sở Tư pháp", "department"),
    ("Sở Lao động – Thương binh và Xã hội", "department"),
    ("Sở Văn hóa, Thể thao và Du lịch", "department"),
    ("Sở Khoa học và Công nghệ", "department"),
    ("Sở Thông tin và Truyền thông", "department"),
    ("Sở Ngoại vụ", "department"),
    ("Thanh tra tỉnh", "agency"),
    ("Văn phòng Ủy ban nhân dân tỉnh", "agency"),
    ("Văn phòng Tỉnh ủy", "agency"),
    ("Ban Dân tộc tỉnh", "agency"),
    ("Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh", "agency"),
    ("Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "mass_organization"),
    ("Tỉnh đoàn", "mass_organization"),
    ("Hội Liên hiệp Phụ nữ tỉnh", "mass_organization"),
    ("Hội Nông dân tỉnh", "mass_organization"),
    ("Hội Cựu chiến binh tỉnh", "mass_organization"),
    ("Liên đoàn Lao động tỉnh", "mass_organization"),
    ("Báo Quảng Nam", "public_service"),
    ("Đài Phát thanh – Truyền hình tỉnh", "public_service"),
    ("Trường Chính trị tỉnh", "public_service"),
    ("Ban Quản lý các khu kinh tế và khu công nghiệp tỉnh", "agency"),
    ("Liên minh Hợp tác xã tỉnh", "mass_organization"),
    ("Ban Quản lý dự án đầu tư xây dựng các công trình giao thông tỉnh", "public_service"),
    ("Ban Quản lý dự án đầu tư xây dựng các công trình dân dụng và công nghiệp tỉnh",
     "public_service"),
    ("Ban Quản lý dự án đầu tư xây dựng các công trình nông nghiệp tỉnh", "public_service"),
    ("Quỹ Đầu tư phát triển tỉnh", "public_service"),
    ("Trường Đại học Quảng Nam", "public_service"),
    ("Trường Cao đẳng Quảng Nam", "public_service"),
    ("Bệnh viện Đa khoa tỉnh", "public_service"),
    ("Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh", "mass_organization"),
    ("Hội Văn học Nghệ thuật tỉnh", "mass_organization"),
]
BLOC_SIZE = 65

CATEGORY_WEIGHTS = {  # canonical order of CONTRACT §4
    "democratic_centralism": 8, "personnel_work": 6, "land_finance_assets": 12,
    "investment_procurement": 8, LOR: 14, "corruption_negativity": 8, "degradation": 10,
    "prohibited_conduct": 12, "exemplary_duty": 5, "asset_declaration": 6,
    "population_policy": 4, "marriage_family": 3, "other": 4,
}
IC_CHANNELS = {"inspection": 45, "supervision": 20, "complaint_denunciation": 25, "other": 10}
# bucket: (authority, channel weights, category mode). A and B are the two founding
# figures; C and D are their in-period distractors.
BUCKETS = {
    "A": (PC, {"inspection": 70, "supervision": 30}, "any"),
    "B": (IC, IC_CHANNELS, "lor"),
    "C": (PC, {"complaint_denunciation": 75, "other": 25}, "any"),
    "D": (IC, IC_CHANNELS, "no_lor"),
}
# Quang Nam, 2021-2023, final current records (member-decisions) per deciding level.
IN_PERIOD = {
    "A": {"province": 21, "bloc": 24, "district": 118, "grassroots": 92, "cell": 24},
    "B": {"province": 17, "bloc": 20, "district": 108, "grassroots": 60},
    "C": {"province": 4, "bloc": 6, "district": 30, "grassroots": 18, "cell": 6},
    "D": {"province": 10, "bloc": 10, "district": 50, "grassroots": 26},
}
# Quang Nam, each year of 2016-2020 and 2024.
PER_OTHER_YEAR = {
    "A": {"province": 3, "bloc": 4, "district": 19, "grassroots": 15, "cell": 4},
    "B": {"province": 3, "bloc": 3, "district": 14, "grassroots": 10},
    "C": {"province": 1, "bloc": 1, "district": 6, "grassroots": 5, "cell": 1},
    "D": {"province": 2, "bloc": 2, "district": 9, "grassroots": 7},
}
# Da Nang, 2021-2024 (outside the scope of Quang Nam).
DA_NANG = {
    "A": {"province": 3, "district": 10, "grassroots": 8, "cell": 4},
    "B": {"province": 3, "district": 9, "grassroots": 6},
    "C": {"district": 4, "grassroots": 2},
    "D": {"district": 5, "grassroots": 3},
}
# Đông Giang decisions sent in force, then revoked in the 2025 revision file.
REVOKED_PLAN = [("A", "district")] * 3 + [("A", "grassroots")] * 2 + [("A", "cell")] \
    + [("B", "district")] * 2 + [("B", "grassroots")] * 2
AMENDED_PLAN = [("A", "district")] * 2 + [("B", "district")] * 2  # counted, form changed
REREPORTED_PLAN = {"A": 5, "B": 3}  # district decisions repeated in the province file
BOUNDARY_PLAN = [("A", "district", date(2020, 12, 31)), ("B", "grassroots", date(2020, 12, 31)),
                 ("A", "grassroots", date(2024, 1, 1)), ("B", "district", date(2024, 1, 1))]

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đoàn", "Trương", "Lương", "Đinh", "Mai"]
CO_TU_SURNAMES = ["Alăng", "Bhling", "Zơrâm", "Briu", "Coor", "Pơloong", "Clâu", "Hốih"]
MIDDLE_NAMES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang", "Xuân", "Công",
                "Thị Thu", "Kim"]
GIVEN_NAMES = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
               "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc",
               "Quân", "Sơn", "Tâm", "Thảo", "Thành", "Trung", "Tuấn", "Vân", "Việt", "Yến"]

# The revision file is sent the way a district clerk exports it from Excel.
REVISION_FILE = "2025_revisions_dong_giang.csv"
VI_HEADER = ["Mã đơn vị quyết định", "Số quyết định", "Mã đảng viên", "Họ và tên", "Thẩm quyền",
             "Hình thức kỷ luật", "Ngày quyết định", "Mã đơn vị đảng viên", "Nội dung vi phạm",
             "Qua công tác", "Cấp ủy viên", "Dự bị", "Trạng thái"]


def _vi(vocabulary: str) -> dict[str, str]:
    """The Vietnamese words of the codes, as a clerk types them: the seed's labels in lower
    case."""
    return {code: label.lower() for code, label in column(vocabulary, "label_vi").items()}


VI_AUTHORITY = _vi("authority_type")
# Weights of the member forms; which a member may get comes from the seed (CONTRACT §4).
FORM_WEIGHTS = {"reprimand": 55, "warning": 28, "removal_from_post": 7, "expulsion": 10}
VI_FORM = _vi("discipline_form")
VI_CHANNEL = _vi("channel")
VI_CATEGORY = _vi("violation_category")


# ----------------------------------------------------------------------------- model


@dataclass
class Unit:
    code: str
    name: str
    level: str
    parent: str | None
    unit_type: str
    doc_suffix: str  # party committee suffix of document numbers, e.g. HU
    valid_from: date = TREE_SINCE
    valid_to: date | None = None
    successors: str = ""
    moves_in_2025: bool = False  # gets a second version directly under Da Nang
    children: list[str] = field(default_factory=list)

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def suffix(self, authority: str) -> str:
        return self.doc_suffix if authority == PC else "UBKT" + self.doc_suffix


@dataclass(eq=False)
class Person:
    member_id: str
    name: str
    unit: str
    committee: bool
    probationary: bool
    decisions: int = 0
    expelled: bool = False


@dataclass(eq=False)
class Activity:
    conducting: str
    authority: str
    activity_type: str
    subject_kind: str
    subject_unit: str
    start: date
    end: date | None
    subject_member_id: str | None = None
    violation_found: bool | None = None
    members_in_violation: int | None = None
    orgs_in_violation: int | None = None
    members_required: int | None = None
    orgs_required: int | None = None
    ref: str = ""
    conclusion_ref: str = ""


@dataclass(eq=False)
class Decision:
    bucket: str
    unit: str
    authority: str
    channel: str
    categories: list[str]
    day: date
    members: list[tuple[Person, str]]  # (person, discipline form as first sent)
    violation_day: date | None = None
    ref: str = ""
    activity: Activity | None = None
    fixed_activity_ref: str = ""
    revision: str = ""  # "revoked" or "amended" in the revision file
    amended_forms: list[str] = field(default_factory=list)
    rereported: bool = False

    @property
    def activity_ref(self) -> str:
        return self.activity.ref if self.activity else self.fixed_activity_ref

    @property
    def current_status(self) -> str:
        return self.revision or "in_force"


@dataclass(eq=False)
class OrgDecision:
    unit: str
    target: str
    authority: str
    form: str
    day: date
    categories: list[str]
    channel: str
    activity: Activity | None = None
    fixed_activity_ref: str = ""
    ref: str = ""


@dataclass(eq=False)
class Report:
    unit: str
    year: int
    value: int
    as_of: date
    title: str
    ref: str = ""
    later_vintage: Report | None = None  # an earlier vintage shares its source

    @property
    def source_ref(self) -> str:
        return self.later_vintage.ref if self.later_vintage else self.ref


class RefBook:
    """Numbers documents per issuer in date order, like a registry book.

    One running number per (unit, document type, suffix) across all years, so a
    reference is unique within its unit.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str], list] = {}

    def book(self, unit: Unit, doc: str, authority: str, day: date, obj, attr: str) -> None:
        entries = self._entries.setdefault((unit.code, doc, unit.suffix(authority)), [])
        entries.append((day, len(entries), obj, attr))

    def assign(self, rng: random.Random) -> None:
        for (_, doc, suffix), entries in self._entries.items():
            number = rng.randint(1, 20)
            for _, _, obj, attr in sorted(entries, key=lambda e: (e[0], e[1])):
                setattr(obj, attr, f"{number}-{doc}/{suffix}")
                number += rng.randint(1, 5)  # other documents of the same book


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


def random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


# ----------------------------------------------------------------------------- org tree


def build_tree() -> dict[str, Unit]:
    """The organisation tree as it stood until 2025-07-01 (first versions)."""
    units: dict[str, Unit] = {}

    def add(unit: Unit) -> Unit:
        units[unit.code] = unit
        if unit.parent:
            units[unit.parent].children.append(unit.code)
        return unit

    add(Unit("TW", "Trung ương", "central", None, "central_committee", "TW",
             valid_from=date(1930, 2, 3)))
    add(Unit("QNM", "Tỉnh ủy Quảng Nam", "province", "TW", "provincial_committee", "TU",
             valid_from=date(1997, 1, 1), valid_to=MERGER_DAY, successors="DNG"))
    add(Unit("DNG", "Thành ủy Đà Nẵng", "province", "TW", "city_committee", "TU",
             valid_from=date(1997, 1, 1)))
    for i, (name, short, unit_type, _) in enumerate(DISTRICTS, 1):
        suffix = "HU" if unit_type == "district_committee" else "ThU"
        district = add(Unit(f"QNM-D{i:02d}", name, "district", "QNM", unit_type, suffix,
                            valid_to=MERGER_DAY, successors="DNG"))
        _add_communes(add, district, short, urban=unit_type != "district_committee")
    _add_bloc(add)
    for i, short in enumerate(["Hải Châu", "Thanh Khê"], 1):
        district = add(Unit(f"DNG-D{i:02d}", f"Quận ủy {short}", "district", "DNG",
                            "district_committee", "QU", valid_to=MERGER_DAY, successors="DNG"))
        _add_communes(add, district, short, urban=True, count=3, cells=(2,))
    cell = units[DISSOLVED_CELL[0]]
    cell.valid_to = DISSOLVED_CELL[1] + timedelta(days=1)
    cell.successors = cell.parent
    return units


def _add_communes(add, district: Unit, short: str, urban: bool, count: int = 4,
                  cells: tuple[int, ...] = (3, 2)) -> None:
    """Synthetic communes/wards (letters A-D), with party cells under the first ones."""
    kind, cell_kind = ("phường", "khối phố") if urban else ("xã", "thôn")
    for g in range(1, count + 1):
        unit = add(Unit(f"{district.code}-G{g:02d}", f"Đảng bộ {kind} {short} {'ABCD'[g - 1]}",
                        "grassroots", district.code, "ward" if urban else "commune", "ĐU",
                        valid_to=MERGER_DAY, moves_in_2025=True))
        n_cells = cells[g - 1] if g <= len(cells) else 0
        if district.code == "QNM-D09" and g == 2:
            n_cells += 1  # the cell dissolved in 2019
        for c in range(1, n_cells + 1):
            add(Unit(f"{unit.code}-C{c:02d}", f"Chi bộ {cell_kind} {c}", "cell", unit.code,
                     "cell", "CB"))


def _add_bloc(add) -> None:
    bloc = add(Unit("QNM-KCQ", "Đảng bộ Khối các cơ quan tỉnh Quảng Nam", "district", "QNM",
                    "bloc", "ĐUK", valid_to=MERGER_DAY, successors="DNG"))
    agencies = list(BLOC_AGENCIES)
    agencies += [(f"Đơn vị sự nghiệp tỉnh số {n}", "public_service")
                 for n in range(1, BLOC_SIZE - len(agencies) + 1)]
    for g, (name, unit_type) in enumerate(agencies, 1):
        unit = add(Unit(f"{bloc.code}-G{g:02d}", f"Đảng bộ {name}", "grassroots", bloc.code,
                        unit_type, "ĐU", valid_to=MERGER_DAY, moves_in_2025=True))
        n_cells = 3 if g == 1 else 2 if g <= 6 else 0
        for c in range(1, n_cells + 1):
            add(Unit(f"{unit.code}-C{c:02d}", f"Chi bộ số {c}, {unit.name}", "cell", unit.code,
                     "cell", "CB"))


# ----------------------------------------------------------------------------- generation


class SampleBuilder:
    """Builds every record in memory; `write_sample` turns them into files."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.units = build_tree()
        self.region = {code: self._region_of(code) for code in self.units}
        self.refs = RefBook()
        self._member_ids: set[str] = set()
        self._people: dict[str, list[Person]] = {}
        self.decisions: list[Decision] = []
        self.activities: list[Activity] = []
        self.org_decisions: list[OrgDecision] = []
        self.reports: list[Report] = []

    def build(self) -> SampleBuilder:
        self._plant_revisions()
        for bucket, quotas in IN_PERIOD.items():
            self._fill("QNM", bucket, self._minus_amended(bucket, quotas),
                       PERIOD_START, PERIOD_END)
        for year in (2016, 2017, 2018, 2019, 2020, 2024):
            for bucket, quotas in PER_OTHER_YEAR.items():
                self._fill("QNM", bucket, quotas, date(year, 1, 1), date(year, 12, 31))
        for bucket, quotas in DA_NANG.items():
            self._fill("DNG", bucket, quotas, PERIOD_START, LAST_DAY)
        self._plant_boundaries()
        self._plant_tw_follow_up()
        self._choose_rereported()
        self._org_disciplines()
        self._link_activities()
        self._background_activities()
        self._district_reports()
        self.refs.assign(self.rng)
        self._check()
        return self

    # --- tree helpers

    def _region_of(self, code: str) -> str | None:
        while code and self.units[code].level not in ("province", "central"):
            code = self.units[code].parent
        return code if code and self.units[code].level == "province" else None

    def units_at(self, region: str, level: str, day: date) -> list[Unit]:
        """Units of a region at a deciding level; `bloc` is the agencies' bloc."""
        wanted, bloc = ("district", True) if level == "bloc" else (level, False)
        return [u for u in self.units.values()
                if u.level == wanted and self.region[u.code] == region and u.valid_on(day)
                and (u.unit_type == "bloc") == bloc]

    def subtree(self, code: str, day: date) -> list[tuple[Unit, int]]:
        """(unit, depth) for the unit and everything under it, valid on `day`."""
        out, stack = [], [(code, 0)]
        while stack:
            current, depth = stack.pop()
            unit = self.units[current]
            if unit.valid_on(day):
                out.append((unit, depth))
                stack += [(c, depth + 1) for c in reversed(unit.children)]
        return out

    def member_unit_for(self, decider: str, day: date) -> str:
        by_depth: dict[int, list[Unit]] = {}
        for unit, depth in self.subtree(decider, day):
            by_depth.setdefault(depth, []).append(unit)
        weights = {d: {0: 3, 1: 4, 2: 2}.get(d, 1) for d in by_depth}
        return self.rng.choice(by_depth[pick(self.rng, weights)]).code

    # --- people

    def new_person(self, unit_code: str, committee: bool | None = None,
                   register: bool = True) -> Person:
        rng = self.rng
        member_id = f"DV{rng.randrange(10**9):09d}"
        while member_id in self._member_ids:
            member_id = f"DV{rng.randrange(10**9):09d}"
        self._member_ids.add(member_id)
        surnames = SURNAMES
        if any(unit_code.startswith(d) for d in HIGHLAND) and rng.random() < 0.5:
            surnames = CO_TU_SURNAMES
        name = f"{rng.choice(surnames)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"
        level = self.units[unit_code].level
        if committee is None:
            share = {"grassroots": 0.35, "cell": 0.2}.get(level, 0.75)
            committee = rng.random() < share
        probationary = not committee and level in ("grassroots", "cell") and rng.random() < 0.07
        person = Person(member_id, name, unit_code, committee, probationary)
        if register:
            self._people.setdefault(unit_code, []).append(person)
        return person

    def pick_person(self, unit_code: str, reuse: bool, taken: list[Person]) -> Person:
        pool = [p for p in self._people.get(unit_code, [])
                if not p.expelled and p not in taken]
        if reuse and pool and self.rng.random() < REUSE_RATE:
            return self.rng.choice(pool)
        return self.new_person(unit_code)

    def pick_form(self, person: Person) -> str:
        """A form allowed for this member (CONTRACT §4); no expulsion for a second decision."""
        allowed = member_forms().allowed(person.probationary, person.committee)
        weights = {form: weight for form, weight in FORM_WEIGHTS.items()
                   if form in allowed and (form != "expulsion" or person.decisions == 0)}
        form = pick(self.rng, weights)
        person.decisions += 1
        person.expelled = form == "expulsion"
        return form

    # --- decisions

    def pick_categories(self, mode: str, allow_other: bool = True) -> list[str]:
        rng = self.rng
        pool = {c: w for c, w in CATEGORY_WEIGHTS.items()
                if (allow_other or c != "other") and (mode == "any" or c != LOR)}
        if mode == "lor":
            chosen = [LOR] + ([pick(rng, pool)] if rng.random() < 0.3 else [])
        else:
            chosen = [pick(rng, pool)]
            if rng.random() < 0.25:
                chosen.append(pick(rng, {c: w for c, w in pool.items() if c != chosen[0]}))
        return [c for c in CATEGORY_WEIGHTS if c in chosen]

    def add_decision(self, bucket: str, unit_code: str, day: date, size: int = 1,
                     plain: bool = False) -> Decision:
        """One decision on `size` members of one unit; `plain` ones are single,
        fresh members, without activity or violation date (they get revised)."""
        authority, channels, mode = BUCKETS[bucket]
        unit = self.units[unit_code]
        assert not (unit.level == "cell" and authority == IC), "cells have no inspection committee"
        member_unit = self.member_unit_for(unit_code, day)
        members: list[tuple[Person, str]] = []
        for _ in range(size):
            person = self.pick_person(member_unit, not plain, [p for p, _ in members])
            members.append((person, self.pick_form(person)))
        decision = Decision(bucket, unit_code, authority, pick(self.rng, channels),
                            self.pick_categories(mode, allow_other=not plain), day, members)
        if not plain and self.rng.random() < 0.6:
            decision.violation_day = day - timedelta(days=self.rng.randint(30, 900))
        self.refs.book(unit, "QĐ", authority, day, decision, "ref")
        self.decisions.append(decision)
        return decision

    def _fill(self, region: str, bucket: str, quotas: dict[str, int],
              start: date, end: date) -> None:
        for level, count in quotas.items():
            left = count
            while left:
                size = min(pick(self.rng, {1: 72, 2: 20, 3: 8}), left)
                day = random_day(self.rng, start, end)
                unit = self.rng.choice(self.units_at(region, level, day))
                self.add_decision(bucket, unit.code, day, size)
                left -= size

    @staticmethod
    def _minus_amended(bucket: str, quotas: dict[str, int]) -> dict[str, int]:
        """Amended decisions are planted first and count towards the quotas."""
        planted = Counter(level for b, level in AMENDED_PLAN if b == bucket)
        return {level: n - planted[level] for level, n in quotas.items()}

    def _dong_giang_unit(self, level: str, day: date) -> str:
        units = [u for u, _ in self.subtree(DONG_GIANG, day) if u.level == level]
        return self.rng.choice(units).code

    def _plant_revisions(self) -> None:
        for status, plan in (("revoked", REVOKED_PLAN), ("amended", AMENDED_PLAN)):
            for bucket, level in plan:
                day = random_day(self.rng, PERIOD_START, PERIOD_END)
                decision = self.add_decision(bucket, self._dong_giang_unit(level, day), day,
                                             plain=True)
                decision.revision = status
                if status == "amended":
                    decision.amended_forms = ["warning" if f == "reprimand" else "reprimand"
                                              for _, f in decision.members]

    def _plant_boundaries(self) -> None:
        """Decisions one day outside the period, on either side."""
        for bucket, level, day in BOUNDARY_PLAN:
            self.add_decision(bucket, self.rng.choice(self.units_at("QNM", level, day)).code, day)

    def _plant_tw_follow_up(self) -> None:
        """The Central Inspection Committee's inspection of the Department of Natural
        Resources and Environment (conclusion 581, 2023-11-30) and what followed."""
        inspection = Activity("TW", IC, "inspection_on_signs", "organization", "QNM-KCQ-G01",
                              date(2023, 5, 1), date(2023, 11, 30), violation_found=True,
                              members_required=15, orgs_required=2, ref=TW_CONCLUSION,
                              conclusion_ref=TW_CONCLUSION)
        self.activities.append(inspection)
        province, day = self.units["QNM"], date(2024, 3, 28)
        for form in ("warning", "reprimand"):  # two heads of the department
            head = self.new_person("QNM-KCQ-G01", committee=True)
            head.decisions = 1
            decision = Decision("A", "QNM", PC, "inspection", [LOR, "land_finance_assets"], day,
                                [(head, form)], fixed_activity_ref=TW_CONCLUSION)
            self.refs.book(province, "QĐ", PC, day, decision, "ref")
            self.decisions.append(decision)
        department, day = self.units["QNM-KCQ-G01"], date(2024, 4, 12)
        first = OrgDecision("QNM-KCQ-G01", "QNM-KCQ-G01-C01", PC, "reprimand", day,
                            [LOR, "land_finance_assets"], "inspection",
                            fixed_activity_ref=TW_CONCLUSION)
        second = OrgDecision("QNM-KCQ-G01", "QNM-KCQ-G01-C02", PC, "reprimand", day,
                             [LOR, "land_finance_assets"], "inspection",
                             fixed_activity_ref=TW_CONCLUSION)
        self.refs.book(department, "QĐ", PC, day, first, "ref")
        self.refs.book(department, "QĐ", PC, day, second, "ref")
        self.org_decisions += [first, second]

    def _choose_rereported(self) -> None:
        """District decisions the province repeats in its 2021-2023 compilation."""
        for bucket, count in REREPORTED_PLAN.items():
            candidates = [d for d in self.decisions
                          if d.bucket == bucket and PERIOD_START <= d.day <= PERIOD_END
                          and self.region[d.unit] == "QNM" and d.unit != DONG_GIANG
                          and self.units[d.unit].level == "district"
                          and self.units[d.unit].unit_type != "bloc" and not d.revision]
            for decision in self.rng.sample(candidates, count):
                decision.rereported = True

    # --- organisations

    def _org_disciplines(self, count: int = 30) -> None:
        unit, target, day = "QNM-D09", *DISSOLVED_CELL
        dissolution = OrgDecision(unit, target, PC, "dissolution", day,
                                  ["democratic_centralism"], "inspection")
        self.refs.book(self.units[unit], "QĐ", PC, day, dissolution, "ref")
        self.org_decisions.append(dissolution)
        levels = {"province": 2, "bloc": 2, "district": 6, "grassroots": 3}
        while len(self.org_decisions) < count:
            region = "DNG" if len(self.org_decisions) < 5 else "QNM"
            day = random_day(self.rng, FIRST_DAY, LAST_DAY)
            units = self.units_at(region, pick(self.rng, levels), day)
            if not units:
                continue
            unit = self.rng.choice(units)
            below = [u for u, depth in self.subtree(unit.code, day) if depth > 0]
            if not below:
                continue
            authority = PC if unit.level == "grassroots" or self.rng.random() < 0.6 else IC
            decision = OrgDecision(unit.code, self.rng.choice(below).code, authority,
                                   pick(self.rng, {"reprimand": 60, "warning": 40}), day,
                                   self.pick_categories("any"), pick(self.rng, IC_CHANNELS))
            self.refs.book(unit, "QĐ", authority, day, decision, "ref")
            self.org_decisions.append(decision)

    # --- activities

    def _link_activities(self) -> None:
        """About half of the inspection/supervision decisions cite their activity."""
        for decision in self.decisions:
            if (decision.channel in ("inspection", "supervision")
                    and not decision.fixed_activity_ref and not decision.revision
                    and decision.day >= date(2016, 6, 1) and self.rng.random() < 0.5):
                persons = [p for p, _ in decision.members]
                decision.activity = self._activity_before(
                    decision.unit, decision.authority, decision.channel, decision.day,
                    persons[0].unit, persons)
        for decision in self.org_decisions:
            if (decision.channel in ("inspection", "supervision")
                    and not decision.fixed_activity_ref and decision.day >= date(2016, 6, 1)
                    and self.rng.random() < 0.5):
                decision.activity = self._activity_before(
                    decision.unit, decision.authority, decision.channel, decision.day,
                    decision.target, [])

    def _activity_before(self, unit_code: str, authority: str, channel: str, day: date,
                         subject_unit: str, persons: list[Person]) -> Activity:
        """The inspection or supervision whose conclusion led to a decision."""
        rng, unit = self.rng, self.units[unit_code]
        if authority == PC and unit.level != "cell" and rng.random() < 0.6:
            authority = IC  # the inspection committee inspects, the committee decides
        if channel == "supervision":
            activity_type = pick(rng, {"thematic_supervision": 60, "regular_supervision": 40})
        elif authority == PC:
            activity_type = "committee_inspection"
        else:
            activity_type = pick(rng, {"inspection_on_signs": 70, "finance_inspection": 15,
                                       "asset_declaration": 15})
        end = day - timedelta(days=rng.randint(7, 45))
        start = max(end - timedelta(days=rng.randint(20, 120)), FIRST_DAY)
        single = len(persons) == 1
        activity = Activity(
            unit_code, authority, activity_type, "member" if single else "organization",
            subject_unit, start, end, subject_member_id=persons[0].member_id if single else None,
            violation_found=True, members_in_violation=len(persons),
            orgs_in_violation=0 if single else 1, members_required=len(persons),
            orgs_required=0 if persons else 1)
        self._book_activity(activity)
        return activity

    def _book_activity(self, activity: Activity) -> None:
        unit = self.units[activity.conducting]
        self.refs.book(unit, "QĐ", activity.authority, activity.start, activity, "ref")
        if activity.end:
            self.refs.book(unit, "TB", activity.authority, activity.end, activity,
                           "conclusion_ref")
        self.activities.append(activity)

    def _background_activities(self) -> None:
        """Activities that led to no discipline, up to TARGET_ACTIVITIES."""
        levels = {"province": 8, "bloc": 6, "district": 40, "grassroots": 34, "cell": 12}
        ic_types = {"inspection_on_signs": 15, "inspection_of_discipline_work": 20,
                    "finance_inspection": 15, "asset_declaration": 10, "regular_supervision": 15,
                    "thematic_supervision": 12, "denunciation": 8, "appeal": 5}
        pc_types = {"committee_inspection": 40, "thematic_supervision": 30,
                    "regular_supervision": 30}
        rng = self.rng
        while len(self.activities) < TARGET_ACTIVITIES:
            region = "DNG" if rng.random() < 0.08 else "QNM"
            start = random_day(rng, FIRST_DAY, LAST_DAY)
            units = self.units_at(region, pick(rng, levels), start)
            if not units:
                continue
            unit = rng.choice(units)
            authority = PC if unit.level == "cell" or rng.random() < 0.25 else IC
            activity_type = pick(rng, pc_types if authority == PC else ic_types)
            below = [u for u, depth in self.subtree(unit.code, start) if depth > 0]
            self._book_activity(self._background_activity(unit, authority, activity_type,
                                                          start, below))

    def _background_activity(self, unit: Unit, authority: str, activity_type: str,
                             start: date, below: list[Unit]) -> Activity:
        rng = self.rng
        org_only = activity_type in ("inspection_of_discipline_work", "finance_inspection")
        member_only = activity_type in ("asset_declaration", "denunciation", "appeal")
        if not below and org_only:
            activity_type, org_only = "regular_supervision", False
        on_org = bool(below) and (org_only or (not member_only and rng.random() < 0.5))
        end = start + timedelta(days=rng.randint(20, 120))
        activity = Activity(unit.code, authority, activity_type,
                            "organization" if on_org else "member", unit.code, start,
                            end if end <= LAST_DAY else None)
        if on_org:
            activity.subject_unit = rng.choice(below).code
        else:
            person = self.new_person(self.member_unit_for(unit.code, start), register=False)
            activity.subject_unit, activity.subject_member_id = person.unit, person.member_id
        if activity.end:  # concluded: violations remedied without discipline
            found = rng.random() < 0.3
            activity.violation_found = found
            activity.members_in_violation = (rng.randint(1, 3) if on_org else 1) if found else 0
            activity.orgs_in_violation = int(found and on_org)
            activity.members_required = activity.orgs_required = 0
        return activity

    # --- aggregate reports

    def _district_reports(self) -> None:
        """Each Quang Nam district's yearly total, from the final current records."""
        counts = Counter()
        for decision in self.decisions:
            district = self._district_of(decision.unit)
            if district and decision.current_status != "revoked":
                counts[(district, decision.day.year)] += len(decision.members)
        for i, (name, *_rest) in enumerate(DISTRICTS, 1):
            code = f"QNM-D{i:02d}"
            for year in (2021, 2022, 2023):
                self._add_report(code, name, year, counts[(code, year)])

    def _add_report(self, code: str, name: str, year: int, value: int) -> None:
        title = (f"Báo cáo công tác kiểm tra, giám sát và thi hành kỷ luật đảng năm {year}, "
                 f"{name} (SYNTHETIC)")
        as_of = date(year + 1, 1, self.rng.randint(10, 25))
        if (code, year) == MISMATCH_REPORT:
            value += 3
            title += "; SYNTHETIC: value deliberately wrong (+3 over the records)"
        report = Report(code, year, value, as_of, title)
        if (code, year) == TWO_VINTAGES_REPORT:
            self.reports.append(Report(
                code, year, value - 2, date(year, 12, self.rng.randint(5, 15)),
                title + "; preliminary figure cut off before year end, superseded",
                later_vintage=report))
        self.refs.book(self.units[code], "BC", IC, as_of, report, "ref")
        self.reports.append(report)

    def _district_of(self, code: str) -> str | None:
        """The Quang Nam district (not the bloc) a unit belongs to, if any."""
        while code:
            unit = self.units[code]
            if unit.level == "district":
                return code if code.startswith("QNM-D") else None
            code = unit.parent
        return None

    # --- calibration

    def current_count(self, authority: str, keep) -> int:
        """Members disciplined in Quang Nam, 2021-2023, by the final records."""
        return sum(len(d.members) for d in self.decisions
                   if d.authority == authority and self.region[d.unit] == "QNM"
                   and PERIOD_START <= d.day <= PERIOD_END
                   and d.current_status != "revoked" and keep(d))

    def _check(self) -> None:
        pc = self.current_count(PC, lambda d: d.channel in ("inspection", "supervision"))
        ic = self.current_count(IC, lambda d: LOR in d.categories)
        if (pc, ic) != (PUBLISHED_PC_INSPECTION_SUPERVISION, PUBLISHED_IC_LACK_OF_RESPONSIBILITY):
            raise RuntimeError(f"calibration failed: {pc} and {ic}")


# ----------------------------------------------------------------------------- rows


def org_unit_rows(units: dict[str, Unit]) -> list[list]:
    """First versions in tree order; units moved in 2025 get a second version."""
    def row(u: Unit, valid_from, parent, valid_to, successors) -> list:
        return [u.code, valid_from, u.name, u.level, parent, u.unit_type, valid_to, successors]

    rows = []
    order = ["TW", "QNM", "DNG"] + [c for c in units if c not in ("TW", "QNM", "DNG")]
    for unit in (units[c] for c in order):
        rows.append(row(unit, unit.valid_from, unit.parent, unit.valid_to, unit.successors))
        if unit.moves_in_2025:
            rows.append(row(unit, MERGER_DAY, "DNG", None, ""))
    return rows


def member_rows(decision: Decision) -> list[list]:
    """The decision as first sent (in force, first forms)."""
    return [[decision.unit, decision.ref, person.member_id, person.name, decision.authority,
             form, decision.day, person.unit, ";".join(decision.categories), decision.channel,
             person.committee, person.probationary, decision.activity_ref, "in_force",
             decision.violation_day] for person, form in decision.members]


def revision_rows(decision: Decision) -> list[list]:
    """The decision in the Đông Giang clerk's Vietnamese export."""
    forms = decision.amended_forms or [f for _, f in decision.members]
    yes_no = {True: "có", False: "không"}
    return [[decision.unit, decision.ref, person.member_id, person.name,
             VI_AUTHORITY[decision.authority], VI_FORM[form], decision.day.strftime("%d/%m/%Y"),
             person.unit, ";".join(VI_CATEGORY[c] for c in decision.categories),
             VI_CHANNEL[decision.channel], yes_no[person.committee],
             yes_no[person.probationary], decision.revision]
            for (person, _), form in zip(decision.members, forms, strict=True)]


def member_file(sample: SampleBuilder, decision: Decision) -> str:
    year = decision.day.year
    if sample.region[decision.unit] == "DNG":
        return "2021_2024_da_nang.json"
    if year <= 2020:
        return "2016_2020_quang_nam.csv"
    if year == 2024:
        return "2024_quang_nam.csv"
    return "2021_2023_province.csv" if decision.unit == "QNM" else f"{year}_districts.csv"


def member_files(sample: SampleBuilder) -> dict[str, list[list]]:
    files: dict[str, list[list]] = {}
    for decision in sample.decisions:
        files.setdefault(member_file(sample, decision), []).extend(member_rows(decision))
        if decision.rereported:
            files.setdefault("2021_2023_province.csv", []).extend(member_rows(decision))
    for rows in files.values():
        rows.sort(key=lambda r: (r[6], r[0], r[1], r[2]))
    return dict(sorted(files.items()))


def membership_rows(rng: random.Random) -> list[list]:
    """Synthetic yearly member counts; a unit counts everything below it."""
    bloc = {2024: rng.randint(4610, 4680)}  # "more than 4,500" in 2024
    for year in range(2023, 2015, -1):
        bloc[year] = bloc[year + 1] - rng.randint(25, 45)
    rows = []
    for year in range(2016, 2025):
        districts = [round(base * (1 + 0.005 * (year - 2016))) + rng.randint(-15, 15)
                     for *_, base in DISTRICTS]
        others = 2900 + 25 * (year - 2016) + rng.randint(0, 40)  # units outside the sample tree
        day = date(year, 12, 31)
        rows.append(["QNM", day, sum(districts) + bloc[year] + others, None])
        rows += [[f"QNM-D{i:02d}", day, n, None] for i, n in enumerate(districts, 1)]
        rows.append(["QNM-KCQ", day, bloc[year], BLOC_SIZE])
        rows.append(["DNG", day, 57400 + 180 * (year - 2016) + rng.randint(0, 60), None])
    return rows


def org_discipline_rows(sample: SampleBuilder) -> list[list]:
    rows = [[d.unit, d.ref, d.target, d.authority, d.form, d.day, ";".join(d.categories),
             d.channel, d.activity.ref if d.activity else d.fixed_activity_ref, "in_force"]
            for d in sample.org_decisions]
    return sorted(rows, key=lambda r: (r[5], r[0], r[1], r[2]))


def activity_records(sample: SampleBuilder) -> list[dict]:
    records = [dict(zip(ACTIVITY_COLUMNS, [
        a.conducting, a.ref, a.authority, a.activity_type, a.subject_kind, a.subject_unit,
        a.start, a.end, a.subject_member_id, a.conclusion_ref or None, a.violation_found,
        a.members_in_violation, a.orgs_in_violation, a.members_required, a.orgs_required,
    ], strict=True)) for a in sample.activities]
    return sorted(records, key=lambda r: (r["start_date"], r["conducting_unit_code"],
                                          r["activity_ref"]))


def report_rows(sample: SampleBuilder) -> list[list]:
    rows = [[r.unit, date(r.year, 1, 1), date(r.year, 12, 31), "disciplined", "all", "member",
             "all", "all", "all", r.source_ref, r.value, "exact", "unit_and_below", r.as_of,
             r.title] for r in sample.reports]
    return sorted(rows, key=lambda r: (r[0], r[1], r[13]))


def governance_rows() -> list[list]:
    """Published in the founding forum (PCI: "among the top 30", written as rank 30)."""
    return [["QNM", 2022, "SATISFACTION", None, "89.95", SOURCE],
            ["QNM", 2023, "PAPI", 48, None, SOURCE],
            ["QNM", 2023, "PAR_INDEX", 56, None, SOURCE],
            ["QNM", 2023, "PCI", 30, None, SOURCE],
            ["QNM", 2023, "SATISFACTION", None, "81.28", SOURCE],
            ["QNM", 2023, "SIPAS", 59, None, SOURCE]]


# ----------------------------------------------------------------------------- writing


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value))


def _json_value(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value) or None
    return value


def write_csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",") -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([_text(v) for v in row] for row in rows)
    return len(rows)


def write_json(path: Path, records: list[dict], lines: bool = False) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [{k: _json_value(v) for k, v in r.items()} for r in records]
    if lines:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    path.write_text(text, encoding="utf-8", newline="\n")
    return len(records)


def published_figure_rows() -> list[list]:
    """The figures of the forum, as published (the sample's records reproduce them)."""
    forum = ["QNAM-FORUM-2024", SOURCE]
    inspection_head = ("Deputy head of the party cell of the Provincial Party Inspection "
                       "Committee, head of its Department II")
    department = "Deputy director of the Department of Natural Resources and Environment"
    notice = [department, "QNM-KCQ-G01", "2023-11-30", "2024-12-31"]
    tail = ["exact", "unit_and_below", ""]
    return [
        ["QNM-2124-PC-IS", *forum, inspection_head, "QNM", "2021-01-01", "2023-12-31",
         "disciplined", "party_committee", "member", "all", "all", "inspection;supervision", "",
         PUBLISHED_PC_INSPECTION_SUPERVISION, *tail,
         "Party members disciplined by party committees at all levels through inspection and "
         "supervision work"],
        ["QNM-2124-IC-LR", *forum, inspection_head, "QNM", "2021-01-01", "2023-12-31",
         "disciplined", "inspection_committee", "member", "all", "lack_of_responsibility",
         "all", "", PUBLISHED_IC_LACK_OF_RESPONSIBILITY, *tail,
         "Party members disciplined by inspection committees at all levels for lack of "
         "responsibility in performing assigned duties"],
        ["STNMT-581-HEADS", *forum, *notice, "disciplined", "all", "member", "all", "all",
         "all", TW_CONCLUSION, 2, *tail, "Department heads disciplined after Central "
         "Inspection Committee conclusion notice 581 of 2023-11-30"],
        ["STNMT-581-CELLS", *forum, *notice, "discipline_required", "all", "organization",
         "all", "all", "all", TW_CONCLUSION, 2, *tail,
         "Subordinate party cells to be considered for discipline under conclusion notice 581"],
        ["STNMT-581-MEMBERS", *forum, *notice, "discipline_required", "all", "member", "all",
         "all", "all", TW_CONCLUSION, 15, *tail,
         "Related party members to be considered for discipline under conclusion notice 581"],
    ]


def write_sample(sample: SampleBuilder, out_dir: Path) -> dict[str, int]:
    landing = out_dir / "landing"
    if landing.exists():
        shutil.rmtree(landing)
    counts: dict[str, int] = {}

    def csv_file(rel: str, header, rows, delimiter=",") -> None:
        counts[rel] = write_csv(landing / rel, header, rows, delimiter)

    csv_file("org_units/01_org_units.csv", ORG_UNIT_COLUMNS, org_unit_rows(sample.units))
    csv_file("memberships/memberships.csv", ["unit_code", "as_of_date", "members",
                                             "party_organizations"],
             membership_rows(random.Random(sample.seed)))
    for name, rows in member_files(sample).items():
        rel = f"member_disciplines/{name}"
        if name.endswith(".json"):
            counts[rel] = write_json(landing / rel,
                                     [dict(zip(MEMBER_COLUMNS, r, strict=True)) for r in rows])
        else:
            csv_file(rel, MEMBER_COLUMNS, rows)
    revised = sorted((r for d in sample.decisions if d.revision for r in revision_rows(d)),
                     key=lambda r: (r[6][6:] + r[6][3:5] + r[6][:2], r[0], r[1], r[2]))
    csv_file(f"member_disciplines/{REVISION_FILE}", VI_HEADER, revised, delimiter=";")
    csv_file("org_disciplines/org_disciplines.csv", ORG_DISCIPLINE_COLUMNS,
             org_discipline_rows(sample))
    counts["activities/activities.ndjson"] = write_json(
        landing / "activities/activities.ndjson", activity_records(sample), lines=True)
    csv_file("aggregate_reports/district_annual_reports.csv", REPORT_COLUMNS,
             report_rows(sample))
    csv_file("published_figures/quang_nam_forum_2024.csv", PUBLISHED_FIGURE_COLUMNS,
             published_figure_rows())
    csv_file("governance_indicators/governance_indicators.csv",
             ["unit_code", "year", "indicator", "rank", "score", "source_ref"], governance_rows())
    counts = {f"landing/{k}": v for k, v in sorted(counts.items())}
    (out_dir / "README.md").write_text(readme(sample, counts), encoding="utf-8", newline="\n")
    return counts


def distractor_stats(sample: SampleBuilder) -> dict[str, int]:
    """How many records each counting rule must set aside or fold."""
    qnm = [d for d in sample.decisions if sample.region[d.unit] == "QNM"]
    in_period = [d for d in qnm if PERIOD_START <= d.day <= PERIOD_END]
    rows = Counter(p.member_id for d in sample.decisions for p, _ in d.members)
    return {
        "revoked": sum(len(d.members) for d in qnm if d.revision == "revoked"),
        "amended": sum(len(d.members) for d in qnm if d.revision == "amended"),
        "rereported_decisions": sum(d.rereported for d in qnm),
        "rereported_rows": sum(len(d.members) for d in qnm if d.rereported),
        "outside_period": sum(len(d.members) for d in qnm
                              if not PERIOD_START <= d.day <= PERIOD_END),
        "boundary_days": sum(len(d.members) for d in qnm
                             if d.day in (date(2020, 12, 31), date(2024, 1, 1))),
        "da_nang": sum(len(d.members) for d in sample.decisions
                       if sample.region[d.unit] == "DNG"),
        "pc_complaint_or_other": sum(len(d.members) for d in in_period if d.bucket == "C"),
        "ic_without_lor": sum(len(d.members) for d in in_period if d.bucket == "D"),
        "lor_with_second_category": sum(len(d.members) for d in in_period if d.bucket == "B"
                                        and len(d.categories) > 1 and d.revision != "revoked"),
        "counted_from_cells": sum(len(d.members) for d in in_period if d.bucket == "A"
                                  and sample.units[d.unit].level == "cell"
                                  and d.revision != "revoked"),
        "members_in_two_or_more_decisions": sum(1 for n in rows.values() if n > 1),
    }


def readme(sample: SampleBuilder, counts: dict[str, int]) -> str:
    stats = distractor_stats(sample)
    files = "\n".join(f"| `{name}` | {n} |" for name, n in counts.items())
    return f"""# SYNTHETIC SAMPLE: Quang Nam 2021-2023

**EVERY RECORD IN THIS FOLDER IS SYNTHETIC.** No member, decision, activity,
report or membership count is real; names of persons, communes, wards, party
cells and most agencies are invented. It was written by
`python -m synthetic.quang_nam --seed {sample.seed}` (`synthetic/quang_nam.py`);
do not edit it by hand, rerun the script (same seed, byte-identical files).

Real are only: the top of the organisation tree (Trung ương, Tỉnh ủy Quảng Nam,
Thành ủy Đà Nẵng, the 18 district-level party committees of Quang Nam, the
provincial agencies' bloc and its Department of Natural Resources and
Environment, the 2025 merger) and the published figures below.

## Calibration

The records are calibrated so that counting them by CONTRACT.md §6
reproduces the published founding figures ({SOURCE}; speaker: deputy head of
the party cell of the Provincial Party Inspection Committee, head of its Department II):

| figure (Quang Nam, all levels, 2021-2023) | published | records |
|---|---|---|
| members disciplined by party committees through inspection and supervision | \
{PUBLISHED_PC_INSPECTION_SUPERVISION} | `party_committee`, channel `inspection` or `supervision` |
| members disciplined by inspection committees for lack of responsibility | \
{PUBLISHED_IC_LACK_OF_RESPONSIBILITY} | `inspection_committee`, `lack_of_responsibility` among \
the categories |

Counting: decision date 2021-01-01..2023-12-31; deciding unit `QNM` or below
it in the tree valid on the decision date; files of a kind read in name order
(a later row with the same business key replaces an earlier one); revoked
excluded; each (deciding_unit_code, decision_ref, member_id) once.

Distractors (member-decision rows unless said):

- revoked in the revision file after being sent in force: {stats['revoked']}
  (Đông Giang, all of them would otherwise count in one of the two figures);
- amended in the revision file (discipline form changed, still counted): {stats['amended']};
- district decisions sent again by the province: {stats['rereported_decisions']} decisions,
  {stats['rereported_rows']} rows (identical business key, counted once);
- Quang Nam decisions outside 2021-2023: {stats['outside_period']}, of which
  {stats['boundary_days']} dated 2020-12-31 or 2024-01-01;
- Da Nang decisions (outside the scope): {stats['da_nang']};
- party committee decisions in the period through complaints/denunciations or other
  work: {stats['pc_complaint_or_other']};
- inspection committee decisions in the period without lack of responsibility:
  {stats['ic_without_lor']};
- counted decisions citing lack of responsibility and a second category (count once):
  {stats['lor_with_second_category']};
- counted decisions taken by party cells: {stats['counted_from_cells']};
- members disciplined in two or more decisions: {stats['members_in_two_or_more_decisions']}
  (distinct persons are fewer than member-decisions);
- from 2025-07-01 the grassroots units hang directly under `DNG`: a roll-up through
  the latest tree instead of the tree valid on the decision date loses them.

`published_figures/quang_nam_forum_2024.csv` carries these two figures and the three of
conclusion notice `{TW_CONCLUSION}` below, as published; the reconciliation
(`marts.rpt_published_reconciliation`) compares them with the records. A warehouse holds only
the figures submitted to it.

## Published figures used elsewhere in the sample

- `org_disciplines`, `activities` and `member_disciplines`: the Central Inspection
  Committee's inspection of the Department of Natural Resources and Environment
  (conclusion `{TW_CONCLUSION}`, 2023-11-30; 2 party cells and 15 members to be
  considered for discipline) and the 2 department heads disciplined in 2024. The
  inspection decision's own number is not published: the activity is keyed by the
  conclusion `{TW_CONCLUSION}`, which is also what the decisions cite in `activity_ref`.
  The decisions themselves (dates, forms, persons) are synthetic.
- `memberships`: the bloc has {BLOC_SIZE} party organisations and more than 4,500
  members in 2024 (the count written, 4,6xx, is a synthetic value above that lower
  bound). All other member counts are synthetic. `party_organizations` is given only
  for the bloc: the communes and cells of the districts are a small sample.
- `governance_indicators`: all published ({SOURCE}, speaker: director of the
  Department of Home Affairs): 2023 PAR_INDEX rank 56, SIPAS rank 59, PAPI rank 48,
  PCI rank 30 (published as "among the top 30": 30 is an upper bound on the rank),
  SATISFACTION (people's and businesses' satisfaction with provincial departments,
  %) 81.28 in 2023 and 89.95 in 2022. No synthetic indicator values are included.
- `aggregate_reports`: synthetic yearly district reports, equal to the records,
  except `{MISMATCH_REPORT[0]}` {MISMATCH_REPORT[1]} (deliberately +3) and
  `{TWO_VINTAGES_REPORT[0]}` {TWO_VINTAGES_REPORT[1]} (an earlier, wrong vintage with
  an earlier `as_of_date`; the latest vintage is right).

## Files

| file | rows |
|---|---|
{files}

`member_disciplines/{REVISION_FILE}` is written as a clerk would export it:
`;` delimiter, Vietnamese headers and labels, dates DD/MM/YYYY, booleans có/không.
The province compilation `2021_2023_province.csv` sorts before the district files;
its re-reported rows are identical to the district rows, so the order does not matter.
"""


def generate(out_dir: Path, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Write the sample under `out_dir`; returns rows written per file."""
    return write_sample(SampleBuilder(seed).build(), Path(out_dir))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    for name, rows in generate(args.out, args.seed).items():
        print(f"{rows:6d}  {name}")


if __name__ == "__main__":
    main()
