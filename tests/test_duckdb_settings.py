"""The working database opens with the memory limit and threads set by one setting (observatory.config), and
without DuckDB's progress bar (it wrote over the build's own lines at national scale); a run opens it once."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import dagster as dg
import duckdb
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


# A run opens the working database once (issue 14: opening and checkpointing it at each of about 70 steps took
# 6-7 s of a national build); each step still has a connection of its own.
@dg.asset
def writes_a_table_and_a_temporary_one(warehouse: Warehouse) -> None:
    with warehouse.connect() as con:
        con.execute("CREATE TABLE kept AS SELECT 42 AS answer")
        con.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")
        con.execute("SET enable_progress_bar = true")  # a setting of this connection only


@dg.asset(deps=[writes_a_table_and_a_temporary_one])
def reads_them_back(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        answer = con.execute("SELECT answer FROM kept").fetchone()[0]
        scratch = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'scratch'").fetchone()[0]
        bar = con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]
    return dg.MaterializeResult(metadata={"answer": answer, "scratch_seen": scratch, "progress_bar": bar})


def _opens_counted(monkeypatch) -> list[Path]:
    opened: list[Path] = []
    original = Warehouse._open_staging

    def counting(self, path):
        opened.append(path)
        return original(self, path)

    monkeypatch.setattr(Warehouse, "_open_staging", counting)
    return opened


def _metadata(result: dg.ExecuteInProcessResult, key: str) -> dict:
    [materialization] = result.asset_materializations_for_node(key)
    return {name: value.value for name, value in materialization.metadata.items()}


def test_a_run_opens_the_working_database_once_and_closes_it_when_it_ends(monkeypatch, tmp_path):
    opened = _opens_counted(monkeypatch)
    warehouse = Warehouse(raw_dir=str(tmp_path / "raw"), warehouse_dir=str(tmp_path / "warehouse"))
    result = dg.materialize([writes_a_table_and_a_temporary_one, reads_them_back], resources={"warehouse": warehouse})
    assert result.success
    staging = tmp_path / "warehouse" / "staging.duckdb"
    assert opened == [staging]
    # The second step saw the first's table, not its temporary table, and its own connection's settings.
    assert _metadata(result, "reads_them_back") == {"answer": 42, "scratch_seen": 0, "progress_bar": False}
    # Closed at the end of the run: checkpointed (no log left), and openable with other settings (DuckDB refuses
    # a second configuration for a database this process still holds open).
    assert not staging.with_name("staging.duckdb.wal").exists()
    with duckdb.connect(str(staging), config={"threads": "1"}) as con:
        assert con.execute("SELECT answer FROM kept").fetchone()[0] == 42
    # Outside a run, each use opens and closes the file.
    with warehouse.connect() as con:
        con.execute("SELECT 1")
    assert len(opened) == 2


@dg.asset
def leaves_the_database_unusable(warehouse: Warehouse) -> None:
    with warehouse.connect() as con:
        con.execute("CREATE TABLE before_the_failure AS SELECT 1 AS x")
    # What a fatal DuckDB error does to the run's database, simulated: every new connection to it fails.
    warehouse._database.close()


@dg.asset(deps=[leaves_the_database_unusable])
def runs_after_it(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        rows = con.execute("SELECT count(*) FROM before_the_failure").fetchone()[0]
    return dg.MaterializeResult(metadata={"rows": rows})


def test_a_database_left_unusable_is_opened_again_for_the_next_step_with_a_warning(monkeypatch, tmp_path):
    opened = _opens_counted(monkeypatch)
    with dg.instance_for_test() as instance:
        result = dg.materialize([leaves_the_database_unusable, runs_after_it], instance=instance,
                                resources={"warehouse": Warehouse(raw_dir=str(tmp_path), warehouse_dir=str(tmp_path))})
        warnings = [entry.user_message for entry in instance.all_logs(result.run_id)
                    if entry.level == logging.WARNING]
    assert result.success
    assert _metadata(result, "runs_after_it") == {"rows": 1}
    assert len(opened) == 2
    assert [w for w in warnings if w.startswith("the working database is opened again: an earlier failure left "
                                                "it unusable (Connection Error: Connection already closed")]
