-- noqa: disable=LT02
{% test references(model, links) %}
{# Each value of a column that its referenced table does not hold, once per column, for each
   link {column, to, field} of `model`: a relationships test for all of them, which reads
   `model` (often the rows a build rebuilt, a filter of its own) once. #}
with checked as materialized (
    select distinct {{ links | map(attribute='column') | unique | join(', ') }}
    from {{ model }}
)
{%- for link in links %}
select distinct '{{ link.column }}' as column_name, {{ link.column }}::varchar as missing_value
from checked
where {{ link.column }} is not null and {{ link.column }} not in (
    select {{ link.field }} from {{ link.to }} where {{ link.field }} is not null)
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{% endtest %}
-- noqa: enable=LT02
