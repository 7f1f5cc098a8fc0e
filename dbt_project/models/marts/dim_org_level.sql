-- The org_level vocabulary: canonical code with its English and Vietnamese labels.
select
    code,
    label_en,
    label_vi,
    depth
from {{ ref('vocab_org_level') }}
