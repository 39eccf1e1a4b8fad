"""mart.jobs margins, disclosure control (primary A/O, secondary D), indicators and reconciliation on hand-computed
cases. The arithmetic is checked on a build without disclosure control (``open_build``), the codes on the real one."""

from __future__ import annotations

import duckdb
import pandas as pd
import pandera.errors
import pytest
from conftest import JOBS_INSERT, UNITS_INSERT, type_cooperatives

from observatory import checks, disclosure, harmonise, mart, schema, validation
from observatory.config import Thresholds

# year, country, geo, family, excluded, common, national, nace_a10, sex, age_band, jobs, fte
JOBS = [
    (2023, "FR", "FRE11", "ASSOC", False, True, True, "O-Q", "F", "Y25-34", 30, 28.0),
    (2023, "FR", "FRE11", "ASSOC", False, True, True, "O-Q", "M", "Y25-34", 10, 9.0),
    (2023, "FR", "FRE11", "ASSOC", False, True, True, "O-Q", "F", "Y55-64", 3, 2.0),
    (2023, "FR", "FRE11", "COOP", False, True, True, "G-I", "F", "Y35-44", 2, 2.0),
    (2023, "FR", "FRE11", "COOP", False, True, True, "G-I", "M", "Y35-44", 6, None),
    (2023, "FR", "FRE11", "NONE", False, False, False, "B-E", "M", "Y45-54", 100, 95.0),
    (2022, "FR", "FRE11", "ASSOC", False, True, True, "O-Q", "F", "Y25-34", 40, 38.0),
    (2022, "FR", "FRE11", "NONE", False, False, False, "B-E", "M", "Y45-54", 100, 95.0),
    # Belgium: one row per reconciliation component.
    (2023, "BE", "BE328", "ASSOC", False, True, True, "O-Q", "F", "Y45-54", 20, 18.0),
    (2023, "BE", "BE328", "COOP", False, True, False, "G-I", "M", "Y45-54", 10, 10.0),
    (2023, "BE", "BE328", "SOCENT", False, False, True, "M_N", "F", "Y45-54", 7, 7.0),
    (2023, "BE", "BE328", "ASSOC", True, False, True, "R-U", "F", "Y45-54", 6, 6.0),
]
# year, country, geo, family, excluded, common, national, nace_a10, units, max_unit_jobs
UNITS = [
    (2023, "FR", "FRE11", "ASSOC", False, True, True, "O-Q", 4, 10),
    (2023, "FR", "FRE11", "COOP", False, True, True, "G-I", 2, 5),
    (2023, "FR", "FRE11", "NONE", False, False, False, "B-E", 10, 90),
    (2022, "FR", "FRE11", "ASSOC", False, True, True, "O-Q", 4, 10),
    (2022, "FR", "FRE11", "NONE", False, False, False, "B-E", 30, 10),
    (2023, "BE", "BE328", "ASSOC", False, True, True, "O-Q", 5, 5),
    (2023, "BE", "BE328", "COOP", False, True, False, "G-I", 5, 3),
    (2023, "BE", "BE328", "SOCENT", False, False, True, "M_N", 5, 2),
    (2023, "BE", "BE328", "ASSOC", True, False, True, "R-U", 5, 2),
]


