"""Vietnam's real administrative skeleton as `org_units` versions, from `vietnamadminunits`.

The package (MIT, pinned in uv.lock) ships the 63-province tree (provinces, districts,
communes) as it stood until the 2025 reorganisation, the 34-province tree (provinces,
communes; no district level) from 2025-07-01, and the mapping of every old commune and
province to the new ones. Its files are read directly (importing the package would load its
address parser).

Coding scheme. The GSO reuses codes across the reorganisation (48 is old and new Đà Nẵng,
00004 both Trúc Bạch ward and the new Ba Đình ward), so a code alone cannot tell the two
trees apart:

- `TW`: the centre;
- `P<gso>`, `D<gso>`, `C<gso>`: a province, district or commune of the old tree, valid from
  `OLD_TREE_FROM` until `REORGANISATION_DAY` (the package holds the old tree as it stood on
  the eve of the reorganisation, not its earlier history);
- `P<gso>-2025`, `C<gso>-2025`: a province or commune of the new tree, from
  `REORGANISATION_DAY`.

Successors. An old province is succeeded by the new province it merged into; an old district
by the new province of its communes (the five island districts without communes by the
special zone that replaced them); an old commune by the new commune(s) that took it over.
A commune split between several new communes lists the package's default successor first:
the first listed successor is the primary one, which carries the commune's history on
today's structure. The others follow in code order.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import unicodedata
from dataclasses import dataclass
from datetime import date
from importlib.util import find_spec
from pathlib import Path

from kyluat.contract import ORG_UNITS

CENTRE = "TW"
CENTRE_FROM = date(1930, 2, 3)
OLD_TREE_FROM = date(2010, 1, 1)
REORGANISATION_DAY = date(2025, 7, 1)
NEW_SUFFIX = "-2025"
FILE_NAME = "vietnam_admin_units.csv"


@dataclass(frozen=True)
class UnitVersion:
    unit_code: str
    valid_from: date
    name: str
    level: str
    parent_code: str | None
    unit_type: str
    valid_to: date | None = None
    successor_codes: tuple[str, ...] = ()

    def row(self) -> list[str]:
        return [self.unit_code, self.valid_from.isoformat(), self.name, self.level,
                self.parent_code or "", self.unit_type,
                self.valid_to.isoformat() if self.valid_to else "",
                ";".join(self.successor_codes)]


def _data_dir() -> Path:
    spec = find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the package vietnamadminunits is not installed; run make setup")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _province_type(name: str) -> str:
    return "thành phố" if name.startswith("Thành phố") else "tỉnh"


def admin_tree() -> list[UnitVersion]:
    """Every version of the real skeleton: centre, old tree, new tree, in that order."""
    data = _data_dir()
    mapping = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))
    with sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True) as con:
        legacy = con.execute("""
            select provinceKey, provinceCode, province, districtKey, districtCode, district,
                   districtType, coalesce(wardKey, ''), wardCode, ward, wardType
            from admin_units_legacy order by provinceCode, districtCode, wardCode""").fetchall()
        current = con.execute("""
            select provinceKey, provinceCode, province, wardKey, wardCode, ward, wardType
            from admin_units order by provinceCode, wardCode""").fetchall()

    new_province = {key: f"P{code}{NEW_SUFFIX}" for key, code, *_ in current}
    new_commune = {(p_key, w_key): f"C{w_code}{NEW_SUFFIX}"
                   for p_key, _, _, w_key, w_code, *_ in current}
    province_of_old = {old: new_province[new]
                       for new, olds in mapping["DICT_PROVINCE"].items() for old in olds}
    # old "province_district_ward" key -> successor codes, the primary one first
    successors: dict[str, tuple[str, ...]] = {}
    for p_key, wards in mapping["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for w_key, olds in wards.items():
            for old in olds:
                successors[old] = (new_commune[(p_key, w_key)],)
    for p_key, divided in mapping["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in divided.items():
            codes = [new_commune[(p_key, part["newWardKey"])] for part in parts]
            primary = next(new_commune[(p_key, part["newWardKey"])] for part in parts
                           if part["isDefaultNewWard"])
            successors[old] = (primary, *sorted(c for c in codes if c != primary))

    closed = {"valid_from": OLD_TREE_FROM, "valid_to": REORGANISATION_DAY}
    units = [UnitVersion(CENTRE, CENTRE_FROM, "Trung ương", "central", None, "trung ương")]
    seen_provinces: set[str] = set()
    seen_districts: set[str] = set()
    communes: list[UnitVersion] = []
    districts: list[UnitVersion] = []
    for (p_key, p_code, p_name, d_key, d_code, d_name, d_type,
         w_key, w_code, w_name, w_type) in legacy:
        if p_code not in seen_provinces:
            seen_provinces.add(p_code)
            units.append(UnitVersion(f"P{p_code}", name=_nfc(p_name), level="province",
                                     parent_code=CENTRE, unit_type=_province_type(p_name),
                                     successor_codes=(province_of_old[p_key],), **closed))
        key = f"{p_key}_{d_key}_{w_key}"
        if d_code not in seen_districts:
            seen_districts.add(d_code)
            # an island district without communes is succeeded by its special zone
            district_successors = successors[key] if not w_key else (province_of_old[p_key],)
            districts.append(UnitVersion(f"D{d_code}", name=_nfc(d_name), level="district",
                                         parent_code=f"P{p_code}", unit_type=_nfc(d_type).lower(),
                                         successor_codes=district_successors, **closed))
        if w_key:
            communes.append(UnitVersion(f"C{w_code}", name=_nfc(w_name), level="grassroots",
                                        parent_code=f"D{d_code}", unit_type=_nfc(w_type).lower(),
                                        successor_codes=successors[key], **closed))
    units += districts + communes

    seen_provinces.clear()
    new_communes: list[UnitVersion] = []
    for p_key, p_code, p_name, w_key, _, w_name, w_type in current:
        if p_code not in seen_provinces:
            seen_provinces.add(p_code)
            units.append(UnitVersion(new_province[p_key], REORGANISATION_DAY, _nfc(p_name),
                                     "province", CENTRE, _province_type(p_name)))
        new_communes.append(UnitVersion(new_commune[(p_key, w_key)], REORGANISATION_DAY,
                                        _nfc(w_name), "grassroots", new_province[p_key],
                                        _nfc(w_type).lower()))
    return units + new_communes


def write_admin_tree(out_dir: Path) -> Path:
    """Write the skeleton as a contract-valid `org_units` file under `out_dir`; its path."""
    path = out_dir / "org_units" / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(c.name for c in ORG_UNITS.columns)
        writer.writerows(unit.row() for unit in admin_tree())
    return path
