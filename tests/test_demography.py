"""Enterprise demography and survival from SIRENE legal units (issue 15), hand-computed on the SIRENE fixtures.

tests/fixtures/sirene (real headers; see its README) with the dates and states of four legal units changed here to
make a 2019 cohort; the snapshot is 2025-10-30 (the last dateDernierTraitementEtablissement), so the last complete
year is 2024 and the 2019 cohort has reached its 1st, 3rd and 5th anniversaries.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import rewrite_csv

from observatory import checks, harmonise, mart
from observatory.sources import sirene

FIXTURES = Path(__file__).parent / "fixtures" / "sirene"
STATE, START, CREATED = "etatAdministratifUniteLegale", "dateDebut", "dateCreationUniteLegale"
UNIT_CHANGES = {
    # The SCOP (CJ 5458), a worker cooperative: created in 2019, still active.
    "400000003": {CREATED: "2019-03-01"},
    # A sole trader (CJ 1000, head office in Lille): created 2019-07-01, ceased in its second year, after its first
    # anniversary (one full year lived).
    "400000004": {STATE: "C", START: "2020-09-30"},
    # The association (CJ 9220, Lille): created and ceased in 2019 (no full year).
    "400000001": {CREATED: "2019-01-10", STATE: "C", START: "2019-12-01"},
    # The SAS flagged ESS (SOCENT, head office in Arras): three full years, ceased before its fifth anniversary.
    "400000002": {CREATED: "2019-11-20", STATE: "C", START: "2023-05-01"},
}
# The SCOP's head office, from Ajaccio (outside the area) to Lille.
ESTABLISHMENT_CHANGES = {"40000000300012": {"codeCommuneEtablissement": "59350"}}


@pytest.fixture
def built(tmp_path) -> duckdb.DuckDBPyConnection:
    folder = tmp_path / "raw" / sirene.FOLDER
    folder.mkdir(parents=True)
    rewrite_csv(FIXTURES / "StockUniteLegale_utf8.csv", folder / "StockUniteLegale_utf8.csv", "siren", UNIT_CHANGES)
    rewrite_csv(FIXTURES / "StockEtablissement_utf8.csv", folder / "StockEtablissement_utf8.csv", "siret",
             ESTABLISHMENT_CHANGES)
    con = duckdb.connect()
    sirene.load(con, tmp_path / "raw", tmp_path / "cache")
    harmonise.harmonise_demography(con)
    mart.build_demography(con)
    yield con
    con.close()


def test_survival_of_a_cohort(built):
    rows = built.execute(
        """SELECT family, horizon, births, survivors, survival_rate FROM mart.survival
           WHERE cohort = 2019 AND geo = 'FWVL_FR' AND family IN ('ALL', 'ESS', 'ASSOC', 'COOP', 'COOP_WORKER', 'SOCENT')
           ORDER BY family, horizon""").fetchall()
    assert rows == [
        # SCOP, sole trader (1 full year), association (0), SAS (3): 3, 2 and 1 of 4.
        ("ALL", 1, 4, 3, 75.0), ("ALL", 3, 4, 2, 50.0), ("ALL", 5, 4, 1, 25.0),
        ("ASSOC", 1, 1, 0, 0.0), ("ASSOC", 3, 1, 0, 0.0), ("ASSOC", 5, 1, 0, 0.0),
        ("COOP", 1, 1, 1, 100.0), ("COOP", 3, 1, 1, 100.0), ("COOP", 5, 1, 1, 100.0),
        # The worker cooperative against all enterprises: 100 % at 3 years against 50 %.
        ("COOP_WORKER", 1, 1, 1, 100.0), ("COOP_WORKER", 3, 1, 1, 100.0), ("COOP_WORKER", 5, 1, 1, 100.0),
        ("ESS", 1, 2, 1, 50.0), ("ESS", 3, 2, 1, 50.0), ("ESS", 5, 2, 1, 50.0),
        ("SOCENT", 1, 1, 1, 100.0), ("SOCENT", 3, 1, 1, 100.0), ("SOCENT", 5, 1, 0, 0.0),
    ]
    # Cohorts are given only for anniversaries reached by the end of 2024; nothing for the whole area (one side).
    assert built.execute("SELECT max(cohort + horizon), count(*) FILTER (WHERE geo = 'FWVL') FROM mart.survival"
                         ).fetchone() == (2024, 0)


def test_births_closures_and_stock(built):
    rows = built.execute(
        """SELECT year, births, closures, active_end FROM mart.demography
           WHERE geo = 'FWVL_FR' AND family = 'ALL' AND year IN (2000, 2018, 2019, 2020, 2023, 2024) ORDER BY year"""
    ).fetchall()
    assert rows == [
        (2000, 1, 0, 1),  # 000325175 (Amiens), created 2000-09-26
        (2018, 0, 0, 1),
        (2019, 4, 1, 4),  # the cohort; the association ceased the same year
        (2020, 0, 1, 3),  # the sole trader
        (2023, 0, 1, 2),  # the SAS
        (2024, 0, 0, 2),  # 000325175 and the SCOP; 2025 is not complete
    ]
    by_territory = built.execute(
        "SELECT geo, sum(births) FROM mart.demography WHERE family = 'ALL' AND geo_level = 'NUTS3' GROUP BY ALL "
        "ORDER BY ALL").fetchall()
    # Head offices: Lille (SCOP, sole trader, association), Arras (the SAS), Amiens (000325175).
    assert by_territory == [("FRE11", 3), ("FRE12", 1), ("FRE23", 1)]
    # 005410220 ceased in 1988, before 2000: in no published year, and not in the staged counts.
    assert built.execute("SELECT sum(units) FROM src.fr_sirene_unit_demography").fetchone()[0] == 5


def test_every_legal_unit_is_accounted_for_and_stocks_follow_flows(built):
    assert checks.demography_accounted(built) == []
    assert checks.demography_stocks_follow_flows(built) == []
    used = built.execute("SELECT sum(rows) FROM meta.row_accounting WHERE source_id = 'fr_sirene_demography' "
                         "AND outcome = 'used'").fetchone()[0]
    assert used == built.execute("SELECT sum(units) FROM harmonised.enterprise_demography").fetchone()[0]
