{#
  A figure's filter (a list of codes, or ['all']) admits a record's value.
  For list-valued record columns (violation categories) any overlap admits the record,
  so a decision with two matching categories still counts once.
#}
{% macro filter_admits(filter_column, record_column, record_is_list=false) -%}
    (list_contains({{ filter_column }}, 'all') or
 {% if record_is_list %}list_has_any({{ filter_column }}, {{ record_column }})
 {% else %}list_contains({{ filter_column }}, {{ record_column }}){% endif %})
{%- endmacro %}
