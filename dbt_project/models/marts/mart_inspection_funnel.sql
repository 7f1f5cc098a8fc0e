-- Question: of what was inspected or supervised, how much was found in violation, how much
-- required discipline, and how much was disciplined? Per unit (all levels under it, as the
-- tree was), year and authority. Activities count by start year; decisions by decision year
-- (a decision may follow an inspection of the previous year).
{{ config(
    materialized='incremental',
    tags=['by_year'],
    pre_hook="{{ delete_rebuild_years('year') }}",
) }}

with activity_steps as (
    select
        scope_unit_code as unit_code,
        year(start_date) as year,
        authority_type,
        count(*) as activities,
        {{ sum_funnel_steps() }}
    from {{ ref('scoped_activity') }}
    where {{ dated_in_rebuild_years('start_date') }}
    group by all
),

decision_steps as (
    select
        scope_unit_code as unit_code,
        year(decision_date) as year,
        authority_type,
        count(*) filter (where subject_kind = 'member') as members_disciplined,
        count(*) filter (where subject_kind = 'organization') as orgs_disciplined,
        count(*) filter (where subject_kind = 'member' and channel in ('inspection', 'supervision'))
            as members_disciplined_after_inspection_or_supervision
    from {{ ref('scoped_discipline') }}
    where
        structure = 'as_of' and counts_in_totals
        and {{ dated_in_rebuild_years('decision_date') }}
    group by all
)

select
    coalesce(a.unit_code, d.unit_code) as unit_code,
    coalesce(a.year, d.year) as year,
    coalesce(a.authority_type, d.authority_type) as authority_type,
    coalesce(a.activities, 0) as activities,
    coalesce(a.members_inspected, 0) as members_inspected,
    coalesce(a.orgs_inspected, 0) as orgs_inspected,
    coalesce(a.members_in_violation, 0) as members_in_violation,
    coalesce(a.orgs_in_violation, 0) as orgs_in_violation,
    coalesce(a.members_discipline_required, 0) as members_discipline_required,
    coalesce(a.orgs_discipline_required, 0) as orgs_discipline_required,
    coalesce(d.members_disciplined, 0) as members_disciplined,
    coalesce(d.orgs_disciplined, 0) as orgs_disciplined,
    coalesce(d.members_disciplined_after_inspection_or_supervision, 0)
        as members_disciplined_after_inspection_or_supervision
from activity_steps as a
full outer join decision_steps as d
    on a.unit_code = d.unit_code and a.year = d.year and a.authority_type = d.authority_type
