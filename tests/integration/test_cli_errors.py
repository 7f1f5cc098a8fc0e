"""Every mistake gets a clear message: each bad invocation or bad input below is answered with
a message naming the problem and what to do, the documented exit code (2 for bad usage, 1 for
bad data), no traceback, no Dagster run started, and every file left as it was.

No case runs the pipeline: a published file, where one is needed, is a small DuckDB file made
here; the locks are held by the test itself or by a child process."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from kyluat.config import Settings
from kyluat.locking import writer_lock
from orchestration.cli import main
from tests.conftest import write

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MD = "member_disciplines"
HEADER = (CORPUS / MD / "valid_decisions.csv").read_text(encoding="utf-8")
NEXT_YEAR = date.today().year + 1


@dataclass
class Case:
    argv: list[str]
    code: int
    words: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Settings], None] | None = None
    max_lines: int | None = 3  # argparse adds its usage line; None: one line per bad row


def landing_file(relative: str, text: str | bytes) -> Callable[[Settings], None]:
    def setup(ws: Settings) -> None:
        path = ws.landing_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return setup


def corpus_file(relative: str) -> Callable[[Settings], None]:
    return landing_file(relative, (CORPUS / relative).read_bytes())


def published_file(ws: Settings) -> None:
    """A published file of one table, enough for `kyluat sql`."""
    with duckdb.connect(str(ws.published_db)) as con:
        con.execute("create schema marts; create table marts.t as select 1 as n")


def damaged_working_file(ws: Settings) -> None:
    ws.working_db.write_bytes(b"this is not a DuckDB file" * 100)


def a_plain_file(name: str) -> Callable[[Settings], None]:
    def setup(ws: Settings) -> None:
        (ws.landing_dir.parent / name).write_text("not a folder\n")
    return setup


def dangling_link(ws: Settings) -> None:
    (ws.landing_dir / "gone.csv").symlink_to(ws.landing_dir / "never_there.csv")


def fifo(ws: Settings) -> None:
    os.mkfifo(ws.landing_dir / "pipe.csv")


L = "{landing}"  # replaced by the workspace's landing folder
TYPO = HEADER.replace("discipline_form", "discipline_from", 1)
LOSSY = HEADER.encode("cp1252", errors="replace")  # what an export without Vietnamese gives
MOJIBAKE = HEADER.encode("utf-8").decode("cp1252", errors="replace")  # UTF-8 read as 1252

CASES = {
    # --- how kyluat was called (exit 2) ----------------------------------------------------
    "unknown command": Case(["explode"], 2, ("invalid choice", "explode")),
    "unknown flag": Case(["run", "--bogus"], 2, ("unrecognized arguments", "--bogus")),
    "flag of another command": Case(["sql", "--years", "2021", "select 1"], 2,
                                    ("unrecognized arguments", "--years")),
    "missing landing folder": Case(["run", "--landing", "no/such/folder"], 2,
                                   ("landing folder", "does not exist", "--landing")),
    "landing folder is a file": Case(["run", "--landing", f"{L}/../a_file"], 2,
                                     ("landing folder", "is a file"),
                                     setup=a_plain_file("a_file")),
    "warehouse folder is a file": Case(["run", "--warehouse", f"{L}/../a_file"], 2,
                                       ("warehouse folder", "is a file", "--warehouse"),
                                       setup=a_plain_file("a_file")),
    "two-digit year": Case(["run", "--years", "99"], 2, ("not a year range", "FIRST:LAST")),
    "open year range": Case(["run", "--years", "2021:"], 2, ("not a year range", "FIRST:LAST")),
    "year range with words": Case(["run", "--years", "last:year"], 2, ("not a year range",)),
    "future year": Case(["run", "--years", f"{NEXT_YEAR}"], 2,
                        ("between 1930", str(NEXT_YEAR))),
    "year before the party": Case(["run", "--years", "1899:1901"], 2, ("between 1930", "1899")),
    "years backwards": Case(["run", "--years", "2023:2021"], 2, ("first year after last",)),
    "empty query": Case(["sql", ""], 2, ("no query", "standard input")),
    "blank query": Case(["sql", "   "], 2, ("no query", "standard input")),
    "unknown output format": Case(["sql", "--format", "xml", "select 1"], 2,
                                  ("invalid choice", "xml"), max_lines=4),  # 3 usage lines
    "unknown tier": Case(["sql", "--tier", "private", "select 1"], 2,
                         ("invalid choice", "private"), max_lines=4),
    "sql on a warehouse that is a file": Case(["sql", "--warehouse", f"{L}/../a_file", "select 1"],
                                              2, ("is a file",), setup=a_plain_file("a_file")),
    "query with a syntax error": Case(["sql", "selec 1"], 2, ("query failed", "syntax error"),
                                      setup=published_file, max_lines=4),  # DuckDB's caret
    "query of an unknown table": Case(["sql", "select * from marts.nope"], 2,
                                      ("query failed", "nope"), setup=published_file),
    "validate without files": Case(["validate"], 2, ("required", "files")),
    "validate a missing file": Case(["validate", "member_disciplines/nonexistent.csv"], 2,
                                    ("no such file", "nonexistent.csv")),
    "validate a folder": Case(["validate", f"{L}/{MD}"], 2, ("is a folder", "*.csv"),
                              setup=corpus_file(f"{MD}/valid_decisions.csv")),
    "validate a dangling link": Case(["validate", f"{L}/gone.csv"], 2,
                                     ("link to a missing file",), setup=dangling_link),
    "validate a pipe": Case(["validate", f"{L}/pipe.csv"], 2, ("not a regular file",),
                            setup=fifo),
    "validate with an unknown kind": Case(["validate", "--kind", "nope", "x.csv"], 2,
                                          ("invalid choice", "nope")),
    "generate without a scale": Case(["generate", "--out", "x"], 2, ("required", "--scale")),
    "generate a negative scale": Case(["generate", "--out", "x", "--scale", "-1"], 2,
                                      ("not a positive number", "-1")),
    "generate a scale in words": Case(["generate", "--out", "x", "--scale", "ten"], 2,
                                      ("not a positive number", "ten")),
    "generate into a file": Case(["generate", "--out", f"{L}/../a_file", "--scale", "1"], 2,
                                 ("is a file", "--out"), setup=a_plain_file("a_file")),
    # --- the environment (exit 2) ----------------------------------------------------------
    "lock timeout in words": Case(["run"], 2, ("KYLUAT_LOCK_TIMEOUT", "number of seconds"),
                                  env={"KYLUAT_LOCK_TIMEOUT": "ten"}),
    "negative lock timeout": Case(["run"], 2, ("KYLUAT_LOCK_TIMEOUT", "number of seconds"),
                                  env={"KYLUAT_LOCK_TIMEOUT": "-5"}),
    "alert timeout in words": Case(["sql", "select 1"], 2, ("KYLUAT_ALERT_TIMEOUT",),
                                   env={"KYLUAT_ALERT_TIMEOUT": "soon"}),
    "alert webhook not a web address": Case(["run"], 2, ("KYLUAT_ALERT_WEBHOOK", "https://"),
                                            env={"KYLUAT_ALERT_WEBHOOK": "ftp://alerts"}),
    "landing variable names no folder": Case(["run"], 2,
                                             ("does not exist", "KYLUAT_LANDING_DIR"),
                                             env={"KYLUAT_LANDING_DIR": "/no/such/landing"}),
    "warehouse variable names a file": Case(["run"], 2, ("is a file", "KYLUAT_WAREHOUSE_DIR"),
                                            env={"KYLUAT_WAREHOUSE_DIR": f"{L}/../a_file"},
                                            setup=a_plain_file("a_file")),
    "dagster storage names a file": Case(["run"], 2, ("is a file", "KYLUAT_DAGSTER_STORAGE"),
                                         env={"KYLUAT_DAGSTER_STORAGE": f"{L}/../a_file"},
                                         setup=a_plain_file("a_file")),
    "dagster home without dagster.yaml": Case(["run"], 2, ("DAGSTER_HOME", "dagster.yaml"),
                                              env={"DAGSTER_HOME": f"{L}"}),
    # --- bad data (exit 1; a header-only file is no error) --------------------------------
    "header typo": Case(["validate", f"{L}/{MD}/typo.csv"], 1,
                        ("`discipline_from` is not a column of member_disciplines; did you "
                         "mean `discipline_form`?", "missing discipline_form (required)"),
                        setup=landing_file(f"{MD}/typo.csv", TYPO), max_lines=None),
    "lossy Windows-1252 export": Case(["validate", f"{L}/{MD}/lossy.csv"], 1,
                                      ("replaced by '?'", "save it as CSV UTF-8"),
                                      setup=landing_file(f"{MD}/lossy.csv", LOSSY),
                                      max_lines=None),
    "UTF-8 read as Windows-1252": Case(["validate", f"{L}/{MD}/moji.csv"], 1,
                                       ("opened as Windows-1252", "CSV UTF-8"),
                                       setup=landing_file(f"{MD}/moji.csv", MOJIBAKE),
                                       max_lines=None),
    "UTF-16 file": Case(["validate", f"{L}/{MD}/encoding_utf16.csv"], 1,
                        ("neither UTF-8 nor Windows-1258", "UTF-16 byte-order mark"),
                        setup=corpus_file(f"{MD}/encoding_utf16.csv")),
    "header-only file": Case(["validate", f"{L}/{MD}/header_only.csv"], 0,
                             ("no rows", "0 problem(s)"),
                             setup=corpus_file(f"{MD}/header_only.csv")),
    "empty file": Case(["validate", f"{L}/{MD}/empty.csv"], 1, ("the file is empty",),
                       setup=corpus_file(f"{MD}/empty.csv")),
    "file without its header row": Case(["validate", f"{L}/{MD}/headerless.csv"], 1,
                                        ("is the header row missing?",),
                                        setup=corpus_file(f"{MD}/headerless.csv")),
    "bad dates": Case(["validate", f"{L}/{MD}/bad_dates.csv"], 1, ("is not a date",),
                      setup=corpus_file(f"{MD}/bad_dates.csv"), max_lines=None),
    "file of no kind": Case(["validate", f"{L}/decisions.csv"], 1,
                            ("cannot tell the kind", "--kind"),
                            setup=landing_file("decisions.csv", HEADER)),
    "unsupported file type": Case(["validate", f"{L}/{MD}/notes.txt"], 1,
                                  ("unsupported file type", ".csv"),
                                  setup=corpus_file(f"{MD}/notes.txt")),
    # --- the warehouse's own files (exit 1) ------------------------------------------------
    "damaged working file": Case(["run"], 1, ("working warehouse", "cannot be opened",
                                              "Move it aside"), setup=damaged_working_file),
    "no published file yet": Case(["sql", "select 1"], 1, ("does not exist yet", "kyluat run")),
    "damaged published file": Case(["sql", "select 1"], 1, ("cannot be opened", "kyluat run"),
                                   setup=lambda ws: ws.published_db.write_bytes(b"truncated")),
}


def fingerprint(ws: Settings) -> dict[str, str]:
    """Every file of the landing and warehouse folders (logs aside) and its sha256."""
    files = {}
    for root in (ws.landing_dir, ws.warehouse_dir):
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink() and "logs" not in path.parts:
                files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


CACHES = (".landing_index.json", ".discipline.duckdb.writer.lock")  # rebuilt when missing


def assert_nothing_lost(ws: Settings, before: dict[str, str]) -> None:
    """Every file is as it was; only the warehouse's caches may have appeared."""
    after = fingerprint(ws)
    assert {path: after.get(path) for path in before} == before
    assert all(Path(path).name in CACHES for path in set(after) - set(before)), after


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors, and the one-line exits of kyluat sql
        code = exc.code if isinstance(exc.code, int) else (print(exc.code, file=sys.stderr)
                                                            or 1)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("name", list(CASES))
