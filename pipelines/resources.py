"""The working warehouse: raw inputs, the staging DuckDB database that assets share, and the published file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from observatory.config import (
    STAGING_FILE_NAME,
    checked_population_source,
    default_population_source,
    default_raw_dir,
    default_warehouse_dir,
)


class Warehouse(dg.ConfigurableResource):
    """Where the observatory reads raw files and builds its databases.

    Assets and checks share ``<warehouse>/staging.duckdb``, which DuckDB lets one process write at a time: every
    run executes its steps in its own process (the in-process executor of pipelines/definitions.py), runs are queued
    one at a time, and every asset is in the ``duckdb_staging`` pool as well (dagster.yaml; docs/running.md).
    Readers use only ``observatory.duckdb``, which is swapped in atomically.
    """

    raw_dir: str
    warehouse_dir: str
    # Which population feeds the denominators: "eurostat" (both countries) or "national" (INSEE + Statbel).
    population_source: str = "eurostat"

    @property
    def population_setting(self) -> str:
        return checked_population_source(self.population_source, "population_source")

    @property
    def raw_path(self) -> Path:
        return Path(self.raw_dir)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse_dir)

    @property
    def work_path(self) -> Path:
        path = self.warehouse_path / "work"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.warehouse_path.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.warehouse_path / STAGING_FILE_NAME))
        try:
            yield con
        finally:
            con.close()


def default_warehouse() -> Warehouse:
    """Paths from OBSERVATORY_RAW_DIR / OBSERVATORY_WAREHOUSE_DIR, else the project's data folders; the population
    source from OBSERVATORY_POPULATION_SOURCE, else eurostat."""
    return Warehouse(raw_dir=str(default_raw_dir()), warehouse_dir=str(default_warehouse_dir()),
                     population_source=default_population_source())
