-- Question: how many were disciplined per party term (2015-2020, 2020-2025, 2025-2030), per
-- unit (all levels under it) and authority? Terms follow the provincial congress cycle
-- (reference seed party_terms; start inclusive, end exclusive). A run rebuilds the terms
-- of its reporting years (macro in_rebuild_terms).
{{ config(
    materialized='incremental',
    pre_hook="{{ delete_rebuild_terms('term_code') }}",
) }}

select
    scopes.structure,
    scopes.scope_unit_code as unit_code,
    terms.term_code,
    scopes.authority_type,
    count(*) filter (where scopes.subject_kind = 'member') as members_disciplined,
    count(distinct scopes.subject_key) filter (where scopes.subject_kind = 'member')
        as distinct_members_disciplined,
    count(*) filter (where scopes.subject_kind = 'organization') as orgs_disciplined
from {{ ref('scoped_discipline') }} as scopes
inner join {{ ref('party_terms') }} as terms
    on scopes.decision_date >= terms.start_date and scopes.decision_date < terms.end_date
where scopes.counts_in_totals and {{ in_rebuild_terms('terms.term_code') }}
group by all
