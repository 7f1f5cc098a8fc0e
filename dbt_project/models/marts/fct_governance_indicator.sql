-- Governance indicators (PAR_INDEX, SIPAS, PAPI, PCI and others), one row per unit, year and
-- indicator, current version.
select
    unit_code,
    year,
    indicator,
    rank,
    score,
    source_ref
from {{ ref('stg_governance_indicators') }}
