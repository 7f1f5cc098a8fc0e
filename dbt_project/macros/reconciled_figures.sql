{#
  The figures rpt_published_reconciliation holds, and which of them a run computes again.
  The report is incremental by figure: a figure's value can only change with the records of
  its period, so a run computes again the figures whose period meets a rebuilt year, every
  figure tied to one inspection (its funnel counts that activity whatever its dates), and
  every figure that is new or changed (a new vintage of a report changes the older one's
  is_current_vintage). The others keep their rows. A figure is known by its signature: a
  hash of every column it is defined by, as the report stores them.
#}

{# The figures to reconcile: published figures and submitted aggregate reports. #}
{% macro reconciled_figures() -%}
    select
        'published' as figure_origin,
        figure_id,
        source_ref,
        source_title,
        reporting_unit_code,
        period_start,
        period_end,
        measure,
        subject_kind,
        authority_type,
        discipline_form,
        violation_category,
        channel,
        activity_ref,
        value as published_value,
        value_qualifier,
        scope,
        as_of_date,
        true as is_current_vintage
    from {{ ref('stg_published_figures') }}
    union all
    select
        'submitted' as figure_origin,
        null as figure_id,
        source_ref,
        source_title,
        reporting_unit_code,
        period_start,
        period_end,
        measure,
        subject_kind,
        authority_type,
        discipline_form,
        violation_category,
        channel,
        null as activity_ref,
        value,
        value_qualifier,
        scope,
        as_of_date,
        is_current_vintage
    from {{ ref('stg_aggregate_reports') }}
{%- endmacro %}

{# The signature of a figure; `lists`: its filters are lists (as in reconciled_figures), not
   the ';'-joined text the report stores. #}
{% macro figure_signature(lists=false) -%}
    {%- set filters = [] -%}
    {%- for filter in ['authority_type', 'discipline_form', 'violation_category', 'channel'] -%}
        {%- do filters.append("array_to_string(" ~ filter ~ ", ';')" if lists else filter) -%}
    {%- endfor -%}
    md5(row(
        figure_origin, figure_id, source_ref, source_title, reporting_unit_code, period_start,
        period_end, measure, subject_kind, {{ filters | join(', ') }}, activity_ref, scope,
        published_value::bigint, value_qualifier, as_of_date, is_current_vintage
    )::varchar)
{%- endmacro %}

{# The pre_hook of the report: remove the figures about to be computed again. #}
{% macro delete_rebuild_figures() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            {{ period_in_rebuild_years('period_start', 'period_end') }}
            or activity_ref is not null
            or {{ figure_signature() }} not in (
                select {{ figure_signature(lists=true) }} from ({{ reconciled_figures() }})
            )
    {%- else -%}
        select 1 {#- first build or full refresh: the table is created from scratch -#}
    {%- endif -%}
{%- endmacro %}

{# The figures a run computes: those the pre_hook removed and the new ones. #}
{% macro figures_to_compute() -%}
    {%- if is_incremental() -%}
        {{ figure_signature(lists=true) }} not in (select {{ figure_signature() }} from {{ this }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# On an incremental run, true for a record of a year that a unit funnel figure computed
   (numbered) covers; a semi join on the year, as bounds from subqueries made a nested loop
   over every record. The same years, as constant date ranges (a superset,
   unit_funnel_figure_years), let the zone maps of scoped_activity skip the other years.
   True on a full build, which computes every figure. #}
{% macro in_years_of_computed_figures(date_column) -%}
    {%- if is_incremental() -%}
        year({{ date_column }}) in (
            select unnest(range(year(figures.period_start), year(figures.period_end) + 1))
            from numbered as figures
            where figures.counted_by = 'unit' and figures.measure <> 'disciplined'
        )
        and {{ dated_in_years(date_column, unit_funnel_figure_years()) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{# Every year a unit funnel figure computed this run can cover, read as the build runs
   (before the pre_hook): the rebuilt years, whose figures the pre_hook removes, and the years
   of the figures not computed before (figures_to_compute); none: every year. #}
{% macro unit_funnel_figure_years() -%}
    {%- set rebuilt = rebuild_years() -%}
    {%- if rebuilt is none or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        'select distinct unnest(range(year(period_start), year(period_end) + 1)) as covered '
        ~ 'from (' ~ reconciled_figures() ~ ') as reconciled '
        ~ "where activity_ref is null and measure <> 'disciplined' and "
        ~ figures_to_compute()) -%}
    {{ return((rebuilt + (found.columns[0].values() | map('int') | list)) | unique | list) }}
{%- endmacro %}
