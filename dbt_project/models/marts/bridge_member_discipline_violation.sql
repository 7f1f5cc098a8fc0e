-- One row per (decision, member, violation category): a decision with two categories counts
-- once in each category (and once in the total, from fct_member_discipline).
select
    deciding_unit_code,
    decision_ref,
    member_key,
    unnest(violation_categories) as violation_category
from {{ ref('fct_member_discipline') }}
