"""The published database is swapped in atomically: readers never suffer, failures leave the old file."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import duckdb
import pytest
from conftest import build_small_staging

from observatory import publication, schema


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ess_jobs(con: duckdb.DuckDBPyConnection) -> float:
    return con.execute(
        "SELECT jobs FROM mart.jobs WHERE geo = 'FRE11' AND family = 'ESS' AND nace_a10 = 'TOTAL' AND sex = 'T' "
        "AND age_band = 'TOTAL'"
    ).fetchone()[0]


def test_publish_writes_every_table_with_comments(small_staging, tmp_path):
    info = publication.publish(small_staging, tmp_path, run_id="run-1")
    reader = duckdb.connect(info["path"], read_only=True)
    tables = {f"{s}.{t}": c for s, t, c in reader.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables()").fetchall()}
    assert set(tables) == {t.name for t in schema.PUBLISHED_TABLES}
    assert all(tables.values())
    uncommented = reader.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name IN ('mart', 'meta') AND comment IS NULL"
    ).fetchone()[0]
    assert uncommented == 0
    synthetic, run_id, notice = reader.execute("SELECT synthetic, dagster_run_id, notice FROM meta.release").fetchone()
    assert synthetic and run_id == "run-1" and notice.startswith("SYNTHETIC")
    assert list(tmp_path.iterdir()) == [tmp_path / "observatory.duckdb"]  # no temporary or WAL file left


def test_the_published_file_opens_in_duckdb_1(small_staging, tmp_path):
    """DuckDB 2 writes a storage format of its own by default, which the DuckDB 1.x of a researcher's R, CLI or
    notebook refuses ("can only read versions between 64 and 68"): the published file keeps DuckDB 1.0's (64)."""
    info = publication.publish(small_staging, tmp_path)
    header = (tmp_path / "observatory.duckdb").read_bytes()[:20]
    assert header[8:12] == b"DUCK" and int.from_bytes(header[12:20], "little") == 64
    reader = duckdb.connect(info["path"], read_only=True)
    assert reader.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE NOT internal").fetchone() == (
        "v1.0.0+",)


def test_reader_holding_the_old_file_keeps_working(small_staging, tmp_path):
    publication.publish(small_staging, tmp_path)
    reader = duckdb.connect(str(tmp_path / "observatory.duckdb"), read_only=True)
    assert ess_jobs(reader) == 20

    newer = duckdb.connect()
    build_small_staging(newer, jobs=30)
    publication.publish(newer, tmp_path)  # the reader's open file must not block the swap

    assert ess_jobs(reader) == 20  # the open connection still reads the old, whole database
    # A reader that opens after the swap (another process, as researchers are) sees the new database whole.
    assert read_in_another_process(tmp_path / "observatory.duckdb") == "30.0"


def read_in_another_process(path) -> str:
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(con.execute(\"SELECT jobs FROM mart.jobs WHERE geo = 'FRE11' AND family = 'ESS' "
        "AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL'\").fetchone()[0])"
    )
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_failed_run_leaves_the_previous_file(small_staging, tmp_path):
    publication.publish(small_staging, tmp_path)
    before = sha(tmp_path / "observatory.duckdb")
    newer = duckdb.connect()
    build_small_staging(newer, jobs=30)
    with pytest.raises(RuntimeError, match="before the swap"):
        publication.publish(newer, tmp_path, fail_before_swap=True)
    assert sha(tmp_path / "observatory.duckdb") == before
    assert [p.name for p in tmp_path.iterdir()] == ["observatory.duckdb"]


def test_leftover_of_a_killed_run_is_cleaned_and_ignored(small_staging, tmp_path):
    publication.publish(small_staging, tmp_path)
    before = sha(tmp_path / "observatory.duckdb")
    stale = tmp_path / f"{publication.TEMP_PREFIX}deadbeef.duckdb"
    stale.write_bytes(b"half-written")
    assert sha(tmp_path / "observatory.duckdb") == before  # a killed run never touched the published file
    publication.publish(small_staging, tmp_path)
    assert not stale.exists()
