"""SYNTHETIC national population files of the embedded sample: INSEE's département workbook and Statbel's
population structure files, in the producers' real formats (see :mod:`observatory.sources.insee_population` and
:mod:`observatory.sources.statbel_population`).

Both are drawn from the one synthetic population of :mod:`observatory.sample_population_base`, so that they agree
with the Eurostat sample. Years: ``years[0]`` to ``years[-1] + 1`` (jobs at 31 December of Y are compared with the
population on 1 January of Y + 1).

- ``fr/insee_population/estim-pop-dep-sexe-aq-1975-<last>.xlsx``: one sheet per year, most recent first; title rows
  1-3, block labels on row 4 (merged cells), header on row 5, the département rows (the area's and Meuse, plus Paris
  and Corse-du-Sud outside the area), total rows and a source note. Ensemble = Hommes + Femmes; Total = sum of the
  bands; ``95 ans et plus`` = ages 95 to MAX_AGE.
- ``be/statbel_population/TF_SOC_POP_STRUCT_<yyyy>.zip``: one ``.txt`` each (pipe-delimited, UTF-8 with a BOM, LF),
  the main commune of each arrondissement (two communes for Brussels, with an empty CD_PROV_REFNIS), its population
  split by nationality (Belgian or not) and civil status (single or married; children are single); lines with a
  zero population are left out.

Deterministic: no random draw here (the base population has its own seeded streams), fixed workbook properties and
ZIP timestamps. ``seed`` and ``scale`` are only recorded in the sidecars: the population is the same at any scale.
Plain Python plus openpyxl, no Dagster.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from observatory.sample import BE_ARRONDISSEMENTS, BE_TOWNS, NOTE, _sidecar, _write_zip
from observatory.sample_population_base import (
    BASE_POPULATION,
    BE_ARRONDISSEMENT_OF,
    FR_DEPARTMENT_OF,
    MAX_AGE,
    band_total,
    single_year_population,
)
from observatory.sources import insee_population, statbel_population

TIMESTAMP = (2025, 1, 1, 8, 0, 0)
WORKBOOK_TIME = datetime(2025, 1, 1, 8, 0, 0)

# ------------------------------------------------------------------------------------------------------------
# INSEE
# ------------------------------------------------------------------------------------------------------------
FR_NAMES = {"02": "Aisne", "08": "Ardennes", "51": "Marne", "55": "Meuse", "59": "Nord", "60": "Oise",
            "62": "Pas-de-Calais", "80": "Somme", "75": "Paris", "2A": "Corse-du-Sud"}
# Outside the area and outside FR_DEPARTMENT_OF: (population on 1 January 2024, NUTS3 whose age profile is scaled).
FR_EXTRA = {"75": (2_100_000, "FRE11"), "2A": (162_000, "FRF32")}
BANDS = [(age, age + 4) for age in range(0, 95, 5)] + [(95, None)]
INSEE_BANDS = insee_population.BANDS
INSEE_SEXES = insee_population.SEXES


def _fr_ages(dep: str, year: int, sex: str) -> list[int]:
    """Single-year population of a département: its NUTS3's, or a scaled profile for the extra ones."""
    nuts3 = {d: n for n, d in FR_DEPARTMENT_OF.items()}.get(dep)
    if nuts3 is not None:
        return single_year_population(nuts3, year, sex)
    total, profile = FR_EXTRA[dep]
    factor = total / BASE_POPULATION[profile]
    return [int(n * factor + 0.5) for n in single_year_population(profile, year, sex)]


def _dep_order(dep: str) -> tuple[int, str]:
    """INSEE's order: 01 ... 19, 2A, 2B, 21 ... 95, 971 ..."""
    return (int(dep[:2]) if dep[:2].isdigit() else 20, dep)


def _insee_row(dep: str, year: int) -> list[int]:
    """Ensemble, Hommes, Femmes blocks of one département: 20 bands and Total each."""
    by_sex = {"Hommes": _fr_ages(dep, year, "M"), "Femmes": _fr_ages(dep, year, "F")}
    blocks = {sex: [band_total(ages, a, b) for a, b in BANDS] for sex, ages in by_sex.items()}
    blocks["Ensemble"] = [h + f for h, f in zip(blocks["Hommes"], blocks["Femmes"], strict=True)]
    out = []
    for sex in INSEE_SEXES:
        out += blocks[sex] + [sum(blocks[sex])]
    return out


