"""ONSS/RSZ employment extraction, delivered under agreement (contracts.md, Belgium, layout v1).

``onss_postes_<YYYY>Q4.csv``: jobs on the last day of Q4 by commune (REFNIS) of the establishment unit, juridical
form and accreditation of the employer, NACE-BEL, sex and age class. ``onss_unites_<YYYY>Q4.csv``: units per key
with the jobs of the largest. Separator ``,``, quoted only when needed, UTF-8, decimal point.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from observatory import harmonise, validation, vintages
from observatory.delivery import NEGATIVE, Column, FileContract, check_pair, check_year, load_delivery
from observatory.provenance import Origin, read_origin, record_source
from observatory.sources import DELIVERY, FTE_DECIMALS, FTE_TOO_PRECISE, FTE_TYPE, Source, ensure_column_type

SOURCE_ID = "be_onss"
FOLDER = Path("be") / "onss"
JOBS_NAME = re.compile(r"onss_postes_(\d{4})Q4\.csv")
UNITS_NAME = re.compile(r"onss_unites_(\d{4})Q4\.csv")
ORIGIN = Origin(
    producer="ONSS/RSZ (social-security data warehouse), extraction delivered under agreement",
    url="delivered under agreement (no public URL)",
    licence="Restricted: delivered under a data-sharing agreement; publish only disclosure-controlled aggregates",
)

KEY_COLUMNS = (
    Column("TRIMESTRE", r"\d{4}Q4", "a quarter YYYYQ4"),
    Column("REFNIS", r"\d{5}", "a 5-digit REFNIS commune code"),
    Column("FORME_JURIDIQUE", r"\d{3}", "a 3-digit KBO juridical form"),
    Column("AGREMENT", r"CNC|ES|CNC\+ES", "empty, CNC, ES or CNC+ES", optional=True),
    Column("NACE_VERSION", r"2008|2025", "2008 or 2025"),
    Column("NACE", r"\d{5}", "a 5-digit NACE-BEL code without a dot (e.g. 88101)",
           wrong_forms=((r"^\d{2}\.\d{3}$", "a NACE-BEL code with a dot; the contract has no dot"),)),
)
JOBS = FileContract(
    name="onss_postes",
    delimiter=",",
    quoted=True,
    columns=KEY_COLUMNS
    + (
        Column("SEXE", r"[MF]", "M or F"),
        Column("CLASSE_AGE", r"<25|25-34|35-44|45-54|55-64|65\+", "an age class <25, 25-34, ..., 65+"),
        Column("POSTES", r"\d{1,15}", "an integer >= 0 (at most 15 digits)", wrong_forms=(NEGATIVE,), count=True),
        Column("ETP", rf"\d{{1,15}}(\.\d{{1,{FTE_DECIMALS}}})?",
               f"a decimal >= 0 with a decimal point (at most 15 digits before it and {FTE_DECIMALS} after)",
               optional=True,
               wrong_forms=(NEGATIVE, (r"^\d+,\d+$", "a decimal comma where the contract asks for a decimal point"),
                            FTE_TOO_PRECISE),
               count=True),
    ),
    key=("TRIMESTRE", "REFNIS", "FORME_JURIDIQUE", "AGREMENT", "NACE_VERSION", "NACE", "SEXE", "CLASSE_AGE"),
)
UNITS = FileContract(
    name="onss_unites",
    delimiter=",",
    quoted=True,
    columns=KEY_COLUMNS
    + (
        Column("NB_UNITES", r"[1-9]\d{0,14}", "an integer >= 1 (at most 15 digits)", wrong_forms=(NEGATIVE,), count=True),
        Column("POSTES_MAX_UNITE", r"\d{1,15}", "an integer >= 0 (at most 15 digits)", wrong_forms=(NEGATIVE,),
               count=True),
    ),
    key=("TRIMESTRE", "REFNIS", "FORME_JURIDIQUE", "AGREMENT", "NACE_VERSION", "NACE"),
)

STAGING_DDL = f"""
CREATE SCHEMA IF NOT EXISTS src;
CREATE TABLE IF NOT EXISTS src.be_onss_jobs (
    year INTEGER, refnis VARCHAR, juridical_form VARCHAR, accreditation VARCHAR, nace_version VARCHAR, nace VARCHAR,
    sexe VARCHAR, classe_age VARCHAR, jobs BIGINT, fte {FTE_TYPE}, file_name VARCHAR, line BIGINT);
