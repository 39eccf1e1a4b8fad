"""The meta tables of the working database are made from their declaration in observatory.schema."""

from __future__ import annotations

import duckdb
import pytest

from observatory import provenance, rejects, schema


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _declared(table: schema.Table) -> list[tuple[str, str]]:
    return [(c.name, c.type) for c in table.columns]


def test_the_working_meta_tables_have_the_declared_columns():
    con = duckdb.connect()
    con.execute(provenance.META_SOURCES_DDL)
    rejects.ensure_tables(con)
    assert _columns(con, "meta.sources") == _declared(schema.WORKING_SOURCES)
    assert _columns(con, "meta.rejects") == _declared(schema.REJECTS)
    assert _columns(con, "meta.row_accounting") == _declared(schema.ROW_ACCOUNTING)


def test_the_working_sources_are_the_published_ones_and_the_path():
    published = _declared(schema.SOURCES)
    working = _declared(schema.WORKING_SOURCES)
    assert [c for c in working if c[0] != "path"] == published
    assert ("path", "VARCHAR") in working


@pytest.mark.parametrize(("table", "older"), [
    ("meta.sources", "source_id VARCHAR, file_name VARCHAR, note VARCHAR, path VARCHAR"),
    ("meta.row_accounting", "source_id VARCHAR, year INTEGER, file_name VARCHAR, outcome VARCHAR, rows BIGINT, "
                            "jobs BIGINT"),
])
def test_an_older_working_database_gains_the_missing_columns_and_keeps_its_rows(table, older):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta")
    con.execute(f"CREATE TABLE {table} ({older})")
    con.execute(f"INSERT INTO {table} (source_id, file_name) VALUES ('s', 'f')")
    for _ in range(2):  # and again: nothing more to add
        con.execute(provenance.META_SOURCES_DDL)
        rejects.ensure_tables(con)
    declared = {"meta.sources": schema.WORKING_SOURCES, "meta.row_accounting": schema.ROW_ACCOUNTING}[table]
    assert sorted(_columns(con, table)) == sorted(_declared(declared))
    assert con.execute(f"SELECT source_id, file_name FROM {table}").fetchall() == [("s", "f")]
