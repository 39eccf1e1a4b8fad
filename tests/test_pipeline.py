"""The Dagster definitions materialise the whole graph on the embedded sample into a temporary warehouse,
and a bad delivery stops the run with a clear message while the published file stays as it was."""

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.assets import ALL_ASSETS
from pipelines.checks import ALL_CHECKS
from pipelines.definitions import all_years_tags, defs
from pipelines.resources import Warehouse

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"


def materialize(raw: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        resources={"warehouse": Warehouse(raw_dir=str(raw), warehouse_dir=str(warehouse))},
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


def test_bad_delivery_stops_the_run_and_keeps_the_published_file(built, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    jobs = raw / "fr" / "flores" / "flores_postes_2023.csv"
    lines = jobs.read_text(encoding="utf-8-sig").splitlines()
    fields = lines[4].split(";")
    fields[6] = "-3"  # POSTES
    lines[4] = ";".join(fields)
    jobs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    published = built / "observatory.duckdb"
    before = hashlib.sha256(published.read_bytes()).hexdigest()

    result = materialize(raw, built)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure and e.step_key == "fr_flores")
    message = failure.step_failure_data.user_failure_data.description
    assert "flores_postes_2023.csv, line 5, column POSTES: a negative count" in message
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