CREATE TABLE IF NOT EXISTS src.be_onss_units (
    year INTEGER, refnis VARCHAR, juridical_form VARCHAR, accreditation VARCHAR, nace_version VARCHAR, nace VARCHAR,
    units BIGINT, max_unit_jobs BIGINT, file_name VARCHAR, line BIGINT);
"""


def available_years(raw_dir: Path) -> list[int]:
    folder = vintages.current(raw_dir, FOLDER)
    return sorted(int(m.group(1)) for p in folder.glob("onss_postes_*.csv") if (m := JOBS_NAME.fullmatch(p.name)))


def paths(raw_dir: Path, year: int) -> tuple[Path, Path]:
    folder = vintages.current(raw_dir, FOLDER)
    return folder / f"onss_postes_{year}Q4.csv", folder / f"onss_unites_{year}Q4.csv"


def load_year(con: duckdb.DuckDBPyConnection, raw_dir: Path, year: int) -> dict:
    """Validate and stage one year's pair of files; return what was loaded (for metadata)."""
    jobs_path, units_path = paths(raw_dir, year)
    jobs_rows = load_delivery(con, jobs_path, JOBS, "_onss_jobs")
    check_year(jobs_path, JOBS_NAME.pattern, "_onss_jobs", con, "TRIMESTRE")
    units_rows = load_delivery(con, units_path, UNITS, "_onss_units")
    check_year(units_path, UNITS_NAME.pattern, "_onss_units", con, "TRIMESTRE")
    check_pair(con, jobs_path, "_onss_jobs", units_path, "_onss_units", UNITS.key, "POSTES", "POSTES_MAX_UNITE")

    con.execute(STAGING_DDL)
    ensure_column_type(con, "src.be_onss_jobs", "fte", FTE_TYPE)
    con.execute("DELETE FROM src.be_onss_jobs WHERE year = ?", [year])
    con.execute("DELETE FROM src.be_onss_units WHERE year = ?", [year])
    con.execute(
        f"""INSERT INTO src.be_onss_jobs
           SELECT CAST(left(TRIMESTRE, 4) AS INTEGER), REFNIS, FORME_JURIDIQUE, coalesce(AGREMENT, ''), NACE_VERSION,
                  NACE, SEXE, CLASSE_AGE, CAST(POSTES AS BIGINT), CAST(nullif(ETP, '') AS {FTE_TYPE}), ?, line
           FROM _onss_jobs""",
        [jobs_path.name],
    )
    con.execute(
        """INSERT INTO src.be_onss_units
           SELECT CAST(left(TRIMESTRE, 4) AS INTEGER), REFNIS, FORME_JURIDIQUE, coalesce(AGREMENT, ''), NACE_VERSION,
                  NACE, CAST(NB_UNITES AS BIGINT), CAST(POSTES_MAX_UNITE AS BIGINT), ?, line
           FROM _onss_units""",
        [units_path.name],
    )
    con.execute("DROP TABLE _onss_jobs; DROP TABLE _onss_units")
    jobs_total, nace2025_rows = con.execute(
        "SELECT sum(jobs), count(*) FILTER (WHERE nace_version = '2025') FROM src.be_onss_jobs WHERE year = ?",
        [year]).fetchone()
    sources = [
        record_source(con, SOURCE_ID, jobs_path, jobs_rows, read_origin(jobs_path, ORIGIN), f"{year}Q4"),
        record_source(con, SOURCE_ID, units_path, units_rows, read_origin(units_path, ORIGIN), f"{year}Q4"),
    ]
    return {"year": year, "jobs_rows": jobs_rows, "units_rows": units_rows, "jobs": int(jobs_total or 0),
            "jobs_rows_2025_codes": int(nace2025_rows), "sources": sources}


SOURCES = (Source(
    SOURCE_ID, "BE", FOLDER, "ONSS/RSZ employment deliveries",
    "ONSS/RSZ employment extraction (jobs at the end of Q4 by commune, juridical form, accreditation, NACE, sex, "
    "age; units per cell), validated against delivery contract v1 and staged in ``src.be_onss_*``.",
    DELIVERY, ("src.be_onss_jobs", "src.be_onss_units"), load_year, modules=(validation,),
    years=available_years, frame_schema=validation.BE_ONSS_JOBS, harmonisation=harmonise.ONSS),)
