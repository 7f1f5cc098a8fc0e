{#
  The current version of each business key in a raw table: the row from the latest file
  (then the latest row of that file). Earlier versions stay in raw and in the history models.
#}
{% macro current_version(relation, key_columns, newest_first='') -%}
select *
from {{ relation }}
qualify row_number() over (
    partition by {{ key_columns | join(', ') }}
    order by {% if newest_first %}{{ newest_first }}, {% endif %}_file_id desc, _row_number desc
) = 1
{%- endmacro %}
