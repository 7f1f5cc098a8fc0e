-- noqa: disable=LT02
{% test not_null_columns(model, columns) %}
{# Rows with a null in any of `columns`, each naming its null columns: one scan for all. #}
select concat_ws(', '
    {%- for column in columns %}, case when {{ column }} is null then '{{ column }}' end
    {%- endfor %}) as null_columns
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
-- noqa: enable=LT02
