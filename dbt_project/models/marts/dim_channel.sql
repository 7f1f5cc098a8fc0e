-- The channel vocabulary: canonical code with its English and Vietnamese labels.
select
    code,
    label_en,
    label_vi
from {{ ref('vocab_channel') }}
