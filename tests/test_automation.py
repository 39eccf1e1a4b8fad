"""The nightly rebuilds only what is stale (and nothing on a night without new data or code), a failed run stays
stale until rebuilt, the fetch job reports new vintages and fails with the fetcher's message, and a failed run is
alerted."""

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import spoil_flores
from http_server import Reply, serve

from observatory import alerts, codeversion, fetch, vintages
from observatory.download import DownloadError
from observatory.fetch import Fetcher, FetchError, FetchOutcome, FetchSettings
from pipelines.alerts import alert_on_run_failure, failure_report
from pipelines.assets import ALL_ASSETS, RAW_CASES, SOURCES, raw_key
from pipelines.automation import BUILD_JOB, build_after_fetch, build_all, nightly_refresh, plan_nightly
from pipelines.checks import ALL_CHECKS
from pipelines.fetching import fetch_sources
from pipelines.report import observatory_report
from pipelines.resources import Warehouse

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"
PACKAGE = codeversion.ROOT  # the checkout's observatory package, copied (never edited) to simulate a code change
# From the sources' descriptors (tests/test_sources.py checks the descriptors themselves).
RAW = {s.folder.as_posix(): raw_key(s) for s in SOURCES}
INGEST = {dg.AssetKey(s.source_id) for s in SOURCES}
REPORT = observatory_report.key


