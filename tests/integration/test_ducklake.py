"""The DuckLake deployment (kyluat/lake.py) on a real PostgreSQL server: the published catalog in
PostgreSQL and Parquet, shared by run workers and analysts on other hosts.

Needs DAGSTER_PG_HOST, DAGSTER_PG_PORT, DAGSTER_PG_USERNAME, DAGSTER_PG_PASSWORD and
DAGSTER_PG_DB (.ci/run starts a server with deploy/ci_postgres.sh and exports them). Each test
keeps its catalog in a database of its own, created and dropped here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from kyluat import lake, working_catalog
from kyluat.config import REPO_ROOT, LakeProfile
from kyluat.contract import KINDS
from kyluat.publish import capture_published_row_counts
from kyluat.rotation import rotate_key
from tests.conftest import (
    PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
    PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
    copy_sample,
    write,
)
from tests.integration.test_releases import FIGURE, LATE_FILE, LATE_ROW
from tests.postgres import connect as pg_connect
from tests.postgres import fresh_database, require_postgres

pytestmark = pytest.mark.integration

psycopg2 = require_postgres()

KYLUAT = str(Path(sys.executable).with_name("kyluat"))
READERS = 8

# A revision of a sample decision (2021_2023_province.csv: member DV144983142's warning under
# QNM's 174-QĐ/UBKTTU) that makes it a reprimand.
REVISION_FILE = "member_disciplines/2025_revision_qnm_174.csv"
REVISION = ("deciding_unit_code,decision_ref,member_id,member_name,authority_type,"
            "discipline_form,decision_date,member_unit_code,violation_categories,channel,"
            "is_committee_member,is_probationary,activity_ref,status,violation_date\n"
            "QNM,174-QĐ/UBKTTU,DV144983142,Bùi Đức An,inspection_committee,reprimand,2021-01-20,"
            "QNM-D18,land_finance_assets;exemplary_duty,inspection,true,false,151-QĐ/UBKTTU,"
            "in_force,\n")
DECISION_174 = ("select discipline_form from marts.fct_member_discipline where "
                "deciding_unit_code = 'QNM' and decision_ref = '174-QĐ/UBKTTU' order by 1")
# The lineage of a row, which differs between two loads of the same files.
LINEAGE = ("_loaded_at", "_run_id", "registered_at", "run_id", "quarantined_at", "recorded_at",
           "resolved_at", "resolved_run_id")

# What a reader reads in one transaction, from tables the publication writes one by one: a
# half-written publication would pair figures and counts no publication ever had.
STATE = """
    select (select max(computed_value) from marts.rpt_published_reconciliation
            where figure_id = 'QNM-2124-PC-IS'),
           (select max(computed_value) from marts.rpt_published_reconciliation
            where figure_id = 'QNM-2124-IC-LR'),
           (select count(*) from marts.fct_member_discipline),
           (select count(*) from marts.mart_discipline_breakdown),
           (select count(*) from audit.file_registry),
           (select count(*) from audit.publications)"""

READER = textwrap.dedent("""
    import json, os, sys, time
    import duckdb
    from kyluat import lake
    from kyluat.config import LakeProfile

    catalog, out, stop, state = sys.argv[1:]
    con = duckdb.connect()
    while True:  # the catalog exists once the first run has published
        try:
            lake.attach(con, LakeProfile(catalog, ""))
            break
        except lake.LakeError:
            if os.path.exists(stop):
                break
            # a failed attach costs about 75 ms of CPU here and as much in PostgreSQL: eight
            # readers retrying every half second took a core from the runs
            time.sleep(1.5)
    con.execute("use lake")
    seen = []
    while not os.path.exists(stop):
        con.execute("begin transaction")
        snapshot = lake.current_snapshot(con)
        try:
            seen.append([snapshot, list(con.execute(state).fetchone())])
        except duckdb.CatalogException:
            pass  # nothing published yet
        con.execute("rollback")
        time.sleep(1.5)  # eight readers must not starve the runs of CPU
    with open(out, "w") as handle:
        json.dump(seen, handle)
