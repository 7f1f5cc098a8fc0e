-- Every submitted version of every organisation decision, oldest first.
{{ decision_history(ref('stg_org_discipline_versions'),
                    ['deciding_unit_code', 'decision_ref', 'target_unit_code']) }}
