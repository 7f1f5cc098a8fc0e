-- Every submitted version of every member decision, oldest first; `is_current` marks the one
-- fct_member_discipline shows. A revocation or amendment is a later version, never a deletion.
{{ decision_history(ref('stg_member_discipline_versions'),
                    ['deciding_unit_code', 'decision_ref', 'member_key']) }}
