"""The Dagster definitions materialise the whole graph on the embedded sample into a temporary warehouse,
and a bad delivery stops the run with a clear message while the published file stays as it was."""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import spoil_flores

from observatory import cli, schema
from observatory.config import PROJECT_ROOT
from pipelines.assets import ALL_ASSETS, SOURCE_ASSETS
from pipelines.checks import ALL_CHECKS, FILE_PRESENT_CHECKS
from pipelines.definitions import all_years_tags, defs
from pipelines.resources import Warehouse

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"


def materialize(raw: Path, warehouse: Path, population_source: str = "eurostat") -> dg.ExecuteInProcessResult:
    instance = dg.DagsterInstance.ephemeral()
    return dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        resources={"warehouse": Warehouse(raw_dir=str(raw), warehouse_dir=str(warehouse),
                                          population_source=population_source)},
        instance=instance, tags=all_years_tags(instance, raw),
        raise_on_error=False,
    )


def test_definitions_load():
    defs.resolve_all_job_defs()
    assert defs.resolve_job_def("build_observatory")


def test_every_job_runs_its_steps_in_one_process():
    # The steps share staging.duckdb, which DuckDB locks per process: a process per step (Dagster's default
    # executor, used by runs launched from the UI, backfills and schedules) fails on that lock. docs/running.md.
    jobs = defs.get_repository_def().get_all_jobs()
    assert {job.name for job in jobs} >= {"build_observatory", "fetch_sources", "__ASSET_JOB"}
    assert {job.name: job.executor_def for job in jobs} == {job.name: dg.in_process_executor for job in jobs}


def test_jobs_schedules_and_sensors_say_what_they_do():
    repository = defs.get_repository_def()
    described = {d.name: d.description for d in [*repository.get_all_jobs(), *repository.schedule_defs,
                                                  *repository.sensor_defs]}
    for name in ("build_observatory", "fetch_sources", "nightly_refresh", "nightly_fetch", "build_after_fetch",
                 "alert_on_run_failure"):
        assert described[name], f"{name} has no description in the UI"


def test_the_definitions_load_without_warnings():
    # Every process that loads the code location (webserver, daemon, each run) would log them. Dagster's own
    # deprecation warning about its internals (ignored by Python's default filters) is left to Dagster.
    script = ("import json, warnings\n"
              "with warnings.catch_warnings(record=True) as seen:\n"
              "    warnings.simplefilter('always')\n"
              "    from pipelines.definitions import defs\n"
              "    defs.get_repository_def().get_all_jobs()\n"
              "print(json.dumps([[w.category.__name__, str(w.message), w.filename] for w in seen]))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT,
                            check=True, timeout=120)
    seen = json.loads(result.stdout.splitlines()[-1])
    dagster_internal = f"{os.sep}dagster{os.sep}"
    assert [w for w in seen if not (w[0] == "DeprecationWarning" and dagster_internal in w[2])] == []


@pytest.fixture
def built(sample_build) -> Path:
    """The sample built once for the session (conftest.sample_build: it succeeded with no failed check); read only."""
    return sample_build.warehouse


def test_sample_builds_everything(built):
    con = duckdb.connect(str(built / "observatory.duckdb"), read_only=True)
    assert con.execute("SELECT count(DISTINCT geo) FROM mart.jobs WHERE geo_level = 'NUTS3'").fetchone()[0] == 32
    assert {r[0] for r in con.execute("SELECT DISTINCT country FROM mart.establishments").fetchall()} == {
        "FR", "BE", "ALL"}
    assert con.execute("SELECT synthetic FROM meta.release").fetchone()[0] is True
    bands = {r[0] for r in con.execute("SELECT DISTINCT age_band FROM mart.jobs").fetchall()}
    assert bands == {"Y_LT25", "Y25-34", "Y35-44", "Y45-54", "Y55-64", "Y_GE65", "TOTAL"}
    # Issue 10: ess_fte was NULL with no flag in 82 of 105 rows; every NULL now says why (C or m).
    assert con.execute("SELECT count(*) FROM mart.indicators WHERE indicator = 'ess_fte' AND value IS NULL "
                       "AND conf_status IS NULL AND obs_flag IS DISTINCT FROM 'm'").fetchone()[0] == 0


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


def test_bad_delivery_stops_the_run_and_keeps_the_published_file(sample_build_copy, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    spoil_flores(raw)
    published = sample_build_copy / "observatory.duckdb"
    before = hashlib.sha256(published.read_bytes()).hexdigest()

    result = materialize(raw, sample_build_copy)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure and e.step_key == "fr_flores")
    message = failure.step_failure_data.user_failure_data.description
    assert "flores_postes_2023.csv, line 5, column POSTES: a negative count" in message
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before


EMPLOYMENT_AND_REGISTRIES = ("fr/sirene", "fr/flores", "be/kbo", "be/onss")
PER_CAPITA = {"ess_jobs_per_1000_pop_15_64", "all_jobs_per_1000_pop_15_64", "ess_age_structure_gap_vs_population"}


