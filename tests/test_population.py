"""Population harmonisation, mart.population, the population indicators and the cross-border comparison, on
hand-made staged rows with hand-computed expectations."""

from __future__ import annotations

import duckdb
import pytest
from conftest import JOBS_INSERT, UNITS_INSERT

from observatory import checks, harmonise, mart, population, provenance, rejects, schema, validation

EUROSTAT_CLASSES = ["Y_LT5"] + [f"Y{a}-{a + 4}" for a in range(5, 85, 5)] + ["Y_GE85"]
STAGING_COLUMNS = ("year INTEGER, area_code VARCHAR, sex_code VARCHAR, age_class VARCHAR, population DOUBLE, "
                   "obs_flag VARCHAR, conf_status VARCHAR, file_name VARCHAR, line BIGINT, rows BIGINT")


def _stage(con, table: str, rows: list[tuple]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS src")
    con.execute(f"CREATE OR REPLACE TABLE {table} ({STAGING_COLUMNS})")
    for i, row in enumerate(rows):
        year, area, sex, age, value, flag, conf = row
        con.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, 'f.csv', ?, 1)",
                    [year, area, sex, age, value, flag, conf, i + 2])


def _eurostat_rows() -> list[tuple]:
    rows = []
    # FRE11 on 1 January 2024: every band class F 100, M 90; details of Y_GE85; 5 (F) and 3 (M) of unknown age.
    for sex, each, unknown in (("F", 100, 5), ("M", 90, 3)):
        rows += [(2024, "FRE11", sex, c, each, None, None) for c in EUROSTAT_CLASSES]
        rows += [(2024, "FRE11", sex, "Y85-89", each * 0.6, None, None), (2024, "FRE11", sex, "Y_GE90", each * 0.4, None, None)]
        rows += [(2024, "FRE11", sex, "UNK", unknown, None, None), (2024, "FRE11", sex, "TOTAL", 18 * each + unknown, None, None)]
    rows += [(2024, "FRE11", "T", c, 190, None, None) for c in EUROSTAT_CLASSES]
    rows += [(2024, "FRE11", "T", "UNK", 8, None, None), (2024, "FRE11", "T", "TOTAL", 18 * 190 + 8, None, None)]
    # BE254 (Kortrijk): F 50 each, 30-34 provisional; M 60 each, 40-44 confidential; T 110 each.
    for c in EUROSTAT_CLASSES:
        rows.append((2024, "BE254", "F", c, 50, "p" if c == "Y30-34" else None, None))
        rows.append((2024, "BE254", "M", c, None if c == "Y40-44" else 60, None, "C" if c == "Y40-44" else None))
        rows.append((2024, "BE254", "T", c, 110, None, None))
    rows += [(2024, "BE254", "F", "TOTAL", 900, "p", None), (2024, "BE254", "M", "TOTAL", None, None, "C"),
             (2024, "BE254", "T", "TOTAL", 1980, None, None)]
    # Outside the area (counted), and codes the mapping files do not know (rejected).
    rows += [(2024, "FR", "T", "TOTAL", 68_000_000, None, None), (2024, "DE111", "F", "Y_LT5", 10, None, None),
             (2024, "FRE11", "X", "TOTAL", 1, None, None), (2024, "FRE11", "F", "Y_GE100", 1, None, None)]
    return rows


def _jobs(con) -> None:
    con.execute(harmonise.DDL)
    con.execute(provenance.META_SOURCES_DDL)
    rejects.ensure_tables(con)
    jobs = [  # year, country, geo, family, common, sex, age_band, jobs
        ("FR", "FRE11", "ASSOC", True, "F", "Y25-34", 30), ("FR", "FRE11", "ASSOC", True, "M", "Y55-64", 10),
        ("FR", "FRE11", "NONE", False, "F", "Y25-34", 20), ("FR", "FRE11", "NONE", False, "F", "Y45-54", 50),
        ("FR", "FRE11", "NONE", False, "M", "Y45-54", 90),
        ("BE", "BE254", "ASSOC", True, "F", "Y35-44", 40), ("BE", "BE254", "NONE", False, "M", "Y35-44", 60),
    ]
    for country, geo, family, common, sex, band, n in jobs:
        con.execute(JOBS_INSERT + "(2023, ?, ?, ?, false, ?, ?, 'O-Q', ?, ?, ?, NULL, 0, 1)",
                    [country, geo, family, common, common, sex, band, n])
    for country, geo, family, common, units, largest in [("FR", "FRE11", "ASSOC", True, 5, 8),
                                                         ("FR", "FRE11", "NONE", False, 10, 20),
                                                         ("BE", "BE254", "ASSOC", True, 3, 10),
                                                         ("BE", "BE254", "NONE", False, 5, 20)]:
        con.execute(UNITS_INSERT + "(2023, ?, ?, ?, false, ?, ?, 'O-Q', ?, ?)",
                    [country, geo, family, common, common, units, largest])


