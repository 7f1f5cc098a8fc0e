"""Member ids become keyed HMAC-SHA256 digests before anything is stored (CONTRACT §2)."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

DEVELOPMENT_KEY = "kyluat-development-key-not-for-production"
_BLOCK = 64  # SHA-256 block size


def pseudonym_key() -> bytes:
    key = os.environ.get("KYLUAT_PSEUDONYM_KEY")
    if not key:
        log.warning("KYLUAT_PSEUDONYM_KEY is not set: member keys use the fixed DEVELOPMENT key. "
                    "Never load real submissions this way.")
        key = DEVELOPMENT_KEY
    return key.encode("utf-8")


def normalize_member_id_sql(expr: str) -> str:
    """Ids typed with other case or spacing mean the same member."""
    return f"upper(regexp_replace({expr}, '\\s+', '', 'g'))"


def hmac_sql(expr: str, key: bytes) -> str:
    """SQL for HMAC-SHA256(key, expr) as lowercase hex, evaluated by DuckDB over whole columns."""
    if len(key) > _BLOCK:
        import hashlib
        key = hashlib.sha256(key).digest()
    block = key.ljust(_BLOCK, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in block).hex()
    outer_pad = bytes(b ^ 0x5C for b in block).hex()
    inner = f"unhex(sha256(unhex('{inner_pad}') || encode({expr})))"
    return f"sha256(unhex('{outer_pad}') || {inner})"
