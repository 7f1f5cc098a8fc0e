-- Current version of each (deciding unit, decision, member); revoked rows are kept and flagged.
with current_rows as (
    {{ current_version(source('raw', 'member_disciplines'),
                       ['deciding_unit_code', 'decision_ref', 'member_key']) }}
)

select
    deciding_unit_code,
    decision_ref,
    member_key,
    authority_type,
    discipline_form,
    decision_date,
    member_unit_code,
    violation_categories,
    channel,
    is_committee_member,
    is_probationary,
    activity_ref,
    status,
    violation_date,
    _file_id as source_file_id
from current_rows
