-- Current version of each unit version (unit_code, valid_from); open-ended versions end in 9999.
with current_rows as (
    {{ current_version(source('raw', 'org_units'), ['unit_code', 'valid_from']) }}
)

select
    unit_code,
    valid_from,
    coalesce(valid_to, date '9999-12-31') as valid_to,
    valid_to is null as is_open,
    name as unit_name,
    level,
    parent_code,
    unit_type,
    coalesce(successor_codes, []) as successor_codes,
    _file_id as source_file_id
from current_rows
