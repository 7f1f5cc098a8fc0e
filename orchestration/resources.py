"""The warehouse resource: where the working file, the landing folder and the published file
are, and the one way steps open the working file."""

from __future__ import annotations

import os

import duckdb
from dagster import ConfigurableResource, EnvVar
from pydantic import Field

from kyluat.config import Settings
from kyluat.locking import connect

ENVIRONMENT = {"landing_dir": "KYLUAT_LANDING_DIR", "warehouse_dir": "KYLUAT_WAREHOUSE_DIR"}
"""The resource's fields a code location takes from its environment (README, Configuration)."""


class WarehouseResource(ConfigurableResource):
    """Landing and warehouse directories and the pseudonym key file: its configuration, and
    nothing else, says where a run reads and writes."""

    landing_dir: str | None = Field(
        default=None, description="the submissions' folder (default <warehouse_dir>/landing)")
    warehouse_dir: str | None = Field(
        default=None, description="the working and published DuckDB files (default "
                                  "<repository>/warehouse)")
    pseudonym_key_file: str | None = Field(
        default=None, description="the member-id keys, one a line (default "
                                  "KYLUAT_PSEUDONYM_KEY or KYLUAT_PSEUDONYM_KEY_FILE)")

    @classmethod
    def from_environment(cls):
        """The resource of the code location: each KYLUAT_* variable set when it loads, as a
        Dagster EnvVar (read when a run starts, shown as such in the UI); the rest default.
        Runs executed in process (`kyluat run`) configure it in their run config instead."""
        return cls(**{name: EnvVar(variable) for name, variable in ENVIRONMENT.items()
                      if os.environ.get(variable)})

    def settings(self) -> Settings:
        return Settings.of(self.landing_dir, self.warehouse_dir, self.pseudonym_key_file)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """The working file, waiting while another process holds it."""
        return connect(self.settings().working_db, read_only=read_only)
