"""The synthetic sample generator: deterministic, in the producers' formats, consistent with the contracts."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest

from observatory.sample import (
    DEFAULT_SEED,
    DEFAULT_YEARS,
    flores,
    generate_sample,
    kbo,
    kbo_number_is_valid,
    onss,
    sirene,
    territory,
)
from observatory.sample.flores import FR_STRATA
from observatory.sample.onss import BE_STRATA

ROOT = Path(__file__).resolve().parents[1]
NOMENCLATURES = ROOT / "observatory" / "nomenclatures"
GENERATOR = ROOT / "observatory" / "sample"
COMMITTED_SAMPLE = ROOT / "data" / "raw"
SCALE = 0.2
YEARS = (2022, 2023, 2024)

# Headers copied from the references (sources-fr.md, sources-be.md, contracts.md), not from the generator.
SIRENE_UNITS = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,"
    "sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,"
    "prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,"
    "trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,"
    "nombrePeriodesUniteLegale,categorieEntreprise,anneeCategorieEntreprise,dateDebut,"
    "etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,"
    "denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,"
    "categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,"
    "nicSiegeUniteLegale,economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,"
    "caractereEmployeurUniteLegale,activitePrincipaleNAF25UniteLegale"
)
SIRENE_ESTABLISHMENTS = (
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,"
    "anneeEffectifsEtablissement,activitePrincipaleRegistreMetiersEtablissement,"
    "dateDernierTraitementEtablissement,etablissementSiege,nombrePeriodesEtablissement,"
    "complementAdresseEtablissement,numeroVoieEtablissement,indiceRepetitionEtablissement,"
    "dernierNumeroVoieEtablissement,indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,"
    "libelleVoieEtablissement,codePostalEtablissement,libelleCommuneEtablissement,"
    "libelleCommuneEtrangerEtablissement,distributionSpecialeEtablissement,codeCommuneEtablissement,"
    "codeCedexEtablissement,libelleCedexEtablissement,codePaysEtrangerEtablissement,"
    "libellePaysEtrangerEtablissement,identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,"
    "coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,numeroVoie2Etablissement,"
    "indiceRepetition2Etablissement,typeVoie2Etablissement,libelleVoie2Etablissement,codePostal2Etablissement,"
    "libelleCommune2Etablissement,libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,"
    "codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,"
    "codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,etatAdministratifEtablissement,"
    "enseigne1Etablissement,enseigne2Etablissement,enseigne3Etablissement,denominationUsuelleEtablissement,"
    "activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement,"
    "caractereEmployeurEtablissement,activitePrincipaleNAF25Etablissement"
)
KBO = {
    "meta.csv": '"Variable","Value"',
    "code.csv": '"Category","Code","Language","Description"',
    "enterprise.csv": '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm",'
                      '"JuridicalFormCAC","StartDate"',
    "establishment.csv": '"EstablishmentNumber","StartDate","EnterpriseNumber"',
    "denomination.csv": '"EntityNumber","Language","TypeOfDenomination","Denomination"',
    "address.csv": '"EntityNumber","TypeOfAddress","CountryNL","CountryFR","Zipcode","MunicipalityNL",'
                   '"MunicipalityFR","StreetNL","StreetFR","HouseNumber","Box","ExtraAddressInfo","DateStrikingOff"',
    "contact.csv": '"EntityNumber","EntityContact","ContactType","Value"',
    "activity.csv": '"EntityNumber","ActivityGroup","NaceVersion","NaceCode","Classification"',
    "branch.csv": '"Id","StartDate","EnterpriseNumber"',
}
FLORES_JOBS = "ANNEE;DEPCOM;CJ;APET;SEXE;TRAGE;POSTES;EQTP"
FLORES_UNITS = "ANNEE;DEPCOM;CJ;APET;NBETAB;POSTES_MAX_ETAB"
ONSS_JOBS = "TRIMESTRE,REFNIS,FORME_JURIDIQUE,AGREMENT,NACE_VERSION,NACE,SEXE,CLASSE_AGE,POSTES,ETP"
ONSS_UNITS = "TRIMESTRE,REFNIS,FORME_JURIDIQUE,AGREMENT,NACE_VERSION,NACE,NB_UNITES,POSTES_MAX_UNITE"


def _nomenclature(name: str) -> list[dict[str, str]]:
    with (NOMENCLATURES / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, years=YEARS, scale=SCALE)
    return out


def _zip_csv(path: Path, member: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(member).decode("utf-8")


def _delimited(path: Path, delimiter: str) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return rows[0], rows[1:]


def test_two_runs_are_byte_identical(sample: Path, tmp_path: Path) -> None:
    files = generate_sample(tmp_path, years=YEARS, scale=SCALE)
    assert files
    first = sorted(p.relative_to(sample) for p in sample.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second
    for relative in first:
        assert (sample / relative).read_bytes() == (tmp_path / relative).read_bytes(), relative


def test_a_different_seed_gives_different_figures(tmp_path: Path) -> None:
    generate_sample(tmp_path / "a", years=(2024,), scale=0.05, seed=1)
    generate_sample(tmp_path / "b", years=(2024,), scale=0.05, seed=2)
    name = Path("fr") / "flores" / "flores_postes_2024.csv"
    assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "b" / name).read_bytes()


def test_layout_and_sidecars(sample: Path) -> None:
    expected = [Path("fr/sirene/StockUniteLegale_utf8.zip"), Path("fr/sirene/StockEtablissement_utf8.zip"),
                Path("be/kbo/KboOpenData_0118_2024_01_Full.zip")]
    # The monthly Updates after the Full, each named for the month it is published in.
    expected += [Path(f"be/kbo/KboOpenData_{118 + m:04d}_{2024 + m // 12}_{m % 12 + 1:02d}_Update.zip")
                 for m in range(1, 13)]
    for year in YEARS:
        expected += [Path(f"fr/flores/flores_postes_{year}.csv"),
                     Path(f"fr/flores/flores_etablissements_{year}.csv"),
                     Path(f"be/onss/onss_postes_{year}Q4.csv"), Path(f"be/onss/onss_unites_{year}Q4.csv")]
    # Population files cover the jobs years and the next one (population on 1 January of Y+1).
    expected += [Path("eu/eurostat/demo_r_pjangrp3.csv.gz"), Path("eu/eurostat/lfst_r_lfe2en2.tsv.gz"),
                 Path("fr/insee_population/estim-pop-dep-sexe-aq-1975-2025.xlsx")]
    expected += [Path(f"be/statbel_population/TF_SOC_POP_STRUCT_{year}.zip")
                 for year in range(YEARS[0], YEARS[-1] + 2)]
    data = sorted(p.relative_to(sample) for p in sample.rglob("*")
                  if p.is_file() and not p.name.endswith(".origin.json") and p.name != "README.md")
    assert data == sorted(expected)
    assert "SYNTHETIC" in (sample / "README.md").read_text(encoding="utf-8")
    for relative in expected:
        origin = json.loads((sample / relative).with_name(relative.name + ".origin.json").read_text("utf-8"))
        assert origin["synthetic"] is True
        assert origin["retrieved"] == "2025-01-01"
        assert {"producer", "url", "licence", "reference_period", "generator", "note"} <= set(origin)
        assert f"scale {SCALE:g}" in origin["generator"]


def test_headers_are_exactly_the_references(sample: Path) -> None:
    sirene = sample / "fr" / "sirene"
    units = _zip_csv(sirene / "StockUniteLegale_utf8.zip", "StockUniteLegale_utf8.csv")
    establishments = _zip_csv(sirene / "StockEtablissement_utf8.zip", "StockEtablissement_utf8.csv")
    assert units.split("\n", 1)[0] == SIRENE_UNITS
    assert establishments.split("\n", 1)[0] == SIRENE_ESTABLISHMENTS
    kbo = sample / "be" / "kbo" / "KboOpenData_0118_2024_01_Full.zip"
    with zipfile.ZipFile(kbo) as archive:
        assert sorted(archive.namelist()) == sorted(KBO)
    for member, header in KBO.items():
        assert _zip_csv(kbo, member).split("\n", 1)[0] == header, member
    boms = 0
    for year in YEARS:
        for name, header in ((f"flores_postes_{year}.csv", FLORES_JOBS),
                             (f"flores_etablissements_{year}.csv", FLORES_UNITS)):
            raw = (sample / "fr" / "flores" / name).read_bytes()
            boms += raw.startswith(b"\xef\xbb\xbf")
            assert raw.decode("utf-8").removeprefix("\ufeff").split("\n", 1)[0] == header
            assert b'"' not in raw  # no quoting
        for name, header in ((f"onss_postes_{year}Q4.csv", ONSS_JOBS),
                             (f"onss_unites_{year}Q4.csv", ONSS_UNITS)):
            assert (sample / "be" / "onss" / name).read_text("utf-8").split("\n", 1)[0] == header
    assert boms == 2  # both files of one year only


def test_kbo_quoting_and_meta(sample: Path) -> None:
    kbo = sample / "be" / "kbo" / "KboOpenData_0118_2024_01_Full.zip"
    assert _zip_csv(kbo, "meta.csv").splitlines()[1:] == [
        '"SnapshotDate","31-12-2023"', '"ExtractTimestamp","01-01-2024 07:07:49"', '"ExtractType","full"',
        '"ExtractNumber","118"', '"Version","1.0.0"']
    lines = _zip_csv(kbo, "enterprise.csv").splitlines()[1:]
    # Text quoted, dates unquoted, NULL empty and unquoted.
    assert all(line.split(",")[-1][:2].isdigit() and line.split(",")[-1][2] == "-" for line in lines)
    assert any(',"1",,,' in line for line in lines)  # a natural person: no juridical form
    assert any(',"006","706",' in line for line in lines)  # pre-2019 cooperative with its CAC form


def _flores(sample: Path, year: int) -> tuple[dict, dict, list[list[str]]]:
    header, jobs = _delimited(sample / "fr" / "flores" / f"flores_postes_{year}.csv", ";")
    header_u, units = _delimited(sample / "fr" / "flores" / f"flores_etablissements_{year}.csv", ";")
    totals: dict[tuple, int] = defaultdict(int)
    for row in jobs:
        assert row[0] == str(year)
        assert "." not in row[7]  # decimal comma
        totals[tuple(row[:4])] += int(row[6])
    unit_rows = {tuple(row[:4]): (int(row[4]), int(row[5])) for row in units}
    assert len(unit_rows) == len(units)  # one row per key
    return totals, unit_rows, jobs


def _check_units(totals: dict, unit_rows: dict) -> None:
    assert set(totals) == set(unit_rows)
    for key, (count, largest) in unit_rows.items():
        assert count >= 1, key
        assert largest <= totals[key], key
        if count == 1:
            assert largest == totals[key], key
    assert any(count == 1 for count, _ in unit_rows.values())
    assert any(count == 2 for count, _ in unit_rows.values())
    assert any(count > 1 and largest > 0.85 * totals[key] for key, (count, largest) in unit_rows.items())


def test_flores_invariants(sample: Path) -> None:
    for year in YEARS:
        totals, unit_rows, jobs = _flores(sample, year)
        _check_units(totals, unit_rows)
        assert any(1 <= int(row[6]) <= 4 for row in jobs)  # small cells
        assert any(row[7] == "" for row in jobs)  # some EQTP not delivered
        assert all("." not in row[3] and len(row[3]) == 5 for row in jobs)  # APET without dot


def _onss(sample: Path, year: int) -> tuple[dict, dict, list[list[str]]]:
    _, jobs = _delimited(sample / "be" / "onss" / f"onss_postes_{year}Q4.csv", ",")
    _, units = _delimited(sample / "be" / "onss" / f"onss_unites_{year}Q4.csv", ",")
    totals: dict[tuple, int] = defaultdict(int)
    for row in jobs:
        assert row[0] == f"{year}Q4"
        assert "," not in row[9]
        totals[tuple(row[:6])] += int(row[8])
    unit_rows = {tuple(row[:6]): (int(row[6]), int(row[7])) for row in units}
    assert len(unit_rows) == len(units)
    return totals, unit_rows, jobs


def test_onss_invariants(sample: Path) -> None:
    forms = {line.split(",")[1].strip('"') for line in
             _zip_csv(sample / "be" / "kbo" / "KboOpenData_0118_2024_01_Full.zip", "code.csv").splitlines()
             if line.startswith('"JuridicalForm"')}
    raw = (sample / "be" / "onss" / f"onss_postes_{YEARS[-1]}Q4.csv").read_text("utf-8")
    assert '"' not in raw and ",CNC+ES," in raw
    for year in YEARS:
        totals, unit_rows, jobs = _onss(sample, year)
        _check_units(totals, unit_rows)
        assert {row[2] for row in jobs} <= forms  # every juridical form is in the KBO code list
        assert {row[4] for row in jobs} == {"2008", "2025"}
        assert {row[3] for row in jobs} == {"", "CNC", "ES", "CNC+ES"}


def test_every_area_nuts3_has_jobs_of_both_sexes_and_every_age(sample: Path) -> None:
    dep_nuts3 = {r["dep"]: r["nuts3"] for r in _nomenclature("fr_departments") if r["in_area"] == "true"}
    arr_nuts3 = {r["arrondissement"]: r["nuts3"] for r in _nomenclature("be_arrondissements")
                 if r["in_area"] == "true"}
    area = {r["geo"] for r in _nomenclature("geo") if r["geo_level"] == "NUTS3"}
    assert len(area) == 32
    ages = _nomenclature("age_classes")
    for year in YEARS:
        seen: dict[str, set] = defaultdict(set)
        _, _, jobs = _flores(sample, year)
        for row in jobs:
            if row[1][:2] in dep_nuts3 and int(row[6]) > 0:
                seen[dep_nuts3[row[1][:2]]].add((row[4], row[5]))
        _, _, jobs = _onss(sample, year)
        for row in jobs:
            if row[1][:2] in arr_nuts3 and int(row[8]) > 0:
                seen[arr_nuts3[row[1][:2]]].add((row[6], row[7]))
        assert set(seen) == area
        for nuts3, cells in seen.items():
            system = "flores" if nuts3.startswith("FR") else "onss"
            sexes = ("1", "2") if system == "flores" else ("M", "F")
            classes = [a["source_class"] for a in ages if a["source_system"] == system]
            assert cells == {(s, a) for s in sexes for a in classes}, (year, nuts3)


def test_unknown_codes_hold_few_jobs(sample: Path) -> None:
    deps = {r["dep"] for r in _nomenclature("fr_departments")}
    level2 = {r["code2"] for r in _nomenclature("fr_legal_categories_level2")}
    arrondissements = {r["arrondissement"] for r in _nomenclature("be_arrondissements")}
    for year in YEARS:
        _, _, jobs = _flores(sample, year)
        unknown = sum(int(r[6]) for r in jobs if r[1][:2] not in deps or r[2][:2] not in level2)
        assert 0 < unknown < 0.003 * sum(int(r[6]) for r in jobs)
        _, _, jobs = _onss(sample, year)
        unknown = sum(int(r[8]) for r in jobs if r[1][:2] not in arrondissements or r[4] != "2008")
        assert 0 < unknown < 0.003 * sum(int(r[8]) for r in jobs)


def test_sirene_units_and_establishments(sample: Path) -> None:
    sirene = sample / "fr" / "sirene"
    units = list(csv.DictReader(io.StringIO(_zip_csv(sirene / "StockUniteLegale_utf8.zip",
                                                     "StockUniteLegale_utf8.csv"))))
    establishments = list(csv.DictReader(io.StringIO(_zip_csv(sirene / "StockEtablissement_utf8.zip",
                                                              "StockEtablissement_utf8.csv"))))
    sirens = {u["siren"] for u in units}
    assert len(sirens) == len(units)
    orphans = {e["siren"] for e in establishments if e["siren"] not in sirens}
    assert 2 <= len(orphans) <= 3
    for row in establishments:
        assert row["siret"] == row["siren"] + row["nic"] and len(row["nic"]) == 5
    processed = [r["dateDernierTraitementEtablissement"] for r in establishments]
    processed += [u["dateDernierTraitementUniteLegale"] for u in units]
    assert max(processed).startswith("2024-12-31T") and max(processed) <= "2024-12-31T23:59:59"
    assert {u["etatAdministratifUniteLegale"] for u in units} == {"A", "C"}
    assert {e["etatAdministratifEtablissement"] for e in establishments} == {"A", "F"}
    nomenclatures = {e["nomenclatureActivitePrincipaleEtablissement"] for e in establishments}
    assert {"NAFRev2", "NAFRev1"} <= nomenclatures
    assert any(e["codePostalEtablissement"] == "[ND]" and e["codeCommuneEtablissement"]
               for e in establishments)
    assert any(e["codeCommuneEtablissement"] == "" and e["codePaysEtrangerEtablissement"]
               for e in establishments)
    assert {"75056", "2A004", "96001"} <= {e["codeCommuneEtablissement"] for e in establishments}
    assert all(u["activitePrincipaleNAF25UniteLegale"] == "" for u in units)
    # Every family, and every area département, among active establishments.
    families = {r["cj"]: r["family"] for r in _nomenclature("fr_legal_forms")}
    by_siren = {u["siren"]: u for u in units}

    def family(unit: dict) -> str:
        cj = unit["categorieJuridiqueUniteLegale"]
        return families.get(cj) or ("SOCENT" if unit["economieSocialeSolidaireUniteLegale"] == "O" else "")

    dep_nuts3 = {r["dep"]: r["nuts3"] for r in _nomenclature("fr_departments") if r["in_area"] == "true"}
    covered = defaultdict(set)
    for row in establishments:
        unit = by_siren.get(row["siren"])
        dep = row["codeCommuneEtablissement"][:2]
        if unit and row["etatAdministratifEtablissement"] == "A" and dep in dep_nuts3:
            covered[dep_nuts3[dep]].add(family(unit))
    assert set(covered) == set(dep_nuts3.values())
    for nuts3, found in covered.items():
        assert {"ASSOC", "COOP", "MUTUAL", "FOUND", "SOCENT", ""} <= found, nuts3
    excluded = {by_siren[e["siren"]]["activitePrincipaleUniteLegale"] for e in establishments
                if e["siren"] in by_siren and family(by_siren[e["siren"]]) == "ASSOC"}
    assert {"84.11Z", "94.11Z", "94.20Z", "94.91Z"} <= excluded


def kbo_register(sample: Path, member: str) -> list[dict[str, str]]:
    """A table of the sample's KBO register at the last Update: the Full's rows, then each Update in order, its
    deletes (every row of the keys listed) before its inserts (the KBO open data cookbook)."""
    folder = sample / "be" / "kbo"
    rows = list(csv.DictReader(io.StringIO(_zip_csv(folder / "KboOpenData_0118_2024_01_Full.zip", member))))
    table = member.removesuffix(".csv")
    for update in sorted(folder.glob("KboOpenData_*_Update.zip")):
        deleted = list(csv.DictReader(io.StringIO(_zip_csv(update, f"{table}_delete.csv"))))
        inserted = list(csv.DictReader(io.StringIO(_zip_csv(update, f"{table}_insert.csv"))))
        if deleted:
            (key,) = deleted[0]
            gone = {d[key] for d in deleted}
            rows = [r for r in rows if r[key] not in gone]
        rows += inserted
    return rows


def test_kbo_updates_start_cease_and_change_enterprises(sample: Path) -> None:
    full = {r["EnterpriseNumber"]: r for r in csv.DictReader(io.StringIO(
        _zip_csv(sample / "be" / "kbo" / "KboOpenData_0118_2024_01_Full.zip", "enterprise.csv")))}
    last = {r["EnterpriseNumber"]: r for r in kbo_register(sample, "enterprise.csv")}
    started, ceased = set(last) - set(full), set(full) - set(last)
    assert started and ceased
    # Started: in 2024 (after the Full's 31-12-2023); ceased: a share of the stock of the order of 5 %.
    assert all(last[n]["StartDate"].endswith("-2024") for n in started)
    assert 0.02 < len(ceased) / len(full) < 0.1
    changed = {n for n in set(full) & set(last) if full[n] != last[n]}
    assert changed and all(last[n]["JuridicalSituation"] == "012" for n in changed)
    # The units of a ceased enterprise go with it.
    units = kbo_register(sample, "establishment.csv")
    assert not {u["EnterpriseNumber"] for u in units} & ceased


def test_kbo_numbers_addresses_and_activities(sample: Path) -> None:
    def table(member: str) -> list[dict[str, str]]:
        return kbo_register(sample, member)

    enterprises = table("enterprise.csv")
    establishments = table("establishment.csv")
    assert enterprises and all(kbo_number_is_valid(e["EnterpriseNumber"]) for e in enterprises)
    assert all(len(e["EnterpriseNumber"]) == 12 for e in enterprises)
    assert all(kbo_number_is_valid(e["EstablishmentNumber"]) and e["EstablishmentNumber"].startswith("2.")
               for e in establishments)
    numbers = {e["EnterpriseNumber"] for e in enterprises}
    assert {e["EnterpriseNumber"] for e in establishments} <= numbers
    assert all(e["JuridicalForm"] == "" for e in enterprises if e["TypeOfEnterprise"] == "1")
    assert kbo_number_is_valid("0403.449.823") and kbo_number_is_valid("0200.065.765")
    assert not kbo_number_is_valid("0403.449.824")

    postcode_nuts3 = {r["postcode"]: r["nuts3"] for r in _nomenclature("be_postcode_nuts3")}
    area = {r["nuts3"] for r in _nomenclature("be_arrondissements") if r["in_area"] == "true"}
    addresses = table("address.csv")
    unit_places = {postcode_nuts3.get(a["Zipcode"]) for a in addresses if a["TypeOfAddress"] == "BAET"}
    assert area <= unit_places
    zipcodes = {a["Zipcode"] for a in addresses}
    assert {"1000", "4000", "2000", "0999"} <= zipcodes
    assert any(a["CountryFR"] for a in addresses)

    activities = table("activity.csv")
    assert {a["NaceVersion"] for a in activities} == {"2008", "2025"}
    assert {"001", "003", "006"} <= {a["ActivityGroup"] for a in activities}
    assert {"MAIN", "SECO"} <= {a["Classification"] for a in activities}
    assert all(len(a["NaceCode"]) == 5 and a["NaceCode"].isdigit() for a in activities)
    versions = defaultdict(set)
    for a in activities:
        versions[a["EntityNumber"]].add(a["NaceVersion"])
    assert any(v == {"2025"} for v in versions.values())


# ------------------------------------------------------------------------------------------------------------
# The generator states the producers' layouts itself: nothing from the parsers or the mappings (issue 12)
# ------------------------------------------------------------------------------------------------------------
FORBIDDEN_MODULES = ("observatory.sources", "observatory.nomenclatures")
# A string that is a module name or a path of the parsers or the mapping files ("nomenclatures",
# "nomenclatures/sex_codes.csv", "observatory.sources.kbo").
PARSER_PATH = re.compile(r"(observatory[./])?(nomenclatures|sources)([./][\w.*/-]*)?")


def _is_docstring(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    statement = parents.get(node)
    owner = parents.get(statement) if isinstance(statement, ast.Expr) else None
    body = getattr(owner, "body", None)
    return bool(body) and body[0] is statement and isinstance(
        owner, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))


def _parser_dependencies(source: str, package: str = "observatory.sample") -> list[str]:
    """What a generator module's source takes from outside the generator: observatory modules other than
    ``observatory.sample.*`` it imports, and string constants that are the name or path of the parsers or the
    mapping files (a path built to read them, a module name for importlib); prose that mentions them is allowed."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the generator package
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            modules = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for module in modules:
            inside = module == "observatory.sample" or module.startswith("observatory.sample.")
            if (module == "observatory" or module.startswith("observatory.")) and not inside:
                found.append(f"import {module}")
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and not _is_docstring(node, parents)
                and PARSER_PATH.fullmatch(node.value.strip())):
            found.append(f"string {node.value!r}")
    # ``from observatory import sample`` is inside; ``from observatory import sources`` is not.
    return sorted({f for f in found if f not in ("import observatory", "import observatory.sample")})


