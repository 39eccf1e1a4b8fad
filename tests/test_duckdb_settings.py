"""The working database opens with the memory limit and threads set by one setting (observatory.config), and
without DuckDB's progress bar (it wrote over the build's own lines at national scale)."""

from __future__ import annotations

import os

import pytest

from observatory.config import DEFAULT_DUCKDB_MEMORY, DUCKDB_MEMORY_ENV, DUCKDB_THREADS_ENV, duckdb_config
from pipelines.resources import Warehouse


def test_defaults_and_settings_reach_the_working_database(monkeypatch, tmp_path):
    monkeypatch.delenv(DUCKDB_MEMORY_ENV, raising=False)
    monkeypatch.delenv(DUCKDB_THREADS_ENV, raising=False)
    assert duckdb_config(tmp_path) == {"memory_limit": DEFAULT_DUCKDB_MEMORY, "threads": str(os.cpu_count() or 1),
                                       "temp_directory": str(tmp_path)}
    monkeypatch.setenv(DUCKDB_MEMORY_ENV, "300MB")
    monkeypatch.setenv(DUCKDB_THREADS_ENV, "1")
    warehouse = Warehouse(raw_dir=str(tmp_path / "raw"), warehouse_dir=str(tmp_path / "warehouse"))
    with warehouse.connect() as con:
        limit, threads, spill, bar = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory'), "
            "current_setting('enable_progress_bar')"
        ).fetchone()
    assert (limit, threads, bar) == ("286.1 MiB", 1, False)  # DuckDB shows 300 MB in MiB
    assert spill == str(tmp_path / "warehouse" / "staging.duckdb.tmp")


@pytest.mark.parametrize(("name", "value", "message"), [
    (DUCKDB_MEMORY_ENV, "lots", "OBSERVATORY_DUCKDB_MEMORY='lots': expected a size such as 2GB"),
    (DUCKDB_THREADS_ENV, "0", "OBSERVATORY_DUCKDB_THREADS='0': expected a whole number of threads"),
])
def test_a_bad_setting_is_named(monkeypatch, tmp_path, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        duckdb_config(tmp_path)
