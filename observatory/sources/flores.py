"""INSEE employment extraction from FLORES, delivered under agreement (contracts.md, France, layout v1).

``flores_postes_<YYYY>.csv``: jobs at 31 December by commune, legal category, activity, sex and age.
``flores_etablissements_<YYYY>.csv``: employer establishments per (commune, legal category, activity), with the
jobs of the largest one (for the dominance rule). Separator ``;``, UTF-8 (BOM tolerated), decimal comma.
APET is a NAF rev. 2 sub-class; an optional column (:data:`NAF_VERSION_COLUMN`, an assumption [U]) may say that it
is a NAF 2025 one.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from observatory import harmonise, validation, vintages
from observatory.delivery import NEGATIVE, Column, FileContract, check_pair, check_year, load_delivery
from observatory.provenance import Origin, read_origin, record_source
from observatory.sources import DELIVERY, FTE_DECIMALS, FTE_TOO_PRECISE, FTE_TYPE, Source, ensure_column_type

SOURCE_ID = "fr_flores"
FOLDER = Path("fr") / "flores"
JOBS_NAME = re.compile(r"flores_postes_(\d{4})\.csv")
UNITS_NAME = re.compile(r"flores_etablissements_(\d{4})\.csv")
ORIGIN = Origin(
    producer="INSEE (FLORES), extraction delivered under agreement",
    url="delivered under agreement (no public URL)",
    licence="Restricted: delivered under a data-sharing agreement; publish only disclosure-controlled aggregates",
)

# [U] NAF 2025 in APET. The contract (layout v1) has APET in NAF rev. 2 only; when INSEE delivers NAF 2025 codes, a
# column is ASSUMED to name the nomenclature of APET. Its name and values are set here, and only here: the column
# may be absent (every APET is then NAF rev. 2) and an empty value means NAF rev. 2. Each delivered value maps to the
# nomenclature harmonisation reads: NAFRev2 (classified as it is) or NAF2025 (through the NACE Rev. 2.1 -> Rev. 2
# correspondence, docs/methodology.md). The column is not part of the key: a file that gave the same APET string in
# both nomenclatures for one cell would stop on a duplicated key rather than be paired wrongly.
NAF_VERSION_COLUMN = "NAF_VERSION"
NAF_VERSION_VALUES = {"NAFRev2": "NAFRev2", "NAF2025": "NAF2025"}

KEY_COLUMNS = (
    Column("ANNEE", r"\d{4}", "a 4-digit year"),
    Column("DEPCOM", r"\d{5}|2[AB]\d{3}", "a 5-character COG commune code (e.g. 59350, 2A004)"),
    Column("CJ", r"\d{4}", "a 4-digit legal category (INSEE level III)"),
    Column(NAF_VERSION_COLUMN, "|".join(re.escape(v) for v in NAF_VERSION_VALUES),
           f"empty or {', '.join(NAF_VERSION_VALUES)} (the nomenclature of APET)", optional=True, may_be_absent=True),
    Column("APET", r"\d{4}[A-Z]", "a NAF rev. 2 (or, with the nomenclature column, NAF 2025) sub-class without a dot "
           "(e.g. 8810A)",
           wrong_forms=((r"^\d{2}\.\d{2}[A-Z]$", "a NAF code with a dot; the contract has no dot"),)),
)
JOBS = FileContract(
    name="flores_postes",
    delimiter=";",
    quoted=False,
    columns=KEY_COLUMNS
    + (
        Column("SEXE", r"[12]", "1 (men) or 2 (women)"),
        Column("TRAGE", r"00|20|25|30|35|40|45|50|55|60|65", "an age class 00, 20, 25, ..., 65"),
        Column("POSTES", r"\d{1,15}", "an integer >= 0 (at most 15 digits)", wrong_forms=(NEGATIVE,), count=True),
        Column("EQTP", rf"\d{{1,15}}(,\d{{1,{FTE_DECIMALS}}})?",
               f"a decimal >= 0 with a decimal comma (at most 15 digits before it and {FTE_DECIMALS} after)",
               optional=True,
               wrong_forms=(NEGATIVE, (r"^\d+\.\d+$", "a decimal point where the contract asks for a decimal comma"),
                            FTE_TOO_PRECISE),
               count=True),
    ),
    key=("ANNEE", "DEPCOM", "CJ", "APET", "SEXE", "TRAGE"),
)
UNITS = FileContract(
    name="flores_etablissements",
    delimiter=";",
    quoted=False,
    columns=KEY_COLUMNS
    + (
        Column("NBETAB", r"[1-9]\d{0,14}", "an integer >= 1 (at most 15 digits)", wrong_forms=(NEGATIVE,), count=True),
        Column("POSTES_MAX_ETAB", r"\d{1,15}", "an integer >= 0 (at most 15 digits)", wrong_forms=(NEGATIVE,),
               count=True),
    ),
    key=("ANNEE", "DEPCOM", "CJ", "APET"),
)

STAGING_DDL = f"""
CREATE SCHEMA IF NOT EXISTS src;
CREATE TABLE IF NOT EXISTS src.fr_flores_jobs (
    year INTEGER, depcom VARCHAR, cj VARCHAR, apet VARCHAR, sexe VARCHAR, trage VARCHAR,
    jobs BIGINT, fte {FTE_TYPE}, file_name VARCHAR, line BIGINT, naf_version VARCHAR DEFAULT 'NAFRev2');