class Observatory:
    """A copy of the sample, a warehouse and a Dagster instance, all temporary; the nightly evaluated on demand."""

    def __init__(self, root: Path, instance: dg.DagsterInstance) -> None:
        self.raw = root / "raw"
        shutil.copytree(SAMPLE, self.raw)
        self.warehouse_dir = root / "warehouse"
        self.warehouse = Warehouse(raw_dir=str(self.raw), warehouse_dir=str(self.warehouse_dir))
        self.instance = instance
        self.defs = dg.Definitions(assets=[*ALL_ASSETS, observatory_report], asset_checks=ALL_CHECKS, jobs=[build_all],
                                   schedules=[nightly_refresh], resources={"warehouse": self.warehouse})

    def nightly(self) -> dg.RunRequest | str:
        """One evaluation of the nightly schedule: its run request, or its skip message."""
        # As a context manager: the context opens its own handle on the instance and closes it on leaving.
        with dg.build_schedule_context(instance=self.instance, resources={"warehouse": self.warehouse}) as context:
            data = nightly_refresh.evaluate_tick(context)
        if not data.run_requests:
            return data.skip_message
        [request] = data.run_requests
        return request

    def run(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        """What the daemon does with the request: run the build job on its selection, with its tags."""
        job = self.defs.resolve_job_def(BUILD_JOB)
        result = job.execute_in_process(instance=self.instance, asset_selection=list(request.asset_selection),
                                        tags=dict(request.tags), raise_on_error=False)
        checks_run = {e.asset_check_key for e in result.get_asset_check_evaluations()}
        assert checks_run <= set(request.asset_check_keys)
        return result


@pytest.fixture
def observatory(tmp_path):
    with dg.instance_for_test() as instance:
        yield Observatory(tmp_path, instance)


def _sirene_vintage(raw: Path, reference_period: str = "", now: datetime | None = None) -> Path:
    """A fetched vintage of SIRENE (the sample's files, as the fetcher would store them)."""
    with vintages.new_vintage(raw, "fr", "sirene", now=now) as vintage:
        vintage.describe(producer="INSEE", licence="Licence Ouverte / Etalab 2.0", urls=["https://example.org/"],
                         producer_version={"etag": f'"v2{reference_period}"'}, reference_period=reference_period)
        for name in vintages.data_files_here(SAMPLE / "fr" / "sirene"):
            shutil.copyfile(SAMPLE / "fr" / "sirene" / name, vintage.file(name))
    return vintage.final


def _deliver_year(raw: Path, year: int, like: int) -> None:
    """The deliveries of ``year`` dropped into the raw folder: those of ``like`` with their year field changed."""
    for folder, name, field in (("fr/flores", "flores_postes_{}.csv", "{};"),
                                ("fr/flores", "flores_etablissements_{}.csv", "{};"),
                                ("be/onss", "onss_postes_{}Q4.csv", "{}Q4,"), ("be/onss", "onss_unites_{}Q4.csv", "{}Q4,")):
        text = (raw / folder / name.format(like)).read_text(encoding="utf-8")
        changed = re.sub(rf"^{re.escape(field.format(like))}", field.format(year), text, flags=re.MULTILINE)
        assert changed.count("\n") == text.count("\n") and changed != text
        (raw / folder / name.format(year)).write_text(changed, encoding="utf-8")


def test_a_year_dropped_in_is_built_by_the_next_nightly(observatory):
    # The year partitions are those of the raw folder when the nightly runs, not when the code was loaded.
    first = observatory.nightly()
    assert (first.tags["dagster/asset_partition_range_start"], first.tags["dagster/asset_partition_range_end"]) \
        == ("2022", "2024")
    assert observatory.run(first).success
    assert observatory.nightly().startswith("Nothing stale")

    _deliver_year(observatory.raw, 2025, like=2024)
    request = observatory.nightly()
    assert isinstance(request, dg.RunRequest)
    assert (request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]) \
        == ("2022", "2025")
    assert {dg.AssetKey("fr_flores"), dg.AssetKey("be_onss"), dg.AssetKey("harmonised_jobs"),
            dg.AssetKey("mart_jobs"), dg.AssetKey("observatory_database")} <= set(request.asset_selection)
    assert not {dg.AssetKey("fr_sirene"), dg.AssetKey("be_kbo")} & set(request.asset_selection)
    assert sorted(observatory.instance.get_dynamic_partitions("reference_year")) == ["2022", "2023", "2024", "2025"]
    assert observatory.run(request).success
    with duckdb.connect(str(observatory.warehouse_dir / "observatory.duckdb"), read_only=True) as con:
        jobs = dict(con.execute("SELECT year, jobs FROM mart.jobs WHERE geo = 'FWVL' AND family = 'ALL' AND "
                                "nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL'").fetchall())
    assert sorted(jobs) == [2022, 2023, 2024, 2025] and jobs[2025] == jobs[2024]  # the same files, another year
    assert observatory.nightly().startswith("Nothing stale")

    # A year whose deliveries are taken away is no longer a partition, and nothing is requested for it.
    for path in [*observatory.raw.glob("fr/flores/*_2025.csv"), *observatory.raw.glob("be/onss/*_2025Q4.csv")]:
        path.unlink()
    again = observatory.nightly()
    assert sorted(observatory.instance.get_dynamic_partitions("reference_year")) == ["2022", "2023", "2024"]
    assert isinstance(again, dg.RunRequest)
    assert again.tags["dagster/asset_partition_range_end"] == "2024"
    assert observatory.run(again).success
    with duckdb.connect(str(observatory.warehouse_dir / "observatory.duckdb"), read_only=True) as con:
        assert [y for (y,) in con.execute("SELECT DISTINCT year FROM mart.jobs ORDER BY year").fetchall()] \
            == [2022, 2023, 2024]
        assert con.execute("SELECT count(*) FROM meta.sources WHERE file_name LIKE '%2025%' AND source_id IN "
                           "('fr_flores', 'be_onss')").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM meta.row_accounting WHERE year = 2025").fetchone()[0] == 0


