"""Shared fixtures."""

from __future__ import annotations

import duckdb
import pytest

from observatory import harmonise, mart, population, provenance, rejects


def build_small_staging(con: duckdb.DuckDBPyConnection, jobs: int = 20) -> None:
    """A working database with every published table, from a few harmonised rows (no raw files needed)."""
    con.execute(harmonise.DDL)
    con.execute(harmonise.ESTABLISHMENTS_DDL)
    con.execute(provenance.META_SOURCES_DDL)
    rejects.ensure_tables(con)
    con.execute("INSERT INTO harmonised.jobs VALUES (2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 'F', "
                "'Y25-34', ?, NULL, 0, 1)", [jobs])
    con.execute("INSERT INTO harmonised.units VALUES (2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 4, 6)")
    con.execute("INSERT INTO harmonised.establishments VALUES (2024, DATE '2024-12-31', 'FR', 'FRE11', 'ASSOC', false, "
                "'O-Q', 7, 3)")
    con.execute("INSERT INTO meta.sources VALUES ('fr_flores', 'flores_postes_2023.csv', 'ab', 1, 1, '2023', now(), "
                "'INSEE', 'u', 'l', true, 'synthetic test', '/x', '', '')")
    con.execute(population.DDL)
    mart.build_population(con)
    mart.build_jobs(con)
    mart.build_establishments(con)
    mart.build_dimensions(con)
    mart.build_lfs_employment(con)
    mart.build_cross_border(con)


@pytest.fixture
def small_staging() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    build_small_staging(con)
    yield con
    con.close()
