-- Each unit, past or present, mapped to the unit that carries it in today's structure.
-- A closed unit is followed through its successors until an open unit is reached.
-- Rule for several successors: the FIRST successor listed (submitters list the unit that
-- takes over the main body first); the others only receive history they report themselves.
-- depends_on: {{ ref('int_org_unit_input_fingerprint') }}
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_if_unit_tree_changed() }}",
    post_hook="{{ keep_unit_tree_input() }}",
) }}

with recursive units as (
    select
        unit_code,
        bool_or(is_open) as is_open,
        arg_max(successor_codes, valid_from) as successor_codes
    from {{ ref('stg_org_units') }}
    where {{ when_unit_tree_changed() }}
    group by unit_code
),

walk (unit_code, current_unit_code, steps) as (
    select
        unit_code,
        unit_code as current_unit_code,
        0 as steps
    from units
    union all
    select
        walk.unit_code,
        units.successor_codes[1],
        walk.steps + 1
    from walk
    inner join units on walk.current_unit_code = units.unit_code
    where not units.is_open and len(units.successor_codes) > 0 and walk.steps < 20
)

select
    walk.unit_code,
    arg_max(walk.current_unit_code, walk.steps) as current_unit_code,
    max(walk.steps) as successor_steps
from walk
group by walk.unit_code
