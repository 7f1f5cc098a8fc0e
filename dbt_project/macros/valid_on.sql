{#
  A dated row falls inside a validity period: valid_from inclusive, valid_to exclusive
  (open periods end on open_valid_to()). Used for "the unit as it was on that date".
#}
{% macro valid_on(period_alias, date_expr) -%}
    {{ date_expr }} >= {{ period_alias }}.valid_from and {{ date_expr }} < {{ period_alias }}.valid_to
{%- endmacro %}

{# The valid_to of a version still open (var open_valid_to). #}
{% macro open_valid_to() -%}
    date '{{ var("open_valid_to") }}'
{%- endmacro %}
