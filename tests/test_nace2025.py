"""NACE Rev. 2.1 (NACE-BEL 2025, NAF 2025) read as NACE Rev. 2 through Eurostat's correspondence.

The data file ``observatory/nomenclatures/nace21_nace2.csv`` is checked against the real Eurostat table
(tests/fixtures/real/nace21_nace2_correspondence/, see its README); the classification of each source is checked on
files in the producers' formats (KBO members with their real headers, the SIRENE header with
``activitePrincipaleNAF25Etablissement``, deliveries in the contract layout) with hand-computed expectations:

| 2025 code | NACE Rev. 2.1 class | read as (Rev. 2) | A*10 | why it is here |
|---|---|---|---|---|
| 86210 / 86.21Y | 86.21 | 86.21 | O-Q | one Rev. 2 class |
| 8552001 | 85.52 | 85.52 | O-Q | KBO 7-digit code: its first four digits are the class |
| 84130 | 84.13 | 84.13 | O-Q, excluded | one Rev. 2 class, in division 84 |
| 84250 / 84.25Y | 84.25 | 84.25 | O-Q, excluded | ambiguous: 84.25 (O-Q, excluded) or 93.29 (R-U) |
| 0510Y | 05.10 | 05.10 | B-E | ambiguous: 05.10 (B-E) or 43.12 (F) |
| 62100 / 6210Y | 62.10 | 62.01 | J | Rev. 2.1 section K (IT), Rev. 2 section J |
| 6812Y | 68.12 | 41.10 | F | read as a Rev. 2 code it would be real estate (L) |
| 95310 | 95.31 | 45.20 | G-I | read as a Rev. 2 code it would be R-U |
| 00100 | 00.10 | (none) | rejected / UNK | not a NACE Rev. 2.1 class |
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from observatory import harmonise, mart, nomenclatures
from observatory.errors import InputError
from observatory.nomenclatures import nace21
from observatory.sources import flores, kbo, onss, sirene

FIXTURES = Path(__file__).parent / "fixtures"
TABLE = FIXTURES / "real" / "nace21_nace2_correspondence" / "NACE2.1_NACE2_Table.tsv"
DATA_FILE = nomenclatures.NOMENCLATURE_DIR / "nace21_nace2.csv"


# --- the data file against Eurostat's table ------------------------------------------------------------------------


def eurostat_class_pairs() -> list[tuple[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        return [(r["NACE21_CODE"], r["NACE2_CODE"]) for r in csv.DictReader(handle, delimiter="\t") if r["LEVEL"] == "4"]


def test_data_file_holds_every_class_pair_of_the_real_table_and_nothing_else():
    pairs = eurostat_class_pairs()
    assert len(pairs) == 941 and len({a for a, _ in pairs}) == 651
    data = nomenclatures.load("nace21_nace2")
    assert len(data) == 941
    assert sorted(zip(data["nace21_class"], data["nace2_class"], strict=True)) == sorted(pairs)
    targets = data[data["nace2_class"] != ""].groupby("nace21_class")["nace2_class"].nunique()
    assert (targets == 1).sum() == 480  # + 46.89, with no target: the 481 single-row classes of the table
    assert set(data.loc[data["nace2_class"] == "", "nace21_class"]) == {"46.89"}
    assert (data["source"].str.contains("Eurostat")).all()


def test_data_file_is_the_generator_output_on_the_real_table():
    assert DATA_FILE.read_text(encoding="utf-8") == nace21.build(TABLE), (
        "regenerate with: python -m observatory.nomenclatures.nace21 "
        "tests/fixtures/real/nace21_nace2_correspondence/NACE2.1_NACE2_Table.tsv > observatory/nomenclatures/nace21_nace2.csv"
    )


def test_every_class_is_read_as_one_code_with_one_a10_group_and_one_exclusion():
    classes = nomenclatures.nace21_classes().set_index("nace21_class")
    assert len(classes) == 651
    assert (classes["a10_groups"].isin(["A", "B-E", "F", "G-I", "J", "K", "L", "M_N", "O-Q", "R-U"])).all()
    assert (classes["exclusion"].isin(["true", "false"])).all()
    # The ambiguous classes: Rev. 2 classes in different A*10 groups (41) or on both sides of an exclusion (84.25).
    assert classes["ambiguous_a10"].sum() == 41
    assert list(classes.index[classes["ambiguous_exclusion"]]) == ["84.25"]
    assert classes["ambiguous"].sum() == 41
    assert classes.groupby("rule").size().to_dict() == {
        "single": 480, "same_code": 110, "agreeing": 49, "chosen": 11, "no_link": 1}
    # The rule, by hand, on a few classes.
    expected = {
        "86.21": ("86.21", "single", "O-Q", "false", False),
        "62.10": ("62.01", "single", "J", "false", False),  # Rev. 2.1 section K, Rev. 2 section J
        "68.12": ("41.10", "single", "F", "false", False),  # not real estate (L): construction
        "95.31": ("45.20", "single", "G-I", "false", False),
        "84.25": ("84.25", "same_code", "O-Q", "true", True),  # 84.25 or 93.29 (not excluded, R-U)
        "05.10": ("05.10", "same_code", "B-E", "false", True),  # 05.10 or 43.12 (F)
        "63.10": ("63.11", "chosen", "J", "false", True),  # 52.10 (G-I) or 63.11 (J)
        "96.91": ("81.21", "chosen", "M_N", "false", True),  # 81.21 (M_N) or 96.01 (R-U)
        "46.89": ("46", "no_link", "G-I", "false", False),
    }
    got = {c: tuple(classes.loc[c, ["read_as", "rule", "a10_groups", "exclusion", "ambiguous"]]) for c in expected}
    assert got == expected


def _patched(monkeypatch, edit) -> list[str]:
    original = nomenclatures.load

    def load(name: str) -> pd.DataFrame:
        frame = original(name)
        edited = edit(name, frame)
        return frame if edited is None else edited

    monkeypatch.setattr(nomenclatures, "load", load)
    return nomenclatures.check_mappings()


def test_a_class_read_against_the_rule_is_caught(monkeypatch):
    def edit(name, frame):
        if name == "nace21_nace2":
            frame.loc[frame["nace21_class"] == "05.10", "read_as"] = "43.12"  # the other target: F, not B-E
            frame.loc[frame["nace21_class"] == "63.10", "reason"] = ""  # a hand choice without its reason
            frame.loc[frame["nace21_class"] == "01.11", "read_as"] = "01.12"  # not one of its Rev. 2 classes

    problems = _patched(monkeypatch, edit)
    assert any("05.10 (Rev. 2: 05.10 43.12) is read as 43.12 under rule same_code" in p for p in problems), problems
    assert any("63.10 (Rev. 2: 52.10 63.11) is read as 63.11 under rule chosen" in p for p in problems), problems
    assert any("01.11 is read as 01.12, not one of its NACE Rev. 2 classes 01.11" in p for p in problems), problems


def test_a_new_exclusion_that_splits_a_class_or_division_46_is_caught(monkeypatch):
    def edit(name, frame):
        if name == "activity_exclusions":
            # 82.99 excluded: the agreeing classes with 82.99 among their targets now disagree; 46.90 excluded: 46.89,
            # read as division 46, no longer has one exclusion decision.
            extra = pd.DataFrame([{"nace_prefix": "82.99", "level": "class", "reason": "t", "source": "t"},
                                  {"nace_prefix": "46.90", "level": "class", "reason": "t", "source": "t"}])
            return pd.concat([frame, extra], ignore_index=True)

    problems = _patched(monkeypatch, edit)
    assert any("46.89: read as 46, has no single activity-exclusion decision" in p for p in problems), problems
    assert any("under rule agreeing" in p and "choose one with a reason" in p for p in problems), problems


# --- classification of each source ---------------------------------------------------------------------------------


KBO_ZIP = "KboOpenData_0136_2025_06_Full.zip"
KBO_MEMBERS = ("meta.csv", "code.csv", "enterprise.csv", "establishment.csv", "address.csv", "activity.csv")


def kbo_raw(tmp_path: Path, activity: dict[str, str]) -> Path:
    """The KBO test extract (tests/fixtures/kbo/full, real headers) with lines of activity.csv replaced."""
    folder = tmp_path / "raw" / kbo.FOLDER
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / KBO_ZIP, "w") as archive:
        for member in KBO_MEMBERS:
            text = (FIXTURES / "kbo" / "full" / member).read_text(encoding="utf-8")
            if member == "activity.csv":
                for old, new in activity.items():
                    assert old in text
                    text = text.replace(old, new)
            archive.writestr(member, text)
    return tmp_path / "raw"


def test_kbo_units_coded_only_in_nace_bel_2025_get_their_sector(tmp_path):
    raw = kbo_raw(tmp_path, {
        # Enterprise 0410.000.093 (ASBL, units 2.100.000.510/609 at 7500 Tournai, 708 in France): MAIN only in 2025.
        '"0410.000.093","003","2008","88999","MAIN"': '"0410.000.093","003","2025","86210","MAIN"',
        # Unit 2.100.000.807 (7700 Mouscron): its own MAIN activity, a 7-digit NACE-BEL 2025 code.
        '"2.100.000.807","006","2008","56101","MAIN"': '"2.100.000.807","006","2025","8552001","MAIN"',
    })
    con = duckdb.connect()
    kbo.load(con, raw, tmp_path / "work")
    result = harmonise.harmonise_registry(con, harmonise.KBO)
    by_geo_sector = con.execute(
        "SELECT geo, family, excluded, nace_a10, sum(establishments) FROM harmonised.establishments "
        "WHERE family IN ('ASSOC', 'NONE') GROUP BY ALL ORDER BY ALL").fetchall()
    # Hand-computed (tests/fixtures/kbo/README.md, with the two changes above): 7000 Mons BE323: 86.21 (2008) and
    # 46.21 (2008); 5000 Namur BE352: the real 2025-only row 84130 -> 84.13, excluded; 8500 Kortrijk BE254: NACE 2003
    # -> UNK; 7500 Tournai BE328: 2 units 86210 (2025) and 1 unit without activity (UNK); 7700 BE328: 8552001 -> 85.52.
    assert ("BE328", "ASSOC", False, "O-Q", 2) in by_geo_sector
    assert ("BE328", "ASSOC", False, "UNK", 1) in by_geo_sector
    assert ("BE352", "NONE", True, "O-Q", 1) in by_geo_sector
    assert con.execute("SELECT nace_a10, sum(establishments) FROM harmonised.establishments WHERE geo = 'BE328' "
                       "GROUP BY ALL ORDER BY ALL").fetchall() == [("O-Q", 3), ("UNK", 1)]
    accounting = {a["outcome"]: (a["rows"], a["nace2025_rows"], a["nace2025_ambiguous_rows"])
                  for a in result["accounting"]}
    assert accounting == {"used": (8, 4, 0), "outside_area": (1, 1, 0), "rejected": (1, 0, 0)}
    mart.build_establishments(con)
    assert con.execute(
        "SELECT family, establishments FROM mart.establishments WHERE geo = 'BE328' AND nace_a10 = 'O-Q' "
        "AND family IN ('ASSOC', 'ESS', 'ALL') ORDER BY family").fetchall() == [("ALL", 3), ("ASSOC", 2), ("ESS", 2)]


def test_every_class_of_the_correspondence_gets_a_sector_in_the_kbo_sql():
    """No NACE-BEL 2025 code whose class is in the correspondence ends under UNK (7-digit codes as the KBO has)."""
    con = duckdb.connect()
    nomenclatures.register(con)
    con.execute("CREATE SCHEMA src")
    con.execute("CREATE TABLE src.be_kbo_codes AS SELECT 'JuridicalForm' AS category, '017' AS code, 'FR' AS language, "
                "'Association sans but lucratif' AS description")
    con.execute(
        """CREATE TABLE src.be_kbo_establishments AS
           SELECT DATE '2025-10-11' AS snapshot_date, '7500' AS postcode, false AS "foreign", '017' AS juridical_form,
                  '2' AS type_of_enterprise, '2025' AS nace_version, replace(nace21_class, '.', '') || '001' AS nace_code,
                  false AS employer, 1::BIGINT AS establishments
           FROM nom.nace21_classes""")
    harmonise.harmonise_registry(con, harmonise.KBO)
    assert con.execute("SELECT sum(establishments) FILTER (WHERE nace_a10 = 'UNK'), sum(establishments) "
                       "FROM harmonised.establishments").fetchone() == (None, 651)
    assert con.execute("SELECT outcome, rows, nace2025_rows, nace2025_ambiguous_rows FROM meta.row_accounting "
                       "WHERE source_id = 'be_kbo'").fetchall() == [("used", 651, 651, 41)]


ONSS_JOBS = """TRIMESTRE,REFNIS,FORME_JURIDIQUE,AGREMENT,NACE_VERSION,NACE,SEXE,CLASSE_AGE,POSTES,ETP
2023Q4,57081,017,,2025,86210,F,45-54,10,9.5
2023Q4,57081,017,,2025,84250,M,35-44,6,
2023Q4,57081,017,,2025,62100,F,25-34,5,
2023Q4,57081,017,,2025,95310,M,25-34,4,
2023Q4,57081,017,,2008,88101,F,25-34,3,
2023Q4,57081,017,,2025,00100,F,25-34,2,
"""
ONSS_UNITS = """TRIMESTRE,REFNIS,FORME_JURIDIQUE,AGREMENT,NACE_VERSION,NACE,NB_UNITES,POSTES_MAX_UNITE
2023Q4,57081,017,,2025,86210,3,5
2023Q4,57081,017,,2025,84250,3,2
2023Q4,57081,017,,2025,62100,3,2
2023Q4,57081,017,,2025,95310,3,2
2023Q4,57081,017,,2008,88101,3,1
2023Q4,57081,017,,2025,00100,3,1
"""


def test_onss_rows_in_nace_bel_2025_are_classified_and_counted(tmp_path):
    folder = tmp_path / "raw" / onss.FOLDER
    folder.mkdir(parents=True)
    (folder / "onss_postes_2023Q4.csv").write_text(ONSS_JOBS, encoding="utf-8")
    (folder / "onss_unites_2023Q4.csv").write_text(ONSS_UNITS, encoding="utf-8")
    con = duckdb.connect()
    assert onss.load_year(con, tmp_path / "raw", 2023)["jobs_rows_2025_codes"] == 5
    con.execute("CREATE TABLE src.be_kbo_codes AS SELECT 'JuridicalForm' AS category, '017' AS code, 'FR' AS language, "
                "'Association sans but lucratif' AS description")
    result = harmonise.harmonise_jobs_year(con, harmonise.ONSS, 2023)
    # Tournai (57081) is BE328; every row ASBL (ASSOC).
    assert con.execute("SELECT nace_a10, excluded, sum(jobs) FROM harmonised.jobs GROUP BY ALL ORDER BY ALL"
                       ).fetchall() == [
        ("G-I", False, 4),  # 95.31 -> 45.20
        ("J", False, 5),  # 62.10 -> 62.01
        ("O-Q", False, 13),  # 86.21 (2025) and 88.10 (2008)
        ("O-Q", True, 6),  # 84.25 (ambiguous) -> 84.25, excluded
    ]
    assert con.execute("SELECT reason, raw_text FROM meta.rejects WHERE source_id = 'be_onss' AND file_name = "
                       "'onss_postes_2023Q4.csv'").fetchall() == [
        ("NACE-BEL 2025 code whose NACE Rev. 2.1 class 00.10 is not in the correspondence NACE Rev. 2.1 -> Rev. 2",
         "2023Q4,57081,017,,2025,00100,F,25-34,2")]
    accounting = {(a["file_name"], a["outcome"]): (a["rows"], a["jobs"], a["nace2025_rows"], a["nace2025_jobs"],
                                                   a["nace2025_ambiguous_rows"], a["nace2025_ambiguous_jobs"])
                  for a in result["accounting"]}
    assert accounting == {
        ("onss_postes_2023Q4.csv", "used"): (5, 28, 4, 25, 1, 6),
        ("onss_postes_2023Q4.csv", "rejected"): (1, 2, 0, 0, 0, 0),
        ("onss_unites_2023Q4.csv", "used"): (5, None, 4, None, 1, None),
        ("onss_unites_2023Q4.csv", "rejected"): (1, None, 0, None, 0, None),
    }


def sirene_raw(tmp_path: Path, changes: dict[str, dict[str, str]], drop: str | None = None) -> Path:
    """The SIRENE test files (tests/fixtures/sirene, real header) with fields of some establishments (by siret)
    changed, and optionally a column dropped."""
    folder = tmp_path / "raw" / sirene.FOLDER
    folder.mkdir(parents=True)
    (folder / "StockUniteLegale_utf8.csv").write_bytes((FIXTURES / "sirene" / "StockUniteLegale_utf8.csv").read_bytes())
    with (FIXTURES / "sirene" / "StockEtablissement_utf8.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(changes.get(row["siret"], {}))
    columns = [c for c in rows[0] if c != drop]
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (folder / "StockEtablissement_utf8.csv").write_text(out.getvalue(), encoding="utf-8")
    return tmp_path / "raw"


NAF25 = "activitePrincipaleNAF25Etablissement"
APE = "activitePrincipaleEtablissement"
NOMENCLATURE = "nomenclatureActivitePrincipaleEtablissement"
SIRENE_CHANGES = {
    # 59350 Lille, P unit of CJ 1000 (NONE): no APE at all, only a NAF 2025 code.
    "40000000400018": {APE: "", NOMENCLATURE: "", NAF25: "86.21Y"},
    # 80021 Amiens, real unit 000325175 (CJ 1000): an APE in NAF rev. 1, and a NAF 2025 code.
    "00032517500065": {APE: "93.0K", NOMENCLATURE: "NAFRev1", NAF25: "68.12Y"},
    # 62041 Arras, SAS with the ESS flag (SOCENT): only a NAF 2025 code, of an ambiguous class.
    "40000000200016": {APE: "", NOMENCLATURE: "", NAF25: "84.25Y"},
    # 59350, the association (ASSOC): a NAF rev. 2 APE wins over its NAF 2025 code, whatever that says.
    "40000000100011": {NAF25: "62.10Y"},
    # 59350, the association: the APE itself in NAF 2025 [U: the nomenclature value is an assumption].
    "40000000100029": {APE: "88.91Y", NOMENCLATURE: "NAF2025", NAF25: ""},
}


def test_sirene_establishments_with_only_a_naf_2025_code_are_classified(tmp_path):
    con = duckdb.connect()
    info = sirene.load(con, sirene_raw(tmp_path, SIRENE_CHANGES), tmp_path / "work")
    assert info["establishments_naf2025_only"] == 4  # the 3 without a NAF rev. 2 code + the NAF2025 APE
    result = harmonise.harmonise_registry(con, harmonise.SIRENE)
    rows = con.execute("SELECT geo, family, excluded, nace_a10, establishments, employer_establishments "
                       "FROM harmonised.establishments ORDER BY ALL").fetchall()
    assert rows == [
        ("FRE11", "ASSOC", False, "O-Q", 3, 2),  # 88.10A (NAF rev. 2) x2 and 88.91Y (NAF 2025 APE) -> 88.91
        ("FRE11", "NONE", False, "O-Q", 1, None),  # 86.21Y -> 86.21
        ("FRE12", "SOCENT", True, "O-Q", 1, 1),  # 84.25Y: ambiguous, read as 84.25 (excluded)
        ("FRE23", "NONE", False, "F", 1, None),  # 68.12Y -> 41.10: construction, not real estate
    ]
    accounting = {a["outcome"]: (a["rows"], a["nace2025_rows"], a["nace2025_ambiguous_rows"])
                  for a in result["accounting"]}
    # Outside the area: the establishment in Brussels (no commune) and the one in Corsica, both NAF rev. 2.
    assert accounting == {"used": (6, 4, 1), "outside_area": (2, 0, 0)}


def test_sirene_without_the_naf25_column_still_loads(tmp_path):
    con = duckdb.connect()
    sirene.load(con, sirene_raw(tmp_path, SIRENE_CHANGES, drop=NAF25), tmp_path / "work")
    harmonise.harmonise_registry(con, harmonise.SIRENE)
    # Without the column only the NAF 2025 APE is converted; the three others have no NACE Rev. 2 reading.
    assert con.execute("SELECT nace_a10, sum(establishments) FROM harmonised.establishments GROUP BY ALL ORDER BY ALL"
                       ).fetchall() == [("O-Q", 3), ("UNK", 3)]


FLORES_JOBS = """ANNEE;DEPCOM;CJ;APET;SEXE;TRAGE;POSTES;EQTP;{column}
2023;59350;9220;8810A;2;45;10;8,5;NAFRev2
2023;59350;9220;6210Y;2;45;7;;NAF2025
2023;59350;9220;6812Y;1;45;6;;NAF2025
2023;59350;9220;0510Y;1;30;5;;NAF2025
2023;59350;9220;8899B;1;30;4;;
"""
FLORES_UNITS = """ANNEE;DEPCOM;CJ;APET;NBETAB;POSTES_MAX_ETAB;{column}
2023;59350;9220;8810A;3;4;NAFRev2
2023;59350;9220;6210Y;3;3;NAF2025
2023;59350;9220;6812Y;3;2;NAF2025
2023;59350;9220;0510Y;3;2;NAF2025
2023;59350;9220;8899B;3;2;
"""


def flores_raw(tmp_path: Path, jobs: str = FLORES_JOBS, units: str = FLORES_UNITS) -> Path:
    folder = tmp_path / "raw" / flores.FOLDER
    folder.mkdir(parents=True)
    (folder / "flores_postes_2023.csv").write_text(jobs.format(column=flores.NAF_VERSION_COLUMN), encoding="utf-8")
    (folder / "flores_etablissements_2023.csv").write_text(units.format(column=flores.NAF_VERSION_COLUMN),
                                                            encoding="utf-8")
    return tmp_path / "raw"


def test_flores_apet_in_naf_2025_is_classified_through_the_correspondence(tmp_path):
    con = duckdb.connect()
    assert flores.load_year(con, flores_raw(tmp_path), 2023)["jobs_rows_2025_codes"] == 3
    result = harmonise.harmonise_jobs_year(con, harmonise.FLORES, 2023)
    # Lille (FRE11), association (ASSOC): hand-computed sectors of the table in the module docstring.
    assert con.execute("SELECT nace_a10, sum(jobs) FROM harmonised.jobs GROUP BY ALL ORDER BY ALL").fetchall() == [
        ("B-E", 5),  # 05.10 (ambiguous: 05.10 or 43.12) -> 05.10
        ("F", 6),  # 68.12 -> 41.10
        ("J", 7),  # 62.10 -> 62.01
        ("O-Q", 14),  # 88.10A and 88.99B, NAF rev. 2 (an empty NAF_VERSION is NAF rev. 2)
    ]
    jobs = next(a for a in result["accounting"] if a["file_name"] == "flores_postes_2023.csv")
    assert (jobs["outcome"], jobs["rows"], jobs["jobs"], jobs["nace2025_rows"], jobs["nace2025_jobs"],
            jobs["nace2025_ambiguous_rows"], jobs["nace2025_ambiguous_jobs"]) == ("used", 5, 32, 3, 18, 1, 5)


def test_flores_without_the_version_column_is_naf_rev2(tmp_path):
    con = duckdb.connect()
    flores.load_year(con, flores_raw_plain(tmp_path), 2023)
    assert con.execute("SELECT DISTINCT naf_version FROM src.fr_flores_jobs").fetchall() == [("NAFRev2",)]


def flores_raw_plain(tmp_path: Path) -> Path:
    folder = tmp_path / "raw" / flores.FOLDER
    folder.mkdir(parents=True)
    for name in ("flores_postes_2023.csv", "flores_etablissements_2023.csv"):
        (folder / name).write_bytes((FIXTURES / "flores" / name).read_bytes())
    return tmp_path / "raw"


def test_flores_unknown_version_value_is_refused_naming_the_column(tmp_path):
    raw = flores_raw(tmp_path, FLORES_JOBS.replace("6210Y;2;45;7;;NAF2025", "6210Y;2;45;7;;NAF2008"))
    with pytest.raises(InputError) as caught:
        flores.load_year(duckdb.connect(), raw, 2023)
    assert (caught.value.line, caught.value.column) == (3, flores.NAF_VERSION_COLUMN)
    assert "NAF2008" in str(caught.value)
