{#
  A dated row falls inside a validity period: valid_from inclusive, valid_to exclusive
  (open periods end on 9999-12-31). Used for "the unit as it was on that date".
#}
{% macro valid_on(period_alias, date_expr) -%}
    {{ date_expr }} >= {{ period_alias }}.valid_from and {{ date_expr }} < {{ period_alias }}.valid_to
{%- endmacro %}
