-- Question: for which violations were members and organisations disciplined? A decision with
-- two categories counts once in each, so rows do NOT add up to the total of decisions (use
-- mart_discipline_unit_year or mart_discipline_breakdown for totals).
{{ config(
    materialized='incremental',
    tags=['by_year'],
    pre_hook="{{ delete_rebuild_years('decision_year') }}",
) }}

select
    scopes.structure,
    scopes.scope_unit_code as unit_code,
    year(scopes.decision_date) as decision_year,
    scopes.subject_kind,
    scopes.authority_type,
    category.violation_category,
    count(*) as disciplined
from {{ ref('int_discipline_scopes') }} as scopes,
    unnest(scopes.violation_categories) as category (violation_category)
where scopes.counts_in_totals and {{ in_rebuild_years('year(scopes.decision_date)') }}
group by all
