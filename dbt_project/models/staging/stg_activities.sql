-- Current version of each (conducting unit, activity); the channel follows the activity type.
with current_rows as (
    {{ current_version(source('raw', 'activities'), ['conducting_unit_code', 'activity_ref']) }}
)

select
    activities.conducting_unit_code,
    activities.activity_ref,
    activities.authority_type,
    activities.activity_type,
    types.channel,
    activities.subject_kind,
    activities.subject_unit_code,
    activities.subject_member_key,
    activities.start_date,
    activities.end_date,
    activities.conclusion_ref,
    coalesce(activities.violation_found, false) as violation_found,
    activities.members_in_violation,
    activities.orgs_in_violation,
    activities.members_discipline_required,
    activities.orgs_discipline_required,
    activities._file_id as source_file_id
from current_rows as activities
left join {{ ref('vocab_activity_type') }} as types on activities.activity_type = types.code
