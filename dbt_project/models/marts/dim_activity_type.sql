-- The activity_type vocabulary: canonical code with its English and Vietnamese labels.
select
    code,
    label_en,
    label_vi,
    channel
from {{ ref('vocab_activity_type') }}
