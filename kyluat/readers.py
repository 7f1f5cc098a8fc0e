"""Find submitted files and read them, with DuckDB's own readers, into a relation of text columns.

Every reader produces the temp table `src` with `_row_number` (the row a clerk sees in the
file: header is row 1 for CSV and XLSX, the record's position for JSON, the line for NDJSON)
and one VARCHAR column per recognised contract column. Typing and checks happen later in SQL.
"""

from __future__ import annotations

import codecs
import csv
import json
import logging
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from kyluat.contract import FORMATS, KINDS, ColumnType
from kyluat.landing import entries, identity, indexed_identities
from kyluat.limits import max_columns, max_file_bytes, max_workbook_bytes
from kyluat.reference import canonical_header
from kyluat.rules import FileRejected, public_reason

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str
    format: str
    kind: str | None  # None for a workbook at the top of the landing directory
    size_bytes: int
    sha256: str
    refused: str | None = None  # never opened: a link or not a regular file (kyluat/landing.py)


@dataclass
class SourceRead:
    """What a reader found besides the rows themselves."""
    row_count: int = 0
    # rows the reader could not split: (row, rule code, reason, the line as sent)
    parse_rejects: list[tuple[int, str, str, str]] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # as submitted


def discover(landing_dir: Path, warehouse_dir: Path | None = None) -> list[LandingFile]:
    """Every finished entry under the landing directory, in a stable order; with
    `warehouse_dir`, the identities of unchanged files come from its index."""
    listed = entries(landing_dir)
    known = indexed_identities(landing_dir, warehouse_dir, listed) if warehouse_dir else {}
    found = []
    for entry in listed:
        relative = Path(entry.relative)
        fmt = FORMATS.get(relative.suffix.lower(), "unknown")
        kind = relative.parts[0] if len(relative.parts) > 1 else None
        record = known.get(entry.relative)
        sha = record[-1] if record and record[:-1] == entry.stamp else identity(entry)
        found.append(LandingFile(entry.path, entry.relative, fmt, kind, entry.size_bytes,
                                 sha, entry.refused))
    return found


def check_workbook_size(path: Path) -> None:
    """An .xlsx workbook is a zip: refuse one that unpacks to more than the limit (a zip bomb)
    before anything of it is unpacked."""
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRejected("not_xlsx", f"not a readable .xlsx workbook ({exc})") from exc
    if unpacked > max_workbook_bytes():
        raise FileRejected("workbook_too_large", f"the workbook unpacks to {unpacked:,} bytes, "
                           f"more than the {max_workbook_bytes():,} kyluat reads "
                           "(KYLUAT_MAX_WORKBOOK_BYTES); it may be a zip bomb, or split it")


