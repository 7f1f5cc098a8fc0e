"""The guarantees of CONTRACT §2: idempotency, revisions, re-validation, pseudonymisation,
and a killed run that leaves the warehouse as it was."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from kyluat.config import REPO_ROOT
from kyluat.contract import KINDS
from kyluat.ingest import run_ingest
from kyluat.landing import file_sha256
from kyluat.pseudonym import DEVELOPMENT_KEY, PseudonymKeyError
from tests.conftest import write

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BASE = "org_units/base_org_units.csv"
MD_HEADER = ("deciding_unit_code,decision_ref,member_id,member_name,authority_type,"
             "discipline_form,decision_date,member_unit_code,violation_categories,channel,"
             "is_committee_member,is_probationary,activity_ref,status,violation_date\n")


def decision(ref: str, member_id: str, name: str, form: str = "reprimand",
             unit: str = "QNM-D01-G01-C01", status: str = "in_force") -> str:
    """One member_disciplines CSV line decided by QNM-D01 on 2023-03-15."""
    return (f"QNM-D01,{ref},{member_id},{name},inspection_committee,{form},2023-03-15,{unit},"
            f"lack_of_responsibility,inspection,false,false,,{status},\n")


def with_base(settings) -> None:
    target = settings.landing_dir / BASE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CORPUS / BASE, target)


def connect(settings):
    return duckdb.connect(str(settings.working_db), read_only=True)


def counts(settings) -> tuple:
    """Registry rows, raw rows of every kind, quarantine rows: what a run may add to."""
    with connect(settings) as con:
        return (con.execute("select count(*) from audit.file_registry").fetchone()[0],
                {k: con.execute(f"select count(*) from raw.{k}").fetchone()[0] for k in KINDS},
                con.execute("select count(*) from audit.quarantine").fetchone()[0])


def member_key(key: str, member_id: str) -> str:
    normalized = re.sub(r"\s+", "", member_id).upper()
    return hmac.new(key.encode(), normalized.encode(), hashlib.sha256).hexdigest()


# --- idempotency ------------------------------------------------------------------------------

def test_same_content_adds_nothing_under_any_name_or_run(workspace):
    """A file read before (same sha256) adds nothing: a copy in the same run, a second run, a
    renamed copy in a later run."""
    with_base(workspace)
    lines = decision("1-QĐ", "DV1", "Nguyễn Văn A") + decision("2-QĐ", "DV2", "Trần Thị B")
    write(workspace.landing_dir / "member_disciplines/decisions.csv", MD_HEADER + lines)
    write(workspace.landing_dir / "member_disciplines/copy_of_decisions.csv", MD_HEADER + lines)
    first = run_ingest(workspace, "first")
    assert first.files_new == 2  # org_units and one of the two copies
    after_first = counts(workspace)
    assert after_first[0] == 2 and after_first[1]["member_disciplines"] == 2

    assert run_ingest(workspace, "second").files_new == 0
    assert counts(workspace) == after_first

    (workspace.landing_dir / "member_disciplines/decisions.csv").rename(
        workspace.landing_dir / "member_disciplines/decisions_resent.csv")
    write(workspace.landing_dir / "member_disciplines/2024/again.csv", MD_HEADER + lines)
    assert run_ingest(workspace, "third").files_new == 0
    assert counts(workspace) == after_first


# --- revisions --------------------------------------------------------------------------------

CURRENT = """
    select decision_ref, discipline_form, status, _file_id
    from raw.member_disciplines
    qualify row_number() over (partition by deciding_unit_code, decision_ref, member_key
                               order by _file_id desc, _row_number desc) = 1
    order by decision_ref
