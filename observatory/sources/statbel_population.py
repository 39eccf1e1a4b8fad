"""Statbel population by commune, sex, nationality, civil status and single year of age (``TF_SOC_POP_STRUCT``).

``be/statbel_population/TF_SOC_POP_STRUCT_<yyyy>.zip`` (as downloaded, one ``.txt`` inside) or the extracted
``TF_SOC_POP_STRUCT_<yyyy>.txt``; one file per year, several years allowed. Facts (sources-be.md):

- the text is **pipe-delimited, UTF-8 with a BOM**, 21 columns [V-file]::

      CD_REFNIS|TX_DESCR_NL|TX_DESCR_FR|CD_DSTR_REFNIS|TX_ADM_DSTR_DESCR_NL|TX_ADM_DSTR_DESCR_FR|CD_PROV_REFNIS|
      TX_PROV_DESCR_NL|TX_PROV_DESCR_FR|CD_RGN_REFNIS|TX_RGN_DESCR_NL|TX_RGN_DESCR_FR|CD_SEX|CD_NATLTY|TX_NATLTY_NL|
      TX_NATLTY_FR|CD_CIV_STS|TX_CIV_STS_NL|TX_CIV_STS_FR|CD_AGE|MS_POPULATION

  ``CD_SEX`` F or M; ``CD_AGE`` single years; Brussels communes have an empty ``CD_PROV_REFNIS`` [C]. Columns are
  read by name: only :data:`REQUIRED` must be there, added columns are tolerated. No quoting is assumed [U];
- statbel.fgov.be may answer a script with an HTML CAPTCHA page and HTTP 200 [C]: a ``.zip`` is checked by its magic
  bytes, and an HTML page is reported as such;
- the reference date is 1 January of the year in the file name (``TF_SOC_POP_STRUCT_2024``: population on
  1 January 2024) [U: assumption, recorded as ``meta.sources.reference_period``].

One streaming pass (:func:`observatory.textfile.check_delimited`) checks encoding and line shape with exact line
numbers; DuckDB then reads the file as text and SQL checks every value (``CD_REFNIS`` 5 digits, ``CD_SEX`` F/M,
``CD_AGE`` and ``MS_POPULATION`` whole numbers >= 0): each problem is an :class:`InputError` naming the file
(``<zip>:<member>``), the line (the header is line 1), the column and the value. Lines are summed over nationality and
civil status per commune x sex x age (``rows`` = lines summed). Every commune is staged, Brussels included:
harmonisation maps REFNIS to NUTS3 and counts those outside the area.

:func:`fetch` downloads the years of ``$OBSERVATORY_STATBEL_YEARS`` (default: the last four) into one dated vintage
``be/statbel_population/<date>/``; the download URL is [U] and configurable (``$OBSERVATORY_URL_STATBEL_POPULATION``).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import duckdb

from observatory import context, safezip, vintages
from observatory.download import DownloadError, DownloadResult, HtmlPageError
from observatory.duck import transaction
from observatory.errors import InputError, describe_duckdb_read_error
from observatory.fetch import Fetcher, FetchError, FetchOutcome, FetchSettings
from observatory.population import PopulationSource
from observatory.provenance import META_SOURCES_DDL, Origin, read_origin, record_source
from observatory.sources import CONTEXT, Source, population_staging_ddl
from observatory.textfile import check_delimited

SOURCE_ID = "be_statbel_population"
FOLDER = Path("be") / "statbel_population"
FILE_NAME = re.compile(r"TF_SOC_POP_STRUCT_(\d{4})\.(zip|txt)", re.IGNORECASE)
ORIGIN = Origin(
    producer="Statbel (Direction générale Statistique)",
    url="https://statbel.fgov.be/fr/open-data/population-par-lieu-de-residence-nationalite-etat-civil-age-et-sexe",
    licence="Licence Ouverte / Open Data Licence (Statbel), source to be acknowledged",  # [U]
)
DELIMITER = "|"
REQUIRED = ("CD_REFNIS", "CD_SEX", "CD_AGE", "MS_POPULATION")
# (column, regular expression, what is expected) - checked in this order.
CHECKS = (
    ("CD_REFNIS", r"\d{5}", "a 5-digit REFNIS commune code"),
    ("CD_SEX", r"[FM]", "F or M"),
    ("CD_AGE", r"\d{1,3}", "an age in whole years >= 0"),
    ("MS_POPULATION", r"\d{1,15}", "a whole number >= 0"),
)

STAGING_DDL = population_staging_ddl("src.be_statbel_population")
READ_SQL = """
CREATE OR REPLACE TEMP TABLE _statbel_raw AS
SELECT * FROM read_csv($path, delim = $delim, header = true, quote = '', escape = '', columns = $columns,
                       auto_detect = false, strict_mode = true, parallel = false, null_padding = false)
