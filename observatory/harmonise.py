"""Harmonisation: source rows → common codes (NUTS3, family, NACE A*10, sex, age band), with every row accounted for.

Each source row is classified by the SQL in ``sql/classify_*.sql`` against the mapping files (schema ``nom``),
then either used, counted as outside the cooperation area, or rejected with a reason into ``meta.rejects``.
The row accounting (``meta.row_accounting``) lets a check prove that delivered = used + outside + rejected, and says
how many rows were classified through a NACE Rev. 2.1 (2025) code, and how many of those ambiguously.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from observatory import nomenclatures
from observatory.duck import table_exists
from observatory.rejects import ensure_tables, replace_accounting, replace_rejects
from observatory.sources import FTE_TYPE, ensure_column_type

SQL_DIR = Path(__file__).resolve().parent / "sql"
COMMON_FAMILIES = ("ASSOC", "COOP", "MUTUAL", "FOUND")

# FTE stays an exact decimal (observatory.sources.FTE_TYPE) up to mart.jobs, which casts each exact sum to DOUBLE.
DDL = f"""
CREATE SCHEMA IF NOT EXISTS harmonised;
CREATE TABLE IF NOT EXISTS harmonised.jobs (
    year INTEGER, country VARCHAR, geo VARCHAR, family VARCHAR, excluded BOOLEAN, common BOOLEAN, national BOOLEAN,
    nace_a10 VARCHAR, sex VARCHAR, age_band VARCHAR, jobs BIGINT, fte {FTE_TYPE}, fte_rows BIGINT, rows BIGINT);
CREATE TABLE IF NOT EXISTS harmonised.units (
    year INTEGER, country VARCHAR, geo VARCHAR, family VARCHAR, excluded BOOLEAN, common BOOLEAN, national BOOLEAN,
    nace_a10 VARCHAR, units BIGINT, max_unit_jobs BIGINT);
