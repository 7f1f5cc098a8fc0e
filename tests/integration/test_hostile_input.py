"""Hostile and careless input end to end: nothing from a rejected row reaches a file analysts
read (the published warehouse, the Data Docs, the run log), and the operator still sees it."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main as kyluat_main
from tests.conftest import write

pytestmark = pytest.mark.integration

NAME = "Hoàng Thị Planted Xuyến"
OTHER_NAME = "Lê Văn Planted Khác"
MD_HEADER = ("deciding_unit_code,decision_ref,member_id,member_name,authority_type,"
             "discipline_form,decision_date,member_unit_code,violation_categories,channel,"
             "is_committee_member,is_probationary,activity_ref,status,violation_date\n")


def published_text_hits(path: Path, needle: str) -> list[str]:
    """Every table and column of the DuckDB file at `path` whose text (any column, as text)
    contains `needle`."""
    hits = []
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        assert tables
        for schema, table in tables:
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? "
                "and table_name = ?", [schema, table]).fetchall()]
            for column in columns:
                found = con.execute(
                    f'select count(*) from "{schema}"."{table}" '
                    f'where contains(lower("{column}"::varchar), lower(?))', [needle]
                ).fetchone()[0]
                if found:
                    hits.append(f"{schema}.{table}.{column}")
    return hits


def file_hits(folder: Path, needle: str) -> list[Path]:
    encoded = needle.encode("utf-8")
    return [p for p in folder.rglob("*") if p.is_file() and encoded in p.read_bytes()]


def test_a_name_in_a_date_column_reaches_no_published_file(sample_copy, capsys):
    """A clerk shifts a row: a member's name lands in decision_date, and in other rows in a
    vocabulary, a count and a unit column. The rows are quarantined and the operator's report
    shows the name, but no text column of any table of the published file, no byte of that
    file, of the Data Docs or of the run log holds it. (Runs the pipeline afresh on the copied
    sample: publication and Data Docs are what is under test.)"""
    settings = sample_copy
    write(settings.landing_dir / "member_disciplines" / "2023_shifted.csv", MD_HEADER
          + f"QNM,501-QĐ/TU,DV777000001,,party_committee,reprimand,{NAME},QNM,"
            "lack_of_responsibility,inspection,false,false,,in_force,\n"
          + f"QNM,502-QĐ/TU,DV777000002,,party_committee,reprimand,2023-02-01,QNM,"
            f"lack_of_responsibility,{NAME},false,false,,in_force,\n"
          + f"QNM,503-QĐ/TU,DV777000003,,party_committee,reprimand,2023-02-01,{NAME},"
            "lack_of_responsibility,inspection,false,false,,in_force,\n")
    write(settings.landing_dir / "memberships" / "2023_shifted.csv",
          f"unit_code,as_of_date,members\nQNM,2023-12-31,{NAME}\n")
    # another submitting unit's mistake: its report must not reach QNM, nor QNM's reach it
    write(settings.landing_dir / "member_disciplines" / "2023_other_unit.csv", MD_HEADER
          + f"QNM-D01,77-QĐ/TU,DV777000009,,party_committee,reprimand,{OTHER_NAME},QNM-D01,"
            "lack_of_responsibility,inspection,false,false,,in_force,\n")

    assert kyluat_main(["run"]) == 0
    out = capsys.readouterr().out
    assert "2023_shifted.csv: 3 rows in quarantine" in out, out
    assert NAME not in out

    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        assert con.execute("select count(*) from restricted.quarantine "
                           "where contains(reason, ?)", [NAME]).fetchone()[0] == 4
        codes = sorted(c for (cs,) in con.execute(
            "select rule_codes from audit.quarantine q join audit.file_registry f "
            "using (file_id) where f.path like '%2023_shifted.csv'").fetchall() for c in cs)
    assert codes == ["not_a_date", "not_whole_number", "unknown_term", "unknown_unit"]

    working = {settings.working_db, settings.working_db.with_name(settings.working_db.name
                                                                  + ".wal")}
    for needle in (NAME, OTHER_NAME):
        assert published_text_hits(settings.published_db, needle) == []
        assert set(file_hits(settings.warehouse_dir, needle)) <= working
    assert file_hits(Path(os.environ["KYLUAT_DAGSTER_STORAGE"]), NAME) == []
    run_log = sorted((settings.warehouse_dir / "logs" / "runs").glob("*.log"))[-1]
    assert "2023_shifted.csv" in run_log.read_text(encoding="utf-8")  # this run's, and above:
    # no file of the warehouse folder but the working file holds the name
    assert any((settings.warehouse_dir / "quality").rglob("*.html"))
    # the report was searched too; its data-quality section names the rules, not the values
    quality = (settings.report_dir / "index.en.html").read_text(encoding="utf-8")
    quality = quality[quality.index('id="quality"'):]
    for rule in ("not_a_date", "not_whole_number", "unknown_term", "unknown_unit"):
        assert rule in quality, rule

    assert kyluat_main(["quarantine-report", "--file", "2023_shifted"]) == 0
    report = capsys.readouterr().out
    assert f"member_disciplines/2023_shifted.csv:2: decision_date '{NAME}' is not a date" \
        in report, report
    assert f"memberships/2023_shifted.csv:2: members '{NAME}' is not a whole number" in report
    assert kyluat_main(["quarantine-report", "--unit", "QNM", "--file", "member_"]) == 0
    report = capsys.readouterr().out
    assert [line.split(": ")[0] for line in report.splitlines() if not line.startswith(" ")
            ] == [f"member_disciplines/2023_shifted.csv:{row}" for row in (2, 3, 4)]

    # one private file per submitting unit, each with its own rows only; the planted name in
    # a unit column (row 4) names no unit of the tree, so no file is made for it
    reports = settings.warehouse_dir.parent / "reports"
    assert kyluat_main(["quarantine-report", "--out", str(reports), "--file", "2023_"]) == 0
    printed = capsys.readouterr()
    assert sorted(p.name for p in reports.iterdir()) == [
        "quarantine_QNM-D01.txt", "quarantine_QNM.txt"], printed
    own = (reports / "quarantine_QNM.txt").read_text(encoding="utf-8")
    other = (reports / "quarantine_QNM-D01.txt").read_text(encoding="utf-8")
    assert [line.split(": ")[0] for line in own.splitlines()[3:] if not line.startswith(" ")
            ] == [f"member_disciplines/2023_shifted.csv:{row}" for row in (2, 3, 4)] + [
            "memberships/2023_shifted.csv:2"]
    assert f"decision_date '{NAME}' is not a date" in own
    assert OTHER_NAME not in own and "2023_other_unit" not in own and "DV777000009" not in own
    assert [line.split(": ")[0] for line in other.splitlines()[3:] if not line.startswith(" ")
            ] == ["member_disciplines/2023_other_unit.csv:2"]
    assert f"decision_date '{OTHER_NAME}' is not a date" in other
    assert NAME not in other and "2023_shifted" not in other and "501-QĐ" not in other
    assert {oct(p.stat().st_mode & 0o777) for p in reports.iterdir()} == {"0o600"}
    assert NAME not in printed.out + printed.err and OTHER_NAME not in printed.out
    assert "QNM-D01: 1 open rejection(s) in" in printed.out

    # --unit: that unit's file only, replacing the one before
    assert kyluat_main(["quarantine-report", "--out", str(reports), "--unit", "QNM-D01"]) == 0
    assert "QNM-D01: 1 open rejection(s)" in capsys.readouterr().out
    assert (reports / "quarantine_QNM-D01.txt").read_text(encoding="utf-8").splitlines()[3:] \
        == other.splitlines()[3:]
    for bad, says in ((["--unit", "NOPE"], "no such unit in the loaded unit tree"),
                      (["--out", str(settings.landing_dir / "reports")],
                       "inside the landing folder")):
        argv = ["quarantine-report", "--out", str(reports), *bad]
        assert kyluat_main(argv) == 2
        assert says in capsys.readouterr().err
    assert not (settings.landing_dir / "reports").exists()
    assert {p for p in reports.iterdir()} == {reports / "quarantine_QNM.txt",
                                              reports / "quarantine_QNM-D01.txt"}


COMPARED_AUDIT = ("audit.file_registry", "audit.quarantine")


def published_state(path: Path) -> tuple[dict[str, list], dict[str, set]]:
    """Every row of every mart (and of the registry and quarantine) without its member-key
    columns, sorted; and the member keys of each member-key column."""
    figures, keys = {}, {}
    with duckdb.connect(str(path), read_only=True) as con:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
                "select schema_name || '.' || table_name, column_name from duckdb_columns() "
                "where schema_name in ('marts', 'audit') order by column_index").fetchall():
            columns.setdefault(table, []).append(column)
        for table, names in columns.items():
            if table.startswith("audit.") and table not in COMPARED_AUDIT:
                continue  # run bookkeeping: grows with every run
            key_columns = [c for c in names if c.endswith("member_key")]
            kept = ", ".join(f'"{c}"' for c in names if c not in key_columns)
            figures[table] = con.execute(f"select {kept} from {table} order by all").fetchall()
            for c in key_columns:
                keys[f"{table}.{c}"] = {k for (k,) in con.execute(
                    f'select distinct "{c}" from {table} where "{c}" is not null').fetchall()}
    return figures, keys


def test_rotate_key_rekeys_every_member_key_and_keeps_every_figure(sample_copy, capsys,
                                                                  monkeypatch):
    """`kyluat rotate-key` re-keys every member key, rebuilds and publishes: every published
    figure (every row of every mart without its member keys) is identical, as many distinct
    members as before, and no published or working table keeps a key made with the old key
    alone; the old key is then refused and the new key file accepted. (Runs the pipeline
    afresh: the rebuild after the rotation is what is under test.)"""
    settings = sample_copy
    figures, keys = published_state(settings.published_db)
    old_keys = set().union(*keys.values())
    assert len(old_keys) > 1000 and any(keys.values())
    key_file = settings.warehouse_dir.parent / "rotated.key"

    assert kyluat_main(["rotate-key", "--new-key-file", str(key_file)]) == 0
    # the new key file reached the rebuild as configuration, the old key still in the env
    assert os.environ["KYLUAT_PSEUDONYM_KEY"] == "test-key"
    assert "KYLUAT_PSEUDONYM_KEY_FILE" not in os.environ
    out = capsys.readouterr().out
    assert "re-keyed" in out and f"KYLUAT_PSEUDONYM_KEY_FILE={key_file}" in out, out
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    lines = key_file.read_text().splitlines()
    assert lines[0] == "test-key" and len(lines) == 2 and len(lines[1]) == 64

    figures_after, keys_after = published_state(settings.published_db)
    assert figures_after == figures
    assert {c: len(v) for c, v in keys_after.items()} == {c: len(v) for c, v in keys.items()}
    assert not old_keys & set().union(*keys_after.values())
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        for table, column in con.execute(
                "select schema_name || '.' || table_name, column_name from duckdb_columns() "
                "where column_name like '%member_key'").fetchall():
            stored = {k for (k,) in con.execute(f"select {column} from {table}").fetchall()}
            assert not old_keys & stored, (table, column)

    assert kyluat_main(["run"]) == 2  # still the old key: refused
    assert "rotate-key" in capsys.readouterr().err
    monkeypatch.delenv("KYLUAT_PSEUDONYM_KEY")
    monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY_FILE", str(key_file))
    assert kyluat_main(["run"]) == 0
    assert "nothing new" in capsys.readouterr().out


# --- bounds on input (kyluat/limits.py): ingestion only ---------------------------------------

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MEMBERSHIPS = "unit_code,as_of_date,members\n"


def ingest_files(settings, files: dict[str, bytes]) -> dict[str, tuple]:
    """The base units and `files` (path -> content) ingested: path -> (status, rows, loaded,
    rejected, first_error)."""
    from kyluat.ingest import run_ingest

    base = settings.landing_dir / "org_units" / "base_org_units.csv"
    base.parent.mkdir(parents=True, exist_ok=True)
    base.write_bytes((CORPUS / "org_units" / "base_org_units.csv").read_bytes())
    for path, content in files.items():
        target = settings.landing_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    run_ingest(settings)
    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        return {path: tuple(rest) for path, *rest in con.execute(
            "select path, status, row_count, accepted_count, rejected_count, first_error "
            "from audit.file_registry").fetchall()}


def workbook(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def test_oversized_files_workbooks_headers_and_cells_are_rejected_with_reasons(
        workspace, monkeypatch):
    """Each bound rejects with its reason, and the good rows of a file with one oversized
    value still load: a file past KYLUAT_MAX_FILE_BYTES, a zip bomb (a workbook whose 60 MB of
    zeros pack into about 60 KB, past KYLUAT_MAX_WORKBOOK_BYTES: refused before any byte is
    unpacked), a header of 5,000 columns, a 1 MB cell and an 8 MB line."""
    monkeypatch.setenv("KYLUAT_MAX_FILE_BYTES", str(9 << 20))
    monkeypatch.setenv("KYLUAT_MAX_WORKBOOK_BYTES", str(50 << 20))
    good = b"QNM,2023-12-31,81234\n"
    bomb = workbook({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml":
                     b"\0" * (60 << 20)})
    assert len(bomb) < 100_000
    registry = ingest_files(workspace, {
        "memberships/too_large.csv": MEMBERSHIPS.encode() + good * 500_000,
        "memberships.xlsx": bomb,
        "memberships/bomb.xlsx": bomb,
        "memberships/wide.csv": (",".join(f"c{i}" for i in range(5000)) + "\n").encode()
        + good,
        "memberships/long_cell.csv": MEMBERSHIPS.encode() + b"QNM," + b"9" * (1 << 20)
        + b",1\n" + good,
        "memberships/long_line.csv": MEMBERSHIPS.encode() + b"QNM,2023-12-31," + b"x" * (8 << 20)
        + b"\n" + good.replace(b"QNM", b"DNG"),
    })
    assert registry["memberships/too_large.csv"][:4] == ("rejected", 0, 0, 0)
    assert "larger than the largest file" in registry["memberships/too_large.csv"][4]
    for bombed in ("memberships.xlsx", "memberships/bomb.xlsx"):
        assert registry[bombed][0] == "rejected"
        assert "may be a zip bomb" in registry[bombed][4]
    assert registry["memberships/wide.csv"][0] == "rejected"
    assert "more columns than kyluat reads" in registry["memberships/wide.csv"][4]
    assert registry["memberships/long_cell.csv"][:4] == ("partially_loaded", 2, 1, 1)
    assert registry["memberships/long_cell.csv"][4].startswith(
        "row 2: as_of_date is longer than the longest value a cell may hold")
    status, rows, loaded, rejected, first = registry["memberships/long_line.csv"]
    assert (status, rows, loaded, rejected) == ("partially_loaded", 2, 1, 1)
    assert first.startswith("row 2: ") and "None" not in first


OLD_NAME = "Trần Thị Planted Cũ"
OLD_FILE_LINE = "root:x:0:0:root:/root:/bin/bash"


def test_an_older_warehouse_quarantine_moves_its_values_to_restricted(sample_copy, capsys):
    """A working file made before rule codes: audit.quarantine carried the submitted values
    (raw_values) and reasons quoting them, and there was no restricted schema. The next run's
    ingestion converts it: values and full reasons move to restricted.quarantine, audit keeps
    the code `unclassified`, and the published file carries none of them. (Ingestion and a
    full publication only: the conversion is in ingestion, the leak in publication.)"""
    from kyluat.ingest import run_ingest
    from kyluat.publish import publish

    settings = sample_copy
    with duckdb.connect(str(settings.working_db)) as con:
        (md_file,), (ms_file,) = con.execute(
            "select min(file_id) from audit.file_registry where kind = ? union all "
            "select min(file_id) from audit.file_registry where kind = ?",
            ["member_disciplines", "memberships"]).fetchall()
        con.execute("drop schema restricted cascade")
        con.execute("drop table audit.quarantine")
        con.execute("""
            create table audit.quarantine (
                file_id bigint, kind varchar, row_number bigint, raw_values json,
                reason varchar, retryable boolean, quarantined_at timestamp, run_id varchar,
                resolved_at timestamp, resolved_run_id varchar)""")
        con.execute(f"""
            insert into audit.quarantine values
            ({md_file}, 'member_disciplines', 7,
             '{{"deciding_unit_code":"QNM","decision_date":"{OLD_NAME}"}}',
             'decision_date ''{OLD_NAME}'' is not a date', false,
             '2024-05-01 10:00:00', 'old-run', null, null),
            ({ms_file}, 'memberships', null, null,
             'the header is not the contract''s: {OLD_FILE_LINE}', false,
             '2024-05-01 10:00:00', 'old-run', null, null)""")
        con.execute("update audit.file_registry set first_error = ? where file_id = ?",
                    [f"decision_date '{OLD_NAME}' is not a date", md_file])
        con.execute("update audit.file_registry set first_error = ? where file_id = ?",
                    [f"the header is not the contract's: {OLD_FILE_LINE}", ms_file])

    run_ingest(settings)
    publish(settings)

    with duckdb.connect(str(settings.working_db), read_only=True) as con:
        assert con.execute(
            "select file_id, kind, row_number, raw_values::varchar, reason, run_id "
            "from restricted.quarantine order by kind").fetchall() == [
            (md_file, "member_disciplines", 7,
             f'{{"deciding_unit_code":"QNM","decision_date":"{OLD_NAME}"}}',
             f"decision_date '{OLD_NAME}' is not a date", "old-run"),
            (ms_file, "memberships", None, None,
             f"the header is not the contract's: {OLD_FILE_LINE}", "old-run")]
        assert [c for (c,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'audit' "
            "and table_name = 'quarantine' order by column_index").fetchall()] == [
            "file_id", "kind", "row_number", "rule_codes", "column_names", "reason",
            "retryable", "quarantined_at", "run_id", "resolved_at", "resolved_run_id"]
        reason = "rejected before rule codes were kept; kyluat quarantine-report shows why"
        assert con.execute("select file_id, row_number, rule_codes, reason "
                           "from audit.quarantine order by kind").fetchall() == [
            (md_file, 7, ["unclassified"], reason), (ms_file, None, ["unclassified"], reason)]
    for needle in (OLD_NAME, OLD_FILE_LINE, "Planted"):
        assert published_text_hits(settings.published_db, needle) == []
        assert file_hits(settings.warehouse_dir, needle) == [settings.working_db], needle
    with duckdb.connect(str(settings.published_db), read_only=True) as con:
        assert con.execute("select file_id, first_error from audit.file_registry "
                           "where file_id in (?, ?) order by kind", [md_file, ms_file]
                           ).fetchall() == [(md_file, f"row 7: {reason}"),
                                            (ms_file, "see kyluat quarantine-report")]

    assert kyluat_main(["quarantine-report"]) == 0
    report = capsys.readouterr().out
    assert f"decision_date '{OLD_NAME}' is not a date [unclassified]" in report, report
