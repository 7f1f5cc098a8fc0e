"""dbt models and seeds as Dagster assets; dbt tests become (blocking) asset checks."""


from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from kyluat.config import DBT_PROJECT_DIR
from orchestration.resources import WarehouseResource

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def manifest_path() -> Path:
    if not MANIFEST.exists():
        raise FileNotFoundError(
            f"{MANIFEST} is missing: the dbt manifest is prepared at setup time. "
            "Run `make setup` (or `dbt parse` in dbt_project/).")
    return MANIFEST


class LayeredTranslator(DagsterDbtTranslator):
    """Asset keys and groups follow the layer: staging/..., intermediate/..., marts/...,
    reference/... for seeds; sources keep the keys of the ingestion assets (meta)."""

    def _layer(self, props: Mapping[str, Any]) -> str:
        if props["resource_type"] == "seed":
            return "reference"
        return props["fqn"][1] if len(props["fqn"]) > 2 else "models"

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props)


@dbt_assets(manifest=manifest_path(), dagster_dbt_translator=LayeredTranslator())
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource,
               warehouse: WarehouseResource):
    """`dbt build`: seeds, models and their tests, in dependency order."""
    with warehouse.dbt_environment():
        yield from dbt.cli(["build"], context=context).stream()


MART_KEYS = [key for key in dbt_models.keys if key.path[0] == "marts"]
