"""The landing folder: which of its entries are submissions, and what each one is.

Only regular files inside the landing folder are read. A symbolic link (to a file or a
folder, wherever it points) and anything that is not a regular file (a pipe, a socket, a
device) is an entry too, refused with its reason and never opened: a link could otherwise
make the pipeline read, and publish, any file its user can read. An upload in progress
(a part of its path starts with `.` or `~$`, or ends with `.tmp` or `.part`) is not an entry
yet.

A file's identity is the sha256 of its content; a refused entry's is derived from its path,
so that it is registered once. Identities are kept in `<warehouse>/.landing_index.json` (a
cache; without it every file is hashed) and believed while a file's size, modification time,
change time and inode stay as they were: rewriting a file, even with its old modification
time put back, moves its change time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from kyluat.contract import is_in_progress
from kyluat.rules import public_reason

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
INDEX_NAME = ".landing_index.json"



@dataclass(frozen=True)
class Entry:
    relative: str          # path relative to the landing folder, with /
    path: Path
    size_bytes: int
    mtime_ns: int
    refused: str | None    # rule code of why it is never opened; None for a regular file
    changed_ns: int = 0    # st_ctime_ns: set by the system on any write, whatever mtime says
    inode: int = 0

    @property
    def stamp(self) -> list[int]:
        """What must stay the same for the entry's identity to be believed without hashing."""
        return [self.size_bytes, self.mtime_ns, self.changed_ns, self.inode]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def entries(landing_dir: Path) -> list[Entry]:
    """Every finished entry under `landing_dir`, sorted by path; links are not followed."""
    found: list[Entry] = []
    if not landing_dir.is_dir():
        return found
    for folder, dirs, files in os.walk(landing_dir, followlinks=False):
        base = Path(folder)
        for name in sorted(dirs):
            if (base / name).is_symlink():  # os.walk lists it but does not descend into it
                files.append(name)
        dirs[:] = [d for d in dirs if not (base / d).is_symlink()]
        for name in files:
            path = base / name
            relative = path.relative_to(landing_dir)
            if any(is_in_progress(part) for part in relative.parts):
                log.info("skipping %s: upload in progress", relative)
                continue
            try:
                info = path.lstat()
            except FileNotFoundError:  # deleted or renamed while we looked
                continue
            refused = ("symlink" if stat.S_ISLNK(info.st_mode) else
                       None if stat.S_ISREG(info.st_mode) else "not_regular_file")
            found.append(Entry(relative.as_posix(), path, info.st_size if refused is None
                               else 0, info.st_mtime_ns, refused, info.st_ctime_ns,
                               info.st_ino))
    return sorted(found, key=lambda e: e.relative)


def identity(entry: Entry) -> str:
    """sha256 of a regular file's content; of the path and the refusal otherwise."""
    if entry.refused is None:
        return file_sha256(entry.path)
    reason = public_reason(entry.refused)
    return hashlib.sha256(f"refused\0{entry.relative}\0{reason}".encode()).hexdigest()


def hash_landing(landing_dir: Path, index: dict[str, list],
                 found: list[Entry] | None = None) -> dict[str, list]:
    """path -> [size, mtime_ns, ctime_ns, inode, identity] of every entry (of `found`, the
    entries already listed, when given); `index` (the same mapping from an earlier look)
    saves hashing the files that did not change."""
    hashed: dict[str, list] = {}
    for entry in entries(landing_dir) if found is None else found:
        known = index.get(entry.relative)
        if known and known[:-1] == entry.stamp:
            sha = known[-1]
        else:
            try:
                sha = identity(entry)
            except FileNotFoundError:
                continue
        hashed[entry.relative] = [*entry.stamp, sha]
    return hashed


def indexed_identities(landing_dir: Path, warehouse_dir: Path,
                       found: list[Entry] | None = None) -> dict[str, list]:
    """hash_landing with the warehouse's index, which it brings up to date."""
    path = warehouse_dir / INDEX_NAME
    try:
        index = dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        index = {}
    hashed = hash_landing(landing_dir, index, found)
    if warehouse_dir.is_dir() and hashed != index:
        aside = path.with_name(f"{path.name}.{os.getpid()}")
        aside.write_text(json.dumps(hashed, separators=(",", ":")), encoding="utf-8")
        os.replace(aside, path)
    return hashed
