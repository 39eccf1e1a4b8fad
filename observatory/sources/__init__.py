"""One module per source: where its files are, how they are read and validated, and what lands in staging."""

# The one layout every population loader stages into (Eurostat, INSEE, Statbel), so that observatory.population
# harmonises any of them with the same SQL.
POPULATION_STAGING_COLUMNS = (
    "year INTEGER, area_code VARCHAR, sex_code VARCHAR, age_class VARCHAR, population DOUBLE, obs_flag VARCHAR, "
    "conf_status VARCHAR, file_name VARCHAR, line BIGINT, rows BIGINT"
)


def population_staging_ddl(table: str) -> str:
    """Create (or empty) the staging table ``table`` of a population source."""
    return f"CREATE SCHEMA IF NOT EXISTS src;\nCREATE OR REPLACE TABLE {table} ({POPULATION_STAGING_COLUMNS});\n"
