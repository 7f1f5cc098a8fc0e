-- For every unit and calendar year: the membership count nearest in time to 31 December of
-- that year (ties: the earlier count), for rates per 1,000 members.
with years as (
    select distinct
        memberships.unit_code,
        year(memberships.as_of_date) + offsets.offset_years as year
    from {{ ref('stg_memberships') }} as memberships
    cross join (select unnest([-1, 0, 1]) as offset_years) as offsets
)

select
    years.unit_code,
    years.year,
    memberships.members,
    memberships.party_organizations,
    memberships.as_of_date as members_as_of
from years
inner join {{ ref('stg_memberships') }} as memberships
    on years.unit_code = memberships.unit_code
qualify row_number() over (
    partition by years.unit_code, years.year
    order by
        abs(datediff('day', memberships.as_of_date, make_date(years.year, 12, 31))),
        memberships.as_of_date
) = 1