"""


def test_later_file_revises_and_revokes_while_history_stays(workspace):
    """A later row with the same business key replaces the earlier one in the current view;
    both versions stay in raw with their file; `thu hồi` revokes explicitly; a key missing
    from the later file keeps its earlier version (not implied revoked)."""
    with_base(workspace)
    write(workspace.landing_dir / "member_disciplines/2023_first.csv", MD_HEADER
          + decision("1-QĐ", "DV1", "Nguyễn Văn A")
          + decision("2-QĐ", "DV2", "Trần Thị B")
          + decision("3-QĐ", "DV3", "Lê Văn C"))
    run_ingest(workspace, "first")
    write(workspace.landing_dir / "member_disciplines/2023_revised.csv", MD_HEADER
          + decision("1-QĐ", "DV1", "Nguyễn Văn A", form="cảnh cáo", status="đã sửa đổi")
          + decision("2-QĐ", " dv2 ", "Trần Thị B", status="thu hồi"))
    run_ingest(workspace, "second")

    with connect(workspace) as con:
        files = dict(con.execute("select path, file_id from audit.file_registry").fetchall())
        first = files["member_disciplines/2023_first.csv"]
        revised = files["member_disciplines/2023_revised.csv"]
        assert con.execute(CURRENT).fetchall() == [
            ("1-QĐ", "warning", "amended", revised),
            ("2-QĐ", "reprimand", "revoked", revised),
            ("3-QĐ", "reprimand", "in_force", first),
        ]
        history = con.execute("""
            select decision_ref, discipline_form, status, _file_id, _run_id,
                   _loaded_at is not null
            from raw.member_disciplines order by decision_ref, _file_id
        """).fetchall()
    assert history == [
        ("1-QĐ", "reprimand", "in_force", first, "first", True),
        ("1-QĐ", "warning", "amended", revised, "second", True),
        ("2-QĐ", "reprimand", "in_force", first, "first", True),
        ("2-QĐ", "reprimand", "revoked", revised, "second", True),
        ("3-QĐ", "reprimand", "in_force", first, "first", True),
    ]


# --- re-validation ----------------------------------------------------------------------------

def registry_row(settings, path: str) -> tuple:
    with connect(settings) as con:
        return con.execute("""
            select status, row_count, accepted_count, rejected_count from audit.file_registry
            where path = ?
        """, [path]).fetchone()


def test_quarantined_row_loads_when_its_unit_arrives(workspace):
    """A decision quarantined because its unit is unknown loads on the next run after the
    org_units file with that unit arrives: quarantine row resolved, registry counts moved."""
    with_base(workspace)
    path = "member_disciplines/2023.csv"
    write(workspace.landing_dir / path, MD_HEADER
          + decision("1-QĐ", "DV1", "Nguyễn Văn A")
          + decision("2-QĐ", "DV2", "Trần Thị B", unit="QNM-D01-G09"))
    run_ingest(workspace, "first")
    assert registry_row(workspace, path) == ("partially_loaded", 2, 1, 1)
    with connect(workspace) as con:
        assert con.execute("select row_number, rule_codes, column_names, reason, resolved_at "
                           "from audit.quarantine").fetchall() == [
            (3, ["unknown_unit"], ["member_unit_code"], "member_unit_code is not a known unit; "
             "its org_units row must be sent first", None)]
        assert con.execute("select row_number, reason from restricted.quarantine"
                           ).fetchall() == [
            (3, "member_unit_code 'QNM-D01-G09' is not a known unit; its org_units row must "
                "be sent first")]

    write(workspace.landing_dir / "org_units/new_grassroots.csv",
          "unit_code,valid_from,name,level,parent_code\n"
          "QNM-D01-G09,2010-01-01,Đảng ủy phường Hòa Hương,grassroots,QNM-D01\n")
    summary = run_ingest(workspace, "second")
    assert summary.rows_resolved == 1
    assert registry_row(workspace, path) == ("loaded", 2, 2, 0)
    with connect(workspace) as con:
        assert con.execute("""
            select row_number, resolved_at is not null, resolved_run_id from audit.quarantine
        """).fetchall() == [(3, True, "second")]
        assert con.execute("""
            select decision_ref, member_unit_code, _row_number, _run_id
            from raw.member_disciplines order by _row_number
        """).fetchall() == [("1-QĐ", "QNM-D01-G01-C01", 2, "first"),
                            ("2-QĐ", "QNM-D01-G09", 3, "second")]

    assert run_ingest(workspace, "third").rows_resolved == 0
    assert registry_row(workspace, path) == ("loaded", 2, 2, 0)


def test_duplicate_within_a_file_is_never_released(workspace):
    """Two rows of one file with the same key: when their unit arrives, the first loads and
    the duplicate stays quarantined for good."""
    with_base(workspace)
    path = "member_disciplines/2023.csv"
    write(workspace.landing_dir / path, MD_HEADER
          + decision("1-QĐ", "DV1", "Nguyễn Văn A", unit="QNM-D01-G09")
          + decision("1-QĐ", "DV1", "Nguyễn Văn A", form="warning", unit="QNM-D01-G09"))
    run_ingest(workspace, "first")
    assert registry_row(workspace, path) == ("partially_loaded", 2, 0, 2)

    write(workspace.landing_dir / "org_units/new_grassroots.csv",
          "unit_code,valid_from,name,level,parent_code\n"
          "QNM-D01-G09,2010-01-01,Đảng ủy phường Hòa Hương,grassroots,QNM-D01\n")
    run_ingest(workspace, "second")
    run_ingest(workspace, "third")
    assert registry_row(workspace, path) == ("partially_loaded", 2, 1, 1)
    with connect(workspace) as con:
        assert con.execute("select discipline_form, _row_number from raw.member_disciplines"
                           ).fetchall() == [("reprimand", 2)]
        row, reason, retryable, resolved = con.execute("""
            select q.row_number, r.reason, q.retryable, q.resolved_at from audit.quarantine q
            join restricted.quarantine r using (file_id, row_number)
            where q.resolved_at is null
        """).fetchone()
    assert (row, retryable, resolved) == (3, False, None)
    assert "duplicate of row 2 (same business key: deciding_unit_code, decision_ref, " \
           "member_id)" in reason


def test_formula_member_id_is_never_released(workspace):
    """A member id that looks like a formula stays quarantined on later runs: only its key is
    kept, so the check could not be repeated."""
    with_base(workspace)
    path = "member_disciplines/2023.csv"
    write(workspace.landing_dir / path, MD_HEADER + decision("1-QĐ", "=DV1", "Nguyễn Văn A"))
    run_ingest(workspace, "first")
    run_ingest(workspace, "second")
    assert registry_row(workspace, path) == ("partially_loaded", 1, 0, 1)
    assert counts(workspace)[1]["member_disciplines"] == 0


# --- files read together --------------------------------------------------------------------

def outcome(settings) -> list:
    """Registry, quarantine and raw rows, by file id and row number."""
    with connect(settings) as con:
        return [con.execute(query).fetchall() for query in (
            "select file_id, path, status, row_count, accepted_count, rejected_count, "
            "first_error from audit.file_registry order by file_id",
            "select q.file_id, q.row_number, r.reason, q.retryable, r.raw_values::varchar "
            "from audit.quarantine q join restricted.quarantine r on r.file_id = q.file_id "
            "and r.row_number is not distinct from q.row_number order by all",
            "select * exclude (_loaded_at) from raw.member_disciplines order by all")]


def together_and_alone(workspace, monkeypatch, tmp_path, landing) -> tuple[list, list[str]]:
    """The outcome of one run on `landing` and the kinds of the checks it ran; asserts that
    a run reading every file alone has the same outcome."""
    from kyluat import ingest
    from tests.conftest import make_workspace

    checks: list[str] = []
    check_src = ingest.check_src

    def counted(con, kind, *args, **kwargs):
        checks.append(kind.name)
        return check_src(con, kind, *args, **kwargs)

    monkeypatch.setattr(ingest, "check_src", counted)
    landing(workspace)
    run_ingest(workspace)
    together, together_checks = outcome(workspace), list(checks)
    alone = make_workspace(tmp_path / "alone", monkeypatch)
    monkeypatch.setattr(ingest, "BATCH_BYTES", 0)
    landing(alone)
    run_ingest(alone)
    assert outcome(alone) == together
    return together, together_checks


def good_files(settings, count: int) -> None:
    """`count` member_disciplines files of one header; 0_good.csv has a key twice, and every
    file has the keys of the others (a duplicate only within a file)."""
    with_base(settings)
    for f in range(count):
        write(settings.landing_dir / f"member_disciplines/{f}_good.csv", MD_HEADER
              + decision("1-QĐ", "DV1", "Nguyễn Văn A") + decision(f"{f}-2-QĐ", f"DV{f}2", "B")
              + (decision("1-QĐ", "DV1", "Nguyễn Văn A", form="warning") if f == 0 else ""))


def test_files_of_one_header_are_checked_together_as_each_alone(workspace, monkeypatch,
                                                                tmp_path):
    """Six files of one header are read and checked at once, with the file ids, row numbers,
    duplicates (within a file only) and counts of reading each alone. A seventh of the same
    header, cut inside a quoted value, is read alone and rejected: in a read of five files or
    more DuckDB would drop that error and load the file."""
    def landing(settings):
        good_files(settings, 6)
        write(settings.landing_dir / "member_disciplines/7_truncated.csv", MD_HEADER
              + decision("7-QĐ", "DV7", "C") + 'QNM-D01,"8-QĐ,DV8,Lê Văn D,inspection_committee')

    (registry, quarantine, raw), checks = together_and_alone(workspace, monkeypatch, tmp_path,
                                                             landing)
    assert checks == ["org_units", "member_disciplines"]
    assert [r[1:6] for r in registry] == [
        (BASE, "loaded", 10, 10, 0),
        ("member_disciplines/0_good.csv", "partially_loaded", 3, 2, 1),
        *[(f"member_disciplines/{f}_good.csv", "loaded", 2, 2, 0) for f in range(1, 6)],
        ("member_disciplines/7_truncated.csv", "rejected", 0, 0, 0)]
    assert [(r, reason.split(" (")[0], retryable) for _, r, reason, retryable, _ in quarantine
            ] == [(4, "duplicate of row 2", False),
                  (None, "row 3: a quoted value is never closed", False)]
    assert len(raw) == 12
    assert sorted({(row[-3], row[-2]) for row in raw}) == [
        (file_id, n) for file_id in range(2, 8) for n in (2, 3)]


def test_a_bad_row_in_a_batch_costs_no_other_file_its_rows(workspace, monkeypatch, tmp_path):
    """A file with a short row fails the read of its batch: every file of the batch is then
    read alone, so the good ones load and the short row alone is quarantined, with the
    reason and row number of reading it alone."""
    def landing(settings):
        good_files(settings, 5)
        write(settings.landing_dir / "member_disciplines/3_short_row.csv", MD_HEADER
              + decision("7-QĐ", "DV7", "C") + "QNM-D01,8-QĐ,DV8\n" + decision("9-QĐ", "DV9", "E"))

    (registry, quarantine, raw), _ = together_and_alone(workspace, monkeypatch, tmp_path,
                                                        landing)
    short = next(r for r in registry if r[1].endswith("short_row.csv"))
    assert short[2:6] == ("partially_loaded", 3, 2, 1)
    assert [(file_id, r, reason) for file_id, r, reason, *_ in quarantine if r == 3] == [
        (short[0], 3, "the row has fewer fields than the header (3 fields, the header has "
                      "15)")]
    assert sum(r[4] for r in registry) == 10 + 2 + 2 * 5
    assert len(raw) == 2 + 2 * 5


# --- pseudonymisation ------------------------------------------------------------------------

PEOPLE = {"DV900000001": "Nguyễn Thị Thu Khánh", "DV900000002": "Alăng Văn Hoa",
          "DV900000003": "Bùi Xuân Nga", "DV900000004": "Hồ Văn Lâm",
          "DV900000005": "Phan Đức Hiếu", "DV900000006": "Trương Mỹ Lan"}


def personal_landing(settings) -> None:
    """Member ids and names in every place they can travel: loaded rows, quarantined rows,
    a short row, a revision, an activity on a member, a file without its header row."""
    with_base(settings)
    ids = list(PEOPLE)
    write(settings.landing_dir / "member_disciplines/a.csv", MD_HEADER
          + decision("1-QĐ", ids[0], PEOPLE[ids[0]])
          + decision("2-QĐ", ids[1], PEOPLE[ids[1]], form="cảnh báo")
          + decision("3-QĐ", ids[2], PEOPLE[ids[2]], unit="QNM-D77")
          + f"QNM-D01,4-QĐ,{ids[3]},{PEOPLE[ids[3]]},inspection_committee\n")
    write(settings.landing_dir / "member_disciplines/b.csv", MD_HEADER
          + decision("1-QĐ", ids[0], PEOPLE[ids[0]], status="revoked"))
    write(settings.landing_dir / "member_disciplines/no_header.csv",
          decision("5-QĐ", ids[4], PEOPLE[ids[4]]))
    write(settings.landing_dir / "activities/a.ndjson", json.dumps({
        "conducting_unit_code": "QNM-D01", "activity_ref": "9-KT", "authority_type": "UBKT",
        "activity_type": "giải quyết tố cáo", "subject_kind": "member",
        "subject_unit_code": "QNM-D01-G01", "start_date": "2023-01-02",
        "subject_member_id": ids[5], "member_name": PEOPLE[ids[5]]}, ensure_ascii=False) + "\n")


def test_no_member_id_or_name_reaches_any_table(workspace):
    """No member_id or member_name value of the input appears in any column of any table of
    the working DuckDB file, loaded or quarantined; ids are there only as keys."""
    personal_landing(workspace)
    run_ingest(workspace, "first")
    run_ingest(workspace, "second")
    needles = [*PEOPLE, *PEOPLE.values()]
    found = []
    with connect(workspace) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        assert {("raw", k) for k in KINDS} | {("audit", "file_registry"),
                                              ("audit", "quarantine")} <= set(tables)
        for schema, table in tables:
            columns = [c for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? "
                "and table_name = ?", [schema, table]).fetchall()]
            for row in con.execute(f'select {", ".join(f"{c}::varchar" for c in columns)} '
                                   f'from "{schema}"."{table}"').fetchall():
                text = " ".join(v for v in row if v)
                found += [(schema, table, n) for n in needles if n.casefold() in text.casefold()]
        assert found == []
        # the rows are there, as keys: loaded, quarantined and in the activity
        keys = {k for (k,) in con.execute("select member_key from raw.member_disciplines")
                .fetchall()}
        assert keys == {member_key("test-key", "DV900000001")}
        quarantined = con.execute("select raw_values->>'member_key' from restricted.quarantine "
                                  "where raw_values->>'member_key' is not null").fetchall()
        assert sorted(k for (k,) in quarantined) == sorted(
            member_key("test-key", i) for i in ("DV900000002", "DV900000003"))
        assert con.execute("select subject_member_key from raw.activities").fetchall() == [
            (member_key("test-key", "DV900000006"),)]


def test_member_key_is_keyed_hmac_of_the_normalised_id(workspace, monkeypatch, tmp_path):
    """member_key = HMAC-SHA256(KYLUAT_PSEUDONYM_KEY, id without spaces, upper case); another
    key gives other member keys for the same ids."""
    def keys_with(settings) -> list[str]:
        with_base(settings)
        write(settings.landing_dir / "member_disciplines/a.csv", MD_HEADER
              + decision("1-QĐ", "DV900000001", "A") + decision("2-QĐ", " dv 9000 00002", "B"))
        run_ingest(settings)
        with connect(settings) as con:
            return [k for (k,) in con.execute("select member_key from raw.member_disciplines "
                                              "order by decision_ref").fetchall()]

    first = keys_with(workspace)
    assert first == [member_key("test-key", "DV900000001"), member_key("test-key", "DV900000002")]

    from tests.conftest import make_workspace
    other = make_workspace(tmp_path / "other", monkeypatch)
    monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY", "another-key")
    second = keys_with(other)
    assert second == [member_key("another-key", "DV900000001"),
                      member_key("another-key", "DV900000002")]
    assert not set(first) & set(second)


def test_without_a_key_a_landing_that_is_not_the_sample_refuses_to_start(workspace,
                                                                        monkeypatch, capsys):
    """No key and a landing that is not the bundled sample: `kyluat run` says in one line how
    to make a key (exit 2) and nothing is created; the public development key, given
    explicitly, is refused the same way."""
    monkeypatch.delenv("KYLUAT_PSEUDONYM_KEY")
    with_base(workspace)
    write(workspace.landing_dir / "member_disciplines/a.csv",
          MD_HEADER + decision("1-QĐ", "DV900000001", "A"))
    from orchestration.cli import main as kyluat_main

    for key in (None, DEVELOPMENT_KEY):
        if key:
            monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY", key)
        assert kyluat_main(["run"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "KYLUAT_PSEUDONYM_KEY_FILE=" in err, err
        assert ("the development key is public" if key else "no pseudonym key is set") in err
        with pytest.raises(PseudonymKeyError):
            run_ingest(workspace)
    assert list(workspace.warehouse_dir.iterdir()) == []


def test_the_development_key_keys_the_byte_identical_sample_only(workspace, monkeypatch,
                                                                 caplog):
    """Without a key, a copy of the bundled sample is keyed with the development key (and a
    warning says so); the same landing with one byte changed is refused."""
    from tests.conftest import copy_sample

    monkeypatch.delenv("KYLUAT_PSEUDONYM_KEY")
    copy_sample(workspace.landing_dir)
    with caplog.at_level(logging.WARNING):
        run_ingest(workspace)
    assert any("DEVELOPMENT key" in r.getMessage() for r in caplog.records)
    with connect(workspace) as con:
        keys = {k for (k,) in con.execute("select member_key from raw.member_disciplines")
                .fetchall()}
    assert member_key(DEVELOPMENT_KEY, "DV514168505") in keys  # a member of the sample

    changed = next((workspace.landing_dir / "member_disciplines").glob("*.csv"))
    changed.write_bytes(changed.read_bytes().replace(b"\n", b"\r\n", 1))
    with pytest.raises(PseudonymKeyError, match="not the bundled sample"):
        run_ingest(workspace)


def test_a_warehouse_refuses_a_key_other_than_its_own(workspace, monkeypatch, capsys):
    """The working file records the digest of its key, never the key; another key is refused
    by the run (one line, exit 2) before anything starts, and by ingestion itself."""
    with_base(workspace)
    run_ingest(workspace)
    with connect(workspace) as con:
        stored = " ".join(str(r) for r in con.execute(
            "select * from restricted.pseudonym_key").fetchall())
    assert "test-key" not in stored and len(stored) > 64
    monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY", "another-key")
    from orchestration.cli import main as kyluat_main

    assert kyluat_main(["run"]) == 2
    err = capsys.readouterr().err
    assert "not the one the warehouse was keyed with" in err and "rotate-key" in err, err
    with pytest.raises(PseudonymKeyError):
        run_ingest(workspace)
    key_file = workspace.warehouse_dir.parent / "key"
    key_file.write_text("test-key\n")
    monkeypatch.delenv("KYLUAT_PSEUDONYM_KEY")
    monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY_FILE", str(key_file))
    assert run_ingest(workspace).files_new == 0  # the same key, from a file


# --- a killed run -----------------------------------------------------------------------------

FILES, ROWS = 10, 2000
INGEST = ("import logging, sys; "
          "logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='%(message)s'); "
          "from kyluat.config import Settings; from kyluat.ingest import run_ingest; "
          "run_ingest(Settings.from_env(), 'killed')")


def _lines(stream, out: queue.Queue) -> None:
    for line in stream:
        out.put(line)
    out.put(None)


def test_killed_run_leaves_the_warehouse_as_it_was_and_rerun_loads_once(workspace):
    """SIGKILL in the middle of the run's transaction (after the 3rd file was loaded): the
    working file is as before the run; the next run loads every row exactly once; a third run
    adds nothing."""
    with_base(workspace)
    run_ingest(workspace, "before")
    before = counts(workspace)
    assert before[0] == 1

    for f in range(FILES):
        write(workspace.landing_dir / f"member_disciplines/batch_{f:02d}.csv", MD_HEADER + "".join(
            decision(f"{f}-{i}-QĐ", f"DV{f:02d}{i:06d}", f"Người {i}") for i in range(ROWS)))

    process = subprocess.Popen([sys.executable, "-u", "-c", INGEST], cwd=REPO_ROOT,
                               env=dict(os.environ), stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True).start()
    loaded, deadline = 0, time.monotonic() + 120
    try:
        while loaded < 3:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "ingestion ended before it could be killed"
            loaded += "rows accepted" in line
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert counts(workspace) == before

    summary = run_ingest(workspace, "rerun")
    assert summary.files_new == FILES
    with connect(workspace) as con:
        assert con.execute("""
            select count(*), count(distinct (_file_id, _row_number)),
                   count(distinct (decision_ref, member_key))
            from raw.member_disciplines
        """).fetchone() == (FILES * ROWS, FILES * ROWS, FILES * ROWS)
        assert con.execute("""
            select count(*), sum(accepted_count), sum(rejected_count)
            from audit.file_registry where kind = 'member_disciplines' and status = 'loaded'
        """).fetchone() == (FILES, FILES * ROWS, 0)
    after = counts(workspace)

    assert run_ingest(workspace, "third").files_new == 0
    assert counts(workspace) == after


def test_links_and_pipes_in_the_landing_are_refused_without_being_opened(workspace):
    """A link to a file outside the landing folder (here a secret of the machine's own) and a
    named pipe are registered as rejected with their reason; neither is read (opening the
    pipe would block the run forever), nothing of the linked file reaches any table, and a
    rerun registers nothing again."""
    secret = workspace.warehouse_dir.parent / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-LINE:/root:/bin/bash\n")
    folder = workspace.landing_dir / "member_disciplines"
    folder.mkdir(parents=True)
    (folder / "x.csv").symlink_to(secret)
    (workspace.landing_dir / "memberships").symlink_to(secret.parent, target_is_directory=True)
    os.mkfifo(folder / "pipe.csv")

    run_ingest(workspace, run_id="r1")
    run_ingest(workspace, run_id="r2")

    with duckdb.connect(str(workspace.working_db), read_only=True) as con:
        registry = con.execute("select path, kind, status, first_error, sha256 "
                               "from audit.file_registry order by path").fetchall()
        texts = con.execute("""
            select string_agg(coalesce(first_error, '') || sha256, ' ') from audit.file_registry
            union all select string_agg(reason, ' ') from audit.quarantine
            union all select string_agg(coalesce(reason, '') || coalesce(raw_values::varchar, ''),
                                        ' ') from restricted.quarantine""").fetchall()
    assert [(p, k, s) for p, k, s, _, _ in registry] == [
        ("member_disciplines/pipe.csv", "member_disciplines", "rejected"),
        ("member_disciplines/x.csv", "member_disciplines", "rejected"),
        ("memberships", None, "rejected")]
    assert "symbolic link" in registry[1][3] and "not a regular file" in registry[0][3]
    assert "symbolic link" in registry[2][3]
    assert file_sha256(secret) not in {row[4] for row in registry}
    assert not any("SECRET-LINE" in (text or "") for (text,) in texts)
