"""How kyluat's writers open a DuckDB file (kyluat/locking.py, WRITER_CONFIG)."""

import duckdb

from kyluat.locking import connect

ROW_GROUP = 122_880  # DuckDB's rows per row group


def _row_groups(path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "select count(distinct row_group_id) from pragma_storage_info('t')").fetchone()[0]
    finally:
        con.close()


def test_a_writers_close_drops_emptied_row_groups_and_leaves_partly_deleted_ones(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"create table t as select range as i from range({4 * ROW_GROUP})")
    con.close()
    assert _row_groups(path) == 4

    con = connect(path)
    # half the rows of the first three row groups, all of the fourth (a rebuilt year)
    con.execute(f"delete from t where i % 2 = 0 or i >= {3 * ROW_GROUP}")
    con.close()

    # DuckDB's default would have merged the three half-empty row groups into two
    assert _row_groups(path) == 3
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*), min(i) from t").fetchone() == (3 * ROW_GROUP // 2, 1)
    con.close()
