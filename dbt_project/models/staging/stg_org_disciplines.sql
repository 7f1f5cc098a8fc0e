-- Current version of each (deciding unit, decision, target organisation).
with current_rows as (
    {{ current_version(source('raw', 'org_disciplines'),
                       ['deciding_unit_code', 'decision_ref', 'target_unit_code']) }}
)

select
    deciding_unit_code,
    decision_ref,
    target_unit_code,
    authority_type,
    discipline_form,
    decision_date,
    violation_categories,
    channel,
    activity_ref,
    status,
    _file_id as source_file_id
from current_rows
