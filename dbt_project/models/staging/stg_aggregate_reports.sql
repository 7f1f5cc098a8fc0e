-- Every vintage of every submitted aggregate figure; the latest as_of_date (then the latest
-- file) is the current one.
select
    reporting_unit_code,
    period_start,
    period_end,
    measure,
    authority_type,
    subject_kind,
    discipline_form,
    violation_category,
    channel,
    source_ref,
    value,
    value_qualifier,
    scope,
    as_of_date,
    source_title,
    row_number() over (
        partition by
            reporting_unit_code, period_start, period_end, measure, authority_type,
            subject_kind, discipline_form, violation_category, channel, source_ref
        order by as_of_date desc nulls last, _file_id desc, _row_number desc
    ) = 1 as is_current_vintage,
    _file_id as source_file_id
from {{ source('raw', 'aggregate_reports') }}