def workbook_kinds(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """Sheets of a top-level workbook that are named after a kind; others are logged and ignored."""
    from xml.etree import ElementTree

    check_workbook_size(path)
    try:
        with zipfile.ZipFile(path) as zf:
            root = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise FileRejected("not_xlsx", f"not a readable .xlsx workbook ({exc})") from exc
    sheets = [el.attrib["name"] for el in root.iter() if el.tag.endswith("}sheet")]
    for sheet in sheets:
        if sheet not in KINDS:
            log.info("%s: sheet %r is not a kind, ignored", path.name, sheet)
    return [s for s in sheets if s in KINDS]


_UNREADABLE = {"csv": "not_csv", "json": "not_json", "ndjson": "not_json", "xlsx": "not_xlsx"}


def read_into_src(con: duckdb.DuckDBPyConnection, file: LandingFile, kind: str) -> SourceRead:
    """Fill temp table `src` of `con` from one file (or one sheet of a workbook) of `kind`.

    `con` must not be in a transaction that matters: a file DuckDB cannot parse raises an
    error there, which would abort it (ingestion reads on a scratch database).
    """
    readers = {"csv": _read_csv, "json": _read_json, "ndjson": _read_json, "xlsx": _read_xlsx}
    if file.format not in readers:
        raise FileRejected("unsupported_type", f"unsupported file type '{file.path.suffix}'; "
                           "send .csv, .xlsx, .json or .ndjson")
    if file.size_bytes == 0:
        raise FileRejected("empty_file")
    if file.size_bytes > max_file_bytes():
        raise FileRejected("file_too_large", f"the file is {file.size_bytes:,} bytes, more than "
                           f"the {max_file_bytes():,} kyluat reads (KYLUAT_MAX_FILE_BYTES); "
                           "split it")
    if file.format == "xlsx":
        check_workbook_size(file.path)
    result = SourceRead()
    try:
        readers[file.format](con, file, kind, result)
        _rename_to_contract(con, kind, result)
        result.row_count = con.execute("select count(*) from src").fetchone()[0] + len(
            result.parse_rejects)
    except duckdb.Error as exc:  # a reader's own error is handled there, with a better reason
        raise FileRejected(_UNREADABLE[file.format],
                           f"not readable: {_first_line(exc, file.path, file)}") from exc
    finally:
        con.execute("drop table if exists src_raw")
    return result


def _rename_to_contract(con, kind: str, result: SourceRead) -> None:
    headers = [r[0] for r in con.execute("describe src_raw").fetchall() if r[0] != "_row_number"]
    select = contract_select(kind, headers, result)
    con.execute(f"create or replace temp table src as select _row_number, {select} from src_raw")


def contract_select(kind: str, headers: list[str], result: SourceRead) -> str:
    """Select list of one VARCHAR column per contract column from a file's `headers`; raises
    FileRejected when the header cannot be mapped."""
    if len(headers) > max_columns():
        raise FileRejected("too_many_columns", f"the header has {len(headers):,} columns, more "
                           f"than the {max_columns()} kyluat reads (KYLUAT_MAX_COLUMNS)")
    columns = {c.name for c in KINDS[kind].columns}
    result.headers = list(headers)
    chosen: dict[str, str] = {}
    for header in headers:
        canonical = canonical_header(kind, header, columns)
        if canonical is None:
            result.ignored_headers.append(header)
        elif canonical in chosen:
            raise FileRejected("header_duplicate",
                               f"columns '{chosen[canonical]}' and '{header}' both mean "
                               f"'{canonical}'; keep one")
        else:
            chosen[canonical] = header
    if not chosen:
        # A file sent without its header row has a record there: never echo personal data.
        personal = any(c.type in (ColumnType.MEMBER_ID, ColumnType.PERSONAL_NAME)
                       for c in KINDS[kind].columns)
        found = "" if personal else f" ({', '.join(headers[:8])})"
        raise FileRejected("no_header",
                           f"no column of kind '{kind}' found in the header{found}; is the "
                           f"header row missing? expected {', '.join(sorted(columns))}")
    if result.ignored_headers:
        log.info("%s: ignored columns %s", kind, result.ignored_headers)
    select = ", ".join(f'"{src.replace(chr(34), chr(34) * 2)}"::varchar as {dst}'
                       for dst, src in chosen.items())
    missing = ", ".join(f"null::varchar as {c}" for c in sorted(columns - chosen.keys()))
    return select + (", " + missing if missing else "")


# --- CSV ---------------------------------------------------------------------------------

_LONE_CR = re.compile(rb"\r(?!\n)")


def _utf8_copy(path: Path) -> Path | None:
    """None when the file is UTF-8 with LF or CRLF line ends; otherwise a UTF-8 copy with
    LF line ends, decoded from Windows-1258 where it is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lone_cr = False
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                # CR alone ends a line too (old Mac exports, files pasted together): DuckDB's
                # reader stops at a file mixing it with LF
                lone_cr = lone_cr or bool(_LONE_CR.search(chunk.rstrip(b"\r")))
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        if not lone_cr:
            return None
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = None
    try:
        text = text if text is not None else path.read_bytes().decode("cp1258")
    except UnicodeDecodeError as exc:
        raise FileRejected("not_utf8") from exc
    # In the header only, as for a UTF-8 file (_read_header): UTF-16 puts a NUL beside every
    # ASCII character, the header's too; a stray control byte in a row is that row's fault.
    header = text[:_CHUNK].split("\n", 1)[0].split("\r", 1)[0]
    if any(ch < " " and ch != "\t" for ch in header):
        raise FileRejected("looks_utf16")
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".csv", newline="",
                                     delete=False) as handle:
        handle.write(text.replace("\r\n", "\n").replace("\r", "\n"))
    return Path(handle.name)


_CSV_OPTIONS = """header = true, delim = ?, quote = '"', escape = '"', auto_detect = false"""


def _varchar_columns(names) -> str:
    return "{" + ", ".join(f"{sql_text(n)}: 'VARCHAR'" for n in names) + "}"


def _read_header(path: Path) -> tuple[str, list[str]]:
    """Delimiter and column names from the header row (the only line read in Python)."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = fh.readline()
    if not header.strip():
        raise FileRejected("empty_header")
    if "\0" in header:  # UTF-16 without a byte order mark (valid UTF-8 if ASCII), or binary
        raise FileRejected("looks_utf16")
    delimiter = ";" if header.count(";") > header.count(",") else ","
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(next(csv.reader([header], delimiter=delimiter)), start=1):
        name = name.strip() or f"column{i}"
        seen[name] = seen.get(name, 0) + 1
        names.append(f"{name}_{seen[name] - 1}" if seen[name] > 1 else name)  # as DuckDB does
    return delimiter, names


def _read_csv(con, file: LandingFile, kind: str, result: SourceRead) -> None:
    decoded = _utf8_copy(file.path)
    path = decoded or file.path
    try:
        _drop_rejects(con)  # a read that failed before may have left them
        delimiter, names = _read_header(path)
        # Columns come from the header, so nothing is sniffed: a sniffer gives up on a file
        # whose last quoted value is never closed, instead of saying where.
        con.execute(f"""
            create or replace temp table src_raw as
            select * from read_csv(?, {_CSV_OPTIONS}, columns = {_varchar_columns(names)},
                                   store_rejects = true, rejects_scan = 'csv_rejects_scan',
                                   rejects_table = 'csv_rejects_errors')
        """, [str(path), delimiter])
        # DuckDB reports a short row once per missing column: keep the first report of a line.
        rejects = con.execute("""
            select line, arg_min(error_type, column_idx), arg_min(error_message, column_idx),
                   arg_min(csv_line, column_idx)
            from csv_rejects_errors group by line order by line
        """).fetchall()
        _drop_rejects(con)
    except duckdb.Error as exc:
        raise FileRejected("not_csv",
                           f"not readable as CSV: {_first_line(exc, path, file)}") from exc
    finally:
        if decoded:
            decoded.unlink(missing_ok=True)
    for line, error_type, _, _ in rejects:
        if error_type == "UNQUOTED VALUE":
            raise FileRejected("unclosed_quote", f"row {line}: a quoted value is never closed "
                               "(the file may be truncated); nothing from it was loaded")
    result.parse_rejects = [(line, *_row_reject(error_type, message), raw)
                            for line, error_type, message, raw in rejects]
    # Rows keep file order; a row's number skips the lines the reader rejected.
    if not rejects:
        # The usual case, without the join below: row i of a fresh table (rowid i, file
        # order) is line i + 2 of the file.
        con.execute("create or replace temp table src_raw as "
                    "select rowid + 2 as _row_number, * from src_raw")
        return
    con.execute("""
        create or replace temp table src_raw as
        with lines as (
            select line, row_number() over (order by line) - 1 as position
            from range(2, (select count(*) from src_raw) + ? + 2) t(line)
            where line not in (select unnest(?::bigint[]))
        )
        select lines.line as _row_number, s.* exclude (rid)
        from (select row_number() over (order by rowid) - 1 as rid, * from src_raw) s
        join lines on lines.position = s.rid
    """, [len(rejects), [r[0] for r in rejects]])


_FIELDS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def _row_reject(error_type: str, message: str | None) -> tuple[str, str]:
    """Rule code and reason of a row DuckDB's CSV reader rejected, as a sentence about the
    file (never the reader's own words)."""
    fields = _FIELDS.search(message or "")
    counted = f" ({fields[2]} fields, the header has {fields[1]})" if fields else ""
    rule = {"MISSING COLUMNS": "too_few_fields", "TOO MANY COLUMNS": "too_many_fields",
            "INVALID UNICODE": "row_not_utf8", "LINE SIZE OVER MAXIMUM": "row_too_long",
            }.get(error_type, "row_unreadable")
    return rule, public_reason(rule) + counted


def _drop_rejects(con) -> None:
    con.execute("drop table if exists csv_rejects_errors; drop table if exists csv_rejects_scan")


def _first_line(exc: duckdb.Error, path: Path, file: LandingFile) -> str:
    """DuckDB's message, naming the file as the clerk knows it (not a server path)."""
    return str(exc).splitlines()[0].replace(str(path), file.path.name).strip()


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number_rows(con, first: int) -> None:
    # rowid follows insertion order, which DuckDB keeps equal to file order.
    con.execute("create or replace temp table src_raw as "
                f"select row_number() over (order by rowid) + {first - 1} as _row_number, * "
                "from src_raw")


# --- JSON / NDJSON -----------------------------------------------------------------------

_JSON_LAYOUTS = {"json": "array", "ndjson": "newline_delimited"}


def _json_keys(con, path: Path, layout: str) -> list[str]:
    return [r[0] for r in con.execute(
        "describe select * from read_json(?, format = ?, sample_size = -1)",
        [str(path), layout]).fetchall()]


_LINE_FIELD = "_kyluat_line"
_BLANK_LINE = re.compile(rb"(?:^|\n)[ \t\r]*(?:\n|$)")


def _has_blank_line(path: Path) -> bool:
    with path.open("rb") as fh:
        return any(_BLANK_LINE.search(chunk) for chunk in iter(lambda: fh.read(_CHUNK), b""))


def _ndjson_by_line(file: LandingFile, result: SourceRead) -> Path:
    """A copy of an NDJSON file with its lines that are JSON objects, each with its line
    number (`_kyluat_line`): each other line is rejected alone, blank lines are skipped."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".ndjson",
                                     delete=False) as out, \
            file.path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                record = None
            if not isinstance(record, dict) or _LINE_FIELD in record:
                result.parse_rejects.append(
                    (number, "line_not_json", public_reason("line_not_json"), line[:1000]))
                continue
            record[_LINE_FIELD] = number
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return Path(out.name)


def _read_ndjson_by_line(con, file: LandingFile, result: SourceRead) -> None:
    copy = _ndjson_by_line(file, result)
    try:
        if copy.stat().st_size == 0:  # no line is an object: the header check says so
            raise FileRejected("not_json", "no line of the file is a JSON object")
        keys = [k for k in _json_keys(con, copy, "newline_delimited") if k != _LINE_FIELD]
        con.execute(f"create or replace temp table src_raw as "
                    f"select {_LINE_FIELD}::bigint as _row_number, * exclude ({_LINE_FIELD}) "
                    f"from read_json(?, format = 'newline_delimited', columns = "
                    f"{_varchar_columns([*keys, _LINE_FIELD])})", [str(copy)])
    finally:
        copy.unlink(missing_ok=True)


def _read_json(con, file: LandingFile, kind: str, result: SourceRead) -> None:
    layout = _JSON_LAYOUTS[file.format]
    try:
        keys = _json_keys(con, file.path, layout)
        if layout == "newline_delimited" and (keys == ["json"] or _has_blank_line(file.path)):
            # a line that is no object, or blank lines (row numbers are line numbers)
            _read_ndjson_by_line(con, file, result)
            return
        con.execute(f"create or replace temp table src_raw as "
                    f"select * from read_json(?, format = ?, columns = {_varchar_columns(keys)})",
                    [str(file.path), layout])
        _number_rows(con, first=1)
    except duckdb.Error as exc:
        if layout == "newline_delimited":  # a line that is not JSON: rejected alone
            _read_ndjson_by_line(con, file, result)
            return
        expected = "an array of objects" if layout == "array" else "one object per line"
        raise FileRejected("not_json", f"not readable as JSON ({expected}): "
                           f"{_first_line(exc, file.path, file)}") from exc


# --- several files at once ----------------------------------------------------------------

@dataclass(frozen=True)
class BatchLayout:
    """Files of one layout are read by one statement: same format and the same header."""
    format: str
    delimiter: str | None  # CSV only
    headers: tuple[str, ...]


_FILE_COLUMN = "_kyluat_file"


def batch_layout(con: duckdb.DuckDBPyConnection, file: LandingFile) -> BatchLayout | None:
    """The layout of a file that a multi-file read gives exactly as `read_into_src` would;
    None for a file to read alone (its reader's own checks, fallbacks and messages)."""
    if file.size_bytes == 0 or file.size_bytes > max_file_bytes():
        return None
    if file.format == "csv":
        return _csv_layout(file.path)
    if file.format == "ndjson" and _has_blank_line(file.path):
        return None  # read alone: its row numbers are its line numbers
    if file.format in _JSON_LAYOUTS:
        try:
            keys = _json_keys(con, file.path, _JSON_LAYOUTS[file.format])
        except duckdb.Error:
            return None
        return BatchLayout(file.format, None, tuple(keys))
    return None


def _csv_layout(path: Path) -> BatchLayout | None:
    """Only UTF-8 files without a single quote character: reading five files or more, DuckDB
    1.5.5 drops the error of a quoted value left open at the end of a file, so a truncated
    file would load instead of being rejected."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                if b'"' in chunk:
                    return None
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
        delimiter, names = _read_header(path)
    except (UnicodeDecodeError, FileRejected):
        return None
    return BatchLayout("csv", delimiter, tuple(names))


def read_batch_into_src(con: duckdb.DuckDBPyConnection, files: list[LandingFile],
                        file_ids: list[int], layout: BatchLayout, kind: str) -> None:
    """Temp table `src` of `read_into_src`, with `_file_id`, for files of one layout, in one
    read. Raises duckdb.Error or FileRejected when any of them would not read cleanly alone
    (no reader rejects are kept: a bad row fails the read): read each of them alone then."""
    paths = [str(f.path) for f in files]
    columns = _varchar_columns(layout.headers)
    if layout.format == "csv":
        relation = f"read_csv(?, {_CSV_OPTIONS}, columns = {columns}"
        params, first = [paths, layout.delimiter], 2
    else:
        relation = f"read_json(?, format = ?, columns = {columns}"
        params, first = [paths, _JSON_LAYOUTS[layout.format]], 1
    select = contract_select(kind, list(layout.headers), SourceRead())
    try:
        con.execute(f"create or replace temp table batch_raw as select * from "
                    f"{relation}, filename = '{_FILE_COLUMN}')", params)
        # Each file's rows are contiguous in file order (insertion order is preserved), so a
        # row's number is its distance from the first row of its file.
        con.execute(f"""
            create or replace temp table src as
            with files as (
                select f.path, f._file_id, min(b.rowid) as first
                from (select unnest(?::varchar[]) as path, unnest(?::bigint[]) as _file_id) f
                join batch_raw b on b.{_FILE_COLUMN} = f.path
                group by all
            )
            select files._file_id, b.rowid - files.first + {first} as _row_number, {select}
            from batch_raw b join files on b.{_FILE_COLUMN} = files.path
        """, [paths, file_ids])
    finally:
        con.execute("drop table if exists batch_raw")


# --- XLSX --------------------------------------------------------------------------------

def load_excel_extension(con: duckdb.DuckDBPyConnection) -> None:
    """Load the excel extension shipped on PyPI (no download at run time)."""
    import duckdb_extension_excel

    package = Path(duckdb_extension_excel.__file__).parent
    binary = next(package.glob(f"extensions/v{duckdb.__version__}/*.duckdb_extension"), None)
    if binary is None:
        raise RuntimeError(f"duckdb-extension-excel has no build for duckdb {duckdb.__version__}")
    con.execute(f"load '{binary}'")


def _read_xlsx(con, file: LandingFile, kind: str, result: SourceRead) -> None:
    load_excel_extension(con)
    sheet = kind if file.kind is None else None
    options = ", sheet = ?" if sheet else ""
    params = [str(file.path)] + ([sheet] if sheet else [])
    try:
        con.execute(f"create or replace temp table src_raw as "
                    f"select * from read_xlsx(?, header = true{options})", params)
        _number_rows(con, first=2)
        # Excel keeps a decision number 125 or a card number 1234567 typed as a number: read
        # it as written (125, not 125.0), so keys mean the same as in a CSV file.
        doubles = ['"' + name.replace('"', '""') + '"'
                   for name, type_, *_ in con.execute("describe src_raw").fetchall()
                   if type_ == "DOUBLE"]
        if doubles:
            whole = ", ".join(f"case when {c} = trunc({c}) and abs({c}) < 1e15 "
                              f"then {c}::bigint::varchar else {c}::varchar end as {c}"
                              for c in doubles)
            con.execute(f"create or replace temp table src_raw as "
                        f"select * replace ({whole}) from src_raw")
    except duckdb.Error as exc:
        raise FileRejected("not_xlsx", f"not readable as an .xlsx workbook: "
                           f"{_first_line(exc, file.path, file)}") from exc
