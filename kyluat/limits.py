"""Bounds on what one submission may be, each with a default far above the largest file of a
national year (`kyluat generate --scale 1`: its largest file is about 60 MB, 17 columns, no
value over 200 characters) and an environment variable to change it."""

from __future__ import annotations

import os


def _limit(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value and value.isdigit() else default


def max_file_bytes() -> int:
    """Largest submitted file read (CSV, JSON, NDJSON or the workbook as sent)."""
    return _limit("KYLUAT_MAX_FILE_BYTES", 2 << 30)


def max_workbook_bytes() -> int:
    """Largest total unpacked size of an .xlsx workbook (a zip): a zip bomb stops here."""
    return _limit("KYLUAT_MAX_WORKBOOK_BYTES", 1 << 30)


def max_columns() -> int:
    """Most columns a header may have."""
    return _limit("KYLUAT_MAX_COLUMNS", 200)


def max_cell_chars() -> int:
    """Longest value of one cell, in characters."""
    return _limit("KYLUAT_MAX_CELL_CHARS", 10_000)
