-- For every unit of today's structure and calendar year: the members of the units it carries
-- in that year, for rates on structure = 'current'. Those are the units that roll into it
-- at its own level (itself and the units merged into it, not an abolished district, whose
-- members its province counts already) and that were valid on 31 December of that year,
-- each with its count nearest to 31 December (int_membership_denominators). A year in which
-- one of them has no count has no denominator: a partial sum would overstate the rate.
with predecessors as (
    select
        unit_code,
        current_unit_code
    from {{ ref('int_org_unit_current_map') }}
    where unit_level = current_level
),

years as (
    select distinct year from {{ ref('int_membership_denominators') }}
),

-- the years in which each unit existed on 31 December
valid_years as (
    select distinct
        versions.unit_code,
        years.year
    from {{ ref('stg_org_units') }} as versions
    inner join years
        on {{ valid_on('versions', 'make_date(years.year, 12, 31)') }}
),

counted as (
    select
        predecessors.current_unit_code,
        denominators.year,
        denominators.members,
        denominators.party_organizations,
        denominators.members_as_of
    from {{ ref('int_membership_denominators') }} as denominators
    inner join predecessors on denominators.unit_code = predecessors.unit_code
    inner join valid_years
        on
            denominators.unit_code = valid_years.unit_code
            and denominators.year = valid_years.year
),

expected as (
    select
        carried.current_unit_code,
        carried.year,
        count(*) as units_carried
    from (
        select distinct
            current_unit_code,
            year
        from counted
    ) as carried
    inner join predecessors on carried.current_unit_code = predecessors.current_unit_code
    inner join valid_years
        on
            predecessors.unit_code = valid_years.unit_code
            and carried.year = valid_years.year
    group by all
)

select
    counted.current_unit_code as unit_code,
    counted.year,
    case when count(*) = any_value(expected.units_carried) then sum(counted.members)::bigint end
        as members,
    case
        when count(*) = any_value(expected.units_carried)
            then sum(counted.party_organizations)::bigint
    end as party_organizations,
    max(counted.members_as_of) as members_as_of
from counted
inner join expected
    on
        counted.current_unit_code = expected.current_unit_code
        and counted.year = expected.year
group by counted.current_unit_code, counted.year
