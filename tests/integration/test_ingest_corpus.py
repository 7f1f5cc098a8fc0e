"""Every rejection rule and format quirk of the submission contract, one corpus file each.

Each case copies `tests/corpus/org_units/base_org_units.csv` and the case's own files into a
fresh landing directory (same relative paths), ingests twice with `run_ingest`, and compares
the file registry and the quarantine with outcomes written here by hand.

The base tree: TW (central); QNM (province, closed 2025-07-01, merged into DNG); DNG (two
versions, 1997 and 2025-07-01); districts QNM-D01 (until 2025-07-01), QNM-D02 (closed
2020-01-01), DNG-D01; grassroots QNM-D01-G01 and DNG-D01-G01 (from 2000); cell
QNM-D01-G01-C01 (from 2000).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import shutil
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from kyluat.contract import KINDS
from kyluat.ingest import run_ingest
from kyluat.rules import RULES, public_reason
from orchestration.cli import main as kyluat_main

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BASE = "org_units/base_org_units.csv"
BASE_UNITS = 10


@dataclass(frozen=True)
class Case:
    """Files of one case and what ingestion must make of them."""
    files: tuple[str, ...]
    # (path, kind, status, row_count, accepted, rejected) of every registry row but the base
    registry: tuple[tuple, ...]
    # (row number or None for the whole file, words the open quarantine reason contains)
    reasons: tuple[tuple[int | None, str], ...] = ()
    first_error: str | None = None  # words the registry's first error contains


MD = "member_disciplines"
FORM_NOT_MEMBER = ("discipline_form 'cảnh báo' is not a member discipline form; "
                   "expected one of khiển trách, cảnh cáo, cách chức, khai trừ")
FORMULA = "looks like a spreadsheet formula; remove the leading character"
UNKNOWN_UNIT = "is not a known unit; its org_units row must be sent first"

CASES: dict[str, Case] = {
    # --- one valid file of every kind, in every format ----------------------------------
    "member_disciplines_csv": Case(
        (f"{MD}/valid_decisions.csv",),
        ((f"{MD}/valid_decisions.csv", MD, "loaded", 3, 3, 0),)),
    "memberships_csv": Case(
        ("memberships/valid_memberships.csv",),
        (("memberships/valid_memberships.csv", "memberships", "loaded", 3, 3, 0),)),
    "org_disciplines_csv_with_dissolution": Case(
        ("org_disciplines/valid_org_disciplines.csv",),
        (("org_disciplines/valid_org_disciplines.csv", "org_disciplines", "loaded", 2, 2, 0),)),
    "activities_ndjson": Case(
        ("activities/valid_activities.ndjson",),
        (("activities/valid_activities.ndjson", "activities", "loaded", 2, 2, 0),)),
    "aggregate_reports_all_qualifiers_scope_vintages": Case(
        ("aggregate_reports/valid_reports.csv",),
        (("aggregate_reports/valid_reports.csv", "aggregate_reports", "loaded", 4, 4, 0),)),
    "governance_indicators_json_array": Case(
        ("governance_indicators/valid_indicators.json",),
        (("governance_indicators/valid_indicators.json", "governance_indicators", "loaded",
          3, 3, 0),)),
    "org_units_windows_1258": Case(
        ("org_units/cp1258_units.csv",),
        (("org_units/cp1258_units.csv", "org_units", "loaded", 2, 2, 0),)),
    "top_level_workbook_with_kind_sheets": Case(
        ("workbook.xlsx",),
        (("workbook.xlsx", "member_disciplines", "loaded", 2, 2, 0),
         ("workbook.xlsx", "memberships", "loaded", 1, 1, 0))),
    "workbook_in_kind_folder_reads_first_sheet": Case(
        ("org_disciplines/single_sheet.xlsx",),
        (("org_disciplines/single_sheet.xlsx", "org_disciplines", "loaded", 1, 1, 0),)),
    "workbook_numbers_read_as_written": Case(
        (f"{MD}/numeric_cells.xlsx",),
        ((f"{MD}/numeric_cells.xlsx", MD, "loaded", 1, 1, 0),)),
    "semicolon_delimiter": Case(
        (f"{MD}/semicolon_delimiter.csv",),
        ((f"{MD}/semicolon_delimiter.csv", MD, "loaded", 2, 2, 0),)),
    "utf8_bom_and_crlf": Case(
        (f"{MD}/utf8_bom.csv",),
        ((f"{MD}/utf8_bom.csv", MD, "loaded", 2, 2, 0),)),
    "nfd_text_and_vietnamese_headers": Case(
        ("aggregate_reports/nfd_text.csv",),
        (("aggregate_reports/nfd_text.csv", "aggregate_reports", "loaded", 1, 1, 0),)),
    "vietnamese_headers_labels_and_dates": Case(
        (f"{MD}/vietnamese_headers.csv",),
        ((f"{MD}/vietnamese_headers.csv", MD, "loaded", 2, 2, 0),)),
    "header_only": Case(
        (f"{MD}/header_only.csv",),
        ((f"{MD}/header_only.csv", MD, "loaded", 0, 0, 0),)),
    # --- files that cannot be read at all ------------------------------------------------
    "utf16_rejected": Case(
        (f"{MD}/encoding_utf16.csv",),
        ((f"{MD}/encoding_utf16.csv", MD, "rejected", 0, 0, 0),),
        ((None, "the file is neither UTF-8 nor Windows-1258 (it looks like UTF-16"),),
        first_error="save it as CSV UTF-8"),
    "empty_file": Case(
        (f"{MD}/empty.csv",),
        ((f"{MD}/empty.csv", MD, "rejected", 0, 0, 0),),
        ((None, "the file is empty"),), first_error="the file is empty"),
    "truncated_inside_quoted_value": Case(
        (f"{MD}/truncated_in_quote.csv",),
        ((f"{MD}/truncated_in_quote.csv", MD, "rejected", 0, 0, 0),),
        ((None, "row 4: a quoted value is never closed (the file may be truncated); "
                "nothing from it was loaded"),)),
    "invalid_json": Case(
        ("governance_indicators/not_json.json",),
        (("governance_indicators/not_json.json", "governance_indicators", "rejected", 0, 0, 0),),
        ((None, "not readable as JSON (an array of objects)"), (None, '"not_json.json"'))),
    "unsupported_extension": Case(
        (f"{MD}/notes.txt",),
        ((f"{MD}/notes.txt", MD, "rejected", 0, 0, 0),),
        ((None, "unsupported file type '.txt'; send .csv, .xlsx, .json or .ndjson"),)),
    "csv_at_top_of_landing": Case(
        ("top_level.csv",),
        (("top_level.csv", None, "rejected", 0, 0, 0),),
        ((None, "a file at the top of the landing directory must be an .xlsx workbook"),)),
    "unknown_kind_folder": Case(
        ("sanctions/unknown_kind.csv",),
        (("sanctions/unknown_kind.csv", "sanctions", "rejected", 0, 0, 0),),
        ((None, "unknown kind 'sanctions'; the first folder must be one of org_units, "),)),
    "header_row_missing": Case(
        (f"{MD}/headerless.csv",),
        ((f"{MD}/headerless.csv", MD, "rejected", 0, 0, 0),),
        ((None, "no column of kind 'member_disciplines' found in the header; "
                "is the header row missing?"),)),
    # --- rows that fail, next to rows that load -----------------------------------------
    "truncated_at_row_end": Case(
        (f"{MD}/truncated_short_row.csv",),
        ((f"{MD}/truncated_short_row.csv", MD, "partially_loaded", 3, 2, 1),),
        ((4, "the row has fewer fields than the header (7 fields, the header has 15)"),),
        first_error="row 4: the row has fewer fields than the header"),
    "duplicate_key_in_file": Case(
        (f"{MD}/duplicate_keys.csv",),
        ((f"{MD}/duplicate_keys.csv", MD, "partially_loaded", 3, 2, 1),),
        ((3, "duplicate of row 2 (same business key: deciding_unit_code, decision_ref, "
             "member_id)"),)),
    "unknown_vocabulary_values": Case(
        (f"{MD}/unknown_vocabulary.csv",),
        ((f"{MD}/unknown_vocabulary.csv", MD, "partially_loaded", 5, 0, 5),),
        ((2, "channel 'thanh tra' is not a channel; expected one of kiểm tra; giám sát; "
             "giải quyết tố cáo, khiếu nại; khác"),
         (3, "authority_type 'hội đồng kỷ luật' is not an authority type; "
             "expected one of cấp ủy, ủy ban kiểm tra"),
         (4, "violation_categories 'đánh bạc' is not a violation category; expected one of "
             "nguyên tắc tập trung dân chủ, quy chế làm việc; công tác cán bộ;"),
         (5, "status 'tạm đình chỉ' is not a decision status; "
             "expected one of có hiệu lực, đã sửa đổi, đã thu hồi"),
         (6, "is_committee_member 'có lẽ' is not a yes/no value; write có or không"))),
    "member_form_outside_allowed_set": Case(
        (f"{MD}/form_not_member.csv",),
        ((f"{MD}/form_not_member.csv", MD, "partially_loaded", 3, 1, 2),),
        ((3, FORM_NOT_MEMBER),
         (4, "discipline_form 'giải tán' is not a member discipline form; expected one of "
             "khiển trách, cảnh cáo, cách chức, khai trừ")),
        first_error="row 3: discipline_form is not a term of its vocabulary"),
    "probationary_member_removal_or_expulsion": Case(
        (f"{MD}/probationary_forms.csv",),
        ((f"{MD}/probationary_forms.csv", MD, "partially_loaded", 3, 1, 2),),
        ((3, "discipline_form 'cách chức' is not allowed for a probationary member; "
             "expected khiển trách or cảnh cáo"),
         (4, "discipline_form 'khai trừ' is not allowed for a probationary member"))),
    "removal_from_post_needs_a_post": Case(
        (f"{MD}/removal_without_post.csv",),
        ((f"{MD}/removal_without_post.csv", MD, "partially_loaded", 3, 1, 2),),
        ((2, "discipline_form 'cách chức' (removal from post) needs a post, "
             "but is_committee_member is not true"),
         (3, "discipline_form 'cách chức' (removal from post) needs a post"))),
    "dates_unparseable_future_or_out_of_order": Case(
        (f"{MD}/bad_dates.csv",),
        ((f"{MD}/bad_dates.csv", MD, "partially_loaded", 6, 1, 5),),
        ((2, "decision_date '31/02/2023' is not a date; write YYYY-MM-DD or DD/MM/YYYY"),
         (3, "decision_date '15.03.2023' is not a date"),
         (4, "decision_date 2099-01-01 is in the future"),
         (5, "decision_date 2023-03-15 is before violation_date 2023-06-01"),
         (7, "decision_date '15/03/23' is not a date"))),
    "activity_ends_before_it_starts": Case(
        ("activities/end_before_start.csv",),
        (("activities/end_before_start.csv", "activities", "partially_loaded", 3, 1, 2),),
        ((2, "end_date 2023-04-01 is before start_date 2023-05-01"),
         (4, "end_date 2099-12-31 is in the future"))),
    "unit_ends_before_it_starts": Case(
        ("org_units/valid_to_not_after_valid_from.csv",),
        (("org_units/valid_to_not_after_valid_from.csv", "org_units", "partially_loaded",
          3, 1, 2),),
        ((2, "valid_to 2010-01-01 is not after valid_from 2010-01-01"),
         (3, "valid_to 2005-06-30 is not after valid_from 2010-01-01"))),
    "successor_is_the_unit_itself": Case(
        ("org_units/successor_is_itself.csv",),
        (("org_units/successor_is_itself.csv", "org_units", "partially_loaded", 3, 1, 2),),
        ((2, "successor_codes names the unit itself ('QNM-D06'); list the units that took "
             "over from it"),
         (3, "successor_codes names the unit itself ('QNM-D07')"))),
    "negative_and_non_integer_counts": Case(
        ("memberships/bad_counts.csv",),
        (("memberships/bad_counts.csv", "memberships", "partially_loaded", 5, 1, 4),),
        ((2, "members -5 is negative"),
         (3, "members '12.5' is not a whole number"),
         (4, "party_organizations 'mười' is not a whole number"),
         (6, "members '81.234' is not a whole number; write digits only, without thousands "
             "separators"))),
    "count_past_bigint_is_rejected_not_null": Case(
        ("memberships/count_out_of_range.csv",),
        (("memberships/count_out_of_range.csv", "memberships", "partially_loaded", 2, 1, 1),),
        ((2, "members '99999999999999999999' is too large for a count"),)),
    # --- the smaller losses of a hostile harness: each is a case, none loses a good row ----
    "ndjson_broken_line_is_rejected_alone": Case(
        ("org_disciplines/broken_line.ndjson",),
        (("org_disciplines/broken_line.ndjson", "org_disciplines", "partially_loaded",
          3, 2, 1),),
        ((2, "the line is not a JSON object"),), first_error="row 2: the line is not a JSON"),
    "ndjson_blank_line_skipped_and_array_line_rejected": Case(
        ("org_disciplines/blank_and_array_lines.ndjson",),
        (("org_disciplines/blank_and_array_lines.ndjson", "org_disciplines",
          "partially_loaded", 3, 2, 1),),
        ((3, "the line is not a JSON object"),)),
    "mixed_cr_lf_crlf_line_endings": Case(
        ("memberships/mixed_line_endings.csv",),
        (("memberships/mixed_line_endings.csv", "memberships", "loaded", 3, 3, 0),)),
    "nul_byte_in_header": Case(
        ("memberships/nul_in_header.csv",),
        (("memberships/nul_in_header.csv", "memberships", "rejected", 0, 0, 0),),
        ((None, "it looks like UTF-16 or a binary file"),)),
    # a NUL byte in a value would cut it short: the row is rejected, the others load (in a
    # UTF-8 file, and in a Windows-1258 one, where it is no sign of UTF-16 either)
    "nul_byte_in_a_row": Case(
        (f"{MD}/nul_in_row.csv",),
        ((f"{MD}/nul_in_row.csv", MD, "partially_loaded", 3, 1, 2),),
        ((2, "member_id holds a NUL byte or an unreadable character"),
         (3, "decision_date holds a NUL byte or an unreadable character"))),
    "nul_byte_in_a_windows_1258_row": Case(
        ("org_units/cp1258_nul_in_row.csv",),
        (("org_units/cp1258_nul_in_row.csv", "org_units", "partially_loaded", 2, 1, 1),),
        ((2, "name holds a NUL byte or an unreadable character"),)),
    "utf16_without_byte_order_mark": Case(
        ("memberships/utf16_without_bom.csv",),
        (("memberships/utf16_without_bom.csv", "memberships", "rejected", 0, 0, 0),),
        ((None, "it looks like UTF-16 or a binary file"),)),
    "unknown_unit_code": Case(
        (f"{MD}/unknown_unit.csv",),
        ((f"{MD}/unknown_unit.csv", MD, "partially_loaded", 3, 1, 2),),
        ((2, f"deciding_unit_code 'QNM-D99' {UNKNOWN_UNIT}"),
         (3, f"member_unit_code 'XYZ' {UNKNOWN_UNIT}"))),
    "unit_not_valid_on_row_date": Case(
        (f"{MD}/unit_not_valid_on_date.csv",),
        ((f"{MD}/unit_not_valid_on_date.csv", MD, "partially_loaded", 4, 1, 3),),
        ((2, "member_unit_code 'QNM-D02' was closed on 2020-01-01; its successor is "
             "'QNM-D01'"),
         (4, "deciding_unit_code 'QNM' was closed on 2025-07-01; its successor is 'DNG'"),
         (5, "deciding_unit_code 'DNG-D01-G01' is not valid on decision_date 1999-05-01"),
         (5, "member_unit_code 'DNG-D01-G01' is not valid on decision_date 1999-05-01"))),
    "required_column_missing_from_header": Case(
        (f"{MD}/missing_required_column.csv",),
        ((f"{MD}/missing_required_column.csv", MD, "partially_loaded", 2, 0, 2),),
        ((2, "missing channel (required)"), (3, "missing channel (required)"))),
    "key_value_missing": Case(
        (f"{MD}/missing_key_value.csv",),
        ((f"{MD}/missing_key_value.csv", MD, "partially_loaded", 4, 1, 3),),
        ((2, "missing decision_ref (required)"),
         (3, "missing member_id (required)"),
         (4, "missing deciding_unit_code (required)"))),
    "formula_injection": Case(
        (f"{MD}/formula_injection.csv",),
        ((f"{MD}/formula_injection.csv", MD, "partially_loaded", 6, 1, 5),),
        ((3, f"""decision_ref '=HYPERLINK("http://x.vn","Xem")' {FORMULA}"""),
         (4, f"activity_ref '+84-KT/UBKT' {FORMULA}"),
         (5, f"decision_ref '-13-QĐ/UBKTThU' {FORMULA}"),
         (6, f"member_id {FORMULA}"),
         (7, f"member_unit_code '=QNM-D01' {FORMULA}"))),
}


def ingest(settings, files: tuple[str, ...], run_id: str = "first"):
    for rel in (BASE, *files):
        target = settings.landing_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / rel, target)
    return run_ingest(settings, run_id)


def registry(con) -> list[tuple]:
    return sorted(con.execute("""
        select path, kind, status, row_count, accepted_count, rejected_count
        from audit.file_registry where path <> ?
    """, [BASE]).fetchall(), key=str)


def open_quarantine(con) -> list[tuple]:
    """(row, full reason) of the open quarantine rows, from the operator's copy."""
    return con.execute("""
        select q.row_number, r.reason from audit.quarantine q
        join restricted.quarantine r on r.file_id = q.file_id
             and r.row_number is not distinct from q.row_number
        join audit.file_registry f on f.file_id = q.file_id
        where q.resolved_at is null and f.path <> ? order by q.row_number, r.reason
    """, [BASE]).fetchall()