ALTER TABLE harmonised.jobs ADD COLUMN IF NOT EXISTS coop_type VARCHAR;
ALTER TABLE harmonised.units ADD COLUMN IF NOT EXISTS coop_type VARCHAR;
"""


@dataclass(frozen=True)
class JobsSource:
    source_id: str
    country: str
    sql_file: str
    jobs_table: str
    units_table: str
    system: str  # key in sex_codes.csv / age_classes.csv
    sex_column: str
    age_column: str
    jobs_raw_text: str
    units_raw_text: str
    national_is_common: bool


# The FTE of a rejected row, exactly, in its shortest form: the staged decimal without its trailing zeros (0.93,
# not 0.930000000; 10, not 10.000000000).
RAW_FTE = "rtrim(rtrim(CAST(fte AS VARCHAR), '0'), '.')"
FLORES = JobsSource(
    source_id="fr_flores", country="FR", sql_file="classify_fr_jobs.sql",
    jobs_table="src.fr_flores_jobs", units_table="src.fr_flores_units", system="flores",
    sex_column="sexe", age_column="trage",
    jobs_raw_text=f"concat_ws(';', year, depcom, cj, apet, sexe, trage, jobs, {RAW_FTE})",
    units_raw_text="concat_ws(';', year, depcom, cj, apet, units, max_unit_jobs)",
    national_is_common=True,
)
ONSS = JobsSource(
    source_id="be_onss", country="BE", sql_file="classify_be_jobs.sql",
    jobs_table="src.be_onss_jobs", units_table="src.be_onss_units", system="onss",
    sex_column="sexe", age_column="classe_age",
    jobs_raw_text="concat_ws(',', year || 'Q4', refnis, juridical_form, accreditation, nace_version, nace, sexe, "
    f"classe_age, jobs, {RAW_FTE})",
    units_raw_text="concat_ws(',', year || 'Q4', refnis, juridical_form, accreditation, nace_version, nace, units, "
    "max_unit_jobs)",
    national_is_common=False,
)


def _classify_sql(source: JobsSource, input_table: str, with_sex_age: bool) -> str:
    template = (SQL_DIR / source.sql_file).read_text(encoding="utf-8")
    sex_age = "s.sex, ag.age_band," if with_sex_age else ""
    joins = (
        f"LEFT JOIN nom.sex_codes s ON s.source_system = '{source.system}' AND s.source_code = j.{source.sex_column}\n"
        f"LEFT JOIN nom.age_classes ag ON ag.source_system = '{source.system}' "
        f"AND ag.source_class = j.{source.age_column}"
        if with_sex_age
        else ""
    )
    sql = template.replace("{input}", input_table).replace("{sex_age}", sex_age).replace("{sex_age_joins}", joins)
    common = f"family IN {COMMON_FAMILIES} AND NOT excluded"
    national = common if source.national_is_common else "national"
    return f"SELECT *, {common} AS common, {national} AS national_member FROM ({sql})"


def forget_absent_years(con: duckdb.DuckDBPyConnection, sources: list[JobsSource], present: list[int]) -> list[int]:
    """Remove the harmonised jobs and units, rejects and accounting of the years with no delivery left in the raw
    folder (they would otherwise stay in the working database and be published). Returns the years removed."""
    con.execute(DDL)
    ensure_tables(con)
    gone = sorted({y for (y,) in con.execute("SELECT DISTINCT year FROM harmonised.jobs WHERE NOT list_contains(?, "
                                             "year)", [present]).fetchall()})
    ids = [s.source_id for s in sources]
    for table in ("harmonised.jobs", "harmonised.units"):
        con.execute(f"DELETE FROM {table} WHERE NOT list_contains(?, year)", [present])
    for table in ("meta.rejects", "meta.row_accounting"):
        con.execute(f"DELETE FROM {table} WHERE list_contains(?, source_id) AND NOT list_contains(?, year)",
                    [ids, present])
    return gone


def harmonise_jobs_year(con: duckdb.DuckDBPyConnection, source: JobsSource, year: int) -> dict:
    """Classify one year of a jobs delivery into ``harmonised.jobs`` / ``harmonised.units``; return the accounting."""
    nomenclatures.register(con)
    con.execute(DDL)
    ensure_column_type(con, "harmonised.jobs", "fte", FTE_TYPE)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _jobs AS {_classify_sql(source, source.jobs_table, True)}",
                {"year": year})
    con.execute(f"CREATE OR REPLACE TEMP TABLE _units AS {_classify_sql(source, source.units_table, False)}",
                {"year": year})
    # The delivery contract fixes the sex and age codes, so a row without a mapping is a mapping-file bug.
    unmapped = con.execute("SELECT count(*) FROM _jobs WHERE sex IS NULL OR age_band IS NULL").fetchone()[0]
    if unmapped:
        raise ValueError(f"{source.source_id} {year}: {unmapped} rows with a sex or age code missing from the mappings")

    rejected = replace_rejects(
        con, source.source_id, year,
        f"""SELECT file_name, line, reason, {source.jobs_raw_text} AS raw_text, jobs FROM _jobs WHERE outcome = 'rejected'
            UNION ALL
            SELECT file_name, line, reason, {source.units_raw_text}, NULL FROM _units WHERE outcome = 'rejected'""",
    )
    accounting = replace_accounting(
        con, source.source_id, year,
        """SELECT file_name, outcome, count(*) AS rows, sum(jobs) AS jobs,
                  count(*) FILTER (WHERE nace2025) AS nace2025_rows,
                  coalesce(sum(jobs) FILTER (WHERE nace2025), 0) AS nace2025_jobs,
                  count(*) FILTER (WHERE nace2025_ambiguous) AS nace2025_ambiguous_rows,
                  coalesce(sum(jobs) FILTER (WHERE nace2025_ambiguous), 0) AS nace2025_ambiguous_jobs
           FROM _jobs GROUP BY ALL
           UNION ALL
           SELECT file_name, outcome, count(*), NULL, count(*) FILTER (WHERE nace2025), NULL,
                  count(*) FILTER (WHERE nace2025_ambiguous), NULL
           FROM _units GROUP BY ALL""",
    )
    con.execute("DELETE FROM harmonised.jobs WHERE year = ? AND country = ?", [year, source.country])
    con.execute("DELETE FROM harmonised.units WHERE year = ? AND country = ?", [year, source.country])
    con.execute(
        """INSERT INTO harmonised.jobs BY NAME
           SELECT year, country, geo, family, coop_type, excluded, common, national_member AS national, nace_a10, sex,
                  age_band, sum(jobs) AS jobs, sum(fte) AS fte, count(fte) AS fte_rows, count(*) AS rows
           FROM _jobs WHERE outcome = 'used' GROUP BY ALL"""
    )
    con.execute(
        """INSERT INTO harmonised.units BY NAME
           SELECT year, country, geo, family, coop_type, excluded, common, national_member AS national, nace_a10,
                  sum(units) AS units, max(max_unit_jobs) AS max_unit_jobs
           FROM _units WHERE outcome = 'used' GROUP BY ALL"""
    )
    con.execute("DROP TABLE _jobs; DROP TABLE _units")
    return {"year": year, "country": source.country, "rejected_rows": rejected, "accounting": accounting}


ESTABLISHMENTS_DDL = """
CREATE SCHEMA IF NOT EXISTS harmonised;
CREATE TABLE IF NOT EXISTS harmonised.establishments (
    year INTEGER, snapshot_date DATE, country VARCHAR, geo VARCHAR, family VARCHAR, excluded BOOLEAN,
    nace_a10 VARCHAR, establishments BIGINT, employer_establishments BIGINT, coop_type VARCHAR);
