"""What a run has to do: nothing at all when nothing changed since the last publication.

A run has work when any of these holds:

- a finished landing file has a content (sha256) the registry does not hold for its kind;
- a file was registered after the last publication (a run that loaded but did not publish);
- the project (models, seeds, suites, code) differs from the one that published last;
- there is no published file, or it cannot be opened;
- the run asks for it: a backfill's years or a full refresh.

Which entries of the landing folder count, and when a file is hashed again, is
kyluat/landing.py's to say (`indexed_identities`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from kyluat.config import REPO_ROOT, Settings
from kyluat.landing import indexed_identities
from kyluat.locking import connect

FINGERPRINTED = ("dbt_project/models", "dbt_project/macros", "dbt_project/seeds",
                 "dbt_project/tests", "dbt_project/dbt_project.yml", "data_quality", "kyluat",
                 "orchestration")
"""What a publication is built from: a change in any of these is work for the next run."""


@dataclass
class Changes:
    new_files: list[str] = field(default_factory=list)
    unpublished_files: int = 0
    project_changed: bool = False
    published_missing: bool = False
    requested: str | None = None  # a backfill or full refresh

    @property
    def any(self) -> bool:
        return bool(self.new_files or self.unpublished_files or self.project_changed
                     or self.published_missing or self.requested)

    def describe(self) -> str:
        parts = []
        if self.new_files:
            parts.append(f"{len(self.new_files)} new file(s)")
        if self.unpublished_files:
            parts.append(f"{self.unpublished_files} file(s) loaded but not yet published")
        if self.project_changed:
            parts.append("the models, seeds or checks changed since the last publication")
        if self.published_missing:
            parts.append("no readable published file")
        if self.requested:
            parts.append(self.requested)
        return "; ".join(parts) or "nothing new since the last publication"


def project_fingerprint(root: Path = REPO_ROOT) -> str:
    """sha256 over the names and contents of every file a publication is built from."""
    digest = hashlib.sha256()
    for part in FINGERPRINTED:
        base = root / part
        paths = [base] if base.is_file() else sorted(
            p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in paths:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def published_problem(published_db: Path) -> str | None:
    """Why the published file cannot be read (not a DuckDB file, truncated, damaged), or None
    when it reads or does not exist: it is opened and each of its marts counted."""
    if not published_db.exists():
        return None
    try:
        con = duckdb.connect(str(published_db), read_only=True)
        try:
            for (name,) in con.execute("select table_name from duckdb_tables() "
                                       "where schema_name = 'marts'").fetchall():
                con.execute(f'select count(*) from marts."{name}"').fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def set_aside_unreadable(published_db: Path) -> Path:
    """Move an unreadable published file out of the way, kept for inspection; the run then
    publishes a new one from the working warehouse."""
    aside = published_db.with_name(
        f"{published_db.name}.unreadable-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
    os.replace(published_db, aside)
    return aside


def what_changed(settings: Settings, requested: str | None = None) -> Changes:
    """What the next run on `settings` would have to do (see the module docstring)."""
    changes = Changes(requested=requested)
    hashed = indexed_identities(settings.landing_dir, settings.warehouse_dir)
    if not settings.working_db.exists():
        changes.new_files = sorted(hashed)
        changes.published_missing = True
        return changes
    con = connect(settings.working_db, read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'audit'").fetchall()}
        if not {"file_registry", "publications"} <= tables:
            changes.new_files = sorted(hashed)
            changes.published_missing = True
            return changes
        registered = {(sha, kind or "") for sha, kind in con.execute(
            "select sha256, kind from audit.file_registry").fetchall()}
        known_contents = {sha for sha, _ in registered}
        for relative, (*_, sha) in hashed.items():
            kind = relative.split("/", 1)[0] if "/" in relative else None
            if (kind is not None and (sha, kind) not in registered) or (
                    kind is None and sha not in known_contents):
                changes.new_files.append(relative)
        last = con.execute("select published_at, fingerprint from audit.publications "
                           "order by published_at desc limit 1").fetchone()
        if last is None:
            changes.published_missing = True
            return changes
        changes.unpublished_files = con.execute(
            "select count(*) from audit.file_registry where registered_at > ?",
            [last[0]]).fetchone()[0]
        changes.project_changed = last[1] != project_fingerprint()
    finally:
        con.close()
    changes.published_missing = not settings.published_db.exists() or published_problem(
        settings.published_db) is not None
    return changes
