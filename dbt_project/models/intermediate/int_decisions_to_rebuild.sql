-- The decisions (on a member or an organisation) this run rebuilds in scoped_discipline
-- (macro in_rebuild_decisions): those with a version not yet published, and every decision
-- of a backfill's years (KYLUAT_REQUESTED_YEARS); with the decision years of all their
-- versions (`version_years`), one of which every row an earlier build wrote for them carries.
-- A change to the unit tree rebuilds every year (kyluat/periods.py), so a decision's scope
-- rows change only with its own versions. audit.published_loads is the pipeline's
-- bookkeeping (kyluat/periods.py), not a dbt source.
{%- set requested = env_var('KYLUAT_REQUESTED_YEARS', '') | trim %}
{%- set backfill = ' or year(decision_date) in (' ~ requested ~ ')' if requested else '' %}
{%- set every_year = (env_var('KYLUAT_REBUILD_YEARS', 'all') | trim) == 'all' %}
{%- set unpublished = '_run_id not in (select run_id from audit.published_loads)' %}

with versions as (
    select
        {{ decision_key_columns('member') }},
        decision_date,
        _run_id
    from {{ source('raw', 'member_disciplines') }}
    union all
    select
        {{ decision_key_columns('organization') }},
        decision_date,
        _run_id
    from {{ source('raw', 'org_disciplines') }}
),

rebuilt as (
    select distinct
        subject_kind,
        deciding_unit_code,
        decision_ref,
        subject_key
    from versions
    -- a whole build rebuilds every decision: nothing to list
    where {{ 'false' if every_year else 'true' }} and ({{ unpublished }}{{ backfill }})
)

select
    rebuilt.subject_kind,
    rebuilt.deciding_unit_code,
    rebuilt.decision_ref,
    rebuilt.subject_key,
    list(distinct year(versions.decision_date)) as version_years
from rebuilt
inner join versions
    on
        rebuilt.subject_kind = versions.subject_kind
        and rebuilt.deciding_unit_code = versions.deciding_unit_code
        and rebuilt.decision_ref = versions.decision_ref
        and rebuilt.subject_key = versions.subject_key
group by all
