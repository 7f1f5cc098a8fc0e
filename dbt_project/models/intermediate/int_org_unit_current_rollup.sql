-- Roll any unit (even a closed one) up the CURRENT tree: the unit is first mapped to the unit
-- that carries it today, then to every ancestor of that unit in the open structure.
-- scope_distance counts levels from the unit itself: a unit carried by a unit of another
-- level (an abolished district by its province, a dissolved cell by its grassroots unit)
-- sits one level below the unit that carries it, so only a unit and its predecessors at the
-- same level have scope_distance 0 ("by the unit itself").
-- depends_on: {{ ref('int_org_unit_input_fingerprint') }} {{ ref('stg_org_units') }}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_if_unit_tree_changed() }}",
    post_hook="{{ keep_unit_tree_input() }}",
) }}

select
    map.unit_code,
    map.current_unit_code,
    ancestry.ancestor_code,
    ancestry.distance,
    ancestry.distance
    + case when map.unit_level = map.current_level then 0 else 1 end as scope_distance
from {{ ref('int_org_unit_current_map') }} as map
inner join {{ ref('int_org_unit_ancestry') }} as ancestry
    on
        map.current_unit_code = ancestry.unit_code
        and ancestry.valid_to = {{ open_valid_to() }}
where {{ when_unit_tree_changed() }}
