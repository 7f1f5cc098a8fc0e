-- Each current decision (on a member or an organisation) once per unit it counts under, in
-- two structures:
--   as_of    the deciding unit and its ancestors on the decision date (the tree as it was);
--   current  the unit that carries the deciding unit today and its ancestors today.
-- Counting rows per (structure, scope unit) counts each decision once at every level,
-- however many levels reported it. scope_distance 0 is the deciding unit itself (on
-- current: the unit or a predecessor at the same level, int_org_unit_current_rollup).
-- Rebuilt by decision (macro in_rebuild_decisions), kept in decision-date order, which the
-- marts' year filters use.
-- depends_on: {{ ref('int_decisions_to_rebuild') }}
{{ config(
    materialized='incremental',
    tags=['by_decision'],
    order_rows_by='decision_date',
    pre_hook="{{ delete_rebuild_decision_scopes() }}",
) }}

with decisions as (
    select
        {{ decision_key_columns('member') }},
        authority_type,
        discipline_form,
        decision_date,
        channel,
        violation_categories,
        activity_ref,
        is_committee_member,
        counts_in_totals
    from {{ ref('fct_member_discipline') }}
    where {{ in_rebuild_decisions('member') }}
    union all
    select
        {{ decision_key_columns('organization') }},
        authority_type,
        discipline_form,
        decision_date,
        channel,
        violation_categories,
        activity_ref,
        false as is_committee_member,
        counts_in_totals
    from {{ ref('fct_org_discipline') }}
    where {{ in_rebuild_decisions('organization') }}
)

select
    'as_of' as structure,
    ancestry.ancestor_code as scope_unit_code,
    ancestry.distance as scope_distance,
    decisions.*
from decisions
inner join {{ ref('int_org_unit_ancestry') }} as ancestry
    on
        decisions.deciding_unit_code = ancestry.unit_code
        and {{ valid_on('ancestry', 'decisions.decision_date') }}
union all
select
    'current' as structure,
    rollup.ancestor_code as scope_unit_code,
    rollup.scope_distance,
    decisions.*
from decisions
inner join {{ ref('int_org_unit_current_rollup') }} as rollup
    on decisions.deciding_unit_code = rollup.unit_code