@pytest.mark.parametrize("source", [
    "from observatory.sources import kbo",
    "from observatory.sources.flores import HEADER",
    "import observatory.nomenclatures.nace21 as nace",
    "from observatory import sources",
    "from observatory import nomenclatures",
    "from ... import sources",
    "from observatory.provenance import Origin",
    "PATH = ROOT / 'nomenclatures' / 'sex_codes.csv'",
    "PATH = Path('observatory/nomenclatures/sex_codes.csv')",
    "importlib.import_module('observatory.sources.onss')",
])
def test_the_import_check_sees_a_dependency_on_the_parsers(source: str) -> None:
    assert _parser_dependencies(source), source


def test_the_import_check_lets_the_generator_use_itself() -> None:
    source = ('"""Docstring naming observatory/nomenclatures and observatory.sources, which is allowed."""\n'
              "import csv\nfrom observatory.sample.common import NOTE\nfrom observatory.sample import kbo\n"
              "from . import territory\nfrom .common import SNAPSHOT\n"
              "README = 'The codes agree with observatory/nomenclatures/*.csv, checked by the tests.'\n")
    assert _parser_dependencies(source) == []


def test_the_generator_takes_nothing_from_the_parsers_or_the_mappings() -> None:
    modules = sorted(GENERATOR.glob("*.py"))
    assert {p.name for p in modules} >= {"__init__.py", "common.py", "territory.py", "sirene.py", "flores.py",
                                         "kbo.py", "onss.py", "eurostat.py", "insee_population.py",
                                         "statbel_population.py"}
    found = {p.name: _parser_dependencies(p.read_text("utf-8")) for p in modules}
    assert {name: deps for name, deps in found.items() if deps} == {}
    # And at run time: importing the generator loads neither the parsers nor the mapping package.
    code = ("import sys, observatory.sample; "
            f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN_MODULES!r})))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------------------------------