@pytest.fixture(scope="module")
def built():
    con = duckdb.connect()
    _jobs(con)
    _stage(con, "src.eu_eurostat_population", _eurostat_rows())
    population.harmonise_population(con, "eurostat")
    mart.build_population(con)
    mart.build_jobs(con)
    mart.build_cross_border(con)
    yield con
    con.close()


@pytest.fixture
def con(built):
    """The database built once for the module; each test runs in a transaction rolled back after it, so what one
    test stages or rebuilds is gone before the next."""
    built.execute("BEGIN TRANSACTION")
    yield built
    built.execute("ROLLBACK")


def _pop(con, geo, sex, band, year=2024):
    return con.execute("SELECT population, obs_flag, conf_status FROM mart.population "
                       "WHERE year = ? AND geo = ? AND sex = ? AND age_band = ?", [year, geo, sex, band]).fetchone()


def _indicator(con, geo, indicator, sex="T", band="TOTAL"):
    return con.execute("SELECT value, conf_status, obs_flag FROM mart.indicators WHERE year = 2023 AND geo = ? "
                       "AND indicator = ? AND sex = ? AND age_band = ?", [geo, indicator, sex, band]).fetchone()


def test_bands_are_sums_of_classes_without_double_counting_details(con):
    assert _pop(con, "FRE11", "F", "Y15-64") == (1000, None, None)
    assert _pop(con, "FRE11", "F", "Y15-24") == (200, None, None)
    assert _pop(con, "FRE11", "F", "Y_LT25") == (500, None, None)
    assert _pop(con, "FRE11", "F", "Y_GE65") == (500, None, None)  # Y_GE85 once, not Y85-89 + Y_GE90 again
    assert _pop(con, "FRE11", "F", "UNK") == (5, None, None)
    assert _pop(con, "FRE11", "F", "TOTAL") == (1805, None, None)
    assert _pop(con, "FRE11", "T", "Y55-64") == (380, None, None)


def test_flags_and_confidential_parts_propagate(con):
    assert _pop(con, "BE254", "F", "Y25-34") == (100, "p", None)
    assert _pop(con, "BE254", "F", "Y15-64") == (500, "p", None)
    assert _pop(con, "BE254", "M", "Y35-44") == (None, None, "C")
    assert _pop(con, "BE254", "M", "Y25-34") == (120, None, None)
    # Area aggregates: only one of the seven French regions has a row, so the side is missing, flagged m.
    assert _pop(con, "FWVL_FR", "F", "Y15-64") == (None, "m", None)


def test_every_staged_row_is_accounted_and_unknown_codes_are_rejected(con):
    accounted = dict(con.execute("SELECT outcome, sum(rows) FROM meta.row_accounting "
                                 "WHERE source_id = 'eu_eurostat_population' GROUP BY ALL").fetchall())
    staged = con.execute("SELECT count(*) FROM src.eu_eurostat_population").fetchone()[0]
    assert sum(accounted.values()) == staged
    assert accounted["outside_area"] == 2 and accounted["rejected"] == 2
    reasons = sorted(r[0] for r in con.execute(
        "SELECT reason FROM meta.rejects WHERE source_id = 'eu_eurostat_population'").fetchall())
    assert reasons == ["age class Y_GE100 not in population_age_classes.csv for eurostat",
                       "sex code X not in sex_codes.csv for eurostat"]
    assert checks.population_adds_up(con) == []


