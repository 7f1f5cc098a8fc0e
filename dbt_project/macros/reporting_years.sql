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

{% macro rebuild_years(offsets=[0], always=false) -%}
    {%- if not (always or is_incremental()) -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(listed_rebuild_years(offsets)) }}
{%- endmacro %}

{# The years listed in KYLUAT_REBUILD_YEARS, widened by `offsets`; none: every year. #}
{% macro listed_rebuild_years(offsets=[0]) -%}
    {%- set listed = env_var('KYLUAT_REBUILD_YEARS', 'all') | trim -%}
    {%- if listed == 'all' -%}
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
{% macro in_rebuild_years(year_expr, offsets=[0], always=false) -%}
    {%- set years = rebuild_years(offsets, always) -%}
    {%- if years is none -%}
        true
    {%- elif years | length == 0 -%}
        false
    {%- else -%}
        {{ year_expr }} in ({{ years | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#
  The column (or expression) a model's rows are rebuilt by, read from its pre_hook
  (delete_rebuild_years or delete_rebuild_terms: its one home); none for other models.
  The materialization writes rows in this order (macros/incremental_insert.sql).
#}
{% macro rebuild_partition_key(hooks_sql) -%}
    {%- for deleting in ["delete_rebuild_years('", "delete_rebuild_terms('"]
            if deleting in hooks_sql -%}
        {{ return(hooks_sql.split(deleting)[1].split("'")[0]) }}
    {%- endfor -%}
    {{ return(none) }}
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
  many months, and a year of activities is the largest partition there is. The activities a
  run rebuilds are listed in int_activities_to_rebuild; `changed_itself` leaves out those
  rebuilt only for their decision counts (fct_activity), which scoped_activity does not
  carry. Every activity when the whole table is rebuilt.

  The filter also bounds the start date by the start years of every version of the listed
  activities (the rows an earlier build wrote carry one of them): fct_activity keeps its rows
  in start-date order, and scoped_activity inherits it, so the zone maps skip the row groups
  of the other years, where the key filter alone read every row of the table. The tests of
  rebuilt rows (`by_date=false`) look for the keys in every year: a row the bound missed
  fails them.
#}
{% macro in_rebuild_activities(relation='', changed_itself=false, listed=none, by_date=true) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {%- if rebuild_years(always=listed is not none) is none -%}
        true
    {%- else -%}
        {%- set rebuilt = listed if listed is not none else ref('int_activities_to_rebuild') -%}
        {%- set only = ' where changed_itself' if changed_itself else '' -%}
        ({{ prefix }}conducting_unit_code, {{ prefix }}activity_ref) in (
            select conducting_unit_code, activity_ref
            from {{ rebuilt }}{{ only }})
        {%- if by_date %}
        and {{ dated_in_years(prefix ~ 'start_date', rebuilt_version_years(rebuilt, only)) }}
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{# The years of the versions of the listed activities or decisions (column version_years of
   `rebuilt`), read as the build runs; none (every year) while dbt parses, or when a version
   has no date. #}
{% macro rebuilt_version_years(rebuilt, only='') -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query('select distinct unnest(version_years) as version_year from '
                              ~ rebuilt ~ only ~ ' order by version_year nulls first') -%}
    {%- set years = found.columns[0].values() | list -%}
    {%- if none in years -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(years | map('int') | list) }}
{%- endmacro %}

{#
  A filter on `date_column`: its year is one of `years` (none: every year), written as date
  ranges (consecutive years merged), which DuckDB checks against the zone maps of the row
  groups; a filter on year(date_column) reads every row. One home in Python:
  kyluat/publish.py, dated_in_years.
#}
{% macro dated_in_years(date_column, years) -%}
    {%- if years is none -%}
        true
    {%- elif years | length == 0 -%}
        false
    {%- else -%}
        {%- set spans = [] -%}
        {%- for year in years | sort -%}
            {%- if spans and spans[-1][1] + 1 == year -%}
                {%- do spans.append([spans.pop()[0], year]) -%}
            {%- elif not spans or spans[-1][1] != year -%}
                {%- do spans.append([year, year]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set ranges = [] -%}
        {%- for first, last in spans -%}
            {%- do ranges.append("(" ~ date_column ~ " >= date '" ~ first ~ "-01-01' and "
                                 ~ date_column ~ " < date '" ~ (last + 1) ~ "-01-01')") -%}
        {%- endfor -%}
        ({{ ranges | join(' or ') }})
    {%- endif -%}
{%- endmacro %}

{# `date_column` in a rebuilt year (in_rebuild_years, as date ranges): for the tables kept
   in date or year order (fct_activity, scoped_activity, scoped_discipline). #}
{% macro dated_in_rebuild_years(date_column, offsets=[0]) -%}
    {{ dated_in_years(date_column, rebuild_years(offsets)) }}
{%- endmacro %}

{#
  Decisions rebuild by key in scoped_discipline, its largest table: a month's new decisions
  are a few thousand, the year they fall in a hundred times more scope rows. The decisions a
  run rebuilds are listed in int_decisions_to_rebuild (every decision when the whole table is
  rebuilt). `kind` ('member' or 'organization') filters the rows of that kind's fact (none:
  rows keyed like scoped_discipline's); the filter bounds decision_date by the years of every
  version of the listed decisions, which the zone maps of tables in date order use.
#}
{% macro in_rebuild_decisions(kind=none) -%}
    {%- if rebuild_years() is none -%}
        true
    {%- else -%}
        {%- set rebuilt = ref('int_decisions_to_rebuild') -%}
        {%- set kind_expr = "'" ~ kind ~ "'" if kind else 'subject_kind' -%}
        {%- set subject = decision_subjects()[kind] if kind else 'subject_key' -%}
        ({{ kind_expr }}, deciding_unit_code, decision_ref, {{ subject }}) in (
            select subject_kind, deciding_unit_code, decision_ref, subject_key
            from {{ rebuilt }})
        and {{ dated_in_years('decision_date', rebuilt_version_years(rebuilt)) }}
    {%- endif -%}
{%- endmacro %}

{# The column that names a decision's subject, per kind of decision. #}
{% macro decision_subjects() -%}
    {{ return({'member': 'member_key', 'organization': 'target_unit_code'}) }}
{%- endmacro %}

{# A decision's key as int_decisions_to_rebuild and scoped_discipline hold it, from the raw
   rows or the fact of its `kind`. #}
{% macro decision_key_columns(kind) -%}
    '{{ kind }}' as subject_kind,
    deciding_unit_code,
    decision_ref,
    {{ decision_subjects()[kind] }} as subject_key
{%- endmacro %}

{# The pre_hook of scoped_discipline: remove the decisions about to be rebuilt. #}
{% macro delete_rebuild_decision_scopes() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_rebuild_decisions() }}
    {%- else -%}
        select 1 {#- first build or full refresh: the table is created from scratch -#}
    {%- endif -%}
{%- endmacro %}

{# The pre_hook of an activity model: remove the activities about to be rebuilt. #}
{% macro delete_rebuild_activities(changed_itself=false) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_rebuild_activities(changed_itself=changed_itself) }}
    {%- else -%}
        select 1 {#- first build or full refresh: the table is created from scratch -#}
    {%- endif -%}
{%- endmacro %}

{#
  A model per party term (reference seed party_terms) rebuilds the terms with a day in a
  rebuilt year, and reads only the decisions of those terms.
#}
{% macro in_rebuild_terms(term_code_expr) -%}
    {%- if rebuild_years() is none -%}
        true
    {%- else -%}
        {{ term_code_expr }} in (
            select term_code from {{ ref('party_terms') }}
            where {{ period_in_rebuild_years('start_date', 'end_date', end_inclusive=false) }}
        )
    {%- endif -%}
{%- endmacro %}

{# A period from `start_column` to `end_column` (inclusive, or exclusive) has a day in a
   rebuilt year; true when every year is rebuilt. #}
{% macro period_in_rebuild_years(start_column, end_column, end_inclusive=true) -%}
    {%- set years = rebuild_years() -%}
    {%- if years is none -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set overlaps = [] -%}
    {%- for year in years -%}
        {%- do overlaps.append("(" ~ start_column ~ " < date '" ~ (year + 1) ~ "-01-01' and "
                               ~ end_column ~ (" >= " if end_inclusive else " > ") ~ "date '"
                               ~ year ~ "-01-01')") -%}
    {%- endfor -%}
    {{ return('(' ~ (overlaps | join(' or ') or 'false') ~ ')') }}
{%- endmacro %}

{# The pre_hook of a per-term model: remove the terms about to be rebuilt. #}
{% macro delete_rebuild_terms(term_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_rebuild_terms(term_column) }}
    {%- else -%}
        select 1 {#- first build or full refresh: the table is created from scratch -#}
    {%- endif -%}
{%- endmacro %}

{#
  The pre_hook of a model with rows per decision of a year-partitioned fact, but no year of
  its own: remove the rows of the decisions in the fact's rebuilt years. Those are all the
  decisions the fact rebuilt, as a decision's every version is dated in a rebuilt year.
#}
{% macro delete_rebuild_decisions(fact, key_columns) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where ({{ key_columns | join(', ') }}) in (
            select {{ key_columns | join(', ') }} from {{ fact }}
            where {{ in_rebuild_years('decision_year') }}
        )
    {%- else -%}
        select 1 {#- first build or full refresh: the table is created from scratch -#}
    {%- endif -%}
{%- endmacro %}
