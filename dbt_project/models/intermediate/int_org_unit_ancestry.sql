-- Every (unit, ancestor) pair with the dates between which the unit sat under that ancestor,
-- following the tree as it was (each step uses the parent version valid at the time).
-- distance 0 is the unit itself, so "the unit and everything below it" is one equality join.
-- depends_on: {{ ref('int_org_unit_input_fingerprint') }}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_if_unit_tree_changed() }}",
    post_hook="{{ keep_unit_tree_input() }}",
) }}

with recursive versions as (
    select
        unit_code,
        valid_from,
        valid_to,
        parent_code
    from {{ ref('stg_org_units') }}
    where {{ when_unit_tree_changed() }}
),

chain (unit_code, ancestor_code, distance, valid_from, valid_to) as (
    select
        unit_code,
        unit_code as ancestor_code,
        0 as distance,
        valid_from,
        valid_to
    from versions
    union all
    select
        chain.unit_code,
        parent.parent_code,
        chain.distance + 1,
        greatest(chain.valid_from, parent.valid_from),
        least(chain.valid_to, parent.valid_to)
    from chain
    inner join versions as parent
        on
            chain.ancestor_code = parent.unit_code
            and parent.parent_code is not null
            and chain.valid_to > parent.valid_from
            and chain.valid_from < parent.valid_to
    where chain.distance < 12
)

select distinct
    unit_code,
    ancestor_code,
    distance,
    valid_from,
    valid_to
from chain