def _build(thresholds: Thresholds | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(harmonise.DDL)
    for row in JOBS:
        con.execute(JOBS_INSERT + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    [*row, 1 if row[-1] is not None else 0])
    con.executemany(UNITS_INSERT + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", UNITS)
    type_cooperatives(con)
    mart.build_jobs(con, thresholds)
    return con


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return _build()


@pytest.fixture(scope="module")
def open_build() -> duckdb.DuckDBPyConnection:
    """The same inputs with no primary rule, hence nothing suppressed: every margin and indicator published."""
    return _build(Thresholds(min_jobs=0, min_units=0, max_dominance_share=1.0))


def cell(con, year=2023, geo="FRE11", family="ESS", nace="TOTAL", sex="T", age="TOTAL"):
    return con.execute(
        "SELECT jobs, fte, units, conf_status FROM mart.jobs WHERE year = ? AND geo = ? AND family = ? "
        "AND nace_a10 = ? AND sex = ? AND age_band = ?",
        [year, geo, family, nace, sex, age],
    ).fetchone()


def indicator(con, name, year=2023, geo="FRE11"):
    return con.execute(
        "SELECT value, conf_status FROM mart.indicators WHERE year = ? AND geo = ? AND indicator = ?",
        [year, geo, name],
    ).fetchone()


def test_margins_sum_the_parts(open_build):
    con = open_build
    assert cell(con, family="ASSOC", nace="O-Q") == (43, 39.0, 4, None)
    assert cell(con, family="ASSOC", nace="O-Q", sex="F") == (33, 30.0, None, None)
    assert cell(con, family="ESS")[0] == 51
    assert cell(con, family="ALL")[0] == 151
    # Area aggregates: FR side = FRE11 alone here; the whole area adds the Belgian side (common: 20 + 10).
    assert cell(con, geo="FWVL_FR", family="ESS")[0] == 51
    assert cell(con, geo="FWVL", family="ESS")[0] == 51 + 30


def test_fte_is_null_when_a_part_was_not_delivered(open_build):
    con = open_build
    # COOP/M/Y35-44 came without EQTP, so any cell containing it has no FTE (not a partial sum).
    assert cell(con, family="ESS")[1] is None
    assert cell(con, family="ASSOC")[1] == 39.0


def test_small_cells_are_suppressed(con):
    assert cell(con, family="ASSOC", nace="O-Q", sex="F", age="Y55-64") == (None, None, None, "A")
    assert cell(con, family="ASSOC", nace="O-Q", sex="T", age="Y55-64")[3] == "A"


def test_parent_with_fewer_than_three_units_suppresses_all_its_cells(con):
    rows = con.execute(
        "SELECT count(*), count(jobs) FROM mart.jobs WHERE year = 2023 AND geo = 'FRE11' AND family = 'COOP'"
    ).fetchone()
    assert rows[0] > 0 and rows[1] == 0
    assert cell(con, family="COOP") == (None, None, 2, "A")  # units stay published


def test_dominant_unit_suppresses_the_parent_and_its_cells(con):
    # 90 of 100 jobs in one establishment: 90 > 85 % of 100.
    assert cell(con, family="ALL", nace="B-E")[3] == "O"
    assert cell(con, family="ALL", nace="B-E", sex="M", age="Y45-54")[3] == "O"
    # In 2022 the largest unit holds 10 of 100: published.
    assert cell(con, year=2022, family="ALL", nace="B-E")[0] == 100


def test_indicators_hand_computed(open_build):
    con = open_build
    assert indicator(con, "ess_jobs") == (51, None)
    assert indicator(con, "ess_share_of_jobs")[0] == pytest.approx(100 * 51 / 151)
    assert indicator(con, "ess_women_share")[0] == pytest.approx(100 * 35 / 51)
    assert indicator(con, "all_women_share")[0] == pytest.approx(100 * 35 / 151)
    assert indicator(con, "ess_age_lt25_share") == (0.0, None)  # a cell with no row is zero
    assert indicator(con, "ess_jobs_per_unit")[0] == pytest.approx(51 / 6)
    assert indicator(con, "ess_jobs_change")[0] == pytest.approx(100 * (51 / 40 - 1))
    assert indicator(con, "ess_jobs_change", year=2022) is None  # no previous year


def ess_fte(con, year=2023, geo="FRE11"):
    return con.execute(
        "SELECT value, conf_status, obs_flag FROM mart.indicators WHERE year = ? AND geo = ? AND indicator = 'ess_fte'",
        [year, geo],
    ).fetchone()


def test_ess_fte_not_delivered_for_every_part_is_flagged_missing(open_build):
    con = open_build
    # 2023 FRE11: COOP/M/Y35-44 (6 jobs) came without EQTP, so the ESS FTE is unknown: NULL, flagged m.
    assert ess_fte(con) == (None, None, "m")
    assert ess_fte(con, geo="FWVL_FR") == ess_fte(con, geo="FWVL") == (None, None, "m")
    # 2022 FRE11: the one ESS row has its FTE (38.0); BE328 2023: ASSOC 18.0 + COOP 10.0 (SOCENT and the excluded
    # ASSOC are outside the common definition).
    assert ess_fte(con, year=2022) == (38.0, None, None)
    assert ess_fte(con, geo="BE328") == ess_fte(con, geo="FWVL_BE") == (28.0, None, None)
    unexplained = con.execute("SELECT count(*) FROM mart.indicators WHERE indicator = 'ess_fte' AND value IS NULL "
                              "AND conf_status IS NULL AND obs_flag IS NULL").fetchone()[0]
    assert unexplained == 0
    # The other indicators of mart_indicators.sql have no population figure, hence no flag.
    assert con.execute("SELECT count(*) FROM mart.indicators WHERE indicator <> 'ess_fte' AND obs_flag IS NOT NULL"
                       ).fetchone()[0] == 0


def test_ess_fte_is_zero_where_there_is_no_ess_job():
    con = duckdb.connect()
    con.execute(harmonise.DDL)
    con.execute(JOBS_INSERT + "(2023, 'FR', 'FRE12', 'NONE', false, false, false, 'B-E', 'M', "
                "'Y45-54', 50, 48.0, 1, 1)")
    con.execute(UNITS_INSERT + "(2023, 'FR', 'FRE12', 'NONE', false, false, false, 'B-E', 5, 20)")
    mart.build_jobs(con)
    assert indicator(con, "ess_jobs", geo="FRE12") == (0, None)
    assert ess_fte(con, geo="FRE12") == (0.0, None, None)  # nothing to deliver: zero, like the jobs, not missing


def test_indicator_from_a_suppressed_cell_is_suppressed(con):
    # 55+ = the Y55-64 cell of 3 jobs, which is confidential: the indicator is a secondary suppression.
    assert indicator(con, "ess_age_55plus_share") == (None, "D")
    # ess_jobs is the ESS cell itself and carries its code.
    assert indicator(con, "ess_jobs")[1] == cell(con, family="ESS")[3] is not None


def test_secondary_suppression_protects_every_primary_cell(con):
    """Hidden alone, the Y55-64 cell (3 jobs) would be ASSOC O-Q F TOTAL minus the other bands; the build hides
    complements (D) until the attacker can no longer pin any primary cell within ±3 jobs."""
    codes = dict(con.execute("SELECT conf_status, count(*) FROM mart.jobs GROUP BY ALL").fetchall())
    assert codes["D"] > 0 and codes["A"] > 0 and codes["O"] > 0
    verdict = disclosure.audit(con, Thresholds())
    assert verdict.passed, verdict.summary()
    assert len(verdict.cells) == codes["A"] + codes["O"]
    # The French side's ESS jobs had to go (the reconciliation's COMMON with them, and NATIONAL, which equals it).
    rows = dict(con.execute("SELECT definition || '/' || component, conf_status FROM mart.perimeter_reconciliation "
                            "WHERE year = 2023 AND country = 'FR' AND component = 'TOTAL'").fetchall())
    assert rows == {"COMMON/TOTAL": cell(con, geo="FWVL_FR")[3], "NATIONAL/TOTAL": "D"}


def test_reconciliation_parts(con):
    rows = dict(
        ((d, c), j)
        for d, c, j in con.execute(
            "SELECT definition, component, jobs FROM mart.perimeter_reconciliation WHERE year = 2023 AND country = 'BE'"
        ).fetchall()
    )
    assert rows[("COMMON", "TOTAL")] == 30
    assert rows[("NATIONAL", "TOTAL")] == 33
    assert rows[("NATIONAL", "PLUS_SOCENT")] == 7
    assert rows[("NATIONAL", "PLUS_EXCLUDED_ACTIVITIES")] == 6
    assert rows[("NATIONAL", "MINUS_COOP_NOT_ACCREDITED")] == -10
    assert checks.reconciliation_adds_up(con) == []


def test_france_national_equals_common(con):
    rows = con.execute(
        "SELECT component, jobs FROM mart.perimeter_reconciliation WHERE year = 2023 AND country = 'FR' "
        "AND component <> 'TOTAL'"
    ).fetchall()
    assert all(jobs == 0 for _, jobs in rows)


def test_disclosure_check_passes_and_catches_a_leak(con):
    assert checks.disclosure_holds(con) == []
    con.execute("CREATE TEMP TABLE backup AS SELECT * FROM mart.jobs")
    try:
        con.execute("UPDATE mart.jobs SET jobs = 3, conf_status = NULL WHERE year = 2023 AND geo = 'FRE11' "
                    "AND family = 'ASSOC' AND nace_a10 = 'O-Q' AND sex = 'F' AND age_band = 'Y55-64'")
        assert len(checks.disclosure_holds(con)) == 1
    finally:
        con.execute("DELETE FROM mart.jobs; INSERT INTO mart.jobs SELECT * FROM backup; DROP TABLE backup")


def test_published_schema_refuses_negative_counts_but_keeps_signed_differences():
    comparison = validation.published_schema(schema.CROSS_BORDER)
    row = {c.name: None for c in schema.CROSS_BORDER.columns}
    row.update(year=2023, indicator=schema.INDICATOR_CODES[0], sex="T", age_band="TOTAL",
               comparison="SIDES", fr_geo="FR", be_geo="BE", unit="pct", fr_value=12.0, be_value=13.5, difference=-1.5)
    comparison.validate(pd.DataFrame([row]))  # a negative difference is a fact, not an error
    row["fr_value"] = -2.0  # gap indicators are negative too
    comparison.validate(pd.DataFrame([row]))

    jobs = validation.published_schema(schema.JOBS)
    assert not next(c for c in schema.JOBS.columns if c.name == "jobs").signed
    assert any(c.statistics.get("min_value") == 0 for c in jobs.columns["jobs"].checks)
    with pytest.raises(pandera.errors.SchemaError):
        jobs.columns["jobs"].validate(pd.DataFrame({"jobs": [-1.0]}))