def test_a_new_registry_snapshot_adds_a_year_the_next_night(observatory):
    # Two monthly SIRENE stocks fetched: the end of 2024 and the end of 2025 (the sample's files, dated by the
    # fetch's reference period). Each is a year of mart.establishments.
    _sirene_vintage(observatory.raw, "2024-12", datetime(2025, 1, 3, tzinfo=UTC))
    assert observatory.run(observatory.nightly()).success
    assert observatory.nightly().startswith("Nothing stale")
    _sirene_vintage(observatory.raw, "2025-12", datetime(2026, 1, 5, tzinfo=UTC))
    request = observatory.nightly()
    assert isinstance(request, dg.RunRequest) and dg.AssetKey("mart_establishments") in request.asset_selection
    result = observatory.run(request)
    assert result.success
    [loaded] = [e.materialization for e in result.get_asset_materialization_events()
                if e.asset_key == dg.AssetKey("fr_sirene")]
    assert loaded.metadata["snapshot_date"].value == "2025-12-31"
    with duckdb.connect(str(observatory.warehouse_dir / "observatory.duckdb"), read_only=True) as con:
        years = con.execute("SELECT year, snapshot_date::VARCHAR, establishments FROM mart.establishments "
                            "WHERE geo = 'FWVL_FR' AND family = 'ALL' AND nace_a10 = 'TOTAL' ORDER BY year").fetchall()
        vintages_read = con.execute("SELECT DISTINCT vintage FROM meta.sources WHERE source_id = 'fr_sirene' "
                                    "ORDER BY 1").fetchall()
    assert [(y, d) for y, d, _ in years] == [(2024, "2024-12-31"), (2025, "2025-12-31")]
    assert years[0][2] == years[1][2]  # the same files
    assert vintages_read == [("2025-01-03",), ("2026-01-05",)]
    assert observatory.nightly().startswith("Nothing stale")


