"""Options of a command reach a run as configuration of its warehouse resource, never as
writes to the environment."""

from __future__ import annotations

from pathlib import Path

from kyluat.config import Settings
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


def test_an_unconfigured_resource_reads_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KYLUAT_WAREHOUSE_DIR", str(tmp_path / "w"))
    monkeypatch.delenv("KYLUAT_LANDING_DIR", raising=False)
    assert WarehouseResource().settings() == Settings(Path(tmp_path / "w" / "landing"),
                                                      Path(tmp_path / "w"))
