"""Inputs that are probably mistakes, named for the clerk who sent them: a header that is
almost a contract column, text that was saved in the wrong encoding, a file with no rows.

These are notes beside the rows' own reasons (`kyluat validate`, the run summary): they never
reject a row themselves. Notes quote header names and a few characters of damaged text only,
never a value of a row, so no personal data goes through them.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import duckdb

from kyluat.contract import FORMATS, KINDS
from kyluat.readers import LandingFile, SourceRead, read_into_src
from kyluat.reference import canonical_header, header_key
from kyluat.rules import FileRejected

_SAMPLE_BYTES = 1 << 20
_CUTOFF = 0.75  # `discipline_from` -> `discipline_form`, not `decision_ref` -> `decision_date`

# UTF-8 text that was read as Windows-1252 and saved again: 'Ä‘' for 'đ', 'Ã¡' for 'á',
# 'á»' before most tone-marked vowels.
_MOJIBAKE = re.compile("Ã[\u00a0-\u00bf]|Ä[\u0080-\u00bf‘’]|á»|áº|Æ°|Æ¡")
# '?' inside a word ('Th?nh', 'Q?/UBKT'): what an export without Vietnamese letters writes in
# their place. Twice at least, so that a question in free text is no mistake.
_LOST_LETTERS = re.compile(r"[^\W\d_]\?+(?:[^\W\d_]|[/-])")


def header_notes(kind: str, headers: list[str]) -> list[str]:
    """One note per header that is no column of `kind`, with the closest column it may mean."""
    columns = {c.name for c in KINDS[kind].columns}
    known = {canonical_header(kind, h, columns) for h in headers} - {None}
    unknown = [h for h in headers if canonical_header(kind, h, columns) is None]
    if len(unknown) > len(known):  # no header row at all: its "names" may be a record
        return []
    notes = []
    for header in unknown:
        close = difflib.get_close_matches(header_key(header).replace(" ", "_"),
                                          sorted(columns - known), n=1, cutoff=_CUTOFF)
        if close:
            notes.append(f"`{header}` is not a column of {kind}; did you mean `{close[0]}`?")
        else:
            notes.append(f"`{header}` is not a column of {kind} and is ignored")
    return notes


def encoding_notes(path: Path) -> list[str]:
    """A note when a text file's letters look damaged by a wrong or lossy encoding."""
    if path.suffix.lower() not in (".csv", ".json", ".ndjson"):
        return []
    with path.open("rb") as fh:
        sample = fh.read(_SAMPLE_BYTES)
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ["the file starts with a UTF-16 byte-order mark: save it as CSV UTF-8"]
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = sample.decode("cp1258", errors="replace")
    if match := _MOJIBAKE.search(text):
        return [f"text such as '{match.group()}' looks like UTF-8 that was opened as "
                "Windows-1252 and saved again; export the file again as CSV UTF-8 from the "
                "original"]
    if len(_LOST_LETTERS.findall(text)) >= 2:
        return ["letters are replaced by '?' (e.g. 'Th?nh' for 'Thành'): the file was saved "
                "in an encoding without Vietnamese letters (such as Windows-1252); save it "
                "as CSV UTF-8"]
    return []


def no_rows_note(row_count: int) -> list[str]:
    return ["no rows: the file holds a header and nothing else"] if row_count == 0 else []


def notes_of_read(path: Path, kind: str, read: SourceRead) -> list[str]:
    """Every note on a file of `kind` that was read as `read`."""
    return header_notes(kind, read.headers) + encoding_notes(path) + no_rows_note(read.row_count)


def file_notes(path: Path, kind: str) -> list[str]:
    """The notes on a landing file, read again as ingestion reads it (for the run summary)."""
    if not path.is_file() or path.is_symlink():
        return []
    con = duckdb.connect()
    try:
        landing = LandingFile(path, path.name, FORMATS.get(path.suffix.lower(), "unknown"),
                              kind, path.stat().st_size, "")
        return notes_of_read(path, kind, read_into_src(con, landing, kind))
    except FileRejected:
        return encoding_notes(path)
    finally:
        con.close()