def test_nightly_rebuilds_only_what_is_stale(observatory):
    first = observatory.nightly()
    assert isinstance(first, dg.RunRequest)
    assert set(first.asset_selection) == {*RAW.values(), RAW_CASES.key,
                                          *(k for a in ALL_ASSETS if isinstance(a, dg.AssetsDefinition)
                                            and a.is_materializable for k in a.keys), REPORT}
    assert first.tags["dagster/asset_partition_range_start"] == "2022"  # every year, in this one run
    assert first.tags["observatory/trigger"] == "nightly"
    result = observatory.run(first)
    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []
    assert (observatory.warehouse_dir / "observatory.duckdb").exists()
    observed = observatory.instance.get_latest_data_version_record(RAW["fr/sirene"])
    assert observed.asset_observation.data_version == vintages.source_version(observatory.raw, Path("fr/sirene"))

    second = observatory.nightly()
    assert isinstance(second, str) and second.startswith("Nothing stale")

    vintage = _sirene_vintage(observatory.raw)
    third = observatory.nightly()
    assert isinstance(third, dg.RunRequest)
    assert set(third.asset_selection) == {RAW["fr/sirene"], dg.AssetKey("fr_sirene"),
                                          dg.AssetKey("harmonised_establishments"), dg.AssetKey("mart_establishments"),
                                          dg.AssetKey("harmonised_demography"), dg.AssetKey("mart_demography"),
                                          dg.AssetKey("mart_cases"), dg.AssetKey("observatory_database"), REPORT,
                                          RAW_CASES.key}  # the cases' folder is observed before they are rebuilt
    assert not (INGEST - {dg.AssetKey("fr_sirene")}) & set(third.asset_selection)  # the other sources: untouched
    assert third.asset_selection[-2:] == [dg.AssetKey("observatory_database"), REPORT]  # the report reads it
    assert "dagster/asset_partition_range_start" not in third.tags  # nothing partitioned to rebuild
    assert {c.asset_key for c in third.asset_check_keys} == {dg.AssetKey("fr_sirene"),
                                                             dg.AssetKey("harmonised_establishments"),
                                                             dg.AssetKey("mart_establishments"),
                                                             dg.AssetKey("mart_demography"),
                                                             dg.AssetKey("mart_cases")}
    result = observatory.run(third)
    assert result.success
    con = duckdb.connect(str(observatory.warehouse_dir / "observatory.duckdb"), read_only=True)
    try:
        read = con.execute("SELECT DISTINCT vintage FROM meta.sources WHERE source_id = 'fr_sirene'").fetchall()
    finally:
        con.close()
    assert read == [(vintage.name,)]

    fourth = observatory.nightly()
    assert isinstance(fourth, str) and fourth.startswith("Nothing stale")

    # A partner's case file edited: the cases' table and the publication, nothing else.
    case = observatory.raw / "cases" / "scop_consolidation.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace("jobs_created: 2", "jobs_created: 3"), encoding="utf-8")
    edited = observatory.nightly()
    assert set(edited.asset_selection) == {RAW_CASES.key, dg.AssetKey("mart_cases"),
                                           dg.AssetKey("observatory_database"), REPORT}
    assert observatory.run(edited).success

    # A partial rebuild from the UI that did not publish: the nightly finishes the job.
    partial = observatory.defs.resolve_job_def(BUILD_JOB).execute_in_process(
        instance=observatory.instance, asset_selection=[dg.AssetKey("mart_dimensions")])
    assert partial.success
    fifth = observatory.nightly()
    assert set(fifth.asset_selection) == {dg.AssetKey("mart_dimensions"), dg.AssetKey("observatory_database"), REPORT}
    assert observatory.run(fifth).success

    # A run that republished without writing the report (the database materialised alone): the report alone.
    republished = observatory.defs.resolve_job_def(BUILD_JOB).execute_in_process(
        instance=observatory.instance, asset_selection=[dg.AssetKey("observatory_database")])
    assert republished.success
    assert plan_nightly(observatory.instance, observatory.warehouse).reasons == {
        REPORT: "written before the last publication"}
    sixth = observatory.nightly()
    assert sixth.asset_selection == [REPORT] and not sixth.asset_check_keys
    assert observatory.run(sixth).success
    assert (observatory.warehouse_dir / "report" / "report-en.html").is_file()
    assert observatory.nightly().startswith("Nothing stale")

    # The same files with another population setting are not "nothing new": what read the setting is redone.
    national = Warehouse(raw_dir=str(observatory.raw), warehouse_dir=str(observatory.warehouse_dir),
                         population_source="national")
    reasons = plan_nightly(observatory.instance, national).reasons
    assert reasons[dg.AssetKey("harmonised_population")] == ("population_setting is now national, it was built "
                                                             "with eurostat")
    assert {k.to_user_string() for k in reasons} == {"harmonised_population", "fr_insee_population",
                                                     "be_statbel_population", "eu_eurostat_population",
                                                     "eu_eurostat_lfs"}



def _package_with(tmp_path: Path, path: str, old: str, new: str) -> Path:
    """A copy of the observatory package's files with one edit: the checkout is never modified."""
    package = tmp_path / "package" / path.replace("/", "_")
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    text = (package / path).read_text(encoding="utf-8")
    assert old in text
    (package / path).write_text(text.replace(old, new, 1), encoding="utf-8")
    return package