def submitted_values(files: tuple[str, ...]) -> set[str]:
    """Values of the case's text files below their first line, that no public reason has."""
    public = " ".join(RULES.values())
    values: set[str] = set()
    for rel in files:
        try:
            lines = (CORPUS / rel).read_text(encoding="utf-8").splitlines()[1:]
        except UnicodeDecodeError:
            continue
        for line in lines:
            for value in re.split(r'[,;"{}:\[\]]', line):
                value = value.strip()
                if len(value) >= 5 and value not in public and value not in rel:
                    values.add(value)
    return values


def assert_audit_is_value_free(con, files: tuple[str, ...]) -> None:
    """Every audit reason is the public reason of its rule codes and columns, and no value
    of the submitted files appears anywhere in audit."""
    for codes, columns, reason in con.execute(
            "select rule_codes, column_names, reason from audit.quarantine").fetchall():
        assert reason == " | ".join(public_reason(c, n) for c, n in zip(codes, columns,
                                                                         strict=True))
    text = " ".join(str(row) for row in con.execute(
        "select * from audit.quarantine union all by name select * from audit.file_registry"
    ).fetchall())
    leaked = [value for value in submitted_values(files) if value in text]
    assert not leaked, leaked


def raw_counts(con) -> dict[str, int]:
    return {k: con.execute(f"select count(*) from raw.{k}").fetchone()[0] for k in KINDS}


