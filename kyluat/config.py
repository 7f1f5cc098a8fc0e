"""Where kyluat reads and writes, resolved from the environment at call time (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
# the manifest `make setup` prepares; orchestration's DbtProject names the same file
# (tests/unit/test_dbt_runner.py), the library reads it without importing dagster_dbt
DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# The bundled synthetic sample: the only landing the public development key may key.
SAMPLE_LANDING = REPO_ROOT / "warehouse" / "samples" / "quang_nam_2021_2023" / "landing"

WORKING_DB_NAME = "discipline.duckdb"
PUBLISHED_DB_NAME = "analytics.duckdb"


MODES = ("file", "ducklake")
# The PostgreSQL schema of the working catalog's metadata (the published catalog's is public).
WORKING_METADATA_SCHEMA = "kyluat_working"


@dataclass(frozen=True)
class LakeProfile:
    """The DuckLake deployment (KYLUAT_WAREHOUSE_MODE=ducklake): the published catalog's
    metadata in a PostgreSQL database (a libpq connection string), its data as Parquet under
    `data_path` (a folder every host mounts; an object store URL is not tested). The working
    catalog (kyluat/working_catalog.py) keeps its metadata in schema WORKING_METADATA_SCHEMA
    of the same database and its data under `working_path`."""

    catalog: str
    data_path: str
    working_data_path: str = ""  # empty: beside data_path, "<data_path>-working"

    @property
    def url(self) -> str:
        return f"ducklake:postgres:{self.catalog}"

    @property
    def working_path(self) -> str:
        """A sibling of the published data path, never inside it: the working data holds
        personal data, and the published catalog's file clean-up must not see it."""
        return self.working_data_path or f"{self.data_path.rstrip('/')}-working"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path
    # the member-id keys, one a line; None: KYLUAT_PSEUDONYM_KEY(_FILE) (kyluat/pseudonym.py)
    pseudonym_key_file: Path | None = None
    # None: the single-file deployment (the default); else the DuckLake published catalog
    lake: LakeProfile | None = None

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

    @property
    def report_dir(self) -> Path:
        """The static report and the data-quality page, redrawn at each publication."""
        return self.warehouse_dir / "report"

    @classmethod
    def of(cls, landing_dir: str | Path | None = None, warehouse_dir: str | Path | None = None,
           pseudonym_key_file: str | Path | None = None) -> Settings:
        """The folders given, the defaults for the rest (the environment is not read)."""
        warehouse = Path(warehouse_dir or REPO_ROOT / "warehouse")
        landing = Path(landing_dir or warehouse / "landing")
        return cls(landing_dir=landing.resolve(), warehouse_dir=warehouse.resolve(),
                   pseudonym_key_file=Path(pseudonym_key_file).resolve()
                   if pseudonym_key_file else None, lake=lake_profile())

    @classmethod
    def from_env(cls, landing_dir: str | Path | None = None,
                 warehouse_dir: str | Path | None = None,
                 pseudonym_key_file: str | Path | None = None) -> Settings:
        """The folders given, else KYLUAT_LANDING_DIR and KYLUAT_WAREHOUSE_DIR, else the
        defaults."""
        return cls.of(landing_dir or os.environ.get("KYLUAT_LANDING_DIR"),
                      warehouse_dir or os.environ.get("KYLUAT_WAREHOUSE_DIR"),
                      pseudonym_key_file)


class ConfigError(ValueError):
    """A KYLUAT_* variable or folder that kyluat cannot use; the message says which and why."""


def lake_profile() -> LakeProfile | None:
    """The DuckLake profile of KYLUAT_WAREHOUSE_MODE, KYLUAT_DUCKLAKE_CATALOG,
    KYLUAT_DUCKLAKE_DATA_PATH and KYLUAT_DUCKLAKE_WORKING_DATA_PATH (optional); None in the
    file mode."""
    mode = os.environ.get("KYLUAT_WAREHOUSE_MODE", "").strip() or "file"
    if mode not in MODES:
        raise ConfigError(f"KYLUAT_WAREHOUSE_MODE={mode!r} is not a mode; set it to file (the "
                          "default) or ducklake")
    if mode == "file":
        return None
    values = {name: os.environ.get(name, "").strip()
              for name in ("KYLUAT_DUCKLAKE_CATALOG", "KYLUAT_DUCKLAKE_DATA_PATH")}
    if missing := [name for name, value in values.items() if not value]:
        raise ConfigError(f"KYLUAT_WAREHOUSE_MODE=ducklake needs {' and '.join(missing)}: the "
                          "PostgreSQL connection string of the catalog (e.g. 'dbname=kyluat_lake "
                          "host=db.internal user=kyluat') and the folder of its Parquet files")
    return LakeProfile(values["KYLUAT_DUCKLAKE_CATALOG"], values["KYLUAT_DUCKLAKE_DATA_PATH"],
                       os.environ.get("KYLUAT_DUCKLAKE_WORKING_DATA_PATH", "").strip())


SECONDS_VARIABLES = {"KYLUAT_LOCK_TIMEOUT": 600.0, "KYLUAT_ALERT_TIMEOUT": 10.0}
"""Variables that give a number of seconds, and their defaults."""


def seconds_variable(name: str) -> float:
    """A number of seconds (zero or more) from environment variable `name`."""
    value = os.environ.get(name, "").strip()
    if not value:
        return SECONDS_VARIABLES[name]
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ConfigError(f"{name}={value!r} is not a number of seconds; set it to e.g. 30 or "
                          "unset it")
    return seconds


def url_variable(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    if value and not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name}={value!r} is not an http:// or https:// address; correct it "
                          "or unset it")
    return value or None


def check_environment(settings: Settings) -> None:
    """Raise ConfigError for the first variable or folder kyluat could not use, before anything
    starts: numbers that are not numbers, a folder that is a file."""
    for name in SECONDS_VARIABLES:
        seconds_variable(name)
    url_variable("KYLUAT_ALERT_WEBHOOK")
    folders = {"warehouse folder": (settings.warehouse_dir, "--warehouse DIR or "
                                    "KYLUAT_WAREHOUSE_DIR"),
               "Dagster storage folder": (Path(os.environ.get("KYLUAT_DAGSTER_STORAGE") or
                                               REPO_ROOT / ".dagster"), "KYLUAT_DAGSTER_STORAGE")}
    for what, (folder, how) in folders.items():
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"the {what} {folder} is a file, not a folder; give {how} a "
                              "folder (it is created when missing)")
    home = os.environ.get("DAGSTER_HOME")
    if home and not (Path(home) / "dagster.yaml").is_file():
        raise ConfigError(f"DAGSTER_HOME={home} has no dagster.yaml; unset it to use the "
                          f"project's ({REPO_ROOT / 'dagster.yaml'})")
