-- Published figures kept as reference data, in the shape of submitted aggregate reports.
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
    {% for column in ['authority_type', 'discipline_form', 'violation_category', 'channel'] %}
        list_sort(string_split({{ column }}, ';')) as {{ column }},
    {% endfor %}
    nullif(activity_ref, '') as activity_ref,
    value,
    coalesce(nullif(value_qualifier, ''), 'exact') as value_qualifier,
    coalesce(nullif(scope, ''), 'unit_and_below') as scope,
    as_of_date,
    note
from {{ ref('published_figures') }}
