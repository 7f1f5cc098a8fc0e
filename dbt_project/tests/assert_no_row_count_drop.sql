{{ config(meta={'dagster': {'ref': {'name': 'fct_member_discipline'}}}) }}
-- Facts and history are append-only: a table that would publish fewer rows than the file
-- analysts read now (by more than var('max_row_count_drop')) lost rows on the way.
-- audit.published_row_counts is captured from the published file when a run starts.
{% set guarded = ['fct_member_discipline', 'fct_member_discipline_history', 'fct_org_discipline',
                  'fct_activity', 'dim_org_unit'] %}
with current_counts as (
    {% for model in guarded %}
        select
            '{{ model }}' as table_name,
            count(*) as current_rows
        from {{ ref(model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    published.table_name,
    published.row_count as published_rows,
    current_counts.current_rows,
    round(1 - current_counts.current_rows / published.row_count, 4) as drop_share
from {{ source('audit', 'published_row_counts') }} as published
inner join current_counts on published.table_name = current_counts.table_name
where
    published.row_count > 0
    and current_counts.current_rows
    < published.row_count * (1 - {{ var('max_row_count_drop') }})
