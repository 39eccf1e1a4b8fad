"""The published schema (publication rules v1): every table and column with its type and its COMMENT.

This is the one description of what researchers get. It creates the tables, writes the DuckDB COMMENTs,
generates the pandera schemas of the checks (``observatory.validation``) and the data dictionary in the docs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    comment: str
    nullable: bool = True
    allowed: tuple[str, ...] | None = None  # closed code list, checked by pandera


@dataclass(frozen=True)
class Table:
    name: str  # schema.table
    comment: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()

    def ddl(self, catalog: str | None = None) -> str:
        cols = ",\n    ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE OR REPLACE TABLE {qualified(self.name, catalog)} (\n    {cols}\n)"


def qualified(name: str, catalog: str | None) -> str:
    return f"{catalog}.{name}" if catalog else name


FAMILIES_JOBS = ("ASSOC", "COOP", "MUTUAL", "FOUND", "ESS", "ALL")
FAMILIES_REGISTRY = ("ASSOC", "COOP", "MUTUAL", "FOUND", "SOCENT", "ESS", "ALL")
NACE_A10 = ("A", "B-E", "F", "G-I", "J", "K", "L", "M_N", "O-Q", "R-U", "TOTAL")
SEXES = ("F", "M", "T")
AGE_BANDS = ("Y_LT25", "Y25-34", "Y35-44", "Y45-54", "Y55-64", "Y_GE65", "TOTAL")
COUNTRIES = ("FR", "BE", "ALL")
GEO_LEVELS = ("NUTS3", "AREA")

_year = Col("year", "INTEGER", "Reference year: jobs at 31 December (registry counts: year of the snapshot date)", False)
_country = Col("country", "VARCHAR", "FR, BE, or ALL for the rows of the whole cooperation area", False, COUNTRIES)
_geo = Col("geo", "VARCHAR", "NUTS3 code (NUTS 2021) or area aggregate FWVL_FR, FWVL_BE, FWVL; labels in mart.dim_geo",
           False)
_geo_level = Col("geo_level", "VARCHAR", "NUTS3 or AREA", False, GEO_LEVELS)
_conf = Col("conf_status", "VARCHAR", "NULL, or C when the value is suppressed by statistical disclosure control",
            True, ("C",))

JOBS = Table(
    "mart.jobs",
    "Salaried jobs (headcount at 31 December, place of work) by territory, family, A*10 sector, sex and age band, "
    "margins included. A cell with no row is zero. Sources: INSEE FLORES (FR) and ONSS (BE) extractions.",
    (
        _year, _country, _geo, _geo_level,
        Col("family", "VARCHAR", "ASSOC, COOP, MUTUAL, FOUND, ESS (their sum: common definition) or ALL (every "
            "employer); labels in mart.dim_family", False, FAMILIES_JOBS),
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
    "A*10 sector (UNK: activity unknown or not coded in NACE Rev. 2). Public registry data: not suppressed.",
    (
        _year, _country, _geo, _geo_level,
        Col("family", "VARCHAR", "ASSOC, COOP, MUTUAL, FOUND, SOCENT, ESS or ALL", False, FAMILIES_REGISTRY),
        Col("nace_a10", "VARCHAR", "A*10 sector group, UNK or TOTAL", False, (*NACE_A10, "UNK")),
        Col("establishments", "BIGINT", "Active establishments (France) or establishment units (Belgium)", False),
        Col("employer_establishments", "BIGINT", "Of which employers: France caractereEmployeurEtablissement = O; "
            "Belgium: the enterprise has an ONSS (ActivityGroup 006) activity", False),
        Col("snapshot_date", "DATE", "Date of the registry snapshot the counts describe", False),
    ),
    key=("year", "country", "geo", "family", "nace_a10"),
)
INDICATORS = Table(
    "mart.indicators",
    "The version-1 indicators by year and territory, computed from mart.jobs before suppression; an indicator "
    "computed from a suppressed cell is suppressed.",
    (
        _year, _country, _geo, _geo_level,
        Col("indicator", "VARCHAR", "Indicator code (see the data dictionary)", False),
        Col("value", "DOUBLE", "Value; NULL when confidential or not computable"),
        Col("unit", "VARCHAR", "jobs, fte, percent, or jobs_per_unit", False),
        _conf,
    ),
    key=("year", "country", "geo", "indicator"),
)
RECONCILIATION = Table(
    "mart.perimeter_reconciliation",
    "Jobs of each country side under the common definition and under the national definition, and the parts of "
    "the difference: COMMON TOTAL + the NATIONAL parts = NATIONAL TOTAL.",
    (
        _year, _country, _geo,
        Col("definition", "VARCHAR", "COMMON or NATIONAL", False, ("COMMON", "NATIONAL")),
        Col("component", "VARCHAR", "TOTAL, or a part of the national-minus-common difference", False),
        Col("jobs", "DOUBLE", "Jobs (signed for the parts); NULL when confidential"),
        Col("description", "VARCHAR", "What the row counts", False),
        _conf,
    ),
    key=("year", "country", "definition", "component"),
)


def _dim(name: str, code: str, comment: str, extra: tuple[Col, ...] = ()) -> Table:
    return Table(
        f"mart.dim_{name}",
        comment,
        (
            Col(code, "VARCHAR", "Code used in the mart tables", False),
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
    _dim("family", "family", "Social-economy families (common definition) and the whole economy"),
    _dim("nace_a10", "nace_a10", "Eurostat A*10 sector groups (NACE Rev. 2 divisions)"),
    _dim("age_band", "age_band", "Published age bands"),
    _dim("sex", "sex", "Sex codes"),
)

SOURCES = Table(
    "meta.sources",
    "One row per input file loaded: its fingerprint and its origin (producer, URL, licence, reference period).",
    (
        Col("source_id", "VARCHAR", "Source: fr_sirene, fr_flores, be_kbo, be_onss", False),
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
    ),
)
REJECTS = Table(
    "meta.rejects",
    "Rows kept out of the tables, each with its reason (unknown codes, codes that cannot be converted).",
    (
        Col("source_id", "VARCHAR", "Source", False),
        Col("year", "INTEGER", "Reference year (NULL for registry snapshots)"),
        Col("file_name", "VARCHAR", "File", False),
        Col("line", "BIGINT", "Line in the file (header = 1); NULL where the file is read in parallel"),
        Col("reason", "VARCHAR", "Why the row is kept out", False),
        Col("raw_text", "VARCHAR", "The row as read (or the registry key and count)", False),
        Col("jobs", "BIGINT", "Jobs on the row, for employment files"),
    ),
)
ROW_ACCOUNTING = Table(
    "meta.row_accounting",
    "Every row read, by outcome (used, outside_area, rejected): delivered = used + outside_area + rejected.",
    (
        Col("source_id", "VARCHAR", "Source", False),
        Col("year", "INTEGER", "Reference year (NULL for registry snapshots)"),
        Col("file_name", "VARCHAR", "File", False),
        Col("outcome", "VARCHAR", "used, outside_area or rejected", False, ("used", "outside_area", "rejected")),
        Col("rows", "BIGINT", "Rows (registry: establishments)", False),
        Col("jobs", "BIGINT", "Jobs, for employment files"),
    ),
)
RELEASE = Table(
    "meta.release",
    "What built this file: when, from which code version, with which sources, and whether the data are synthetic.",
    (
        Col("built_at", "TIMESTAMP WITH TIME ZONE", "When the file was built", False),
        Col("code_version", "VARCHAR", "Package version and git commit of the code", False),
        Col("dagster_run_id", "VARCHAR", "The Dagster run that built it"),
        Col("synthetic", "BOOLEAN", "True if any input is the embedded synthetic sample", False),
        Col("notice", "VARCHAR", "Notice to readers", False),
        Col("years", "VARCHAR", "Reference years of the employment tables", False),
        Col("sources", "VARCHAR", "Input files (source_id:file_name@sha256 prefix)", False),
    ),
)

MART_TABLES = (JOBS, ESTABLISHMENTS, INDICATORS, RECONCILIATION, *DIMENSIONS)
META_TABLES = (SOURCES, REJECTS, ROW_ACCOUNTING, RELEASE)
PUBLISHED_TABLES = MART_TABLES + META_TABLES


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
    return "\n".join(lines)


if __name__ == "__main__":
    print(data_dictionary(), end="")