"""
# A fresh table keeps insertion order, so rowid + 2 is the line number (line 1 is the header, BOM included).
LINES_SQL = """
CREATE OR REPLACE TEMP TABLE _statbel AS
SELECT rowid + 2 AS line, {columns} FROM _statbel_raw
"""
AGGREGATE_SQL = """
INSERT INTO _statbel_all
SELECT $year, CD_REFNIS, CD_SEX, CAST(CAST(CD_AGE AS INTEGER) AS VARCHAR), CAST(sum(CAST(MS_POPULATION AS BIGINT))
       AS DOUBLE), NULL, NULL, $file_name, min(line), count(*)
FROM _statbel GROUP BY CD_REFNIS, CD_SEX, CAST(CD_AGE AS INTEGER)
"""


@dataclass(frozen=True)
class StatbelFile:
    year: int
    path: Path  # the file in the folder (ZIP or text)


def candidates(raw_dir: Path) -> list[Path]:
    """Files in ``raw_dir/be/statbel_population`` named ``TF_SOC_POP_STRUCT_<yyyy>.zip`` or ``.txt``."""
    folder = vintages.current(raw_dir, FOLDER)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and FILE_NAME.fullmatch(p.name))


def find(raw_dir: Path) -> list[StatbelFile]:
    """One file per year; a year with both the ZIP and a text file is an error (which one to load is ambiguous)."""
    folder = vintages.current(raw_dir, FOLDER)
    by_year: dict[int, list[Path]] = {}
    for path in candidates(raw_dir):
        by_year.setdefault(int(FILE_NAME.fullmatch(path.name).group(1)), []).append(path)
    if not by_year:
        raise InputError(folder, f"no Statbel population file (TF_SOC_POP_STRUCT_<yyyy>.zip or .txt) in {folder}")
    for year, paths in by_year.items():
        if len(paths) > 1:
            raise InputError(folder, f"{len(paths)} files for {year}: {', '.join(p.name for p in paths)}; keep one "
                                     "(the ZIP as downloaded, or the text extracted from it)")
    return [StatbelFile(year, paths[0]) for year, paths in sorted(by_year.items())]


def _member_name(zip_path: Path, member: str) -> Path:
    """Where errors about a ZIP member point: ``<zip>:<member>`` beside the ZIP."""
    return zip_path.with_name(f"{zip_path.name}:{PurePosixPath(member).name}")


def _extract(zip_path: Path, folder: Path) -> tuple[Path, str]:
    """The single ``.txt`` member, streamed to ``folder`` through the capped extractor (:mod:`observatory.safezip`,
    which also names an HTML page saved as the ZIP); return its path and its name in the ZIP."""
    with safezip.open_zip(zip_path) as archive:
        members = archive.files
        texts = [info for info in members if info.filename.lower().endswith(".txt")]
        if len(texts) != 1:
            raise InputError(zip_path, f"expected one .txt member, found {len(texts)}: "
                                       f"{', '.join(i.filename for i in members) or 'an empty archive'}")
        target = archive.extract(texts[0], folder / PurePosixPath(texts[0].filename.replace("\\", "/")).name)
        return target, texts[0].filename


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read(con: duckdb.DuckDBPyConnection, text: Path, where: Path, year: int, file_name: str) -> int:
    """Check ``text`` and add its lines, summed per commune x sex x age, to ``_statbel_all``; return its data lines.

    Errors name ``where`` (the text file, or ``<zip>:<member>``), never the temporary copy."""
    try:
        profile = check_delimited(text, delimiter=DELIMITER, required=list(REQUIRED))
    except InputError as exc:
        raise InputError(where, exc.problem, line=exc.line, column=exc.column, value=exc.value, more=exc.more) from None
    try:
        con.execute(READ_SQL, {"path": str(text), "delim": DELIMITER,
                               "columns": {name: "VARCHAR" for name in profile.header}})
    except duckdb.Error as exc:
        problem, line = describe_duckdb_read_error(exc)
        raise InputError(where, problem, line=line) from None
    try:
        con.execute(LINES_SQL.format(columns=", ".join(f"coalesce(trim({_q(c)}), '') AS {_q(c)}" for c in REQUIRED)))
        lines = con.execute("SELECT count(*) FROM _statbel").fetchone()[0]
        if lines != profile.data_lines:
            raise InputError(where, f"DuckDB read {lines} rows where the file has {profile.data_lines} data lines")
        for column, pattern, meaning in CHECKS:
            bad = con.execute(f"SELECT min(line), count(*), arg_min({_q(column)}, line) FROM _statbel "
                              f"WHERE NOT regexp_full_match({_q(column)}, ?)", [pattern]).fetchone()
            if bad[1]:
                problem = f"expected {meaning}" if bad[2] else "empty value; the column is mandatory"
                raise InputError(where, problem, line=bad[0], column=column, value=bad[2] or None, more=bad[1] - 1)
        con.execute(AGGREGATE_SQL, {"year": year, "file_name": file_name})
    finally:
        con.execute("DROP TABLE IF EXISTS _statbel_raw; DROP TABLE IF EXISTS _statbel")
    return lines


def _record(con: duckdb.DuckDBPyConnection, path: Path, text: Path, name: str, lines: int, year: int) -> dict:
    """``meta.sources`` row of one file; for a ZIP, of its member (sha256 and size uncompressed), named
    ``<zip>:<member>``, with the origin of the ZIP's sidecar."""
    row = record_source(con, SOURCE_ID, text, lines, read_origin(path, ORIGIN), f"{year}-01-01")
    if text == path:
        return row
    full = f"{path}:{name.removeprefix(path.name + ':')}"
    con.execute("UPDATE meta.sources SET file_name = ?, path = ? WHERE source_id = ? AND file_name = ?",
                [name, full, SOURCE_ID, text.name])
    return {**row, "file_name": name, "path": full}


