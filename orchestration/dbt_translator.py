"""How dagster-dbt names the dbt project's nodes as Dagster assets and checks.

Imported only to translate a manifest (orchestration/dbt_specs.py): dagster-dbt imports most
of dbt, seconds that a run's start-up does not pay."""

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetCheckSpec, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets

from kyluat.config import DBT_MANIFEST, DBT_PROJECT_DIR


class LayeredTranslator(DagsterDbtTranslator):
    """Asset keys and groups follow the layer: staging/..., intermediate/..., marts/...,
    scopes/..., reference/... for seeds; sources keep the keys of the ingestion assets
    (meta)."""

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


def translate() -> tuple[Sequence[AssetSpec], Sequence[AssetCheckSpec]]:
    """The asset specs of the models and seeds of the manifest, and the check specs of their
    tests, as dagster-dbt's `dbt_assets` makes them."""

    @dbt_assets(manifest=DBT_MANIFEST, dagster_dbt_translator=LayeredTranslator(),
                project=DbtProject(project_dir=DBT_PROJECT_DIR))
    def translated(context):
        raise NotImplementedError  # never run: only its specs are read

    return list(translated.specs), list(translated.check_specs)
