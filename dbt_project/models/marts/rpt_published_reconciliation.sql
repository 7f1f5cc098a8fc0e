-- Each published figure (reference seed) and each submitted aggregate report beside the value
-- computed from the records for the same unit scope, period, measure and filters.
--   match           computed = published
--   consistent      the qualifier holds (at_least: computed >= published; at_most: <=;
--                   approximately: within var('approximately_tolerance') of published)
--   mismatch        otherwise; `difference` = computed - published
--   not_computable  the records cannot answer it (unknown unit, or a measure not yet derived)
-- Reports are compared with records, never added to them, so nothing is counted twice.
with figures as (
    select
        'published' as figure_origin, figure_id, source_ref, source_title, reporting_unit_code,
        period_start, period_end, measure, subject_kind, authority_type, discipline_form,
        violation_category, channel, activity_ref, value as published_value, value_qualifier,
        scope, as_of_date, true as is_current_vintage
    from {{ ref('stg_published_figures') }}
    union all
    select
        'submitted', null, source_ref, source_title, reporting_unit_code,
        period_start, period_end, measure, subject_kind, authority_type, discipline_form,
        violation_category, channel, null, value, value_qualifier,
        scope, as_of_date, is_current_vintage
    from {{ ref('stg_aggregate_reports') }}
),

numbered as (
    select row_number() over (order by figure_origin, source_ref, reporting_unit_code,
                                       period_start, measure, as_of_date) as figure_key, *
    from figures
),

disciplined as (
    select figures.figure_key, count(*) as computed_value
    from numbered as figures
    inner join {{ ref('int_discipline_scopes') }} as decisions
        on decisions.subject_kind = figures.subject_kind
        and decisions.decision_date between figures.period_start and figures.period_end
        and decisions.counts_in_totals
        and (
            -- a figure tied to one inspection counts the decisions that followed it
            (figures.activity_ref is not null and decisions.activity_ref = figures.activity_ref
             and decisions.scope_distance = 0)
            or (figures.activity_ref is null
                and decisions.scope_unit_code = figures.reporting_unit_code
                and (figures.scope = 'unit_and_below' or decisions.scope_distance = 0))
        )
        and {{ filter_admits('figures.authority_type', 'decisions.authority_type') }}
        and {{ filter_admits('figures.discipline_form', 'decisions.discipline_form') }}
        and {{ filter_admits('figures.channel', 'decisions.channel') }}
        and {{ filter_admits('figures.violation_category', 'decisions.violation_categories',
                             record_is_list=true) }}
    where figures.measure = 'disciplined'
    group by figures.figure_key
),

assessed as (
    select
        figures.*,
        case
            when figures.measure <> 'disciplined'
                then 'measure ' || figures.measure || ' is not derived from records yet'
            when figures.activity_ref is null and not exists (
                select 1 from {{ ref('stg_org_units') }} as units
                where units.unit_code = figures.reporting_unit_code
            ) then 'reporting unit ' || figures.reporting_unit_code || ' is not in org_units'
        end as not_computable_reason,
        coalesce(disciplined.computed_value, 0) as counted_value
    from numbered as figures
    left join disciplined on disciplined.figure_key = figures.figure_key
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
        when value_qualifier = 'approximately'
            and abs(counted_value - published_value)
                <= {{ var('approximately_tolerance') }} * published_value then 'consistent'
        else 'mismatch'
    end as status,
    not_computable_reason
from assessed
