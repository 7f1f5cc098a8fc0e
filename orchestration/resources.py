"""The warehouse resource: where the working file, the landing folder and the published file
are, and the one way steps open the working file."""

from __future__ import annotations

import duckdb
from dagster import ConfigurableResource

from kyluat.config import Settings
from kyluat.locking import connect


class WarehouseResource(ConfigurableResource):
    """Landing and warehouse directories and the pseudonym key file; unset fields fall back to
    KYLUAT_* env vars."""

    landing_dir: str | None = None
    warehouse_dir: str | None = None
    pseudonym_key_file: str | None = None

    def settings(self) -> Settings:
        return Settings.from_env(self.landing_dir, self.warehouse_dir, self.pseudonym_key_file)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """The working file, waiting while another process holds it."""
        return connect(self.settings().working_db, read_only=read_only)