CREATE TABLE IF NOT EXISTS src.fr_flores_units (
    year INTEGER, depcom VARCHAR, cj VARCHAR, apet VARCHAR, units BIGINT, max_unit_jobs BIGINT,
    file_name VARCHAR, line BIGINT, naf_version VARCHAR DEFAULT 'NAFRev2');
-- Working databases staged before naf_version existed: every row there is NAF rev. 2.
ALTER TABLE src.fr_flores_jobs ADD COLUMN IF NOT EXISTS naf_version VARCHAR DEFAULT 'NAFRev2';
ALTER TABLE src.fr_flores_units ADD COLUMN IF NOT EXISTS naf_version VARCHAR DEFAULT 'NAFRev2';
"""


def available_years(raw_dir: Path) -> list[int]:
    folder = vintages.current(raw_dir, FOLDER)
    return sorted(int(m.group(1)) for p in folder.glob("flores_postes_*.csv") if (m := JOBS_NAME.fullmatch(p.name)))


def paths(raw_dir: Path, year: int) -> tuple[Path, Path]:
    folder = vintages.current(raw_dir, FOLDER)
    return folder / f"flores_postes_{year}.csv", folder / f"flores_etablissements_{year}.csv"


def load_year(con: duckdb.DuckDBPyConnection, raw_dir: Path, year: int) -> dict:
    """Validate and stage one year's pair of files; return what was loaded (for metadata)."""
    jobs_path, units_path = paths(raw_dir, year)
    jobs_rows = load_delivery(con, jobs_path, JOBS, "_flores_jobs")
    check_year(jobs_path, JOBS_NAME.pattern, "_flores_jobs", con, "ANNEE")
    units_rows = load_delivery(con, units_path, UNITS, "_flores_units")
    check_year(units_path, UNITS_NAME.pattern, "_flores_units", con, "ANNEE")
    check_pair(con, jobs_path, "_flores_jobs", units_path, "_flores_units", UNITS.key, "POSTES", "POSTES_MAX_ETAB")

    con.execute(STAGING_DDL)
    ensure_column_type(con, "src.fr_flores_jobs", "fte", FTE_TYPE)
    con.execute("DELETE FROM src.fr_flores_jobs WHERE year = ?", [year])
    con.execute("DELETE FROM src.fr_flores_units WHERE year = ?", [year])
    version = _naf_version_sql()
    con.execute(
        f"""INSERT INTO src.fr_flores_jobs
            SELECT CAST(ANNEE AS INTEGER), DEPCOM, CJ, APET, SEXE, TRAGE, CAST(POSTES AS BIGINT),
                   CAST(replace(nullif(EQTP, ''), ',', '.') AS {FTE_TYPE}), ?, line, {version}
            FROM _flores_jobs""",
        [jobs_path.name],
    )
    con.execute(
        f"""INSERT INTO src.fr_flores_units
            SELECT CAST(ANNEE AS INTEGER), DEPCOM, CJ, APET, CAST(NBETAB AS BIGINT), CAST(POSTES_MAX_ETAB AS BIGINT),
                   ?, line, {version}
            FROM _flores_units""",
        [units_path.name],
    )
    con.execute("DROP TABLE _flores_jobs; DROP TABLE _flores_units")
    jobs_total, naf2025_rows = con.execute(
        "SELECT sum(jobs), count(*) FILTER (WHERE naf_version = 'NAF2025') FROM src.fr_flores_jobs WHERE year = ?",
        [year]).fetchone()
    sources = [
        record_source(con, SOURCE_ID, jobs_path, jobs_rows, read_origin(jobs_path, ORIGIN), str(year)),
        record_source(con, SOURCE_ID, units_path, units_rows, read_origin(units_path, ORIGIN), str(year)),
    ]
    return {"year": year, "jobs_rows": jobs_rows, "units_rows": units_rows, "jobs": int(jobs_total or 0),
            "jobs_rows_2025_codes": int(naf2025_rows), "sources": sources}


def _naf_version_sql() -> str:
    """SQL giving the nomenclature of APET (NAFRev2 or NAF2025) from the delivered column, empty = NAF rev. 2."""
    cases = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in NAF_VERSION_VALUES.items())
    column = '"' + NAF_VERSION_COLUMN.replace('"', '""') + '"'
    return f"CASE {column} {cases} ELSE 'NAFRev2' END"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


SOURCES = (Source(
    SOURCE_ID, "FR", FOLDER, "INSEE FLORES employment deliveries",
    "INSEE FLORES employment extraction (jobs by commune, legal category, activity, sex, age; employer "
    "establishments per cell), validated against delivery contract v1 and staged in ``src.fr_flores_*``.",
    DELIVERY, ("src.fr_flores_jobs", "src.fr_flores_units"), load_year, modules=(validation,),
    years=available_years, frame_schema=validation.FR_FLORES_JOBS, harmonisation=harmonise.FLORES),)
