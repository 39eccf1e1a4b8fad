"""The mapping files: consistent, sourced, and mapping the codes the references name as they say."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory import nomenclatures


def test_mapping_files_are_consistent():
    assert nomenclatures.check_mappings() == []


def fr_family(cj: str) -> str | None:
    return nomenclatures.load("fr_legal_forms").set_index("cj")["family"].get(cj)


@pytest.mark.parametrize(
    ("cj", "family"),
    [("9220", "ASSOC"), ("9260", "ASSOC"), ("9300", "FOUND"), ("8210", "MUTUAL"), ("6411", "MUTUAL"),
     ("5191", "COOP"), ("5194", "COOP"), ("5196", "COOP"), ("5555", "COOP"), ("6596", "COOP"),
     ("5197", None), ("5710", None), ("1000", None), ("9900", None), ("7210", None)],
)
def test_french_legal_categories(cj, family):
    assert fr_family(cj) == family


def test_age_classes_map_to_the_published_bands():
    classes = nomenclatures.load("age_classes").set_index(["source_system", "source_class"])["age_band"]
    assert classes[("flores", "00")] == classes[("flores", "20")] == "Y_LT25"
    assert classes[("flores", "55")] == classes[("flores", "60")] == "Y55-64"
    assert classes[("flores", "65")] == "Y_GE65"
    assert classes[("onss", "<25")] == "Y_LT25" and classes[("onss", "65+")] == "Y_GE65"


def test_territories():
    deps = nomenclatures.load("fr_departments").set_index("dep")
    assert deps.loc["59", "nuts3"] == "FRE11" and deps.loc["08", "nuts3"] == "FRF21"
    assert deps.loc["55", "in_area"] == "false"  # Meuse is outside the cooperation area
    arrs = nomenclatures.load("be_arrondissements").set_index("arrondissement")
    assert arrs.loc["57", "nuts3"] == "BE328" and arrs.loc["58", "nuts3"] == "BE329"
    assert arrs.loc["21", "in_area"] == "false"  # Brussels
    assert "54" not in arrs.index  # Mouscron arrondissement ended in 2019
    postcodes = nomenclatures.load("be_postcode_nuts3").set_index("postcode")["nuts3"]
    assert postcodes["7500"] == "BE328" and postcodes["7700"] == "BE328" and postcodes["1000"] == "BE100"
    geo = nomenclatures.load("geo")
    assert (geo["geo_level"] == "NUTS3").sum() == 32


def test_sectors_and_exclusions():
    a10 = nomenclatures.load("nace_a10")
    a10 = a10[a10["division_from"] != ""]

    def group(division: int) -> str:
        return next(r.nace_a10 for r in a10.itertuples() if int(r.division_from) <= division <= int(r.division_to))

    assert group(88) == "O-Q" and group(45) == "G-I" and group(94) == "R-U" and group(68) == "L"
    exclusions = set(nomenclatures.load("activity_exclusions")["nace_prefix"])
    assert exclusions == {"84", "94.11", "94.12", "94.20", "94.91", "94.92"}


def test_a_broken_mapping_is_caught(monkeypatch):
    original = nomenclatures.load

    def broken(name: str) -> pd.DataFrame:
        frame = original(name)
        if name == "age_classes":
            frame.loc[frame["source_class"] == "60", "age_band"] = "Y_GE65"  # 60-64 into 65+
        if name == "fr_legal_forms":
            frame.loc[0, "source"] = ""
        return frame

    monkeypatch.setattr(nomenclatures, "load", broken)
    problems = nomenclatures.check_mappings()
    assert any("fr_legal_forms.csv: a row has no source" in p for p in problems)
    assert any("flores classes of Y55-64" in p for p in problems)
    assert any("flores classes of Y_GE65" in p for p in problems)