@pytest.mark.parametrize("name", list(CASES))
def test_corpus_case(workspace, name):
    """Registry status and counts, and the quarantine reasons, are what the contract says for
    the case; good rows of the same file are loaded; a second run changes nothing."""
    case = CASES[name]
    ingest(workspace, case.files)
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        assert con.execute("select status, accepted_count from audit.file_registry "
                           "where path = ?", [BASE]).fetchall() == [("loaded", BASE_UNITS)]
        assert registry(con) == sorted(case.registry, key=str)
        quarantined = open_quarantine(con)
        assert len(quarantined) == len({row for row, _ in case.reasons}), quarantined
        for row, words in case.reasons:
            assert any(r == row and words in reason for r, reason in quarantined), \
                (row, words, quarantined)
        if case.first_error:
            errors = con.execute("select first_error from audit.file_registry where path = ?",
                                 [case.registry[0][0]]).fetchall()
            assert any(case.first_error in (e or "") for (e,) in errors), errors
        assert_audit_is_value_free(con, case.files)
        accepted = {k: 0 for k in KINDS}
        accepted["org_units"] = BASE_UNITS
        for _, kind, _, _, n, _ in case.registry:
            if kind in accepted:
                accepted[kind] += n
        assert raw_counts(con) == accepted
        before = (registry(con), quarantined, raw_counts(con))

    summary = run_ingest(workspace, "second")
    assert (summary.files_new, summary.rows_accepted, summary.rows_resolved) == (0, 0, 0)
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        assert (registry(con), open_quarantine(con), raw_counts(con)) == before


