-- Current value of each governance indicator of a unit and year.
with current_rows as (
    {{ current_version(source('raw', 'governance_indicators'),
                       ['unit_code', 'year', 'indicator']) }}
)

select
    unit_code,
    year,
    indicator,
    rank,
    score,
    source_ref,
    _file_id as source_file_id
from current_rows
