{#
  The unit-tree models (ancestry, current map and roll-up, and their bridges) are functions
  of stg_org_units alone, that is of raw.org_units, which changes only when a unit file
  arrives. They are incremental: each keeps beside it (schema intermediate,
  `<model>__tree_input`) the fingerprint of raw.org_units it was built from
  (int_org_unit_input_fingerprint), and a run rebuilds it whole only when the fingerprint
  differs; otherwise the table is left as it is. A first build, a full refresh or a missing
  fingerprint rebuilds. A change to the SQL of these models needs `kyluat run --full-refresh`,
  as for every incremental model.
#}

{% macro unit_tree_input() -%}
    {{ return(api.Relation.create(database=this.database, schema='intermediate',
                                  identifier=this.identifier ~ '__tree_input')) }}
{%- endmacro %}

{# True (rebuild) or false (keep), decided when the model runs. #}
{% macro unit_tree_changed() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set kept = adapter.get_relation(database=this.database, schema='intermediate',
                                        identifier=this.identifier ~ '__tree_input') -%}
    {%- if kept is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set fingerprint = ref('int_org_unit_input_fingerprint') -%}
    {%- if adapter.get_columns_in_relation(kept) | map(attribute='name') | list
          != adapter.get_columns_in_relation(fingerprint) | map(attribute='name') | list -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set differing -%}
        select count(*) from (
            select * from {{ fingerprint }}
            except
            select * from {{ kept }}
        )
    {%- endset -%}
    {{ return(run_query(differing).columns[0].values()[0] > 0) }}
{%- endmacro %}

{# The filter of the model's select: every row when the tree changed, none otherwise. #}
{% macro when_unit_tree_changed() -%}
    {{ 'true' if unit_tree_changed() else 'false' }}
{%- endmacro %}

{# pre_hook: a rebuild replaces every row. #}
{% macro delete_if_unit_tree_changed() -%}
    {%- if is_incremental() and unit_tree_changed() -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{# post_hook: keep the fingerprint a rebuild used, for the next run's comparison. #}
{% macro keep_unit_tree_input() -%}
    {%- if unit_tree_changed() -%}
        create or replace table {{ unit_tree_input() }} as
        select * from {{ ref('int_org_unit_input_fingerprint') }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
