"""How ingestion cleans a submitted value (kyluat/validation.py, `normalized_sql`): the short
paths it takes for ASCII values give what the whole cleaning gives, on every kind of value."""

import random

import duckdb
import pytest

from kyluat.validation import DAMAGED, normalized_sql

# The whole cleaning, written plainly: NUL marked damaged, NFC, trimmed, empty as null.
WHOLE = f"nullif(trim(nfc_normalize(replace(v, chr(0), '{DAMAGED}'))), '')"

# What a clerk's file may hold at either end or inside a value: spaces ASCII and not (no-break,
# ideographic, thin), tabs and line breaks (not trimmed), NUL, a combining accent, a byte-order
# mark, Vietnamese letters.
PIECES = [" ", "a", "Z", "1", "-", "\u00a0", "\u3000", "\u2009", "\u1680", "\x00", "\t", "\n",
          "e", "\u0301", "\u00e9", "\u0111", "\u1ec7", "\ufeff", "\u200b"]


def _cleaned(values: list[str | None]) -> list[tuple]:
    con = duckdb.connect()
    con.execute("create table t (i integer, v varchar)")
    con.executemany("insert into t values (?, ?)", list(enumerate(values)))
    return con.execute(f"select i, v, {WHOLE}, {normalized_sql('v')} from t order by i").fetchall()


@pytest.mark.parametrize("value, expected", [
    ("  D800-G029 ", "D800-G029"),        # ASCII, spaces trimmed
    ("D800", "D800"),                     # ASCII, left as it is
    ("   ", None),                        # blank: missing
    ("\u00a0H\u1ed9i\u3000", "H\u1ed9i"),  # non-ASCII spaces trimmed
    ("Ho\u0300a", "H\u00f2a"),            # decomposed accent composed (NFC)
    ("a\x00b", f"a{DAMAGED}b"),           # NUL marked damaged
    ("\ta\t", "\ta\t"),                   # a tab is not a space separator
])
def test_a_value_is_cleaned(value, expected):
    assert _cleaned([value])[0][3] == expected


def test_the_short_paths_agree_with_the_whole_cleaning():
    rng = random.Random(13)
    values = [None, ""] + ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 7)))
                           for _ in range(20_000)]
    differing = [(v, whole, short) for _, v, whole, short in _cleaned(values) if whole != short]
    assert differing == []
