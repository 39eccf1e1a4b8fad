"""Reproducible publication (issue 11, item 6): the same inputs and code give the same published file.

FTE is staged and summed as an exact decimal (a DOUBLE sum depends on the order in which DuckDB's parallel
aggregation adds the rows: two builds of the sample differed in thousands of mart.jobs.fte cells), and every
published table is written in a total order. Only the release metadata of a build may differ.
"""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import JOBS_INSERT, UNITS_INSERT, build_sample

from observatory import harmonise, mart, nomenclatures, population, publication, schema
from observatory.config import Thresholds
from observatory.errors import InputError
from observatory.sources import POPULATION_STAGING_COLUMNS, flores, onss

# Every cell is published (no disclosure control), so the sums can be read in mart.jobs.
PUBLISH_ALL = Thresholds(min_jobs=0, min_units=0, max_dominance_share=1.0)
# Three FTEs whose DOUBLE sum depends on the order: 0.1 + 0.2 + 0.3 = 0.6000000000000001 but 0.3 + 0.2 + 0.1 = 0.6.
FTES = ("0.1", "0.2", "0.3")

# The columns that must differ between two builds of the same inputs, and why. Nothing else may.
DIFFER_BETWEEN_BUILDS = {
    "meta.release": {"built_at": "the wall-clock time of the build",
                     "dagster_run_id": "each build is its own Dagster run"},
    "meta.sources": {"loaded_at": "the wall-clock time the file was loaded"},
}


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
        con.execute(JOBS_INSERT + "(2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 'F', ?, 1, ?, 1, 1)",
                    [age_band, Decimal(fte)])
    con.execute(UNITS_INSERT + "(2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 3, 1)")
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
        con.execute(JOBS_INSERT.replace(" VALUES ", " ") + "SELECT 2023, 'FR', 'FRE11', 'ASSOC', false, true, true, "
                    "'O-Q', 'F', 'Y25-34', 1, 0.01, 1, 1 FROM range(300000)")
        con.execute(UNITS_INSERT + "(2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 3, 1)")
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


# ---------------------------------------------------------------- exact population sums

FRENCH_NUTS3 = ("FRE11", "FRE12", "FRE21", "FRE22", "FRE23", "FRF21", "FRF23")


def test_population_bands_and_area_aggregates_are_exact_sums():
    # Every French NUTS3 on 1 January 2024, both sexes: Y55-59 = 0.1 and Y60-64 = 0.2 residents, 0 in the other
    # classes. The bands are exact: Y55-64 = Y15-64 = 0.3 (in DOUBLE 0.1 + 0.2 = 0.30000000000000004), and the
    # French side FWVL_FR sums seven of them: 2.1.
    con = duckdb.connect()
    classes = ["Y_LT5"] + [f"Y{a}-{a + 4}" for a in range(5, 85, 5)] + ["Y_GE85"]
    con.execute(f"CREATE SCHEMA src; CREATE TABLE src.eu_eurostat_population ({POPULATION_STAGING_COLUMNS})")
    for geo in FRENCH_NUTS3:
        values = {"Y55-59": Decimal("0.1"), "Y60-64": Decimal("0.2"), "TOTAL": Decimal("0.3")}
        for line, age_class in enumerate([*classes, "TOTAL"]):
            con.execute("INSERT INTO src.eu_eurostat_population VALUES (2024, ?, 'T', ?, ?, NULL, NULL, 'f.csv', ?, 1)",
                        [geo, age_class, values.get(age_class, 0), line + 2])
    population.harmonise_population(con, "eurostat")
    mart.build_population(con)
    bands = con.execute("SELECT geo, age_band, population FROM mart.population WHERE age_band IN ('Y55-64', 'Y15-64', "
                        "'TOTAL') AND geo IN ('FRE11', 'FWVL_FR') ORDER BY geo, age_band").fetchall()
    assert bands == [("FRE11", "TOTAL", 0.3), ("FRE11", "Y15-64", 0.3), ("FRE11", "Y55-64", 0.3),
                     ("FWVL_FR", "TOTAL", 2.1), ("FWVL_FR", "Y15-64", 2.1), ("FWVL_FR", "Y55-64", 2.1)]


# ---------------------------------------------------------------- row order


def test_published_tables_are_written_in_key_order_whatever_the_working_order(small_staging, tmp_path):
    # Fill meta.rejects and mart.dim_sex in the reverse of their publication order: the published file is sorted.
    small_staging.execute("INSERT INTO meta.rejects VALUES ('fr_flores', 2023, 'b.csv', 9, 'r', 'x', 1), "
                          "('fr_flores', 2023, 'b.csv', 3, 'r', 'y', 2), ('be_onss', 2023, 'a.csv', 5, 'r', 'z', NULL)")
    small_staging.execute("CREATE TEMP TABLE _sex AS FROM mart.dim_sex; DELETE FROM mart.dim_sex; "
                          "INSERT INTO mart.dim_sex FROM _sex ORDER BY sort_order DESC")
    assert [r[0] for r in small_staging.execute("SELECT sex FROM mart.dim_sex").fetchall()] == ["T", "M", "F"]
    publication.publish(small_staging, tmp_path)
    con = duckdb.connect(str(tmp_path / "observatory.duckdb"), read_only=True)
    assert con.execute("SELECT file_name, line FROM meta.rejects").fetchall() == [
        ("a.csv", 5), ("b.csv", 3), ("b.csv", 9)]
    assert [r[0] for r in con.execute("SELECT sex FROM mart.dim_sex").fetchall()] == ["F", "M", "T"]


