"""Enterprise demography from the KBO (issue 15): births from StartDate, closures as deletions by an Update, hand-computed.

The open data holds active entities only, so an enterprise that ceases is seen only as a deletion by an Update that
does not insert it again. The Full of tests/fixtures/kbo (extract 136, snapshot 2025-05-30; see its README), with a
registered seat (REGO address) added for four enterprises, then the fixture Updates 137 and 138, then two Updates
written here:

- 139 (snapshot 2026-06-30): the ASBL 0480.000.045 is new (StartDate 10-02-2026, seat 7500 Tournai); the ASBL
  0410.000.093 is deleted and not inserted again (it departs);
- 140 (snapshot 2026-12-31): 0410.000.093 is inserted again (it is back: no closure); 0480.000.045 (born and gone
  in 2026, no full year), the cooperative 0200.362.210 (form 706, StartDate 1968) and the SRL 0420.000.003 (form
  610, StartDate 20-04-2020: 6 full years) are deleted; the cooperative 0470.000.038 is new (StartDate 01-03-2026,
  seat 7000 Mons).

The chain is seen from 2025-05-30 to 2026-12-31: 2026 is the only whole year, so the only year published.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from test_kbo_fetch import FIXTURES, MEMBERS, U137, U138, update_zip, write_raw, zip_members

from observatory import checks, harmonise, mart
from observatory.sources import kbo

ENTERPRISE_HEADER = '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm",' \
                    '"JuridicalFormCAC","StartDate"\n'
ADDRESS_HEADER = (FIXTURES / "full" / "address.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"
HEADERS = {
    "enterprise_delete.csv": '"EnterpriseNumber"\n', "enterprise_insert.csv": ENTERPRISE_HEADER,
    "establishment_delete.csv": '"EstablishmentNumber"\n',
    "establishment_insert.csv": '"EstablishmentNumber","StartDate","EnterpriseNumber"\n',
    "address_delete.csv": '"EntityNumber"\n', "address_insert.csv": ADDRESS_HEADER,
    "activity_delete.csv": '"EntityNumber"\n',
    "activity_insert.csv": '"EntityNumber","ActivityGroup","NaceVersion","NaceCode","Classification"\n',
}


def seat(enterprise: str, postcode: str, town: str) -> str:
    return f'"{enterprise}","REGO",,,"{postcode}","{town}","{town}","Rue","Rue","1","","",\n'


def update(number: int, snapshot: str, rows: dict[str, str]) -> bytes:
    meta = (f'"Variable","Value"\n"SnapshotDate","{snapshot}"\n"ExtractTimestamp","{snapshot} 07:00:00"\n'
            f'"ExtractType","update"\n"ExtractNumber","{number}"\n"Version","1.0.0"\n')
    return zip_members({"meta.csv": meta, **{name: header + rows.get(name, "") for name, header in HEADERS.items()}})


def full_with_seats() -> bytes:
    members = {m: (FIXTURES / "full" / m).read_text(encoding="utf-8") for m in MEMBERS}
    members["address.csv"] += (seat("0200.362.210", "7000", "Mons") + seat("0420.000.003", "7700", "Mouscron")
                               + seat("0430.000.010", "7500", "Tournai") + seat("0410.000.093", "7500", "Tournai"))
    return zip_members(members)


U139 = update(139, "30-06-2026", {
    "enterprise_delete.csv": '"0410.000.093"\n',
    "enterprise_insert.csv": '"0480.000.045","AC","000","2","017",,10-02-2026\n',
    "address_insert.csv": seat("0480.000.045", "7500", "Tournai"),
})
U140 = update(140, "31-12-2026", {
    "enterprise_delete.csv": '"0480.000.045"\n"0200.362.210"\n"0420.000.003"\n',
    "enterprise_insert.csv": ('"0410.000.093","AC","000","2","017",,03-09-2001\n'
                              '"0470.000.038","AC","000","2","706",,01-03-2026\n'),
    "address_insert.csv": seat("0470.000.038", "7000", "Mons"),
})


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    raw = write_raw(tmp_path, {"KboOpenData_0136_2025_06_Full.zip": full_with_seats(), U137: update_zip(U137),
                               U138: update_zip(U138), "KboOpenData_0139_2026_07_Update.zip": U139,
                               "KboOpenData_0140_2027_01_Update.zip": U140})
    con = duckdb.connect()
    meta = kbo.load(con, raw, tmp_path / "cache")
    yield con, meta
    con.close()


def test_enterprises_deleted_by_an_update_depart_on_its_snapshot_date(loaded) -> None:
    con, meta = loaded
    departed = con.execute(
        "SELECT enterprise, juridical_form, start_date, seat_postcode, departed_on FROM src.be_kbo_enterprises "
        "WHERE departed_on IS NOT NULL ORDER BY enterprise").fetchall()
    assert departed == [
        ("0200.362.210", "706", date(1968, 2, 26), "7000", date(2026, 12, 31)),
        ("0420.000.003", "610", date(2020, 4, 20), "7700", date(2026, 12, 31)),
        # Born in 139, gone in 140: kept with the seat it had.
        ("0480.000.045", "017", date(2026, 2, 10), "7500", date(2026, 12, 31)),
    ]
    # 0410.000.093 departed with 139 and came back with 140; 0430.000.010 was deleted and inserted by 138 at once.
    assert [u["enterprises_departed"] for u in meta["updates"]] == [0, 0, 1, 3]
    back = con.execute("SELECT departed_on, start_date FROM src.be_kbo_enterprises WHERE enterprise = '0410.000.093'")
    assert back.fetchall() == [(None, date(2001, 9, 3))]
    # The Full's 8 enterprises, 0460.000.031 (137), 0480.000.045 and 0470.000.038.
    assert (meta["enterprises"], meta["enterprises_departed"]) == (11, 3)
    assert con.execute("SELECT DISTINCT observed_from, snapshot_date FROM src.be_kbo_enterprises").fetchall() == [
        (date(2025, 5, 30), date(2026, 12, 31))]


def test_births_closures_and_stock_of_the_one_whole_year_seen(loaded) -> None:
    con, _ = loaded
    outcomes = harmonise.harmonise_demography(con)
    # Rejected: 0200.362.211 fails mod-97. Outside: 0403.449.823's seat is in Brussels. Without a REGO address,
    # 0200.065.765 is placed by its unit 2.100.000.213 (5100, BE352 since 137) and the natural person 0500.000.158 by
    # its unit 2.100.000.312 (8500, BE254).
    assert outcomes == {"BE": {"outside_area": 1, "rejected": 1, "used": 9}}
    assert con.execute("SELECT reason, count(*) FROM meta.rejects WHERE source_id = 'be_kbo_demography' "
                       "GROUP BY ALL ORDER BY ALL").fetchall() == [("invalid enterprise number (mod-97)", 1)]
    places = con.execute("SELECT enterprise, seat_postcode, seat_address FROM src.be_kbo_enterprises "
                         "WHERE enterprise IN ('0200.065.765', '0500.000.158', '0410.000.093') ORDER BY ALL")
    assert places.fetchall() == [("0200.065.765", "5100", "BAET"), ("0410.000.093", "7500", "REGO"),
                                 ("0500.000.158", "8500", "BAET")]
    mart.build_demography(con)
    rows = con.execute(
        """SELECT family, year, births, closures, active_end FROM mart.demography
           WHERE geo = 'FWVL_BE' AND family IN ('ALL', 'ASSOC', 'COOP', 'COOP_OTHER', 'NONE') ORDER BY ALL
        """).fetchall()
    assert rows == [
        # Births 0480 and 0470; closures 0480, 0200.362.210 and 0420.000.003; alive at the end of 2026: 0410 (back),
        # 0430, 0460, 0470, 0200.065.765 and 0500.000.158.
        ("ALL", 2026, 2, 3, 6),
        ("ASSOC", 2026, 1, 1, 3),
        ("COOP", 2026, 1, 1, 1),
        ("COOP_OTHER", 2026, 1, 1, 1),
    ]  # the SRL, the public body and the natural person (NONE) count in ALL only
    by_nuts3 = con.execute("SELECT geo, births, closures, active_end FROM mart.demography "
                           "WHERE family = 'ALL' AND geo_level = 'NUTS3' ORDER BY geo").fetchall()
    assert by_nuts3 == [("BE254", 0, 0, 1), ("BE323", 1, 1, 2), ("BE328", 1, 2, 2), ("BE352", 0, 0, 1)]
    # No cohort has been seen for a whole year after its birth year yet.
    assert con.execute("SELECT count(*) FROM mart.survival WHERE country = 'BE'").fetchone()[0] == 0


def test_every_enterprise_is_accounted_for_and_stocks_follow_flows(loaded) -> None:
    con, _ = loaded
    harmonise.harmonise_demography(con)
    mart.build_demography(con)
    assert checks.demography_accounted(con) == []
    assert checks.demography_stocks_follow_flows(con) == []
    # An enterprise lost between staging and harmonisation, and a stock that does not follow from its flows.
    con.execute("UPDATE meta.row_accounting SET rows = rows - 1 WHERE source_id = 'be_kbo_demography' "
                "AND outcome = 'used'")
    assert checks.demography_accounted(con) == ["be_kbo_demography: 10 enterprises accounted for, 11 staged"]
    # A second year whose stock is one short of the first's plus its flows (it has none).
    con.execute("INSERT INTO mart.demography SELECT * REPLACE (2027 AS year, 0 AS births, 0 AS closures, "
                "active_end - 1 AS active_end) FROM mart.demography WHERE geo = 'BE323' AND family = 'ALL'")
    assert checks.demography_stocks_follow_flows(con) == [
        "2027 BE BE323 ALL: 1 active at the end, 2 the year before + 0 births - 0 closures"]