""")


@contextmanager
def created_database(prefix: str) -> Iterator[str]:
    with fresh_database(prefix) as name:
        if name is None:
            pytest.skip(f"the role {os.environ['DAGSTER_PG_USERNAME']} may not create databases")
        yield name


@pytest.fixture
def catalog(tmp_path) -> Iterator[LakeProfile]:
    """A DuckLake profile on a fresh PostgreSQL database, its Parquet under tmp_path."""
    with created_database("kyluat_lake") as name:
        yield LakeProfile(f"dbname={name} host={os.environ['DAGSTER_PG_HOST']} "
                          f"port={os.environ['DAGSTER_PG_PORT']} "
                          f"user={os.environ['DAGSTER_PG_USERNAME']} "
                          f"password={os.environ['DAGSTER_PG_PASSWORD']}",
                          str(tmp_path / "lake-data"))


@pytest.fixture
def dagster_instance(tmp_path) -> Iterator[dict[str, str]]:
    """The production Dagster instance (deploy/dagster.postgres.yaml) on a fresh database, shared
    by the hosts as a deployment shares it: the variables that select it."""
    with created_database("kyluat_dagster") as name:
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(REPO_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
        yield {"DAGSTER_HOME": str(home), "DAGSTER_PG_DB": name}


def host_env(root: Path, profile: LakeProfile, landing: Path,
             instance: dict[str, str]) -> dict[str, str]:
    """The environment of one host: its own working folder, warehouse and Dagster artifacts;
    the shared landing folder, catalog and Dagster instance."""
    for folder in ("warehouse", "dagster", "dbt-target"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return {**os.environ, **instance, "KYLUAT_WAREHOUSE_MODE": "ducklake",
            "KYLUAT_DUCKLAKE_CATALOG": profile.catalog,
            "KYLUAT_DUCKLAKE_DATA_PATH": profile.data_path,
            "KYLUAT_LANDING_DIR": str(landing), "KYLUAT_WAREHOUSE_DIR": str(root / "warehouse"),
            "KYLUAT_DAGSTER_STORAGE": str(root / "dagster"),
            "DBT_TARGET_PATH": str(root / "dbt-target"), "KYLUAT_PSEUDONYM_KEY": "test-key"}


def log_of(warehouse: Path) -> str:
    """The run logs of a host (its refresh, and the drawing of its files), in order."""
    return "\n".join(path.read_text("utf-8")
                     for path in sorted((warehouse / "logs" / "runs").glob("*.log")))


def logged_at(log: str, text: str) -> datetime:
    line = next(line for line in log.splitlines() if text in line)
    return datetime.fromisoformat(line.split(" ", 1)[0])


def state_at(profile: LakeProfile, snapshot: int) -> list:
    con = lake.connect(profile, snapshot)
    try:
        return list(con.execute(STATE).fetchone())
    finally:
        con.close()


def assert_same_rows(con, left: str, right: str, table: str) -> None:
    """`table` holds the same rows (but for their lineage) in databases `left` and `right`."""
    schema, name = table.split(".")
    columns = ", ".join(c for (c,) in con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index", [left, schema, name]).fetchall()
        if c not in LINEAGE)
    for one, other in ((left, right), (right, left)):
        assert con.execute(f"select count(*) from (select {columns} from {one}.{table} except "
                           f"all select {columns} from {other}.{table})").fetchone()[0] == 0, \
            (table, one, other)


def sql(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([KYLUAT, "sql", "--format", "csv", *args], env=env, cwd=env["HOME_DIR"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[1]


def test_two_hosts_take_turns_readers_see_whole_snapshots_and_a_release_time_travels(
        sample_run, catalog, dagster_instance, tmp_path):
    """Two fresh pipeline runs, needed here: two processes with separate working folders (two
    hosts) on one shared landing folder and catalog. Host A runs on the sample; once A has
    read its files a late submission and a revision of one of A's decisions land and host B
    starts, which must wait for A's publication, start from A's working state (the working
    catalog) and publish A's files and the two new ones. A third host then sees every file
    and both versions of the revised decision. Eight readers attached read-only poll the
    catalog all along; a release made between the two publications must still give its
    figures once B has changed them."""
    built, outcome = sample_run
    assert outcome.success
    landing = tmp_path / "landing"
    copy_sample(landing)
    hosts = {name: host_env(tmp_path / name, catalog, landing, dagster_instance)
             | {"HOME_DIR": str(tmp_path / name)} for name in ("a", "b", "analyst")}
    stop = tmp_path / "stop-readers"
    readers = [subprocess.Popen([sys.executable, "-c", READER, catalog.catalog,
                                 str(tmp_path / f"reader-{i}.json"), str(stop), STATE],
                                cwd=REPO_ROOT) for i in range(READERS)]
    try:
        a = subprocess.Popen([KYLUAT, "run"], env=hosts["a"], cwd=hosts["a"]["HOME_DIR"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in a.stdout:
            if line.startswith("ingest: done"):
                break
        write(landing / LATE_FILE, LATE_ROW)  # after A read the landing folder
        write(landing / REVISION_FILE, REVISION)
        b = subprocess.Popen([KYLUAT, "run"], env=hosts["b"], cwd=hosts["b"]["HOME_DIR"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        a_output = a.communicate(timeout=600)[0]
        assert a.returncode == 0, a_output
        # B needs its ingestion and dbt build (many seconds) before it publishes: the release
        # freezes A's publication
        release = subprocess.run([KYLUAT, "release", "after-a"], env=hosts["a"],
                                 cwd=hosts["a"]["HOME_DIR"], capture_output=True, text=True,
                                 timeout=120)
        assert release.returncode == 0, release.stderr
        b_output = b.communicate(timeout=600)[0]
        assert b.returncode == 0, b_output
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=60)

    # both hosts' runs are in the shared Dagster instance, in PostgreSQL
    with pg_connect(dagster_instance["DAGSTER_PG_DB"]) as con, con.cursor() as cursor:
        cursor.execute("select status, count(*) from runs where pipeline_name = "
                       "'refresh_warehouse' group by status")
        assert cursor.fetchall() == [("SUCCESS", 2)]

    # the runs took turns: B waited for A's run lock and took it once A had published
    a_log = log_of(tmp_path / "a" / "warehouse")
    b_log = log_of(tmp_path / "b" / "warehouse")
    assert "waiting for the DuckLake run lock" in b_log
    published = lake.publications(catalog)
    assert len(published) == 2
    (snap_a, _, message_a), (snap_b, _, message_b) = published
    assert message_a.split()[-1] in a_log and message_b.split()[-1] in b_log
    assert f"published: the DuckLake catalog, snapshot {snap_a}" in a_output
    assert f"published: the DuckLake catalog, snapshot {snap_b}" in b_output
    assert logged_at(b_log, "holds the DuckLake run lock") >= logged_at(
        a_log, "published to the DuckLake catalog").replace(microsecond=0)

    # A's publication is the file mode's, table by table (the session's sample run); only the
    # time rows were loaded differs
    con = lake.connect(catalog, snap_a)
    try:
        con.execute(f"attach '{built.published_db}' as file_mode (read_only)")
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'file_mode' and "
            "schema_name = 'marts' order by 1").fetchall()]
        assert len(tables) > 20
        for table in tables:
            columns = ", ".join(c for (c,) in con.execute(
                "select column_name from duckdb_columns() where database_name = 'file_mode' and "
                "schema_name = 'marts' and table_name = ? and column_name <> 'loaded_at' "
                "order by column_index", [table]).fetchall())
            for left, right in (("lake", "file_mode"), ("file_mode", "lake")):
                assert con.execute(
                    f"select count(*) from (select {columns} from {left}.marts.{table} except all "
                    f"select {columns} from {right}.marts.{table})").fetchone()[0] == 0, table
            assert con.execute(f"select count(*) from lake.marts.{table}").fetchone() == \
                con.execute(f"select count(*) from file_mode.marts.{table}").fetchone(), table
        assert con.execute("select count(*) from lake.marts.fct_member_discipline").fetchone()[0] \
            > 1000
    finally:
        con.close()

    # A's working state is in the working catalog, and it is the file mode's
    run_a, run_b = message_a.split()[-1], message_b.split()[-1]
    assert "the working catalog is empty: this host's working file will fill it" in a_log
    assert "the working file now matches the working catalog's snapshot" in b_log
    con = duckdb.connect()
    try:
        lake.attach(con, catalog, alias="working", working=True)
        pushes = dict(con.execute("select commit_message, snapshot_id from working.snapshots() "
                                  "where author = 'kyluat'").fetchall())
        assert set(pushes) == {f"working state of run {run_a}", f"working state of run {run_b}"}
        con.execute("detach working")
        lake.attach(con, catalog, alias="working", working=True,
                    snapshot=pushes[f"working state of run {run_a}"])
        con.execute(f"attach '{built.working_db}' as file_mode (read_only)")
        tables = [f"raw.{kind}" for kind in sorted(KINDS)] + [
            "audit.file_registry", "audit.quarantine", "restricted.quarantine",
            "restricted.pseudonym_key"]
        for table in tables:
            assert_same_rows(con, "working", "file_mode", table)
        assert con.execute("select count(*) from working.raw.member_disciplines").fetchone()[0] \
            > 1000
    finally:
        con.close()

    # a third host starts from both hosts' files and every version of the revised decision
    third = tmp_path / "c" / "warehouse" / "discipline.duckdb"
    assert "matches the working catalog's snapshot" in working_catalog.pull(third, catalog)
    with duckdb.connect(str(third), read_only=True) as con:
        assert con.execute("select run_id, count(*) from audit.file_registry group by run_id "
                           "order by 2").fetchall() == [(run_b, 2), (run_a, 15)]
        assert con.execute(
            "select r.discipline_form, f.path, f.run_id from raw.member_disciplines r "
            "join audit.file_registry f on f.file_id = r._file_id "
            "where r.decision_ref = '174-QĐ/UBKTTU' and r.member_key in (select member_key "
            "from raw.member_disciplines where _file_id in (select file_id "
            "from audit.file_registry where path = ?)) "
            "order by r._file_id", [REVISION_FILE]).fetchall() == [
                ("warning", "member_disciplines/2021_2023_province.csv", run_a),
                ("reprimand", REVISION_FILE, run_b)]

    state_a, state_b = state_at(catalog, snap_a), state_at(catalog, snap_b)
    assert state_a[:2] == [PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
                           PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY]
    # nothing lost: B published A's 15 files, the late one and the revision, the late decision
    # and the revised one (a warning of decision 174 became a reprimand)
    assert state_a[4] == 15 and state_b[4] == 17
    for snapshot, forms in ((snap_a, ["reprimand", "warning", "warning"]),
                            (snap_b, ["reprimand", "reprimand", "warning"])):
        con = lake.connect(catalog, snapshot)
        try:
            assert [form for (form,) in con.execute(DECISION_174).fetchall()] == forms
        finally:
            con.close()
    assert state_b[:3] == [PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION + 1,
                           PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY,
                           state_a[2] + 1]

    # every reader saw only whole publications: each read is the state of its snapshot, and
    # the state of one of the two publications
    seen = [json.loads((tmp_path / f"reader-{i}.json").read_text()) for i in range(READERS)]
    assert all(seen), "a reader saw no publication"
    snapshots = {snapshot for reads in seen for snapshot, _ in reads}
    assert {snap_a, snap_b} <= snapshots
    for reads in seen:
        for snapshot, state in reads:
            assert state == (state_a if snapshot < snap_b else state_b), (snapshot, state)

    # time travel: the release gives its figures after B changed them
    meta = json.loads((tmp_path / "a" / "warehouse" / "releases" / "after-a" / "release.json")
                      .read_text())
    assert meta["ducklake_snapshot"] == snap_a
    assert sql(hosts["analyst"], FIGURE) == str(PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION
                                                 + 1)
    assert sql(hosts["a"], "--release", "after-a", FIGURE) == \
        str(PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION)
    release_file = tmp_path / "a" / "warehouse" / "releases" / "after-a" / "release.duckdb"
    with duckdb.connect(str(release_file), read_only=True) as frozen:
        assert frozen.execute(FIGURE).fetchone()[0] == \
            PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION


def test_a_publication_without_a_file_the_catalog_holds_is_refused(sample_copy, catalog,
                                                                   tmp_path):
    """A host whose build lacks a file another host published would lose its figures: nothing
    is written. Publishing the same build again writes no table."""
    first, written = lake.publish_to_lake(sample_copy.published_db, catalog, "run-1")
    assert written == 33
    again, written = lake.publish_to_lake(sample_copy.published_db, catalog, "run-2")
    assert written == 0

    partial = tmp_path / "partial.duckdb"
    shutil.copyfile(sample_copy.published_db, partial)
    with duckdb.connect(str(partial)) as con:
        dropped = con.execute("delete from audit.file_registry where path like '%org_units%' "
                              "returning path").fetchall()
    assert len(dropped) == 1
    with pytest.raises(lake.LakeError, match="holds 1 file"):
        lake.publish_to_lake(partial, catalog, "run-3")
    assert [s for s, _, _ in lake.publications(catalog)][-1] == again
    con = lake.connect(catalog)
    try:
        assert con.execute("select count(*) from audit.file_registry").fetchone()[0] == 15
    finally:
        con.close()


def test_misconfigured_ducklake_mode_says_what_to_set(tmp_path):
    env = {**os.environ, "KYLUAT_WAREHOUSE_MODE": "ducklake", "KYLUAT_DUCKLAKE_CATALOG": "",
           "KYLUAT_DUCKLAKE_DATA_PATH": "", "KYLUAT_WAREHOUSE_DIR": str(tmp_path)}
    done = subprocess.run([KYLUAT, "sql", "select 1"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "KYLUAT_DUCKLAKE_CATALOG and KYLUAT_DUCKLAKE_DATA_PATH" in done.stderr


def changes_of_last_push(profile: LakeProfile) -> dict:
    con = duckdb.connect()
    try:
        lake.attach(con, profile, alias="working", working=True)
        return con.execute("select changes from working.snapshots() where author = 'kyluat' "
                           "order by snapshot_id desc limit 1").fetchone()[0]
    finally:
        con.close()


def test_the_working_catalog_gains_only_what_changed_and_a_host_catches_up(sample_copy,
                                                                           catalog, tmp_path):
    """Pushes write nothing when nothing changed and only the new rows of a raw table; a host
    whose raw rows the catalog still holds keeps its record of published loads (its build
    takes in the new rows year by year), one whose rows are gone forgets it (every year is
    rebuilt)."""
    host_a, host_b = sample_copy.working_db, tmp_path / "b" / "discipline.duckdb"
    message = working_catalog.push(host_a, catalog, "run-a1")
    assert "(13 table(s) written)" in message  # raw: 8 kinds; restricted: 2; audit: 3
    assert working_catalog.push(host_a, catalog, "run-a2").startswith(
        "the working catalog already held")
    assert "matches the working catalog's snapshot" in working_catalog.pull(host_b, catalog)
    with duckdb.connect(str(host_b), read_only=True) as con:
        assert con.execute("select count(*) from audit.file_registry").fetchone()[0] == 15
        assert con.execute("select count(*) from raw.org_units").fetchone()[0] == 418
    with duckdb.connect(str(host_b)) as con:  # as though B had built and published it all
        # the next file id follows the registry's last
        assert con.execute("select nextval('audit.file_id_seq')").fetchone()[0] == 16
        con.execute("create table audit.published_loads as select 'run-a1' as run_id, now() "
                    "as published_at")

    with duckdb.connect(str(host_a)) as con:  # a new version of one unit
        con.execute("insert into raw.org_units select * replace (16 as _file_id, 'run-a3' as "
                    "_run_id) from raw.org_units where unit_code = 'QNM-D18' limit 1")
    assert "(1 table(s) written)" in working_catalog.push(host_a, catalog, "run-a3")
    assert changes_of_last_push(catalog).keys() == {"tables_inserted_into"}
    assert "(" not in working_catalog.pull(host_b, catalog)
    with duckdb.connect(str(host_b), read_only=True) as con:
        assert con.execute("select count(*) from raw.org_units").fetchone()[0] == 419
        assert con.execute("select count(*) from audit.published_loads").fetchone()[0] == 1

    with duckdb.connect(str(host_a)) as con:  # a key rotation changes rows B built from
        con.execute("update raw.memberships set unit_code = lower(unit_code)")
    assert "(1 table(s) written)" in working_catalog.push(host_a, catalog, "run-a4")
    assert "tables_created" in changes_of_last_push(catalog)
    assert "(189 raw rows it held are gone: every year is rebuilt)" in working_catalog.pull(
        host_b, catalog)
    with duckdb.connect(str(host_b), read_only=True) as con:
        assert con.execute("select count(*) from audit.published_loads").fetchone()[0] == 0
        assert con.execute("select count(*) from raw.memberships where unit_code = "
                           "lower(unit_code)").fetchone()[0] == 189


def test_a_key_rotation_on_any_worker_rekeys_the_shared_working_state(sample_copy, catalog,
                                                                       tmp_path):
    """rotate-key on a worker that never ran re-keys every worker's rows: it starts from the
    working catalog and writes the re-keyed rows back, so the next pull on the worker that
    loaded them brings the new keys (no run of the pipeline: the re-key is what is tested)."""
    working_catalog.push(sample_copy.working_db, catalog, "run-a1")
    with duckdb.connect(str(sample_copy.working_db), read_only=True) as con:
        before = sorted(r[0] for r in con.execute(
            "select member_key from raw.member_disciplines").fetchall())
    worker_b = replace(sample_copy, warehouse_dir=tmp_path / "b", lake=catalog)
    rotation = rotate_key(worker_b, tmp_path / "rotated.keys")
    assert rotation.rekeyed >= len(before) > 0
    new_key = rotation.key_file.read_text().splitlines()[-1].encode()

    working_catalog.pull(sample_copy.working_db, catalog)
    with duckdb.connect(str(sample_copy.working_db), read_only=True) as con:
        after = sorted(r[0] for r in con.execute(
            "select member_key from raw.member_disciplines").fetchall())
    # each old key, HMAC'd with the new key in Python, independently of the SQL
    assert after == sorted(hmac.new(new_key, k.encode(), hashlib.sha256).hexdigest()
                           for k in before)


def test_the_row_count_guard_compares_with_the_catalog_analysts_read(sample_copy, catalog,
                                                                      tmp_path):
    """A worker that has no published file of its own (another worker published last) takes
    the published row counts the dbt build must not fall below from the catalog."""
    lake.publish_to_lake(sample_copy.published_db, catalog, "run-a1")
    with duckdb.connect(str(sample_copy.published_db), read_only=True) as con:
        expected = {name: con.execute(f"select count(*) from marts.{name}").fetchone()[0]
                    for (name,) in con.execute("select table_name from duckdb_tables() "
                                               "where schema_name = 'marts'").fetchall()}
    worker_b = replace(sample_copy, warehouse_dir=tmp_path / "b", lake=catalog)
    worker_b.warehouse_dir.mkdir()
    assert capture_published_row_counts(worker_b) == expected
    assert expected["fct_member_discipline"] > 0
    with duckdb.connect(str(worker_b.working_db), read_only=True) as con:
        assert dict(con.execute("select table_name, row_count from audit.published_row_counts"
                                ).fetchall()) == expected