def test_uploads_in_progress_are_neither_read_nor_registered(workspace, caplog):
    """`.x.csv`, `~$x.xlsx`, `x.csv.tmp` and `x.csv.part` are uploads in progress (§1)."""
    in_progress = (f"{MD}/.draft.csv", f"{MD}/~$decisions.xlsx", f"{MD}/decisions.csv.tmp",
                   f"{MD}/decisions.csv.part", "~$workbook.xlsx")
    with caplog.at_level(logging.INFO, logger="kyluat"):
        summary = ingest(workspace, in_progress)
    assert summary.files_seen == 1  # the base org_units file only
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        assert con.execute("select path from audit.file_registry").fetchall() == [(BASE,)]
        assert con.execute("select count(*) from audit.quarantine").fetchone()[0] == 0
        assert raw_counts(con)[MD] == 0
    skipped = [r.getMessage() for r in caplog.records if "upload in progress" in r.getMessage()]
    assert len(skipped) == len(in_progress), skipped


def test_windows_1258_text_is_decoded_to_nfc(workspace):
    """A Windows-1258 file (tones as combining marks) is decoded; raw text is NFC; Vietnamese
    level labels (Cơ sở, chi bộ) map to codes."""
    ingest(workspace, ("org_units/cp1258_units.csv",))
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        rows = con.execute("select unit_code, name, level from raw.org_units "
                           "where _file_id = 2 order by unit_code").fetchall()
    assert rows == [("QNM-D01-G02", "Đảng ủy phường Tân Thạnh", "grassroots"),
                    ("QNM-D01-G02-C01", "Chi bộ khối phố Mỹ Thạch Trung", "cell")]
    assert all(unicodedata.is_normalized("NFC", name) for _, name, _ in rows)


