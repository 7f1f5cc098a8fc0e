-- Every submitted version of every organisation decision, oldest first.
select
    versions.*,
    versions.version_number = max(versions.version_number) over (
        partition by versions.deciding_unit_code, versions.decision_ref, versions.target_unit_code
    ) as is_current,
    files.path as source_file_path
from {{ ref('stg_org_discipline_versions') }} as versions
left join {{ source('audit', 'file_registry') }} as files on versions.source_file_id = files.file_id
