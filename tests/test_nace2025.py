"""NACE Rev. 2.1 (NACE-BEL 2025, NAF 2025) read as NACE Rev. 2 through Eurostat's correspondence.

The data file ``observatory/nomenclatures/nace21_nace2.csv`` is checked against the real Eurostat table
(tests/fixtures/real/nace21_nace2_correspondence/, see its README). Codes used below:

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
from pathlib import Path

import pandas as pd

from observatory import nomenclatures
from observatory.nomenclatures import nace21

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