def test_a_mistake_is_named_and_starts_nothing(name, workspace, monkeypatch, capsys, tmp_path):
    case = CASES[name]
    if case.setup:
        case.setup(workspace)
    monkeypatch.chdir(tmp_path)
    dagster_env = {v: os.environ[v] for v in ("DAGSTER_HOME", "KYLUAT_DAGSTER_STORAGE")}
    for variable, value in case.env.items():
        monkeypatch.setenv(variable, value.replace(L, str(workspace.landing_dir)))
    before = fingerprint(workspace)

    code, output = run_cli([a.replace(L, str(workspace.landing_dir)) for a in case.argv],
                           capsys)

    assert code == case.code, output
    for word in case.words:
        assert word in output, output
    assert "Traceback" not in output and 'File "' not in output, output
    if case.max_lines:  # validate also says which unit tree it checked against
        limit = case.max_lines + (case.argv[0] == "validate" and case.code != 2)
        assert len(output.strip().splitlines()) <= limit, output
    assert_nothing_lost(workspace, before)
    for variable, value in dagster_env.items():
        monkeypatch.setenv(variable, value)
    assert DagsterInstance.get().get_run_records() == []


def test_verbose_is_accepted_after_the_command(workspace, capsys):
    assert main(["run", "-v", "--landing", "no/such"]) == 2
    assert main(["-v", "run", "--landing", "no/such"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_run_waits_for_the_run_that_holds_the_warehouse_then_says_who(workspace, monkeypatch,
                                                                        capsys):
    """Another run holds the writer lock past KYLUAT_LOCK_TIMEOUT: nothing is started, the
    holder is named, and the warehouse is as it was."""
    monkeypatch.setenv("KYLUAT_LOCK_TIMEOUT", "0.5")
    before = fingerprint(workspace)
    with writer_lock(workspace.working_db, holder="other-run-id"):
        started = time.monotonic()
        code, output = run_cli(["run"], capsys)
    assert code == 1, output
    assert time.monotonic() - started >= 0.5
    assert "in use by run other-run-id" in output and "nothing was started" in output
    assert "Traceback" not in output
    assert_nothing_lost(workspace, before)
    assert DagsterInstance.get().get_run_records() == []


def test_a_working_file_open_in_another_program_is_named(workspace, monkeypatch, capsys):
    """A DuckDB shell (here a child process) holds the working file open for writing."""
    with duckdb.connect(str(workspace.working_db)) as con:
        con.execute("create table kept as select 42 as answer")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('open', flush=True); time.sleep(60)", str(workspace.working_db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        monkeypatch.setenv("KYLUAT_LOCK_TIMEOUT", "0.3")
        code, output = run_cli(["run"], capsys)
    finally:
        holder.kill()
        holder.wait()
    assert code == 1, output
    assert "open in another program" in output and "nothing was started" in output
    assert "Traceback" not in output
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        assert con.execute("select answer from kept").fetchall() == [(42,)]
    assert DagsterInstance.get().get_run_records() == []


def test_an_internal_error_is_one_line_and_its_traceback_goes_to_a_log(workspace, monkeypatch,
                                                                       capsys):
    """A fault of kyluat itself, not of the user (here one put into the validator): one line
    naming the log that holds the traceback; with -v, the traceback itself."""
    import kyluat.submission_check

    def faulty(*_args, **_kwargs):
        return {}["no such key"]
    monkeypatch.setattr(kyluat.submission_check, "check_files", faulty)
    target = write(workspace.landing_dir / MD / "valid.csv", HEADER)

    code, output = run_cli(["validate", str(target)], capsys)
    assert code == 1
    log = workspace.warehouse_dir / "logs" / "errors.log"
    assert output.strip() == (f"kyluat validate: internal error (KeyError: 'no such key'); "
                              f"the traceback is in {log}, or run again with -v")
    assert "Traceback (most recent call last)" in log.read_text()
    with pytest.raises(KeyError):
        main(["validate", "-v", str(target)])


def test_notes_do_not_flag_good_files(workspace, capsys):
    """Vietnamese headers (aliases), a byte-order mark, Windows-1258 text: nothing to note."""
    files = [CORPUS / MD / "vietnamese_headers.csv", CORPUS / MD / "utf8_bom.csv",
             CORPUS / "org_units" / "cp1258_units.csv"]
    main(["validate", *map(str, files)])
    assert "note:" not in capsys.readouterr().out


def test_the_note_on_a_header_never_quotes_a_row(workspace, capsys):
    """A file sent without its header row: its first record is not echoed as 'columns'."""
    path = write(workspace.landing_dir / MD / "headerless.csv",
                 (CORPUS / MD / "headerless.csv").read_text(encoding="utf-8"))
    main(["validate", str(path)])
    out = capsys.readouterr().out
    first_record = path.read_text(encoding="utf-8").splitlines()[0]
    assert not any(value and value in out for value in first_record.split(",")[2:4])


def test_a_run_summary_names_the_probable_mistakes_and_keeps_the_rows(workspace, capsys):
    """Ingestion (no Dagster) of a good file, a file with a header typo and a header-only file:
    the typo's rows are in quarantine with their reason, the good rows loaded, and the run's
    summary names the unknown column and the file with no rows."""
    from kyluat.ingest import run_ingest
    from orchestration.summary import print_files_of_run

    for relative in ("org_units/base_org_units.csv", f"{MD}/valid_decisions.csv",
                     f"{MD}/header_only.csv"):
        corpus_file(relative)(workspace)
    landing_file(f"{MD}/typo.csv", TYPO)(workspace)
    run_ingest(workspace, run_id="with-mistakes")

    print_files_of_run(workspace, "with-mistakes")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "new files: 4; rows: 16 (13 loaded, 3 in quarantine)",
        f"  {MD}/header_only.csv: note: no rows: the file holds a header and nothing else",
        f"  {MD}/typo.csv: 3 rows in quarantine; row 2: missing discipline_form (required)",
        f"  {MD}/typo.csv: note: `discipline_from` is not a column of member_disciplines; did "
        "you mean `discipline_form`?",
        "  the submitted values and full reasons: kyluat quarantine-report",
    ]
    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        assert con.execute("select count(*) from raw.member_disciplines").fetchone() == (3,)
        assert con.execute("""
            select count(*) from audit.quarantine q join audit.file_registry f using (file_id)
            where f.path = ? and q.reason like '%missing discipline_form (required)%'
        """, [f"{MD}/typo.csv"]).fetchone() == (3,)


def test_a_run_on_an_unreadable_published_file_sets_it_aside_and_publishes_anew(sample_copy,
                                                                               capsys):
    """The published file is truncated (a disk full, a copy cut short). The run names it,
    says what it did (moved aside, kept for inspection, a new one published from the working
    warehouse), and the working warehouse keeps every row. (Runs the pipeline: what the run
    does about the file is under test; with nothing new it rebuilds no model.)"""
    ws = sample_copy
    truncated = ws.published_db.read_bytes()[:5000]
    ws.published_db.write_bytes(truncated)
    tables = ("raw.member_disciplines", "raw.org_units", "audit.file_registry",
              "audit.quarantine")
    with duckdb.connect(str(ws.working_db), read_only=True) as con:
        before = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}

    code, output = run_cli(["run"], capsys)

    assert code == 0, output
    (aside,) = ws.warehouse_dir.glob("analytics.duckdb.unreadable-*")
    assert aside.read_bytes() == truncated
    assert (f"  warning: the published file {ws.published_db} cannot be read (IO Error: "
            in output), output
    assert (f"it was moved aside to {aside.name} and this run publishes a new one from the "
            "working warehouse, which it leaves whole") in output
    assert "Traceback" not in output and "NOT PUBLISHED" not in output
    assert f"published: {ws.published_db} replaced by this run's build" in output
    with duckdb.connect(str(ws.working_db), read_only=True) as con:
        assert {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in tables} == before
    with duckdb.connect(str(ws.published_db), read_only=True) as con:
        assert con.execute("select computed_value from marts.rpt_published_reconciliation "
                           "where figure_id = 'QNM-2124-PC-IS'").fetchone() == (279,)
