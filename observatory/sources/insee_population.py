"""INSEE population estimates by département, sex and five-year age: the ``estim-pop-dep-sexe-aq`` workbook.

``fr/insee_population/estim-pop-dep-sexe-aq-<first>-<last>.xlsx``, public, from
``https://www.insee.fr/fr/statistiques/fichier/8721456/estim-pop-dep-sexe-aq-1975-2026.xlsx`` (sources-fr.md):

- one sheet per year, named by the year: the population on 1 January of that year. Other sheets ("Notes",
  "Sommaire"...) are ignored [C for the year sheets; the other sheet names are examples];
- title rows, then the header on row 5 (:data:`HEADER_ROW`) [C]: column A the département code, B its name, then
  three blocks, Ensemble, Hommes and Femmes, each of 20 five-year bands (``0 à 4 ans`` ... ``95 ans et plus``) and
  ``Total`` [C];
- the block names on row 4, above their bands (:data:`BLOCK_LABEL_ROW`) [U]: used when present, otherwise the blocks
  are taken in the order of the repeated band headers, 1st Ensemble, 2nd Hommes, 3rd Femmes;
- after the départements, total rows (``France métropolitaine``, ``DOM``, ``France métropolitaine et DOM``) and
  notes or sources: not data, counted as skipped rows. Columns after the blocks are tolerated and ignored.

A data row is a row whose column A holds a département code (``01``...``95``, ``2A``, ``2B``, ``971``...``976``; a
number such as 1 is read as ``01``). Its counts must be whole numbers >= 0 and each block's bands must add up to its
``Total`` exactly (INSEE publishes whole persons; tolerance 0). Every problem is an :class:`InputError` naming the
workbook and sheet (``<workbook>:<sheet>``), the Excel row, the column header (``Hommes / 25 à 29 ans``) and the value.

The workbook is small (~100 rows x ~65 columns x ~50 sheets): openpyxl reads it in read-only mode, values only.
Every département is staged, in the area or not: harmonisation maps them to NUTS3 and counts those outside.

:func:`fetch` downloads it into a dated vintage ``fr/insee_population/<date>/`` (the URL changes with each yearly
edition: ``$OBSERVATORY_URL_INSEE_POPULATION`` and ``$OBSERVATORY_INSEE_POPULATION_FILE`` point to the new one).
"""

from __future__ import annotations

import fnmatch
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow

from observatory import context, safezip, vintages
from observatory.download import head_or_probe, version_markers
from observatory.duck import transaction
from observatory.errors import InputError, html_instead_of
from observatory.fetch import Fetcher, FetchError, FetchOutcome, FetchSettings
from observatory.population import PopulationSource
from observatory.provenance import META_SOURCES_DDL, Origin, read_origin, record_source
from observatory.sources import CONTEXT, Source, population_staging_ddl

SOURCE_ID = "fr_insee_population"
FOLDER = Path("fr") / "insee_population"
FILE_PATTERN = "estim-pop-dep-sexe-aq-*.xlsx"
ORIGIN = Origin(
    producer="INSEE - Estimations de population",
    url="https://www.insee.fr/fr/statistiques/fichier/8721456/estim-pop-dep-sexe-aq-1975-2026.xlsx",
    licence="Licence Ouverte / Etalab 2.0",
)

HEADER_ROW = 5  # [C] "read with header row 5"
BLOCK_LABEL_ROW = HEADER_ROW - 1  # [U] block names above the bands; optional (see the module docstring)
CODE_COLUMN = 1  # A
FIRST_BLOCK_COLUMN = 3  # C: after the code and the name
SEXES = ("Ensemble", "Hommes", "Femmes")  # in the order of the blocks when row 4 has no labels
BANDS = tuple(f"{a} à {a + 4} ans" for a in range(0, 95, 5)) + ("95 ans et plus",)
TOTAL = "Total"
YEAR_SHEET = re.compile(r"\d{4}")
DEPARTMENT = re.compile(r"0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6]")
XLSX_MAGIC = b"PK\x03\x04"

