-- Every submitted version of every member decision, oldest first; `is_current` marks the one
-- fct_member_discipline shows. A revocation or amendment is a later version, never a deletion.
select
    versions.*,
    versions.version_number = max(versions.version_number) over (
        partition by versions.deciding_unit_code, versions.decision_ref, versions.member_key
    ) as is_current,
    files.path as source_file_path
from {{ ref('stg_member_discipline_versions') }} as versions
left join {{ source('audit', 'file_registry') }} as files on versions.source_file_id = files.file_id
