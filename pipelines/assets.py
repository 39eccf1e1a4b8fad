"""Assets by stage: ``raw`` (the observed raw folders), ``sources`` (parse and validate each producer's files),
``harmonised`` (common codes), ``published`` (the mart tables and the atomically swapped database)."""


import functools
import inspect
import re
import warnings
from pathlib import Path

import dagster as dg

from observatory import (
    cases,
    disclosure,
    harmonise,
    mart,
    nomenclatures,
    population,
    publication,
    schema,
    suppression,
    validation,
    vintages,
)
from observatory import context as observatory_context
from observatory.codeversion import Code
from observatory.delivery import forget_absent_years
from observatory.errors import InputError
from observatory.sources import CONTEXT, DELIVERY, REFERENCE, REGISTRY, Source, all_sources, reference_years
from pipelines.resources import Warehouse

# The reference years: one partition per year with a delivery in the raw folder the warehouse resource points at,
# found when a build or the nightly starts (pipelines.years), so a new year dropped in needs no code reload.
YEARS = dg.DynamicPartitionsDefinition(name="reference_year")

# What each built asset runs, by key: the nightly compares the digests of these files with those of its last build.
CODE: dict[dg.AssetKey, Code] = {}
# Materialisation metadata: the digest of each file the asset ran, so the nightly can name the file that changed.
CODE_FILES = "code_files"


def _runs(code: Code, *keys: str):
    """Register what the decorated function runs under its asset keys (its name by default), and add to each of its
    materialisations the digests of those files (taken when the code loads, as the code version is)."""
    files = dg.MetadataValue.json(code.digests())

    def add(result):
        if not isinstance(result, dg.MaterializeResult):
            return result
        return dg.MaterializeResult(asset_key=result.asset_key, metadata={**(result.metadata or {}), CODE_FILES: files},
                                    check_results=result.check_results, data_version=result.data_version,
                                    tags=result.tags)

    def decorate(func):
        for key in keys or (func.__name__,):
            CODE[dg.AssetKey(key)] = code
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def each(*args, **kwargs):
                for result in func(*args, **kwargs):
                    yield add(result)
            return each

        @functools.wraps(func)
        def one(*args, **kwargs):
            return add(func(*args, **kwargs))
        return one

    return decorate


def _asset(code: Code, name: str | None = None, **kwargs):
    """``@dg.asset`` whose code version is the digest of the files it runs (:mod:`observatory.codeversion`)."""
    decorator = dg.asset(code_version=code.version(), name=name, **kwargs)
    return lambda func: decorator(_runs(code, *([name] if name else []))(func))


def _yearly_asset(code: Code, **kwargs):
    """``_asset`` for a year-partitioned asset: every year selected is built in one run (single-run backfill
    policy), as the full build, the nightly and a backfill of all partitions do."""
    with warnings.catch_warnings():
        # `backfill_policy` is beta in Dagster 1.13 (pinned <1.14 in pyproject); without this, every process that
        # loads the code location (webserver, daemon, each run) logs one BetaWarning per yearly asset.
        warnings.filterwarnings("ignore", message=".*backfill_policy.*beta", category=dg.BetaWarning)
        return _asset(code, partitions_def=YEARS, backfill_policy=dg.BackfillPolicy.single_run(), **kwargs)


def _preview(con, sql: str, limit: int = 10) -> dg.MetadataValue:
    return dg.MetadataValue.md(con.execute(f"{sql} LIMIT {limit}").df().to_markdown(index=False))


