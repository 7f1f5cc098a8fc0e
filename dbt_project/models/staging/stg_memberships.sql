-- Current membership count of each unit on each date (members of the unit and all below it).
with current_rows as (
    {{ current_version(source('raw', 'memberships'), ['unit_code', 'as_of_date']) }}
)

select
    unit_code,
    as_of_date,
    members,
    party_organizations,
    _file_id as source_file_id
from current_rows
