-- The activities (unit and reference) this run rebuilds in fct_activity and
-- scoped_activity (macro in_rebuild_activities): those with a version not yet published
-- (`changed_itself`), those named by any version of a decision with a version not yet
-- published (their decision counts change), and every activity of a backfill's years
-- (KYLUAT_REQUESTED_YEARS); with the start years of all their versions (`version_years`),
-- one of which every row an earlier build wrote for them carries. audit.published_loads is
-- the pipeline's bookkeeping (kyluat/periods.py), not a dbt source: it changes when a run
-- publishes, never during a build. Publication copies these activities' rows of
-- fct_activity (kyluat/publish.py).
{%- set requested = env_var('KYLUAT_REQUESTED_YEARS', '') | trim %}
{%- set backfill = ' or year(start_date) in (' ~ requested ~ ')' if requested else '' %}
{%- set every_year = (env_var('KYLUAT_REBUILD_YEARS', 'all') | trim) == 'all' %}
{%- set unpublished = '_run_id not in (select run_id from audit.published_loads)' %}
{%- set member_key = 'deciding_unit_code, decision_ref, member_key' %}
{%- set org_key = 'deciding_unit_code, decision_ref, target_unit_code' %}

with changed as (
    select
        conducting_unit_code,
        activity_ref
    from {{ source('raw', 'activities') }}
    where {{ unpublished }}{{ backfill }}
),

decided as (
    select activity_ref from {{ source('raw', 'member_disciplines') }}
    where ({{ member_key }}) in (
        select {{ member_key }} from {{ source('raw', 'member_disciplines') }}
        where {{ unpublished }}
    )
    union all
    select activity_ref from {{ source('raw', 'org_disciplines') }}
    where ({{ org_key }}) in (
        select {{ org_key }} from {{ source('raw', 'org_disciplines') }}
        where {{ unpublished }}
    )
),

-- a decision names an activity by its reference alone: it counts for each unit's activity
-- of that reference (fct_activity)
listed as (
    select
        conducting_unit_code,
        activity_ref,
        true as changed_itself
    from changed
    union all
    select
        activities.conducting_unit_code,
        activities.activity_ref,
        false as changed_itself
    from {{ source('raw', 'activities') }} as activities
    where activities.activity_ref in (select decided.activity_ref from decided)
),

rebuilt as (
    select
        conducting_unit_code,
        activity_ref,
        bool_or(changed_itself) as changed_itself
    from listed
    -- a whole build rebuilds every activity: nothing to list
    where {{ 'false' if every_year else 'true' }}
    group by conducting_unit_code, activity_ref
)

select
    rebuilt.conducting_unit_code,
    rebuilt.activity_ref,
    any_value(rebuilt.changed_itself) as changed_itself,
    list(distinct year(versions.start_date)) as version_years
from rebuilt
inner join {{ source('raw', 'activities') }} as versions
    on
        rebuilt.conducting_unit_code = versions.conducting_unit_code
        and rebuilt.activity_ref = versions.activity_ref
group by rebuilt.conducting_unit_code, rebuilt.activity_ref
