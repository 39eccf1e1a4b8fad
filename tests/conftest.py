"""Shared fixtures."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

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


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive of ``members`` (name -> bytes), built in memory for a test server to serve."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def spoil_flores(raw: Path) -> None:
    """Make line 5 of the 2023 FLORES jobs file carry a negative POSTES: a delivery that must stop the run."""
    jobs = raw / "fr" / "flores" / "flores_postes_2023.csv"
    lines = jobs.read_text(encoding="utf-8-sig").splitlines()
    fields = lines[4].split(";")
    fields[6] = "-3"  # POSTES
    lines[4] = ";".join(fields)
    jobs.write_text("\n".join(lines) + "\n", encoding="utf-8")
