-- Each unit, past or present, mapped to the unit that carries it in today's structure, with
-- its own level and that unit's name and level today (the latest version of each).
-- A closed unit is followed through its successors until an open unit is reached.
-- Rule for several successors: the FIRST successor listed is the primary one (a split
-- commune lists the unit that takes over its main body first; the reference tree lists the
-- default successor of vietnamadminunits); the others only receive history they report
-- themselves. Ingestion records a re-sent tree that changes a primary successor in
-- audit.primary_successor_changes.
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
        arg_max(successor_codes, valid_from) as successor_codes,
        arg_max(unit_name, valid_from) as unit_name,
        arg_max(level, valid_from) as level
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
),

mapped as (
    select
        unit_code,
        arg_max(current_unit_code, steps) as current_unit_code,
        max(steps) as successor_steps
    from walk
    group by unit_code
)

select
    mapped.unit_code,
    mapped.current_unit_code,
    mapped.successor_steps,
    units.level as unit_level,
    today.unit_name as current_unit_name,
    today.level as current_level
from mapped
inner join units on mapped.unit_code = units.unit_code
left join units as today on mapped.current_unit_code = today.unit_code
