"""INSEE's population estimates by département, sex and five-year age, as the sample writes them.

``fr/insee_population/estim-pop-dep-sexe-aq-1975-<last>.xlsx``: one sheet per year, most recent first; title rows
1-3, block labels on row 4 (merged cells), header on row 5, the département rows (the area's and Meuse, plus Paris
and Corse-du-Sud outside the area), total rows and a source note. Ensemble = Hommes + Femmes; Total = sum of the
bands; ``95 ans et plus`` = ages 95 to MAX_AGE. Years: ``years[0]`` to ``years[-1] + 1`` (jobs at 31 December of Y
are compared with the population on 1 January of Y + 1).

The layout is restated here from INSEE's workbook as published on insee.fr (rows, block order, band labels; the
file name in ``docs/fetching.md``), never taken from the parser. Drawn from the one synthetic population of
:mod:`observatory.sample.population`, so that it agrees with the Eurostat sample.

Deterministic: no random draw here (the base population has its own seeded streams), fixed workbook properties and
ZIP timestamps. ``seed`` and ``scale`` are only recorded in the sidecar. Plain Python plus openpyxl, no Dagster.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from observatory.sample.common import NOTE, write_sidecar, write_zip
from observatory.sample.population import BASE_POPULATION, FR_DEPARTMENT_OF, band_total, single_year_population

FOLDER = Path("fr") / "insee_population"
TIMESTAMP = (2025, 1, 1, 8, 0, 0)
WORKBOOK_TIME = datetime(2025, 1, 1, 8, 0, 0)
# The workbook's creator property: the module's name when it was one file, kept so that the bytes do not change.
WORKBOOK_CREATOR = "observatory.sample_national_population"
# Producer, URL and licence recorded in the sidecar (insee.fr's page of the estimates).
PRODUCER = "INSEE - Estimations de population"
URL = "https://www.insee.fr/fr/statistiques/fichier/8721456/estim-pop-dep-sexe-aq-1975-2026.xlsx"
LICENCE = "Licence Ouverte / Etalab 2.0"
# The workbook's layout (INSEE): block labels on row 4 above the header row 5, the blocks from column C (after the
# code and the name), in this order, each with its 20 five-year bands and a total.
BLOCK_LABEL_ROW = 4
HEADER_ROW = 5
FIRST_BLOCK_COLUMN = 3
INSEE_SEXES = ("Ensemble", "Hommes", "Femmes")
INSEE_BANDS = tuple(f"{a} à {a + 4} ans" for a in range(0, 95, 5)) + ("95 ans et plus",)
TOTAL = "Total"

FR_NAMES = {"02": "Aisne", "08": "Ardennes", "51": "Marne", "55": "Meuse", "59": "Nord", "60": "Oise",
            "62": "Pas-de-Calais", "80": "Somme", "75": "Paris", "2A": "Corse-du-Sud"}
# Outside the area and outside FR_DEPARTMENT_OF: (population on 1 January 2024, NUTS3 whose age profile is scaled).
FR_EXTRA = {"75": (2_100_000, "FRE11"), "2A": (162_000, "FRF32")}
BANDS = [(age, age + 4) for age in range(0, 95, 5)] + [(95, None)]


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
            start = FIRST_BLOCK_COLUMN + index * width
            sheet.cell(row=BLOCK_LABEL_ROW, column=start, value=sex)
            sheet.merge_cells(start_row=BLOCK_LABEL_ROW, start_column=start,
                              end_row=BLOCK_LABEL_ROW, end_column=start + width - 1)
        header = ["Départements", None] + [*INSEE_BANDS, TOTAL] * len(INSEE_SEXES)
        for column, value in enumerate(header, start=1):
            sheet.cell(row=HEADER_ROW, column=column, value=value)
        row_number = HEADER_ROW
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
    workbook.properties.creator = WORKBOOK_CREATOR
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
    path = out_dir / FOLDER / f"estim-pop-dep-sexe-aq-1975-{last}.xlsx"
    members = _workbook_bytes(sorted(years, reverse=True), 1975, last)
    write_zip(path, members, TIMESTAMP)
    sidecar = write_sidecar(path, PRODUCER, URL, LICENCE, f"{years[0]}-{last}", seed, scale)
    return [path, sidecar]
