"""The transaction helper: one COMMIT on success, one ROLLBACK and the same exception on failure."""

from __future__ import annotations

import duckdb
import pytest

from observatory.duck import arrow_batches, arrow_table, transaction


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    return con


def test_the_block_is_committed(con):
    with transaction(con) as inner:
        assert inner is con
        con.execute("INSERT INTO t VALUES (1)")
    assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
    con.execute("BEGIN TRANSACTION")  # no transaction left open
    con.execute("ROLLBACK")


class Boom(Exception):
    pass


def test_a_failing_block_is_rolled_back_and_its_exception_raised(con):
    with pytest.raises(Boom, match="in the block"), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        con.execute("CREATE TABLE u (y INTEGER)")
        raise Boom("in the block")
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'u'").fetchone()[0] == 0
    with transaction(con):  # the connection is usable again
        con.execute("INSERT INTO t VALUES (2)")
    assert con.execute("SELECT x FROM t").fetchall() == [(2,)]


def test_an_interrupt_is_rolled_back_too(con):
    with pytest.raises(KeyboardInterrupt), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        raise KeyboardInterrupt
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def test_a_failing_statement_is_rolled_back(con):
    with pytest.raises(duckdb.Error), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        con.execute("INSERT INTO t VALUES ('not a number')")
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def test_arrow_is_read_after_an_unfinished_result(con):
    """DuckDB 2 refuses a relation's query while an execute() result on the connection is unfinished, as a
    fetchone() leaves it: the Arrow helpers end that result first."""
    con.execute("INSERT INTO t SELECT range FROM range(5)")
    assert con.execute("SELECT x FROM t ORDER BY x").fetchone() == (0,)
    assert arrow_table(con, "SELECT x FROM t WHERE x >= ? ORDER BY x", [3]).to_pydict() == {"x": [3, 4]}
    assert con.execute("SELECT x FROM t ORDER BY x").fetchone() == (0,)
    batches = list(arrow_batches(con, "SELECT x FROM t ORDER BY x", None, 2))
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert con.execute("SELECT count(*) FROM t").fetchone() == (5,)  # the reader, read to its end, let it go
