"""The operator's view of the quarantine: every open rejection with its full reason and the
values as submitted (schema `restricted` of the working file, never published)."""

from __future__ import annotations

from kyluat import locking
from kyluat.config import Settings


def quarantine_report(settings: Settings, path_contains: str | None = None,
                      unit: str | None = None) -> list[str]:
    """`path:row: reason` (`path: reason` for a whole file) and the row's values, for each
    rejection not yet resolved, by file and row; `unit`: only rows whose submitted values name
    that unit in a unit-code column (what one submitting unit is sent back)."""
    if not settings.working_db.exists():
        return []
    con = locking.connect(settings.working_db, read_only=True)
    try:
        rows = con.execute("""
            select f.path, q.row_number, q.rule_codes, r.reason, r.raw_values::varchar
            from audit.quarantine q
            join audit.file_registry f on f.file_id = q.file_id
            left join restricted.quarantine r on r.file_id = q.file_id
                 and r.row_number is not distinct from q.row_number
            where q.resolved_at is null and (? is null or contains(f.path, ?))
              and (?::varchar is null or exists (
                  select 1 from unnest(json_keys(r.raw_values)) as keys(name)
                  where keys.name like '%unit_code'
                    and json_extract_string(r.raw_values, '$.' || keys.name) = ?))
            order by f.path, q.row_number nulls first
        """, [path_contains, path_contains, unit, unit]).fetchall()
    finally:
        con.close()
    lines = []
    for path, row, codes, reason, values in rows:
        where = path if row is None else f"{path}:{row}"
        lines.append(f"{where}: {reason} [{', '.join(codes or [])}]")
        if values:
            lines.append(f"    submitted: {values}")
    return lines
