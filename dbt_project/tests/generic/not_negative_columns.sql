-- noqa: disable=LT02
{% test not_negative_columns(model, columns) %}
{# Rows with a negative count in any of `columns` (counts in the warehouse never are), each
   naming its negative columns: one scan for all. #}
select concat_ws(', '
    {%- for column in columns %}, case when {{ column }} < 0 then '{{ column }}' end
    {%- endfor %}) as negative_columns
from {{ model }}
where {% for column in columns %}{{ column }} < 0{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
-- noqa: enable=LT02