def test_employment_and_registries_alone_build_everything_else(built, tmp_path):
    """A raw folder with only the four employment and registry sources builds; the population and LFS are the
    optional context. The working database starts as the full build left it, as when files are removed."""
    raw = tmp_path / "raw"
    for folder in EMPLOYMENT_AND_REGISTRIES:
        shutil.copytree(SAMPLE / folder, raw / folder)
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(built / "staging.duckdb", warehouse)  # staged population and LFS of the full build: must not be reused
    result = materialize(raw, warehouse)
    assert result.success

    failed = {e.check_name: e for e in result.get_asset_check_evaluations() if not e.passed}
    assert set(failed) == {"eu_eurostat_population_file_present", "eu_eurostat_lfs_file_present"}
    assert {e.severity for e in failed.values()} == {dg.AssetCheckSeverity.WARN}
    folder = raw / "eu" / "eurostat"
    assert f"no demo_r_pjangrp3*.csv, .csv.gz, .tsv or .tsv.gz file in {folder}" in failed[
        "eu_eurostat_population_file_present"].description
    assert f"no lfst_r_lfe2en2*.csv, .csv.gz, .tsv or .tsv.gz file in {folder}" in failed[
        "eu_eurostat_lfs_file_present"].description
    assert [line for line in cli.run_problems(result) if line.startswith("- warning from check ")] == [
        f"- warning from check {name}: {failed[name].description}" for name in failed]

    con = duckdb.connect(str(warehouse / "observatory.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT geo) FROM mart.jobs WHERE geo_level = 'NUTS3'").fetchone()[0] == 32
        assert con.execute("SELECT count(*) FROM mart.establishments").fetchone()[0] > 0
        indicators = {r[0] for r in con.execute("SELECT DISTINCT indicator FROM mart.indicators").fetchall()}
        assert indicators == set(schema.INDICATOR_CODES) - PER_CAPITA
        compared = {r[0] for r in con.execute("SELECT DISTINCT indicator FROM mart.cross_border_comparison").fetchall()}
        assert compared == indicators
        assert con.execute("SELECT count(*) FROM mart.population").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM mart.lfs_employment").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM meta.sources WHERE source_id LIKE 'eu_%'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM meta.row_accounting WHERE source_id LIKE 'eu_%'").fetchone()[0] == 0
        assert con.execute("SELECT missing_context_inputs FROM meta.release").fetchone()[0] == (
            "eu_eurostat_population: demo_r_pjangrp3*.csv, .csv.gz, .tsv or .tsv.gz in eu/eurostat/; "
            "eu_eurostat_lfs: lfst_r_lfe2en2*.csv, .csv.gz, .tsv or .tsv.gz in eu/eurostat/")
    finally:
        con.close()


def _materialize_population_sources(raw: Path, warehouse: Path, population_source: str) -> dg.ExecuteInProcessResult:
    """Only the population source assets and their checks: enough to see what a missing or broken file does."""
    return dg.materialize(
        [SOURCE_ASSETS["eu_eurostat_population"], SOURCE_ASSETS["fr_insee_population"],
         SOURCE_ASSETS["be_statbel_population"],
         *[c for c in FILE_PRESENT_CHECKS if any("population" in k.name for k in c.check_keys)]],
        resources={"warehouse": Warehouse(raw_dir=str(raw), warehouse_dir=str(warehouse),
                                          population_source=population_source)},
        raise_on_error=False,
    )


def test_missing_population_files_warn_only_for_the_chosen_source(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    warnings = {}
    for setting in ("national", "eurostat"):
        result = _materialize_population_sources(raw, tmp_path / setting, setting)
        assert result.success
        failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
        assert {e.severity for e in failed} == {dg.AssetCheckSeverity.WARN}
        warnings[setting] = {e.check_name: e.description for e in failed}
    assert set(warnings["national"]) == {"fr_insee_population_file_present", "be_statbel_population_file_present"}
    assert (f"no estim-pop-dep-sexe-aq-*.xlsx file in {raw / 'fr' / 'insee_population'}"
            in warnings["national"]["fr_insee_population_file_present"])
    assert (f"no TF_SOC_POP_STRUCT_<yyyy>.zip or .txt file in {raw / 'be' / 'statbel_population'}"
            in warnings["national"]["be_statbel_population_file_present"])
    assert set(warnings["eurostat"]) == {"eu_eurostat_population_file_present"}


def test_a_broken_population_file_still_stops_the_run(tmp_path):
    raw = tmp_path / "raw"
    (raw / "eu" / "eurostat").mkdir(parents=True)
    with gzip.open(SAMPLE / "eu" / "eurostat" / "demo_r_pjangrp3.csv.gz", "rt", encoding="utf-8") as sample:
        lines = sample.read().splitlines()
    fields = lines[4].split(",")
    fields[8] = "12x"  # OBS_VALUE of line 5
    lines[4] = ",".join(fields)
    (raw / "eu" / "eurostat" / "demo_r_pjangrp3.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = _materialize_population_sources(raw, tmp_path / "warehouse", "eurostat")
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure and e.step_key == "eu_eurostat_population")
    data = failure.step_failure_data.user_failure_data
    assert "demo_r_pjangrp3.csv, line 5, column OBS_VALUE: OBS_VALUE is not a number" in data.description
    assert data.metadata["file"].value == str(raw / "eu" / "eurostat" / "demo_r_pjangrp3.csv")
