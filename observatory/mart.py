"""The published tables (schema ``mart``), built in the working database from the harmonised layer.

SQL lives in ``sql/mart_*.sql``; the table definitions and their COMMENTs in :mod:`observatory.schema`.
Primary disclosure control (publication rules v1) is applied here, with the thresholds of :class:`Thresholds`, and
the secondary suppression of :mod:`observatory.disclosure`.
"""

from __future__ import annotations

import duckdb

from observatory import disclosure, nomenclatures, schema
from observatory.config import POPULATION_YEAR_OFFSET, Thresholds
from observatory.duck import table_exists
from observatory.harmonise import COMMON_FAMILIES, run_sql_file
from observatory.rejects import replace_accounting, replace_rejects
from observatory.sources.sirene import DEMOGRAPHY_FROM_YEAR


def _create(con: duckdb.DuckDBPyConnection, table: schema.Table) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.name.split('.')[0]}")
    con.execute(table.ddl())


def has_population(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``mart.population`` has been built with at least one row (it is empty without a population file)."""
    return table_exists(con, "mart.population") and bool(
        con.execute("SELECT EXISTS (SELECT 1 FROM mart.population)").fetchone()[0])


def build_jobs(con: duckdb.DuckDBPyConnection, thresholds: Thresholds | None = None,
               population_year_offset: int = POPULATION_YEAR_OFFSET) -> dict:
    """``mart.jobs``, ``mart.indicators`` and ``mart.perimeter_reconciliation`` from the harmonised jobs; the
    indicators with a population denominator too when ``mart.population`` has rows (without any population file
    they are left out rather than published as rows of NULLs)."""
    thresholds = thresholds or Thresholds()
    params = {
        "min_jobs": thresholds.min_jobs,
        "min_units": thresholds.min_units,
        "max_dominance_share": thresholds.max_dominance_share,
    }
    con.execute("CREATE SCHEMA IF NOT EXISTS work")
    disclosure.forget(con)
    # The cooperative types are a level of the disclosure's family hierarchy: they must add up to COOP.
    untyped = con.execute("SELECT (SELECT count(*) FROM harmonised.jobs WHERE common AND family = 'COOP' AND "
                          "coop_type IS NULL) + (SELECT count(*) FROM harmonised.units WHERE common AND family = "
                          "'COOP' AND coop_type IS NULL)").fetchone()[0]
    if untyped:
        raise ValueError(f"{untyped} harmonised rows of family COOP have no cooperative type: "
                         "fr_cooperative_types.csv or be_cooperative_types.csv lacks a rule (observatory check-mappings)")
    run_sql_file(con, "mart_jobs_cells.sql", params)
    run_sql_file(con, "reconciliation_cells.sql", params)
    suppression = disclosure.suppress(con, thresholds)
    for table in (schema.JOBS, schema.INDICATORS, schema.RECONCILIATION):
        _create(con, table)
    run_sql_file(con, "mart_jobs.sql")
    run_sql_file(con, "mart_indicators.sql")
    run_sql_file(con, "mart_indicators_by_age.sql")
    if has_population(con):
        run_sql_file(con, "macros.sql")
        run_sql_file(con, "mart_indicators_population.sql", {"year_offset": population_year_offset})
    run_sql_file(con, "mart_reconciliation.sql")
    counts = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
              for t in (schema.JOBS, schema.INDICATORS, schema.RECONCILIATION)}
    counts["suppressed_cells"] = con.execute("SELECT count(*) FROM mart.jobs WHERE conf_status IS NOT NULL").fetchone()[0]
    counts["primary_cells"] = con.execute("SELECT count(*) FROM mart.jobs WHERE conf_status IN ('A', 'O')").fetchone()[0]
    counts.update(suppression)
    return counts


def build_establishments(con: duckdb.DuckDBPyConnection) -> dict:
    """``mart.establishments``: registry counts with the same families, sectors and territories, and the cooperative
    types below COOP."""
    _create(con, schema.ESTABLISHMENTS)
    con.execute(
        f"""INSERT INTO mart.establishments
        WITH by_family AS (
            SELECT * REPLACE (family AS family) FROM harmonised.establishments
                WHERE family IN {COMMON_FAMILIES} AND NOT excluded
            UNION ALL SELECT * REPLACE (coop_type AS family) FROM harmonised.establishments
                WHERE family = 'COOP' AND NOT excluded
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


def build_demography(con: duckdb.DuckDBPyConnection) -> dict:
    """``mart.demography`` (births, closures, active stock at 31 December by year) and ``mart.survival`` (each
    birth cohort's survivors at 1, 3 and 5 years) from the SIRENE legal units and the KBO enterprises, by territory
    and family."""
    nomenclatures.register(con)
    _create(con, schema.DEMOGRAPHY)
    _create(con, schema.SURVIVAL)
    if table_exists(con, "harmonised.enterprise_demography"):
        run_sql_file(con, "mart_demography.sql", {"first_year": DEMOGRAPHY_FROM_YEAR})
    return {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
            for t in (schema.DEMOGRAPHY, schema.SURVIVAL)}


def build_dimensions(con: duckdb.DuckDBPyConnection) -> dict:
    """The ``mart.dim_*`` tables from the code lists (``nom.<file>``), so labels and orders come with their sources.

    Each table takes, by name, the columns of its schema from its file; ``sort_order`` becomes an integer.
    """
    nomenclatures.register(con)
    files = {"geo": "geo", "family": "families", "nace_a10": "nace_a10", "age_band": "age_bands", "sex": "sexes",
             "indicator": "indicators"}
    counts = {}
    for table in schema.DIMENSIONS:
        _create(con, table)
        columns = ", ".join("CAST(sort_order AS INTEGER) AS sort_order" if c.name == "sort_order" else
                            f"nullif({c.name}, '') AS {c.name}" if c.nullable else c.name for c in table.columns)
        con.execute(f"INSERT INTO {table.name} BY NAME SELECT {columns} "
                    f"FROM nom.{files[table.name.removeprefix('mart.dim_')]} ORDER BY CAST(sort_order AS INTEGER)")
        counts[table.name] = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
    return counts


def build_population(con: duckdb.DuckDBPyConnection) -> dict:
    """``mart.population``: the harmonised population with the area aggregates."""
    nomenclatures.register(con)
    run_sql_file(con, "macros.sql")
    _create(con, schema.POPULATION)
    run_sql_file(con, "mart_population.sql")
    return {"mart.population": con.execute("SELECT count(*) FROM mart.population").fetchone()[0]}


def build_lfs_employment(con: duckdb.DuckDBPyConnection) -> dict:
    """``mart.lfs_employment`` from the staged Eurostat LFS table; every row used, outside the area or rejected."""
    nomenclatures.register(con)
    _create(con, schema.LFS_EMPLOYMENT)
    if not table_exists(con, "src.eu_eurostat_lfs_employment"):  # optional context: the table stays empty
        return {"mart.lfs_employment": 0, "rejected_rows": 0, "accounting": []}
    run_sql_file(con, "classify_lfs_employment.sql")
    rejected = replace_rejects(
        con, "eu_eurostat_lfs", None,
        "SELECT file_name, line, reason, concat_ws(';', year, geo, sex, age, nace_r2, unit, value, obs_flag) AS raw_text,"
        " NULL AS jobs FROM _lfs WHERE outcome = 'rejected'",
    )
    accounting = replace_accounting(
        con, "eu_eurostat_lfs", None,
        "SELECT file_name, outcome, count(*) AS rows, NULL AS jobs FROM _lfs GROUP BY ALL",
    )
    con.execute("DROP TABLE _lfs")
    return {"mart.lfs_employment": con.execute("SELECT count(*) FROM mart.lfs_employment").fetchone()[0],
            "rejected_rows": rejected, "accounting": accounting}


def build_cross_border(con: duckdb.DuckDBPyConnection) -> dict:
    """``mart.cross_border_comparison`` from ``mart.indicators`` and the border pairs."""
    nomenclatures.register(con)
    run_sql_file(con, "macros.sql")
    _create(con, schema.CROSS_BORDER)
    run_sql_file(con, "mart_cross_border.sql")
    return {"mart.cross_border_comparison":
            con.execute("SELECT count(*) FROM mart.cross_border_comparison").fetchone()[0]}
