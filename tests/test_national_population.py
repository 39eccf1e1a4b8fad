"""National population sources: INSEE's département workbook and Statbel's TF_SOC_POP_STRUCT files, and their
synthetic sample.

The INSEE workbooks are built in tmp_path with openpyxl (hand-chosen numbers, see ``NORD`` and ``CORSE``); the Statbel
text is written from ``STATBEL_LINES``. Expected values are computed by hand in the comments.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from observatory.errors import InputError
from observatory.sample import DEFAULT_SEED, write_national_population_sample
from observatory.sample.population import single_year_population
from observatory.sources import insee_population, statbel_population

# ------------------------------------------------------------------------------------------------------------
# INSEE
# ------------------------------------------------------------------------------------------------------------
BANDS = ["0 à 4 ans", "5 à 9 ans", "10 à 14 ans", "15 à 19 ans", "20 à 24 ans", "25 à 29 ans", "30 à 34 ans",
         "35 à 39 ans", "40 à 44 ans", "45 à 49 ans", "50 à 54 ans", "55 à 59 ans", "60 à 64 ans", "65 à 69 ans",
         "70 à 74 ans", "75 à 79 ans", "80 à 84 ans", "85 à 89 ans", "90 à 94 ans", "95 ans et plus"]
WORKBOOK = "estim-pop-dep-sexe-aq-1975-2025.xlsx"

# Bands of each block (the Total is appended by ``_block``): Nord 2024 Hommes 10, 20, ..., 200 (Total 2100),
# Femmes 11, 22, ..., 220 (Total 2310), Ensemble 21, 42, ..., 420 (Total 4410); 2023 is Nord 2024 minus 1 per band
# for Hommes and Femmes (Totals 2080, 2290, 4370). Corse-du-Sud: 1, 2 and 3 per band (Totals 20, 40, 60).
NORD = {2024: {"Hommes": [10 * (i + 1) for i in range(20)], "Femmes": [11 * (i + 1) for i in range(20)],
               "Ensemble": [21 * (i + 1) for i in range(20)]},
        2023: {"Hommes": [10 * (i + 1) - 1 for i in range(20)], "Femmes": [11 * (i + 1) - 1 for i in range(20)],
               "Ensemble": [21 * (i + 1) - 2 for i in range(20)]}}
CORSE = {"Hommes": [1] * 20, "Femmes": [2] * 20, "Ensemble": [3] * 20}


def _block(bands: list) -> list:
    return list(bands) + [sum(b for b in bands if isinstance(b, int))]


def _sheet(workbook: openpyxl.Workbook, name: str, rows: list[list], *, order=("Ensemble", "Hommes", "Femmes"),
           labels: bool = True, header: list[str] | None = None, extra: str | None = None) -> None:
    """An INSEE-like sheet: title rows 1-3, block labels on row 4, header on row 5, ``rows`` from row 6, then a total
    row, a blank row and a source row. Each row of ``rows`` is [code, name, {sex: bands}]."""
    sheet = workbook.create_sheet(name)
    sheet["A1"] = "Estimation de population par département, sexe et âge quinquennal"
    sheet["A2"] = "Années 1975 à 2025"
    sheet["A3"] = "Test workbook"
    band_header = header or [*BANDS, "Total"]
    for index, sex in enumerate(order):
        if labels:
            sheet.cell(row=4, column=3 + index * len(band_header), value=sex)
    cells = ["Départements", None] + band_header * len(order) + ([extra] if extra else [])
    for column, value in enumerate(cells, start=1):
        sheet.cell(row=5, column=column, value=value)
    number = 5
    for code, name_, blocks in rows:
        number += 1
        values = [code, name_] + [v for sex in order for v in _block(blocks[sex])] + (["note"] if extra else [])
        for column, value in enumerate(values, start=1):
            sheet.cell(row=number, column=column, value=value)
    totals = ["France métropolitaine", None]
    totals += [sum(_block(r[2][sex])[i] for r in rows if isinstance(_block(r[2][sex])[i], int)) for sex in order
               for i in range(21)]
    for column, value in enumerate(totals, start=1):
        sheet.cell(row=number + 1, column=column, value=value)
    sheet.cell(row=number + 3, column=1, value="Source : Insee, estimations de population")


def make_insee(tmp_path: Path, sheets: dict[str, list[list]] | None = None, **options) -> Path:
    """A raw_dir with a workbook: a 'Notes' sheet, then the sheets (default: 2024 and 2023, Nord and Corse-du-Sud)."""
    raw = tmp_path / "raw"
    folder = raw / insee_population.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook["Notes"]["A1"] = "Notes: population au 1er janvier"
    if sheets is None:
        sheets = {str(year): [["59", "Nord", NORD[year]], ["2A", "Corse-du-Sud", CORSE]] for year in (2024, 2023)}
    for name, rows in sheets.items():
        _sheet(workbook, name, rows, **options)
    workbook.save(folder / WORKBOOK)
    return raw


def insee_value(con: duckdb.DuckDBPyConnection, year: int, area: str, sex: str, age: str) -> tuple:
    return con.execute("SELECT population, file_name, line, rows, obs_flag, conf_status FROM src.fr_insee_population "
                       "WHERE year = ? AND area_code = ? AND sex_code = ? AND age_class = ?",
                       [year, area, sex, age]).fetchone()


def test_insee_labels_match_the_workbook() -> None:
    assert tuple(BANDS) == insee_population.BANDS
    assert insee_population.SEXES == ("Ensemble", "Hommes", "Femmes")
    assert insee_population.HEADER_ROW == 5


def test_insee_loads_every_cell_of_the_year_sheets(tmp_path: Path) -> None:
    raw = make_insee(tmp_path)
    con = duckdb.connect()
    info = insee_population.load(con, raw)
    assert info["years"] == [2023, 2024]
    assert info["file"] == WORKBOOK
    # 2 sheets x 2 départements x 3 sexes x 21 classes; the 'Notes' sheet is ignored.
    assert info["rows"] == 252
    assert con.execute("SELECT count(*) FROM src.fr_insee_population").fetchone()[0] == 252
    # Per sheet: the total row and the source row (the blank row is not counted).
    assert info["skipped_rows"] == 4
    # Nord 2024 Hommes, 6th band: 10 x 6 = 60; on Excel row 6.
    assert insee_value(con, 2024, "59", "Hommes", "25 à 29 ans") == (60.0, f"{WORKBOOK}:2024", 6, 1, None, None)
    assert insee_value(con, 2023, "59", "Hommes", "25 à 29 ans")[0] == 59.0
    assert insee_value(con, 2024, "59", "Femmes", "95 ans et plus")[0] == 220.0
    assert insee_value(con, 2024, "59", "Ensemble", "Total")[0] == 4410.0
    assert insee_value(con, 2023, "59", "Ensemble", "Total")[0] == 4370.0
    assert insee_value(con, 2024, "2A", "Femmes", "Total")[:3] == (40.0, f"{WORKBOOK}:2024", 7)
    assert sorted(r[0] for r in con.execute("SELECT DISTINCT age_class FROM src.fr_insee_population").fetchall()) \
        == sorted([*BANDS, "Total"])
    assert con.execute("SELECT DISTINCT area_code FROM src.fr_insee_population ORDER BY 1").fetchall() == \
        [("2A",), ("59",)]
    source = con.execute("SELECT source_id, file_name, rows, reference_period, synthetic FROM meta.sources").fetchall()
    assert source == [("fr_insee_population", WORKBOOK, 252, "2023-2024", False)]


def test_insee_years_filter_and_reload_replace_the_table(tmp_path: Path) -> None:
    raw = make_insee(tmp_path)
    con = duckdb.connect()
    insee_population.load(con, raw)
    info = insee_population.load(con, raw, years=[2024, 2030])
    assert info["years"] == [2024]
    assert con.execute("SELECT DISTINCT year FROM src.fr_insee_population").fetchall() == [(2024,)]
    assert con.execute("SELECT count(*) FROM src.fr_insee_population").fetchone()[0] == 126
    assert con.execute("SELECT count(*), max(reference_period) FROM meta.sources").fetchone() == (1, "2024-2024")


def test_insee_blocks_found_by_order_without_labels(tmp_path: Path) -> None:
    con = duckdb.connect()
    insee_population.load(con, make_insee(tmp_path, labels=False))
    assert insee_value(con, 2024, "59", "Hommes", "25 à 29 ans")[0] == 60.0
    assert insee_value(con, 2024, "59", "Femmes", "25 à 29 ans")[0] == 66.0


def test_insee_blocks_found_by_their_labels_in_any_order(tmp_path: Path) -> None:
    con = duckdb.connect()
    insee_population.load(con, make_insee(tmp_path, order=("Hommes", "Femmes", "Ensemble")))
    assert insee_value(con, 2024, "59", "Hommes", "25 à 29 ans")[0] == 60.0
    assert insee_value(con, 2024, "59", "Ensemble", "Total")[0] == 4410.0


def test_insee_extra_column_after_the_blocks_is_tolerated(tmp_path: Path) -> None:
    con = duckdb.connect()
    info = insee_population.load(con, make_insee(tmp_path, extra="Observations"))
    assert info["rows"] == 252
    assert insee_value(con, 2024, "59", "Femmes", "Total")[0] == 2310.0


def test_insee_numeric_code_is_read_as_two_digits(tmp_path: Path) -> None:
    con = duckdb.connect()
    insee_population.load(con, make_insee(tmp_path, sheets={"2024": [[2, "Aisne", CORSE]]}))
    assert insee_value(con, 2024, "02", "Ensemble", "Total")[0] == 60.0


def test_insee_non_numeric_count_names_sheet_row_column_and_value(tmp_path: Path) -> None:
    bad = {**NORD[2024], "Hommes": list(NORD[2024]["Hommes"])}
    bad["Hommes"][5] = "n.d."
    raw = make_insee(tmp_path, sheets={"2024": [["2A", "Corse-du-Sud", CORSE], ["59", "Nord", bad]]})
    with pytest.raises(InputError) as caught:
        insee_population.load(duckdb.connect(), raw)
    error = caught.value
    assert error.path.name == f"{WORKBOOK}:2024"
    assert (error.line, error.column, error.value) == (7, "Hommes / 25 à 29 ans", "n.d.")
    assert "2024" in str(error) and "line 7" in str(error) and "'n.d.'" in str(error)


def test_insee_empty_count_is_an_error(tmp_path: Path) -> None:
    bad = {**CORSE, "Femmes": [2] * 19 + [None]}
    raw = make_insee(tmp_path, sheets={"2023": [["2A", "Corse-du-Sud", bad]]})
    with pytest.raises(InputError, match="empty cell") as caught:
        insee_population.load(duckdb.connect(), raw)
    assert (caught.value.line, caught.value.column) == (6, "Femmes / 95 ans et plus")


@pytest.mark.parametrize("labels", [True, False])
def test_insee_missing_femmes_block(tmp_path: Path, labels: bool) -> None:
    raw = make_insee(tmp_path, order=("Ensemble", "Hommes"), labels=labels)
    with pytest.raises(InputError, match="Femmes"):
        insee_population.load(duckdb.connect(), raw)


def test_insee_block_not_adding_up_to_its_total(tmp_path: Path) -> None:
    raw = make_insee(tmp_path)
    workbook = openpyxl.load_workbook(raw / insee_population.FOLDER / WORKBOOK)
    # 2023, Nord (row 6), Hommes Total: the 2nd block's Total column is 3 + 21 + 20 = 44.
    assert workbook["2023"].cell(row=5, column=44).value == "Total"
    assert workbook["2023"].cell(row=4, column=24).value == "Hommes"
    workbook["2023"].cell(row=6, column=44).value = 2081
    workbook.save(raw / insee_population.FOLDER / WORKBOOK)
    with pytest.raises(InputError, match="add up to 2080") as caught:
        insee_population.load(duckdb.connect(), raw)
    assert (caught.value.path.name, caught.value.line, caught.value.column) == (f"{WORKBOOK}:2023", 6,
                                                                                 "Hommes / Total")


def test_insee_unexpected_band_header(tmp_path: Path) -> None:
    header = [*BANDS[:-1], "95 à 99 ans", "Total"]
    with pytest.raises(InputError, match="unexpected header") as caught:
        insee_population.load(duckdb.connect(), make_insee(tmp_path, header=header))
    assert caught.value.value == "95 à 99 ans"


def test_insee_missing_band(tmp_path: Path) -> None:
    header = [*BANDS[:-1], "Total"]
    with pytest.raises(InputError, match="lacks the band"):
        insee_population.load(duckdb.connect(), make_insee(tmp_path, header=header))


def test_insee_file_problems(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    with pytest.raises(InputError, match="no INSEE population workbook"):
        insee_population.load(duckdb.connect(), raw)
    folder = raw / insee_population.FOLDER
    folder.mkdir(parents=True)
    (folder / WORKBOOK).write_text("<!DOCTYPE html><html><body>Erreur</body></html>", encoding="utf-8")
    with pytest.raises(InputError, match="HTML"):
        insee_population.load(duckdb.connect(), raw)
    (folder / "estim-pop-dep-sexe-aq-1975-2024.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match="2 INSEE population workbooks"):
        insee_population.load(duckdb.connect(), raw)
    assert len(insee_population.candidates(raw)) == 2


# ------------------------------------------------------------------------------------------------------------
# Statbel
# ------------------------------------------------------------------------------------------------------------
HEADER = ("CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_DSTR_REFNIS|TX_ADM_DSTR_DESCR_NL|TX_ADM_DSTR_DESCR_FR|CD_PROV_REFNIS|"
          "TX_PROV_DESCR_NL|TX_PROV_DESCR_FR|CD_RGN_REFNIS|TX_RGN_DESCR_NL|TX_RGN_DESCR_FR|CD_SEX|CD_NATLTY|TX_NATLTY_NL|"
          "TX_NATLTY_FR|CD_CIV_STS|TX_CIV_STS_NL|TX_CIV_STS_FR|CD_AGE|MS_POPULATION")
MONS = "53053|Bergen|Mons|53000|Arrondissement Bergen|Arrondissement de Mons|50000|Provincie Henegouwen|" \
       "Province de Hainaut|03000|Waals Gewest|Région wallonne"
BXL = "21004|Brussel|Bruxelles|21000|Arrondissement Brussel-Hoofdstad|Arrondissement de Bruxelles-Capitale|||" \
      "|04000|Brussels Hoofdstedelijk Gewest|Région de Bruxelles-Capitale"
BEL, ETR = "BEL|Belg|Belge", "ETR|niet-Belg|non-Belge"
SINGLE, MARRIED = "1|Ongehuwd|Célibataire", "2|Gehuwd|Marié"
STATBEL_LINES = [  # line numbers: the header is line 1
    f"{MONS}|F|{BEL}|{SINGLE}|30|10",  # 2
    f"{MONS}|F|{ETR}|{SINGLE}|30|3",  # 3
    f"{MONS}|F|{BEL}|{MARRIED}|30|5",  # 4
    f"{MONS}|M|{BEL}|{SINGLE}|0|7",  # 5
    f"{BXL}|F|{BEL}|{SINGLE}|30|4",  # 6
    f"{BXL}|F|{ETR}|{MARRIED}|30|6",  # 7
    f"{BXL}|M|{ETR}|{SINGLE}|105|1",  # 8
]
# (area_code, sex_code, age_class, population, line, rows): Mons F 30 = 10 + 3 + 5 (lines 2-4), Bruxelles F 30 =
# 4 + 6 (lines 6-7).
EXPECTED_STATBEL = [
    ("21004", "F", "30", 10.0, 6, 2),
    ("21004", "M", "105", 1.0, 8, 1),
    ("53053", "F", "30", 18.0, 2, 3),
    ("53053", "M", "0", 7.0, 5, 1),
]
TXT = "TF_SOC_POP_STRUCT_2024.txt"
ZIP = "TF_SOC_POP_STRUCT_2024.zip"


def statbel_text(lines: list[str] = STATBEL_LINES, header: str = HEADER) -> bytes:
    return b"\xef\xbb\xbf" + ("\n".join([header, *lines]) + "\n").encode("utf-8")


def make_statbel(tmp_path: Path, data: bytes | None = None, *, zipped: bool = False, name: str = TXT,
                 member: str = TXT) -> Path:
    raw = tmp_path / "raw"
    folder = raw / statbel_population.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    data = statbel_text() if data is None else data
    if zipped:
        with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(member, data)
    else:
        (folder / name).write_bytes(data)
    return raw


def statbel_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT area_code, sex_code, age_class, population, line, rows FROM src.be_statbel_population "
                       "ORDER BY ALL").fetchall()


def test_statbel_text_is_summed_over_nationality_and_civil_status(tmp_path: Path) -> None:
    con = duckdb.connect()
    info = statbel_population.load(con, make_statbel(tmp_path))
    assert statbel_rows(con) == EXPECTED_STATBEL
    assert (info["years"], info["files"], info["lines"], info["rows"]) == ([2024], [TXT], 7, 4)
    assert con.execute("SELECT DISTINCT year, file_name, obs_flag, conf_status FROM src.be_statbel_population"
                       ).fetchall() == [(2024, TXT, None, None)]
    assert con.execute("SELECT source_id, file_name, rows, reference_period FROM meta.sources").fetchall() == \
        [("be_statbel_population", TXT, 7, "2024-01-01")]


def test_statbel_zip_reads_identically(tmp_path: Path) -> None:
    con = duckdb.connect()
    info = statbel_population.load(con, make_statbel(tmp_path, zipped=True, name=ZIP))
    assert statbel_rows(con) == EXPECTED_STATBEL
    assert info["files"] == [f"{ZIP}:{TXT}"]
    assert con.execute("SELECT DISTINCT file_name FROM src.be_statbel_population").fetchall() == [(f"{ZIP}:{TXT}",)]
    assert con.execute("SELECT file_name FROM meta.sources").fetchall() == [(f"{ZIP}:{TXT}",)]


def test_statbel_added_column_and_crlf_are_tolerated(tmp_path: Path) -> None:
    lines = [line.replace("|F|", "|F|x|").replace("|M|", "|M|y|") for line in STATBEL_LINES]
    data = statbel_text(lines, HEADER.replace("|CD_SEX|", "|CD_SEX|CD_NEW|")).replace(b"\n", b"\r\n")
    con = duckdb.connect()
    statbel_population.load(con, make_statbel(tmp_path, data))
    assert statbel_rows(con) == EXPECTED_STATBEL


def test_statbel_several_years_and_reload(tmp_path: Path) -> None:
    raw = make_statbel(tmp_path)
    make_statbel(tmp_path, statbel_text(STATBEL_LINES[:1]), zipped=True, name="TF_SOC_POP_STRUCT_2025.zip",
                 member="data/TF_SOC_POP_STRUCT_2025.txt")
    con = duckdb.connect()
    statbel_population.load(con, raw)
    info = statbel_population.load(con, raw)
    assert info["years"] == [2024, 2025]
    assert info["files"] == [TXT, "TF_SOC_POP_STRUCT_2025.zip:data/TF_SOC_POP_STRUCT_2025.txt"]
    assert con.execute("SELECT year, count(*), sum(population) FROM src.be_statbel_population GROUP BY 1 ORDER BY 1"
                       ).fetchall() == [(2024, 4, 36.0), (2025, 1, 10.0)]
    assert con.execute("SELECT count(*) FROM meta.sources").fetchone()[0] == 2


def test_statbel_html_page_named_zip(tmp_path: Path) -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Captcha</title></head><body>Are you human?</body></html>"
    with pytest.raises(InputError, match="an HTML page, not a ZIP") as caught:
        statbel_population.load(duckdb.connect(), make_statbel(tmp_path, page, name=ZIP))
    assert caught.value.path.name == ZIP


@pytest.mark.parametrize(("line", "column", "old", "new", "value"), [
    (4, "CD_AGE", "|30|5", "|abc|5", "abc"),
    (3, "MS_POPULATION", "|30|3", "|30|-3", "-3"),
    (7, "MS_POPULATION", "|30|6", "|30|6.5", "6.5"),
    (5, "CD_SEX", "|M|BEL", "|X|BEL", "X"),
    (6, "CD_REFNIS", "21004|", "2100|", "2100"),
])
def test_statbel_bad_value_names_line_column_and_value(tmp_path: Path, line: int, column: str, old: str, new: str,
                                                       value: str) -> None:
    lines = list(STATBEL_LINES)
    lines[line - 2] = lines[line - 2].replace(old, new)
    with pytest.raises(InputError) as caught:
        statbel_population.load(duckdb.connect(), make_statbel(tmp_path, statbel_text(lines)))
    assert (caught.value.line, caught.value.column, caught.value.value) == (line, column, value)
    assert caught.value.path.name == TXT


def test_statbel_bad_value_in_zip_names_the_member(tmp_path: Path) -> None:
    lines = list(STATBEL_LINES)
    lines[2] = lines[2].replace("|30|5", "|abc|5")
    raw = make_statbel(tmp_path, statbel_text(lines), zipped=True, name=ZIP)
    with pytest.raises(InputError, match="expected an age") as caught:
        statbel_population.load(duckdb.connect(), raw)
    assert (caught.value.path.name, caught.value.line, caught.value.value) == (f"{ZIP}:{TXT}", 4, "abc")
    assert caught.value.path.parent == raw / statbel_population.FOLDER  # not the temporary copy


def test_statbel_missing_population_column(tmp_path: Path) -> None:
    header = HEADER.removesuffix("|MS_POPULATION")
    lines = [line.rsplit("|", 1)[0] for line in STATBEL_LINES]
    with pytest.raises(InputError, match="missing column") as caught:
        statbel_population.load(duckdb.connect(), make_statbel(tmp_path, statbel_text(lines, header)))
    assert (caught.value.line, caught.value.column) == (1, "MS_POPULATION")


def test_statbel_zip_member_outside_the_folder(tmp_path: Path) -> None:
    raw = make_statbel(tmp_path, zipped=True, name=ZIP, member="../TF_SOC_POP_STRUCT_2024.txt")
    with pytest.raises(InputError, match="outside the extraction folder"):
        statbel_population.load(duckdb.connect(), raw)
    assert not (tmp_path / "raw" / "be" / TXT).exists()


def test_statbel_zip_and_text_of_one_year(tmp_path: Path) -> None:
    raw = make_statbel(tmp_path)
    make_statbel(tmp_path, zipped=True, name=ZIP)
    with pytest.raises(InputError, match="2 files for 2024"):
        statbel_population.load(duckdb.connect(), raw)


def test_statbel_no_file(tmp_path: Path) -> None:
    assert statbel_population.candidates(tmp_path) == []
    with pytest.raises(InputError, match="no Statbel population file"):
        statbel_population.load(duckdb.connect(), tmp_path)


# ------------------------------------------------------------------------------------------------------------
# Sample
# ------------------------------------------------------------------------------------------------------------
def test_sample_files_load_with_both_loaders(tmp_path: Path) -> None:
    written = write_national_population_sample(tmp_path / "a", (2023, 2024), DEFAULT_SEED, 1.0)
    again = write_national_population_sample(tmp_path / "b", (2023, 2024), DEFAULT_SEED, 1.0)
    names = sorted(p.relative_to(tmp_path / "a").as_posix() for p in written)
    assert names == sorted(
        ["fr/insee_population/estim-pop-dep-sexe-aq-1975-2025.xlsx",
         "fr/insee_population/estim-pop-dep-sexe-aq-1975-2025.xlsx.origin.json"]
        + [f"be/statbel_population/TF_SOC_POP_STRUCT_{y}.zip{s}" for y in (2023, 2024, 2025) for s in ("", ".origin.json")])
    for first, second in zip(written, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    assert all(p.stat().st_size < 400_000 for p in written)

    con = duckdb.connect()
    insee = insee_population.load(con, tmp_path / "a")
    statbel = statbel_population.load(con, tmp_path / "a")
    assert insee["years"] == statbel["years"] == [2023, 2024, 2025]
    assert con.execute("SELECT bool_and(synthetic) FROM meta.sources").fetchone()[0] is True

    totals = dict(con.execute("SELECT sex_code, population FROM src.fr_insee_population WHERE year = 2025 AND "
                              "area_code = '59' AND age_class = 'Total'").fetchall())
    assert totals["Ensemble"] == totals["Hommes"] + totals["Femmes"]
    # Nord is FRE11 in the base population; Bruxelles-Capitale (arrondissement 21) is BE100.
    assert totals["Femmes"] == sum(single_year_population("FRE11", 2025, "F"))
    brussels = con.execute("SELECT sum(population) FROM src.be_statbel_population WHERE year = 2024 AND sex_code = 'M' "
                           "AND left(area_code, 2) = '21'").fetchone()[0]
    assert brussels == sum(single_year_population("BE100", 2024, "M"))
    assert con.execute("SELECT count(DISTINCT area_code) FROM src.fr_insee_population").fetchone()[0] == 10
    assert con.execute("SELECT max(rows) FROM src.be_statbel_population").fetchone()[0] == 4