ALTER TABLE harmonised.establishments ADD COLUMN IF NOT EXISTS coop_type VARCHAR;
"""


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> None:
    """Run the statements of ``sql/<name>`` in order, each with the ``$parameters`` it uses."""
    sql = (SQL_DIR / name).read_text(encoding="utf-8")
    for statement in sql.split(";\n"):
        # A $parameter named only in a comment is not bound (DuckDB refuses unused parameters).
        code = "\n".join(line for line in statement.splitlines() if not line.strip().startswith("--"))
        if code.strip():
            con.execute(statement, {k: v for k, v in (params or {}).items() if f"${k}" in code})


DEMOGRAPHY_DDL = """
CREATE SCHEMA IF NOT EXISTS harmonised;
CREATE OR REPLACE TABLE harmonised.enterprise_demography (
    snapshot_date DATE, country VARCHAR, geo VARCHAR, family VARCHAR, coop_type VARCHAR, created_year INTEGER,
    ceased_year INTEGER, full_years INTEGER, units BIGINT, observed_from DATE);
"""


@dataclass(frozen=True)
class DemographySource:
    """A registry's enterprises for the demography: the staging table its SQL classifies, where rejects go."""
    source_id: str  # of meta.rejects
    country: str
    staging_table: str
    sql_file: str
    file_name: str
    raw_text: str  # SQL over the classified groups
    snapshot_date: str  # SQL: the registry's date
    observed_from: str  # SQL: since when closures are seen (NULL: the registry keeps its ceased units)
    staged_count: str  # SQL over the staging table: the enterprises staged, which the outcomes add up to


DEMOGRAPHY_SOURCES = (
    DemographySource(
        "fr_sirene_demography", "FR", "src.fr_sirene_unit_demography", "classify_fr_demography.sql",
        "StockUniteLegale",
        "'head office département=' || dep_code || '; categorieJuridiqueUniteLegale=' || cj || "
        "' (' || units || ' legal units)'",
        "(SELECT max(snapshot_date) FROM src.fr_sirene_establishments)", "NULL",
        "sum(units)"),
    DemographySource(
        "be_kbo_demography", "BE", "src.be_kbo_enterprises", "classify_be_demography.sql", "enterprise.csv",
        "'registered seat Zipcode=' || seat_postcode || '; JuridicalForm=' || juridical_form || "
        "' (' || units || ' enterprises)'",
        "snapshot_date", "observed_from", "count(*)"),
)


