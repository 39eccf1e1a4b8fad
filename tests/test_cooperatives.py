"""Cooperative types (issue 15): the mapping files, and the registry counts by type in mart.establishments.

Fixtures: tests/fixtures/sirene and tests/fixtures/kbo/full (real headers, see their READMEs), with a few legal forms
changed here, each change said where it is made. The expected counts are worked out by hand from those files.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import rewrite_csv

from observatory import checks, harmonise, mart, nomenclatures
from observatory.sources import kbo, sirene

FIXTURES = Path(__file__).parent / "fixtures"
KBO_MEMBERS = ("meta.csv", "code.csv", "enterprise.csv", "establishment.csv", "address.csv", "activity.csv")


def fr_type(cj: str) -> str | None:
    return nomenclatures.load("fr_cooperative_types").set_index("cj")["coop_type"].get(cj)


@pytest.mark.parametrize(("cj", "coop_type"), [
    # INSEE's labels name the SCOP: "SARL coopérative de production (SCOP)", "SA coopérative de production (SCOP) ...".
    ("5458", "COOP_WORKER"), ("5558", "COOP_WORKER"), ("5658", "COOP_WORKER"),
    # "SARL coopérative artisanale", "SA coopérative de transport à directoire", "... entre médecins".
    ("5453", "COOP_SELF_EMPLOYED"), ("5655", "COOP_SELF_EMPLOYED"), ("6558", "COOP_SELF_EMPLOYED"),
    # Agricultural, banking, consumers' cooperatives, and the generic "Autre SA coopérative" (where SCIC sit).
    ("6317", "COOP_OTHER"), ("5192", "COOP_OTHER"), ("5551", "COOP_OTHER"), ("5560", "COOP_OTHER"),
    ("9220", None), ("5710", None),  # an association and an SAS are not cooperatives
])
def test_french_cooperative_types(cj, coop_type):
    assert fr_type(cj) == coop_type


def test_every_french_cooperative_has_one_type_and_a_broken_file_is_caught(monkeypatch):
    assert nomenclatures.check_mappings() == []
    original = nomenclatures.load

    def broken(name: str) -> pd.DataFrame:
        frame = original(name)
        if name == "fr_cooperative_types":
            frame = frame[frame["cj"] != "5458"]  # the SCOP SARL loses its type
            frame.loc[frame["cj"] == "5558", "coop_type"] = "WORKER"  # not a family
            frame = pd.concat([frame, pd.DataFrame([{**frame.iloc[0].to_dict(), "cj": "9220"}])])
        if name == "be_cooperative_types":
            frame = frame[frame["juridical_form"] != "*"]
        return frame

    monkeypatch.setattr(nomenclatures, "load", broken)
    problems = nomenclatures.check_mappings()
    assert "fr_cooperative_types.csv: cooperative legal categories without a type ['5458']" in problems
    assert "fr_cooperative_types.csv: ['WORKER'] are not cooperative types (families whose parent is COOP)" in problems
    assert "fr_cooperative_types.csv: 9220 is not a cooperative in fr_legal_forms.csv" in problems
    assert "be_cooperative_types.csv: no catch-all rule ('*', no accreditation)" in problems


def sirene_raw(tmp_path: Path) -> Path:
    """tests/fixtures/sirene with three legal units made cooperatives, and the SCOP's establishment moved into the
    area."""
    folder = tmp_path / "raw" / sirene.FOLDER
    folder.mkdir(parents=True)
    changes = {
        "StockUniteLegale_utf8.csv": ("siren", {
            "400000002": {"categorieJuridiqueUniteLegale": "5560"},  # SAS -> "Autre SA coopérative à CA"
            "400000004": {"categorieJuridiqueUniteLegale": "5453"},  # sole trader -> "SARL coopérative artisanale"
        }),
        # The SCOP (400000003, CJ 5458) from Ajaccio (2A004, outside the area) to Lille.
        "StockEtablissement_utf8.csv": ("siret", {"40000000300012": {"codeCommuneEtablissement": "59350"}}),
    }
    for name, (key, by_key) in changes.items():
        rewrite_csv(FIXTURES / "sirene" / name, folder / name, key, by_key)
    return tmp_path / "raw"


def kbo_raw(tmp_path: Path) -> Path:
    """tests/fixtures/kbo/full with enterprise 0420.000.003 (form 610) made a cooperative with a social purpose of the
    old code (608, with its real code.csv labels)."""
    folder = tmp_path / "raw" / kbo.FOLDER
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "KboOpenData_0136_2025_06_Full.zip", "w") as archive:
        for member in KBO_MEMBERS:
            text = (FIXTURES / "kbo" / "full" / member).read_text(encoding="utf-8")
            if member == "enterprise.csv":
                old = '"0420.000.003","AC","000","2","610"'
                assert old in text
                text = text.replace(old, '"0420.000.003","AC","000","2","608"')
            if member == "code.csv":
                text += ('"JuridicalForm","608","FR","Société coopérative à responsabilité limitée à finalité sociale"\n'
                         '"JuridicalForm","608","NL","Coöperatieve vennootschap met beperkte aansprakelijkheid met een '
                         'sociaal oogmerk"\n')
            archive.writestr(member, text)
    return tmp_path / "raw"


def test_registry_counts_by_cooperative_type(tmp_path):
    con = duckdb.connect()
    sirene.load(con, sirene_raw(tmp_path / "fr"), tmp_path / "cache")
    harmonise.harmonise_registry(con, harmonise.SIRENE)
    kbo.load(con, kbo_raw(tmp_path / "be"), tmp_path / "cache")
    harmonise.harmonise_registry(con, harmonise.KBO)
    mart.build_dimensions(con)
    mart.build_establishments(con)
    rows = con.execute(
        """SELECT geo, family, nace_a10, establishments, employer_establishments FROM mart.establishments
           WHERE geo_level = 'NUTS3' AND (family LIKE 'COOP%' OR family = 'SOCENT') AND nace_a10 <> 'TOTAL'
           ORDER BY ALL""").fetchall()
    assert rows == [
        # Mons: unit 2.100.000.114 of the SC 0200.362.210 (706), 46.21 (2008), no employer activity. The open data
        # has no accreditation, so a Belgian cooperative is never social or worker here.
        ("BE323", "COOP", "G-I", 1, 0),
        ("BE323", "COOP_OTHER", "G-I", 1, 0),
        # Mouscron: unit 2.100.000.807 of 0420.000.003, now 608: a social-purpose cooperative is a cooperative only
        # when accredited CNC (be_legal_forms.csv), which the registry cannot say: it stays SOCENT.
        ("BE328", "SOCENT", "G-I", 1, 1),
        # Lille: the SCOP's establishment (43.21A, employer) and the artisans' cooperative's (96.02A, not employer).
        ("FRE11", "COOP", "F", 1, 1),
        ("FRE11", "COOP", "R-U", 1, 0),
        ("FRE11", "COOP_SELF_EMPLOYED", "R-U", 1, 0),
        ("FRE11", "COOP_WORKER", "F", 1, 1),
        # Arras: 40000000200016 of 400000002, now "Autre SA coopérative" (62.01Z, employer); its ESS flag no longer
        # matters, it is COOP. Its other establishment has no commune: outside the area.
        ("FRE12", "COOP", "J", 1, 1),
        ("FRE12", "COOP_OTHER", "J", 1, 1),
    ]
    assert checks.family_parts_add_up(con) == []
    # Both snapshots are of 2025; the area's COOP (4: 3 in France, 1 in Belgium; 2 employers) against a worker
    # cooperative count made wrong.
    con.execute("UPDATE mart.establishments SET establishments = 2 WHERE geo = 'FWVL' AND family = 'COOP_WORKER' "
                "AND nace_a10 = 'TOTAL'")
    assert checks.family_parts_add_up(con) == [
        "2025 ALL FWVL TOTAL COOP: establishments 4, its parts 5, employer_establishments 2, its parts 2"]
