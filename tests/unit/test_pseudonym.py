import hashlib
import hmac

import duckdb
import pytest

from kyluat.pseudonym import hmac_sql, normalize_member_id_sql


@pytest.mark.parametrize("key", [b"k", b"test-key", b"x" * 64, b"long" * 40])
def test_sql_hmac_equals_python_hmac(key):
    ids = ["DV000000001", "Đảng viên 7", ""]
    con = duckdb.connect()
    got = [r[0] for r in con.execute(
        f"select {hmac_sql('id', key)} from unnest(?::varchar[]) t(id)", [ids]).fetchall()]
    assert got == [hmac.new(key, i.encode(), hashlib.sha256).hexdigest() for i in ids]


def test_member_ids_are_normalised_before_hashing():
    con = duckdb.connect()
    sql = hmac_sql(normalize_member_id_sql("id"), b"k")
    keys = {r[0] for r in con.execute(
        f"select {sql} from unnest(['dv 001', 'DV001', ' Dv001 ']) t(id)").fetchall()}
    assert len(keys) == 1