def test_nfd_text_is_stored_as_nfc_and_nfd_labels_match(workspace):
    """An NFD file (headers, labels, text) loads: headers and labels match after folding, text
    is stored as NFC, DD/MM/YYYY dates parse."""
    assert not unicodedata.is_normalized(
        "NFC", (CORPUS / "aggregate_reports/nfd_text.csv").read_text(encoding="utf-8"))
    ingest(workspace, ("aggregate_reports/nfd_text.csv",))
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        row = con.execute("""
            select reporting_unit_code, period_start, period_end, measure, authority_type,
                   subject_kind, discipline_form, violation_category, channel, value,
                   value_qualifier, scope, as_of_date, source_title
            from raw.aggregate_reports
        """).fetchone()
    assert row == ("QNM", date(2023, 1, 1), date(2023, 12, 31), "disciplined",
                   ["inspection_committee"], "member", ["warning"], ["corruption_negativity"],
                   ["supervision"], 17, "approximately", "unit_and_below", date(2024, 2, 1),
                   "Báo cáo kiểm tra, giám sát năm 2023")
    assert unicodedata.is_normalized("NFC", row[-1])


def test_vietnamese_headers_labels_and_dates_map_to_codes(workspace):
    """Vietnamese headers, labels (any case), có/không and DD/MM/YYYY become contract values."""
    ingest(workspace, (f"{MD}/vietnamese_headers.csv",))
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        rows = con.execute("""
            select decision_ref, authority_type, discipline_form, decision_date,
                   member_unit_code, violation_categories, channel, is_committee_member,
                   is_probationary, status, violation_date
            from raw.member_disciplines order by decision_ref
        """).fetchall()
    assert rows == [
        ("21-QĐ/UBKTThU", "inspection_committee", "reprimand", date(2023, 3, 15),
         "QNM-D01-G01-C01", ["lack_of_responsibility"], "inspection", False, True, "in_force",
         date(2022, 11, 20)),
        ("22-QĐ/ThU", "party_committee", "removal_from_post", date(2023, 6, 1), "QNM-D01",
         ["asset_declaration", "corruption_negativity"], "supervision", True, False, "in_force",
         None),
    ]


