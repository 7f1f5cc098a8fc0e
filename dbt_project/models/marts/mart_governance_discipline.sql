-- Question: how do a province's governance rankings compare with its discipline figures in
-- the same year? One row per unit and year that has any governance indicator.
with indicators as (
    select
        unit_code,
        year,
        max(rank) filter (where indicator = 'PAR_INDEX') as par_index_rank,
        max(score) filter (where indicator = 'PAR_INDEX') as par_index_score,
        max(rank) filter (where indicator = 'SIPAS') as sipas_rank,
        max(score) filter (where indicator = 'SIPAS') as sipas_score,
        max(rank) filter (where indicator = 'PAPI') as papi_rank,
        max(score) filter (where indicator = 'PAPI') as papi_score,
        max(rank) filter (where indicator = 'PCI') as pci_rank,
        max(score) filter (where indicator = 'PCI') as pci_score
    from {{ ref('stg_governance_indicators') }}
    group by unit_code, year
)

select
    indicators.*,
    discipline.members_disciplined,
    discipline.orgs_disciplined,
    discipline.members_disciplined_per_1000
from indicators
left join {{ ref('mart_discipline_unit_year') }} as discipline
    on
        discipline.structure = 'as_of'
        and indicators.unit_code = discipline.unit_code
        and indicators.year = discipline.decision_year
