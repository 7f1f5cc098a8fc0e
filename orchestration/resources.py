"""Resources: where the warehouse lives and how dbt is called. Env vars are read at run time."""


import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource

from kyluat.config import DBT_PROJECT_DIR, Settings


class WarehouseResource(ConfigurableResource):
    """Landing and warehouse directories; unset fields fall back to KYLUAT_* env vars."""

    landing_dir: str | None = None
    warehouse_dir: str | None = None

    def settings(self) -> Settings:
        return Settings.from_env(self.landing_dir, self.warehouse_dir)

    @contextmanager
    def dbt_environment(self, **variables: str) -> Iterator[None]:
        """dbt's profile reads KYLUAT_WAREHOUSE_DIR: point it at this warehouse for one call,
        with any other environment `variables` dbt reads."""
        variables = {"KYLUAT_WAREHOUSE_DIR": str(self.settings().warehouse_dir), **variables}
        previous = {name: os.environ.get(name) for name in variables}
        os.environ.update(variables)
        try:
            yield
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def dbt_resource() -> DbtCliResource:
    # The dbt of this environment, whether or not the environment is activated.
    executable = Path(sys.executable).with_name("dbt")
    return DbtCliResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                          dbt_executable=str(executable) if executable.exists() else "dbt")
