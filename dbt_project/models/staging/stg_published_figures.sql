-- Figures published about the data (submitted as published_figures files, e.g. with the
-- bundled sample): the current version of each figure. A warehouse holds only the figures
-- submitted to it.
with current_rows as (
    {{ current_version(source('raw', 'published_figures'), ['figure_id']) }}
)

select
    figure_id,
    source_ref,
    source_title,
    speaker,
    reporting_unit_code,
    period_start,
    period_end,
    measure,
    subject_kind,
    authority_type,
    discipline_form,
    violation_category,
    channel,
    activity_ref,
    value,
    value_qualifier,
    scope,
    as_of_date,
    note
from current_rows
