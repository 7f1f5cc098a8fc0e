-- Every version of every member decision, in submission order, with the file it came from.
select
    deciding_unit_code,
    decision_ref,
    member_key,
    row_number() over (
        partition by deciding_unit_code, decision_ref, member_key
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
from {{ source('raw', 'member_disciplines') }}
