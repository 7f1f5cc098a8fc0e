{# The counts of the inspection funnel that activities carry, from inspected to required. #}
{% macro funnel_steps() -%}
    {{ return(['members_inspected', 'orgs_inspected', 'members_in_violation',
               'orgs_in_violation', 'members_discipline_required',
               'orgs_discipline_required']) }}
{%- endmacro %}

{# Each funnel step summed under its own name (in a select list that groups). #}
{% macro sum_funnel_steps() -%}
    {%- for step in funnel_steps() %}
        sum({{ step }})::bigint as {{ step }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