def _fail_on_input_error(func):
    """Show a bad input as one clear failure line in the UI, not as a stack trace."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            raise dg.Failure(description=str(exc), metadata={"file": str(exc.path), "line": exc.line or -1,
                                                             "column": exc.column or "", "problem": exc.problem},
                             allow_retries=False) from None

    return wrapper


# ---------------------------------------------------------------- raw


def _raw_source(folder: Path, description: str) -> dg.SourceAsset:
    """An observable source asset for one raw folder: its data version is what the loader would read now."""

    @_fail_on_input_error
    def _observe(warehouse: Warehouse) -> dg.ObserveResult:
        return dg.ObserveResult(data_version=dg.DataVersion(vintages.source_version(warehouse.raw_path, folder)),
                                metadata=source_metadata(warehouse.raw_path, folder))

    with warnings.catch_warnings():
        # Beta in Dagster 1.13 (pinned <1.14 in pyproject): said once here rather than once per folder at every load.
        warnings.filterwarnings("ignore", message=".*observable_source_asset.*beta", category=dg.BetaWarning)
        return dg.observable_source_asset(
            key=_raw_key(folder), group_name="raw",
            description=f"{description} — raw/{folder.as_posix()}; observed, never built: its data version is the "
                        "producer's version and the files' checksums.")(_observe)


def source_metadata(raw: Path, folder: Path) -> dict:
    """What an observation shows: the vintage read now and, for a fetched one, the producer's version."""
    where = vintages.current(raw, folder)
    if not where.is_dir():
        return {"vintage": "absent", "folder": str(where)}
    fetched = (where / vintages.PROVENANCE_FILE).is_file()
    metadata: dict = {"vintage": where.name if fetched else "no vintage: files in the source folder",
                      "folder": dg.MetadataValue.path(str(where)),
                      "files": dg.MetadataValue.json(vintages.data_files_here(where))}
    if fetched:
        recorded = vintages.read_provenance(where)
        metadata["producer_version"] = dg.MetadataValue.json(recorded.get("producer_version", {}))
        metadata["retrieved_at"] = str(recorded.get("retrieved_at", ""))
    return metadata


def _raw_sources(sources: tuple[Source, ...]) -> list[dg.SourceAsset]:
    """One observed raw folder per folder of a built source (two Eurostat datasets share one)."""
    folders: dict[Path, str] = {}
    for s in sources:
        folders.setdefault(s.folder, s.title)
    return [_raw_source(folder, title) for folder, title in folders.items()]


def _raw_key(folder: Path) -> dg.AssetKey:
    return dg.AssetKey(["raw", *folder.parts])


def raw_key(source: Source) -> dg.AssetKey:
    return _raw_key(source.folder)


# ---------------------------------------------------------------- sources


# Every mapping file: a consumer registers the tables again itself, and declares (through its SQL) those it reads.
@_asset(Code(nomenclatures=["*"], modules=[nomenclatures]), group_name="sources", kinds={"duckdb", "csv"})
def nomenclatures_table(warehouse: Warehouse) -> dg.MaterializeResult:
    """The mapping files (legal forms, sectors, age bands, sexes, territories, labels), each with its source,
    loaded into schema ``nom`` of the working database."""
    with warehouse.connect() as con:
        nomenclatures.register(con)
    return dg.MaterializeResult(metadata={"files": dg.MetadataValue.json(nomenclatures.names())})


def _load_delivery(context, warehouse: Warehouse, source: Source) -> dg.MaterializeResult:
    table = source.tables[0]
    loaded = []
    with warehouse.connect() as con:
        for key in context.partition_keys:
            info = source.load(con, warehouse.raw_path, int(key))
            report = validation.validate(con, f"SELECT * EXCLUDE (file_name, line) FROM {table} WHERE year = ?",
                                         source.frame_schema, [int(key)])
            if not report["passed"]:
                raise dg.Failure(description=f"{table} {key} fails its pandera schema: {report['failures']}")
            context.log.info(f"{source.source_id} {key}: {info['jobs_rows']} jobs rows, {info['jobs']} jobs")
            loaded.append(info)
        if gone := forget_absent_years(con, source.source_id, source.tables, source.years(warehouse.raw_path)):
            context.log.info(f"{source.source_id}: {', '.join(map(str, gone))} removed (no delivery left)")
        preview = _preview(con, f"SELECT * FROM {table} WHERE year = {int(context.partition_keys[-1])}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": sum(i["jobs_rows"] for i in loaded),
        "jobs": sum(i["jobs"] for i in loaded),
        # Jobs rows whose activity is coded in NACE-BEL 2025 / NAF 2025 (harmonisation converts them to NACE Rev. 2).
        "jobs_rows_2025_codes": sum(i["jobs_rows_2025_codes"] for i in loaded),
        "years": dg.MetadataValue.json([i["year"] for i in loaded]),
        "files": dg.MetadataValue.json([s for i in loaded for s in i["sources"]]),
        "preview": preview,
    })