STAGING_DDL = population_staging_ddl("src.fr_insee_population")
INSERT_SQL = """
INSERT INTO src.fr_insee_population
SELECT year, area, sex, age, population, NULL, NULL, file, line, 1 FROM _insee_population
"""


@dataclass(frozen=True)
class Block:
    sex: str
    columns: dict[str, int]  # band label (and Total) -> 1-based column index


@dataclass
class SheetRows:
    name: str
    year: int
    rows: list[tuple[int, str, str, str, float]]  # (Excel row, département, sex, age class, population)
    skipped: int


def candidates(raw_dir: Path) -> list[Path]:
    """Workbooks in ``raw_dir/fr/insee_population`` (``estim-pop-dep-sexe-aq-*.xlsx``)."""
    folder = vintages.current(raw_dir, FOLDER)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(FILE_PATTERN) if p.is_file())


def find(raw_dir: Path) -> Path:
    """The one workbook; none or several is an error (which one to use is the analyst's decision)."""
    folder = vintages.current(raw_dir, FOLDER)
    found = candidates(raw_dir)
    if not found:
        raise InputError(folder, f"no INSEE population workbook ({FILE_PATTERN}) in {folder}")
    if len(found) > 1:
        raise InputError(folder, f"{len(found)} INSEE population workbooks, expected one: "
                                 f"{', '.join(p.name for p in found)}; remove or archive all but the one to load")
    return found[0]


def _label(value: object) -> str:
    """A header cell as text, with spaces normalised (Excel exports may hold non-breaking or doubled spaces)."""
    if value is None:
        return ""
    return " ".join(str(value).replace("\xa0", " ").split())


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _blocks(where: Path, header: tuple, labels: tuple) -> list[Block]:
    """The three blocks of the header row, named by the row above when it names them, else by their order."""
    header = tuple(_label(v) for v in header)
    known = set(BANDS) | {TOTAL}
    spans: list[dict[str, int]] = []
    current: dict[str, int] | None = None
    for index in range(FIRST_BLOCK_COLUMN, len(header) + 1):
        text = header[index - 1]
        column = f"{_column_letter(index)}{HEADER_ROW}"
        if current is None:
            if text == BANDS[0]:
                current = {text: index}
            elif text in known:
                raise InputError(where, f"band header outside a block (a block starts with {BANDS[0]!r})",
                                 line=HEADER_ROW, column=column, value=text)
            continue  # other columns after the blocks are tolerated
        if text not in known:
            raise InputError(where, "unexpected header in a block of bands; expected one of "
                                    f"{', '.join(BANDS)}, {TOTAL}", line=HEADER_ROW, column=column, value=text)
        if text in current:
            raise InputError(where, f"band header repeated in the block starting at column "
                                    f"{_column_letter(current[BANDS[0]])}, cell {column}", line=HEADER_ROW,
                             column=column, value=text)
        current[text] = index
        if text == TOTAL:
            if missing := [b for b in BANDS if b not in current]:
                raise InputError(where, f"the block ending at cell {column} lacks the band(s) {', '.join(missing)}",
                                 line=HEADER_ROW, column=column)
            spans.append(current)
            current = None
    if current is not None:
        raise InputError(where, f"the block starting at column {_column_letter(current[BANDS[0]])} has no {TOTAL!r} "
                                "column", line=HEADER_ROW)

    labels = tuple(_label(v) for v in labels)
    named: list[str | None] = []
    for span in spans:
        first, last = min(span.values()), max(span.values())
        found = {t for t in labels[first - 1:last] if t}
        names = [s for s in SEXES if s.lower() in {t.lower() for t in found}]
        named.append(names[0] if len(names) == 1 else None)
    if not any(named):
        # No usable block names: the order of the blocks, as published [C].
        if len(spans) != len(SEXES):
            raise InputError(where, f"{len(spans)} block(s) of bands on row {HEADER_ROW}, expected {len(SEXES)} "
                                    f"({', '.join(SEXES)}); missing: {', '.join(SEXES[len(spans):]) or 'none'}",
                             line=HEADER_ROW)
        named = list(SEXES)
    blocks: dict[str, Block] = {}
    for name, span in zip(named, spans, strict=True):
        column = f"{_column_letter(min(span.values()))}{BLOCK_LABEL_ROW}"
        if name is None:
            raise InputError(where, f"the block starting at column {_column_letter(min(span.values()))} has no "
                                    f"{'/'.join(SEXES)} label on row {BLOCK_LABEL_ROW} while other blocks have one",
                             line=BLOCK_LABEL_ROW, column=column)
        if name in blocks:
            raise InputError(where, f"two blocks labelled {name!r} on row {BLOCK_LABEL_ROW}", line=BLOCK_LABEL_ROW,
                             column=column, value=name)
        blocks[name] = Block(name, span)
    if missing := [s for s in SEXES if s not in blocks]:
        raise InputError(where, f"no {', '.join(missing)} block (blocks found: {', '.join(blocks) or 'none'})",
                         line=BLOCK_LABEL_ROW)
    return [blocks[s] for s in SEXES]


