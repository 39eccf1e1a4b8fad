"""observatory.connect() opens the newest published file, in one process, across a publication."""

from __future__ import annotations

import duckdb
import pytest
from conftest import build_small_staging
from test_publication import ess_jobs

import observatory
from observatory import publication


@pytest.fixture
def two_builds(small_staging, tmp_path):
    """Publish a build with 20 ESS jobs; return the warehouse and a staging of 30 jobs, ready to publish."""
    publication.publish(small_staging, tmp_path)
    newer = duckdb.connect()
    build_small_staging(newer, jobs=30)
    yield tmp_path, newer
    newer.close()


def test_connect_sees_the_new_build_while_an_old_connection_is_open(two_builds):
    warehouse, newer = two_builds
    path = warehouse / "observatory.duckdb"
    plain = duckdb.connect(str(path), read_only=True)  # what the README used to show
    ours = observatory.connect(path)
    assert ess_jobs(plain) == ess_jobs(ours) == 20

    publication.publish(newer, warehouse)

    # The premise (DuckDB's instance cache): while `plain` is open, a new plain connect gets the old file.
    # If a DuckDB release stops doing this, this line fails and observatory.reader can say so.
    assert ess_jobs(duckdb.connect(str(path), read_only=True)) == 20
    fresh = observatory.connect(path)
    assert ess_jobs(fresh) == 30
    assert ess_jobs(plain) == ess_jobs(ours) == 20  # open connections keep the version they opened, whole
    assert fresh.execute("SELECT jobs FROM observatory.mart.jobs WHERE geo = 'FRE11' AND family = 'ESS' "
                         "AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL'").fetchone()[0] == 30
    for con in (plain, ours, fresh):
        con.close()


def test_connect_defaults_to_the_warehouse_setting_and_accepts_the_folder(two_builds, monkeypatch):
    warehouse, newer = two_builds
    monkeypatch.setenv("OBSERVATORY_WAREHOUSE_DIR", str(warehouse))
    old = observatory.connect()
    publication.publish(newer, warehouse)
    assert ess_jobs(observatory.connect()) == 30
    assert ess_jobs(observatory.connect(warehouse)) == 30
    assert ess_jobs(old) == 20


def test_connect_is_read_only_by_default(two_builds):
    warehouse, _ = two_builds
    con = observatory.connect(warehouse)
    with pytest.raises(duckdb.Error, match="read-only|read only"):
        con.execute("DELETE FROM mart.jobs")
    con.execute("CREATE TEMP TABLE mine AS SELECT 1 AS x")  # scratch tables of the session still work
    assert con.execute("SELECT count(*) FROM mart.dim_sex").fetchone()[0] == 3


def test_connect_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "observatory.duckdb")):
        observatory.connect(tmp_path)
