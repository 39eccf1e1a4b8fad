"""Real producer files: the mappings agree with the producers' own code lists, and the loaders read real extracts.

Authorities (real bytes, sources in observatory/reference/README.md): the complete KBO code.csv of open-data Update
0147 and INSEE's cj_septembre_2022 list. Fixtures (sources in tests/fixtures/real/README.md): the other members of
that real Update, and real StockUniteLegale rows.
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest

from observatory import checks, harmonise, nomenclatures
from observatory.sources import kbo, sirene

REFERENCE = Path(nomenclatures.__file__).resolve().parents[1] / "reference"
KBO_CODES = REFERENCE / "kbo" / "code.csv"
INSEE_LIST = REFERENCE / "insee" / "DERIVED_cj_septembre_2022_all_levels.csv"
REAL = Path(__file__).parent / "fixtures" / "real"
HAND_FULL = Path(__file__).parent / "fixtures" / "kbo" / "full"


def kbo_labels() -> dict[str, dict[str, str]]:
    """JuridicalForm code -> {language: label} of the real code list."""
    labels: dict[str, dict[str, str]] = {}
    with KBO_CODES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Category"] == "JuridicalForm":
                labels.setdefault(row["Code"], {})[row["Language"]] = row["Description"]
    return labels


def insee_labels(level: str) -> dict[str, str]:
    with INSEE_LIST.open(encoding="utf-8", newline="") as handle:
        return {r["code"]: r["libelle"].strip() for r in csv.DictReader(handle) if r["niveau"] == level}


def with_real_code_list() -> duckdb.DuckDBPyConnection:
    """A database whose ``src.be_kbo_codes`` is the real code list, staged as the KBO loader stages code.csv."""
    con = duckdb.connect()
    con.execute(f"CREATE SCHEMA src; CREATE TABLE src.be_kbo_codes AS SELECT Category AS category, Code AS code, "
                f"Language AS language, Description AS description FROM read_csv('{KBO_CODES}', all_varchar = true)")
    return con


# --- the authorities are the producers' bytes --------------------------------------------------------------------


def test_reference_lists_are_the_recorded_producer_files() -> None:
    recorded = {
        KBO_CODES: "2742db11321990f6035f1dd480906c19ed8ed09fbb24f87fdb1685b6281fa9d6",
        REFERENCE / "insee" / "cj_septembre_2022.xls": "88063a546e7cd274e82e12fa3ed49de98be0e7529d7b96053faca4ddfb5744aa",
        INSEE_LIST: "d85c11e490d2ea4625a83f9ba026a9e9f1b33c70c706c8bc2ad3b0a29e4200dc",
    }
    for path, digest in recorded.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path
    assert len(kbo_labels()) == 146
    assert (len(insee_labels("I")), len(insee_labels("II")), len(insee_labels("III"))) == (10, 39, 260)


# --- Belgium -----------------------------------------------------------------------------------------------------


def test_every_mapped_juridical_form_carries_its_real_labels() -> None:
    real = kbo_labels()
    forms = nomenclatures.load("be_legal_forms")
    coded = forms[forms["juridical_form"] != "*"]
    assert len(coded) == 22
    for row in coded.itertuples():
        assert row.juridical_form in real, row.juridical_form
        assert (row.label_fr, row.label_nl) == (real[row.juridical_form]["FR"], real[row.juridical_form]["NL"])
        assert row.verified == "true"


# harmonisation.md (Belgium): the family of every form by its juridical form alone (no accreditation).
FAMILIES = {"017": "ASSOC", "125": "ASSOC", "026": "FOUND", "029": "FOUND", "018": "FOUND", "019": "MUTUAL",
            "021": "MUTUAL", "706": "COOP", "001": "COOP",
            **{f: "SOCENT" for f in ("506", "508", "510", "511", "512", "513", "514", "515", "560", "606", "608",
                                     "614", "651")}}


def test_each_real_juridical_form_lands_in_its_family() -> None:
    """All 146 real forms through the registry classification: the mapped ones in their family, every other one
    (014 Société anonyme, 027 Société européenne, 121 public-law mutual insurance, the pre-2019 cooperatives 006-009,
    016, 206, 208 without accreditation, ...) outside the social economy."""
    con = with_real_code_list()
    con.execute("""CREATE TABLE src.be_kbo_establishments AS
                   SELECT DATE '2025-10-11' AS snapshot_date, '7000' AS postcode, false AS "foreign",
                          code AS juridical_form, '2' AS type_of_enterprise, '2008' AS nace_version,
                          '88999' AS nace_code, true AS employer, 1::BIGINT AS establishments
                   FROM (SELECT DISTINCT code FROM src.be_kbo_codes WHERE category = 'JuridicalForm')""")
    nomenclatures.register(con)
    harmonise.run_sql_file(con, "be_registry.sql")  # the classification's family and cooperative type
    sql = (harmonise.SQL_DIR / harmonise.KBO.sql_file).read_text(encoding="utf-8")
    families = dict(con.execute(f"SELECT juridical_form, family FROM ({sql}) WHERE outcome = 'used'").fetchall())
    assert len(families) == 146
    assert {code: family for code, family in families.items() if family != "NONE"} == FAMILIES
    for code in ("014", "027", "121", "006", "007", "008", "009", "016", "206", "208", "610"):
        assert families[code] == "NONE", code


def test_the_label_check_passes_on_the_real_list_and_names_a_wrong_code(monkeypatch: pytest.MonkeyPatch) -> None:
    con = with_real_code_list()
    assert checks.kbo_form_labels(con) == []

    # The mapping the first releases shipped: 014 as a mutual society. The real list refuses it, naming the label.
    original = nomenclatures.load

    def first_release(name: str):
        frame = original(name)
        if name == "be_legal_forms":
            frame.loc[frame["juridical_form"] == "019", "juridical_form"] = "014"
        return frame

    monkeypatch.setattr(nomenclatures, "load", first_release)
    problems = checks.kbo_form_labels(con)
    assert problems == [
        "mapping 014 (MUTUAL): delivered FR label 'Société anonyme' is not "
        "'Mutualité / Société Mutualiste / Union nationale de mutualités' (be_legal_forms.csv)",
        "mapping 014 (MUTUAL): delivered NL label 'Naamloze vennootschap' is not "
        "'Ziekenfonds / Maatschappij van onderlinge bijstand / Landsbond van ziekenfondsen' (be_legal_forms.csv)",
    ]


def real_update_raw(tmp_path: Path) -> Path:
    """The hand-written Full of tests/fixtures/kbo/full renumbered 146, plus a unit and its enterprise that the real
    Update deletes, then the real Update 0147 (its members and the real code.csv) zipped as the producer names it."""
    folder = tmp_path / "raw" / kbo.FOLDER
    folder.mkdir(parents=True)
    extra = {  # 0502.503.253 and 2.004.869.739 are in the real Update's enterprise_delete and establishment_delete
        "enterprise.csv": '"0502.503.253","AC","000","2","017",,01-01-1993\n',
        "establishment.csv": '"2.004.869.739",01-01-1993,"0502.503.253"\n',
        "address.csv": '"2.004.869.739","BAET",,,"7000","Bergen","Mons","Grote Markt","Grand-Place","1","","",\n',
        "activity.csv": '"0502.503.253","001","2008","88999","MAIN"\n',
    }
    with zipfile.ZipFile(folder / "KboOpenData_0146_2025_10_Full.zip", "w") as archive:
        for member in ("meta.csv", "code.csv", "enterprise.csv", "establishment.csv", "address.csv", "activity.csv"):
            text = (HAND_FULL / member).read_text(encoding="utf-8").replace('"136"', '"146"')
            archive.writestr(member, text + extra.get(member, ""))
    with zipfile.ZipFile(folder / "KboOpenData_0147_2025_10_12_Update.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((REAL / "kbo_update_0147").glob("*.csv")):
            archive.writestr(path.name, path.read_bytes())
        archive.writestr("code.csv", KBO_CODES.read_bytes())
    return tmp_path / "raw"


def test_the_real_update_0147_is_applied(tmp_path: Path) -> None:
    con = duckdb.connect()
    info = kbo.load(con, real_update_raw(tmp_path), tmp_path / "work")
    (update,) = info["updates"]
    assert update["codes_replaced"] and update["rows"]["code.csv"] == 21_500
    assert update["rows"]["establishment_insert.csv"] == 22 and update["rows"]["enterprise_delete.csv"] == 162
    assert info["snapshot_date"] == "2025-10-11"
    assert checks.kbo_form_labels(con) == []
    # The real Update deletes 162 enterprises and inserts 28, of which 4 deleted too (their rows replaced): 158 leave
    # the open data. Of those, only 0502.503.253 was in the Full: it departs on the Update's snapshot date.
    assert update["enterprises_departed"] == 1
    assert con.execute("SELECT enterprise, departed_on FROM src.be_kbo_enterprises WHERE departed_on IS NOT NULL"
                       ).fetchall() == [("0502.503.253", date(2025, 10, 11))]

    rows = con.execute('SELECT postcode, juridical_form, type_of_enterprise, nace_version, nace_code, establishments '
                       'FROM src.be_kbo_establishments WHERE juridical_form = \'\' AND type_of_enterprise = \'1\' '
                       'AND nace_version = \'2025\' ORDER BY postcode').fetchall()
    # The 14 real units inserted whose enterprise the extract holds (natural persons created in 2025 or re-inserted),
    # each at its real BAET address with its real MAIN activity, all coded in NACE-BEL 2025 only (7 digits twice).
    assert rows == [
        ("1570", "", "1", "2025", "8552001", 1), ("1970", "", "1", "2025", "86940", 1),
        ("2220", "", "1", "2025", "96992", 1), ("2260", "", "1", "2025", "85599", 1),
        ("2440", "", "1", "2025", "90201", 1), ("2811", "", "1", "2025", "47711", 1),
        ("2950", "", "1", "2025", "8699501", 1), ("3300", "", "1", "2025", "88101", 1),
        ("4031", "", "1", "2025", "47120", 1), ("7021", "", "1", "2025", "66220", 1),
        ("8340", "", "1", "2025", "86940", 1), ("9140", "", "1", "2025", "85510", 1),
        ("9690", "", "1", "2025", "85510", 1), ("9870", "", "1", "2025", "43214", 1),
    ]
    # The other 8 inserted units belong to enterprises of the national extract, not of this small Full: orphans.
    assert info["rejects_by_reason"][kbo.ORPHAN] == 1 + 8
    # The ASBL and its unit at 7000 that the Update deletes are gone; the hand Full's three 017 units at 7500 stay.
    counts = dict(con.execute("SELECT postcode || '/' || juridical_form, sum(establishments) "
                              "FROM src.be_kbo_establishments GROUP BY ALL").fetchall())
    assert counts["7500/017"] == 3 and "7000/017" not in counts
    assert info["units_aggregated"] == 10 + 14


# --- France ------------------------------------------------------------------------------------------------------


def test_every_mapped_legal_category_is_insee_s_with_its_label() -> None:
    real = insee_labels("III")
    forms = nomenclatures.load("fr_legal_forms")
    assert len(forms) == 69 and forms["verified"].eq("true").all()
    for row in forms.itertuples():
        assert row.cj in real, row.cj
        assert row.label_fr == real[row.cj], row.cj
    level2 = nomenclatures.load("fr_legal_categories_level2").set_index("code2")["label_fr"].to_dict()
    assert level2 == insee_labels("II")


@pytest.mark.parametrize(("cj", "family"), [
    ("5431", "COOP"), ("5531", "COOP"), ("5631", "COOP"),  # SMIA
    ("5432", "COOP"), ("5532", "COOP"), ("5632", "COOP"), ("6532", "COOP"),  # SICA
    ("9223", "ASSOC"), ("9224", "ASSOC"),  # groupement d'employeurs, AARPI
    ("5458", "COOP"), ("5558", "COOP"), ("5658", "COOP"),  # SCOP
    ("6411", "MUTUAL"), ("8210", "MUTUAL"), ("9300", "FOUND"), ("9240", "ASSOC"),
    ("6533", None), ("5548", None), ("5710", None), ("5499", None),  # GAEC, SA de crédit immobilier, SAS, SARL
])
def test_borderline_french_categories(cj: str, family: str | None) -> None:
    forms = nomenclatures.load("fr_legal_forms").set_index("cj")["family"]
    assert forms.get(cj) == family


def test_real_sirene_legal_units_are_read_and_classified(tmp_path: Path) -> None:
    """Nine real StockUniteLegale rows (35 columns, NAF 2025 column included) with hand-written establishments."""
    folder = tmp_path / "raw" / sirene.FOLDER
    folder.mkdir(parents=True)
    (folder / "StockUniteLegale_utf8.csv").write_bytes((REAL / "sirene" / "StockUniteLegale_utf8.csv").read_bytes())
    (folder / "StockEtablissement_utf8.csv").write_bytes(
        (REAL / "sirene" / "StockEtablissement_utf8.csv").read_bytes())
    con = duckdb.connect()
    info = sirene.load(con, tmp_path / "raw", tmp_path / "work")
    assert info["rows_read"] == {"StockUniteLegale_utf8.csv": 9, "StockEtablissement_utf8.csv": 5}
    # The closed establishment of the ceased unit 057808172 is not counted.
    assert info["active_establishments"] == 4 and info["orphans_rejected"] == 0
    rows = con.execute("SELECT commune_example, dep_code, cj, ess_flag, activity, sum(establishments) "
                       "FROM src.fr_sirene_establishments GROUP BY ALL ORDER BY ALL").fetchall()
    assert rows == [("59350", "59", "5710", "N", "77.39Z", 1), ("62041", "62", "5699", "N", "64.20Z", 1),
                    ("80021", "80", "5599", "N", "64.19Z", 2)]
    nomenclatures.register(con)
    harmonise.run_sql_file(con, "macros.sql")  # the classification's outcome, reason and family
    sql = (harmonise.SQL_DIR / harmonise.SIRENE.sql_file).read_text(encoding="utf-8")
    outcome = con.execute(f"SELECT DISTINCT outcome, family FROM ({sql})").fetchall()
    assert outcome == [("used", "NONE")]  # real level II categories 55, 56, 57: known, and none in the ESS


# --- the embedded sample takes its codes from the producers --------------------------------------------------------


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"


def test_the_sample_carries_the_real_kbo_code_list_and_only_its_codes() -> None:
    (extract,) = (SAMPLE / kbo.FOLDER).glob("KboOpenData_*_Full.zip")
    with zipfile.ZipFile(extract) as archive:
        assert archive.read("code.csv") == KBO_CODES.read_bytes()
        enterprises = list(csv.DictReader(archive.read("enterprise.csv").decode("utf-8").splitlines()))
        activities = list(csv.DictReader(archive.read("activity.csv").decode("utf-8").splitlines()))
    real = {(r["Category"], r["Code"]) for r in csv.DictReader(KBO_CODES.read_text(encoding="utf-8").splitlines())}
    forms = {e[c] for e in enterprises for c in ("JuridicalForm", "JuridicalFormCAC") if e[c]}
    assert {"017", "019", "021", "026", "029", "706"} <= forms
    assert {("JuridicalForm", f) for f in forms} <= real
    assert {(f"Nace{a['NaceVersion']}", a["NaceCode"]) for a in activities} <= real
    onss = [row for path in sorted((SAMPLE / "be" / "onss").glob("onss_postes_*.csv"))
            for row in csv.DictReader(path.read_text(encoding="utf-8").splitlines())]
    assert {("JuridicalForm", r["FORME_JURIDIQUE"]) for r in onss} <= real
    assert {(f"Nace{r['NACE_VERSION']}", r["NACE"]) for r in onss} <= real


def test_the_real_2025_activities_land_in_their_sector(tmp_path: Path) -> None:
    """Every real NACE-BEL 2025 activity of the Update is classified through the Rev. 2.1 -> Rev. 2 correspondence
    (none under UNK). Hand-read: the first four digits are the Rev. 2.1 class; its Rev. 2 class; its A*10 group."""
    con = duckdb.connect()
    kbo.load(con, real_update_raw(tmp_path), tmp_path / "work")
    nomenclatures.register(con)
    harmonise.run_sql_file(con, "be_registry.sql")  # the classification's family and cooperative type
    sql = (harmonise.SQL_DIR / harmonise.KBO.sql_file).read_text(encoding="utf-8")
    sectors = dict(con.execute(f"SELECT DISTINCT nace_code, nace_a10 FROM ({sql}) WHERE nace_version = '2025' "
                               "AND juridical_form = ''").fetchall())
    assert sectors == {
        "8552001": "O-Q",  # 85.52 cultural education
        "86940": "O-Q",  # 86.94 nursing and midwifery (Rev. 2 86.90)
        "8699501": "O-Q",  # 86.99 other human health (Rev. 2 86.90)
        "85599": "O-Q", "85510": "O-Q", "88101": "O-Q",
        "96992": "R-U",  # 96.99 other personal services (Rev. 2 96.09)
        "90201": "R-U",  # 90.20 performing arts (Rev. 2 90.01)
        "47711": "G-I", "47120": "G-I",  # retail trade
        "66220": "K",  # insurance agents and brokers
        "43214": "F",  # electrical installation
    }
