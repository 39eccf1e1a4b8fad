"""Classification of delivered rows: territory, family, activity, and the reason of every reject."""

from __future__ import annotations

import duckdb
import pytest

from observatory import checks, harmonise, mart, nomenclatures
from observatory.sources import flores, onss

# depcom, cj, apet -> expected (outcome, geo, family, common, reason fragment)
FR_CASES = [
    ("59350", "9220", "8810A", "used", "FRE11", "ASSOC", True, None),
    ("80021", "5460", "4711A", "used", "FRE23", "COOP", True, None),
    ("59350", "9220", "9491Z", "used", "FRE11", "ASSOC", False, None),  # religious organisation: excluded
    ("62041", "7210", "8411Z", "used", "FRE12", "NONE", False, None),
    ("75056", "9220", "8810A", "outside_area", None, "ASSOC", True, None),
    ("55029", "9220", "8810A", "outside_area", "FRF32", "ASSOC", True, None),  # Meuse
    ("97105", "9220", "8810A", "outside_area", None, "ASSOC", True, None),
    ("96001", "9220", "8810A", "rejected", None, "ASSOC", True, "unknown département"),
    ("59350", "4444", "8810A", "rejected", "FRE11", "NONE", False, "unknown legal category"),
    ("59350", "9220", "0400Z", "rejected", "FRE11", "ASSOC", True, "unknown NACE division"),
]
# refnis, form, accreditation, nace_version, nace -> expected (outcome, geo, family, common, national, reason)
BE_CASES = [
    ("57081", "017", "", "2008", "88101", "used", "BE328", "ASSOC", True, True, None),
    ("57081", "706", "", "2008", "47111", "used", "BE328", "COOP", True, False, None),
    ("57081", "706", "CNC", "2008", "47111", "used", "BE328", "COOP", True, True, None),
    ("34022", "610", "CNC", "2008", "47111", "used", "BE254", "COOP", True, True, None),
    ("34022", "610", "ES", "2008", "47111", "used", "BE254", "SOCENT", False, True, None),
    ("34022", "610", "CNC+ES", "2008", "47111", "used", "BE254", "COOP", True, True, None),
    ("52011", "506", "", "2008", "88991", "used", "BE32B", "SOCENT", False, True, None),
    ("52011", "610", "", "2008", "47111", "used", "BE32B", "NONE", False, False, None),
    ("52011", "017", "", "2008", "94910", "used", "BE32B", "ASSOC", False, True, None),  # excluded in common only
    ("21004", "017", "", "2008", "88101", "outside_area", None, "ASSOC", True, True, None),
    ("54007", "017", "", "2008", "88101", "rejected", None, "ASSOC", True, True, "unknown arrondissement"),
    ("57081", "999", "", "2008", "88101", "rejected", "BE328", "NONE", False, False, "juridical form unknown"),
    # NACE-BEL 2025 is read through the NACE Rev. 2.1 -> Rev. 2 correspondence (88.10 -> 88.10); before that
    # conversion existed this row was rejected. A 2025 code whose Rev. 2.1 class does not exist is rejected.
    ("57081", "017", "", "2025", "88101", "used", "BE328", "ASSOC", True, True, None),
    ("57081", "017", "", "2025", "00101", "rejected", "BE328", "ASSOC", True, True, "NACE Rev. 2.1 class 00.10"),
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    nomenclatures.register(con)
    con.execute(flores.STAGING_DDL)
    con.execute(onss.STAGING_DDL)
    for i, (depcom, cj, apet, *_) in enumerate(FR_CASES):
        con.execute("INSERT INTO src.fr_flores_jobs VALUES (2023, ?, ?, ?, '2', '45', 10, NULL, 'f.csv', ?, "
                    "'NAFRev2')", [depcom, cj, apet, i + 2])
        con.execute("INSERT INTO src.fr_flores_units VALUES (2023, ?, ?, ?, 3, 5, 'u.csv', ?, 'NAFRev2')",
                    [depcom, cj, apet, i + 2])
    for i, (refnis, form, accreditation, version, nace, *_) in enumerate(BE_CASES):
        con.execute("INSERT INTO src.be_onss_jobs VALUES (2023, ?, ?, ?, ?, ?, 'F', '45-54', 10, 9.5, 'o.csv', ?)",
                    [refnis, form, accreditation, version, nace, i + 2])
        con.execute("INSERT INTO src.be_onss_units VALUES (2023, ?, ?, ?, ?, ?, 3, 5, 'ou.csv', ?)",
                    [refnis, form, accreditation, version, nace, i + 2])
    con.execute("CREATE TABLE src.be_kbo_codes AS SELECT 'JuridicalForm' AS category, code, 'FR' AS language, "
                "'label' AS description FROM (VALUES ('017'), ('706'), ('610'), ('506')) t(code)")
    return con


def classified(con, source: harmonise.JobsSource) -> list[tuple]:
    sql = harmonise._classify_sql(source, source.jobs_table, True)
    columns = "line, outcome, geo, family, common, national_member, reason, sex, age_band"
    return con.execute(f"SELECT {columns} FROM ({sql}) ORDER BY line", {"year": 2023}).fetchall()


def test_french_rows(con):
    rows = classified(con, harmonise.FLORES)
    assert len(rows) == len(FR_CASES)
    for (_, outcome, geo, family, common, national, reason, sex, age), case in zip(rows, FR_CASES, strict=True):
        assert (outcome, family, common) == (case[3], case[5], case[6]), case
        if outcome == "used":
            assert geo == case[4]
        assert national == common  # INSEE's national definition is the common one
        assert (reason is None) == (case[7] is None) and (case[7] is None or case[7] in reason), (case, reason)
        assert (sex, age) == ("F", "Y45-54")


def test_belgian_rows(con):
    rows = classified(con, harmonise.ONSS)
    for (_, outcome, geo, family, common, national, reason, _, _), case in zip(rows, BE_CASES, strict=True):
        assert (outcome, family, common, national) == (case[5], case[7], case[8], case[9]), case
        if outcome == "used":
            assert geo == case[6]
        assert (reason is None) == (case[10] is None) and (case[10] is None or case[10] in reason), (case, reason)


def test_harmonise_year_accounts_for_every_row(con):
    result = harmonise.harmonise_jobs_year(con, harmonise.ONSS, 2023)
    by_outcome = {(a["file_name"], a["outcome"]): (a["rows"], a["jobs"]) for a in result["accounting"]}
    assert by_outcome[("o.csv", "used")] == (10, 100)
    assert by_outcome[("o.csv", "outside_area")] == (1, 10)
    assert by_outcome[("o.csv", "rejected")] == (3, 30)
    assert by_outcome[("ou.csv", "rejected")][0] == 3
    rejects = con.execute("SELECT file_name, line, reason, raw_text, jobs FROM meta.rejects WHERE file_name = 'o.csv' "
                          "ORDER BY line").fetchall()
    assert [r[1] for r in rejects] == [12, 13, 15]
    assert rejects[0][3] == "2023Q4,54007,017,,2008,88101,F,45-54,10,9.5"
    assert con.execute("SELECT sum(jobs) FROM harmonised.jobs WHERE country = 'BE'").fetchone()[0] == 100
    # Re-running the year replaces, never duplicates.
    harmonise.harmonise_jobs_year(con, harmonise.ONSS, 2023)
    assert con.execute("SELECT sum(jobs) FROM harmonised.jobs WHERE country = 'BE'").fetchone()[0] == 100
    assert con.execute("SELECT count(*) FROM meta.rejects WHERE source_id = 'be_onss'").fetchone()[0] == 6


def test_cooperative_types_of_delivered_rows(con):
    """A cooperative's type in the deliveries: FLORES by its CJ, ONSS by its form and accreditation (ES makes a social
    cooperative); every other row has none."""
    def types(source: harmonise.JobsSource) -> dict[int, tuple[str, str | None]]:
        sql = harmonise._classify_sql(source, source.jobs_table, True)
        return {line: (family, coop_type) for line, family, coop_type in con.execute(
            f"SELECT line, family, coop_type FROM ({sql}) WHERE family = 'COOP' OR coop_type IS NOT NULL ORDER BY line",
            {"year": 2023}).fetchall()}

    # 5460 "Autre SARL coopérative" (INSEE's label): no SCOP, no self-employed producers.
    assert types(harmonise.FLORES) == {3: ("COOP", "COOP_OTHER")}
    assert types(harmonise.ONSS) == {
        3: ("COOP", "COOP_OTHER"),  # 706, no accreditation
        4: ("COOP", "COOP_OTHER"),  # 706 accredited CNC
        5: ("COOP", "COOP_OTHER"),  # 610 accredited CNC: a cooperative by its accreditation
        7: ("COOP", "COOP_SOCIAL"),  # 610 accredited CNC and ES
    }


def test_jobs_cells_by_cooperative_type_add_up_to_coop(con):
    harmonise.harmonise_jobs_year(con, harmonise.FLORES, 2023)
    harmonise.harmonise_jobs_year(con, harmonise.ONSS, 2023)
    mart.build_dimensions(con)
    con.execute("CREATE SCHEMA IF NOT EXISTS work")
    harmonise.run_sql_file(con, "mart_jobs_cells.sql", {"min_jobs": 5, "min_units": 3, "max_dominance_share": 0.85})
    cells = con.execute("SELECT geo, family, jobs FROM work.jobs_cells WHERE family LIKE 'COOP%' AND geo LIKE 'BE%' "
                        "AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL' ORDER BY ALL").fetchall()
    # BE254: 610 CNC (10 jobs, COOP_OTHER) and 610 CNC+ES (10, COOP_SOCIAL); BE328: 706 with and without CNC.
    assert cells == [("BE254", "COOP", 20), ("BE254", "COOP_OTHER", 10), ("BE254", "COOP_SOCIAL", 10),
                     ("BE328", "COOP", 20), ("BE328", "COOP_OTHER", 20)]
    assert checks.family_parts_add_up(con, "work.jobs_cells") == []
    con.execute("UPDATE work.jobs_cells SET jobs = 9 WHERE geo = 'BE254' AND family = 'COOP_SOCIAL' "
                "AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL'")
    assert checks.family_parts_add_up(con, "work.jobs_cells") == [
        "2023 BE BE254 TOTAL T TOTAL COOP: jobs 20, its parts 19"]
