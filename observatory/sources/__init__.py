"""One module per source: where its files are, how they are read and validated, and what lands in staging."""

from __future__ import annotations

import duckdb

# The one layout every population loader stages into (Eurostat, INSEE, Statbel), so that observatory.population
# harmonises any of them with the same SQL.
POPULATION_STAGING_COLUMNS = (
    "year INTEGER, area_code VARCHAR, sex_code VARCHAR, age_class VARCHAR, population DOUBLE, obs_flag VARCHAR, "
    "conf_status VARCHAR, file_name VARCHAR, line BIGINT, rows BIGINT"
)


def population_staging_ddl(table: str) -> str:
    """Create (or empty) the staging table ``table`` of a population source."""
    return f"CREATE SCHEMA IF NOT EXISTS src;\nCREATE OR REPLACE TABLE {table} ({POPULATION_STAGING_COLUMNS});\n"


# FTE (FLORES EQTP, ONSS ETP) is staged and summed as an exact decimal, never as DOUBLE: a DOUBLE sum depends on the
# order in which DuckDB's parallel aggregation adds the rows, so two builds of the same files published FTEs that
# differed in their last digits. The contracts allow at most 15 digits before the decimal separator and
# FTE_DECIMALS after it, so every delivered value is staged exactly and no sum of them comes near 38 digits.
FTE_DECIMALS = 9
FTE_TYPE = f"DECIMAL(38, {FTE_DECIMALS})"
# A delivered FTE with more decimals than can be staged exactly (the contracts' known wrong form).
FTE_TOO_PRECISE = (rf"^\d+[.,]\d{{{FTE_DECIMALS + 1},}}$",
                   f"more than {FTE_DECIMALS} decimals; FTE is summed exactly to {FTE_DECIMALS} decimals")


def ensure_column_type(con: duckdb.DuckDBPyConnection, table: str, column: str, type_: str) -> None:
    """Give ``table.column`` the type ``type_`` in a working database made by an older version (which staged FTE as
    DOUBLE); nothing to do when it has it already."""
    schema_name, table_name = table.split(".")
    row = con.execute("SELECT data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                      "AND column_name = ?", [schema_name, table_name, column]).fetchone()
    if row and row[0].replace(" ", "") != type_.replace(" ", ""):
        con.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DATA TYPE {type_}")
