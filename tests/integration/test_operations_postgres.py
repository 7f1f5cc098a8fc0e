"""The production instance profile (deploy/dagster.postgres.yaml) on a real PostgreSQL server:
the pipeline runs on it and the run, its events and the writer settings are in PostgreSQL.

Needs DAGSTER_PG_HOST, DAGSTER_PG_PORT, DAGSTER_PG_USERNAME, DAGSTER_PG_PASSWORD and
DAGSTER_PG_DB (.ci/run starts a server with deploy/ci_postgres.sh and exports them). The test
works in a database of its own, created and dropped here when the role may create databases.
The run here is the refresh job alone (`draw=False`): what is drawn after it is tested
in test_tiers.py and test_report.py.
"""

from __future__ import annotations

import os
import shutil

import pytest

from kyluat.config import REPO_ROOT
from tests.conftest import (
    PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION,
    copy_sample,
)
from tests.postgres import connect, fresh_database, require_postgres

pytestmark = pytest.mark.integration

psycopg2 = require_postgres()


@pytest.fixture
def database(monkeypatch):
    """A fresh database for this test when the role may create one, else the configured one."""
    with fresh_database("kyluat_test") as name:
        if name is None:
            yield os.environ["DAGSTER_PG_DB"]
            return
        monkeypatch.setenv("DAGSTER_PG_DB", name)
        yield name


def sessions_opened(database: str) -> int:
    """Connections ever opened to `database` (PostgreSQL counts a session once it ends), this
    query's own included."""
    with connect(database) as con, con.cursor() as cursor:
        cursor.execute("select sessions from pg_stat_database where datname = %s", [database])
        return cursor.fetchone()[0]


def test_pipeline_runs_on_the_postgres_instance(workspace, database, tmp_path):
    from dagster import DagsterInstance, DagsterRunStatus
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage
    from dagster_postgres.schedule_storage import PostgresScheduleStorage

    from orchestration.pipeline import run_pipeline

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    copy_sample(workspace.landing_dir)

    opened_before = sessions_opened(database)
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert {(t["key"], t["value"], t["limit"]) for t in instance.get_concurrency_config()
            .run_queue_config.tag_concurrency_limits} == {("kyluat/lane", "writer", 1),
                                                          ("kyluat/lane", "draw", 1)}
        assert not instance.telemetry_enabled

        outcome = run_pipeline(instance=instance, draw=False)
        assert outcome.success, (outcome.failed_checks, outcome.step_failures)
        assert instance.get_run_by_id(outcome.run_id).status == DagsterRunStatus.SUCCESS
    # each storage kept its connections for the whole run: a few dozen sessions, where one
    # per event would be over a thousand (a fresh database: the first connections also create
    # the tables)
    opened = sessions_opened(database) - opened_before
    assert opened < 100, opened

    # Straight from PostgreSQL: the run, its events and its materializations are there.
    with connect(database) as con, con.cursor() as cursor:
        cursor.execute("select pipeline_name, status from runs where run_id = %s",
                       [outcome.run_id])
        assert cursor.fetchone() == ("refresh_warehouse", "SUCCESS")
        cursor.execute("select count(*) from event_logs where run_id = %s", [outcome.run_id])
        assert cursor.fetchone()[0] > 50
        cursor.execute("select count(*) from event_logs where run_id = %s "
                       "and dagster_event_type = 'ASSET_MATERIALIZATION' "
                       "and asset_key = %s", [outcome.run_id, '["published", "analytics"]'])
        assert cursor.fetchone()[0] == 1

    import duckdb

    with duckdb.connect(str(workspace.published_db), read_only=True) as con:
        assert con.execute("select computed_value from marts.rpt_published_reconciliation "
                           "where figure_id = 'QNM-2124-PC-IS'").fetchone()[0] \
            == PUBLISHED_PARTY_COMMITTEE_INSPECTION_SUPERVISION