def test_aggregate_reports_keep_all_qualifiers_scope_and_both_vintages(workspace):
    """`all` filters, value qualifiers (hơn, khoảng), scope (các cấp, unit_only) and defaults;
    two vintages of one figure (different as_of_date) are both kept."""
    ingest(workspace, ("aggregate_reports/valid_reports.csv",))
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        rows = con.execute("""
            select reporting_unit_code, measure, authority_type, discipline_form, channel,
                   value, value_qualifier, scope, as_of_date
            from raw.aggregate_reports order by _row_number
        """).fetchall()
    assert rows == [
        ("QNM", "disciplined", ["all"], ["all"], ["all"], 412, "exact", "unit_and_below",
         date(2024, 1, 15)),
        ("QNM", "disciplined", ["all"], ["all"], ["all"], 415, "exact", "unit_and_below",
         date(2024, 6, 30)),
        ("QNM", "inspected", ["inspection_committee"], ["all"], ["inspection"], 120, "at_least",
         "unit_and_below", date(2024, 1, 15)),
        ("QNM-D01", "disciplined", ["party_committee"], ["reprimand", "warning"],
         ["inspection", "supervision"], 30, "approximately", "unit_only", date(2024, 1, 20)),
    ]


def test_json_ndjson_and_workbook_values(workspace, caplog):
    """JSON numbers and booleans, NDJSON lines, and workbook cells (numbers, a non-kind sheet
    ignored with a log line) arrive as the same typed values as CSV text."""
    with caplog.at_level(logging.INFO, logger="kyluat"):
        ingest(workspace, ("governance_indicators/valid_indicators.json",
                           "activities/valid_activities.ndjson", "workbook.xlsx"))
    assert any("sheet 'Ghi chú' is not a kind, ignored" in r.getMessage()
               for r in caplog.records)
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        assert con.execute("""
            select unit_code, year, indicator, rank, score, _row_number
            from raw.governance_indicators order by _row_number
        """).fetchall() == [("QNM", 2023, "PAR_INDEX", 12, 88.5, 1),
                            ("QNM", 2023, "SIPAS", 20, 81.28, 2),
                            ("DNG", 2023, "PAPI", 1, None, 3)]
        assert con.execute("""
            select activity_ref, authority_type, activity_type, subject_kind, start_date,
                   violation_found, members_in_violation, subject_member_key is not null,
                   _row_number
            from raw.activities order by _row_number
        """).fetchall() == [
            ("15-QĐ/UBKTThU", "inspection_committee", "inspection_on_signs", "organization",
             date(2023, 2, 1), True, 2, False, 1),
            ("30-QĐ/UBKTTU", "inspection_committee", "thematic_supervision", "member",
             date(2022, 1, 10), False, None, True, 2)]
        assert con.execute("select unit_code, as_of_date, members, party_organizations, "
                           "_row_number from raw.memberships").fetchall() == [
            ("QNM-D01", date(2022, 12, 31), 6400, 120, 2)]
        assert con.execute("select decision_ref, discipline_form, _row_number "
                           "from raw.member_disciplines order by _row_number").fetchall() == [
            ("80-QĐ/UBKTThU", "reprimand", 2), ("81-QĐ/UBKTThU", "warning", 3)]