# The committed sample is what the generator makes
# ------------------------------------------------------------------------------------------------------------
# Fetched vintages live beside the sample in data/raw and are never committed (.gitignore): not the generator's.
FETCHED = re.compile(r"^\d{4}-\d{2}-\d{2}|^\.incoming$|\.partial$")
# The documented cases (observatory.cases) are partners' files, written by hand, not the generator's: the examples in
# data/raw/cases refer to its units, and tests/test_cases.py checks that they link.
HAND_WRITTEN = ("cases",)


def _sample_files(root: Path) -> set[Path]:
    files = set()
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if (path.is_file() and not any(FETCHED.search(part) for part in relative.parts[:-1])
                and relative.parts[0] not in HAND_WRITTEN):
            files.add(relative)
    return files


def _zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_committed_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    """data/raw is the generator's output at the default years, scale and seed, file for file and byte for byte
    (the generator fixes every archive timestamp, so byte equality holds for the ZIP, xlsx and gzip files too)."""
    written = generate_sample(tmp_path, years=DEFAULT_YEARS, scale=1.0, seed=DEFAULT_SEED)
    made = _sample_files(tmp_path)
    assert {p.relative_to(tmp_path) for p in written} == made
    committed = _sample_files(COMMITTED_SAMPLE)
    assert sorted(committed - made) == [], "files in data/raw the generator does not make"
    assert sorted(made - committed) == [], "files the generator makes that data/raw lacks"
    different = []
    for relative in sorted(made):
        ours, theirs = (tmp_path / relative).read_bytes(), (COMMITTED_SAMPLE / relative).read_bytes()
        if ours == theirs:
            continue
        if relative.suffix in (".zip", ".xlsx"):  # name the members that differ
            a, b = _zip_members(tmp_path / relative), _zip_members(COMMITTED_SAMPLE / relative)
            members = sorted(set(a) ^ set(b)) + sorted(m for m in set(a) & set(b) if a[m] != b[m])
            different.append(f"{relative} (members {members or 'equal: archive metadata differs'})")
        else:
            different.append(str(relative))
    assert different == [], "regenerate with: python -m observatory.sample --out data/raw"


