"""Options of a command reach a run as configuration of its warehouse resource, never as
writes to the environment; the code location takes its folders from the KYLUAT_* variables as
Dagster EnvVars."""

from __future__ import annotations

from dagster import EnvVar

from kyluat.config import REPO_ROOT, LakeProfile, Settings, lake_profile
from orchestration.pipeline import warehouse_config
from orchestration.resources import WarehouseResource


def test_the_key_file_is_configuration_of_the_run(tmp_path):
    settings = Settings(tmp_path / "landing", tmp_path / "warehouse")
    assert warehouse_config(settings) == {"landing_dir": f"{tmp_path}/landing",
                                          "warehouse_dir": f"{tmp_path}/warehouse"}
    keyed = Settings(tmp_path / "landing", tmp_path / "warehouse", tmp_path / "new.key")
    config = warehouse_config(keyed)
    assert config["pseudonym_key_file"] == f"{tmp_path}/new.key"
    # the resource so configured gives the run the same settings
    assert WarehouseResource(**config).settings() == keyed


def test_the_resource_reads_its_configuration_only(tmp_path, monkeypatch):
    monkeypatch.setenv("KYLUAT_WAREHOUSE_DIR", str(tmp_path / "w"))
    monkeypatch.setenv("KYLUAT_LANDING_DIR", str(tmp_path / "l"))
    assert WarehouseResource().settings() == Settings(REPO_ROOT / "warehouse" / "landing",
                                                      REPO_ROOT / "warehouse")
    assert WarehouseResource(warehouse_dir=str(tmp_path / "x")).settings() == Settings(
        tmp_path / "x" / "landing", tmp_path / "x")


def test_the_code_location_takes_the_variables_set_as_env_vars(tmp_path, monkeypatch):
    monkeypatch.setenv("KYLUAT_WAREHOUSE_DIR", str(tmp_path / "w"))
    monkeypatch.delenv("KYLUAT_LANDING_DIR", raising=False)
    resource = WarehouseResource.from_environment()
    assert resource.warehouse_dir == EnvVar("KYLUAT_WAREHOUSE_DIR")
    assert resource.landing_dir is None
    # Dagster reads the variable when the run sets the resource up
    monkeypatch.setenv("KYLUAT_WAREHOUSE_DIR", str(tmp_path / "later"))
    assert resource.process_config_and_initialize().settings() == Settings(
        tmp_path / "later" / "landing", tmp_path / "later")


def test_the_working_catalog_keeps_its_data_beside_the_published_one(monkeypatch):
    monkeypatch.setenv("KYLUAT_WAREHOUSE_MODE", "ducklake")
    monkeypatch.setenv("KYLUAT_DUCKLAKE_CATALOG", "dbname=lake")
    monkeypatch.setenv("KYLUAT_DUCKLAKE_DATA_PATH", "/srv/kyluat/lake/")
    monkeypatch.delenv("KYLUAT_DUCKLAKE_WORKING_DATA_PATH", raising=False)
    assert lake_profile().working_path == "/srv/kyluat/lake-working"
    monkeypatch.setenv("KYLUAT_DUCKLAKE_WORKING_DATA_PATH", "/srv/kyluat/working")
    assert lake_profile() == LakeProfile("dbname=lake", "/srv/kyluat/lake/", "/srv/kyluat/working")
    assert lake_profile().working_path == "/srv/kyluat/working"