def _load_registry(context, warehouse: Warehouse, source: Source) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        info = source.load(con, warehouse.raw_path, warehouse.extraction_cache)
        preview = _preview(con, f"SELECT * FROM {source.tables[0]} ORDER BY establishments DESC")
    return dg.MaterializeResult(metadata={**_scalar(info), "preview": preview})


def _load_context(context: dg.AssetExecutionContext, warehouse: Warehouse, source: Source) -> dg.MaterializeResult:
    """Load a context input (population, LFS) when its file is there. Without it nothing is staged: the build goes
    on, and the input's ``*_file_present`` check warns when the population setting expects it (a source the setting
    does not choose may be absent without a word). A file that is there but broken still fails the step."""
    item = source.context
    expected = item in observatory_context.expected(warehouse.population_setting)
    if not item.present(warehouse.raw_path):
        with warehouse.connect() as con:
            observatory_context.clear(con, item)
        text = item.missing_text(warehouse.raw_path)
        if expected:
            context.log.warning(text)
        else:
            context.log.info(f"{item.table}: no file, and the population setting ({warehouse.population_setting}) "
                             "does not use this source: nothing to load")
        return dg.MaterializeResult(metadata={"missing": text if expected else "no file; not used by the setting",
                                              "expected_by_setting": expected,
                                              "population_setting": warehouse.population_setting})
    with warehouse.connect() as con:
        info = source.load(con, warehouse.raw_path)
        preview = _preview(con, f"SELECT * FROM {item.table}")
    return dg.MaterializeResult(metadata={**_scalar(info), "expected_by_setting": expected, "preview": preview,
                                          "population_setting": warehouse.population_setting})


_LOADERS = {DELIVERY: _load_delivery, REGISTRY: _load_registry, CONTEXT: _load_context}


def source_asset(source: Source) -> dg.AssetsDefinition:
    """The asset that reads, validates and stages one source, from its descriptor: a delivery is built per
    reference year, a registry snapshot and a context input whole."""
    load = _LOADERS[source.role]
    code = Code(modules=[source.module, *source.modules])
    make = _yearly_asset if source.role == DELIVERY else _asset

    @make(code, name=source.source_id, description=source.description, group_name="sources",
          kinds=set(source.kinds), deps=[raw_key(source)])
    @_fail_on_input_error
    def _source(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        result = load(context, warehouse, source)
        with warehouse.connect() as con:
            staged = _table_columns(con, source.tables)
        return dg.MaterializeResult(metadata={**result.metadata, **staged})

    return _source


def _table_columns(con, tables: tuple[str, ...]) -> dict:
    """``dagster/column_schema`` of the first table (its columns as DuckDB has them), and the columns of every table
    the asset fills; nothing for a table not there (a context input without file)."""
    found: dict[str, list] = {}
    for table in tables:
        schema_name, name = table.split(".")
        found[table] = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND "
                                   "table_name = ? ORDER BY column_index", [schema_name, name]).fetchall()
    if not found.get(tables[0]):
        return {}
    return {"dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(c, t) for c, t in found[tables[0]]]),
            "tables": dg.MetadataValue.json({t: [f"{c} {d}" for c, d in cols] for t, cols in found.items()})}


def column_schema(table: schema.Table) -> dg.TableSchema:
    """The columns of a published table as the data dictionary describes them (observatory.schema)."""
    return dg.TableSchema(columns=[dg.TableColumn(c.name, c.type, description=c.comment,
                                                  constraints=dg.TableColumnConstraints(nullable=c.nullable))
                                   for c in table.columns])


