"""What analysts read is documented and typed: checked on the manifest prepared at setup."""

import json

import pytest

from kyluat.config import DBT_MANIFEST


@pytest.fixture(scope="module")
def marts():
    nodes = json.loads(DBT_MANIFEST.read_text())["nodes"].values()
    return [n for n in nodes if n["resource_type"] == "model" and n["fqn"][1] == "marts"]


def test_every_mart_is_described_column_by_column_with_an_enforced_contract(marts):
    assert len(marts) >= 20
    for model in marts:
        assert model["description"].strip(), model["name"]
        assert model["config"]["contract"]["enforced"], model["name"]
        assert model["columns"], model["name"]
        for name, column in model["columns"].items():
            assert column["description"].strip(), f"{model['name']}.{name}"
            assert column["data_type"], f"{model['name']}.{name}"


def test_stable_published_tables_exist(marts):
    names = {m["name"] for m in marts}
    assert {"fct_member_discipline", "bridge_member_discipline_violation", "fct_org_discipline",
            "fct_activity", "dim_org_unit", "rpt_published_reconciliation"} <= names
    columns = {m["name"]: set(m["columns"]) for m in marts}
    assert {"deciding_unit_code", "decision_ref", "member_key", "authority_type",
            "discipline_form", "decision_date", "channel", "member_unit_code",
            "is_committee_member", "is_probationary", "status"} <= columns["fct_member_discipline"]
    assert {"source_ref", "reporting_unit_code", "period_start", "period_end", "measure",
            "authority_type", "discipline_form", "violation_category", "channel",
            "published_value", "value_qualifier", "computed_value",
            "status"} <= columns["rpt_published_reconciliation"]


# The layers in the order they read each other: a model reads its own layer or one before it.
# marts holds the facts and dimensions that scopes read and the aggregates that read scopes,
# so marts and scopes may read each other; nothing reads back into staging or intermediate.
READS_FROM = {"staging": {"staging"},
              "intermediate": {"staging", "intermediate"},
              "marts": {"staging", "intermediate", "marts", "scopes"},
              "scopes": {"intermediate", "marts", "scopes"}}


def test_models_read_only_their_own_layer_or_earlier_ones():
    manifest = json.loads(DBT_MANIFEST.read_text())
    nodes = manifest["nodes"]
    wrong = []
    for unique_id, node in nodes.items():
        if node["resource_type"] != "model":
            continue
        layer = node["fqn"][1]
        for parent in manifest["parent_map"][unique_id]:
            if parent.split(".")[0] != "model":
                continue  # sources and seeds: any layer may read them
            parent_layer = nodes[parent]["fqn"][1]
            if parent_layer not in READS_FROM[layer]:
                wrong.append(f"{node['name']} ({layer}) reads {nodes[parent]['name']} "
                             f"({parent_layer})")
    assert wrong == []
    # the scopes sit between the facts and the aggregates
    assert {n["name"] for n in nodes.values() if n["resource_type"] == "model"
            and n["fqn"][1] == "scopes"} == {"scoped_discipline", "scoped_activity"}
