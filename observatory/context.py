"""Context inputs: the population files (Eurostat, INSEE, Statbel) and the Eurostat LFS file.

Jobs, establishments and every indicator without a population denominator need none of them, so a raw folder
without them still builds. For an input the build expects (the population source(s) chosen by
``OBSERVATORY_POPULATION_SOURCE``, and the LFS file whatever the setting) but does not find, the tables that need it
are published empty (``mart.population``, ``mart.lfs_employment``) or without the rows that need it (the
indicators with a population denominator), a warning asset check names the file expected and ``meta.release``
lists it. A population source the setting does not choose may be absent without a word, as before. A file that is
present but broken is still an error (:class:`observatory.errors.InputError`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from observatory import population, vintages
from observatory.provenance import META_SOURCES_DDL

INDICATORS = "ess_jobs_per_1000_pop_15_64, all_jobs_per_1000_pop_15_64, ess_age_structure_gap_vs_population"
WITHOUT_POPULATION = f"mart.population is empty and the indicators with a population denominator ({INDICATORS}) are left out"


def without_national(adjective: str, country: str) -> str:
    """What is published without the national population file of one country."""
    return (f"mart.population has no {adjective} rows and the indicators with a population denominator have no value "
            f"for {country} (NULL, flagged m; left out when neither national file is there)")


@dataclass(frozen=True)
class ContextInput:
    source_id: str
    folder: Path  # the source folder under the raw folder (its newest vintage is read)
    pattern: str  # the file name(s) the loader looks for, as an analyst reads it
    without: str  # what is published empty or left out without it
    table: str  # its staging table
    ddl: str  # creates its staging table, empty
    candidates: Callable[[Path], list[Path]]  # the loader's own search, so "present" means what the loader finds
    population: bool = True  # a population source (expected when the setting chooses it), else always expected

    def present(self, raw_dir: Path) -> bool:
        return bool(self.candidates(raw_dir))

    def label(self) -> str:
        """The input and the file expected, relative to the raw folder: what ``meta.release`` records."""
        return f"{self.source_id}: {self.pattern} in {self.folder.as_posix()}/"

    def missing_text(self, raw_dir: Path) -> str:
        """What the warning says: the file expected, the folder looked in, and what is published without it."""
        return f"{self.source_id}: no {self.pattern} file in {vintages.current(raw_dir, self.folder)}; {self.without}"


def inputs() -> tuple[ContextInput, ...]:
    """Every context input, from the descriptors of the sources (``Source.context``)."""
    from observatory.sources import all_sources  # the source modules import this one's ContextInput

    return tuple(s.context for s in all_sources() if s.context is not None)


def input_of(source_id: str) -> ContextInput:
    """The context input of ``source_id``."""
    from observatory.sources import source

    return source(source_id).context


def expected(setting: str) -> tuple[ContextInput, ...]:
    """The context inputs a build with the population ``setting`` uses: its population source(s) and the LFS."""
    chosen = {s.source_id for s in population.sources_for(setting)}
    return tuple(i for i in inputs() if i.source_id in chosen or not i.population)


def clear(con: duckdb.DuckDBPyConnection, item: ContextInput) -> None:
    """Leave nothing staged for ``item``: an empty table and no ``meta.sources`` row. The working database outlives
    a build, and a file removed since the last one must neither feed the next one nor be listed as read."""
    con.execute(item.ddl)
    con.execute(META_SOURCES_DDL)
    con.execute("DELETE FROM meta.sources WHERE source_id = ?", [item.source_id])


def missing(con: duckdb.DuckDBPyConnection, setting: str) -> list[ContextInput]:
    """The inputs ``setting`` expects that have no file recorded in ``meta.sources`` of the working database: what
    the tables were built without (the loaders record their files; :func:`clear` removes them)."""
    con.execute(META_SOURCES_DDL)
    loaded = {r[0] for r in con.execute("SELECT DISTINCT source_id FROM meta.sources").fetchall()}
    return [i for i in expected(setting) if i.source_id not in loaded]
