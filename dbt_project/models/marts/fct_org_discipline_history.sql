-- Every submitted version of every organisation decision, oldest first.
-- depends_on: {{ ref('stg_org_discipline_versions') }} {{ source('raw', 'org_disciplines') }}
{{ config(
    materialized='incremental',
    tags=['by_year'],
    pre_hook="{{ delete_rebuild_years('year(decision_date)') }}",
) }}

{{ decision_history_for_rebuild_years(
    'stg_org_discipline_versions',
    source('raw', 'org_disciplines'),
    ['deciding_unit_code', 'decision_ref', 'target_unit_code']) }}