def _code(value: object) -> str | None:
    """The département code of column A, or None when the row is not a département (totals, notes, blank)."""
    if isinstance(value, bool) or value is None:
        return None
    numeric = isinstance(value, int | float) and float(value).is_integer()
    text = f"{int(value):02d}" if numeric else _label(value)
    return text if DEPARTMENT.fullmatch(text) else None


def _count(value: object) -> float | None:
    """A whole number >= 0, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
        number = float(value.strip())
    else:
        return None
    return number if math.isfinite(number) and number >= 0 and number.is_integer() else None


def _read_sheet(where: Path, name: str, year: int, rows) -> SheetRows:
    out = SheetRows(name, year, [], 0)
    labels: tuple = ()
    blocks: list[Block] | None = None
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        if number == BLOCK_LABEL_ROW:
            labels = row
        if number == HEADER_ROW:
            blocks = _blocks(where, row, labels)
        if number <= HEADER_ROW:
            continue
        if not any(v is not None and _label(v) for v in row):
            continue  # blank row
        code = _code(row[CODE_COLUMN - 1] if row else None)
        if code is None:
            out.skipped += 1  # totals, notes, sources
            continue
        if code in seen:
            raise InputError(where, f"département {code} appears twice (first on row {seen[code]})", line=number,
                             column=f"A{number}", value=code)
        seen[code] = number
        for block in blocks:
            values = {}
            for age, index in block.columns.items():
                raw = row[index - 1] if index <= len(row) else None
                count = _count(raw)
                if count is None:
                    problem = "empty cell" if raw is None or _label(raw) == "" else "not a whole number >= 0"
                    raise InputError(where, f"{problem} (cell {_column_letter(index)}{number}, département {code})",
                                     line=number, column=f"{block.sex} / {age}",
                                     value=None if raw is None else str(raw))
                values[age] = count
            bands = sum(values[b] for b in BANDS)
            if bands != values[TOTAL]:
                raise InputError(where, f"the {block.sex} bands of département {code} add up to {bands:g}, not to "
                                        f"the Total {values[TOTAL]:g} (cell "
                                        f"{_column_letter(block.columns[TOTAL])}{number})",
                                 line=number, column=f"{block.sex} / {TOTAL}", value=f"{values[TOTAL]:g}")
            out.rows += [(number, code, block.sex, age, values[age]) for age in (*BANDS, TOTAL)]
    if blocks is None:
        raise InputError(where, f"the sheet has no header row {HEADER_ROW}", line=HEADER_ROW)
    if not seen:
        raise InputError(where, "no département row under the header (column A: 01...95, 2A, 2B, 971...976)")
    return out


def read_workbook(path: Path, years: list[int] | None = None) -> list[SheetRows]:
    """The data rows of each year sheet (filtered to ``years`` if given), checked; most recent year last."""
    if not path.is_file():
        raise InputError(path, "the file does not exist")
    with path.open("rb") as handle:
        head = handle.read(512)
    if not head.startswith(XLSX_MAGIC):
        raise InputError(path, html_instead_of(head, "an xlsx workbook")
                         or "not an xlsx workbook (an xlsx file is a ZIP archive starting with 'PK')")
    # An xlsx is a ZIP that openpyxl reads in place: its entries are checked and capped first (a ZIP bomb, a
    # hostile name); openpyxl never reads more of an entry than its declared size, which is then within the caps.
    safezip.check_zip(path)
    import openpyxl  # imported here: only this source needs it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(path, f"openpyxl could not read the workbook: {exc}") from None
    sheets = []
    try:
        for name in workbook.sheetnames:
            if not YEAR_SHEET.fullmatch(name.strip()):
                continue
            year = int(name.strip())
            if years is not None and year not in years:
                continue
            sheet = workbook[name]
            sheets.append(_read_sheet(path.with_name(f"{path.name}:{name}"), name, year, sheet.iter_rows(values_only=True)))
    finally:
        workbook.close()
    if not sheets and years is None:
        raise InputError(path, f"no year sheet (a sheet named by its year, e.g. 2024) among: "
                               f"{', '.join(workbook.sheetnames)}")
    repeated = sorted({s.year for s in sheets if [t.year for t in sheets].count(s.year) > 1})
    if repeated:
        raise InputError(path, f"year sheet(s) {', '.join(map(str, repeated))} appear more than once")
    return sorted(sheets, key=lambda s: s.year)


def load(con: duckdb.DuckDBPyConnection, raw_dir: Path, years: list[int] | None = None) -> dict:
    """Stage the workbook's year sheets (or those of ``years``) in ``src.fr_insee_population`` (the layout shared with
    the Eurostat and Statbel loaders) and record the workbook in ``meta.sources``. Returns what was loaded."""
    path = find(raw_dir)
    sheets = read_workbook(path, years)
    loaded = [s.year for s in sheets]
    columns: dict[str, list] = {k: [] for k in ("year", "area", "sex", "age", "population", "file", "line")}
    for sheet in sheets:
        file_name = f"{path.name}:{sheet.name}"
        for line, area, sex, age, population in sheet.rows:
            for key, value in zip(columns, (sheet.year, area, sex, age, population, file_name, line), strict=True):
                columns[key].append(value)
    rows = len(columns["year"])
    period = f"{loaded[0]}-{loaded[-1]}" if loaded else ""
    # An Arrow table is handed to DuckDB in one piece (a Python list parameter per column is much slower).
    table = pyarrow.table({"year": pyarrow.array(columns["year"], pyarrow.int32()), "area": columns["area"],
                           "sex": columns["sex"], "age": columns["age"],
                           "population": pyarrow.array(columns["population"], pyarrow.float64()),
                           "file": columns["file"], "line": pyarrow.array(columns["line"], pyarrow.int64())})
    con.register("_insee_population", table)
    try:
        with transaction(con):
            con.execute(STAGING_DDL)
            con.execute(INSERT_SQL)
            # The table holds this workbook only: so does meta.sources.
            con.execute(META_SOURCES_DDL)
            con.execute("DELETE FROM meta.sources WHERE source_id = ?", [SOURCE_ID])
            sources = [record_source(con, SOURCE_ID, path, rows, read_origin(path, ORIGIN), period)]
    finally:
        con.unregister("_insee_population")
    return {"source_id": SOURCE_ID, "file": path.name, "years": loaded, "rows": rows,
            "skipped_rows": sum(s.skipped for s in sheets), "sources": sources}


# ------------------------------------------------------------------------------------------------------------
# Fetching the workbook from insee.fr (``observatory fetch insee_population``)
# ------------------------------------------------------------------------------------------------------------
# The URL is [C] (sources-fr.md) for the 2025 edition; INSEE publishes each edition under a new page number and a
# file name ending with the last year, so both are settings: $OBSERVATORY_URL_INSEE_POPULATION replaces the folder
# URL, $OBSERVATORY_INSEE_POPULATION_FILE the file name. Check them on insee.fr once a year.
FETCH_BASE = ORIGIN.url.rsplit("/", 1)[0]
FETCH_FILE = ORIGIN.url.rsplit("/", 1)[1]
FILE_ENV = "OBSERVATORY_INSEE_POPULATION_FILE"
MAX_BYTES = 64 << 20  # the workbook is ~2 MB


def fetch_url(settings: FetchSettings) -> tuple[str, str]:
    """(file name, URL) of the workbook to fetch; the name must match :data:`FILE_PATTERN` for the loader."""
    name = (settings.environ().get(FILE_ENV) or FETCH_FILE).strip()
    if not fnmatch.fnmatchcase(name, FILE_PATTERN) or "/" in name:
        raise FetchError(f"{FILE_ENV}={name!r}: the loader reads a file named {FILE_PATTERN}")
    return name, f"{settings.base_url('insee_population', FETCH_BASE)}/{name}"


def fetch(settings: FetchSettings) -> FetchOutcome:
    """Fetch the workbook into a new vintage, unless HEAD (ETag, Last-Modified, length) or, after downloading, the
    sha256 says the newest vintage already holds it. The workbook is checked (an xlsx ZIP, not an HTML page) and
    read with :func:`read_workbook` before it is committed, so a vintage is always loadable."""
    name, url = fetch_url(settings)
    session = settings.open_session()
    head = head_or_probe(url, session, timeout=settings.timeout)
    markers = {name: version_markers(head)}
    if vintages.latest_markers_equal(settings.raw_dir, FOLDER, markers):
        return FetchOutcome("insee_population", None, markers,
                            "insee_population: ETag/Last-Modified unchanged since the newest vintage; nothing downloaded")
    incoming = vintages.incoming_dir(settings.raw_dir, *FOLDER.parts)
    result = settings.download(url, incoming / name, session=session, max_bytes=MAX_BYTES, kind="xlsx")
    if vintages.same_as_latest(settings.raw_dir, *FOLDER.parts, {name: result.sha256}):
        result.path.unlink(missing_ok=True)
        return FetchOutcome("insee_population", None, markers,
                            "insee_population: the workbook downloaded is identical to the newest vintage")
    try:
        sheets = read_workbook(result.path)
    except InputError as exc:
        # Kept (not deleted) so that the analyst can open it: INSEE may have changed the layout.
        raise FetchError(f"{url}: the workbook does not read as expected: {exc}; kept in {result.path} for "
                         "inspection; no vintage was written") from exc
    period = f"{sheets[0].year}-{sheets[-1].year}" if sheets else ""
    with vintages.new_vintage(settings.raw_dir, *FOLDER.parts, now=settings.now) as vintage:
        vintage.describe(producer=ORIGIN.producer, licence=ORIGIN.licence, urls=[url], producer_version=markers,
                         reference_period=period)
        vintage.adopt(result.path, name=name, url=url)
    return FetchOutcome("insee_population", vintage.final, markers,
                        f"insee_population: new vintage {vintage.final} (years {period})")


POPULATION = PopulationSource(
    setting="national", source_id=SOURCE_ID, table="src.fr_insee_population", system="insee",
    geo_join="LEFT JOIN nom.fr_departments d ON d.dep = p.area_code",
    geo="nullif(d.nuts3, '')", country="'FR'", known="d.dep IS NOT NULL", in_area="d.in_area = 'true'",
    unknown_area="'département ' || p.area_code || ' not in fr_departments.csv'",
    has_total_class=True, has_sex_total=True,
)
SOURCES = (Source(
    SOURCE_ID, "FR", FOLDER, "INSEE population estimates",
    "INSEE population estimates by département, sex and five-year age (estim-pop-dep-sexe-aq workbook), staged in "
    "``src.fr_insee_population``. Used when the population setting is ``national``; optional.",
    CONTEXT, (POPULATION.table,), load, modules=(context,), kinds=frozenset({"duckdb", "excel"}),
    fetcher=Fetcher("insee_population", FOLDER, "INSEE population estimates by département, sex, age", fetch),
    population=POPULATION,
    context=context.ContextInput(SOURCE_ID, FOLDER, FILE_PATTERN, context.without_national("French", "France"),
                                 POPULATION.table, STAGING_DDL, candidates)),)
