-- One row that changes whenever raw.org_units does: its row count (raw is append-only, so
-- any new unit version raises it) and the sum of a hash of every row (any other change).
-- The unit-tree models compare it with the one they were built from (macros/unit_tree.sql).
select
    count(*) as row_count,
    coalesce(sum(hash(units)::hugeint), 0) as row_hash_sum  -- the whole row, hashed
from {{ source('raw', 'org_units') }} as units  -- noqa: AL05
