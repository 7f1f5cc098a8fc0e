-- Every version of every organisation decision, in submission order.
select
    deciding_unit_code,
    decision_ref,
    target_unit_code,
    row_number() over (
        partition by deciding_unit_code, decision_ref, target_unit_code
        order by _file_id, _row_number
    ) as version_number,
    authority_type,
    discipline_form,
    decision_date,
    channel,
    violation_categories,
    status,
    _file_id as source_file_id,
    _row_number as source_row_number,
    _loaded_at as loaded_at
from {{ source('raw', 'org_disciplines') }}
