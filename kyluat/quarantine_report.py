"""The operator's view of the quarantine: every open rejection with its full reason and the
values as submitted (schema `restricted` of the working file, never published), on screen or
as one private file per submitting unit, to send back to it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kyluat import locking
from kyluat.config import Settings

# A unit's report can be read by its owner only: it quotes what the unit submitted (names,
# values of rejected rows), which the published file never holds.
REPORT_MODE = 0o600
FOLDER_MODE = 0o700


@dataclass(frozen=True)
class Rejection:
    path: str
    row: int | None        # None: the whole file
    rule_codes: list[str]
    reason: str | None     # the full reason, quoting the value
    values: str | None     # the row as submitted, JSON
    units: list[str]       # the unit codes the row names in its unit-code columns

    def lines(self) -> list[str]:
        where = self.path if self.row is None else f"{self.path}:{self.row}"
        lines = [f"{where}: {self.reason} [{', '.join(self.rule_codes)}]"]
        if self.values:
            lines.append(f"    submitted: {self.values}")
        return lines


def open_rejections(settings: Settings, path_contains: str | None = None,
                    unit: str | None = None) -> list[Rejection]:
    """Each rejection not yet resolved, by file and row; `unit`: only rows whose submitted
    values name that unit in a unit-code column (what one submitting unit is sent back)."""
    if not settings.working_db.exists():
        return []
    con = locking.connect(settings.working_db, read_only=True)
    try:
        rows = con.execute("""
            select f.path, q.row_number, q.rule_codes, r.reason, r.raw_values::varchar,
                   list_sort(list_distinct(list_filter(list_transform(
                       json_keys(r.raw_values),
                       name -> case when name like '%unit_code' then
                           json_extract_string(r.raw_values, '$.' || name) end),
                       code -> code is not null)))
            from audit.quarantine q
            join audit.file_registry f on f.file_id = q.file_id
            left join restricted.quarantine r on r.file_id = q.file_id
                 and r.row_number is not distinct from q.row_number
            where q.resolved_at is null and (? is null or contains(f.path, ?))
            order by f.path, q.row_number nulls first
        """, [path_contains, path_contains]).fetchall()
    finally:
        con.close()
    found = [Rejection(path, row, codes or [], reason, values, units or [])
             for path, row, codes, reason, values, units in rows]
    return [r for r in found if unit is None or unit in r.units]


def quarantine_report(settings: Settings, path_contains: str | None = None,
                      unit: str | None = None) -> list[str]:
    """`path:row: reason [codes]` (`path: reason` for a whole file) and the row's values."""
    return [line for r in open_rejections(settings, path_contains, unit) for line in r.lines()]


class UnknownUnit(ValueError):
    """A unit code that no version of the loaded unit tree has."""


def known_units(settings: Settings) -> set[str]:
    """The unit codes of the loaded unit tree: a value in a unit-code column that is none of
    them (a shifted column, a typo) names no unit to send a report to."""
    if not settings.working_db.exists():
        return set()
    con = locking.connect(settings.working_db, read_only=True)
    try:
        if not con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' "
                           "and table_name = 'org_units'").fetchone()[0]:
            return set()
        return {c for (c,) in con.execute("select distinct unit_code from raw.org_units")
                .fetchall()}
    finally:
        con.close()


def report_file_name(unit: str) -> str:
    """A file name for `unit`'s report that stays inside the folder whatever the code holds."""
    return "quarantine_" + re.sub(r"[^0-9A-Za-z_-]", "_", unit) + ".txt"


def write_unit_reports(settings: Settings, out: Path, path_contains: str | None = None,
                       unit: str | None = None) -> tuple[dict[str, tuple[Path, int]], int]:
    """One file in `out` per submitting unit (`unit`: that one only) with its open rejections
    and nothing of any other unit's, readable by its owner only. Returns, by unit, the file
    and its number of rejections, and the number of open rejections naming no unit of the
    tree (files rejected whole, rows whose unit codes are unknown: the operator's, `kyluat
    quarantine-report`). UnknownUnit: `unit` is in no version of the tree."""
    rejections = open_rejections(settings, path_contains)
    units = known_units(settings)
    if unit is not None and unit not in units:
        raise UnknownUnit(unit)
    by_unit: dict[str, list[Rejection]] = {}
    for rejection in rejections:
        for code in set(rejection.units) & units:
            by_unit.setdefault(code, []).append(rejection)
    if unit is not None:
        by_unit = {unit: by_unit.get(unit, [])}
    unnamed = sum(not set(r.units) & units for r in rejections)
    out.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    written: dict[str, tuple[Path, int]] = {}
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    for code, own in sorted(by_unit.items()):
        path = out / report_file_name(code)
        text = "\n".join([
            f"Rejected rows naming unit {code}: {len(own)} open, as of {stamp}.",
            "Each line: the file and row, why the row was not loaded, its rule code, and the "
            "row as submitted. Correct the rows and submit them again.",
            "", *(line for r in own for line in r.lines())]) + "\n"
        _write_private(path, text)
        written[code] = (path, len(own))
    return written, unnamed


def _write_private(path: Path, text: str) -> None:
    """Written whole to a temporary file created with REPORT_MODE, then renamed over `path`
    (a link planted at `path` is replaced, not followed)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                 REPORT_MODE)
    try:
        os.fchmod(fd, REPORT_MODE)  # whatever the umask, or a file left there before
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            fh.write(text)
    finally:
        if fd != -1:
            os.close(fd)
    os.replace(temporary, path)
