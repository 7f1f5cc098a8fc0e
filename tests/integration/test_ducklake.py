"""The DuckLake deployment (kyluat/lake.py) on a real PostgreSQL server: the published catalog in
PostgreSQL and Parquet, shared by run workers and analysts on other hosts.

Needs DAGSTER_PG_HOST, DAGSTER_PG_PORT, DAGSTER_PG_USERNAME, DAGSTER_PG_PASSWORD and
DAGSTER_PG_DB (.ci/run starts a server with deploy/ci_postgres.sh and exports them). Each test
keeps its catalog in a database of its own, created and dropped here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from kyluat import lake
from kyluat.config import REPO_ROOT, LakeProfile
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
            time.sleep(0.5)
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


def sql(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([KYLUAT, "sql", "--format", "csv", *args], env=env, cwd=env["HOME_DIR"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[1]


def test_two_hosts_take_turns_readers_see_whole_snapshots_and_a_release_time_travels(
        sample_run, catalog, dagster_instance, tmp_path):
    """Two fresh pipeline runs, needed here: two processes with separate working folders (two
    hosts) on one shared landing folder and catalog. Host A runs on the sample; once A has
    read its files a late submission lands and host B starts, which must wait for A's
    publication and then publish A's files and the late one. Eight readers attached read-only
    poll the catalog all along; a release made between the two publications must still give
    its figures once B has changed them."""
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

    state_a, state_b = state_at(catalog, snap_a), state_at(catalog, snap_b)
    assert state_a[:2] == [PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
                           PUBLISHED_INSPECTION_COMMITTEE_LACK_OF_RESPONSIBILITY]
    # nothing lost: B published A's 15 files and the late one, and the late decision
    assert state_a[4] == 15 and state_b[4] == 16
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
