{#
  Every submitted version of a decision kind, numbered in submission order (file, then row):
  the raw table keeps them all, the facts show the latest.
#}
{% macro decision_versions(relation, key_columns) -%}
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
from {{ relation }}
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
