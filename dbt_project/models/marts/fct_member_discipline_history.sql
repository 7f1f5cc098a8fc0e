-- Every submitted version of every member decision, oldest first; `is_current` marks the one
-- fct_member_discipline shows. A revocation or amendment is a later version, never a deletion.
-- depends_on: {{ ref('stg_member_discipline_versions') }} {{ source('raw', 'member_disciplines') }}
{{ config(
    materialized='incremental',
    tags=['by_year'],
    pre_hook="{{ delete_rebuild_years('year(decision_date)') }}",
) }}

{{ decision_history_for_rebuild_years(
    'stg_member_discipline_versions',
    source('raw', 'member_disciplines'),
    ['deciding_unit_code', 'decision_ref', 'member_key']) }}
