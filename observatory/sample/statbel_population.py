"""Statbel's population by commune, nationality, civil status, sex and single year of age, as the sample writes it.

``be/statbel_population/TF_SOC_POP_STRUCT_<yyyy>.zip``: one ``.txt`` each (pipe-delimited, UTF-8 with a BOM, LF),
the main commune of each arrondissement (two communes for Brussels, with an empty CD_PROV_REFNIS), its population
split by nationality (Belgian or not) and civil status (single or married; children are single); lines with a zero
population are left out. Years: ``years[0]`` to ``years[-1] + 1``.

The layout is restated here from Statbel's open-data page of the file (column names and order, codes, the file and
member names; ``docs/fetching.md``), never taken from the parser. Drawn from the one synthetic population of
:mod:`observatory.sample.population`, so that it agrees with the Eurostat sample. Deterministic: no random draw
here, fixed ZIP timestamps; ``seed`` and ``scale`` are only recorded in the sidecars. Stdlib only.
"""

from __future__ import annotations

from pathlib import Path

from observatory.sample.common import write_sidecar, write_zip
from observatory.sample.population import BE_ARRONDISSEMENT_OF, MAX_AGE, single_year_population
from observatory.sample.territory import BE_ARRONDISSEMENTS, BE_TOWNS

FOLDER = Path("be") / "statbel_population"
TIMESTAMP = (2025, 1, 1, 8, 0, 0)
# Producer, URL and licence recorded in each sidecar (Statbel's open-data page).
PRODUCER = "Statbel (Direction générale Statistique)"
URL = "https://statbel.fgov.be/fr/open-data/population-par-lieu-de-residence-nationalite-etat-civil-age-et-sexe"
LICENCE = "Licence Ouverte / Open Data Licence (Statbel), source to be acknowledged"
# The columns, in the order of the published file (Statbel's open-data page of TF_SOC_POP_STRUCT).
STATBEL_HEADER = ("CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_DSTR_REFNIS|TX_ADM_DSTR_DESCR_NL|TX_ADM_DSTR_DESCR_FR|"
                  "CD_PROV_REFNIS|TX_PROV_DESCR_NL|TX_PROV_DESCR_FR|CD_RGN_REFNIS|TX_RGN_DESCR_NL|TX_RGN_DESCR_FR|"
                  "CD_SEX|CD_NATLTY|TX_NATLTY_NL|TX_NATLTY_FR|CD_CIV_STS|TX_CIV_STS_NL|TX_CIV_STS_FR|CD_AGE|"
                  "MS_POPULATION")
REGIONS = {"02000": ("Vlaams Gewest", "Région flamande"), "03000": ("Waals Gewest", "Région wallonne"),
           "04000": ("Brussels Hoofdstedelijk Gewest", "Région de Bruxelles-Capitale")}
PROVINCES = {"1": ("10000", "Provincie Antwerpen", "Province d'Anvers", "02000"),
             "3": ("30000", "Provincie West-Vlaanderen", "Province de Flandre occidentale", "02000"),
             "4": ("40000", "Provincie Oost-Vlaanderen", "Province de Flandre orientale", "02000"),
             "5": ("50000", "Provincie Henegouwen", "Province de Hainaut", "03000"),
             "8": ("80000", "Provincie Luxemburg", "Province de Luxembourg", "03000"),
             "9": ("90000", "Provincie Namen", "Province de Namur", "03000")}
# Arrondissements outside BE_ARRONDISSEMENTS: (communes: (REFNIS, NL, FR, share), arrondissement NL, FR).
BE_EXTRA = {"21": ([("21004", "Brussel", "Bruxelles", 0.6), ("21001", "Anderlecht", "Anderlecht", 0.4)],
                   "Arrondissement Brussel-Hoofdstad", "Arrondissement de Bruxelles-Capitale"),
            "11": ([("11002", "Antwerpen", "Anvers", 1.0)], "Arrondissement Antwerpen", "Arrondissement d'Anvers")}
