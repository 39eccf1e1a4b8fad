"""The published tables (schema ``mart``), built in the working database from the harmonised layer.

SQL lives in ``sql/mart_*.sql``; the table definitions and their COMMENTs in :mod:`observatory.schema`.
Primary disclosure control (publication rules v1) is applied here, with the thresholds of :class:`Thresholds`.
"""

from __future__ import annotations

import duckdb

from observatory import nomenclatures, schema
from observatory.config import Thresholds
from observatory.harmonise import COMMON_FAMILIES, SQL_DIR


def _run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> None:
    sql = (SQL_DIR / name).read_text(encoding="utf-8")
    for statement in [s for s in sql.split(";\n") if s.strip() and not _only_comments(s)]:
        con.execute(statement, {k: v for k, v in (params or {}).items() if f"${k}" in statement})


def _only_comments(statement: str) -> bool:
    return all(line.strip().startswith("--") or not line.strip() for line in statement.splitlines())


def _create(con: duckdb.DuckDBPyConnection, table: schema.Table) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.name.split('.')[0]}")
    con.execute(table.ddl())


def build_jobs(con: duckdb.DuckDBPyConnection, thresholds: Thresholds | None = None) -> dict:
    """``mart.jobs``, ``mart.indicators`` and ``mart.perimeter_reconciliation`` from the harmonised jobs."""
    thresholds = thresholds or Thresholds()
    params = {
        "min_jobs": thresholds.min_jobs,
        "min_units": thresholds.min_units,
        "max_dominance_share": thresholds.max_dominance_share,
    }
    con.execute("CREATE SCHEMA IF NOT EXISTS work")
    _run(con, "mart_jobs_cells.sql", params)
    for table in (schema.JOBS, schema.INDICATORS, schema.RECONCILIATION):
        _create(con, table)
    _run(con, "mart_jobs.sql")
    _run(con, "mart_indicators.sql")
    _run(con, "mart_reconciliation.sql", params)
    counts = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
              for t in (schema.JOBS, schema.INDICATORS, schema.RECONCILIATION)}
    counts["suppressed_cells"] = con.execute("SELECT count(*) FROM mart.jobs WHERE conf_status = 'C'").fetchone()[0]
    return counts


def build_establishments(con: duckdb.DuckDBPyConnection) -> dict:
    """``mart.establishments``: registry counts with the same families, sectors and territories."""
    _create(con, schema.ESTABLISHMENTS)
    con.execute(
        f"""INSERT INTO mart.establishments
        WITH by_family AS (
            SELECT * REPLACE (family AS family) FROM harmonised.establishments
                WHERE family IN {COMMON_FAMILIES} AND NOT excluded
            UNION ALL SELECT * FROM harmonised.establishments WHERE family = 'SOCENT'
            UNION ALL SELECT * REPLACE ('ESS' AS family) FROM harmonised.establishments
                WHERE family IN {COMMON_FAMILIES} AND NOT excluded
            UNION ALL SELECT * REPLACE ('ALL' AS family) FROM harmonised.establishments
        ),
        by_geo AS (
            SELECT *, 'NUTS3' AS geo_level FROM by_family
            UNION ALL SELECT * REPLACE ('FWVL_' || country AS geo), 'AREA' FROM by_family
            UNION ALL SELECT * REPLACE ('ALL' AS country, 'FWVL' AS geo), 'AREA' FROM by_family
        )
        SELECT year, country, geo, geo_level, family, coalesce(nace_a10, 'TOTAL'),
               sum(establishments), coalesce(sum(employer_establishments), 0), max(snapshot_date)
        FROM by_geo
        GROUP BY GROUPING SETS ((year, country, geo, geo_level, family, nace_a10),
                                (year, country, geo, geo_level, family))
        ORDER BY ALL"""
    )
    return {"mart.establishments": con.execute("SELECT count(*) FROM mart.establishments").fetchone()[0]}


def build_dimensions(con: duckdb.DuckDBPyConnection) -> dict:
    """The ``mart.dim_*`` tables from the mapping files, so labels come with their sources."""
    nomenclatures.register(con)
    sources = {
        "geo": "SELECT geo, geo_level, country, nullif(nuts2, '') AS nuts2, label_fr, label_nl, label_en, source "
        "FROM nom.geo ORDER BY CAST(sort_order AS INTEGER)",
        "family": "SELECT family, label_fr, label_nl, label_en, source FROM nom.families "
        "ORDER BY CAST(sort_order AS INTEGER)",
        "nace_a10": "SELECT nace_a10, label_fr, label_nl, label_en, source FROM nom.nace_a10 "
        "ORDER BY CAST(sort_order AS INTEGER)",
        "age_band": "SELECT age_band, label_fr, label_nl, label_en, source FROM nom.age_bands "
        "ORDER BY CAST(sort_order AS INTEGER)",
        "sex": "SELECT sex, label_fr, label_nl, label_en, source FROM nom.sexes ORDER BY CAST(sort_order AS INTEGER)",
    }
    counts = {}
    for table in schema.DIMENSIONS:
        _create(con, table)
        con.execute(f"INSERT INTO {table.name} {sources[table.name.removeprefix('mart.dim_')]}")
        counts[table.name] = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
    return counts
