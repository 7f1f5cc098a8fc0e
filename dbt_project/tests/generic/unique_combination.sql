{% test unique_combination(model, columns) %}
{# Rows sharing the same combination of `columns`; every failing key is returned. #}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
