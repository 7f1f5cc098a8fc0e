"""What a run has to do (kyluat/changes.py), on real files and a real DuckDB working file."""

from __future__ import annotations

import hashlib
import os
import time

import duckdb
import pytest

from kyluat.changes import project_fingerprint, what_changed
from kyluat.config import Settings
from kyluat.ingest import ensure_schema
from kyluat.landing import file_sha256, hash_landing


@pytest.fixture
def settings(tmp_path) -> Settings:
    settings = Settings.from_env(tmp_path / "landing", tmp_path / "warehouse")
    settings.warehouse_dir.mkdir()
    (settings.landing_dir / "memberships").mkdir(parents=True)
    return settings


def register(settings: Settings, path, kind: str | None, published: bool = True) -> None:
    """The registry row ingestion writes for `path`, then (optionally) a publication."""
    con = duckdb.connect(str(settings.working_db))
    try:
        ensure_schema(con)
        con.execute("insert into audit.file_registry (path, kind, sha256, registered_at) "
                    "values (?, ?, ?, now())",
                    [path.name, kind, file_sha256(path)])
        if published:
            con.execute("insert into audit.publications values ('r1', now(), ?)",
                        [project_fingerprint()])
    finally:
        con.close()
    settings.published_db.write_bytes(b"")
    duckdb.connect(str(settings.published_db.with_suffix(".tmp"))).close()
    os.replace(settings.published_db.with_suffix(".tmp"), settings.published_db)


def test_an_empty_warehouse_has_everything_to_do(settings):
    (settings.landing_dir / "memberships" / "m.csv").write_text("unit_code\nQNM\n")
    changes = what_changed(settings)
    assert changes.any and changes.new_files == ["memberships/m.csv"]
    assert changes.published_missing


def test_nothing_changed_after_a_publication(settings):
    path = settings.landing_dir / "memberships" / "m.csv"
    path.write_text("unit_code\nQNM\n")
    register(settings, path, "memberships")
    changes = what_changed(settings)
    assert not changes.any, changes.describe()
    assert changes.describe() == "nothing new since the last publication"


def test_new_content_unpublished_loads_requests_and_a_lost_published_file_are_work(settings):
    path = settings.landing_dir / "memberships" / "m.csv"
    path.write_text("unit_code\nQNM\n")
    register(settings, path, "memberships")
    assert what_changed(settings, requested="a full refresh").any

    path.write_text("unit_code\nQNM\nHNI\n")  # same name, new content
    assert what_changed(settings).new_files == ["memberships/m.csv"]

    copy = settings.landing_dir / "activities" / "m.csv"  # same content, another kind
    copy.parent.mkdir()
    copy.write_text("unit_code\nQNM\nHNI\n")
    register(settings, path, "memberships", published=False)
    changes = what_changed(settings)
    assert changes.new_files == ["activities/m.csv"] and changes.unpublished_files == 1

    settings.published_db.write_bytes(b"not a database")
    assert what_changed(settings).published_missing


def test_uploads_in_progress_are_not_looked_at(settings):
    (settings.landing_dir / "memberships" / "m.csv.part").write_text("x")
    (settings.landing_dir / "memberships" / "~$m.xlsx").write_text("x")
    assert what_changed(settings).new_files == []


def test_unchanged_files_are_not_hashed_again(settings):
    path = settings.landing_dir / "memberships" / "m.csv"
    path.write_text("unit_code\nQNM\n")
    stat = path.stat()
    stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
    # an index that claims another hash for the same size, times and inode is believed
    index = {"memberships/m.csv": [*stamp, "cached"]}
    assert hash_landing(settings.landing_dir, index)["memberships/m.csv"][-1] == "cached"
    # rewritten with the same size and its old modification time put back: the change time
    # moved, so the file is hashed again
    time.sleep(0.01)
    path.write_text("unit_code\nDNG\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert hash_landing(settings.landing_dir, index)["memberships/m.csv"][-1] == \
        hashlib.sha256(b"unit_code\nDNG\n").hexdigest()
    what_changed(settings)
    assert (settings.warehouse_dir / ".landing_index.json").exists()


def test_the_fingerprint_follows_the_project_files(tmp_path):
    for part in ("dbt_project/models", "data_quality", "kyluat", "orchestration"):
        (tmp_path / part).mkdir(parents=True)
    (tmp_path / "dbt_project" / "models" / "a.sql").write_text("select 1")
    first = project_fingerprint(tmp_path)
    assert project_fingerprint(tmp_path) == first
    (tmp_path / "dbt_project" / "models" / "a.sql").write_text("select 2")
    assert project_fingerprint(tmp_path) != first
