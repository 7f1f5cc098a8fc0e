"""Where kyluat reads and writes, resolved from the environment at call time (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"

WORKING_DB_NAME = "discipline.duckdb"
PUBLISHED_DB_NAME = "analytics.duckdb"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path

    @property
    def working_db(self) -> Path:
        return self.warehouse_dir / WORKING_DB_NAME

    @property
    def published_db(self) -> Path:
        return self.warehouse_dir / PUBLISHED_DB_NAME

    @property
    def quality_dir(self) -> Path:
        """Great Expectations project: kept validation results and the Data Docs site."""
        return self.warehouse_dir / "quality"

    @classmethod
    def from_env(cls, landing_dir: str | Path | None = None,
                 warehouse_dir: str | Path | None = None) -> Settings:
        warehouse = Path(warehouse_dir or os.environ.get("KYLUAT_WAREHOUSE_DIR")
                         or REPO_ROOT / "warehouse")
        landing = Path(landing_dir or os.environ.get("KYLUAT_LANDING_DIR")
                       or warehouse / "landing")
        return cls(landing_dir=landing.resolve(), warehouse_dir=warehouse.resolve())
