"""Input fuzzer: seeded mutations of valid submission files, each with the outcome it may
have, through `kyluat validate` and one ingestion of them all.

What every case must show: no traceback (validate exits 0 or 1), the file is registered,
every row the mutation did not touch loads (or the whole file is rejected, only under one of
the rules the mutation may cause), and the text the mutation planted appears in no audit
table (the tables that are published beside the marts; a rejected row never reaches a mart).
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BASE_UNITS = "org_units/base_org_units.csv"
ROWS = 8

MD_HEADER = ("deciding_unit_code,decision_ref,member_id,member_name,authority_type,"
             "discipline_form,decision_date,member_unit_code,violation_categories,channel,"
             "is_committee_member,is_probationary,activity_ref,status,violation_date")
_FIELDS = MD_HEADER.split(",")


def _csv_row(case: int, i: int) -> list[str]:
    return ["QNM-D01", f"F{case}-{i}", f"DV{case:04d}{i:05d}", "Nguyễn Văn Thử",
            "inspection_committee", "reprimand", "2023-03-15", "QNM-D01-G01-C01",
            "lack_of_responsibility", "inspection", "false", "false", "", "in_force", ""]


def _od_record(case: int, i: int) -> dict:
    return {"deciding_unit_code": "QNM-D01", "decision_ref": f"F{case}-{i}",
            "target_unit_code": "QNM-D01-G01-C01", "authority_type": "inspection_committee",
            "discipline_form": "warning", "decision_date": "2023-05-04",
            "violation_categories": "democratic_centralism", "channel": "inspection"}


@dataclass
class Case:
    """One mutated file and what it may become."""
    name: str
    path: str                     # relative to the landing folder
    content: bytes
    refs: list[str]               # decision_ref of every row of the unmutated file
    touched: set[str]             # refs of the rows the mutation touched: these may fail
    token: str | None = None      # planted text that must reach no audit table
    whole_file_rules: set[str] = field(default_factory=set)  # may reject the file whole


def _column(line: list[str], name: str) -> int:
    return _FIELDS.index(name)


def _csv_case(kind: str, case: int, rng: random.Random, token: str) -> Case:
    rows = [_csv_row(case, i) for i in range(ROWS)]
    refs = [r[1] for r in rows]
    k = rng.randrange(ROWS)
    touched = {refs[k]}
    whole: set[str] = set()
    planted: str | None = token
    lines = [",".join(r) for r in rows]
    if kind == "name_in_date":
        rows[k][_column(rows[k], "decision_date")] = f"Trần {token}"
    elif kind == "token_in_vocabulary":
        rows[k][_column(rows[k], "channel")] = token
    elif kind == "token_in_unit":
        rows[k][_column(rows[k], "member_unit_code")] = token
    elif kind == "formula":
        rows[k][_column(rows[k], "activity_ref")] = "=" + token
    elif kind == "long_cell":
        rows[k][_column(rows[k], "activity_ref")] = token + "y" * 20_000
    elif kind == "extra_fields":
        rows[k] += [token, token]
    if kind in {"name_in_date", "token_in_vocabulary", "token_in_unit", "formula", "long_cell",
                "extra_fields"}:
        lines = [",".join(r) for r in rows]
    elif kind == "cut_row":
        rows[k][_column(rows[k], "member_unit_code")] = token
        lines[k] = ",".join(rows[k])[: rng.randrange(len(",".join(rows[k][:8])) + 1,
                                                     len(",".join(rows[k])) - 30)]
    elif kind == "duplicate_row":
        lines.insert(k + 1, lines[k])
        planted, touched = None, set()
    elif kind == "blank_lines":
        lines[k:k] = [""] * rng.randrange(1, 500)
        planted, touched = None, set()
    elif kind == "unbalanced_quote":
        cells = lines[k].split(",")
        cells[_column(cells, "activity_ref")] = '"' + token
        lines[k] = ",".join(cells)
        touched, whole = set(refs[k:]), {"unclosed_quote"}
    text = MD_HEADER + "\n" + "\n".join(lines) + "\n"
    data = text.encode("utf-8")
    if kind == "byte_flip":
        line_start = len((MD_HEADER + "\n" + "\n".join(lines[:k]) + "\n").encode())
        at = line_start + rng.randrange(len(lines[k].encode()))
        data = data[:at] + bytes([rng.choice(b"\x00\xff\x80#\t;x")]) + data[at + 1:]
        planted = None
    elif kind == "nul_in_row":
        line_start = len((MD_HEADER + "\n" + "\n".join(lines[:k]) + "\n").encode())
        at = line_start + rng.randrange(len(lines[k].encode()))
        data = data[:at] + b"\x00" + data[at:]
        planted = None
    elif kind == "lone_cr":
        data = data.replace(b"\n", b"\r", 1 + k).replace(b"\r", b"\n", k)
        planted, touched = None, set()
    elif kind == "truncated_file":
        cut = rng.randrange(len(data) - len(lines[-1]) - 1, len(data) - 1)
        data, planted, touched = data[:cut], None, {refs[-1]}
    elif kind == "utf16":
        data, planted, touched = text.encode("utf-16"), None, set(refs)
        whole = {"looks_utf16", "not_utf8"}
    return Case(f"{case:03d}_{kind}", f"member_disciplines/fuzz_{case:03d}_{kind}.csv", data,
                refs, touched, planted, whole)


def _ndjson_case(kind: str, case: int, rng: random.Random, token: str) -> Case:
    records = [_od_record(case, i) for i in range(ROWS)]
    refs = [r["decision_ref"] for r in records]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    k = rng.randrange(ROWS)
    planted, touched = token, {refs[k]}
    if kind == "ndjson_broken_line":
        lines[k] = lines[k][: rng.randrange(5, len(lines[k]) - 5)] + token
    elif kind == "ndjson_deep_nesting":
        lines[k] = '{"decision_ref": "' + token + '", "x": ' + "[" * 10_000 + "]" * 10_000 + "}"
    elif kind == "ndjson_array_line":
        lines[k] = json.dumps([token, 1, 2])
    elif kind == "ndjson_blank_lines":
        lines[k:k] = [""] * rng.randrange(1, 50)
        planted, touched = None, set()
    return Case(f"{case:03d}_{kind}", f"org_disciplines/fuzz_{case:03d}_{kind}.ndjson",
                ("\n".join(lines) + "\n").encode("utf-8"), refs, touched, planted)


def _whole_file_case(kind: str, case: int, rng: random.Random, token: str) -> Case:
    if kind == "json_truncated":
        records = [_od_record(case, i) for i in range(ROWS)]
        data = json.dumps(records).encode()
        data = data[: rng.randrange(10, len(data) - 2)] + token.encode()
        return Case(f"{case:03d}_{kind}", f"org_disciplines/fuzz_{case:03d}_{kind}.json", data,
                    [r["decision_ref"] for r in records],
                    {r["decision_ref"] for r in records}, token, {"not_json"})
    data = (b"PK\x03\x04" if kind == "xlsx_zip_not_workbook" else b"") + rng.randbytes(2000)
    return Case(f"{case:03d}_{kind}", f"org_disciplines/fuzz_{case:03d}_{kind}.xlsx", data, [],
                set(), None, {"not_xlsx"})


CSV_KINDS = ["name_in_date", "token_in_vocabulary", "token_in_unit", "formula", "long_cell",
             "extra_fields", "cut_row", "duplicate_row", "blank_lines", "unbalanced_quote",
             "byte_flip", "nul_in_row", "lone_cr", "truncated_file", "utf16"]
NDJSON_KINDS = ["ndjson_broken_line", "ndjson_deep_nesting", "ndjson_array_line",
                "ndjson_blank_lines"]
WHOLE_KINDS = ["json_truncated", "xlsx_not_a_zip", "xlsx_zip_not_workbook"]
MUTATIONS = CSV_KINDS + NDJSON_KINDS + WHOLE_KINDS


def cases(count: int, seed: int = 18) -> list[Case]:
    """`count` cases, every mutation in turn, the same for the same seed."""
    rng = random.Random(seed)
    made = []
    for case in range(count):
        kind = MUTATIONS[case % len(MUTATIONS)]
        token = f"FZTOKEN{case:04d}Q"
        build = (_csv_case if kind in CSV_KINDS else _ndjson_case if kind in NDJSON_KINDS
                 else _whole_file_case)
        made.append(build(kind, case, rng, token))
    return made


@dataclass
class FuzzReport:
    cases: int = 0
    by_mutation: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def run_fuzz(settings, fuzz_cases: list[Case]) -> FuzzReport:
    """Write the cases into `settings.landing_dir`, validate them and ingest them once."""
    from kyluat.ingest import run_ingest
    from orchestration.cli import main as kyluat_main

    report = FuzzReport(cases=len(fuzz_cases))
    base = settings.landing_dir / BASE_UNITS
    base.parent.mkdir(parents=True, exist_ok=True)
    base.write_bytes((CORPUS / BASE_UNITS).read_bytes())
    paths = []
    for case in fuzz_cases:
        target = settings.landing_dir / case.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(case.content)
        paths.append(str(target))
        report.by_mutation[case.name.split("_", 1)[1]] += 1

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = kyluat_main(["validate", str(base), *paths])
        if code not in (0, 1):
            report.failures.append(f"validate exited {code}: {err.getvalue()[-300:]}")
    except BaseException:  # noqa: BLE001 - a traceback is the failure looked for
        report.failures.append("validate raised: " + traceback.format_exc(limit=3))
    if "Traceback" in out.getvalue() + err.getvalue():
        report.failures.append("validate printed a traceback")

    try:
        run_ingest(settings, "fuzz")
    except BaseException:  # noqa: BLE001
        report.failures.append("ingestion raised: " + traceback.format_exc(limit=3))
        return report
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        registry = {path: (file_id, status) for path, file_id, status in con.execute(
            "select path, file_id, status from audit.file_registry").fetchall()}
        codes = {file_id: set(c) for file_id, c in con.execute(
            "select file_id, flatten(list(rule_codes)) from audit.quarantine "
            "group by file_id").fetchall()}
        loaded = {(file_id, ref) for file_id, ref in con.execute(
            "select _file_id, decision_ref from raw.member_disciplines union all "
            "select _file_id, decision_ref from raw.org_disciplines").fetchall()}
        audit_text = " ".join(str(row) for table in ("audit.file_registry", "audit.quarantine")
                              for row in con.execute(f"select * from {table}").fetchall())
    for case in fuzz_cases:
        if case.path not in registry:
            report.failures.append(f"{case.name}: not registered")
            continue
        file_id, status = registry[case.path]
        if status == "rejected":
            if not codes.get(file_id, set()) <= case.whole_file_rules or not \
                    case.whole_file_rules:
                report.failures.append(f"{case.name}: rejected whole ({codes.get(file_id)})")
        else:
            lost = [r for r in case.refs if r not in case.touched and (file_id, r) not in loaded]
            if lost:
                report.failures.append(f"{case.name}: good rows lost {lost} "
                                       f"({codes.get(file_id)})")
        if case.token and case.token in audit_text:
            report.failures.append(f"{case.name}: {case.token} reached an audit table")
    return report
