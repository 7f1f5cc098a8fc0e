"""The Dagster code location loads, and its lineage is what the design says."""

from dagster import AssetKey

from orchestration.definitions import defs


def test_definitions_load_with_the_expected_lineage():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for expected in ("raw/member_disciplines", "raw/org_units", "audit/file_registry",
                     "audit/quarantine", "staging/stg_member_disciplines",
                     "intermediate/int_org_unit_ancestry", "marts/fct_member_discipline",
                     "marts/dim_org_unit", "marts/rpt_published_reconciliation",
                     "raw/published_figures", "reference/party_terms", "published/analytics"):
        assert expected in keys
    # dbt sources are the ingestion assets, not separate external assets
    staging = graph.get(AssetKey(["staging", "stg_member_disciplines"]))
    assert AssetKey(["raw", "member_disciplines"]) in staging.parent_keys
    publish = graph.get(AssetKey(["published", "analytics"]))
    assert AssetKey(["marts", "fct_member_discipline"]) in publish.parent_keys
    report = graph.get(AssetKey(["published", "report"]))
    assert report.parent_keys == {AssetKey(["published", "analytics"])}


def test_checks_are_blocking():
    graph = defs.resolve_asset_graph()
    checks = {k.name: k for k in graph.asset_check_keys}
    assert "ge_fct_member_discipline" in checks
    specs = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert specs["ge_fct_member_discipline"].blocking
    assert any(s.blocking for n, s in specs.items() if n.startswith("unique_combination"))


def test_every_dbt_model_is_built_in_one_step_and_nothing_is_partitioned():
    from orchestration.dbt_assets import dbt_models

    graph = defs.resolve_asset_graph()
    dbt_keys = {k for k in graph.get_all_asset_keys()
                if k.path[0] in ("staging", "intermediate", "marts", "scopes", "reference")}
    assert dbt_keys == set(dbt_models.keys)
    assert not any(graph.get(k).partitions_def for k in graph.get_all_asset_keys())


def test_only_the_newest_dbt_results_are_kept(tmp_path):
    import os

    from orchestration.dbt_assets import prune_results

    for age, name in enumerate(["a.json", "b.json", "c.json", "notes.txt"]):
        (tmp_path / name).write_text("{}")
        os.utime(tmp_path / name, (1_000_000 + age, 1_000_000 + age))
    prune_results(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json", "c.json", "notes.txt"]
