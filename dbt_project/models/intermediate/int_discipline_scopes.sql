-- Each current decision (on a member or an organisation) once per unit it counts under:
-- its deciding unit and every ancestor of that unit on the decision date. Counting rows per
-- scope unit counts each decision once at every level, however many levels reported it.
with decisions as (
    select
        'member' as subject_kind, deciding_unit_code, decision_ref, member_key as subject_key,
        authority_type, discipline_form, decision_date, channel, violation_categories,
        activity_ref, counts_in_totals
    from {{ ref('fct_member_discipline') }}
    union all
    select
        'organization', deciding_unit_code, decision_ref, target_unit_code,
        authority_type, discipline_form, decision_date, channel, violation_categories,
        activity_ref, counts_in_totals
    from {{ ref('fct_org_discipline') }}
)

select
    ancestry.ancestor_code as scope_unit_code,
    ancestry.distance as scope_distance,
    decisions.*
from decisions
inner join {{ ref('int_org_unit_ancestry') }} as ancestry
    on ancestry.unit_code = decisions.deciding_unit_code
    and decisions.decision_date >= ancestry.valid_from
    and decisions.decision_date < ancestry.valid_to
