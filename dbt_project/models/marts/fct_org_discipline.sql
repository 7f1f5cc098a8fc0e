-- One row per (decision, organisation disciplined), current version; revoked ones flagged.
-- depends_on: {{ source('raw', 'org_disciplines') }}
{{ config(
    materialized='incremental',
    tags=['by_year'],
    pre_hook="{{ delete_rebuild_years('decision_year') }}",
) }}

select
    decisions.deciding_unit_code,
    decisions.decision_ref,
    decisions.target_unit_code,
    decisions.authority_type,
    decisions.discipline_form,
    decisions.decision_date,
    year(decisions.decision_date) as decision_year,
    decisions.channel,
    decisions.violation_categories,
    decisions.activity_ref,
    decisions.status,
    decisions.status <> 'revoked' as counts_in_totals,
    deciding_unit.level as deciding_unit_level,
    decisions.source_file_id
from {{ staged_for_rebuild_years('org_disciplines', 'year(decision_date)') }} as decisions
left join {{ ref('stg_org_units') }} as deciding_unit
    on
        decisions.deciding_unit_code = deciding_unit.unit_code
        and {{ valid_on('deciding_unit', 'decisions.decision_date') }}
where {{ in_rebuild_years('year(decisions.decision_date)') }}