def harmonise_demography(con: duckdb.DuckDBPyConnection) -> dict:
    """The enterprises of each registry whose staging table is there (SIRENE legal units, KBO enterprises) in common
    codes, in ``harmonised.enterprise_demography``; groups of an unknown territory or legal form go to
    ``meta.rejects`` (sources ``fr_sirene_demography``, ``be_kbo_demography``). Returns the units by country and
    outcome."""
    nomenclatures.register(con)
    run_sql_file(con, "macros.sql")
    run_sql_file(con, "be_registry.sql")
    con.execute(DEMOGRAPHY_DDL)
    outcomes = {}
    for source in DEMOGRAPHY_SOURCES:
        if not table_exists(con, source.staging_table):
            continue
        sql = (SQL_DIR / source.sql_file).read_text(encoding="utf-8")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _demography AS {sql}")
        replace_rejects(
            con, source.source_id, None,
            f"SELECT '{source.file_name}' AS file_name, NULL AS line, reason, {source.raw_text} AS raw_text, "
            "NULL AS jobs FROM _demography WHERE outcome = 'rejected'",
        )
        con.execute(
            f"""INSERT INTO harmonised.enterprise_demography BY NAME
                SELECT {source.snapshot_date} AS snapshot_date, '{source.country}' AS country, geo, family,
                       coop_type, created_year, ceased_year, full_years, sum(units) AS units,
                       {source.observed_from} AS observed_from
                FROM _demography WHERE outcome = 'used' GROUP BY ALL"""
        )
        accounting = replace_accounting(
            con, source.source_id, None,
            f"SELECT '{source.file_name}' AS file_name, outcome, sum(units) AS rows, NULL AS jobs "
            "FROM _demography GROUP BY ALL")
        outcomes[source.country] = {a["outcome"]: int(a["rows"]) for a in accounting}
        con.execute("DROP TABLE _demography")
    return outcomes


@dataclass(frozen=True)
class RegistrySource:
    source_id: str
    country: str
    sql_file: str
    raw_text: str
    file_name: str  # expression naming the file the rows come from


SIRENE = RegistrySource(
    source_id="fr_sirene", country="FR", sql_file="classify_fr_establishments.sql",
    raw_text="'codeCommuneEtablissement=' || commune_example || '; categorieJuridiqueUniteLegale=' || cj || "
    "'; activitePrincipaleEtablissement=' || activity || ' (' || establishments || ' establishments)'",
    file_name="'StockEtablissement'",
)
KBO = RegistrySource(
    source_id="be_kbo", country="BE", sql_file="classify_be_establishments.sql",
    raw_text="'Zipcode=' || postcode || '; JuridicalForm=' || juridical_form || '; NaceCode=' || nace_code || "
    "' (' || establishments || ' establishment units)'",
    file_name="'establishment.csv'",
)


def harmonise_registry(con: duckdb.DuckDBPyConnection, source: RegistrySource) -> dict:
    """Classify a registry snapshot into ``harmonised.establishments``; rejected groups go to ``meta.rejects``."""
    nomenclatures.register(con)
    run_sql_file(con, "macros.sql")
    run_sql_file(con, "be_registry.sql")
    con.execute(ESTABLISHMENTS_DDL)
    sql = (SQL_DIR / source.sql_file).read_text(encoding="utf-8")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _registry AS {sql}")
    # Replaced for every snapshot at once (a year that is no longer staged loses its rejects); each carries the
    # year of its snapshot.
    ensure_tables(con)
    con.execute("DELETE FROM meta.rejects WHERE source_id = ?", [f"{source.source_id}_harmonise"])
    con.execute(
        f"""INSERT INTO meta.rejects
            SELECT '{source.source_id}_harmonise', year(snapshot_date), {source.file_name}, NULL, reason,
                   {source.raw_text}, NULL
            FROM _registry WHERE outcome = 'rejected'"""
    )
    accounting = replace_accounting(
        con, source.source_id, None,
        f"SELECT {source.file_name} AS file_name, outcome, sum(establishments) AS rows, NULL AS jobs, "
        "coalesce(sum(establishments) FILTER (WHERE nace2025), 0) AS nace2025_rows, "
        "coalesce(sum(establishments) FILTER (WHERE nace2025_ambiguous), 0) AS nace2025_ambiguous_rows "
        "FROM _registry GROUP BY ALL",
    )
    con.execute("DELETE FROM harmonised.establishments WHERE country = ?", [source.country])
    con.execute(
        f"""INSERT INTO harmonised.establishments BY NAME
            SELECT year(snapshot_date) AS year, snapshot_date, '{source.country}' AS country, geo, family, coop_type,
                   excluded, nace_a10, sum(establishments) AS establishments,
                   sum(establishments) FILTER (WHERE employer) AS employer_establishments
            FROM _registry WHERE outcome = 'used' GROUP BY ALL"""
    )
    con.execute("DROP TABLE _registry")
    return {"country": source.country, "accounting": accounting}
