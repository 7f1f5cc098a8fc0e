-- One row per (decision, member, violation category): a decision with two categories counts
-- once in each category (and once in the total, from fct_member_discipline). A run rebuilds
-- the decisions of its reporting years (macro delete_rebuild_decisions).
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_rebuild_decisions(ref('fct_member_discipline'),
                                          ['deciding_unit_code', 'decision_ref', 'member_key']) }}",
) }}

select
    deciding_unit_code,
    decision_ref,
    member_key,
    unnest(violation_categories) as violation_category
from {{ ref('fct_member_discipline') }}
where {{ in_rebuild_years('decision_year') }}
