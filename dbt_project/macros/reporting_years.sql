{#
  Year-partitioned models (tag by_year) are incremental: a run rebuilds only the reporting
  years listed in the environment variable KYLUAT_REBUILD_YEARS ("2021,2022"; empty: none),
  or every year when it is unset or "all" (so a plain `dbt build` rebuilds everything). The
  pipeline sets it from the partitions of the run and from the years that newly loaded rows
  touch (kyluat/periods.py). An environment variable, not a dbt var: a new --vars value makes
  dbt parse the whole project again, a changed variable only the models that read it.

  A model deletes the years it rebuilds before inserting them again (pre_hook, same
  transaction as the insert), and reads only the rows of those years (in_rebuild_years).
  `offsets` widens the set for models whose rows also depend on neighbouring years.
#}

{% macro rebuild_years(offsets=[0]) -%}
    {%- set listed = env_var('KYLUAT_REBUILD_YEARS', 'all') | trim -%}
    {%- if listed == 'all' or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set years = listed.split(',') | reject('equalto', '') | list -%}
    {%- set widened = [] -%}
    {%- for year in years -%}
        {%- for offset in offsets -%}
            {%- if (year | int) + offset not in widened -%}
                {%- do widened.append((year | int) + offset) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(widened | sort) }}
{%- endmacro %}

{# A filter on `year_expr`: true when the whole table is rebuilt. #}
{% macro in_rebuild_years(year_expr, offsets=[0]) -%}
    {%- set years = rebuild_years(offsets) -%}
    {%- if years is none -%}
        true
    {%- elif years | length == 0 -%}
        false
    {%- else -%}
        {{ year_expr }} in ({{ years | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{# The pre_hook of a year-partitioned model: remove the rows about to be rebuilt. #}
{% macro delete_rebuild_years(year_column, offsets=[0]) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_rebuild_years(year_column, offsets) }}
    {%- else -%}
        select 1 {#- first build or full refresh: the table is created from scratch -#}
    {%- endif -%}
{%- endmacro %}

{#
  Activities rebuild by key, not by year: the decisions of one month name activities of
  many months, and a year of activities is the largest partition there is. An activity's
  rows are rebuilt when a version of it is not yet published, or (`with_decisions`, for the
  decision counts of fct_activity) when any version of a decision naming it is not; and
  every activity of a backfill's years (KYLUAT_REQUESTED_YEARS, "2021,2022" or empty).
  audit.published_loads is the pipeline's bookkeeping (kyluat/periods.py), not a dbt source:
  it changes when a run publishes, never during a build.
#}
{% macro unpublished() -%}
    _run_id not in (select run_id from audit.published_loads)
{%- endmacro %}

{% macro decision_refs_of_unpublished(kind, key_columns) -%}
    select activity_ref from {{ source('raw', kind) }}
    where ({{ key_columns | join(', ') }}) in (
        select ({{ key_columns | join(', ') }}) from {{ source('raw', kind) }}
        where {{ unpublished() }})
{%- endmacro %}

{% macro in_rebuild_activities(ref_expr, year_expr, with_decisions=false) -%}
    {%- if rebuild_years() is none -%}
        true
    {%- else -%}
        {%- set requested = env_var('KYLUAT_REQUESTED_YEARS', '') | trim -%}
        ({% if requested %}{{ year_expr }} in ({{ requested }}) or {% endif -%}
        {{ ref_expr }} in (
            select activity_ref from {{ source('raw', 'activities') }} where {{ unpublished() }}
            {%- if with_decisions %}
            union all
            {{ decision_refs_of_unpublished('member_disciplines',
                                            ['deciding_unit_code', 'decision_ref', 'member_key']) }}
            union all
            {{ decision_refs_of_unpublished('org_disciplines',
                                            ['deciding_unit_code', 'decision_ref',
                                             'target_unit_code']) }}
            {%- endif %}))
    {%- endif -%}
{%- endmacro %}

{# The pre_hook of an activity model: remove the activities about to be rebuilt. #}
{% macro delete_rebuild_activities(year_column, with_decisions=false) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ in_rebuild_activities('activity_ref', year_column, with_decisions) }}
    {%- else -%}
        select 1 {#- first build or full refresh: the table is created from scratch -#}
    {%- endif -%}
{%- endmacro %}
