"""The Dagster specs of the dbt project (its models, seeds and tests), kept beside the manifest.

dagster-dbt translates the manifest into asset and check specs (orchestration/dbt_translator.py);
importing it imports most of dbt, about two seconds of every run's start-up, in the process
whose Python is a run's critical path (dbt itself runs in a worker process,
orchestration/dbt_runner.py). So the translation is done once per manifest, by `make setup`
(`python -m orchestration.dbt_specs`) or by the first process that finds the kept specs
missing or made from another manifest or translator, and read from
dbt_project/target/dagster_specs.json. What cannot be written as JSON (dagster-dbt's own
objects in the metadata: the manifest, the translator, the project) is left out; nothing here
reads them."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from dagster import AssetCheckSpec, AssetDep, AssetKey, AssetSpec
from dagster._serdes import deserialize_value, serialize_value

from kyluat.config import DBT_MANIFEST

SPECS_PATH = DBT_MANIFEST.with_name("dagster_specs.json")
_TRANSLATOR = Path(__file__).with_name("dbt_translator.py")
_FORMAT = "1"  # raise when the file's layout changes

_PLAIN = (str, int, float, bool, type(None))


def source_digest() -> str:
    """sha256 of what the specs are made from: the manifest, the translator, this layout."""
    if not DBT_MANIFEST.exists():
        raise FileNotFoundError(
            f"{DBT_MANIFEST} is missing: the dbt manifest is prepared at setup time. Run "
            "`make setup` (or `dbt parse` in dbt_project/).")
    digest = hashlib.sha256(_FORMAT.encode())
    for path in (DBT_MANIFEST, _TRANSLATOR):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load() -> tuple[list[AssetSpec], list[AssetCheckSpec]]:
    """The specs, from the kept file when it was made from this manifest, else translated
    now (and kept)."""
    digest = source_digest()
    try:
        kept = json.loads(SPECS_PATH.read_text("utf-8"))
    except (OSError, ValueError):
        kept = None
    if kept is None or kept.get("digest") != digest:
        kept = write(digest)
    return ([_asset_spec(s) for s in kept["assets"]],
            [_check_spec(c) for c in kept["checks"]])


def write(digest: str | None = None) -> dict:
    """Translate the manifest with dagster-dbt and keep the result (atomically: two processes
    may do it at once)."""
    from orchestration.dbt_translator import translate

    digest = digest or source_digest()
    assets, checks = translate()
    kept = {"digest": digest, "assets": [_asset_fields(s) for s in assets],
            "checks": [_check_fields(c) for c in checks]}
    partial = SPECS_PATH.with_name(f".{SPECS_PATH.name}.{os.getpid()}")
    partial.write_text(json.dumps(kept, ensure_ascii=False), "utf-8")
    os.replace(partial, SPECS_PATH)
    return kept


def _metadata_fields(metadata) -> dict:
    kept = {}
    for name, value in metadata.items():
        if isinstance(value, _PLAIN):
            kept[name] = {"plain": value}
        else:
            try:
                kept[name] = {"serdes": serialize_value(value)}
            except Exception:  # dagster-dbt's manifest, translator, project objects
                continue
    return kept


def _metadata(fields: dict) -> dict:
    return {name: value["plain"] if "plain" in value else deserialize_value(value["serdes"])
            for name, value in fields.items()}


def _asset_fields(spec: AssetSpec) -> dict:
    return {"key": list(spec.key.path), "group": spec.group_name,
            "description": spec.description, "code_version": spec.code_version,
            "tags": dict(spec.tags), "skippable": spec.skippable,
            "metadata": _metadata_fields(spec.metadata),
            "deps": [{"key": list(d.asset_key.path), "metadata": _metadata_fields(d.metadata)}
                     for d in spec.deps]}


def _asset_spec(fields: dict) -> AssetSpec:
    return AssetSpec(
        key=AssetKey(fields["key"]), group_name=fields["group"],
        description=fields["description"], code_version=fields["code_version"],
        tags=fields["tags"], skippable=fields["skippable"],
        metadata=_metadata(fields["metadata"]),
        deps=[AssetDep(AssetKey(d["key"]), metadata=_metadata(d["metadata"]))
              for d in fields["deps"]])


def _check_fields(spec: AssetCheckSpec) -> dict:
    return {"name": spec.name, "asset": list(spec.asset_key.path),
            "description": spec.description, "blocking": spec.blocking,
            "metadata": _metadata_fields(spec.metadata or {}),
            "additional_deps": [list(d.asset_key.path) for d in spec.additional_deps]}


def _check_spec(fields: dict) -> AssetCheckSpec:
    return AssetCheckSpec(
        name=fields["name"], asset=AssetKey(fields["asset"]),
        description=fields["description"], blocking=fields["blocking"],
        metadata=_metadata(fields["metadata"]),
        additional_deps=[AssetKey(d) for d in fields["additional_deps"]])


if __name__ == "__main__":  # make setup, after `dbt parse`
    written = write()
    print(f"{SPECS_PATH}: {len(written['assets'])} assets, {len(written['checks'])} checks",
          file=sys.stderr)
