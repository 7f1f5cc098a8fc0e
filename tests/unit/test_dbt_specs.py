"""The dbt project's Dagster specs kept beside the manifest (orchestration/dbt_specs.py) are
dagster-dbt's translation, field for field, and a changed manifest is translated again."""

from __future__ import annotations

import json

import pytest

from orchestration import dbt_specs
from orchestration.dbt_translator import translate


def _described(assets, checks) -> tuple[dict, dict]:
    return ({s.key: (s.group_name, s.description, s.code_version, dict(s.tags), s.skippable,
                     sorted((d.asset_key.to_user_string(), sorted(d.metadata.items()))
                            for d in s.deps),
                     {k: v for k, v in s.metadata.items() if not k.startswith("dagster_dbt/")
                      or k == "dagster_dbt/unique_id"})
             for s in assets},
            {(c.asset_key, c.name): (c.description, c.blocking, dict(c.metadata),
                                     sorted(d.asset_key.to_user_string()
                                            for d in c.additional_deps))
             for c in checks})


def test_the_kept_specs_are_dagster_dbts_translation():
    kept_assets, kept_checks = dbt_specs.load()
    fresh_assets, fresh_checks = translate()
    assert _described(kept_assets, kept_checks) == _described(fresh_assets, fresh_checks)
    assert len(kept_assets) > 40 and len(kept_checks) > 20  # the project, not an empty file


def test_specs_made_from_another_manifest_are_made_again(tmp_path, monkeypatch):
    kept = tmp_path / "dagster_specs.json"
    monkeypatch.setattr(dbt_specs, "SPECS_PATH", kept)
    kept.write_text(json.dumps({"digest": "another manifest", "assets": [], "checks": []}))
    assets, checks = dbt_specs.load()
    assert len(assets) > 40
    assert json.loads(kept.read_text())["digest"] == dbt_specs.source_digest()


def test_the_run_never_imports_dagster_dbt():
    """dagster-dbt (and with it most of dbt) is imported only to translate a manifest."""
    import subprocess
    import sys

    code = ("import sys; import orchestration.definitions; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dagster_dbt', 'dbt')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("damaged", ["", "{not json"])
def test_a_damaged_specs_file_is_made_again(tmp_path, monkeypatch, damaged):
    kept = tmp_path / "dagster_specs.json"
    monkeypatch.setattr(dbt_specs, "SPECS_PATH", kept)
    kept.write_text(damaged)
    assert len(dbt_specs.load()[0]) > 40
