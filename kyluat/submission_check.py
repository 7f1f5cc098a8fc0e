"""`kyluat validate`: check files against the contract exactly as ingestion would, without
touching the warehouse. Unit codes are checked against the published organisation tree
(when there is one) and against org_units files given in the same call."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kyluat import reference
from kyluat.config import SEEDS_DIR, Settings
from kyluat.contract import FORMATS, KINDS, Kind
from kyluat.ingest import ensure_schema, refresh_known_units
from kyluat.landing import file_sha256
from kyluat.pseudonym import DEVELOPMENT_KEY
from kyluat.readers import LandingFile, read_into_src, workbook_kinds
from kyluat.rules import FileRejected
from kyluat.suspicious import encoding_notes, notes_of_read
from kyluat.validation import check_src


def _kinds_of(con, path: Path, kind: str | None) -> list[str]:
    if kind:
        return [kind]
    if path.parent.name in KINDS:
        return [path.parent.name]
    if path.suffix.lower() == ".xlsx":
        return workbook_kinds(con, path)
    for name in KINDS:  # e.g. member_disciplines_2023.csv
        if path.name.startswith(name):
            return [name]
    raise ValueError("cannot tell the kind: put the file in a folder named after its kind, "
                       "start its name with the kind, or pass --kind")


def _seed_units(con, settings: Settings) -> int:
    """Units of the published warehouse count as known, as they would when loading; how many
    unit versions it holds."""
    if not settings.published_db.exists():
        return 0
    try:
        con.execute(f"attach '{settings.published_db}' as published (read_only)")
        con.execute("""
            insert into raw.org_units (unit_code, valid_from, valid_to, successor_codes,
                                       _file_id, _row_number)
            select unit_code, valid_from, case when not is_current then valid_to end,
                   successor_codes, 0, 0
            from published.marts.dim_org_unit
        """)
        con.execute("detach published")
    except duckdb.Error:
        return 0  # an older or partial published file: check against the given files only
    return con.execute("select count(*) from raw.org_units").fetchone()[0]


def _tree_checked(settings: Settings, published_units: int, given_files: int) -> str:
    """Which tree unit codes were checked against, so that a unit validating one file alone
    knows why its units are unknown."""
    published = (f"the published warehouse {settings.published_db} "
                 f"({published_units:,} unit versions)")
    given = f"the org_units file(s) given ({given_files})"
    if published_units and given_files:
        return f"units checked against {published} and {given}"
    if published_units:
        return f"units checked against {published}"
    if given_files:
        return f"units checked against {given} only (no published warehouse)"
    return ("units checked against nothing: no org_units file given and no published "
            f"warehouse at {settings.published_db}, so every unit code is unknown; give the "
            "org_units files too, or set KYLUAT_WAREHOUSE_DIR to the published warehouse")


def validate_files(paths: list[Path], settings: Settings, kind: str | None = None,
                   seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """Every problem of the files, as `file:row: reason`."""
    return check_files(paths, settings, kind, seeds_dir=seeds_dir)[0]


def check_files(paths: list[Path], settings: Settings, kind: str | None = None,
                notes: list[str] | None = None,
                seeds_dir: Path = SEEDS_DIR) -> tuple[list[str], str]:
    """The problems of the files, and which unit tree they were checked against; `notes`
    collects what is probably a mistake but rejects nothing (kyluat/suspicious.py); the
    vocabularies and the rules they carry come from the seeds in `seeds_dir`."""
    notes = [] if notes is None else notes
    con = duckdb.connect()
    ensure_schema(con)
    reference.load_vocabularies(con, seeds_dir)
    published_units = _seed_units(con, settings)
    problems: list[str] = []
    plan: list[tuple[Path, Kind]] = []
    for path in paths:
        try:
            plan += [(path, KINDS[k]) for k in _kinds_of(con, path, kind)]
        except (FileRejected, KeyError, ValueError) as exc:
            problems.append(f"{path}: {exc}")
    # org_units first, so the other files are checked against the units they bring.
    order = list(KINDS)
    plan.sort(key=lambda item: order.index(item[1].name))
    for file_id, (path, spec) in enumerate(plan, start=1):
        # As in the landing directory: a workbook whose kind is not given by a folder (or
        # --kind) carries one sheet per kind; any other file is read whole (first sheet).
        sheets = path.suffix.lower() == ".xlsx" and not kind and path.parent.name not in KINDS
        landing = LandingFile(path, path.name, FORMATS.get(path.suffix.lower(), "unknown"),
                              None if sheets else spec.name,
                              path.stat().st_size, file_sha256(path))
        try:
            read = read_into_src(con, landing, spec.name)
        except FileRejected as exc:
            problems.append(f"{path}: {exc}")
            notes += [f"{path}: note: {n}" for n in encoding_notes(path)]
            continue
        notes += [f"{path}: note: {n}" for n in notes_of_read(path, spec.name, read)]
        con.execute("create or replace temp table src as select ?::bigint as _file_id, * "
                    "from src", [file_id])
        refresh_known_units(con, spec)
        check_src(con, spec, (DEVELOPMENT_KEY.encode(),))  # keys are not compared here
        problems += [f"{path}:{row}: {reason}" for row, _, reason, _ in read.parse_rejects]
        for row, errors in con.execute(
                "select _row_number, list_transform(_errors, lambda e: e.reason) from checked "
                "where len(_errors) > 0 order by _row_number").fetchall():
            problems += [f"{path}:{row}: {error}" for error in errors]
        if spec.name == "org_units":
            columns = ", ".join(c.stored_name for c in spec.stored_columns)
            con.execute(f"insert into raw.org_units select {columns}, _file_id, _row_number, "
                        "now(), 'validate' from checked where len(_errors) = 0")
    given = sum(spec.name == "org_units" for _, spec in plan)
    return problems, _tree_checked(settings, published_units, given)
