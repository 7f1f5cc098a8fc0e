"""Every reason a row or a file is rejected, by rule code: the one home of rejection reasons.

A rejection is kept twice. The operator's copy (schema `restricted` of the working file, never
published; `kyluat quarantine-report`) has the full reason, which quotes the submitted value
(`decision_date 'Nguyễn Văn A' is not a date`), and the submitted values themselves. The
analysts' copy (`audit.quarantine`, `audit.file_registry.first_error`, published) has the rule
code, the column and the public reason below, which never carries anything from the file: a
clerk who shifts a column puts a name where a date belongs, and the name must not be published.
"""

from __future__ import annotations

from kyluat.reference import member_forms

_FORMS = member_forms()

# code -> public reason; `{column}` is the contract column the rule is about.
ROW_RULES = {
    "missing_value": "missing {column} (required)",
    "formula": "{column} looks like a spreadsheet formula; remove the leading character",
    "not_a_code": "{column} is not an upper-case code such as PAR_INDEX",
    "not_a_date": "{column} is not a date; write YYYY-MM-DD or DD/MM/YYYY",
    "in_future": "{column} is in the future",
    "not_yes_no": "{column} is not a yes/no value; write có or không",
    "not_whole_number": "{column} is not a whole number; write digits only, without "
                        "thousands separators",
    "negative_count": "{column} is negative; counts cannot be",
    "out_of_range": "{column} is out of range (a count is at most 9,223,372,036,854,775,807)",
    "not_a_year": "{column} is not a four-digit year",
    "not_a_number": "{column} is not a number",
    "unknown_term": "{column} is not a term of its vocabulary (dbt_project/seeds/vocab_*.csv)",
    "unknown_unit": "{column} is not a known unit; its org_units row must be sent first",
    "successor_is_itself": "{column} names the unit itself; list the units that took over "
                           "from it",
    "unit_not_valid_on_date": "{column} names a unit that did not exist on the row's date",
    "dates_out_of_order": "{column} is before the date it must follow",
    "form_not_for_probationary": "discipline_form is not allowed for a probationary member; "
                                 f"expected {_FORMS.for_probationary_text}",
    "removal_needs_post": "discipline_form "
                          + " or ".join(map(_FORMS.post_form_text, _FORMS.needing_post))
                          + " needs a post, but is_committee_member is not true",
    "duplicate_key": "duplicate of an earlier row of the file (same business key)",
    "cell_too_long": "{column} is longer than the longest value a cell may hold",
    "damaged_value": "{column} holds a NUL byte or an unreadable character (the file is "
                     "damaged there)",
    # rows a reader could not split into the header's columns
    "too_few_fields": "the row has fewer fields than the header",
    "too_many_fields": "the row has more fields than the header",
    "row_not_utf8": "the row is not valid UTF-8",
    "row_too_long": "the row is longer than the longest line a file may hold",
    "row_unreadable": "the row cannot be read as a row of the header's columns",
    "line_not_json": "the line is not a JSON object",
    "unclassified": "rejected before rule codes were kept; kyluat quarantine-report shows why",
}

FILE_RULES = {
    "symlink": "is a symbolic link; only regular files inside the landing folder are read: "
               "put the file itself there",
    "not_regular_file": "is not a regular file (a pipe, socket or device); send the file itself",
    "top_level_not_workbook": "a file at the top of the landing directory must be an .xlsx "
                              "workbook with one sheet per kind; put other files in a folder "
                              "named after their kind",
    "unknown_kind": "the first folder is not a kind; use one of the kind folders",
    "no_kind_sheet": "no sheet of the workbook is named after a kind",
    "unsupported_type": "unsupported file type; send .csv, .xlsx, .json or .ndjson",
    "empty_file": "the file is empty",
    "not_utf8": "the file is neither UTF-8 nor Windows-1258; save it as CSV UTF-8",
    "looks_utf16": "the file is neither UTF-8 nor Windows-1258 (it looks like UTF-16 or a "
                   "binary file); save it as CSV UTF-8",
    "empty_header": "the first line is empty; a header row is required",
    "no_header": "no column of the kind found in the header; is the header row missing?",
    "header_duplicate": "two columns of the header mean the same contract column; keep one",
    "unclosed_quote": "a quoted value is never closed (the file may be truncated); nothing "
                      "from it was loaded",
    "not_csv": "not readable as CSV",
    "not_json": "not readable as JSON (an array of objects, or one object per line)",
    "not_xlsx": "not a readable .xlsx workbook",
    "file_too_large": "the file is larger than the largest file kyluat reads "
                      "(KYLUAT_MAX_FILE_BYTES); split it",
    "workbook_too_large": "the workbook unpacks to more than kyluat reads "
                          "(KYLUAT_MAX_WORKBOOK_BYTES); it may be a zip bomb, or split it",
    "too_many_columns": "the header has more columns than kyluat reads (KYLUAT_MAX_COLUMNS)",
}

RULES = ROW_RULES | FILE_RULES


def public_reason(rule: str, column: str | None = None) -> str:
    """The reason analysts may read: about the file, never quoting it."""
    return RULES[rule].format(column=column or "a column")


class FileRejected(Exception):
    """A whole file cannot be read. `rule` is its code; the message, for the operator and the
    clerk who sent it, may quote the file."""

    def __init__(self, rule: str, message: str | None = None):
        assert rule in FILE_RULES, rule
        self.rule = rule
        super().__init__(message or FILE_RULES[rule])

    @property
    def public(self) -> str:
        return public_reason(self.rule)