def load(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Stage every year's file in ``src.be_statbel_population`` (the layout shared with the Eurostat and INSEE
    loaders), summed over nationality and civil status, and record each file in ``meta.sources``. The table and the
    sources are replaced together once every file is read. Returns what was loaded, for Dagster metadata."""
    files = find(raw_dir)
    con.execute("""CREATE OR REPLACE TEMP TABLE _statbel_all (
        year INTEGER, area_code VARCHAR, sex_code VARCHAR, age_class VARCHAR, population DOUBLE, obs_flag VARCHAR,
        conf_status VARCHAR, file_name VARCHAR, line BIGINT, rows BIGINT)""")
    read: list[tuple[StatbelFile, Path, str, int]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="statbel_") as tmp:
            for item in files:
                if item.path.suffix.lower() == ".zip":
                    folder = Path(tmp) / str(item.year)
                    folder.mkdir()
                    text, member = _extract(item.path, folder)
                    name, where = f"{item.path.name}:{member}", _member_name(item.path, member)
                else:
                    text, name, where = item.path, item.path.name, item.path
                lines = _read(con, text, where, item.year, name)
                read.append((item, text, name, lines))
            with transaction(con):
                con.execute(STAGING_DDL)
                con.execute("INSERT INTO src.be_statbel_population SELECT * FROM _statbel_all ORDER BY ALL")
                # The table holds these files only: so does meta.sources.
                con.execute(META_SOURCES_DDL)
                con.execute("DELETE FROM meta.sources WHERE source_id = ?", [SOURCE_ID])
                sources = [_record(con, item.path, text, name, lines, item.year) for item, text, name, lines in read]
        rows = con.execute("SELECT count(*) FROM _statbel_all").fetchone()[0]
    finally:
        con.execute("DROP TABLE IF EXISTS _statbel_all")
    return {"source_id": SOURCE_ID, "files": [name for _, _, name, _ in read], "years": [f.year for f in files],
            "lines": sum(lines for *_, lines in read), "rows": rows, "sources": sources}


# ------------------------------------------------------------------------------------------------------------
# Fetching the yearly ZIPs from statbel.fgov.be (``observatory fetch statbel_population``)
# ------------------------------------------------------------------------------------------------------------
# [U] The folder of the open-data files, as used by public scripts (not checked against the live site, whose page
# links may move): $OBSERVATORY_URL_STATBEL_POPULATION replaces it; the file is TF_SOC_POP_STRUCT_<yyyy>.zip [C].
FETCH_BASE = ("https://statbel.fgov.be/sites/default/files/files/opendata/bevolking%20naar%20woonplaats%2C%20"
              "nationaliteit%20burgelijke%20staat%20%2C%20leeftijd%20en%20geslacht")
YEARS_ENV = "OBSERVATORY_STATBEL_YEARS"
# Jobs at 31 December of Y are compared with the population on 1 January of Y + 1, and jobs come a year or two
# late: the last four years cover the years built, the current one included (a 404 until Statbel publishes it).
DEFAULT_YEAR_COUNT = 4
MAX_BYTES = 256 << 20  # a year is ~10 MB zipped


def fetch_years(settings: FetchSettings) -> list[int]:
    """``$OBSERVATORY_STATBEL_YEARS`` (``2023,2024`` or ``2022-2025``), else the last four years up to now."""
    text = (settings.environ().get(YEARS_ENV) or "").strip()
    if not text:
        now = settings.now or datetime.now(UTC)
        return list(range(now.year - DEFAULT_YEAR_COUNT + 1, now.year + 1))
    years: set[int] = set()
    for part in (p.strip() for p in text.split(",") if p.strip()):
        found = re.fullmatch(r"(\d{4})(?:\s*-\s*(\d{4}))?", part)
        if not found or (found.group(2) and int(found.group(2)) < int(found.group(1))):
            raise FetchError(f"{YEARS_ENV}={text!r}: expected years like 2023,2024 or a range 2022-2025")
        years.update(range(int(found.group(1)), int(found.group(2) or found.group(1)) + 1))
    return sorted(years)


def fetch_url(settings: FetchSettings, year: int) -> str:
    return f"{settings.base_url('statbel_population', FETCH_BASE)}/TF_SOC_POP_STRUCT_{year}.zip"


def fetch(settings: FetchSettings) -> FetchOutcome:
    """Fetch ``TF_SOC_POP_STRUCT_<yyyy>.zip`` for each year of :func:`fetch_years` into one vintage.

    A year not published yet (HTTP 404) is skipped with a message, as long as one year at least was fetched. An
    HTML page instead of a ZIP (Statbel's CAPTCHA for scripts, HTTP 200) stops the fetch with a
    :class:`FetchError` saying so: nothing is committed and the earlier vintages stay as they were. Identical
    files (sha256) make no new vintage.
    """
    session = settings.open_session()
    incoming = vintages.incoming_dir(settings.raw_dir, *FOLDER.parts)
    fetched: dict[int, DownloadResult] = {}
    skipped: list[int] = []
    try:
        for year in fetch_years(settings):
            url = fetch_url(settings, year)
            try:
                result = settings.download(url, incoming / f"TF_SOC_POP_STRUCT_{year}.zip", session=session,
                                           max_bytes=MAX_BYTES, kind="zip")
            except DownloadError as exc:
                if exc.status == 404:
                    settings.say(f"statbel_population: {year} not published (HTTP 404 at {url}); skipped")
                    skipped.append(year)
                    continue
                if isinstance(exc, HtmlPageError):
                    raise FetchError(f"statbel_population: {url} answered an HTML page (a CAPTCHA: statbel.fgov.be "
                                     "refuses scripts this way, with HTTP 200), not the ZIP. Download "
                                     f"TF_SOC_POP_STRUCT_{year}.zip in a browser and put it, with the other years' "
                                     f"files, in a new dated folder {settings.raw_dir / FOLDER}/<YYYY-MM-DD>/ (the "
                                     "build reads the newest one); the earlier vintages are intact") from exc
                raise
            try:
                with safezip.open_zip(result.path) as archive:
                    texts = [i.filename for i in archive.files if i.filename.lower().endswith(".txt")]
            except InputError as exc:
                raise FetchError(f"statbel_population: {url}: {exc.problem}; no vintage was written") from None
            if len(texts) != 1:
                raise FetchError(f"statbel_population: {url}: expected one .txt in the ZIP, found "
                                 f"{', '.join(texts) or 'none'}; no vintage was written")
            fetched[year] = result
    except BaseException:
        for result in fetched.values():
            result.path.unlink(missing_ok=True)
        raise
    if not fetched:
        raise FetchError(f"statbel_population: none of the years {', '.join(map(str, skipped))} is published (HTTP "
                         f"404 under {settings.base_url('statbel_population', FETCH_BASE)}); set {YEARS_ENV} or "
                         "$OBSERVATORY_URL_STATBEL_POPULATION")
    version = {r.path.name: {"etag": r.etag, "last_modified": r.last_modified, "size": r.size}
               for r in fetched.values()}
    note = f"; not published: {', '.join(map(str, skipped))}" if skipped else ""
    if vintages.same_as_latest(settings.raw_dir, *FOLDER.parts, {r.path.name: r.sha256 for r in fetched.values()}):
        for result in fetched.values():
            result.path.unlink(missing_ok=True)
        return FetchOutcome("statbel_population", None, version,
                            f"statbel_population: same files as the newest vintage{note}")
    with vintages.new_vintage(settings.raw_dir, *FOLDER.parts, now=settings.now) as vintage:
        vintage.describe(producer=ORIGIN.producer, licence=ORIGIN.licence, urls=[r.url for r in fetched.values()],
                         producer_version=version, note=note.removeprefix("; "))
        for year, result in fetched.items():
            vintage.adopt(result.path, url=result.url, reference_period=f"{year}-01-01")
    return FetchOutcome("statbel_population", vintage.final, version,
                        f"statbel_population: new vintage {vintage.final} (years {', '.join(map(str, fetched))}{note})")


POPULATION = PopulationSource(
    setting="national", source_id=SOURCE_ID, table="src.be_statbel_population", system="statbel",
    geo_join="LEFT JOIN nom.be_arrondissements a ON a.arrondissement = left(p.area_code, 2)",
    geo="nullif(a.nuts3, '')", country="'BE'", known="a.arrondissement IS NOT NULL", in_area="a.in_area = 'true'",
    unknown_area="'REFNIS ' || p.area_code || ': arrondissement ' || left(p.area_code, 2) "
    "|| ' not in be_arrondissements.csv'",
    has_total_class=False, has_sex_total=False,
)
SOURCES = (Source(
    SOURCE_ID, "BE", FOLDER, "Statbel population",
    "Statbel population by commune, sex and single year of age (TF_SOC_POP_STRUCT_<yyyy>), aggregated over "
    "nationality and civil status, staged in ``src.be_statbel_population``. Used when the setting is "
    "``national``; optional.",
    CONTEXT, (POPULATION.table,), load, modules=(context,),
    fetcher=Fetcher("statbel_population", FOLDER, "Statbel population by commune, sex, age", fetch),
    population=POPULATION,
    context=context.ContextInput(SOURCE_ID, FOLDER, "TF_SOC_POP_STRUCT_<yyyy>.zip or .txt",
                                 context.without_national("Belgian", "Belgium"), POPULATION.table, STAGING_DDL,
                                 candidates)),)