def test_the_nightly_rebuilds_what_a_code_change_affects(observatory, tmp_path, monkeypatch):
    assert observatory.run(observatory.nightly()).success
    keys = lambda *names: {dg.AssetKey(n) for n in names}  # noqa: E731
    published = keys("mart_cross_border_comparison", "observatory_database", "observatory_report")
    employment = keys("mart_jobs", "mart_indicators", "mart_perimeter_reconciliation") | published

    # A corrected mapping row: the assets whose SQL reads the file, and what is downstream of them; not the sources,
    # not the population, not the labels (mart_dimensions reads other files).
    legal_form = _package_with(tmp_path, "nomenclatures/be_legal_forms.csv", "10,017,,ASSOC,", "10,017,,FOUND,")
    monkeypatch.setattr(codeversion, "ROOT", legal_form)
    why = "code changed: nomenclatures/be_legal_forms.csv"
    assert plan_nightly(observatory.instance, observatory.warehouse).reasons == {
        k: why for k in keys("nomenclatures_table", "harmonised_jobs", "harmonised_establishments",
                             "harmonised_demography", "mart_cases")}
    request = observatory.nightly()
    assert isinstance(request, dg.RunRequest)
    assert set(request.asset_selection) == keys("nomenclatures_table", "harmonised_jobs", "harmonised_establishments",
                                                "mart_establishments", "harmonised_demography", "mart_demography",
                                                "mart_cases") | employment | {RAW_CASES.key}
    assert request.asset_selection[-2:] == [dg.AssetKey("observatory_database"), REPORT]
    assert request.tags["dagster/asset_partition_range_start"] == "2022"  # harmonised_jobs: every year

    # An SQL file: the one asset that runs it, and the publication.
    cross_border = _package_with(tmp_path, "sql/mart_cross_border.sql", "\n", "\n-- corrected\n")
    monkeypatch.setattr(codeversion, "ROOT", cross_border)
    assert set(observatory.nightly().asset_selection) == published

    # A source's loader: that source (observed first) and what is built from it; the other sources untouched.
    loader = _package_with(tmp_path, "sources/kbo.py", "\n", "\n# corrected\n")
    monkeypatch.setattr(codeversion, "ROOT", loader)
    request = observatory.nightly()
    # (mart_cases runs kbo.py too: the enterprise number's check digits.)
    assert set(request.asset_selection) == {RAW["be/kbo"]} | keys(
        "be_kbo", "harmonised_jobs", "harmonised_establishments", "mart_establishments", "harmonised_demography",
        "mart_demography", "mart_cases") | employment | {RAW_CASES.key}
    assert plan_nightly(observatory.instance, observatory.warehouse).reasons == {
        dg.AssetKey("be_kbo"): "code changed: sources/kbo.py", dg.AssetKey("mart_cases"): "code changed: sources/kbo.py"}

    # The population's SQL: mart_indicators is downstream, and the tables built with it come along (a run cannot
    # build part of mart_employment).
    bands = _package_with(tmp_path, "sql/population_bands.sql", "\n", "\n-- corrected\n")
    monkeypatch.setattr(codeversion, "ROOT", bands)
    population = observatory.nightly()
    assert set(population.asset_selection) == keys("harmonised_population", "mart_population") | employment

    # The report's own code (outside ALL_ASSETS): the report alone, the file named as for the other assets.
    report_code = _package_with(tmp_path, "report.py", "\n", "\n# corrected\n")
    monkeypatch.setattr(codeversion, "ROOT", report_code)
    assert plan_nightly(observatory.instance, observatory.warehouse).reasons == {REPORT: "code changed: report.py"}
    assert observatory.nightly().asset_selection == [REPORT]

    # A file no asset runs: nothing.
    sample = _package_with(tmp_path, "sample/kbo.py", "\n", "\n# corrected\n")
    monkeypatch.setattr(codeversion, "ROOT", sample)
    assert observatory.nightly().startswith("Nothing stale")

    # The mapping correction's run succeeds and publishes. Built in this process, it records the code versions loaded
    # at import (the checkout's, as a run started anew on the corrected files would record theirs): with the checkout
    # as it is, nothing is stale.
    monkeypatch.setattr(codeversion, "ROOT", legal_form)
    assert observatory.run(observatory.nightly()).success
    assert observatory.run(population).success
    monkeypatch.undo()
    assert observatory.nightly().startswith("Nothing stale")


