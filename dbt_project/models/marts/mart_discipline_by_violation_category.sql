-- Question: for which violations were members and organisations disciplined? A decision with
-- two categories counts once in each, so rows do NOT add up to the total of decisions (use
-- mart_discipline_unit_year or mart_discipline_breakdown for totals).
{{ config(
    materialized='incremental',
    tags=['by_year'],
    pre_hook="{{ delete_rebuild_years('decision_year') }}",
) }}

-- unnest in the select list: as a lateral join in FROM it ran ten times slower
with categories as (
    select
        structure,
        scope_unit_code as unit_code,
        year(decision_date) as decision_year,
        subject_kind,
        authority_type,
        unnest(violation_categories) as violation_category
    from {{ ref('scoped_discipline') }}
    where counts_in_totals and {{ dated_in_rebuild_years('decision_date') }}
)

select
    structure,
    unit_code,
    decision_year,
    subject_kind,
    authority_type,
    violation_category,
    count(*) as disciplined
from categories
group by all
