-- Every version of every member decision, in submission order, with the file it came from.
{{ decision_versions(source('raw', 'member_disciplines'),
                     ['deciding_unit_code', 'decision_ref', 'member_key']) }}
