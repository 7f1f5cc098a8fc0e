"""Member ids become keyed HMAC-SHA256 digests before anything is stored (CONTRACT §2).

The key is the operator's secret: `KYLUAT_PSEUDONYM_KEY`, or the file named by
`KYLUAT_PSEUDONYM_KEY_FILE`. It may hold several keys, one a line, oldest first: after a
rotation (`kyluat rotate-key`) a member key is the HMAC of the newest key over the key of the
one before, so whoever knows an older key (a leaked one, or the public development key) and
a member's card number still cannot compute the member's key. The development key is
accepted only for the bundled synthetic sample, byte for byte; the warehouse records a digest
of the key it was keyed with (never the key) and refuses another.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

DEVELOPMENT_KEY = "kyluat-development-key-not-for-production"
_BLOCK = 64  # SHA-256 block size

HOW_TO_MAKE_ONE = ("make one with `python3 -c 'import secrets; print(secrets.token_hex(32))' "
                   "> pseudonym.key; chmod 600 pseudonym.key` and set "
                   "KYLUAT_PSEUDONYM_KEY_FILE=pseudonym.key (docs/hostile_input.md)")


class PseudonymKeyError(Exception):
    """No usable key, or not the warehouse's key: one line saying what to do."""


Keys = tuple[bytes, ...]


def configured_keys(key_file: Path | None = None) -> Keys | None:
    """The keys of `key_file` when given, else of KYLUAT_PSEUDONYM_KEY or
    KYLUAT_PSEUDONYM_KEY_FILE, oldest first; None when none is set."""
    text = None if key_file else os.environ.get("KYLUAT_PSEUDONYM_KEY")
    source = "KYLUAT_PSEUDONYM_KEY"
    if not text and (key_file or os.environ.get("KYLUAT_PSEUDONYM_KEY_FILE")):
        path = Path(key_file or os.environ["KYLUAT_PSEUDONYM_KEY_FILE"])
        source = f"the key file {path}"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PseudonymKeyError(f"KYLUAT_PSEUDONYM_KEY_FILE: cannot read {path} "
                            f"({exc.strerror}); {HOW_TO_MAKE_ONE}") from exc
    if not text:
        return None
    keys = tuple(line.strip().encode("utf-8") for line in text.splitlines() if line.strip())
    if not keys:
        raise PseudonymKeyError(f"{source} holds no key; {HOW_TO_MAKE_ONE}")
    return keys


def landing_is_bundled_sample(landing_dir: Path) -> bool:
    """The landing folder holds exactly the bundled sample's files, byte for byte."""
    from kyluat.config import SAMPLE_LANDING
    from kyluat.landing import entries, identity

    def listing(folder: Path) -> dict[str, int]:
        return {e.relative: e.size_bytes for e in entries(folder) if e.refused is None}

    found, sample = entries(landing_dir), listing(SAMPLE_LANDING)
    if {e.relative: e.size_bytes for e in found} != sample or any(e.refused for e in found):
        return False
    return all(identity(e) == identity(s) for e, s in zip(
        found, entries(SAMPLE_LANDING), strict=True))


def run_keys(landing_dir: Path, key_file: Path | None = None) -> Keys:
    """The keys a run on `landing_dir` uses (those of `key_file` when given); raises
    PseudonymKeyError when there is none it may use."""
    keys = configured_keys(key_file)
    if keys == (DEVELOPMENT_KEY.encode(),) or keys is None:
        if not landing_is_bundled_sample(landing_dir):
            why = ("the development key is public" if keys else "no pseudonym key is set")
            raise PseudonymKeyError(
                f"{why}, and {landing_dir} is not the bundled sample: real submissions need "
                f"a key of your own; {HOW_TO_MAKE_ONE}")
        log.warning("member keys use the public DEVELOPMENT key: accepted for the bundled "
                    "synthetic sample only")
        return (DEVELOPMENT_KEY.encode(),)
    return keys


def key_digest(keys: Keys) -> str:
    """Names the keys without revealing them: recorded in the warehouse to refuse another."""
    return hashlib.sha256(b"kyluat pseudonym key digest\0" + b"\n".join(keys)).hexdigest()


KEY_TABLE = "restricted.pseudonym_key"


def check_warehouse_key(con, keys: Keys, record: bool = True) -> None:
    """Refuse keys other than those the warehouse on `con` was keyed with; a warehouse that
    has none recorded records these (`record`)."""
    recorded = con.execute(f"select digest from {KEY_TABLE}").fetchone()
    digest = key_digest(keys)
    if recorded is None:
        if record:
            con.execute(f"insert into {KEY_TABLE} values (?, now())", [digest])
        return
    if recorded[0] != digest:
        raise PseudonymKeyError(
            f"this pseudonym key is not the one the warehouse was keyed with (digest "
            f"{recorded[0][:12]}, this key's {digest[:12]}): set the warehouse's key, or "
            "re-key the warehouse with kyluat rotate-key")


def normalize_member_id_sql(expr: str) -> str:
    """Ids typed with other case or spacing mean the same member."""
    return f"upper(regexp_replace({expr}, '\\s+', '', 'g'))"


def member_key_sql(expr: str, keys: Keys) -> str:
    """SQL of the member key of id `expr`: the HMAC of each key in turn, oldest first."""
    for key in keys:
        expr = hmac_sql(expr, key)
    return expr


def hmac_sql(expr: str, key: bytes) -> str:
    """SQL for HMAC-SHA256(key, expr) as lowercase hex, evaluated by DuckDB over whole columns."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    block = key.ljust(_BLOCK, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in block).hex()
    outer_pad = bytes(b ^ 0x5C for b in block).hex()
    inner = f"unhex(sha256(unhex('{inner_pad}') || encode({expr})))"
    return f"sha256(unhex('{outer_pad}') || {inner})"