def test_numbers_in_workbook_cells_read_as_written(workspace, monkeypatch):
    """Excel keeps a decision number (125) and a party card number (1234567) as numbers: they
    are read as written, not as 125.0, so keys match those of CSV files."""
    ingest(workspace, (f"{MD}/numeric_cells.xlsx",))
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        assert con.execute("select decision_ref, member_key, decision_date "
                           "from raw.member_disciplines").fetchall() == [
            ("125", hmac.new(b"test-key", b"1234567", hashlib.sha256).hexdigest(),
             date(2023, 8, 8))]


# --- `kyluat validate` ------------------------------------------------------------------------

def validate(capsys, *relative: str) -> tuple[int, list[str]]:
    code = kyluat_main(["validate", *(str(CORPUS / r) for r in relative)])
    return code, capsys.readouterr().out.splitlines()


def test_validate_reports_file_row_reason_for_bad_files(workspace, capsys):
    """Bad files: exit 1 and one `file:row: reason` line per problem (`file: reason` when the
    whole file is unreadable), and no warehouse file is created."""
    code, lines = validate(capsys, BASE, f"{MD}/form_not_member.csv",
                           f"{MD}/truncated_short_row.csv", f"{MD}/encoding_utf16.csv",
                           f"{MD}/unknown_unit.csv")
    assert code == 1
    md = CORPUS / MD
    assert sorted(lines) == sorted([
        f"{md / 'form_not_member.csv'}:3: {FORM_NOT_MEMBER}",
        f"{md / 'form_not_member.csv'}:4: discipline_form 'giải tán' is not a member discipline "
        "form; expected one of khiển trách, cảnh cáo, cách chức, khai trừ",
        f"{md / 'truncated_short_row.csv'}:4: the row has fewer fields than the header "
        "(7 fields, the header has 15)",
        f"{md / 'encoding_utf16.csv'}: the file is neither UTF-8 nor Windows-1258 (it looks "
        "like UTF-16 or a binary file); save it as CSV UTF-8",
        f"{md / 'encoding_utf16.csv'}: note: the file starts with a UTF-16 byte-order mark: "
        "save it as CSV UTF-8",
        f"{md / 'unknown_unit.csv'}:2: deciding_unit_code 'QNM-D99' {UNKNOWN_UNIT}",
        f"{md / 'unknown_unit.csv'}:3: member_unit_code 'XYZ' {UNKNOWN_UNIT}",
    ])
    assert list(workspace.warehouse_dir.iterdir()) == []


