"""The Dagster definitions materialise the whole graph on the embedded sample into a temporary warehouse,
and a bad delivery stops the run with a clear message while the published file stays as it was."""

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import spoil_flores

from pipelines.assets import ALL_ASSETS
from pipelines.checks import ALL_CHECKS
from pipelines.definitions import all_years_tags, defs
from pipelines.resources import Warehouse

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"


def materialize(raw: Path, warehouse: Path, population_source: str = "eurostat") -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        resources={"warehouse": Warehouse(raw_dir=str(raw), warehouse_dir=str(warehouse),
                                          population_source=population_source)},
        tags=all_years_tags(),
        raise_on_error=False,
    )


def test_definitions_load():
    defs.resolve_all_job_defs()
    assert defs.resolve_job_def("build_observatory")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("warehouse")
    result = materialize(SAMPLE, warehouse)
    assert result.success
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed == []
    return warehouse


def test_sample_builds_everything(built):
    con = duckdb.connect(str(built / "observatory.duckdb"), read_only=True)
    assert con.execute("SELECT count(DISTINCT geo) FROM mart.jobs WHERE geo_level = 'NUTS3'").fetchone()[0] == 32
    assert {r[0] for r in con.execute("SELECT DISTINCT country FROM mart.establishments").fetchall()} == {
        "FR", "BE", "ALL"}
    assert con.execute("SELECT synthetic FROM meta.release").fetchone()[0] is True
    bands = {r[0] for r in con.execute("SELECT DISTINCT age_band FROM mart.jobs").fetchall()}
    assert bands == {"Y_LT25", "Y25-34", "Y35-44", "Y45-54", "Y55-64", "Y_GE65", "TOTAL"}


def _population_by_source(warehouse: Path) -> dict:
    con = duckdb.connect(str(warehouse / "observatory.duckdb"), read_only=True)
    try:
        return {(country, source): value for country, source, value in con.execute(
            "SELECT country, source, sum(population) FROM mart.population WHERE geo_level = 'NUTS3' "
            "AND sex = 'T' AND age_band = 'Y15-64' AND year = 2024 GROUP BY ALL").fetchall()}
    finally:
        con.close()


def test_sample_builds_population_indicators_and_comparison(built):
    con = duckdb.connect(str(built / "observatory.duckdb"), read_only=True)
    assert set(_population_by_source(built)) == {("FR", "eu_eurostat_population"), ("BE", "eu_eurostat_population")}
    per_capita = con.execute(
        "SELECT year, value, obs_flag FROM mart.indicators WHERE indicator = 'ess_jobs_per_1000_pop_15_64' "
        "AND geo = 'FWVL' AND sex = 'T' ORDER BY year").fetchall()
    assert [y for y, _, _ in per_capita] == [2022, 2023, 2024]
    assert all(v is not None and 20 < v < 200 for _, v, _ in per_capita)  # plausible order of magnitude
    sides = con.execute(
        "SELECT fr_value - be_value, difference FROM mart.cross_border_comparison WHERE comparison = 'SIDES' "
        "AND indicator = 'ess_share_of_jobs' AND year = 2024").fetchone()
    assert sides[1] == pytest.approx(sides[0])
    neighbours = con.execute("SELECT count(DISTINCT fr_geo || be_geo) FROM mart.cross_border_comparison "
                             "WHERE comparison = 'NEIGHBOURS'").fetchone()[0]
    assert neighbours == 13
    assert con.execute("SELECT count(*) FROM mart.lfs_employment").fetchone()[0] > 0
    comments = con.execute("SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'mart' AND table_name IN "
                           "('population', 'cross_border_comparison', 'lfs_employment') AND comment IS NULL").fetchone()[0]
    assert comments == 0


def test_population_source_is_one_setting(built, tmp_path):
    warehouse = tmp_path / "national"
    result = materialize(SAMPLE, warehouse, population_source="national")
    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []
    national = _population_by_source(warehouse)
    assert set(national) == {("FR", "fr_insee_population"), ("BE", "be_statbel_population")}
    eurostat = _population_by_source(built)
    # The sample's three population files derive from one synthetic population: they agree within 2 %.
    for country, source in national:
        assert national[(country, source)] == pytest.approx(eurostat[(country, "eu_eurostat_population")], rel=0.02)


def test_bad_delivery_stops_the_run_and_keeps_the_published_file(built, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    spoil_flores(raw)
    published = built / "observatory.duckdb"
    before = hashlib.sha256(published.read_bytes()).hexdigest()

    result = materialize(raw, built)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure and e.step_key == "fr_flores")
    message = failure.step_failure_data.user_failure_data.description
    assert "flores_postes_2023.csv, line 5, column POSTES: a negative count" in message
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
