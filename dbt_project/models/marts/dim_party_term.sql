-- Party terms (provincial congress cycle); start inclusive, end exclusive.
select
    term_code,
    label_en,
    label_vi,
    start_date,
    end_date,
    note
from {{ ref('party_terms') }}