SOURCES = tuple(s for s in all_sources() if s.role != REFERENCE)
# The documented cases (observatory.cases) are no producer's source: their folder <raw>/cases is observed like one.
RAW_CASES = _raw_source(cases.FOLDER, "Documented cases: the partners' case files (YAML, docs/cases.md)")
RAW_SOURCES = [*_raw_sources(SOURCES), RAW_CASES]
# The raw folder of each source asset, for the nightly's change detection.
RAW_FOLDERS: dict[dg.AssetKey, Path] = {s.key: Path(*s.key.path[1:]) for s in RAW_SOURCES}
SOURCE_ASSETS = {s.source_id: source_asset(s) for s in SOURCES}


def _scalar(info: dict) -> dict:
    """Metadata values Dagster can show: scalars as they are, the rest as JSON."""
    out = {}
    for key, value in info.items():
        if isinstance(value, int | float | str | bool):
            out[key] = value
        else:
            out[key] = dg.MetadataValue.json(value if isinstance(value, dict | list) else str(value))
    return out


# ---------------------------------------------------------------- harmonised


def _of_role(role: str) -> list[dg.AssetsDefinition]:
    return [SOURCE_ASSETS[s.source_id] for s in SOURCES if s.role == role]


def _staged_in(*sql_files: str) -> list[dg.AssetsDefinition]:
    """The source assets whose staging tables these SQL files read: a step depends on what it reads."""
    text = "\n".join((harmonise.SQL_DIR / name).read_text(encoding="utf-8") for name in sql_files)
    read = set(re.findall(r"\bsrc\.([a-z_0-9]+)\b", text))
    return [SOURCE_ASSETS[s.source_id] for s in SOURCES if {t.removeprefix("src.") for t in s.tables} & read]


def _unique(*assets: dg.AssetsDefinition) -> list[dg.AssetsDefinition]:
    return list({a.key: a for a in assets}.values())


_JOBS_SQL = sorted({s.harmonisation.sql_file for s in SOURCES if s.role == DELIVERY})
_REGISTRY_SQL = sorted({s.harmonisation.sql_file for s in SOURCES if s.role == REGISTRY}
                       | {"macros.sql", "be_registry.sql"})


@_yearly_asset(Code(sql=_JOBS_SQL, modules=[harmonise]), group_name="harmonised", kinds={"duckdb"},
               deps=[*_unique(*_of_role(DELIVERY), *_staged_in(*_JOBS_SQL)), nomenclatures_table])
