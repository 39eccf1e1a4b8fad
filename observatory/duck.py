"""Small DuckDB helpers shared by the loaders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``table`` (``schema.name``) is a table of the connection's database."""
    schema_name, name = table.split(".")
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                            [schema_name, name]).fetchone()[0])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: COMMIT when it ends, ROLLBACK and re-raise when it (or the COMMIT) fails."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _relation(con: duckdb.DuckDBPyConnection, sql: str, params: list | None) -> duckdb.DuckDBPyRelation:
    """``sql`` as a relation of ``con``, the last ``execute()`` result first run to its end: DuckDB 2 starts no
    relation's query on a connection while such a result is unfinished (a ``fetchone()`` leaves it so)."""
    con.complete()
    return con.sql(sql, params=params or None)


def arrow_table(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pa.Table:
    """The rows of ``sql`` as an Arrow table, read straight from the query (an ``execute()`` result would be
    copied first)."""
    return _relation(con, sql, params).to_arrow_table()


def arrow_batches(con: duckdb.DuckDBPyConnection, sql: str, params: list | None, batch_rows: int) -> pa.RecordBatchReader:
    """The rows of ``sql`` in Arrow batches of ``batch_rows``. Read it to its end before the next query on ``con``."""
    return _relation(con, sql, params).to_arrow_reader(batch_rows)