def test_every_published_table_has_a_total_publication_order():
    # Keyed tables by their key (the code lists by sort_order first); the others by every column.
    assert schema.publication_order(schema.JOBS) == "year, country, geo, family, nace_a10, sex, age_band"
    assert schema.publication_order(schema.DIMENSIONS[4]) == "sort_order, sex"
    assert schema.publication_order(schema.REJECTS) == "source_id, year, file_name, line, reason, raw_text, jobs"
    for table in schema.PUBLISHED_TABLES:
        order = schema.publication_order(table).split(", ")
        assert set(table.key or [c.name for c in table.columns]) <= set(order), table.name


@pytest.mark.parametrize("tie_first", [True, False])
def test_a_priority_tie_between_juridical_form_rules_is_broken_on_the_family(tie_first):
    # Form 017 (ASBL/VZW) is ASSOC by a rule of priority 10; an added rule makes it FOUND at the same priority. The
    # family that sorts first (ASSOC) wins wherever the added rule stands, never the rule that happens to come first.
    con = duckdb.connect()
    nomenclatures.register(con)
    con.execute("CREATE TEMP TABLE _rules AS FROM nom.be_legal_forms; DROP TABLE nom.be_legal_forms")
    con.execute("CREATE TEMP TABLE _tie AS SELECT * REPLACE ('FOUND' AS family) FROM _rules "
                "WHERE juridical_form = '017' AND accreditation = ''")
    first, then = ("_tie", "_rules") if tie_first else ("_rules", "_tie")
    con.execute(f"CREATE TABLE nom.be_legal_forms AS FROM {first}; INSERT INTO nom.be_legal_forms FROM {then}")
    con.execute(onss.STAGING_DDL)
    con.execute("INSERT INTO src.be_onss_jobs VALUES (2023, '57081', '017', '', '2008', '88101', 'F', '45-54', 10, "
                "9.5, 'o.csv', 2)")
    con.execute("CREATE TABLE src.be_kbo_codes AS SELECT 'JuridicalForm' AS category, '017' AS code")
    sql = harmonise._classify_sql(harmonise.ONSS, "src.be_onss_jobs", True)
    assert con.execute(f"SELECT outcome, family FROM ({sql})", {"year": 2023}).fetchall() == [("used", "ASSOC")]


# ---------------------------------------------------------------- two builds, one result


def _published(path: Path) -> dict[str, tuple[list[str], list[str], list[tuple]]]:
    """Every published table: its columns, their types and its rows in stored order (release columns left out)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for table in schema.PUBLISHED_TABLES:
            columns = [c.name for c in table.columns if c.name not in DIFFER_BETWEEN_BUILDS.get(table.name, {})]
            types = [r[0] for r in con.execute(
                "SELECT data_type FROM duckdb_columns() WHERE schema_name || '.' || table_name = ? "
                "ORDER BY column_index", [table.name]).fetchall()]
            out[table.name] = (columns, types, con.execute(f"SELECT {', '.join(columns)} FROM {table.name}").fetchall())
        return out
    finally:
        con.close()


def test_two_builds_of_the_sample_publish_the_same_tables(sample_build, tmp_path):
    # One build on one thread, one on four (the session's shared build): DuckDB then splits the aggregations
    # differently, as two machines (or two runs on a busy machine) would. Before FTE was summed exactly and the
    # tables written sorted, 7,171 mart.jobs.fte cells differed here, and meta.rejects and meta.row_accounting came
    # in another row order.
    assert sample_build.threads == 4
    assert build_sample(tmp_path / "one", threads=1).success
    first = _published(tmp_path / "one" / "observatory.duckdb")
    second = _published(sample_build.warehouse / "observatory.duckdb")
    assert list(first) == [t.name for t in schema.PUBLISHED_TABLES]
    for name, (columns, types, rows) in first.items():
        other_columns, other_types, other_rows = second[name]
        assert (columns, types) == (other_columns, other_types), name
        assert len(rows) == len(other_rows), name
        for number, (row, other) in enumerate(zip(rows, other_rows, strict=True)):
            assert row == other, f"{name}, row {number + 1}: {dict(zip(columns, row, strict=True))} != {other}"
    # The sample fills every table, so no comparison is vacuous.
    assert all(first[t.name][2] for t in schema.PUBLISHED_TABLES)
    assert {r[0] for r in first["mart.jobs"][2]} == {2022, 2023, 2024}
