-- Question: how many members and organisations did each unit and all levels under it
-- discipline each year, how many distinct persons, at what rate per 1,000 members, with what
-- shares of committee members, expulsions and corruption cases, and how did it change?
-- structure = as_of (the tree on the decision date) or current (today's tree, after 2025:
-- today's name and level, and the members of every unit carried at the same level).
-- Revoked decisions are excluded. Denominator: membership nearest to 31 December.
{{ config(
    materialized='incremental',
    tags=['by_year'],
    pre_hook="{{ delete_rebuild_years('decision_year', offsets=[0, 1]) }}",
) }}

with decisions as (
    select * from {{ ref('scoped_discipline') }}
    -- a year's change against the previous year: a rebuilt year changes the next one too
    where
        counts_in_totals
        and {{ dated_in_rebuild_years('decision_date', offsets=[-1, 0, 1]) }}
),

yearly as (
    select
        structure,
        scope_unit_code as unit_code,
        year(decision_date) as decision_year,
        count(*) filter (where subject_kind = 'member') as members_disciplined,
        count(distinct subject_key) filter (where subject_kind = 'member')
            as distinct_members_disciplined,
        count(*) filter (where subject_kind = 'member' and authority_type = 'party_committee')
            as members_by_party_committee,
        count(
            *) filter (where subject_kind = 'member'
        and authority_type = 'inspection_committee')
            as members_by_inspection_committee,
        count(*) filter (where subject_kind = 'member' and scope_distance = 0)
            as members_disciplined_by_unit_itself,
        count(*) filter (where subject_kind = 'organization') as orgs_disciplined,
        count(*) filter (where subject_kind = 'member' and is_committee_member)
            as committee_members_disciplined,
        count(*) filter (where subject_kind = 'member' and discipline_form = 'expulsion')
            as expulsions,
        count(
            *) filter (where subject_kind = 'member'
        and list_contains(violation_categories, 'corruption_negativity'))
            as corruption_cases
    from decisions
    group by all
),

-- as_of: the unit as it was at the end of the year (a unit closed during the year: as it
-- was last); current: as it is today. One branch per structure, so that each joins on
-- equality (a join condition on the structure made DuckDB loop over every pair of rows).
named as (
    select
        yearly.*,
        units.unit_name,
        units.level
    from yearly
    left join {{ ref('stg_org_units') }} as units
        on
            yearly.unit_code = units.unit_code
            and units.valid_from <= make_date(yearly.decision_year, 12, 31)
            and units.valid_to > make_date(yearly.decision_year, 1, 1)
    where yearly.structure = 'as_of'
    qualify
        row_number() over (
            partition by yearly.unit_code, yearly.decision_year
            order by units.valid_from desc nulls last
        ) = 1
    union all by name
    select
        yearly.*,
        today.current_unit_name as unit_name,
        today.current_level as level
    from yearly
    left join {{ ref('int_org_unit_current_map') }} as today
        on yearly.unit_code = today.unit_code
    where yearly.structure = 'current'
)

select
    yearly.structure,
    yearly.unit_code,
    yearly.unit_name,
    yearly.level,
    yearly.decision_year,
    yearly.members_disciplined,
    yearly.distinct_members_disciplined,
    yearly.members_by_party_committee,
    yearly.members_by_inspection_committee,
    yearly.members_disciplined_by_unit_itself,
    yearly.orgs_disciplined,
    yearly.committee_members_disciplined,
    yearly.expulsions,
    yearly.corruption_cases,
    round(yearly.committee_members_disciplined / nullif(yearly.members_disciplined, 0), 4)
        as committee_member_share,
    round(yearly.expulsions / nullif(yearly.members_disciplined, 0), 4) as expulsion_share,
    round(yearly.corruption_cases / nullif(yearly.members_disciplined, 0), 4)
        as corruption_share,
    denominators.members as members_in_unit,
    denominators.members_as_of,
    round(1000.0 * yearly.members_disciplined / nullif(denominators.members, 0), 3)
        as members_disciplined_per_1000,
    previous.members_disciplined as members_disciplined_previous_year,
    yearly.members_disciplined - previous.members_disciplined as yoy_change,
    round(
        (yearly.members_disciplined - previous.members_disciplined)
        / nullif(previous.members_disciplined, 0), 4
    ) as yoy_change_share
from named as yearly
left join yearly as previous
    on
        yearly.structure = previous.structure
        and yearly.unit_code = previous.unit_code
        and previous.decision_year = yearly.decision_year - 1
left join (
    select
        'as_of' as structure,
        *
    from {{ ref('int_membership_denominators') }}
    union all by name
    select
        'current' as structure,
        *
    from {{ ref('int_membership_denominators_current') }}
) as denominators
    on
        yearly.structure = denominators.structure
        and yearly.unit_code = denominators.unit_code
        and yearly.decision_year = denominators.year
where {{ in_rebuild_years('yearly.decision_year', offsets=[0, 1]) }}
