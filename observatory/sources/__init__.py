"""One module per source: where its files are, how they are read and validated, and what lands in staging."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

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


# ---------------------------------------------------------------- the descriptor of a source

# What a source is to the pipeline. The assets, checks, fetchers, the nightly's change detection and the reference
# years are generated from these descriptors (pipelines/, observatory.fetch, observatory.population).
DELIVERY = "delivery"  # employment extraction delivered under agreement, one pair of files per reference year
REGISTRY = "registry"  # an enterprise register snapshot (establishments by territory, legal form, activity)
CONTEXT = "context"  # an optional context input (population, LFS): the build goes on without it
REFERENCE = "reference"  # fetched to check a mapping file against, never staged
ROLES = (DELIVERY, REGISTRY, CONTEXT, REFERENCE)
SIDES = {"FR": "FWVL_FR", "BE": "FWVL_BE"}  # the side of the area a national source's figures count for


@dataclass(frozen=True)
class Source:
    """One producer's dataset, declared once in the module that reads it (its ``SOURCES`` tuple).

    A module reading two datasets of one producer (Eurostat: population and LFS) declares two; one fetching a file
    that is only compared with a mapping (TERCET) declares a :data:`REFERENCE` source with no loader.
    """

    source_id: str  # <country>_<producer>[_<dataset>]: the asset name and meta.*.source_id
    country: str  # FR, BE, or EU for a source covering both countries
    folder: Path  # <country>/<source> under the raw folder (its newest vintage is read)
    title: str  # what the raw folder holds, as its producer calls it
    description: str  # what the build makes of it: the asset's description
    role: str  # one of ROLES
    tables: tuple[str, ...] = ()  # the staging tables it fills
    load: Callable | None = None  # (con, raw_dir[, work_dir | year]) -> dict of what was loaded
    modules: tuple[ModuleType, ...] = ()  # the library code it runs besides its own module (its code version)
    kinds: frozenset[str] = frozenset({"duckdb", "csv"})
    years: Callable[[Path], list[int]] | None = None  # the reference years present: one partition each
    fetcher: Any = None  # observatory.fetch.Fetcher, or None for a file delivered by hand
    frame_schema: Any = None  # a DELIVERY's pandera schema of its jobs table (observatory.validation)
    harmonisation: Any = None  # how harmonise classifies it: JobsSource (DELIVERY), RegistrySource (REGISTRY)
    population: Any = None  # a population source's harmonisation (observatory.population.PopulationSource)
    context: Any = None  # a CONTEXT input's file (observatory.context.ContextInput)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"{self.source_id}: role {self.role!r}, expected one of {', '.join(ROLES)}")
        if self.role == DELIVERY and not (self.years and self.frame_schema and self.harmonisation and self.side):
            raise ValueError(f"{self.source_id}: a delivery needs its years, frame schema, harmonisation and side")
        if self.role == REGISTRY and not (self.harmonisation and self.side):
            raise ValueError(f"{self.source_id}: a registry needs its harmonisation and side")
        if self.role != REFERENCE and self.load is None:
            raise ValueError(f"{self.source_id}: a {self.role} source needs a loader")

    @property
    def side(self) -> str | None:
        """The side of the area its figures count for; None for a source covering both countries."""
        return SIDES.get(self.country)

    @property
    def module(self) -> ModuleType:
        return sys.modules[self.load.__module__ if self.load else self.fetcher.run.__module__]


@functools.cache
def all_sources() -> tuple[Source, ...]:
    """Every source, from the ``SOURCES`` of each module of this package, in the order of the modules' names. A
    new module with its ``SOURCES`` is found without being listed anywhere."""
    found: list[Source] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "SOURCES", ()))
    ids = [s.source_id for s in found]
    if duplicated := sorted({i for i in ids if ids.count(i) > 1}):
        raise ValueError(f"source ids declared twice: {', '.join(duplicated)}")
    return tuple(found)


def sources(*roles: str) -> tuple[Source, ...]:
    """The sources of the roles given (all when none is)."""
    return tuple(s for s in all_sources() if not roles or s.role in roles)


def source(source_id: str) -> Source:
    """The source of ``source_id``; a KeyError naming the known ones otherwise."""
    for s in all_sources():
        if s.source_id == source_id:
            return s
    raise KeyError(f"no source {source_id!r}; known: {', '.join(s.source_id for s in all_sources())}")


def reference_years(raw_dir: Path) -> list[int]:
    """The reference years with a delivery in ``raw_dir`` (any yearly source): the year partitions of a build."""
    return sorted({y for s in all_sources() if s.years for y in s.years(raw_dir)})
