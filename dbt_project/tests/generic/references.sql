-- noqa: disable=LT02
{% test references(model, links) %}
{# Values of a column that its referenced table does not hold, one row per value and column,
   for each link {column, to, field} of `model`: a relationships test for all of them. #}
{%- for link in links %}
select '{{ link.column }}' as column_name, {{ link.column }}::varchar as missing_value
from {{ model }}
where {{ link.column }} is not null and {{ link.column }} not in (
    select {{ link.field }} from {{ link.to }} where {{ link.field }} is not null)
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}
-- noqa: enable=LT02
