-- Each current activity once per unit it counts under (conducting unit and its ancestors on
-- the start date), with its contribution to each step of the inspection funnel. Rebuilt by
-- activity (macro in_rebuild_activities): decisions change none of these columns. Its rows
-- come in fct_activity's order, by start date (a sort of its own would cost more than the
-- rest of the build of this table).
-- depends_on: {{ ref('int_activities_to_rebuild') }}
{{ config(
    materialized='incremental',
    tags=['by_activity'],
    pre_hook="{{ delete_rebuild_activities(changed_itself=true) }}",
) }}

select
    ancestry.ancestor_code as scope_unit_code,
    ancestry.distance as scope_distance,
    activities.conducting_unit_code,
    activities.activity_ref,
    activities.authority_type,
    activities.activity_type,
    activities.channel,
    activities.subject_kind,
    activities.start_date,
    activities.members_inspected,
    activities.orgs_inspected,
    activities.members_in_violation,
    activities.orgs_in_violation,
    activities.members_discipline_required,
    activities.orgs_discipline_required
from {{ ref('fct_activity') }} as activities
inner join {{ ref('int_org_unit_ancestry') }} as ancestry
    on
        activities.conducting_unit_code = ancestry.unit_code
        and {{ valid_on('ancestry', 'activities.start_date') }}
where {{ in_rebuild_activities('activities', changed_itself=true) }}