def test_jobs_per_1000_working_age_residents(con):
    assert _indicator(con, "FRE11", "ess_jobs_per_1000_pop_15_64", "F") == (30.0, None, None)
    assert _indicator(con, "FRE11", "ess_jobs_per_1000_pop_15_64", "M")[0] == pytest.approx(1000 * 10 / 900)
    assert _indicator(con, "FRE11", "ess_jobs_per_1000_pop_15_64", "T")[0] == pytest.approx(1000 * 40 / 1900)
    assert _indicator(con, "FRE11", "all_jobs_per_1000_pop_15_64", "F") == (100.0, None, None)
    assert _indicator(con, "BE254", "ess_jobs_per_1000_pop_15_64", "F") == (80.0, None, "p")
    # Built on a confidential Eurostat figure: not computed, a secondary suppression (D).
    assert _indicator(con, "BE254", "ess_jobs_per_1000_pop_15_64", "M") == (None, "D", None)
    # The population of the French side is incomplete: missing, flagged m.
    assert _indicator(con, "FWVL_FR", "ess_jobs_per_1000_pop_15_64", "T") == (None, None, "m")


def test_age_structure_gaps(con):
    gap = "ess_age_structure_gap_vs_all_jobs"
    assert _indicator(con, "FRE11", gap, "T", "Y25-34")[0] == pytest.approx(100 * (30 / 40 - 50 / 200))
    assert _indicator(con, "FRE11", gap, "T", "Y45-54")[0] == pytest.approx(-70.0)
    assert _indicator(con, "FRE11", gap, "F", "Y25-34")[0] == pytest.approx(50.0)
    gap = "ess_age_structure_gap_vs_population"
    assert _indicator(con, "FRE11", gap, "F", "Y25-34")[0] == pytest.approx(80.0)
    assert _indicator(con, "FRE11", gap, "F", "Y_LT25")[0] == pytest.approx(-20.0)
    assert _indicator(con, "FRE11", gap, "T", "Y55-64")[0] == pytest.approx(100 * (10 / 40 - 380 / 1900))
    assert _indicator(con, "FRE11", gap, "T", "Y_GE65") is None  # no working-age counterpart
    assert _indicator(con, "BE254", gap, "F", "Y25-34")[2] == "p"


def test_cross_border_comparison_pairs_neighbours(con):
    row = con.execute(
        "SELECT fr_value, be_value, difference, unit, obs_flag FROM mart.cross_border_comparison "
        "WHERE comparison = 'NEIGHBOURS' AND fr_geo = 'FRE11' AND be_geo = 'BE254' AND year = 2023 "
        "AND indicator = 'ess_jobs_per_1000_pop_15_64' AND sex = 'F'").fetchone()
    assert row == (30.0, 80.0, -50.0, "jobs_per_1000_pop", "p")
    share = con.execute(
        "SELECT fr_value, be_value, difference FROM mart.cross_border_comparison WHERE comparison = 'SIDES' "
        "AND indicator = 'ess_share_of_jobs' AND year = 2023").fetchone()
    assert share == pytest.approx((100 * 40 / 200, 100 * 40 / 100, 20.0 - 40.0))
    # Tournai-Mouscron has no jobs here: the pair is kept with the French value only, and no difference.
    row = con.execute("SELECT fr_value, be_value, difference FROM mart.cross_border_comparison WHERE fr_geo = 'FRE11' "
                      "AND be_geo = 'BE328' AND indicator = 'ess_share_of_jobs' AND year = 2023").fetchone()
    assert row == (20.0, None, None)
    assert con.execute("SELECT count(*) FROM mart.cross_border_comparison WHERE fr_geo = 'FRF21' "
                       "AND be_geo = 'BE254'").fetchone()[0] == 0  # not a border pair