NATIONALITIES = (("BEL", "Belg", "Belge"), ("ETR", "niet-Belg", "non-Belge"))
CIVIL_STATUSES = (("1", "Ongehuwd", "Célibataire"), ("2", "Gehuwd", "Marié"))


def _arrondissements() -> dict[str, tuple[str, list[tuple[str, str, str, float]], str, str]]:
    """Arrondissement -> (NUTS3, communes, name NL, name FR)."""
    out = {}
    for nuts3, arr in BE_ARRONDISSEMENT_OF.items():
        if arr in BE_EXTRA:
            communes, nl, fr = BE_EXTRA[arr]
        else:
            town_nl, town_fr, _ = BE_TOWNS[nuts3]
            communes = [(BE_ARRONDISSEMENTS[arr][1], town_nl, town_fr, 1.0)]
            if arr == "57":
                town_nl, town_fr = "Doornik-Moeskroen", "Tournai-Mouscron"
            nl = f"Arrondissement {town_nl}"
            fr = f"Arrondissement d'{town_fr}" if town_fr[0] in "AEIOUY" else f"Arrondissement de {town_fr}"
        out[arr] = (nuts3, communes, nl, fr)
    return dict(sorted(out.items()))


def _split(total: int, share: float) -> tuple[int, int]:
    first = int(total * share + 0.5)
    return first, total - first


def _foreign_share(arr: str, age: int) -> float:
    """Non-Belgians: many more in Brussels, fewer among the old."""
    base = 0.36 if arr == "21" else 0.13 if arr == "11" else 0.07
    return base * (0.5 if age >= 65 else 1.0)


def _married_share(age: int) -> float:
    """Nobody under 18; rising to 60 % at 45, falling after 75 (widowhood, shown here as single)."""
    if age < 18:
        return 0.0
    share = min(0.6, (age - 18) * 0.6 / 27)
    return max(0.1, share - (age - 75) * 0.02) if age > 75 else share


def _statbel_text(year: int) -> str:
    lines = [STATBEL_HEADER]
    for arr, (nuts3, communes, arr_nl, arr_fr) in _arrondissements().items():
        province = ("", "", "", "04000") if arr == "21" else PROVINCES[arr[0]]
        region = province[3]
        for sex in ("F", "M"):
            ages = single_year_population(nuts3, year, sex)
            remaining = list(ages)
            for number, (refnis, name_nl, name_fr, share) in enumerate(communes):
                last = number == len(communes) - 1
                commune = remaining if last else [int(n * share + 0.5) for n in ages]
                remaining = [r - c for r, c in zip(remaining, commune, strict=True)]
                place = [refnis, name_nl, name_fr, f"{arr}000", arr_nl, arr_fr, *province[:3], region, *REGIONS[region]]
                for age in range(MAX_AGE + 1):
                    by_nationality = _split(commune[age], 1 - _foreign_share(arr, age))
                    for (nat, nat_nl, nat_fr), people in zip(NATIONALITIES, by_nationality, strict=True):
                        by_status = _split(people, 1 - _married_share(age))
                        for (status, status_nl, status_fr), count in zip(CIVIL_STATUSES, by_status, strict=True):
                            if count:
                                lines.append("|".join([*place, sex, nat, nat_nl, nat_fr, status, status_nl,
                                                       status_fr, str(age), str(count)]))
    return "\n".join(lines) + "\n"


def write_statbel(out_dir: Path, years: list[int], seed: int, scale: float) -> list[Path]:
    written = []
    for year in years:
        name = f"TF_SOC_POP_STRUCT_{year}"
        path = out_dir / FOLDER / f"{name}.zip"
        data = b"\xef\xbb\xbf" + _statbel_text(year).encode("utf-8")
        write_zip(path, [(f"{name}.txt", data)], TIMESTAMP)
        written += [path, write_sidecar(path, PRODUCER, URL, LICENCE, f"{year}-01-01", seed, scale)]
    return written
