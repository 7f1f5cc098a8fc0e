{#
  Every submitted version of a decision kind, numbered in submission order (file, then row):
  the raw table keeps them all, the facts show the latest. `touching` (a condition on raw
  rows) keeps every version of the keys with a version satisfying it (see current_version).
#}
{% macro decision_versions(relation, key_columns, touching=none) -%}
select
    {{ key_columns | join(',\n    ') }},
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by _file_id, _row_number
    ) as version_number,
    authority_type,
    discipline_form,
    decision_date,
    channel,
    violation_categories,
    status,
    _file_id as source_file_id,
    _row_number as source_row_number,
    _loaded_at as loaded_at
from {{ relation }} as versions
{{ keys_touching(relation, key_columns, touching) }}
{%- endmacro %}

{#
  The versions with the file each came from, and which one is current.
#}
{% macro decision_history(versions_relation, key_columns) -%}
select
    versions.*,
    versions.version_number = max(versions.version_number) over (
        partition by {% for key in key_columns %}versions.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
    ) as is_current,
    files.path as source_file_path
from {{ versions_relation }} as versions
left join {{ source('audit', 'file_registry') }} as files
    on versions.source_file_id = files.file_id
{%- endmacro %}

{#
  A history model rebuilds the years of this run (tag by_year): the versions dated in those
  years, each numbered and marked current among all the versions of its key. Every version
  of a key with a new version is dated in a rebuilt year (kyluat/periods.py), so the rows
  left alone are unchanged.
#}
{% macro decision_history_for_rebuild_years(versions_model, raw_relation, key_columns) -%}
    {%- if rebuild_years() is none -%}
        {{ decision_history(ref(versions_model), key_columns) }}
    {%- else -%}
        {%- set versions -%}
            ({{ decision_versions(raw_relation, key_columns,
                                  touching=in_rebuild_years('year(decision_date)')) }})
        {%- endset -%}
select *
from ({{ decision_history(versions, key_columns) }}) as history
where {{ in_rebuild_years('year(history.decision_date)') }}
    {%- endif -%}
{%- endmacro %}
