"""The sources' descriptors: what each source declares, and that a new source is one module the pipeline finds
(its raw folder, asset, checks, fetcher and population setting generated from its descriptor)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from observatory import checks, fetch
from observatory.sources import CONTEXT, DELIVERY, REFERENCE, REGISTRY, Source, all_sources, reference_years, source

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT_ROOT / "data" / "raw"


def test_every_source_is_declared_once_with_its_role_and_side():
    declared = {s.source_id: (s.role, s.country, s.side, s.folder.as_posix()) for s in all_sources()}
    assert declared == {
        "fr_flores": (DELIVERY, "FR", "FWVL_FR", "fr/flores"),
        "be_onss": (DELIVERY, "BE", "FWVL_BE", "be/onss"),
        "fr_sirene": (REGISTRY, "FR", "FWVL_FR", "fr/sirene"),
        "be_kbo": (REGISTRY, "BE", "FWVL_BE", "be/kbo"),
        "eu_eurostat_population": (CONTEXT, "EU", None, "eu/eurostat"),
        "eu_eurostat_lfs": (CONTEXT, "EU", None, "eu/eurostat"),
        "fr_insee_population": (CONTEXT, "FR", "FWVL_FR", "fr/insee_population"),
        "be_statbel_population": (CONTEXT, "BE", "FWVL_BE", "be/statbel_population"),
        "eu_tercet": (REFERENCE, "BE", "FWVL_BE", "eu/tercet"),
    }
    assert source("be_onss").tables == ("src.be_onss_jobs", "src.be_onss_units")
    with pytest.raises(KeyError, match="no source 'nope'; known: eu_eurostat_population"):
        source("nope")


def test_a_descriptor_missing_what_its_role_needs_is_refused():
    with pytest.raises(ValueError, match="a delivery needs its years, frame schema, harmonisation and side"):
        Source("de_ba", "DE", Path("de/ba"), "BA", "BA jobs", DELIVERY, ("src.de_ba_jobs",), load=print)
    with pytest.raises(ValueError, match="a registry needs its harmonisation and side"):
        Source("de_hr", "DE", Path("de/hr"), "HR", "register", REGISTRY, load=print)
    with pytest.raises(ValueError, match="a context source needs a loader"):
        Source("de_pop", "DE", Path("de/pop"), "population", "population", CONTEXT)
    with pytest.raises(ValueError, match="role 'jobs'"):
        Source("de_hr", "DE", Path("de/hr"), "HR", "register", "jobs", load=print)


def test_the_reference_years_are_those_of_the_deliveries_in_the_folder_given(tmp_path):
    assert reference_years(SAMPLE) == [2022, 2023, 2024]
    assert reference_years(tmp_path) == []
    (tmp_path / "be" / "onss").mkdir(parents=True)
    (tmp_path / "be" / "onss" / "onss_postes_2031Q4.csv").write_text("x\n")  # a year of one delivery is a year
    assert reference_years(tmp_path) == [2031]


def test_fetchers_and_delivered_sources_come_from_the_descriptors():
    assert list(fetch.fetchers()) == ["eurostat", "insee_population", "kbo", "sirene", "statbel_population", "tercet"]
    assert fetch.fetchers()["eurostat"].folder == Path("eu/eurostat")  # one fetcher for its two datasets
    assert list(fetch.delivered()) == ["flores", "onss"]


def test_the_checks_count_each_delivery_for_its_own_side():
    # Generated from the descriptors: a third delivery would join with its own side, never default to one.
    assert checks._delivery_sides() == "('fr_flores', 'FWVL_FR'), ('be_onss', 'FWVL_BE')"
    staged = checks._staged_delivery_rows()
    assert [t for t in ("src.fr_flores_jobs", "src.fr_flores_units", "src.be_onss_jobs", "src.be_onss_units")
            if f"FROM {t} " in staged] == ["src.fr_flores_jobs", "src.fr_flores_units", "src.be_onss_jobs",
                                           "src.be_onss_units"]


# A population-like source for a third country, as its author would write it: this one file and its mapping rows.
NEW_SOURCE = '''
"""Destatis population by Kreis, sex and age (a third country's population, for the test)."""

from pathlib import Path

from observatory import context
from observatory.fetch import Fetcher, FetchOutcome, FetchSettings
from observatory.population import PopulationSource
from observatory.sources import CONTEXT, Source, population_staging_ddl

SOURCE_ID = "de_destatis_population"
FOLDER = Path("de") / "destatis_population"
TABLE = "src.de_destatis_population"


def candidates(raw_dir: Path) -> list[Path]:
    return sorted((raw_dir / FOLDER).glob("12411-*.csv"))


def load(con, raw_dir: Path) -> dict:
    con.execute(population_staging_ddl(TABLE))
    return {"rows": 0}


def fetch(settings: FetchSettings) -> FetchOutcome:
    return FetchOutcome("destatis_population", None)


POPULATION = PopulationSource(
    setting="national", source_id=SOURCE_ID, table=TABLE, system="destatis",
    geo_join="LEFT JOIN nom.de_kreise k ON k.kreis = p.area_code", geo="nullif(k.nuts3, '')", country="'DE'",
    known="k.kreis IS NOT NULL", in_area="k.in_area = 'true'", unknown_area="'Kreis ' || p.area_code",
    has_total_class=True, has_sex_total=True)
SOURCES = (Source(
    SOURCE_ID, "DE", FOLDER, "Destatis population", "Destatis table 12411-0017, staged in src.de_destatis_population.",
    CONTEXT, (TABLE,), load, modules=(context,),
    fetcher=Fetcher("destatis_population", FOLDER, "Destatis population by Kreis", fetch), population=POPULATION,
    context=context.ContextInput(SOURCE_ID, FOLDER, "12411-*.csv", "no German population", TABLE,
                                 population_staging_ddl(TABLE), candidates)),)
'''

PROBE = '''
import json
from observatory import fetch, population
from pipelines.definitions import defs
graph = defs.resolve_asset_graph()
print(json.dumps({
    "assets": sorted(k.to_user_string() for k in graph.get_all_asset_keys()),
    "checks": sorted(k.name for k in graph.asset_check_keys),
    "fetchers": list(fetch.fetchers()),
    "national": [s.source_id for s in population.sources_by_setting()["national"]],
    "population_reads": sorted(k.to_user_string() for k in graph.get(
        __import__("dagster").AssetKey("harmonised_population")).parent_keys),
}))
'''


def test_a_new_population_like_source_is_one_module(tmp_path):
    # The module dropped beside the others, in a copy of the project, is found without being listed anywhere: the
    # code location, loaded afresh in its own process, has its raw folder, asset, check and fetcher.
    for package in ("observatory", "pipelines"):
        shutil.copytree(PROJECT_ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "observatory" / "sources" / "de_destatis_population.py").write_text(textwrap.dedent(NEW_SOURCE),
                                                                                    encoding="utf-8")
    # Its mapping file (the sex and age-class rows would join sex_codes.csv and population_age_classes.csv).
    (tmp_path / "observatory" / "nomenclatures" / "de_kreise.csv").write_text(
        "kreis,nuts3,in_area,source\n05334,DEA2D,false,Destatis Gemeindeverzeichnis (test)\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"raw/de/destatis_population", "de_destatis_population"} <= set(found["assets"])
    assert "de_destatis_population_file_present" in found["checks"]
    assert "destatis_population" in found["fetchers"]
    assert found["national"] == ["de_destatis_population", "fr_insee_population", "be_statbel_population"]
    assert "de_destatis_population" in found["population_reads"]


def test_every_table_asset_shows_its_columns(tmp_path):
    import dagster as dg

    from observatory import schema
    from pipelines.assets import PUBLISHED_TABLE, SOURCE_ASSETS
    from pipelines.definitions import defs
    from pipelines.resources import Warehouse
    from pipelines.years import all_years_tags

    graph = defs.resolve_asset_graph()
    for asset, table in PUBLISHED_TABLE.items():  # from the data dictionary, before any build
        shown = graph.get(dg.AssetKey(asset)).metadata["dagster/column_schema"]
        assert [(c.name, c.type) for c in shown.columns] == [(c.name, c.type) for c in table.columns]
    assert PUBLISHED_TABLE["mart_jobs"] is schema.JOBS

    # A source asset: the columns it staged, as DuckDB has them.
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([SOURCE_ASSETS["be_onss"]], instance=instance, tags=all_years_tags(instance, SAMPLE),
                            resources={"warehouse": Warehouse(raw_dir=str(SAMPLE), warehouse_dir=str(tmp_path))})
    materialization = result.asset_materializations_for_node("be_onss")[0]  # one per year, the same columns
    columns = materialization.metadata["dagster/column_schema"].value.columns
    assert [(c.name, c.type) for c in columns][:3] == [("year", "INTEGER"), ("refnis", "VARCHAR"),
                                                       ("juridical_form", "VARCHAR")]
    assert ("fte", "DECIMAL(38,9)") in [(c.name, c.type) for c in columns]
    assert set(materialization.metadata["tables"].value) == {"src.be_onss_jobs", "src.be_onss_units"}


def test_a_raw_folder_without_any_delivery_is_refused_before_a_run(tmp_path):
    from observatory.cli import raw_dir_problem

    assert raw_dir_problem(SAMPLE) is None
    assert raw_dir_problem(tmp_path).endswith("none of eu/eurostat, fr/flores, fr/insee_population, be/kbo, be/onss, "
                                              "fr/sirene, be/statbel_population is in it")
    shutil.copytree(SAMPLE / "fr" / "sirene", tmp_path / "fr" / "sirene")
    assert raw_dir_problem(tmp_path) == (f"no employment delivery in {tmp_path} (fr/flores or be/onss): there is no "
                                         "reference year to build")
