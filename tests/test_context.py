"""Context inputs (population, LFS) are optional: which ones a setting expects, what is said when one is missing,
and that a file removed since the last build leaves nothing behind in the working database."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from observatory import context, publication
from observatory.sources import eurostat

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"
EUROSTAT_POPULATION = context.input_of("eu_eurostat_population")
EUROSTAT_LFS = context.input_of("eu_eurostat_lfs")
INSEE_POPULATION = context.input_of("fr_insee_population")
STATBEL_POPULATION = context.input_of("be_statbel_population")


def test_the_setting_says_which_inputs_are_expected():
    assert context.expected("eurostat") == (EUROSTAT_POPULATION, EUROSTAT_LFS)
    assert context.expected("national") == (EUROSTAT_LFS, INSEE_POPULATION, STATBEL_POPULATION)
    with pytest.raises(ValueError, match="expected one of eurostat, national"):
        context.expected("insee")


def test_missing_text_names_the_file_pattern_and_the_folder(tmp_path):
    item = EUROSTAT_POPULATION
    assert not item.present(tmp_path)
    text = item.missing_text(tmp_path)
    assert text.startswith(f"eu_eurostat_population: no demo_r_pjangrp3*.csv, .csv.gz, .tsv or .tsv.gz file in "
                           f"{tmp_path / 'eu' / 'eurostat'};")
    assert "ess_jobs_per_1000_pop_15_64" in text
    assert STATBEL_POPULATION.label() == ("be_statbel_population: TF_SOC_POP_STRUCT_<yyyy>.zip or .txt in "
                                                  "be/statbel_population/")
    # Present means what the loader would read, broken or not: a broken file is the loader's error to report.
    (tmp_path / "eu" / "eurostat").mkdir(parents=True)
    (tmp_path / "eu" / "eurostat" / "demo_r_pjangrp3.csv").write_text("not a dataset\n", encoding="utf-8")
    assert item.present(tmp_path)
    assert not EUROSTAT_LFS.present(tmp_path)


def test_a_removed_file_leaves_nothing_staged(tmp_path):
    raw = tmp_path / "raw"
    (raw / "eu" / "eurostat").mkdir(parents=True)
    shutil.copy(SAMPLE / "eu" / "eurostat" / "demo_r_pjangrp3.csv.gz", raw / "eu" / "eurostat")
    con = duckdb.connect()
    assert context.missing(con, "eurostat") == [EUROSTAT_POPULATION, EUROSTAT_LFS]  # fresh database
    eurostat.load_population(con, raw)
    assert context.missing(con, "eurostat") == [EUROSTAT_LFS]
    assert context.missing(con, "national") == [EUROSTAT_LFS, INSEE_POPULATION, STATBEL_POPULATION]

    context.clear(con, EUROSTAT_POPULATION)  # what the asset does once the file is gone
    assert con.execute("SELECT count(*) FROM src.eu_eurostat_population").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM meta.sources WHERE source_id = ?",
                       ["eu_eurostat_population"]).fetchone()[0] == 0
    assert context.missing(con, "eurostat") == [EUROSTAT_POPULATION, EUROSTAT_LFS]
    context.clear(con, EUROSTAT_LFS)  # on a database that never had the LFS table: created empty
    assert con.execute("SELECT count(*) FROM src.eu_eurostat_lfs_employment").fetchone()[0] == 0
    con.close()


def test_release_records_the_missing_context_inputs(small_staging, tmp_path):
    labels = [EUROSTAT_POPULATION.label(), EUROSTAT_LFS.label()]
    publication.publish(small_staging, tmp_path / "without", missing_context=labels)
    publication.publish(small_staging, tmp_path / "with")
    recorded = {}
    for name in ("without", "with"):
        reader = duckdb.connect(str(tmp_path / name / "observatory.duckdb"), read_only=True)
        recorded[name] = reader.execute("SELECT missing_context_inputs FROM meta.release").fetchone()[0]
        reader.close()
    assert recorded["without"] == ("eu_eurostat_population: demo_r_pjangrp3*.csv, .csv.gz, .tsv or .tsv.gz in "
                                   "eu/eurostat/; eu_eurostat_lfs: lfst_r_lfe2en2*.csv, .csv.gz, .tsv or .tsv.gz in "
                                   "eu/eurostat/")
    assert recorded["with"] == ""
