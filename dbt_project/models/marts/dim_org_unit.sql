-- Every version of every organisation unit. Join on unit_code and a date between valid_from
-- (inclusive) and valid_to (exclusive) to get the unit as it was on that date.
select
    units.unit_code,
    units.valid_from,
    units.valid_to,
    units.is_open as is_current,
    units.unit_name,
    units.level,
    levels.depth as level_depth,
    units.parent_code,
    units.unit_type,
    units.successor_codes
from {{ ref('stg_org_units') }} as units
left join {{ ref('vocab_org_level') }} as levels on units.level = levels.code
