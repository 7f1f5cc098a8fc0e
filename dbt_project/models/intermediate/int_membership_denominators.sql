-- For every unit and calendar year: the membership count nearest in time to 31 December of
-- that year (ties: the earlier count), for rates per 1,000 members. The years are those of
-- the unit's counts and the year before and after each.
-- The nearest count is the latest one on or before 31 December or the first one after it
-- (two as-of joins, not every count against every year): the earlier wins unless the later
-- is strictly nearer.
with memberships as (
    select
        unit_code,
        as_of_date,
        members,
        party_organizations
    from {{ ref('stg_memberships') }}
),

years as (
    select distinct
        memberships.unit_code,
        year(memberships.as_of_date) + offsets.offset_years as year
    from memberships
    cross join (select unnest([-1, 0, 1]) as offset_years) as offsets
),

year_ends as (
    select
        unit_code,
        year,
        make_date(year, 12, 31) as year_end
    from years
),

nearest as (
    select
        year_ends.unit_code,
        year_ends.year,
        case
            when
                on_or_before.as_of_date is null
                or (
                    after.as_of_date is not null
                    and after.as_of_date - year_ends.year_end
                    < year_ends.year_end - on_or_before.as_of_date
                )
                then 'after'
            else 'on_or_before'
        end as side,
        on_or_before.members as before_members,
        on_or_before.party_organizations as before_party_organizations,
        on_or_before.as_of_date as before_as_of,
        after.members as after_members,
        after.party_organizations as after_party_organizations,
        after.as_of_date as after_as_of
    from year_ends
    asof left join memberships as on_or_before
        on
            year_ends.unit_code = on_or_before.unit_code
            and year_ends.year_end >= on_or_before.as_of_date
    asof left join memberships as after
        on
            year_ends.unit_code = after.unit_code
            and year_ends.year_end < after.as_of_date
)

select
    unit_code,
    year,
    case when side = 'after' then after_members else before_members end as members,
    case
        when side = 'after' then after_party_organizations else before_party_organizations
    end as party_organizations,
    case when side = 'after' then after_as_of else before_as_of end as members_as_of
from nearest