def test_a_failed_run_stays_stale_and_is_alerted(observatory, monkeypatch):
    spoil_flores(observatory.raw)
    first = observatory.nightly()
    result = observatory.run(first)
    assert not result.success
    assert not (observatory.warehouse_dir / "observatory.duckdb").exists()

    with serve() as server:
        server.route("/hook", lambda seen: Reply(200, [("Content-Type", "text/plain")], b"ok"))
        monkeypatch.setenv(alerts.WEBHOOK_ENV, server.url("/hook"))
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_run_failure", dagster_event=result.get_run_failure_event(),
            dagster_instance=observatory.instance, dagster_run=result.dagster_run).for_run_failure()
        alert_on_run_failure(context)
        [posted] = server.requests_to("/hook")
    assert posted.method == "POST" and posted.headers["Content-Type"] == "application/json"
    message = json.loads(posted.body)
    assert message["job"] == BUILD_JOB and message["run_id"] == result.run_id and message["trigger"] == "nightly"
    assert [s["step"] for s in message["failed_steps"]] == ["fr_flores"]
    assert "flores_postes_2023.csv, line 5, column POSTES: a negative count" in message["failed_steps"][0]["error"]
    assert result.run_id in message["text"] and "is unchanged" in message["text"]

    # Nothing was published, the spoilt delivery was not built: the next night tries again.
    again = observatory.nightly()
    assert isinstance(again, dg.RunRequest)
    assert {dg.AssetKey("fr_flores"), dg.AssetKey("observatory_database")} <= set(again.asset_selection)
    assert dg.AssetKey("fr_sirene") not in again.asset_selection  # built by the failed run, not stale
    shutil.copyfile(SAMPLE / "fr" / "flores" / "flores_postes_2023.csv",
                    observatory.raw / "fr" / "flores" / "flores_postes_2023.csv")
    assert observatory.run(observatory.nightly()).success
    assert (observatory.warehouse_dir / "observatory.duckdb").exists()
    assert isinstance(observatory.nightly(), str)


# ---------------------------------------------------------------- the failure alert


@dg.asset
def delivered() -> None:
    pass


@dg.asset_check(asset=delivered, blocking=True)
def delivered_adds_up() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, description="2 problem(s): FWVL 2023 T; FWVL 2024 T")


@dg.asset(deps=[delivered])
def published() -> None:
    pass


def _failed_tiny_run(instance: dg.DagsterInstance) -> dg.RunFailureSensorContext:
    defs = dg.Definitions(assets=[delivered, published], asset_checks=[delivered_adds_up],
                          jobs=[dg.define_asset_job("tiny", selection=dg.AssetSelection.all())])
    result = defs.resolve_job_def("tiny").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    return dg.build_run_status_sensor_context(sensor_name="alert_on_run_failure",
                                              dagster_event=result.get_run_failure_event(), dagster_instance=instance,
                                              dagster_run=result.dagster_run).for_run_failure()


def test_failed_blocking_check_is_reported():
    with dg.instance_for_test() as instance:
        report = failure_report(_failed_tiny_run(instance))
    assert report["failed_blocking_checks"] == [{"asset": "delivered", "check": "delivered_adds_up",
                                                 "description": "2 problem(s): FWVL 2023 T; FWVL 2024 T"}]
    assert "blocking check delivered/delivered_adds_up failed: 2 problem(s)" in report["text"]


@pytest.mark.parametrize("where", ["error", "closed"])
def test_an_unreachable_webhook_is_logged_never_raised(where, monkeypatch):
    with dg.instance_for_test() as instance, serve() as server:
        server.status("/hook", 500)
        url = server.url("/hook")
        if where == "closed":
            url = "http://127.0.0.1:9/hook"  # discard port: nothing listens
        monkeypatch.setenv(alerts.WEBHOOK_ENV, url)
        alert_on_run_failure(_failed_tiny_run(instance))  # does not raise
        assert len(server.requests_to("/hook")) == (1 if where == "error" else 0)
    problem = alerts.post_json(url, {"text": "x"}, timeout=2)
    assert problem and "/hook" not in problem  # the path (a token, often) is never repeated


# ---------------------------------------------------------------- the fetch job


