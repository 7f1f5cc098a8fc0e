-- One row per inspection, supervision or complaint/denunciation case (current version), with
-- its contribution to each step of the funnel: inspected -> violation found -> discipline
-- required -> disciplined (decisions that name this activity in activity_ref).
-- depends_on: {{ source('raw', 'activities') }} {{ ref('vocab_activity_type') }}
-- depends_on: {{ ref('int_activities_to_rebuild') }}
{{ config(
    materialized='incremental',
    tags=['by_activity'],
    order_rows_by='start_date',
    pre_hook="{{ delete_rebuild_activities() }}",
) }}

with member_decisions as (
    select
        activity_ref,
        count(*) as members_disciplined
    from {{ ref('fct_member_discipline') }}
    where counts_in_totals and activity_ref is not null
    group by activity_ref
),

org_decisions as (
    select
        activity_ref,
        count(*) as orgs_disciplined
    from {{ ref('fct_org_discipline') }}
    where counts_in_totals and activity_ref is not null
    group by activity_ref
)

select
    activities.conducting_unit_code,
    activities.activity_ref,
    activities.authority_type,
    activities.activity_type,
    activities.channel,
    activities.subject_kind,
    activities.subject_unit_code,
    activities.subject_member_key,
    activities.start_date,
    activities.end_date,
    year(activities.start_date) as start_year,
    activities.conclusion_ref,
    activities.violation_found,
    activities.subject_kind = 'member' as is_member_subject,
    (activities.subject_kind = 'member')::int as members_inspected,
    (activities.subject_kind = 'organization')::int as orgs_inspected,
    coalesce(
        activities.members_in_violation,
        (activities.subject_kind = 'member' and activities.violation_found)::int)
        as members_in_violation,
    coalesce(
        activities.orgs_in_violation,
        (activities.subject_kind = 'organization' and activities.violation_found)::int)
        as orgs_in_violation,
    coalesce(activities.members_discipline_required, 0) as members_discipline_required,
    coalesce(activities.orgs_discipline_required, 0) as orgs_discipline_required,
    coalesce(member_decisions.members_disciplined, 0) as members_disciplined,
    coalesce(org_decisions.orgs_disciplined, 0) as orgs_disciplined,
    conducting_unit.level as conducting_unit_level,
    activities.source_file_id
from {{ staged_for_rebuild_activities() }} as activities
left join member_decisions on activities.activity_ref = member_decisions.activity_ref
left join org_decisions on activities.activity_ref = org_decisions.activity_ref
left join {{ ref('stg_org_units') }} as conducting_unit
    on
        activities.conducting_unit_code = conducting_unit.unit_code
        and {{ valid_on('conducting_unit', 'activities.start_date') }}
where {{ in_rebuild_activities('activities') }}