def test_national_setting_uses_insee_and_statbel(con):
    insee = [(2024, "59", sex, band, value, None, None)
             for sex, scale in (("Hommes", 1), ("Femmes", 2), ("Ensemble", 3))
             for band, value in [(f"{a} à {a + 4} ans", 10 * scale) for a in range(0, 95, 5)]
             + [("95 ans et plus", 10 * scale), ("Total", 200 * scale)]]
    insee.append((2024, "97", "Ensemble", "Total", 1, None, None))  # no such département: rejected
    _stage(con, "src.fr_insee_population", insee)
    statbel = [(2024, "34022", "F", str(age), 2, None, None) for age in range(0, 100)]
    statbel += [(2024, "34022", "M", str(age), 1, None, None) for age in range(0, 100)]
    statbel += [(2024, "21004", "F", "30", 7, None, None)]  # Brussels: outside the area
    _stage(con, "src.be_statbel_population", statbel)
    population.harmonise_population(con, "national")
    mart.build_population(con)
    assert _pop(con, "FRE11", "M", "Y15-64") == (100, None, None)
    assert _pop(con, "FRE11", "T", "TOTAL") == (600, None, None)
    assert _pop(con, "BE254", "T", "Y15-64") == (150, None, None)  # F + M, single years 15..64
    assert _pop(con, "BE254", "F", "TOTAL") == (200, None, None)  # sum of single years
    assert con.execute("SELECT DISTINCT source FROM mart.population WHERE geo = 'FWVL'").fetchall() == [
        ("be_statbel_population+fr_insee_population",)]
    outcomes = dict(con.execute("SELECT source_id || ':' || outcome, sum(rows) FROM meta.row_accounting "
                                "WHERE source_id LIKE '%population' GROUP BY ALL").fetchall())
    assert outcomes == {"fr_insee_population:used": 63, "fr_insee_population:rejected": 1,
                        "be_statbel_population:used": 200, "be_statbel_population:outside_area": 1}
    assert checks.population_adds_up(con) == []


def test_unknown_setting_is_refused():
    with pytest.raises(ValueError, match="expected one of eurostat, national"):
        population.sources_for("insee")


def test_without_population_the_per_capita_indicators_are_left_out():
    con = duckdb.connect()
    _jobs(con)
    _stage(con, "src.eu_eurostat_population", [])  # what a build without the population file stages: nothing
    population.harmonise_population(con, "eurostat")
    assert mart.build_population(con) == {"mart.population": 0}
    mart.build_jobs(con)
    mart.build_cross_border(con)
    indicators = {r[0] for r in con.execute("SELECT DISTINCT indicator FROM mart.indicators").fetchall()}
    assert not indicators & {"ess_jobs_per_1000_pop_15_64", "all_jobs_per_1000_pop_15_64",
                             "ess_age_structure_gap_vs_population"}
    # What needs no population is still there, the age structure against all jobs included.
    assert _indicator(con, "FRE11", "ess_age_structure_gap_vs_all_jobs", "T", "Y25-34")[0] == pytest.approx(
        100 * (30 / 40 - 50 / 200))
    assert {"ess_share_of_jobs", "ess_age_structure_gap_vs_all_jobs"} <= indicators
    compared = {r[0] for r in con.execute("SELECT DISTINCT indicator FROM mart.cross_border_comparison").fetchall()}
    assert compared == indicators
    for table in (schema.POPULATION, schema.INDICATORS, schema.CROSS_BORDER):
        columns = ", ".join(c.name for c in table.columns)
        report = validation.validate(con, f"SELECT {columns} FROM {table.name}", validation.published_schema(table))
        assert report["passed"], report["failures"]
    con.close()


def test_national_setting_with_one_file_missing_leaves_that_country_without_values():
    con = duckdb.connect()
    _jobs(con)
    insee = [(2024, "59", sex, band, value, None, None)
             for sex, scale in (("Hommes", 1), ("Femmes", 2), ("Ensemble", 3))
             for band, value in [(f"{a} à {a + 4} ans", 10 * scale) for a in range(0, 95, 5)]
             + [("95 ans et plus", 10 * scale), ("Total", 200 * scale)]]
    _stage(con, "src.fr_insee_population", insee)
    _stage(con, "src.be_statbel_population", [])  # no Statbel file
    population.harmonise_population(con, "national")
    mart.build_population(con)
    mart.build_jobs(con)
    assert _indicator(con, "FRE11", "ess_jobs_per_1000_pop_15_64", "F") == (150.0, None, None)  # 30 jobs, 200 women
    assert _indicator(con, "BE254", "ess_jobs_per_1000_pop_15_64", "F") == (None, None, "m")
    assert _indicator(con, "FWVL", "ess_jobs_per_1000_pop_15_64", "T") == (None, None, "m")
    con.close()
