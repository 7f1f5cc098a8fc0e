-- The discipline_form vocabulary: canonical code with its English and Vietnamese labels.
select
    code,
    label_en,
    label_vi,
    applies_to_member,
    applies_to_org,
    allowed_for_probationary,
    severity_rank
from {{ ref('vocab_discipline_form') }}
