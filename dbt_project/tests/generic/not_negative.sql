{% test not_negative(model, column_name) %}
    {# Rows whose count is negative; counts in the warehouse never are. #}
select {{ column_name }}, count(*) as occurrences
from {{ model }}
where {{ column_name }} < 0
group by {{ column_name }}
{% endtest %}
