"""Reproducible publication (issue 11, item 6): the same inputs and code give the same published values.

FTE is staged and summed as an exact decimal: a DOUBLE sum depends on the order in which DuckDB's parallel
aggregation adds the rows, and two builds of the sample differed in thousands of mart.jobs.fte cells.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from observatory import harmonise, mart
from observatory.config import Thresholds
from observatory.errors import InputError
from observatory.sources import flores, onss

# Every cell is published (no disclosure control), so the sums can be read in mart.jobs.
PUBLISH_ALL = Thresholds(min_jobs=0, min_units=0, max_dominance_share=1.0)
# Three FTEs whose DOUBLE sum depends on the order: 0.1 + 0.2 + 0.3 = 0.6000000000000001 but 0.3 + 0.2 + 0.1 = 0.6.
FTES = ("0.1", "0.2", "0.3")


def test_the_fte_sum_order_matters_in_double_but_not_in_decimal():
    # The arithmetic the pipeline avoids, shown on the values used below (hand-computed).
    con = duckdb.connect()
    assert con.execute("SELECT 0.1::DOUBLE + 0.2::DOUBLE + 0.3::DOUBLE, 0.3::DOUBLE + 0.2::DOUBLE + 0.1::DOUBLE"
                       ).fetchone() == (0.6000000000000001, 0.6)
    assert con.execute("SELECT 0.1::DECIMAL(38, 9) + 0.2::DECIMAL(38, 9) + 0.3::DECIMAL(38, 9)").fetchone() == (
        Decimal("0.6"),)


# ---------------------------------------------------------------- exact sums in the mart


def _mart_from_harmonised(rows: list[tuple[str, str]]) -> duckdb.DuckDBPyConnection:
    """mart.jobs from harmonised rows of FRE11 ASSOC O-Q, one per (age band, FTE), inserted in the order given."""
    con = duckdb.connect()
    con.execute(harmonise.DDL)
    for age_band, fte in rows:
        con.execute("INSERT INTO harmonised.jobs VALUES (2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 'F', "
                    "?, 1, ?, 1, 1)", [age_band, Decimal(fte)])
    con.execute("INSERT INTO harmonised.units VALUES (2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 3, 1)")
    mart.build_jobs(con, PUBLISH_ALL)
    return con


@pytest.mark.parametrize("order", list(itertools.permutations(FTES)))
def test_fte_margins_are_exact_sums_whatever_the_row_order(order):
    con = _mart_from_harmonised(list(zip(("Y_LT25", "Y25-34", "Y35-44"), order, strict=True)))
    # Every margin over the three rows (all ages, both sexes, every sector, the area and its French side) is
    # 0.1 + 0.2 + 0.3 = 0.6 exactly, published as the DOUBLE nearest to 0.6.
    # 3 territories (FRE11, FWVL_FR, FWVL) x 3 families (ASSOC, ESS, ALL) x 2 sectors (O-Q, TOTAL) x 2 sexes (F, T).
    assert con.execute("SELECT count(*), list(DISTINCT fte) FROM mart.jobs WHERE age_band = 'TOTAL'").fetchone() == (
        36, [0.6])
    assert con.execute("SELECT fte FROM work.jobs_cells WHERE geo = 'FWVL' AND family = 'ESS' AND nace_a10 = 'TOTAL' "
                       "AND sex = 'T' AND age_band = 'TOTAL'").fetchone() == (Decimal("0.6"),)
    ess_fte = con.execute("SELECT value FROM mart.indicators WHERE indicator = 'ess_fte' AND geo = 'FRE11'").fetchone()
    assert ess_fte == (0.6,)


def test_many_small_ftes_sum_exactly_with_any_number_of_threads():
    # 300,000 rows of 0.01 FTE in one cell: exactly 3,000. DuckDB splits an aggregation of more than one row group
    # (122,880 rows) between threads, so a DOUBLE sum of the same rows could change with the number of threads.
    results = set()
    for threads in (1, 4):
        con = duckdb.connect(config={"threads": threads})
        con.execute(harmonise.DDL)
        con.execute("INSERT INTO harmonised.jobs SELECT 2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 'F', "
                    "'Y25-34', 1, 0.01, 1, 1 FROM range(300000)")
        con.execute("INSERT INTO harmonised.units VALUES (2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 3, 1)")
        mart.build_jobs(con, PUBLISH_ALL)
        results |= set(con.execute("SELECT DISTINCT jobs, fte FROM mart.jobs WHERE sex = 'T' AND age_band = 'TOTAL'"
                                   ).fetchall())
    assert results == {(300000.0, 3000.0)}


# ---------------------------------------------------------------- FTE read exactly from the deliveries


def _flores_raw(tmp_path: Path, lines: list[str]) -> Path:
    """A FLORES delivery of 2023 with the jobs ``lines`` (one unit per commune)."""
    folder = tmp_path / "raw" / flores.FOLDER
    folder.mkdir(parents=True)
    (folder / "flores_postes_2023.csv").write_text(
        "\n".join(["ANNEE;DEPCOM;CJ;APET;SEXE;TRAGE;POSTES;EQTP", *lines]) + "\n", encoding="utf-8")
    communes = sorted({line.split(";")[1] for line in lines})
    (folder / "flores_etablissements_2023.csv").write_text(
        "\n".join(["ANNEE;DEPCOM;CJ;APET;NBETAB;POSTES_MAX_ETAB", *(f"2023;{c};9220;8810A;1;1" for c in communes)])
        + "\n", encoding="utf-8")
    return tmp_path / "raw"


@pytest.mark.parametrize("order", list(itertools.permutations(FTES)))
def test_flores_fte_is_read_and_summed_exactly(tmp_path, order):
    # Three communes of the Nord (FRE11), one women's cell each, EQTP with a decimal comma, in every line order.
    lines = [f"2023;{commune};9220;8810A;2;25;1;{fte.replace('.', ',')}"
             for commune, fte in zip(("59009", "59017", "59350"), order, strict=True)]
    con = duckdb.connect()
    flores.load_year(con, _flores_raw(tmp_path, lines), 2023)
    staged = con.execute("SELECT fte FROM src.fr_flores_jobs ORDER BY line").fetchall()
    assert staged == [(Decimal(fte),) for fte in order]
    harmonise.harmonise_jobs_year(con, harmonise.FLORES, 2023)
    assert con.execute("SELECT geo, family, nace_a10, sex, age_band, jobs, fte FROM harmonised.jobs").fetchall() == [
        ("FRE11", "ASSOC", "O-Q", "F", "Y25-34", 3, Decimal("0.6"))]
    mart.build_jobs(con, PUBLISH_ALL)
    assert con.execute("SELECT DISTINCT fte FROM mart.jobs").fetchall() == [(0.6,)]


def test_onss_fte_is_read_exactly(tmp_path):
    folder = tmp_path / "raw" / onss.FOLDER
    folder.mkdir(parents=True)
    (folder / "onss_postes_2023Q4.csv").write_text(
        "TRIMESTRE,REFNIS,FORME_JURIDIQUE,AGREMENT,NACE_VERSION,NACE,SEXE,CLASSE_AGE,POSTES,ETP\n"
        "2023Q4,57081,017,,2008,88101,F,25-34,1,0.1\n"
        "2023Q4,57081,017,,2008,88101,F,35-44,1,0.2\n"
        "2023Q4,57081,017,,2008,88101,M,25-34,1,0.3\n", encoding="utf-8")
    (folder / "onss_unites_2023Q4.csv").write_text(
        "TRIMESTRE,REFNIS,FORME_JURIDIQUE,AGREMENT,NACE_VERSION,NACE,NB_UNITES,POSTES_MAX_UNITE\n"
        "2023Q4,57081,017,,2008,88101,1,1\n", encoding="utf-8")
    con = duckdb.connect()
    onss.load_year(con, tmp_path / "raw", 2023)
    assert con.execute("SELECT sum(fte), typeof(sum(fte)) FROM src.be_onss_jobs").fetchone() == (
        Decimal("0.6"), "DECIMAL(38,9)")


@pytest.mark.parametrize("value", ["0,1234567891", "1,0000000000"])
def test_an_fte_with_more_decimals_than_can_be_summed_exactly_is_refused(tmp_path, value):
    raw = _flores_raw(tmp_path, ["2023;59350;9220;8810A;2;25;1;0,5", f"2023;59009;9220;8810A;2;25;1;{value}"])
    with pytest.raises(InputError, match=f"line 3, column EQTP: more than 9 decimals.*{value}"):
        flores.load_year(duckdb.connect(), raw, 2023)


def test_an_fte_with_nine_decimals_is_kept_exactly(tmp_path):
    raw = _flores_raw(tmp_path, ["2023;59350;9220;8810A;2;25;1;0,123456789"])
    con = duckdb.connect()
    flores.load_year(con, raw, 2023)
    assert con.execute("SELECT fte FROM src.fr_flores_jobs").fetchone() == (Decimal("0.123456789"),)


def test_a_working_database_that_staged_fte_as_double_is_converted(tmp_path):
    # A working database from before this change has DOUBLE FTE columns: a new load converts them, else the new
    # values would be cast back to DOUBLE and summed inexactly.
    con = duckdb.connect()
    con.execute("CREATE SCHEMA src; CREATE TABLE src.fr_flores_jobs (year INTEGER, depcom VARCHAR, cj VARCHAR, "
                "apet VARCHAR, sexe VARCHAR, trage VARCHAR, jobs BIGINT, fte DOUBLE, file_name VARCHAR, line BIGINT, "
                "naf_version VARCHAR DEFAULT 'NAFRev2')")
    con.execute("INSERT INTO src.fr_flores_jobs VALUES (2022, '59350', '9220', '8810A', '2', '25', 1, 0.7, 'f', 2, "
                "'NAFRev2')")
    con.execute("CREATE SCHEMA harmonised; CREATE TABLE harmonised.jobs (year INTEGER, country VARCHAR, geo VARCHAR, "
                "family VARCHAR, excluded BOOLEAN, common BOOLEAN, national BOOLEAN, nace_a10 VARCHAR, sex VARCHAR, "
                "age_band VARCHAR, jobs BIGINT, fte DOUBLE, fte_rows BIGINT, rows BIGINT)")
    flores.load_year(con, _flores_raw(tmp_path, ["2023;59350;9220;8810A;2;25;1;0,1"]), 2023)
    harmonise.harmonise_jobs_year(con, harmonise.FLORES, 2023)
    types = con.execute("SELECT table_name, data_type FROM duckdb_columns() WHERE column_name = 'fte' ORDER BY 1"
                        ).fetchall()
    assert types == [("fr_flores_jobs", "DECIMAL(38,9)"), ("jobs", "DECIMAL(38,9)")]
    # The year staged before keeps its value, now exact.
    assert con.execute("SELECT year, fte FROM src.fr_flores_jobs ORDER BY year").fetchall() == [
        (2022, Decimal("0.7")), (2023, Decimal("0.1"))]
