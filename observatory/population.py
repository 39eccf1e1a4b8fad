"""Population denominators: one harmonised population by NUTS3, sex and band, from the source chosen by one setting.

Three loaders stage their files in one shared layout (``src.<source>_population``: year, area_code, sex_code,
age_class, population, obs_flag, conf_status, file_name, line, rows):

- ``eurostat``: Eurostat ``demo_r_pjangrp3`` for both countries (the common source, the default);
- ``national``: INSEE's département estimates workbook for France and Statbel's population structure file for
  Belgium, finer (single years in Belgium) and published sooner.

Harmonisation (``sql/classify_population.sql``, ``sql/population_bands.sql``) maps territories and sexes with the
mapping files and sums age classes into the published bands plus the working-age span ``Y15-64`` and its youngest
band ``Y15-24``. Every staged row is used, outside the area, or rejected with a reason, and counted.
Eurostat's flags are kept: a sum with a missing part is missing, one with a confidential part is confidential.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from observatory import nomenclatures
from observatory.config import checked_population_source
from observatory.harmonise import SQL_DIR, run_sql_file
from observatory.rejects import replace_accounting, replace_rejects

DDL = """
CREATE SCHEMA IF NOT EXISTS harmonised;
CREATE OR REPLACE TABLE harmonised.population (
    year INTEGER, country VARCHAR, geo VARCHAR, sex VARCHAR, age_band VARCHAR, population DOUBLE, obs_flag VARCHAR,
    conf_status VARCHAR, source_id VARCHAR, parts BIGINT, rows BIGINT);
"""


@dataclass(frozen=True)
class PopulationSource:
    """How one population source is harmonised: declared in its module (``Source.population``)."""

    setting: str  # the value of the population setting that chooses it (config.POPULATION_SOURCES)
    source_id: str
    table: str
    system: str  # key in sex_codes.csv / population_age_classes.csv
    geo_join: str
    geo: str
    country: str
    known: str  # SQL: the territorial code is a code of the source's nomenclature
    in_area: str
    unknown_area: str  # SQL: reason for a row whose territorial code is unknown
    has_total_class: bool  # the file has its own all-ages class
    has_sex_total: bool  # the file has its own both-sexes rows

    @property
    def raw_text(self) -> str:
        return "concat_ws(';', year, area_code, sex_code, age_class, population, obs_flag, conf_status)"


def sources_by_setting() -> dict[str, tuple[PopulationSource, ...]]:
    """The population source(s) of each setting, from the descriptors of the sources (``Source.population``)."""
    from observatory.sources import all_sources  # the source modules import this one's PopulationSource

    by_setting: dict[str, tuple[PopulationSource, ...]] = {}
    for s in all_sources():
        if s.population is not None:
            by_setting[s.population.setting] = (*by_setting.get(s.population.setting, ()), s.population)
    return by_setting


def sources_for(setting: str) -> tuple[PopulationSource, ...]:
    checked_population_source(setting)
    return sources_by_setting()[setting]


def _classify_sql(source: PopulationSource) -> str:
    sql = (SQL_DIR / "classify_population.sql").read_text(encoding="utf-8")
    for name in ("geo_join", "geo", "country", "known", "in_area", "unknown_area", "system"):
        sql = sql.replace("{" + name + "}", getattr(source, name))
    return sql.replace("{input}", source.table)


def harmonise_population(con: duckdb.DuckDBPyConnection, setting: str) -> dict:
    """Rebuild ``harmonised.population`` from the source(s) of ``setting``; return the accounting per source."""
    sources = sources_for(setting)
    nomenclatures.register(con)
    run_sql_file(con, "macros.sql")
    con.execute(DDL)
    out = {}
    for source in sources:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _population AS {_classify_sql(source)}")
        rejected = replace_rejects(
            con, source.source_id, None,
            f"SELECT file_name, line, reason, {source.raw_text} AS raw_text, NULL AS jobs "
            "FROM _population WHERE outcome = 'rejected'",
        )
        accounting = replace_accounting(
            con, source.source_id, None,
            "SELECT file_name, outcome, sum(rows) AS rows, NULL AS jobs FROM _population GROUP BY ALL",
        )
        run_sql_file(con, "population_bands.sql", {"has_total_class": source.has_total_class,
                                                   "has_sex_total": source.has_sex_total,
                                                   "source_id": source.source_id})
        con.execute("DROP TABLE _population; DROP TABLE _population_parts")
        out[source.source_id] = {"rejected_rows": rejected, "accounting": accounting}
    for source in {s for ss in sources_by_setting().values() for s in ss} - set(sources):
        # A source not chosen leaves no accounting behind (its rows are not used).
        con.execute("DELETE FROM meta.row_accounting WHERE source_id = ?", [source.source_id])
        con.execute("DELETE FROM meta.rejects WHERE source_id = ?", [source.source_id])
    out["rows"] = con.execute("SELECT count(*) FROM harmonised.population").fetchone()[0]
    return out