# ------------------------------------------------------------------------------------------------------------
# The codes the generator states agree with the project's mapping files (read here, never by the generator)
# ------------------------------------------------------------------------------------------------------------
def test_the_territory_agrees_with_the_mapping_files() -> None:
    deps = _nomenclature("fr_departments")
    arrs = _nomenclature("be_arrondissements")
    assert set(territory.FR_DEPARTMENTS) == {r["dep"] for r in deps if r["in_area"] == "true"}
    area_arr_nuts3 = {r["arrondissement"]: r["nuts3"] for r in arrs if r["in_area"] == "true"}
    assert area_arr_nuts3 == territory.BE_AREA_NUTS3
    assert set(territory.BE_ARRONDISSEMENTS) == set(area_arr_nuts3)
    assert set(territory.BE_TOWNS) == set(area_arr_nuts3.values()) == territory.FLEMISH_NUTS3 | {
        n for n in area_arr_nuts3.values() if n.startswith("BE3")}
    postcodes: dict[str, list[str]] = defaultdict(list)
    for row in _nomenclature("be_postcode_nuts3"):
        if row["nuts3"] in territory.BE_TOWNS:
            postcodes[row["nuts3"]].append(row["postcode"])
    assert {nuts3: sorted(codes) for nuts3, codes in postcodes.items()} == territory.BE_POSTCODES
    assert all(town[2] in territory.BE_POSTCODES[nuts3] for nuts3, town in territory.BE_TOWNS.items())
    # The deliberately unknown codes are unknown to the mappings.
    assert territory.FR_UNKNOWN_COMMUNE[:2] not in {r["dep"] for r in deps}
    assert territory.BE_UNKNOWN_REFNIS[:2] not in {r["arrondissement"] for r in arrs}
    assert territory.BE_UNKNOWN_POSTCODE not in {r["postcode"] for r in _nomenclature("be_postcode_nuts3")}
    level2 = {r["code2"] for r in _nomenclature("fr_legal_categories_level2")}
    assert territory.FR_UNKNOWN_CJ[:2] not in level2


