import hashlib
import hmac

import duckdb
import pytest

from kyluat.pseudonym import (
    PseudonymKeyError,
    configured_keys,
    hmac_sql,
    member_key_sql,
    normalize_member_id_sql,
)


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


def test_a_rotated_key_is_the_hmac_of_each_key_in_turn():
    """After a rotation the member key is HMAC(new, HMAC(old, id)): the rows keyed before and
    the ids keyed after agree."""
    con = duckdb.connect()
    chained = con.execute(f"select {member_key_sql('?', (b'old', b'new'))}",
                          ["DV001"]).fetchone()[0]
    old = hmac.new(b"old", b"DV001", hashlib.sha256).hexdigest()
    assert chained == hmac.new(b"new", old.encode(), hashlib.sha256).hexdigest()
    rekeyed = con.execute(f"select {hmac_sql('?', b'new')}", [old]).fetchone()[0]
    assert rekeyed == chained


def test_keys_come_from_the_variable_or_a_file_of_lines(tmp_path, monkeypatch):
    monkeypatch.delenv("KYLUAT_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("KYLUAT_PSEUDONYM_KEY_FILE", raising=False)
    assert configured_keys() is None
    key_file = tmp_path / "keys"
    key_file.write_text("first\n\nsecond\n")
    monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY_FILE", str(key_file))
    assert configured_keys() == (b"first", b"second")
    monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY", "direct")
    assert configured_keys() == (b"direct",)
    monkeypatch.delenv("KYLUAT_PSEUDONYM_KEY")
    monkeypatch.setenv("KYLUAT_PSEUDONYM_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(PseudonymKeyError, match="cannot read"):
        configured_keys()