def harmonised_jobs(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Jobs of both deliveries in common codes (NUTS3, family, A*10, sex, age band). Rows outside the area are
    counted; rows with an unknown code go to ``meta.rejects`` with their reason."""
    results = []
    with warehouse.connect() as con:
        deliveries = [s.harmonisation for s in SOURCES if s.role == DELIVERY]
        if gone := harmonise.forget_absent_years(con, deliveries, reference_years(warehouse.raw_path)):
            context.log.info(f"harmonised jobs of {', '.join(map(str, gone))} removed (no delivery left)")
        for key in context.partition_keys:
            for delivery in deliveries:
                results.append(harmonise.harmonise_jobs_year(con, delivery, int(key)))
        rows = con.execute("SELECT count(*) FROM harmonised.jobs").fetchone()[0]
        columns = _table_columns(con, ("harmonised.jobs", "harmonised.units"))
        preview = _preview(con, "SELECT outcome, source_id, year, sum(rows) AS rows, sum(jobs) AS jobs, "
                                "sum(nace2025_rows) AS nace2025_rows, sum(nace2025_jobs) AS nace2025_jobs, "
                                "sum(nace2025_ambiguous_rows) AS nace2025_ambiguous_rows, "
                                "sum(nace2025_ambiguous_jobs) AS nace2025_ambiguous_jobs "
                                "FROM meta.row_accounting WHERE jobs IS NOT NULL GROUP BY ALL ORDER BY ALL", 50)
    accounted = [a for r in results for a in r["accounting"] if a["jobs"] is not None]
    return dg.MaterializeResult(metadata={
        **columns,
        "dagster/row_count": rows,
        "rejected_rows": sum(r["rejected_rows"] for r in results),
        # Rows classified through a NACE-BEL 2025 / NAF 2025 code, and of those the ambiguous ones (methodology).
        "nace2025_rows": sum(a["nace2025_rows"] or 0 for a in accounted),
        "nace2025_ambiguous_rows": sum(a["nace2025_ambiguous_rows"] or 0 for a in accounted),
        "accounting": preview,
    })


@_asset(Code(sql=_REGISTRY_SQL, modules=[harmonise]), group_name="harmonised", kinds={"duckdb"},
        deps=[*_unique(*_of_role(REGISTRY), *_staged_in(*_REGISTRY_SQL)), nomenclatures_table])
def harmonised_establishments(warehouse: Warehouse) -> dg.MaterializeResult:
    """Registry establishments of both countries in common codes; rejected groups go to ``meta.rejects``."""
    with warehouse.connect() as con:
        accounting = [harmonise.harmonise_registry(con, s.harmonisation) for s in SOURCES if s.role == REGISTRY]
        rows = con.execute("SELECT count(*) FROM harmonised.establishments").fetchone()[0]
        columns = _table_columns(con, ("harmonised.establishments",))
    accounted = [a for r in accounting for a in r["accounting"]]
    return dg.MaterializeResult(metadata={
        **columns,
        "dagster/row_count": rows,
        # Establishments classified through a NACE-BEL 2025 / NAF 2025 code, and of those the ambiguous ones.
        "nace2025_establishments": sum(a["nace2025_rows"] or 0 for a in accounted),
        "nace2025_ambiguous_establishments": sum(a["nace2025_ambiguous_rows"] or 0 for a in accounted),
        "accounting": dg.MetadataValue.json(accounting),
    })


_DEMOGRAPHY_SQL = sorted({s.sql_file for s in harmonise.DEMOGRAPHY_SOURCES} | {"macros.sql", "be_registry.sql"})


@_asset(Code(sql=_DEMOGRAPHY_SQL, modules=[harmonise]), group_name="harmonised", kinds={"duckdb"},
        deps=[*_staged_in(*_DEMOGRAPHY_SQL), nomenclatures_table])
def harmonised_demography(warehouse: Warehouse) -> dg.MaterializeResult:
    """SIRENE legal units and KBO enterprises by head-office (registered-seat) territory, family, cooperative type
    and years of creation and cessation, for the enterprise demography; groups of an unknown territory or legal
    form go to ``meta.rejects``."""
    with warehouse.connect() as con:
        outcomes = harmonise.harmonise_demography(con)
        rows = con.execute("SELECT count(*) FROM harmonised.enterprise_demography").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": rows,
                                          "enterprises_by_outcome": dg.MetadataValue.json(outcomes)})


# The population sources declare their harmonisation (PopulationSource) in their modules: those are run too.
@_asset(Code(sql=["classify_population.sql", "population_bands.sql", "macros.sql"],
             modules=[population, *(s.module for s in SOURCES if s.population)]),
        group_name="harmonised", kinds={"duckdb"},
        deps=[*(SOURCE_ASSETS[s.source_id] for s in SOURCES if s.population), nomenclatures_table])
def harmonised_population(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Population by NUTS3, sex and band (published bands, Y15-24, Y15-64, UNK, TOTAL) from the source the setting
    OBSERVATORY_POPULATION_SOURCE chooses; rows outside the area are counted, unknown codes rejected with a reason."""
    with warehouse.connect() as con:
        result = population.harmonise_population(con, warehouse.population_setting)
        columns = _table_columns(con, ("harmonised.population",))
        preview = _preview(con, "SELECT source_id, outcome, sum(rows) AS rows FROM meta.row_accounting "
                                "WHERE source_id LIKE '%population' GROUP BY ALL ORDER BY ALL", 20)
    context.log.info(f"population from {warehouse.population_setting}: {result['rows']} rows")
    return dg.MaterializeResult(metadata={**columns, "dagster/row_count": result["rows"],
                                          "population_setting": warehouse.population_setting,
                                          "accounting": preview})


# ---------------------------------------------------------------- published

# The published table each mart asset builds: its column schema in the UI and its schema check (pipelines.checks).
PUBLISHED_TABLE = {"mart_jobs": schema.JOBS, "mart_indicators": schema.INDICATORS,
                   "mart_perimeter_reconciliation": schema.RECONCILIATION, "mart_establishments": schema.ESTABLISHMENTS,
                   "mart_population": schema.POPULATION, "mart_lfs_employment": schema.LFS_EMPLOYMENT,
                   "mart_cross_border_comparison": schema.CROSS_BORDER, "mart_demography": schema.DEMOGRAPHY,
                   "mart_cases": schema.CASES}


def _columns_of(asset: str) -> dict:
    return {"dagster/column_schema": column_schema(PUBLISHED_TABLE[asset])}



@_asset(Code(sql=["macros.sql", "mart_population.sql"], modules=[mart]), group_name="published", kinds={"duckdb"},
        metadata=_columns_of("mart_population"),
        deps=[harmonised_population])
def mart_population(warehouse: Warehouse) -> dg.MaterializeResult:
    """mart.population: residents on 1 January by territory, sex and age band, with the area aggregates and
    Eurostat's flags; empty when the build has no population file."""
    with warehouse.connect() as con:
        counts = mart.build_population(con)
        preview = _preview(con, "SELECT year, geo, sex, population, source, obs_flag FROM mart.population "
                                "WHERE geo_level = 'AREA' AND age_band = 'Y15-64' ORDER BY ALL", 30)
    return dg.MaterializeResult(metadata={"dagster/row_count": counts["mart.population"], "working_age": preview})


@_asset(Code(sql=["classify_lfs_employment.sql"], modules=[mart]), group_name="published", kinds={"duckdb"},
        metadata=_columns_of("mart_lfs_employment"),
        deps=[*_staged_in("classify_lfs_employment.sql"), nomenclatures_table])
def mart_lfs_employment(warehouse: Warehouse) -> dg.MaterializeResult:
    """mart.lfs_employment: Labour Force Survey employment of the area's NUTS2 regions (context); empty without the
    lfst_r_lfe2en2 file."""
    with warehouse.connect() as con:
        counts = mart.build_lfs_employment(con)
    return dg.MaterializeResult(metadata={"dagster/row_count": counts["mart.lfs_employment"],
                                          "rejected_rows": counts["rejected_rows"]})


_MART_EMPLOYMENT = Code(sql=["mart_jobs_cells.sql", "reconciliation_cells.sql", "mart_jobs.sql",
                             "mart_indicators.sql", "mart_indicators_by_age.sql", "macros.sql",
                             "mart_indicators_population.sql", "mart_reconciliation.sql"],
                        modules=[mart, disclosure, suppression])


@dg.multi_asset(
    specs=[
        dg.AssetSpec("mart_jobs", group_name="published", kinds={"duckdb"},
                     metadata=_columns_of("mart_jobs"), deps=[harmonised_jobs],
                     description="mart.jobs: salaried jobs by territory, family, sector, sex and age, with margins "
                     "and disclosure control (primary A/O, secondary D).", code_version=_MART_EMPLOYMENT.version()),
        dg.AssetSpec("mart_indicators", group_name="published", kinds={"duckdb"},
                     metadata=_columns_of("mart_indicators"),
                     deps=[harmonised_jobs, mart_population],
                     description="mart.indicators: the indicators by year, territory, sex and age band, including "
                     "those with a population denominator when the build has a population.",
                     code_version=_MART_EMPLOYMENT.version()),
        dg.AssetSpec("mart_perimeter_reconciliation", group_name="published", kinds={"duckdb"},
                     metadata=_columns_of("mart_perimeter_reconciliation"),
                     deps=[harmonised_jobs],
                     description="mart.perimeter_reconciliation: common vs national definition and the parts of "
                     "the difference.", code_version=_MART_EMPLOYMENT.version()),
    ],
)
@_runs(_MART_EMPLOYMENT, "mart_jobs", "mart_indicators", "mart_perimeter_reconciliation")
def mart_employment(warehouse: Warehouse):
    """The employment tables of the mart, built together because they share the cells before suppression."""
    with warehouse.connect() as con:
        counts = mart.build_jobs(con)
        share = _preview(con, "SELECT year, geo, value FROM mart.indicators WHERE indicator = 'ess_share_of_jobs' "
                              "AND geo_level = 'AREA' ORDER BY ALL", 20)
    yield dg.MaterializeResult(asset_key="mart_jobs", metadata={
        "dagster/row_count": counts["mart.jobs"], "suppressed_cells": counts["suppressed_cells"],
        "primary_cells": counts["primary_cells"], "secondary_cells": counts["secondary_cells"]})
    yield dg.MaterializeResult(asset_key="mart_indicators", metadata={
        "dagster/row_count": counts["mart.indicators"], "ess_share_of_jobs (area)": share})
    yield dg.MaterializeResult(asset_key="mart_perimeter_reconciliation", metadata={
        "dagster/row_count": counts["mart.perimeter_reconciliation"]})


@_asset(Code(sql=["macros.sql", "mart_cross_border.sql"], modules=[mart]), group_name="published",
        kinds={"duckdb"},
        metadata=_columns_of("mart_cross_border_comparison"), deps=["mart_indicators", nomenclatures_table])
def mart_cross_border_comparison(warehouse: Warehouse) -> dg.MaterializeResult:
    """mart.cross_border_comparison: every indicator with the French side, the Belgian side and their difference,
    for the two sides of the area and for each pair of neighbouring NUTS3 across the border."""
    with warehouse.connect() as con:
        counts = mart.build_cross_border(con)
        preview = _preview(con, "SELECT year, indicator, sex, fr_value, be_value, difference FROM "
                                "mart.cross_border_comparison WHERE comparison = 'SIDES' AND age_band = 'TOTAL' "
                                "AND year = (SELECT max(year) FROM mart.cross_border_comparison) ORDER BY ALL", 40)
    return dg.MaterializeResult(metadata={"dagster/row_count": counts["mart.cross_border_comparison"],
                                          "sides": preview})


@_asset(Code(modules=[mart]), group_name="published", kinds={"duckdb"},
        metadata=_columns_of("mart_establishments"),
        deps=[harmonised_establishments])
def mart_establishments(warehouse: Warehouse) -> dg.MaterializeResult:
    """mart.establishments: active registry establishments (SIRENE, KBO) by territory, family and sector."""
    with warehouse.connect() as con:
        counts = mart.build_establishments(con)
    return dg.MaterializeResult(metadata={"dagster/row_count": counts["mart.establishments"]})


@_asset(Code(sql=["mart_demography.sql"], modules=[mart]), group_name="published", kinds={"duckdb"},
        metadata=_columns_of("mart_demography"), deps=[harmonised_demography, nomenclatures_table])
def mart_demography(warehouse: Warehouse) -> dg.MaterializeResult:
    """mart.demography (births, closures, active stock at 31 December) and mart.survival (each birth cohort's
    survivors at 1, 3 and 5 years) of the SIRENE legal units and the KBO enterprises, by territory and family."""
    with warehouse.connect() as con:
        counts = mart.build_demography(con)
        preview = _preview(con, "SELECT cohort, horizon, family, births, survivors, survival_rate FROM mart.survival "
                                "WHERE geo = 'FWVL_FR' AND family IN ('ALL', 'ESS', 'COOP', 'COOP_WORKER') "
                                "AND cohort = (SELECT max(cohort) FROM mart.survival WHERE horizon = 3) "
                                "AND horizon = 3 ORDER BY ALL", 10)
    return dg.MaterializeResult(metadata={"dagster/row_count": counts["mart.demography"],
                                          "survival_rows": counts["mart.survival"], "survival_at_3_years": preview})


# The SIRENE files are read again for the cases' legal units (sirene.lookup_units): after the fr_sirene step, whose
# extracted CSVs and snapshot date it reuses. The KBO step keeps src.be_kbo_enterprises.
@_asset(Code(sql=["mart_cases.sql", "macros.sql", "be_registry.sql"], modules=[cases]), group_name="published", kinds={"duckdb"},
        metadata=_columns_of("mart_cases"),
        deps=[RAW_CASES, SOURCE_ASSETS["fr_sirene"], SOURCE_ASSETS["be_kbo"], mart_demography, mart_establishments,
              nomenclatures_table])
@_fail_on_input_error
def mart_cases(warehouse: Warehouse) -> dg.MaterializeResult:
    """mart.cases: the partners' documented cases (<raw>/cases/*.yaml), checked, linked to their registry entry
    (SIRENE, KBO) and given their territory's survival rates and establishments; a bad case file fails the step
    with every problem, naming the file, the line and the field."""
    found = cases.read_folder(cases.folder(warehouse.raw_path))
    with warehouse.connect() as con:
        counts = cases.build(con, found, warehouse.raw_path, warehouse.extraction_cache)
        preview = _preview(con, "SELECT case_id, country, kind, state, family, geo, years_survived, "
                                "survival_rate_3y_all, survival_rate_3y_family FROM mart.cases ORDER BY case_id", 20)
    return dg.MaterializeResult(metadata={"dagster/row_count": counts["mart.cases"], "linked": counts["linked"],
                                          "kbo_enterprises_loaded": counts["kbo_enterprises_loaded"],
                                          "cases": preview})


# The code lists named in mart.build_dimensions (its table names are computed, so not found in its source).
@_asset(Code(nomenclatures=["geo", "families", "nace_a10", "age_bands", "sexes", "indicators"], modules=[mart]),
        group_name="published", kinds={"duckdb"}, deps=[nomenclatures_table])
def mart_dimensions(warehouse: Warehouse) -> dg.MaterializeResult:
    """mart.dim_*: labels in French, Dutch and English for every published code, with their sources."""
    with warehouse.connect() as con:
        counts = mart.build_dimensions(con)
    return dg.MaterializeResult(metadata={"tables": dg.MetadataValue.json(counts)})


@_asset(Code(modules=[publication, observatory_context]), group_name="published", kinds={"duckdb"},
        deps=["mart_jobs", "mart_indicators", "mart_perimeter_reconciliation", mart_establishments, mart_dimensions,
                mart_population, mart_lfs_employment, mart_cross_border_comparison, mart_demography, mart_cases])
def observatory_database(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The published ``observatory.duckdb`` (schemas mart and meta, with COMMENTs), written beside the old one and
    swapped in atomically: readers never see a half-built file, and a failed run leaves the old one in place."""
    with warehouse.connect() as con:
        missing = [i.label() for i in observatory_context.missing(con, warehouse.population_setting)]
        info = publication.publish(con, warehouse.warehouse_path, run_id=context.run.run_id, missing_context=missing)
        release = con.execute("SELECT synthetic, notice FROM meta.release").fetchone()
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(info["path"]),
        "size_bytes": info["size_bytes"],
        "rows": dg.MetadataValue.json(info["rows"]),
        "synthetic": release[0],
        "notice": release[1],
        "missing_context_inputs": dg.MetadataValue.json(missing),
    })


ALL_ASSETS = [*RAW_SOURCES, nomenclatures_table, *SOURCE_ASSETS.values(), harmonised_jobs, harmonised_establishments,
              harmonised_demography, harmonised_population, mart_employment, mart_establishments, mart_demography,
              mart_dimensions, mart_population, mart_lfs_employment, mart_cross_border_comparison, mart_cases,
              observatory_database]