def test_the_delivery_codes_agree_with_the_mapping_files() -> None:
    ages = _nomenclature("age_classes")
    sexes = _nomenclature("sex_codes")
    assert [r["source_class"] for r in ages if r["source_system"] == "flores"] == flores.FLORES_AGE_CLASSES
    assert [r["source_class"] for r in ages if r["source_system"] == "onss"] == onss.ONSS_AGE_CLASSES
    assert {r["sex"]: r["source_code"] for r in sexes if r["source_system"] == "flores"} == flores.FLORES_SEX
    assert {r["sex"]: r["source_code"] for r in sexes if r["source_system"] == "onss"} == onss.ONSS_SEX
    a10 = tuple((r["nace_a10"], int(r["division_from"]), int(r["division_to"]))
                for r in _nomenclature("nace_a10") if r["division_from"])
    assert a10 == kbo.NACE_A10
    level2 = {r["code2"] for r in _nomenclature("fr_legal_categories_level2")}
    divisions = {r["division"] for r in _nomenclature("nace_divisions")}
    assert [s.legal for s in FR_STRATA if s.legal[:2] not in level2] == []
    assert [s.activity for s in FR_STRATA if s.activity[:2] not in divisions] == []
    real = kbo.real_kbo_codes()
    assert [s.activity for s in BE_STRATA if s.activity not in real["Nace2008"]] == []
    assert [s.legal for s in BE_STRATA if s.legal not in real["JuridicalForm"]] == []


def test_the_registry_headers_are_those_of_the_real_files() -> None:
    """The headers the generator states are those of the real producer files kept in tests/fixtures/real (an
    independent check of the restated layouts: the parsers' constants play no part)."""
    real = ROOT / "tests" / "fixtures" / "real"
    for stem, header in (("StockUniteLegale", sirene.SIRENE_UNIT_HEADER),
                         ("StockEtablissement", sirene.SIRENE_ESTABLISHMENT_HEADER)):
        with (real / "sirene" / f"{stem}_utf8.csv").open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == header, stem
    update = real / "kbo_update_0147"
    for member, header in kbo.KBO_HEADERS.items():
        name = member if member == "meta.csv" else member.replace(".csv", "_insert.csv")
        if not (update / name).exists():  # code.csv: the real one is the sample's own member
            continue
        with (update / name).open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == header, member
