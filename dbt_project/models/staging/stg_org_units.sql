-- Current version of each unit version (unit_code, valid_from); open-ended versions end on
-- open_valid_to().
with current_rows as (
    {{ current_version(source('raw', 'org_units'), ['unit_code', 'valid_from']) }}
)

select
    unit_code,
    valid_from,
    coalesce(valid_to, {{ open_valid_to() }}) as valid_to,
    valid_to is null as is_open,
    name as unit_name,
    level,
    parent_code,
    unit_type,
    coalesce(successor_codes, []) as successor_codes,
    _file_id as source_file_id
from current_rows
