-- Every version of every organisation decision, in submission order.
{{ decision_versions(source('raw', 'org_disciplines'),
                     ['deciding_unit_code', 'decision_ref', 'target_unit_code']) }}
