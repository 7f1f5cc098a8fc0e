"""Dagster's PostgreSQL storages with a pooled connection per process.

dagster-postgres opens a new connection (TCP, SCRAM authentication, a new server process) for
every read and write, about 10 ms each here, and a run on the bundled sample writes about 400
events: 10 to 15 s of a 25 s run. These storages keep dagster-postgres's schema, migrations
and watchers, and change only how they connect: two kept connections per storage and process
(a few more while threads write at once), checked before use so that a restarted server costs
a reconnection, not a failed run. A run worker therefore holds up to six connections while it
runs; the webserver and the daemon as many per Dagster instance they open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage
from dagster_postgres.schedule_storage import PostgresScheduleStorage
from dagster_postgres.utils import (
    create_pg_engine,
    get_token_provider_from_config,
    pg_url_from_config,
)

# kept connections: storing an asset event reads the schema on a second connection while the
# first is in its transaction
KEPT = 2
# connections beyond those, while threads of one process write at once
OVERFLOW = 4
# a kept connection older than this is replaced (a proxy or firewall may drop idle ones)
RECYCLE_SECONDS = 1800


class _Pooled:
    postgres_url: str
    _token_provider: Any

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)  # creates the tables on a connection of its own
        self._engine = create_pg_engine(
            self.postgres_url, self._token_provider, isolation_level="AUTOCOMMIT",
            pool_size=KEPT, max_overflow=OVERFLOW, pool_pre_ping=True,
            pool_recycle=RECYCLE_SECONDS)

    @classmethod
    def from_config_value(cls, inst_data, config_value: Mapping[str, Any]):
        return cls(inst_data=inst_data, postgres_url=pg_url_from_config(config_value),
                   should_autocreate_tables=config_value.get("should_autocreate_tables", True),
                   token_provider=get_token_provider_from_config(config_value))

    def dispose(self) -> None:
        super().dispose()
        self._engine.dispose()


class PooledPostgresRunStorage(_Pooled, PostgresRunStorage):
    """Runs and their tags."""


class PooledPostgresEventLogStorage(_Pooled, PostgresEventLogStorage):
    """Event logs, asset materializations and check results."""


class PooledPostgresScheduleStorage(_Pooled, PostgresScheduleStorage):
    """Schedule and sensor state."""