def test_validate_accepts_good_files(workspace, capsys):
    """Good files of several formats, including a workbook in a kind folder whose sheet is not
    named after the kind (read as ingestion reads it): exit 0, nothing printed, nothing
    written."""
    code, lines = validate(capsys, BASE, "org_units/cp1258_units.csv",
                           f"{MD}/valid_decisions.csv", f"{MD}/vietnamese_headers.csv",
                           "org_disciplines/single_sheet.xlsx", "workbook.xlsx",
                           "activities/valid_activities.ndjson")
    assert (code, lines) == (0, [])
    assert list(workspace.warehouse_dir.iterdir()) == []


def test_validate_says_which_tree_it_checked_units_against(sample_copy, workspace, capsys):
    """A unit that validates its decisions alone learns why every unit is unknown; with the
    tree given, or a published warehouse, it reads which."""
    decisions = str(CORPUS / MD / "valid_decisions.csv")
    alone = workspace.warehouse_dir / "elsewhere"
    env = pytest.MonkeyPatch()
    env.setenv("KYLUAT_WAREHOUSE_DIR", str(alone))
    assert kyluat_main(["validate", decisions]) == 1
    assert ("units checked against nothing: no org_units file given and no published "
            f"warehouse at {alone / 'analytics.duckdb'}, so every unit code is unknown"
            ) in capsys.readouterr().err
    assert kyluat_main(["validate", str(CORPUS / BASE), decisions]) == 0
    assert "units checked against the org_units file(s) given (1) only (no published " \
        "warehouse)" in capsys.readouterr().err
    env.undo()
    assert kyluat_main(["validate", decisions]) == 0  # the sample's published tree
    assert (f"units checked against the published warehouse {sample_copy.published_db} ("
            in capsys.readouterr().err)
