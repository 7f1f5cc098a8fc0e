{#
  The staging rows of activities and decisions (current version of each business key). The
  staging views select them all; a year-partitioned fact that rebuilds some years selects
  them with `touching` (see current_version), which returns the same row for every key whose
  current version falls in those years.
#}

{% macro staged_activities(touching=none) -%}
with current_rows as (
    {{ current_version(source('raw', 'activities'), ['conducting_unit_code', 'activity_ref'],
                       touching=touching) }}
)

select
    activities.conducting_unit_code,
    activities.activity_ref,
    activities.authority_type,
    activities.activity_type,
    types.channel,
    activities.subject_kind,
    activities.subject_unit_code,
    activities.subject_member_key,
    activities.start_date,
    activities.end_date,
    activities.conclusion_ref,
    coalesce(activities.violation_found, false) as violation_found,
    activities.members_in_violation,
    activities.orgs_in_violation,
    activities.members_discipline_required,
    activities.orgs_discipline_required,
    activities._file_id as source_file_id
from current_rows as activities
left join {{ ref('vocab_activity_type') }} as types on activities.activity_type = types.code
{%- endmacro %}

{% macro staged_member_disciplines(touching=none) -%}
with current_rows as (
    {{ current_version(source('raw', 'member_disciplines'),
                       ['deciding_unit_code', 'decision_ref', 'member_key'],
                       touching=touching) }}
)

select
    deciding_unit_code,
    decision_ref,
    member_key,
    authority_type,
    discipline_form,
    decision_date,
    member_unit_code,
    violation_categories,
    channel,
    is_committee_member,
    is_probationary,
    activity_ref,
    status,
    violation_date,
    _file_id as source_file_id
from current_rows
{%- endmacro %}

{% macro staged_org_disciplines(touching=none) -%}
with current_rows as (
    {{ current_version(source('raw', 'org_disciplines'),
                       ['deciding_unit_code', 'decision_ref', 'target_unit_code'],
                       touching=touching) }}
)

select
    deciding_unit_code,
    decision_ref,
    target_unit_code,
    authority_type,
    discipline_form,
    decision_date,
    violation_categories,
    channel,
    activity_ref,
    status,
    _file_id as source_file_id
from current_rows
{%- endmacro %}

{#
  The staging rows a year-partitioned fact reads: the staging view when every year is built,
  else only the keys with a version whose `year_expr` falls in a rebuilt year. The model
  declares the relations read then (`-- depends_on:` its raw source and seeds), as dbt only
  sees the staging view when it parses.
#}
{% macro staged_for_rebuild_years(kind, year_expr) -%}
    {%- if rebuild_years() is none -%}
        {{ ref('stg_' ~ kind) }}
    {%- else -%}
        {%- set touching = in_rebuild_years(year_expr) -%}
        {%- if kind == 'activities' -%}
            ({{ staged_activities(touching) }})
        {%- elif kind == 'member_disciplines' -%}
            ({{ staged_member_disciplines(touching) }})
        {%- elif kind == 'org_disciplines' -%}
            ({{ staged_org_disciplines(touching) }})
        {%- else -%}
            {{ exceptions.raise_compiler_error('no staged rows for ' ~ kind) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{# The staging rows of the activities fct_activity rebuilds (see in_rebuild_activities). #}
{% macro staged_for_rebuild_activities() -%}
    {%- if rebuild_years() is none -%}
        {{ ref('stg_activities') }}
    {%- else -%}
        ({{ staged_activities(in_rebuild_activities()) }})
    {%- endif -%}
{%- endmacro %}
