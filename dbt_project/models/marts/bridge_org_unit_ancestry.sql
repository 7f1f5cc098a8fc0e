-- Roll any unit up to its ancestors: one row per (unit, ancestor) and period of validity.
-- Filter `as_of between valid_from and valid_to` (valid_to exclusive) for the tree on a date.
-- depends_on: {{ ref('int_org_unit_input_fingerprint') }}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_if_unit_tree_changed() }}",
    post_hook="{{ keep_unit_tree_input() }}",
) }}

select
    ancestry.unit_code,
    ancestry.ancestor_code,
    ancestor.level as ancestor_level,
    ancestry.distance,
    ancestry.valid_from,
    ancestry.valid_to
from {{ ref('int_org_unit_ancestry') }} as ancestry
left join {{ ref('stg_org_units') }} as ancestor
    on
        ancestry.ancestor_code = ancestor.unit_code
        and ancestry.valid_to > ancestor.valid_from
        and ancestry.valid_from < ancestor.valid_to
where {{ when_unit_tree_changed() }}
qualify row_number() over (
    partition by ancestry.unit_code, ancestry.ancestor_code, ancestry.valid_from
    order by ancestor.valid_from desc
) = 1
