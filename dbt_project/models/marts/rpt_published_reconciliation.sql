-- Each published figure (published_figures files) and each submitted aggregate report beside
-- the value computed from the records for the same unit scope, period, measure and filters.
--   match           computed = published
--   consistent      the qualifier holds (at_least: computed >= published; at_most: <=;
--                   approximately: within var('approximately_tolerance') of published)
--   mismatch        otherwise; `difference` = computed - published
--   not_computable  the records cannot answer it (unknown unit, or a funnel measure filtered
--                   by form or category, which activities do not carry)
-- Discipline counts use the tree as it was on each decision date; funnel steps (inspected,
-- violation_found, discipline_required) come from activities by start date.
-- Reports are compared with records, never added to them, so nothing is counted twice.
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_rebuild_figures() }}",
) }}

-- only the figures this run computes (macros/reconciled_figures.sql); all on a full build
with figures as (
    select * from ({{ reconciled_figures() }}) as reconciled
    where {{ figures_to_compute() }}
),

-- A figure tied to one inspection counts the records that followed it (counted_by
-- 'activity'); any other figure counts the records of its reporting unit ('unit'). Records
-- are keyed the same way below, so each figure finds its records by equality (a hash join):
-- the two cases under one OR made every figure be compared with every record.
numbered as (
    select
        row_number() over (
            order by
                figure_origin, source_ref, reporting_unit_code,
                period_start, measure, as_of_date
        ) as figure_key,
        case when activity_ref is null then 'unit' else 'activity' end as counted_by,
        coalesce(activity_ref, reporting_unit_code) as counted_ref,
        *
    from figures
),

-- Each decision under every unit it counts in (as the tree was on its date), and once
-- under the inspection it followed.
decisions as (
    select
        'unit' as counted_by,
        scope_unit_code as counted_ref,
        *
    from {{ ref('scoped_discipline') }}
    where structure = 'as_of' and counts_in_totals
    union all
    select
        'activity' as counted_by,
        activity_ref as counted_ref,
        *
    from {{ ref('scoped_discipline') }}
    where
        structure = 'as_of' and counts_in_totals
        and scope_distance = 0 and activity_ref is not null
),

disciplined as (
    select
        figures.figure_key,
        count(*) as computed_value
    from numbered as figures
    inner join decisions
        on
            figures.counted_by = decisions.counted_by
            and figures.counted_ref = decisions.counted_ref
            and figures.subject_kind = decisions.subject_kind
            and decisions.decision_date between figures.period_start and figures.period_end
            and (figures.scope = 'unit_and_below' or decisions.scope_distance = 0)
            and {{ filter_admits('figures.authority_type', 'decisions.authority_type') }}
            and {{ filter_admits('figures.discipline_form', 'decisions.discipline_form') }}
            and {{ filter_admits('figures.channel', 'decisions.channel') }}
            and {{ filter_admits('figures.violation_category', 'decisions.violation_categories',
                             record_is_list=true) }}
    where figures.measure = 'disciplined'
    group by figures.figure_key
),

-- Funnel steps come from activities: by conducting unit and start date, or, for a figure
-- tied to one activity, from that activity alone whatever its dates. For units, activities
-- are first summed per day (authority, channel, own unit or below), and only under the
-- units that have figures (and, on an incremental run, the years of the figures computed): a
-- national figure would otherwise meet every activity row.
activity_days as (
    select
        scope_unit_code,
        start_date,
        authority_type,
        channel,
        scope_distance = 0 as is_own_unit,
        {{ sum_funnel_steps() }}
    from {{ ref('scoped_activity') }}
    where
        scope_unit_code in (
            select figures.counted_ref from numbered as figures
            where figures.counted_by = 'unit' and figures.measure <> 'disciplined'
        )
        and {{ in_years_of_computed_figures('start_date') }}
    group by all
),

activity_rows as (
    select
        'unit' as counted_by,
        scope_unit_code as counted_ref,
        * exclude (scope_unit_code)
    from activity_days
    union all by name
    select
        'activity' as counted_by,
        activity_ref as counted_ref,
        start_date,
        authority_type,
        channel,
        true as is_own_unit,
        {{ funnel_steps() | join(', ') }}
    from {{ ref('scoped_activity') }}
    where
        scope_distance = 0
        and activity_ref in (
            select figures.counted_ref from numbered as figures
            where figures.counted_by = 'activity'
        )
),

funnel as (
    select
        figures.figure_key,
        sum(case
            when figures.measure = 'inspected' and figures.subject_kind = 'member'
                then activities.members_inspected
            when figures.measure = 'inspected' then activities.orgs_inspected
            when figures.measure = 'violation_found' and figures.subject_kind = 'member'
                then activities.members_in_violation
            when figures.measure = 'violation_found' then activities.orgs_in_violation
            when figures.subject_kind = 'member' then activities.members_discipline_required
            else activities.orgs_discipline_required
        end) as computed_value
    from numbered as figures
    inner join activity_rows as activities
        on
            figures.counted_by = activities.counted_by
            and figures.counted_ref = activities.counted_ref
            and (
                activities.counted_by = 'activity'
                or activities.start_date between figures.period_start and figures.period_end
            )
            and (figures.scope = 'unit_and_below' or activities.is_own_unit)
    where
        figures.measure in ('inspected', 'violation_found', 'discipline_required')
        and {{ filter_admits('figures.authority_type', 'activities.authority_type') }}
        and {{ filter_admits('figures.channel', 'activities.channel') }}
    group by figures.figure_key
),

assessed as (
    select
        figures.*,
        case
            -- whether counted by unit or by activity: records of an unknown unit are not here
            when not exists (
                select 1 from {{ ref('stg_org_units') }} as units
                where units.unit_code = figures.reporting_unit_code
            ) then 'reporting unit ' || figures.reporting_unit_code || ' is not in org_units'
            when
                figures.measure <> 'disciplined'
                and not (
                    list_contains(figures.discipline_form, 'all')
                    and list_contains(figures.violation_category, 'all')
                )
                then
                    'activities carry no discipline form or violation category; '
                    || figures.measure || ' can only be computed for all of them'
        end as not_computable_reason,
        coalesce(disciplined.computed_value, funnel.computed_value, 0)::bigint as counted_value
    from numbered as figures
    left join disciplined on figures.figure_key = disciplined.figure_key
    left join funnel on figures.figure_key = funnel.figure_key
)

select
    figure_origin,
    figure_id,
    source_ref,
    source_title,
    reporting_unit_code,
    period_start,
    period_end,
    measure,
    subject_kind,
    array_to_string(authority_type, ';') as authority_type,
    array_to_string(discipline_form, ';') as discipline_form,
    array_to_string(violation_category, ';') as violation_category,
    array_to_string(channel, ';') as channel,
    activity_ref,
    scope,
    published_value,
    value_qualifier,
    as_of_date,
    is_current_vintage,
    case when not_computable_reason is null then counted_value end as computed_value,
    case when not_computable_reason is null then counted_value - published_value end
        as difference,
    case
        when not_computable_reason is not null then 'not_computable'
        when counted_value = published_value then 'match'
        when value_qualifier = 'at_least' and counted_value >= published_value then 'consistent'
        when value_qualifier = 'at_most' and counted_value <= published_value then 'consistent'
        when
            value_qualifier = 'approximately'
            and abs(counted_value - published_value)
            <= {{ var('approximately_tolerance') }} * published_value then 'consistent'
        else 'mismatch'
    end as status,
    not_computable_reason
from assessed
