"""Key rotation: every member key of the working file re-keyed with a new key, in one
transaction (`kyluat rotate-key`).

Member ids are never stored, so a key cannot be recomputed from the ids: the new member key
is the HMAC of the new key over the old member key, and the new key is appended to the keys
(kyluat/pseudonym.py), so that files loaded later get the same keys as the rows loaded
before. The marts are then rebuilt from raw and published in full, so no published file
keeps a key of the old keys. In the DuckLake mode the working file is a cache of the working
catalog (kyluat/working_catalog.py): the re-key then takes the run lock, brings the file up to
the catalog first and writes it back after, as a run does, so that it works on every worker's
rows and no worker's next run undoes it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kyluat import locking
from kyluat.config import Settings
from kyluat.contract import KINDS, ColumnType
from kyluat.ingest import ensure_schema
from kyluat.pseudonym import (
    KEY_TABLE,
    PseudonymKeyError,
    check_warehouse_key,
    hmac_sql,
    key_digest,
    run_keys,
)


@dataclass(frozen=True)
class Rotation:
    key_file: Path
    rekeyed: int  # member keys rewritten, loaded and quarantined


def member_key_columns() -> list[tuple[str, str]]:
    """(kind, stored column) of every member key the contract stores."""
    return [(kind.name, c.stored_name) for kind in KINDS.values() for c in kind.columns
            if c.type is ColumnType.MEMBER_ID]


def rotate_key(settings: Settings, key_file: Path) -> Rotation:
    """Re-key the working file with a new random key; `key_file` (new, mode 600) receives
    the current keys and the new one. The caller rebuilds and publishes afterwards."""
    with _shared_working_state(settings):
        return _rotate(settings, key_file)


@contextmanager
def _shared_working_state(settings: Settings) -> Iterator[None]:
    """In the DuckLake mode: the run lock held, the working file brought up to the working
    catalog before and written back after. Nothing in the file mode."""
    if settings.lake is None:
        yield
        return
    from kyluat import working_catalog
    from kyluat.lake import run_lock

    with run_lock(settings.lake, holder="rotate-key"), working_catalog.mirrored(
            settings.working_db, settings.lake, "rotate-key"):
        yield


def _rotate(settings: Settings, key_file: Path) -> Rotation:
    keys = run_keys(settings.landing_dir)
    if key_file.exists():
        raise PseudonymKeyError(f"{key_file} exists: name a new file for the rotated keys")
    if not settings.working_db.exists():
        raise PseudonymKeyError(f"no working warehouse at {settings.working_db}: nothing to "
                                "re-key")
    new = secrets.token_hex(32).encode()
    rotated = (*keys, new)
    staged = key_file.with_name(f".{key_file.name}.tmp")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("".join(k.decode("utf-8") + "\n" for k in rotated))
    rekeyed = 0
    try:
        with locking.writer_lock(settings.working_db, "rotate-key"):
            con = locking.connect(settings.working_db)
            try:
                ensure_schema(con)
                check_warehouse_key(con, keys)
                con.execute("begin transaction")
                for kind, column in member_key_columns():
                    rekeyed += con.execute(
                        f"update raw.{kind} set {column} = {hmac_sql(column, new)} "
                        f"where {column} is not null").fetchone()[0]
                    value = f"raw_values->>'{column}'"
                    rekeyed += con.execute(
                        f"update restricted.quarantine set raw_values = json_merge_patch("
                        f"raw_values, json_object('{column}', {hmac_sql(value, new)})) "
                        f"where kind = ? and {value} is not null", [kind]).fetchone()[0]
                con.execute(f"update {KEY_TABLE} set digest = ?, recorded_at = now()",
                            [key_digest(rotated)])
                # The new keys are in place before the commit: killed in between, the
                # warehouse keeps the old keys, which the old key file still holds.
                os.replace(staged, key_file)
                con.execute("commit")
            finally:
                con.close()
    except BaseException:
        staged.unlink(missing_ok=True)
        key_file.unlink(missing_ok=True)
        raise
    return Rotation(key_file, rekeyed)