def _fake_fetchers(log: list[str]) -> dict[str, Fetcher]:
    def sirene(settings: FetchSettings) -> FetchOutcome:
        settings.say("sirene: downloading StockEtablissement_utf8.zip")
        with vintages.new_vintage(settings.raw_dir, "fr", "sirene") as vintage:
            vintage.describe(producer="INSEE", licence="Licence Ouverte", urls=["https://example.org/"],
                             producer_version={"etag": '"new"'})
            vintage.file("StockEtablissement_utf8.csv").write_text("siret\n1\n", encoding="utf-8")
        log.append("sirene")
        return FetchOutcome("sirene", vintage.final, {"etag": '"new"'})

    def eurostat(settings: FetchSettings) -> FetchOutcome:
        log.append("eurostat")
        return FetchOutcome("eurostat", None, {"last_update": "2025-03-01"}, "eurostat: nothing new")

    def kbo(settings: FetchSettings) -> FetchOutcome:
        raise FetchError("kbo: KBO_USERNAME and KBO_PASSWORD are not set; register for free at the KBO open-data "
                         "portal and set them")

    def tercet(settings: FetchSettings) -> FetchOutcome:
        raise DownloadError("https://example.org/pc.zip", None, "HTTP 503 after 4 attempts")

    return {f.name: f for f in (Fetcher("sirene", Path("fr/sirene"), "SIRENE", sirene),
                                Fetcher("eurostat", Path("eu/eurostat"), "Eurostat", eurostat),
                                Fetcher("kbo", Path("be/kbo"), "KBO", kbo),
                                Fetcher("tercet", Path("eu/tercet"), "TERCET", tercet))}


def _fetch(tmp_path: Path, instance: dg.DagsterInstance, sources: list[str]) -> dg.ExecuteInProcessResult:
    warehouse = Warehouse(raw_dir=str(tmp_path / "raw"), warehouse_dir=str(tmp_path / "warehouse"))
    defs = dg.Definitions(jobs=[fetch_sources], resources={"warehouse": warehouse})
    return defs.resolve_job_def("fetch_sources").execute_in_process(
        run_config={"ops": {"fetch_public_sources": {"config": {"sources": sources}}}}, instance=instance,
        raise_on_error=False)


def test_fetch_job_reports_new_vintages(tmp_path, monkeypatch):
    fetched: list[str] = []
    monkeypatch.setattr(fetch, "fetchers", lambda: _fake_fetchers(fetched))
    with dg.instance_for_test() as instance:
        result = _fetch(tmp_path, instance, ["sirene", "eurostat"])
        assert result.success
        logs = [r.user_message for r in instance.all_logs(result.run_id)]
    assert fetched == ["sirene", "eurostat"]
    [vintage] = vintages.list_vintages(tmp_path / "raw", "fr", "sirene")
    output = next(e for e in result.all_events if e.event_type_value == "STEP_OUTPUT")
    metadata = output.step_output_data.metadata
    assert metadata["new_vintages"].value == {"sirene": str(vintage)}
    assert metadata["unchanged"].value == ["eurostat"]
    assert any("sirene: downloading StockEtablissement_utf8.zip" in m for m in logs)  # progress in the run's log
    assert any(f"sirene: new vintage {vintage}" in m for m in logs)


@pytest.mark.parametrize(("source", "expected"), [
    ("kbo", "kbo: KBO_USERNAME and KBO_PASSWORD are not set"),
    ("tercet", "https://example.org/pc.zip: HTTP 503 after 4 attempts"),
    ("flores", "unknown source(s) flores"),
])
def test_fetch_job_fails_with_the_fetchers_message(tmp_path, monkeypatch, source, expected):
    monkeypatch.setattr(fetch, "fetchers", lambda: _fake_fetchers([]))
    with dg.instance_for_test() as instance:
        result = _fetch(tmp_path, instance, [source])
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    description = failure.step_failure_data.user_failure_data.description
    assert expected in description and "earlier vintages are untouched" in description


