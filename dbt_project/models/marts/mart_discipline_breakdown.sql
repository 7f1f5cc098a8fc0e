-- Question: by whom, in what form and through which channel were members and organisations
-- disciplined, per unit (all levels under it) and year? Rows are additive: sum them freely
-- within one structure and subject_kind. Revoked decisions are excluded.
{{ config(
    materialized='incremental',
    tags=['by_year'],
    pre_hook="{{ delete_rebuild_years('decision_year') }}",
) }}

select
    structure,
    scope_unit_code as unit_code,
    year(decision_date) as decision_year,
    subject_kind,
    authority_type,
    discipline_form,
    channel,
    count(*) as disciplined,
    count(*) filter (where scope_distance = 0) as disciplined_by_unit_itself
from {{ ref('scoped_discipline') }}
where counts_in_totals and {{ dated_in_rebuild_years('decision_date') }}
group by all