def _workbook_bytes(sheets: list[int], first: int, last: int) -> list[tuple[str, bytes]]:
    import openpyxl
    from openpyxl.writer.excel import ExcelWriter

    deps = sorted(list(FR_DEPARTMENT_OF.values()) + list(FR_EXTRA), key=_dep_order)
    width = len(INSEE_BANDS) + 1
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for year in sheets:
        sheet = workbook.create_sheet(str(year))
        sheet["A1"] = f"Estimation de population par département, sexe et âge quinquennal - Années {first} à {last}"
        sheet["A2"] = f"Population au 1er janvier {year}"
        sheet["A3"] = "Données synthétiques (échantillon) : " + NOTE
        for index, sex in enumerate(INSEE_SEXES):
            start = insee_population.FIRST_BLOCK_COLUMN + index * width
            sheet.cell(row=insee_population.BLOCK_LABEL_ROW, column=start, value=sex)
            sheet.merge_cells(start_row=insee_population.BLOCK_LABEL_ROW, start_column=start,
                              end_row=insee_population.BLOCK_LABEL_ROW, end_column=start + width - 1)
        header = ["Départements", None] + [*INSEE_BANDS, insee_population.TOTAL] * len(INSEE_SEXES)
        for column, value in enumerate(header, start=1):
            sheet.cell(row=insee_population.HEADER_ROW, column=column, value=value)
        row_number = insee_population.HEADER_ROW
        totals = [0] * (width * len(INSEE_SEXES))
        for dep in deps:
            values = _insee_row(dep, year)
            totals = [t + v for t, v in zip(totals, values, strict=True)]
            row_number += 1
            for column, value in enumerate([dep, FR_NAMES[dep], *values], start=1):
                sheet.cell(row=row_number, column=column, value=value)
        # The sample has no DOM: both totals are the sum of the rows above.
        for label in ("France métropolitaine", "France métropolitaine et DOM"):
            row_number += 1
            for column, value in enumerate([label, None, *totals], start=1):
                sheet.cell(row=row_number, column=column, value=value)
        sheet.cell(row=row_number + 2, column=1,
                   value="Source : Insee, estimations de population - données synthétiques de l'échantillon")
        sheet.cell(row=row_number + 3, column=1, value="Note : " + NOTE)
    workbook.properties.creator = "observatory.sample_national_population"
    workbook.properties.created = WORKBOOK_TIME
    workbook.properties.modified = WORKBOOK_TIME
    buffer = io.BytesIO()
    # ExcelWriter, not Workbook.save (which stamps the current time); the ZIP is then rewritten with fixed times.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def write_insee(out_dir: Path, years: list[int], seed: int, scale: float) -> list[Path]:
    last = years[-1]
    path = out_dir / insee_population.FOLDER / f"estim-pop-dep-sexe-aq-1975-{last}.xlsx"
    members = _workbook_bytes(sorted(years, reverse=True), 1975, last)
    _write_zip(path, members, TIMESTAMP)
    origin = insee_population.ORIGIN
    sidecar = _sidecar(path, origin.producer, origin.url, origin.licence, f"{years[0]}-{last}", seed, scale)
    return [path, sidecar]


# ------------------------------------------------------------------------------------------------------------
# Statbel
# ------------------------------------------------------------------------------------------------------------
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
    origin = statbel_population.ORIGIN
    for year in years:
        name = f"TF_SOC_POP_STRUCT_{year}"
        path = out_dir / statbel_population.FOLDER / f"{name}.zip"
        data = b"\xef\xbb\xbf" + _statbel_text(year).encode("utf-8")
        _write_zip(path, [(f"{name}.txt", data)], TIMESTAMP)
        written += [path, _sidecar(path, origin.producer, origin.url, origin.licence, f"{year}-01-01", seed, scale)]
    return written


def write_national_population_sample(out_dir: Path, years: tuple[int, ...], seed: int, scale: float) -> list[Path]:
    """Write the INSEE workbook and the Statbel files for ``years[0]`` .. ``years[-1] + 1`` under ``out_dir``;
    return the files written (data and sidecars)."""
    if not years:
        raise ValueError("at least one year is needed")
    ordered = sorted(set(years))
    span = list(range(ordered[0], ordered[-1] + 2))
    out_dir = Path(out_dir)
    return write_insee(out_dir, span, seed, scale) + write_statbel(out_dir, span, seed, scale)