def test_nightly_waits_while_a_build_is_under_way(observatory):
    run = observatory.instance.create_run_for_job(observatory.defs.resolve_job_def(BUILD_JOB))
    skipped = observatory.nightly()
    assert isinstance(skipped, str) and run.run_id in skipped


def _after_fetch(observatory: Observatory, sources: list[str]) -> dg.RunRequest | dg.SkipReason:
    """Run the fetch job, then evaluate the sensor that follows a successful fetch."""
    fetched = _fetch(observatory.raw.parent, observatory.instance, sources)
    assert fetched.success
    # The warehouse resource has a run-scoped lifetime (setup and teardown), so its context is entered, as the
    # daemon does.
    with dg.build_run_status_sensor_context(
        sensor_name="build_after_fetch", dagster_event=fetched.get_run_success_event(),
        dagster_instance=observatory.instance, dagster_run=fetched.dagster_run,
        resources={"warehouse": observatory.warehouse}) as context:
        return build_after_fetch(context)


def test_a_successful_fetch_rebuilds_at_once_what_it_made_stale(observatory, monkeypatch):
    assert observatory.run(observatory.nightly()).success

    def sirene(settings: FetchSettings) -> FetchOutcome:
        return FetchOutcome("sirene", _sirene_vintage(settings.raw_dir), {"etag": '"v2"'})

    monkeypatch.setattr(fetch, "fetchers", lambda: {"sirene": Fetcher("sirene", Path("fr/sirene"), "SIRENE", sirene)})
    request = _after_fetch(observatory, ["sirene"])
    assert isinstance(request, dg.RunRequest)
    assert RAW["fr/sirene"] in request.asset_selection and dg.AssetKey("fr_sirene") in request.asset_selection
    assert not (INGEST - {dg.AssetKey("fr_sirene")}) & set(request.asset_selection)
    assert observatory.run(request).success

    monkeypatch.setattr(fetch, "fetchers", lambda: _fake_fetchers([]))
    skipped = _after_fetch(observatory, ["eurostat"])  # nothing new: no rebuild
    assert isinstance(skipped, dg.SkipReason) and skipped.skip_message.startswith("Nothing stale")


# ---------------------------------------------------------------- TERCET against the embedded postcode table


def test_embedded_postcodes_are_checked_against_a_fetched_tercet(tmp_path):
    from observatory import nomenclatures
    from pipelines.checks import be_postcodes_match_tercet

    warehouse = Warehouse(raw_dir=str(tmp_path / "raw"), warehouse_dir=str(tmp_path / "warehouse"))
    nothing = be_postcodes_match_tercet(warehouse=warehouse)
    assert nothing.passed and nothing.description == "no TERCET file fetched: nothing to compare"

    embedded = nomenclatures.load("be_postcode_nuts3")[["postcode", "nuts3"]].itertuples(index=False)
    mapping = {code: ("BE352" if nuts3 == "BE351" else nuts3) for code, nuts3 in embedded}  # Dinant moved to Namur
    moved = sum(1 for nuts3 in nomenclatures.load("be_postcode_nuts3")["nuts3"] if nuts3 == "BE351")
    with vintages.new_vintage(tmp_path / "raw", "eu", "tercet") as vintage:
        vintage.describe(producer="Eurostat (GISCO)", licence="Eurostat reuse policy", urls=["https://example.org/"])
        lines = ["NUTS3;CODE", *(f"'{nuts3}';'{code}'" for code, nuts3 in mapping.items())]
        vintage.file("pc2020_BE_NUTS-2021_v1.0.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = be_postcodes_match_tercet(warehouse=warehouse)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.description.startswith(f"{moved} problem(s): postcode ")
    assert "BE351 in be_postcode_nuts3.csv, BE352 in TERCET" in result.description
