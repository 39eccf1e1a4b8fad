"""The published schema (publication rules v1): every table and column with its type and its COMMENT.

This is the one description of what researchers get. It creates the tables, writes the DuckDB COMMENTs,
generates the pandera schemas of the checks (``observatory.validation``) and the data dictionary in the docs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    comment: str
    nullable: bool = True
    allowed: tuple[str, ...] | None = None  # closed code list, checked by pandera
    signed: bool = False  # numbers may be negative (differences, gaps); others are checked >= 0


@dataclass(frozen=True)
class Table:
    name: str  # schema.table
    comment: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()

    def ddl(self, catalog: str | None = None) -> str:
        cols = ",\n    ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE OR REPLACE TABLE {qualified(self.name, catalog)} (\n    {cols}\n)"

    def ensure_ddl(self) -> str:
        """Create the table and its schema if missing, keeping their rows; a table made by older code gains the
        columns it lacks (appended)."""
        cols = ", ".join(f"{c.name} {c.type}" for c in self.columns)
        alters = "".join(f"ALTER TABLE {self.name} ADD COLUMN IF NOT EXISTS {c.name} {c.type};\n"
                         for c in self.columns)
        return (f"CREATE SCHEMA IF NOT EXISTS {self.name.split('.')[0]};\n"
                f"CREATE TABLE IF NOT EXISTS {self.name} ({cols});\n{alters}")


def qualified(name: str, catalog: str | None) -> str:
    return f"{catalog}.{name}" if catalog else name


COOP_TYPES = ("COOP_WORKER", "COOP_SOCIAL", "COOP_SELF_EMPLOYED", "COOP_OTHER")  # parts of COOP (issue 15)
FAMILIES_JOBS = ("ASSOC", "COOP", *COOP_TYPES, "MUTUAL", "FOUND", "ESS", "ALL")
FAMILIES_REGISTRY = ("ASSOC", "COOP", *COOP_TYPES, "MUTUAL", "FOUND", "SOCENT", "ESS", "ALL")
NACE_A10 = ("A", "B-E", "F", "G-I", "J", "K", "L", "M_N", "O-Q", "R-U", "TOTAL")
SEXES = ("F", "M", "T")
AGE_BANDS = ("Y_LT25", "Y25-34", "Y35-44", "Y45-54", "Y55-64", "Y_GE65", "TOTAL")
POPULATION_AGE_BANDS = (*AGE_BANDS, "Y15-24", "Y15-64", "UNK")
COUNTRIES = ("FR", "BE", "ALL")
# Indicator codes, in their published order, with their definitions: read from nomenclatures/indicators.csv, which
# also holds their labels, units and sources (published as mart.dim_indicator; docs/methodology.md explains them).
INDICATOR_FILE = Path(__file__).resolve().parent / "nomenclatures" / "indicators.csv"


def _indicator_rows() -> list[dict[str, str]]:
    with INDICATOR_FILE.open(encoding="utf-8", newline="") as file:
        return sorted(csv.DictReader(file), key=lambda row: int(row["sort_order"]))


INDICATOR_DEFINITIONS = {row["indicator"]: row["definition"] for row in _indicator_rows()}
INDICATOR_UNITS = ("jobs", "fte", "percent", "pp", "jobs_per_unit", "jobs_per_1000_pop")
INDICATOR_CODES = tuple(INDICATOR_DEFINITIONS)
GEO_LEVELS = ("NUTS3", "AREA")

_year = Col("year", "INTEGER", "Reference year: jobs at 31 December (registry counts: year of the snapshot date)", False)
_country = Col("country", "VARCHAR", "FR, BE, or ALL for the rows of the whole cooperation area", False, COUNTRIES)
_geo = Col("geo", "VARCHAR", "NUTS3 code (NUTS 2021) or area aggregate FWVL_FR, FWVL_BE, FWVL; labels in mart.dim_geo",
           False)
_geo_level = Col("geo_level", "VARCHAR", "NUTS3 or AREA", False, GEO_LEVELS)
# SDMX CL_CONF_STATUS codes of statistical disclosure control (docs/data-dictionary.md, docs/methodology.md).
CONF_STATUS_CODES = ("A", "O", "D")
_conf = Col("conf_status", "VARCHAR", "NULL, or why the value is suppressed by statistical disclosure control "
            "(SDMX CONF_STATUS): A primary, small count (jobs, or units of the parent cell); O primary, dominance "
            "by one unit; D secondary (suppressed so that no suppressed value can be worked out from the others)",
            True, CONF_STATUS_CODES)

JOBS = Table(
    "mart.jobs",
    "Salaried jobs (headcount at 31 December, place of work) by territory, family, A*10 sector, sex and age band, "
    "margins included. A cell with no row is zero. Sources: INSEE FLORES (FR) and ONSS (BE) extractions.",
    (
        _year, _country, _geo, _geo_level,
        Col("family", "VARCHAR", "ASSOC, COOP, MUTUAL, FOUND, ESS (their sum: common definition) or ALL (every "
            "employer); and the parts of COOP by cooperative type (COOP_WORKER, COOP_SOCIAL, COOP_SELF_EMPLOYED, "
            "COOP_OTHER); labels in mart.dim_family", False, FAMILIES_JOBS),
        Col("nace_a10", "VARCHAR", "Eurostat A*10 sector group of the NACE Rev. 2 activity, or TOTAL", False, NACE_A10),
        Col("sex", "VARCHAR", "F, M or T (total)", False, SEXES),
        Col("age_band", "VARCHAR", "Published age band or TOTAL", False, AGE_BANDS),
        Col("jobs", "DOUBLE", "Headcount of salaried jobs; NULL when confidential"),
        Col("fte", "DOUBLE", "Full-time equivalent; NULL when confidential or not delivered for every part of the cell"),
        Col("units", "BIGINT", "Establishment units behind the cell; filled where sex = T and age_band = TOTAL"),
        _conf,
    ),
    key=("year", "country", "geo", "family", "nace_a10", "sex", "age_band"),
)
ESTABLISHMENTS = Table(
    "mart.establishments",
    "Active establishments in the public registries (SIRENE, KBO) at the snapshot date, by territory, family and "
    "A*10 sector (UNK: activity unknown or not coded in NACE Rev. 2); a year for each year of snapshots the raw "
    "folder keeps (the year's latest). Public registry data: not suppressed.",
    (
        _year, _country, _geo, _geo_level,
        Col("family", "VARCHAR", "ASSOC, COOP, MUTUAL, FOUND, SOCENT, ESS or ALL; and the parts of COOP by "
            "cooperative type: COOP_WORKER, COOP_SOCIAL, COOP_SELF_EMPLOYED, COOP_OTHER (parent in mart.dim_family)",
            False, FAMILIES_REGISTRY),
        Col("nace_a10", "VARCHAR", "A*10 sector group, UNK or TOTAL", False, (*NACE_A10, "UNK")),
        Col("establishments", "BIGINT", "Active establishments (France) or establishment units (Belgium)", False),
        Col("employer_establishments", "BIGINT", "Of which employers: France caractereEmployeurEtablissement = O; "
            "Belgium: the enterprise has an ONSS (ActivityGroup 006) activity", False),
        Col("snapshot_date", "DATE", "Date of the registry snapshot the counts describe", False),
    ),
    key=("year", "country", "geo", "family", "nace_a10"),
)
_demography_family = Col("family", "VARCHAR", "ASSOC, COOP (and its types COOP_WORKER, COOP_SOCIAL, "
                         "COOP_SELF_EMPLOYED, COOP_OTHER), MUTUAL, FOUND, SOCENT, ESS or ALL, by the legal category "
                         "alone: no activity is excluded from ESS here", False, FAMILIES_REGISTRY)
_demography_geo = Col("geo", "VARCHAR", "NUTS3 code, or a side's aggregate (FWVL_FR, FWVL_BE); no FWVL: the two "
                      "registries see closures over different spans of years", False)
DEMOGRAPHY = Table(
    "mart.demography",
    "Enterprise demography from the SIRENE legal units (France) and the KBO enterprises (Belgium): births, closures "
    "and the active stock at 31 December, by year, territory (the head office's, the registered seat's) and family. "
    "Belgium: only the whole years seen by the KBO extracts kept (its open data holds active enterprises only; a "
    "closure is a deletion by an Update, or an absence from the next vintage's Full). Public registry data: not "
    "suppressed. Known biases (registry clean-ups, transfers, reactivations) in docs/methodology.md.",
    (
        Col("year", "INTEGER", "Calendar year (the last complete year of the snapshot at most; Belgium: from the first "
            "whole year after the oldest Full extract kept)", False),
        _country, _demography_geo, _geo_level, _demography_family,
        Col("births", "BIGINT", "Enterprises created in the year (dateCreationUniteLegale; KBO StartDate)", False),
        Col("closures", "BIGINT", "Enterprises ceased in the year (etatAdministratifUniteLegale = C with dateDebut; "
            "KBO: deleted by an Update and not inserted again, on its SnapshotDate; or held by a vintage's extracts "
            "and not by the next vintage's Full, on that Full's SnapshotDate)", False),
        Col("active_end", "BIGINT", "Enterprises created by 31 December and not ceased by then", False),
        Col("snapshot_date", "DATE", "Date of the registry snapshot the counts come from", False),
    ),
    key=("year", "country", "geo", "family"),
)
SURVIVAL = Table(
    "mart.survival",
    "Survival of each birth cohort of SIRENE legal units and KBO enterprises at 1, 3 and 5 years, by territory and "
    "family: an enterprise survives h years if it has not ceased before its h-th anniversary. A cohort is given for h "
    "once all its members have reached that anniversary, and (Belgium) once its birth year and the h years after "
    "are seen by the KBO extracts kept. Public registry data: not suppressed.",
    (
        Col("cohort", "INTEGER", "Year of creation", False),
        Col("horizon", "INTEGER", "Years after creation: 1, 3 or 5", False),
        _country, _demography_geo, _geo_level, _demography_family,
        Col("births", "BIGINT", "Enterprises of the cohort", False),
        Col("survivors", "BIGINT", "Of which not ceased before their h-th anniversary", False),
        Col("survival_rate", "DOUBLE", "100 × survivors / births, one decimal", False),
        Col("snapshot_date", "DATE", "Date of the registry snapshot the counts come from", False),
    ),
    key=("cohort", "horizon", "country", "geo", "family"),
)
INDICATORS = Table(
    "mart.indicators",
    "Indicators by year, territory, sex and age band, computed from the cells before suppression; an indicator "
    "computed from a suppressed cell is suppressed (conf_status D; ess_jobs and ess_fte, which are the ESS cell, "
    "take its code), one built on a population figure Eurostat marks "
    "confidential or missing is not computed (value NULL, flags kept in obs_flag), and ess_fte is NULL and flagged m "
    "when the FTE was not delivered for every part of the cell; the indicators with a population "
    "denominator are left out when the build had no population file (meta.release.missing_context_inputs). "
    "Definitions: data dictionary and docs/methodology.md.",
    (
        _year, _country, _geo, _geo_level,
        Col("indicator", "VARCHAR", "Indicator code (see the list under the table in the data dictionary); labels, "
            "unit and definition in mart.dim_indicator", False, INDICATOR_CODES),
        Col("sex", "VARCHAR", "F, M or T: the sex the indicator describes (T for indicators without a sex breakdown)",
            False, SEXES),
        Col("age_band", "VARCHAR", "Age band the indicator describes, or TOTAL", False, AGE_BANDS),
        Col("value", "DOUBLE", "Value; NULL when confidential or not computable", signed=True),
        Col("unit", "VARCHAR", "jobs, fte, percent, pp (percentage points), jobs_per_unit or jobs_per_1000_pop "
            "(the unit of the indicator in mart.dim_indicator)", False, INDICATOR_UNITS),
        _conf,
        Col("obs_flag", "VARCHAR", "Eurostat-style flags of the population figure used (e.g. p provisional, e "
            "estimated), m when that figure is missing; for ess_fte, m when the FTE was not delivered for every part "
            "of the cell (value NULL; kept beside a conf_status too); NULL otherwise"),
    ),
    key=("year", "country", "geo", "indicator", "sex", "age_band"),
)
RECONCILIATION = Table(
    "mart.perimeter_reconciliation",
    "Jobs of each country side under the common definition and under the national definition, and the parts of "
    "the difference: COMMON TOTAL + the NATIONAL parts = NATIONAL TOTAL.",
    (
        _year, _country, _geo,
        Col("definition", "VARCHAR", "COMMON or NATIONAL", False, ("COMMON", "NATIONAL")),
        Col("component", "VARCHAR", "TOTAL, or a part of the national-minus-common difference", False),
        Col("jobs", "DOUBLE", "Jobs (signed for the parts); NULL when confidential", signed=True),
        Col("description", "VARCHAR", "What the row counts", False),
        _conf,
    ),
    key=("year", "country", "definition", "component"),
)


POPULATION = Table(
    "mart.population",
    "Resident population on 1 January by territory, sex and age band, from the source chosen by the setting "
    "OBSERVATORY_POPULATION_SOURCE (eurostat: demo_r_pjangrp3; national: INSEE estimates and Statbel). Bands are "
    "exact sums of the source's age classes; Y15-64 is the working-age span; UNK the population of unknown age "
    "(inside TOTAL, in no band). Public data: not suppressed, but Eurostat's confidential cells stay NULL. Empty (or "
    "without one side) when the build had no population file (meta.release.missing_context_inputs).",
    (
        Col("year", "INTEGER", "Year of the reference date: population on 1 January of this year", False),
        _country, _geo, _geo_level,
        Col("sex", "VARCHAR", "F, M or T (total)", False, SEXES),
        Col("age_band", "VARCHAR", "Published age band, Y15-24, Y15-64, UNK or TOTAL; labels in mart.dim_age_band",
            False, POPULATION_AGE_BANDS),
        Col("population", "DOUBLE", "Residents; NULL when a part is missing or confidential at the source"),
        Col("source", "VARCHAR", "Source id(s): eu_eurostat_population, fr_insee_population, be_statbel_population",
            False),
        Col("obs_flag", "VARCHAR", "Eurostat OBS_FLAG letters of the parts summed (verbatim, merged), NULL when none"),
        Col("conf_status", "VARCHAR", "Eurostat CONF_STATUS of a confidential part (C, N or P; C for the legacy "
            "flag c); NULL otherwise", True, ("C", "N", "P")),
    ),
    key=("year", "country", "geo", "sex", "age_band"),
)
LFS_EMPLOYMENT = Table(
    "mart.lfs_employment",
    "Labour-market context: employment (Labour Force Survey, place of residence) by NUTS2 region of the area, sex, "
    "age and NACE Rev. 2 section group, in thousands, from Eurostat lfst_r_lfe2en2 with its flags. NUTS2 regions "
    "reach beyond the area (FRF2 includes Aube and Haute-Marne; BE23 all of Oost-Vlaanderen): not comparable with "
    "the area totals of mart.jobs. Empty when the build had no lfst_r_lfe2en2 file.",
    (
        Col("year", "INTEGER", "Reference year (annual average)", False),
        Col("country", "VARCHAR", "FR or BE", False, ("FR", "BE")),
        Col("geo", "VARCHAR", "NUTS2 code (NUTS 2021)", False),
        Col("sex", "VARCHAR", "F, M or T", False, SEXES),
        Col("age", "VARCHAR", "Eurostat age code as published (e.g. Y15-64, Y_GE15)", False),
        Col("nace_r2", "VARCHAR", "Eurostat NACE Rev. 2 code as published (TOTAL, A*10 groups, sections)", False),
        Col("thousand_persons", "DOUBLE", "Employed persons, thousands; NULL when missing or confidential"),
        Col("obs_flag", "VARCHAR", "Eurostat OBS_FLAG, verbatim"),
        Col("conf_status", "VARCHAR", "Eurostat CONF_STATUS (C, N, P), or C for the legacy flag c", True,
            ("C", "N", "P")),
    ),
    key=("year", "geo", "sex", "age", "nace_r2"),
)
CROSS_BORDER = Table(
    "mart.cross_border_comparison",
    "Each indicator of mart.indicators side by side across the border: the French and Belgian sides of the area "
    "(comparison SIDES) and each French NUTS3 with each Belgian NUTS3 it borders (comparison NEIGHBOURS, pairs from "
    "nomenclatures/cross_border_pairs.csv), with the difference French minus Belgian.",
    (
        _year,
        Col("indicator", "VARCHAR", "Indicator code, as in mart.indicators", False, INDICATOR_CODES),
        Col("sex", "VARCHAR", "F, M or T", False, SEXES),
        Col("age_band", "VARCHAR", "Age band or TOTAL", False, AGE_BANDS),
        Col("comparison", "VARCHAR", "SIDES (FWVL_FR vs FWVL_BE) or NEIGHBOURS (a border pair of NUTS3)", False,
            ("SIDES", "NEIGHBOURS")),
        Col("fr_geo", "VARCHAR", "French territory", False),
        Col("be_geo", "VARCHAR", "Belgian territory", False),
        Col("unit", "VARCHAR", "Unit of the indicator (the difference has the same unit)", False),
        Col("fr_value", "DOUBLE", "Value on the French side; NULL when suppressed or not computable", signed=True),
        Col("be_value", "DOUBLE", "Value on the Belgian side; NULL when suppressed or not computable", signed=True),
        Col("difference", "DOUBLE", "fr_value minus be_value (percentage points for percentages); NULL if either is "
            "NULL", signed=True),
        Col("fr_conf_status", "VARCHAR", "conf_status of the French value", True, CONF_STATUS_CODES),
        Col("be_conf_status", "VARCHAR", "conf_status of the Belgian value", True, CONF_STATUS_CODES),
        Col("obs_flag", "VARCHAR", "Flags of the population figures behind either value (merged letters)"),
    ),
    key=("year", "indicator", "sex", "age_band", "comparison", "fr_geo", "be_geo"),
)


# What a documented case is (observatory.cases checks the files against it): code -> meaning.
CASE_KINDS = {
    "creation": "a new enterprise created",
    "worker_buyout": "an enterprise taken over by its employees (e.g. as a worker cooperative)",
    "consolidation": "an existing enterprise consolidated (jobs made lasting, activity extended)",
    "inclusion": "work integration of disadvantaged workers",
    "social_services": "social services to people or communities",
}
_case_count = "as reported by the partner; NULL when not given"
CASES = Table(
    "mart.cases",
    "Documented cases: best practices the partners (cooperative federations) document with figures, one per case "
    "file (<raw>/cases/*.yaml, docs/cases.md), each linked to its registry entry (SIRENE legal unit, KBO "
    "enterprise) and given indicators of its territory. The cases' figures are self-reported by the partners, not "
    "statistics: they are published as reported, never added to the statistical tables. Not suppressed.",
    (
        Col("case_id", "VARCHAR", "The case file's name without .yaml", False),
        Col("file_name", "VARCHAR", "The case file", False),
        Col("name", "VARCHAR", "Name of the case, as the partner publishes it", False),
        Col("country", "VARCHAR", "FR or BE: the registry the enterprise is in", False, ("FR", "BE")),
        Col("identifier", "VARCHAR", "SIREN (France) or KBO/BCE enterprise number 0123.456.789 (Belgium)", False),
        Col("year", "INTEGER", "Year of the event the case documents", False),
        Col("kind", "VARCHAR", "creation, worker_buyout (take-over by the employees), consolidation, inclusion (of "
            "disadvantaged workers) or social_services", False, tuple(CASE_KINDS)),
        Col("summary", "VARCHAR", "What was done, in the partner's words; NULL when not given"),
        Col("jobs_created", "INTEGER", f"Jobs created by the event, {_case_count}"),
        Col("jobs_saved", "INTEGER", f"Jobs that would have been lost without it, {_case_count}"),
        Col("jobs_consolidated", "INTEGER", f"Existing jobs made lasting, {_case_count}"),
        Col("jobs_after", "INTEGER", f"Jobs still held years_after years after the event, {_case_count}"),
        Col("years_after", "INTEGER", "Years after the event at which jobs_after was counted"),
        Col("disadvantaged_workers", "INTEGER", f"Of the jobs, those held by disadvantaged workers, {_case_count}"),
        Col("sources", "VARCHAR", "Where the figures come from: '; '-separated titles with their <url> or "
            "(reference)", False),
        Col("synthetic", "BOOLEAN", "True for an invented example (the embedded sample's), never a real case", False),
        Col("registry", "VARCHAR", "SIRENE (France) or KBO (Belgium): where the identifier was looked up", False,
            ("SIRENE", "KBO")),
        Col("registry_snapshot_date", "DATE", "Date of the registry snapshot the link describes; NULL when the "
            "enterprise was not looked up (the Belgian cases until the KBO enterprises are kept by the build)"),
        Col("state", "VARCHAR", "active or ceased at the snapshot date (KBO: ceased = removed from the extract by an "
            "update); NULL when not linked", True, ("active", "ceased")),
        Col("ceased_on", "DATE", "When it ceased (SIRENE dateDebut of the ceased period; KBO: the snapshot date of "
            "the update that removed it); NULL while active"),
        Col("legal_form", "VARCHAR", "SIRENE categorieJuridiqueUniteLegale or KBO juridical form"),
        Col("family", "VARCHAR", "Family of the legal form (ASSOC, COOP, MUTUAL, FOUND, SOCENT), as the "
            "establishments are classified; NULL outside the social economy or when not linked", True,
            ("ASSOC", "COOP", "MUTUAL", "FOUND", "SOCENT")),
        Col("coop_type", "VARCHAR", "For a cooperative, its type: COOP_WORKER, COOP_SOCIAL, COOP_SELF_EMPLOYED or "
            "COOP_OTHER", True, COOP_TYPES),
        Col("activity", "VARCHAR", "Activity code: the legal unit's APE (France), the enterprise's main NACE-BEL "
            "activity (Belgium)"),
        Col("activity_nomenclature", "VARCHAR", "Nomenclature of the activity code (NAFRev2, NACE-BEL 2008, ...)"),
        Col("geo", "VARCHAR", "NUTS3 of the head office (France) or registered seat (Belgium); NULL outside the "
            "area's départements, abroad or when not linked"),
        Col("created_on", "DATE", "Date of creation in the registry (dateCreationUniteLegale; KBO StartDate)"),
        Col("creation_year", "INTEGER", "Year of created_on"),
        Col("years_survived", "INTEGER", "Full years from created_on to ceased_on, or to the snapshot date while "
            "active"),
        Col("survival_cohort", "INTEGER", "The latest birth cohort of mart.survival with a 3-year rate for geo"),
        Col("survival_rate_3y_all", "DOUBLE", "mart.survival: 3-year survival rate (%) of all legal units of "
            "survival_cohort in geo; NULL when not published (Belgium for now)"),
        Col("survival_rate_3y_family", "DOUBLE", "mart.survival: the same for the case's family in geo; NULL when "
            "not published"),
        Col("establishments_year", "INTEGER", "Latest year of mart.establishments for geo"),
        Col("establishments_family", "BIGINT", "mart.establishments: active establishments of the case's family in "
            "geo that year (all sectors); NULL when none or not published"),
        Col("establishments_all", "BIGINT", "mart.establishments: active establishments of every family (family ALL) in geo "
            "that year (all sectors)"),
    ),
    key=("case_id",),
)


def _dim(name: str, code: str, comment: str, extra: tuple[Col, ...] = ()) -> Table:
    return Table(
        f"mart.dim_{name}",
        comment,
        (
            Col(code, "VARCHAR", "Code used in the mart tables", False),
            Col("sort_order", "INTEGER", "Order in which to list the codes (ORDER BY sort_order): the natural order "
                "of the code list, margins (TOTAL, T, ALL) and unknowns last", False),
            *extra,
            Col("label_fr", "VARCHAR", "Label in French", False),
            Col("label_nl", "VARCHAR", "Label in Dutch", False),
            Col("label_en", "VARCHAR", "Label in English", False),
            Col("source", "VARCHAR", "Where the code and label come from", False),
        ),
        key=(code,),
    )


DIMENSIONS = (
    _dim("geo", "geo", "Territories: the 32 NUTS3 regions of the cooperation area and the area aggregates",
         (Col("geo_level", "VARCHAR", "NUTS3 or AREA", False), Col("country", "VARCHAR", "FR, BE or ALL", False),
          Col("nuts2", "VARCHAR", "NUTS2 parent (NULL for area aggregates)"))),
    _dim("family", "family", "Social-economy families (common definition), the cooperative types below COOP, and the "
         "whole economy", (Col("parent", "VARCHAR", "The family this one is a part of (NULL for ALL)"),)),
    _dim("nace_a10", "nace_a10", "Eurostat A*10 sector groups (NACE Rev. 2 divisions)"),
    _dim("age_band", "age_band", "Published age bands (jobs and population) and the population-only bands Y15-24, "
         "Y15-64 and UNK", (Col("scope", "VARCHAR", "jobs+population, or population for the denominator bands", False),)),
    _dim("sex", "sex", "Sex codes"),
    _dim("indicator", "indicator", "Indicator codes of mart.indicators and mart.cross_border_comparison, with their "
         "unit and definition (docs/methodology.md explains them)",
         (Col("unit", "VARCHAR", "Unit of the values, as in mart.indicators.unit", False, INDICATOR_UNITS),
          Col("definition", "VARCHAR", "How the value is computed", False))),
)

SOURCES = Table(
    "meta.sources",
    "One row per input file loaded: its fingerprint and its origin (producer, URL, licence, reference period).",
    (
        Col("source_id", "VARCHAR", "Source: fr_sirene, fr_flores, be_kbo, be_onss, eu_eurostat_population, "
            "eu_eurostat_lfs, fr_insee_population, be_statbel_population", False),
        Col("file_name", "VARCHAR", "File name (ZIP:member for files read inside a ZIP)", False),
        Col("sha256", "VARCHAR", "SHA-256 of the file as read", False),
        Col("size_bytes", "BIGINT", "Size in bytes", False),
        Col("rows", "BIGINT", "Data rows read", False),
        Col("reference_period", "VARCHAR", "Reference period or snapshot date", False),
        Col("loaded_at", "TIMESTAMP WITH TIME ZONE", "When the file was loaded", False),
        Col("producer", "VARCHAR", "Producer", False),
        Col("url", "VARCHAR", "Where the file comes from", False),
        Col("licence", "VARCHAR", "Licence or agreement that governs the file", False),
        Col("synthetic", "BOOLEAN", "True for the embedded synthetic sample", False),
        Col("note", "VARCHAR", "Note from the file's origin sidecar"),
        Col("vintage", "VARCHAR", "The dated folder (vintage) the file was read from, data/raw/<country>/<source>/"
            "<vintage>/; empty when read from the source folder itself (the embedded sample)"),
        Col("retrieved", "VARCHAR", "When the file was retrieved from its producer (UTC), from its origin sidecar"),
    ),
)
# meta.sources of the working database: the published columns and the file's local path (not published).
_VINTAGE_AT = [c.name for c in SOURCES.columns].index("vintage")
WORKING_SOURCES = replace(SOURCES, columns=(
    *SOURCES.columns[:_VINTAGE_AT], Col("path", "VARCHAR", "Path of the file as read by the build", False),
    *SOURCES.columns[_VINTAGE_AT:],
))
REJECTS = Table(
    "meta.rejects",
    "Rows kept out of the tables, each with its reason (unknown codes, codes that cannot be converted).",
    (
        Col("source_id", "VARCHAR", "Source", False),
        Col("year", "INTEGER", "Reference year; registry rows: the year of the snapshot (NULL for the loader's rows "
            "of the current snapshot)"),
        Col("file_name", "VARCHAR", "File", False),
        Col("line", "BIGINT", "Line in the file (header = 1); NULL where the file is read in parallel"),
        Col("reason", "VARCHAR", "Why the row is kept out", False),
        Col("raw_text", "VARCHAR", "The row as read (or the registry key and count)", False),
        Col("jobs", "BIGINT", "Jobs on the row, for employment files"),
    ),
)
ROW_ACCOUNTING = Table(
    "meta.row_accounting",
    "Every row read, by outcome (used, outside_area, rejected): delivered = used + outside_area + rejected. The "
    "nace2025_* columns say, within each outcome, how many rows had their activity read from a NACE Rev. 2.1 code "
    "(NACE-BEL 2025, NAF 2025) converted to NACE Rev. 2, and how many of those conversions were ambiguous; they are "
    "parts of rows and jobs, never added to them.",
    (
        Col("source_id", "VARCHAR", "Source", False),
        Col("year", "INTEGER", "Reference year (NULL for registry snapshots)"),
        Col("file_name", "VARCHAR", "File", False),
        Col("outcome", "VARCHAR", "used, outside_area or rejected", False, ("used", "outside_area", "rejected")),
        Col("rows", "BIGINT", "Rows (registry: establishments)", False),
        Col("jobs", "BIGINT", "Jobs, for employment files"),
        Col("nace2025_rows", "BIGINT", "Of the rows, those classified through a NACE Rev. 2.1 code (NACE-BEL 2025, "
            "NAF 2025) read as a NACE Rev. 2 class with the correspondence of nomenclatures/nace21_nace2.csv; NULL "
            "for sources without activity codes"),
        Col("nace2025_jobs", "BIGINT", "Jobs of those rows, for employment files"),
        Col("nace2025_ambiguous_rows", "BIGINT", "Of the nace2025_rows, those whose NACE Rev. 2.1 class has NACE "
            "Rev. 2 classes in different A*10 groups or on both sides of an activity exclusion (read as one class "
            "by the rule of docs/methodology.md)"),
        Col("nace2025_ambiguous_jobs", "BIGINT", "Jobs of those ambiguous rows, for employment files"),
    ),
)
RELEASE = Table(
    "meta.release",
    "What built this file: when, from which code version, with which sources (and which optional context files "
    "were missing), and whether the data are synthetic.",
    (
        Col("built_at", "TIMESTAMP WITH TIME ZONE", "When the file was built", False),
        Col("code_version", "VARCHAR", "Package version and git commit of the code", False),
        Col("dagster_run_id", "VARCHAR", "The Dagster run that built it"),
        Col("synthetic", "BOOLEAN", "True if any input is the embedded synthetic sample", False),
        Col("notice", "VARCHAR", "Notice to readers", False),
        Col("years", "VARCHAR", "Reference years of the employment tables", False),
        Col("sources", "VARCHAR", "Input files (source_id:[vintage/]file_name@sha256 prefix)", False),
        Col("missing_context_inputs", "VARCHAR", "Optional context files the build expected but did not find, "
            "'; '-separated as source_id: file pattern in folder (under the raw folder); empty when none. The tables "
            "that need them are then empty or without those rows (mart.population, the indicators with a population "
            "denominator, mart.lfs_employment)", False),
        Col("disclosure_audit", "VARCHAR", "Outcome of the disclosure audit of the published cells: passed, or "
            "failed: <weakest cell>; exports are written only when it is passed", False),
    ),
)

MART_TABLES = (JOBS, ESTABLISHMENTS, DEMOGRAPHY, SURVIVAL, INDICATORS, RECONCILIATION, POPULATION, LFS_EMPLOYMENT,
               CROSS_BORDER, CASES, *DIMENSIONS)
META_TABLES = (SOURCES, REJECTS, ROW_ACCOUNTING, RELEASE)
PUBLISHED_TABLES = MART_TABLES + META_TABLES


def publication_order(table: Table) -> str:
    """The ORDER BY a table is written with when published: a total order, so that the same content is always written
    in the same row order, however the working database was filled (parallel inserts, years rebuilt one by one).
    Code lists in their ``sort_order``; other tables by their key; tables without a key by every column."""
    names = [c.name for c in table.columns]
    if not table.key:
        return ", ".join(names)
    return ", ".join((["sort_order"] if "sort_order" in names else []) + list(table.key))


def comment_statements(table: Table, catalog: str | None = None) -> list[str]:
    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    name = qualified(table.name, catalog)
    out = [f"COMMENT ON TABLE {name} IS {lit(table.comment)}"]
    out += [f"COMMENT ON COLUMN {name}.{c.name} IS {lit(c.comment)}" for c in table.columns]
    return out


def data_dictionary() -> str:
    """The data dictionary of the published database, in Markdown (docs/data-dictionary.md is generated from it)."""
    lines = [
        "# Data dictionary of `observatory.duckdb`",
        "",
        "Generated from `observatory/schema.py` by `python -m observatory.schema > docs/data-dictionary.md`;",
        "a test keeps it in step. The same text is in the database as DuckDB COMMENTs",
        "(`SELECT * FROM duckdb_columns() WHERE schema_name = 'mart'`).",
        "",
    ]
    for table in PUBLISHED_TABLES:
        lines += [f"## `{table.name}`", "", table.comment, ""]
        if table.key:
            lines += [f"Key: {', '.join(f'`{k}`' for k in table.key)}.", ""]
        lines += ["| column | type | content |", "|---|---|---|"]
        for col in table.columns:
            codes = f" Codes: {', '.join(f'`{a}`' for a in col.allowed)}." if col.allowed else ""
            lines.append(f"| `{col.name}` | {col.type} | {col.comment}.{codes} |".replace("..", "."))
        lines.append("")
        if table is INDICATORS:
            lines += ["Indicators:", ""] + [f"- `{code}`: {text}." for code, text in INDICATOR_DEFINITIONS.items()]
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(data_dictionary(), end="")
