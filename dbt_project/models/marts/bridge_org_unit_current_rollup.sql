-- Roll any unit, including closed ones, up TODAY's structure: current_unit_code is the unit
-- that carries it now (first successor rule), ancestor_code each unit above that one today.
-- Example: a Quang Nam district abolished in 2025 rolls up to Da Nang.
-- depends_on: {{ ref('int_org_unit_input_fingerprint') }}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_if_unit_tree_changed() }}",
    post_hook="{{ keep_unit_tree_input() }}",
) }}

select
    rollup.unit_code,
    rollup.current_unit_code,
    rollup.ancestor_code,
    ancestor.level as ancestor_level,
    rollup.distance
from {{ ref('int_org_unit_current_rollup') }} as rollup
left join {{ ref('stg_org_units') }} as ancestor
    on rollup.ancestor_code = ancestor.unit_code and ancestor.is_open
where {{ when_unit_tree_changed() }}
