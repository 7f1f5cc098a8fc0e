"""What analysts read is documented and typed: checked on the manifest prepared at setup."""

import json

import pytest

from orchestration.dbt_runner import DBT_PROJECT


@pytest.fixture(scope="module")
def marts():
    nodes = json.loads(DBT_PROJECT.manifest_path.read_text())["nodes"].values()
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
