"""The mart.dim_* tables: every published code has its labels, and every code list its sort order."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory import checks, nomenclatures, schema, validation


def ordered(con, table: str, code: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT {code} FROM mart.dim_{table} ORDER BY sort_order").fetchall()]


def test_age_bands_and_the_other_code_lists_sort_in_their_natural_order(small_staging):
    assert ordered(small_staging, "age_band", "age_band") == [
        "Y_LT25", "Y25-34", "Y35-44", "Y45-54", "Y55-64", "Y_GE65", "Y15-24", "Y15-64", "UNK", "TOTAL"]
    assert ordered(small_staging, "sex", "sex") == ["F", "M", "T"]
    assert ordered(small_staging, "family", "family") == ["ASSOC", "COOP", "COOP_WORKER", "COOP_SOCIAL", "COOP_SELF_EMPLOYED",
                                                          "COOP_OTHER", "MUTUAL", "FOUND", "SOCENT", "ESS", "ALL"]
    assert ordered(small_staging, "nace_a10", "nace_a10") == [
        "A", "B-E", "F", "G-I", "J", "K", "L", "M_N", "O-Q", "R-U", "UNK", "TOTAL"]
    geo = ordered(small_staging, "geo", "geo")
    assert (len(geo), geo[:2], geo[-3:]) == (35, ["FRE11", "FRE12"], ["FWVL_FR", "FWVL_BE", "FWVL"])
    # Joined in a query, age bands sort as ages; as text they would sort TOTAL, Y25-34, Y_GE65, Y_LT25.
    assert small_staging.execute(
        "SELECT list(age_band ORDER BY b.sort_order) FROM (VALUES ('Y_GE65'), ('TOTAL'), ('Y_LT25'), ('Y25-34')) "
        "v(age_band) JOIN mart.dim_age_band b USING (age_band)").fetchone()[0] == ["Y_LT25", "Y25-34", "Y_GE65", "TOTAL"]


def test_every_dimension_matches_its_schema(small_staging):
    for table in schema.DIMENSIONS:
        assert [c.name for c in table.columns][:2] == [table.key[0], "sort_order"]
        columns = ", ".join(c.name for c in table.columns)
        report = validation.validate(small_staging, f"SELECT {columns} FROM {table.name}",
                                     validation.published_schema(table))
        assert report["passed"], (table.name, report["failures"])
        distinct = small_staging.execute(f"SELECT count(DISTINCT sort_order), count(*) FROM {table.name}").fetchone()
        assert distinct[0] == distinct[1], table.name


def test_dim_indicator_describes_every_indicator(small_staging):
    rows = small_staging.execute(
        "SELECT indicator, unit, label_en, label_fr, definition, source FROM mart.dim_indicator ORDER BY sort_order"
    ).fetchall()
    assert tuple(r[0] for r in rows) == schema.INDICATOR_CODES
    by_code = {r[0]: r[1:] for r in rows}
    assert by_code["ess_fte"][:3] == ("fte", "Full-time equivalents in the social economy",
                                      "Équivalents temps plein de l'ESS")
    assert by_code["ess_share_of_jobs"][0] == "percent"
    assert by_code["ess_age_structure_gap_vs_population"][0] == "pp"
    assert by_code["all_jobs_per_1000_pop_15_64"][0] == "jobs_per_1000_pop"
    assert all(r[4] for r in rows)  # every row has its source
    # The definitions of the data dictionary are the same text.
    assert {code: row[3] for code, row in by_code.items()} == schema.INDICATOR_DEFINITIONS
    published = {r[0] for r in small_staging.execute("SELECT DISTINCT indicator FROM mart.indicators").fetchall()}
    assert "ess_fte" in published and published <= set(by_code)
    assert checks.indicators_described(small_staging) == []


def test_an_indicator_without_its_row_or_with_another_unit_is_caught(small_staging):
    small_staging.execute("DELETE FROM mart.dim_indicator WHERE indicator = 'ess_women_share'")
    small_staging.execute("UPDATE mart.dim_indicator SET unit = 'percent' WHERE indicator = 'ess_fte'")
    assert checks.indicators_described(small_staging) == [
        "mart.cross_border_comparison: indicator ess_fte (unit fte) has unit percent in mart.dim_indicator",
        "mart.cross_border_comparison: indicator ess_women_share (unit percent) has no row in mart.dim_indicator",
        "mart.indicators: indicator ess_fte (unit fte) has unit percent in mart.dim_indicator",
        "mart.indicators: indicator ess_women_share (unit percent) has no row in mart.dim_indicator",
    ]


@pytest.mark.parametrize(
    ("name", "change", "problem"),
    [
        ("age_bands", lambda f: f.assign(sort_order=f["sort_order"].replace("2", "1")),
         "age_bands.csv: two codes share a sort_order"),
        ("sexes", lambda f: f.assign(sort_order=f["sort_order"].replace("9", "")),
         "sexes.csv: sort_order must be a whole number on every row"),
        ("indicators", lambda f: f.assign(unit=f["unit"].replace("fte", "hours")),
         "indicators.csv: units ['hours'] are not among"),
        ("indicators", lambda f: pd.concat([f, f.head(1)]), "indicators.csv: codes listed twice ['ess_jobs']"),
    ],
)
def test_a_broken_code_list_is_caught(monkeypatch, name, change, problem):
    original = nomenclatures.load
    monkeypatch.setattr(nomenclatures, "load", lambda n: change(original(n)) if n == name else original(n))
    assert any(p.startswith(problem) for p in nomenclatures.check_mappings())
