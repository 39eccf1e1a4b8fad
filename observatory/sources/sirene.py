"""INSEE SIRENE stock files (public, Licence Ouverte / Etalab 2.0): active establishments by département and legal unit.

Two monthly files from data.gouv (sources-fr.md): ``StockUniteLegale`` (~30 M legal units) and ``StockEtablissement``
(~42 M establishments, 5-8 GB of CSV). Each may be given as Parquet, as the CSV, or as the ZIP data.gouv serves; the
columns are read by header name (INSEE adds columns over time) and as text. DuckDB does all the reading, joining and
aggregating; Python never holds rows. The result, ``src.fr_sirene_establishments``, counts the ACTIVE
establishments per (département, legal category, ESS flag, activity and its nomenclature, NAF 2025 activity,
employer): harmonisation classifies it by territory. The département (``dep_code``: the first two characters of
``codeCommuneEtablissement``, three for the overseas 97x) is the finest territory the observatory publishes (NUTS3);
grouping by commune gave about 12 million groups nationally, for nothing, and cost more than reading the files
(issue 14). Each group keeps one of its commune codes (``commune_example``) for the reject messages.
``activitePrincipaleNAF25Etablissement`` (added 2025-12-16) is read when the file has it. The vintages older than
the one read (one per month) are staged once each by the same code and kept (:mod:`observatory.snapshots`): each
adds the establishments of its year to the table, the latest snapshot of each year.

:func:`fetch` downloads both files (Parquet by default, ZIP with ``OBSERVATORY_SIRENE_FORMAT=zip``) into a dated
vintage ``fr/sirene/<date>/``, which :func:`find_files` then reads; HEAD (ETag, Last-Modified, length) spares the
download when the newest vintage already holds the producer's version.
"""

from __future__ import annotations

import calendar
import csv
import difflib
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path, PurePosixPath

import duckdb

from observatory import checksums, harmonise, safezip, snapshots, vintages, zipcache
from observatory.download import DownloadError, DownloadResult, head_or_probe, version_markers
from observatory.duck import table_exists
from observatory.errors import InputError, describe_duckdb_read_error
from observatory.fetch import Fetcher, FetchError, FetchOutcome, FetchSettings
from observatory.provenance import SIDECAR_SUFFIX, Origin, read_origin, record_source
from observatory.rejects import replace_rejects
from observatory.sources import REGISTRY, Source
from observatory.textfile import BOM, require_final_newline

SOURCE_ID = "fr_sirene"
FOLDER = Path("fr") / "sirene"
UNITS = "StockUniteLegale"
ESTABLISHMENTS = "StockEtablissement"
# The dataset page; each file's own stable URL (FILE_URLS) replaces it in meta.sources.
ORIGIN = Origin(
    producer="INSEE (Sirene)",
    url="https://www.data.gouv.fr/datasets/5b7ffc618b4c4169d30727e0",
    licence="Licence Ouverte / Etalab 2.0",
)
_PARQUET_URL = "https://object.files.data.gouv.fr/data-pipeline-open/siren/stock/{}_utf8.parquet"
# A CSV is the member of the ZIP served at the stable URL, so both share that URL.
FILE_URLS = {
    (UNITS, ".zip"): "https://www.data.gouv.fr/datasets/r/825f4199-cadd-486c-ac46-a65a8ea1a047",
    (UNITS, ".csv"): "https://www.data.gouv.fr/datasets/r/825f4199-cadd-486c-ac46-a65a8ea1a047",
    (UNITS, ".parquet"): _PARQUET_URL.format(UNITS),
    (ESTABLISHMENTS, ".zip"): "https://www.data.gouv.fr/datasets/r/0651fb76-bcf3-4f6a-a38d-bc04fa708576",
    (ESTABLISHMENTS, ".csv"): "https://www.data.gouv.fr/datasets/r/0651fb76-bcf3-4f6a-a38d-bc04fa708576",
    (ESTABLISHMENTS, ".parquet"): _PARQUET_URL.format(ESTABLISHMENTS),
}
SUFFIXES = (".parquet", ".csv", ".zip")  # order of preference when several are present

UNIT_COLUMNS = (
    "siren",
    "categorieJuridiqueUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "etatAdministratifUniteLegale",
    "dateDernierTraitementUniteLegale",
    "dateCreationUniteLegale",
    # The start of the unit's current period: for a ceased unit (etatAdministratifUniteLegale = C), the date it
    # ceased (the real line of 005410220: C since 1988-03-31).
    "dateDebut",
)
# What a legal unit's kind stands for (:func:`_stage_units`).
_KIND_COLUMNS = ("categorieJuridiqueUniteLegale", "economieSocialeSolidaireUniteLegale")
# Enterprise demography (issue 15) leaves out the units that ceased before this year: they are in no published year.
DEMOGRAPHY_FROM_YEAR = 2000
# Where a legal unit is: the commune of its head office (etablissementSiege = true) in the establishment file.
SIEGE_COLUMNS = ("siren", "etablissementSiege", "codeCommuneEtablissement")
ESTABLISHMENT_COLUMNS = (
    "siren",
    "siret",
    "etatAdministratifEtablissement",
    "codeCommuneEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "dateDernierTraitementEtablissement",
)
# Read when present (INSEE added it on 2025-12-16 [C]), NULL in older files: the establishment's NAF 2025 code.
ESTABLISHMENT_OPTIONAL = ("activitePrincipaleNAF25Etablissement",)
# [U] The value of nomenclatureActivitePrincipaleEtablissement that will say activitePrincipaleEtablissement is a
# NAF 2025 code once NAF 2025 becomes the official APE (2027-01-01 [C]); not yet seen in a real file.
NAF2025_NOMENCLATURES = ("NAF2025",)
# Identifiers whose leading zeros a typed Parquet writer could have dropped (siren 000325175).
CODE_WIDTHS = {"siren": 9, "siret": 14, "codeCommuneEtablissement": 5}
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
ORPHAN_REASON = "establishment whose siren is not in StockUniteLegale"


@dataclass(frozen=True)
class _File:
    raw: Path  # the file in raw_dir: named in errors, fingerprinted in meta.sources
    data: Path  # the file DuckDB reads: ``raw``, or the CSV streamed out of the ZIP

    def problem(self, text: str) -> str:
        return text if self.data == self.raw else f"{self.data.name} (in the ZIP): {text}"


def find_files(raw_dir: Path) -> tuple[Path, Path]:
    """The legal-unit and establishment files in ``raw_dir/fr/sirene`` (its current vintage): Parquet, else CSV,
    else ZIP, for each."""
    return _files_in(vintages.current(raw_dir, FOLDER))


def _files_in(folder: Path) -> tuple[Path, Path]:
    found: dict[str, Path | None] = {}
    for stem in (UNITS, ESTABLISHMENTS):
        found[stem] = next((p for s in SUFFIXES if (p := folder / f"{stem}_utf8{s}").is_file()), None)
    missing = [stem for stem, path in found.items() if path is None]
    if missing:
        looked = "; ".join(", ".join(f"{stem}_utf8{s}" for s in SUFFIXES) for stem in missing)
        raise InputError(folder, f"no SIRENE stock file for {' and '.join(missing)} in {folder} (looked for {looked})")
    return found[UNITS], found[ESTABLISHMENTS]  # type: ignore[return-value]


# What a vintage leaves for the time series (observatory.snapshots): its establishments, a year of mart.establishments.
HISTORY_TABLES = ("src.fr_sirene_establishments",)


def load(con: duckdb.DuckDBPyConnection, raw_dir: Path, cache_dir: Path) -> dict:
    """Stage ``src.fr_sirene_establishments``; reject active establishments without a legal unit; record both files.

    The stock read now gives the legal units (the demography) and the establishments of its year; the older
    vintages kept in ``raw_dir`` add the establishments of their years (:mod:`observatory.snapshots`), the latest
    snapshot of each year. Returns what was loaded, for Dagster metadata. ``cache_dir`` keeps the CSV of a ZIP (it
    needs the free space of the uncompressed file: 5-8 GB nationally) for the builds after, which reuse it while the
    ZIP is unchanged (:mod:`observatory.zipcache`); an older one is removed.
    """
    folder = vintages.current(raw_dir, FOLDER)
    summary = _load_vintage(con, folder, cache_dir)
    snapshots.add_history(con, raw_dir, FOLDER, cache_dir, SOURCE_ID, __name__, HISTORY_TABLES, _load_vintage, summary)
    return summary


def _load_vintage(con: duckdb.DuckDBPyConnection, folder: Path, cache_dir: Path) -> dict:
    """Stage the SIRENE stock files of ``folder`` (see :func:`load`)."""
    units_path, establishments_path = _files_in(folder)
    cache_dir = cache_dir / SOURCE_ID
    try:
        # From ZIPs, the establishment file is inflated while the units' file is inflated and staged.
        with zipcache.meanwhile(_readable, establishments_path, cache_dir) as pending:
            units = _readable(units_path, cache_dir)
            unit_rows = _stage_units(con, units)
        establishments = pending.result()
        counts = _group_establishments(con, establishments)

        demography = _stage_demography(con, establishments, unit_rows)
        snapshot, snapshot_from = _snapshot_date(establishments_path, units_path, counts["last_processed"])
        # One statement, so a failure leaves the previous snapshot in place. Closed establishments and orphans are
        # out. The active groups are already one row per (dep_code, cj, ..., employer): neither a second GROUP BY nor
        # an ORDER BY (the published tables have their own order) is paid for again on millions of rows.
        con.execute("CREATE SCHEMA IF NOT EXISTS src")
        con.execute(
            """CREATE OR REPLACE TABLE src.fr_sirene_establishments AS
               SELECT CAST(? AS DATE) AS snapshot_date, g.dep_code, k.cj, k.ess_flag, g.activity,
                      g.activity_nomenclature, g.activity_naf25, g.employer, g.commune_example,
                      CAST(g.establishments AS BIGINT) AS establishments
               FROM _sirene_groups g JOIN _sirene_unit_kinds k USING (kind) WHERE g.active AND NOT g.orphan""",
            [snapshot],
        )
        # Parquet and parallel CSV reading give no reliable line number: the siret identifies the row.
        replace_rejects(
            con, SOURCE_ID, None,
            """SELECT ? AS file_name, NULL::BIGINT AS line, ? AS reason, coalesce(orphan_siret, '') AS raw_text,
                      NULL::BIGINT AS jobs
               FROM _sirene_groups WHERE orphan ORDER BY orphan_siret""",
            [establishments_path.name, ORPHAN_REASON],
        )
        aggregated, groups, naf25_only = con.execute(
            """SELECT coalesce(sum(establishments), 0), count(*),
                      coalesce(sum(establishments) FILTER (WHERE activity_nomenclature <> 'NAFRev2'
                                                           AND activity_naf25 <> ''), 0)
               FROM src.fr_sirene_establishments"""
        ).fetchone()
    finally:
        con.execute("DROP TABLE IF EXISTS _sirene_units; DROP TABLE IF EXISTS _sirene_groups; "
                    "DROP TABLE IF EXISTS _sirene_unit_groups; DROP TABLE IF EXISTS _sirene_unit_kinds; "
                    "DROP TABLE IF EXISTS _sirene_unit_rows")
    zipcache.keep_only(cache_dir, [f.data for f in (units, establishments) if f.data != f.raw])

    # Both files hashed side by side (record_source then finds their digests): a first build hashes 2.5 GB here.
    checksums.sha256_all([units_path, establishments_path])
    sources = [
        record_source(con, SOURCE_ID, path, rows, _origin(path, stem), snapshot.isoformat())
        for path, rows, stem in (
            (units_path, unit_rows, UNITS),
            (establishments_path, counts["rows"], ESTABLISHMENTS),
        )
    ]
    return {
        "files": {UNITS: units_path.name, ESTABLISHMENTS: establishments_path.name},
        "rows_read": {units_path.name: unit_rows, establishments_path.name: counts["rows"]},
        "active_establishments": counts["active"],
        "establishments_aggregated": int(aggregated),
        "aggregate_rows": groups,
        # Classified through their NAF 2025 code (no NAF rev. 2 code): see harmonisation and meta.row_accounting.
        "establishments_naf2025_only": int(naf25_only),
        "orphans_rejected": counts["orphans"],
        "demography_groups": demography["groups"],
        # Legal units whose head office is not in the establishment file: in no territory, so in no demography.
        "units_without_head_office": demography["units_without_head_office"],
        "snapshot_date": snapshot.isoformat(),
        "snapshot_date_from": snapshot_from,
        "sources": sources,
    }


def snapshot_year(con: duckdb.DuckDBPyConnection) -> int:
    """Year of the snapshot staged in ``src.fr_sirene_establishments``."""
    snapshot = con.execute("SELECT max(snapshot_date) FROM src.fr_sirene_establishments").fetchone()[0]
    if snapshot is None:
        raise ValueError("src.fr_sirene_establishments is empty: load the SIRENE stock files first")
    return snapshot.year


def _origin(path: Path, stem: str) -> Origin:
    return read_origin(path, replace(ORIGIN, url=FILE_URLS[(stem, path.suffix)]))


def _readable(path: Path, cache_dir: Path) -> _File:
    """The file as DuckDB can read it: itself, or the CSV of a ZIP (DuckDB cannot read inside one), streamed
    through the capped extractor (:mod:`observatory.safezip`) once per version of the ZIP."""
    if path.suffix != ".zip":
        return _File(path, path)
    with safezip.open_zip(path) as archive:
        members = [m for m in archive.files if m.filename.lower().endswith(".csv")]
        if len(members) != 1:
            names = ", ".join(m.filename for m in archive.archive.infolist()) or "nothing"
            raise InputError(path, f"expected exactly one CSV file in the ZIP, found: {names}")
        member = members[0]
        name = PurePosixPath(member.filename.replace("\\", "/")).name
        return _File(path, zipcache.extract(archive, member, cache_dir, name))


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_header(file: _File) -> list[str]:
    """The names on the first line (BOM tolerated): the header alone, never a data row, is read in Python."""
    with file.data.open("rb") as handle:
        first = handle.readline(1 << 20)
    try:
        text = first.removeprefix(BOM).decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(file.raw, file.problem("the header is not valid UTF-8"), line=1) from None
    names = [name.strip() for name in next(csv.reader([text]), [])]
    if not any(names):
        raise InputError(file.raw, file.problem("the file is empty (no header line)"), line=1)
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise InputError(file.raw, file.problem(f"column(s) {', '.join(repeated)} appear more than once"), line=1)
    require_final_newline(file.data, where=file.raw, problem=file.problem)
    return names


def _relation(file: _File, names: list[str]) -> str:
    """The SQL table function reading the file. For CSV every header name is declared VARCHAR (all as text) and the
    sniffer is off: on a malformed line it would fail without a line number, the CSV reader names the line."""
    path = _sql_string(str(file.data))
    if file.data.suffix == ".parquet":
        return f"read_parquet({path})"
    columns = ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in names)
    return (f"read_csv({path}, header = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
            f"columns = {{{columns}}})")


@contextmanager
def _reading(file: _File) -> Iterator[None]:
    """DuckDB errors while reading become an InputError naming the file (and the line, for CSV errors)."""
    try:
        yield
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise
    except duckdb.Error as exc:
        problem, line = describe_duckdb_read_error(exc)
        raise InputError(file.raw, file.problem(problem), line=line) from None


def _source(con: duckdb.DuckDBPyConnection, file: _File, required: tuple[str, ...],
            optional: tuple[str, ...] = (), dates: tuple[str, ...] = (), typed: tuple[str, ...] = ()) -> str:
    """Check that the required columns are present (header only); return a subquery of them as text, by name, with
    the ``optional`` columns too (NULL when the file has no such column), and the ``dates`` as DATE (NULL when not
    a date): Parquet's typed timestamps are cast directly, not formatted as text and parsed back (3 s nationally).
    The ``typed`` columns keep the file's own type (text in a CSV), for a caller that casts only their distinct
    values."""
    if file.data.suffix == ".parquet":
        with _reading(file):
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_string(str(file.data))})").fetchall()
        types = {name: kind for name, kind, *_ in described}
    else:
        types = dict.fromkeys(_csv_header(file), "VARCHAR")
    missing = [name for name in required if name not in types]
    if missing:
        hints = [f"{name} ~ {close[0]}" for name in missing if (close := difflib.get_close_matches(name, types, 1))]
        hint = f"; closest names in the file: {', '.join(hints)}" if hints else ""
        raise InputError(file.raw, file.problem(f"missing column(s): {', '.join(missing)}{hint}"),
                         line=1 if file.data.suffix == ".csv" else None, column=", ".join(missing))
    projected = []
    for name in required + optional:
        quoted = '"' + name.replace('"', '""') + '"'
        if name not in types:
            projected.append(f"NULL::VARCHAR AS {quoted}")
            continue
        text = quoted if types[name] == "VARCHAR" or name in typed else f"CAST({quoted} AS VARCHAR)"
        if name in dates:
            text = (f"TRY_CAST(left({quoted}, 10) AS DATE)" if types[name] == "VARCHAR"
                    else f"TRY_CAST({quoted} AS DATE)")
        elif types[name] in INTEGER_TYPES and name in CODE_WIDTHS:
            text = f"lpad({text}, {CODE_WIDTHS[name]}, '0')"
        projected.append(f"{text} AS {quoted}")  # an empty CSV field is NULL: callers coalesce
    return f"(SELECT {', '.join(projected)} FROM {_relation(file, list(types))})"


def _siren_key(column: str) -> str:
    """The siren as an integer join key (NULL unless 9 digits): joining 42.7 M establishments to 30 M legal units on
    integers took 17 s where the text took 28 s (issue 14). Nine digits fit an INTEGER; the leading zeros, fixed
    by the width, carry no information."""
    return f"CASE WHEN length({column}) = 9 THEN TRY_CAST({column} AS INTEGER) END"


def _stage_units(con: duckdb.DuckDBPyConnection, file: _File) -> int:
    """``_sirene_units``: siren (as :func:`_siren_key`), kind, dates of creation and cessation of every legal unit;
    ``_sirene_unit_kinds``: each kind's legal category and ESS flag. Return the rows read. A siren that is not nine
    digits is refused, naming it.

    Both joins to the establishment file hash the 30 M units: with the two codes as text they needed more than the
    build's 1.5 GB (the load took 38 s with it, 31 s with 6 GB), and the groups were keyed on two strings. An
    integer standing for the pair (about 140 of them nationally) brought it to 31 s within 1.5 GB (issue 14). The
    pairs are read in the file's own types and cast once each; a CSV is parsed once, into a temporary table, not
    twice."""
    source = _source(con, file, UNIT_COLUMNS, dates=("dateCreationUniteLegale", "dateDebut"), typed=_KIND_COLUMNS)
    rows_sql = f"""SELECT key AS siren, CASE WHEN key IS NULL THEN coalesce(text, '') END AS malformed,
                          categorieJuridiqueUniteLegale, economieSocialeSolidaireUniteLegale, created, ceased
                   FROM (SELECT {_siren_key("siren")} AS key, siren AS text, categorieJuridiqueUniteLegale,
                                economieSocialeSolidaireUniteLegale, dateCreationUniteLegale AS created,
                                CASE WHEN etatAdministratifUniteLegale = 'C' THEN dateDebut END AS ceased
                         FROM {source})"""
    with _reading(file):
        if file.data.suffix != ".parquet":
            con.execute(f"CREATE OR REPLACE TEMP TABLE _sirene_unit_rows AS {rows_sql}")
            rows_sql = "SELECT * FROM _sirene_unit_rows"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _sirene_unit_kinds AS
                SELECT CAST(row_number() OVER (ORDER BY categorieJuridiqueUniteLegale,
                                               economieSocialeSolidaireUniteLegale) AS INTEGER) AS kind,
                       categorieJuridiqueUniteLegale, economieSocialeSolidaireUniteLegale,
                       coalesce(CAST(categorieJuridiqueUniteLegale AS VARCHAR), '') AS cj,
                       coalesce(CAST(economieSocialeSolidaireUniteLegale AS VARCHAR), '') AS ess_flag
                FROM (SELECT DISTINCT categorieJuridiqueUniteLegale, economieSocialeSolidaireUniteLegale
                      FROM ({rows_sql}))"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _sirene_units AS
                SELECT r.siren, k.kind, r.created, r.ceased, r.malformed
                FROM ({rows_sql}) r JOIN _sirene_unit_kinds k
                  ON r.categorieJuridiqueUniteLegale IS NOT DISTINCT FROM k.categorieJuridiqueUniteLegale
                 AND r.economieSocialeSolidaireUniteLegale IS NOT DISTINCT FROM k.economieSocialeSolidaireUniteLegale"""
        )
    con.execute("DROP TABLE IF EXISTS _sirene_unit_rows")
    rows, malformed, first = con.execute(
        "SELECT count(*), count(malformed), min(malformed) FROM _sirene_units").fetchone()
    if malformed:
        raise InputError(file.raw, file.problem("a siren is not nine digits"), column="siren", value=first,
                         more=malformed - 1)
    # A repeated siren would count its establishments twice in the join.
    duplicated = con.execute(
        "SELECT lpad(CAST(min(siren) AS VARCHAR), 9, '0'), count(*) "
        "FROM (SELECT siren FROM _sirene_units GROUP BY siren HAVING count(*) > 1)"
    ).fetchone()
    if duplicated[1]:
        raise InputError(file.raw, file.problem("a siren appears on more than one legal unit"), column="siren",
                         value=duplicated[0], more=duplicated[1] - 1)
    return rows


@contextmanager
def _units_as_build_side(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Keep DuckDB from building the join's hash table on the establishment file instead of the legal units. A CSV
    read with declared columns (no sniffing) has no row estimate, so DuckDB took it for the smaller side and hashed
    the 42.7 M establishments: out of memory at 1.5GB nationally (issue 14, the ZIP at full scale). The units are
    the side to hash (30 M rows of three small columns); with Parquet the estimate was right anyway."""
    previous = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    disabled = ",".join(filter(None, [previous, "build_side_probe_side"]))
    con.execute(f"SET disabled_optimizers = {_sql_string(disabled)}")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = {_sql_string(previous)}")


def _dep_code(commune: str) -> str:
    """The département of a commune code: three characters overseas (97x), two elsewhere (2A, 59); '' if none."""
    return f"CASE WHEN {commune} LIKE '97%' THEN left({commune}, 3) ELSE coalesce(left({commune}, 2), '') END"


def _stage_demography(con: duckdb.DuckDBPyConnection, file: _File, units: int) -> dict:
    """``src.fr_sirene_unit_demography``: the legal units (``_sirene_units``) counted by the département of their
    head office (``etablissementSiege``, open or closed), legal category, ESS flag, year of creation, year of
    cessation and full years lived (ceased units only); units ceased before :data:`DEMOGRAPHY_FROM_YEAR` are left
    out. A second pass over the establishment file, reading three columns: one pass grouping both ways at once
    (GROUPING SETS) took 68 s on a national CSV against 31 s + 30 s for the two. ``units``: the legal units staged.
    Returns the table's rows and the units with no head office in the establishment file (they cannot be placed)."""
    source = _source(con, file, SIEGE_COLUMNS)
    with _reading(file), _units_as_build_side(con):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _sirene_unit_groups AS
                SELECT {_dep_code("e.codeCommuneEtablissement")} AS dep_code, u.kind,
                       year(u.created) AS created_year, year(u.ceased) AS ceased_year,
                       datesub('year', u.created, u.ceased) AS full_years, count(*) AS units
                FROM {source} e JOIN _sirene_units u ON u.siren = {_siren_key("e.siren")}
                WHERE e.etablissementSiege = 'true'
                GROUP BY ALL"""
        )
    con.execute("CREATE SCHEMA IF NOT EXISTS src")
    con.execute(
        f"""CREATE OR REPLACE TABLE src.fr_sirene_unit_demography AS
            SELECT g.dep_code, k.cj, k.ess_flag, g.created_year, g.ceased_year, g.full_years, g.units
            FROM _sirene_unit_groups g JOIN _sirene_unit_kinds k USING (kind)
            WHERE g.ceased_year IS NULL OR g.ceased_year >= {DEMOGRAPHY_FROM_YEAR}"""
    )
    groups, placed = con.execute("SELECT count(*), (SELECT coalesce(sum(units), 0) FROM _sirene_unit_groups) "
                                 "FROM src.fr_sirene_unit_demography").fetchone()
    if placed > units:  # two head offices for one unit would count it twice
        raise InputError(file.raw, file.problem(f"{placed - units} legal unit(s) have more than one establishment "
                                                "with etablissementSiege = true"), column="etablissementSiege")
    return {"groups": groups, "units_without_head_office": units - int(placed)}


def _group_establishments(con: duckdb.DuckDBPyConnection, file: _File) -> dict:
    """``_sirene_groups``: one pass over the establishment file, joined to ``_sirene_units`` and aggregated.

    Active establishments keep their detail (orphans one group per siret, for the rejects); closed ones collapse into
    one group that still counts the rows read and the last processing date. From Parquet the closed ones (more than
    half) are counted apart, reading two columns, and the join reads the active ones alone: 9.8 s became 8.1 s
    nationally (issue 14). A CSV is parsed whole whatever is read of it, so it is read once.
    """
    source = _source(con, file, ESTABLISHMENT_COLUMNS, ESTABLISHMENT_OPTIONAL,
                     dates=("dateDernierTraitementEtablissement",))
    naf2025 = ", ".join(_sql_string(n) for n in NAF2025_NOMENCLATURES)
    apart = file.data.suffix == ".parquet"
    with _reading(file), _units_as_build_side(con):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _sirene_groups AS
                WITH e AS (
                    SELECT coalesce(siren, '') AS siren, siret,
                           coalesce(etatAdministratifEtablissement = 'A', false) AS active,
                           coalesce(codeCommuneEtablissement, '') AS depcom,
                           {_dep_code("codeCommuneEtablissement")} AS dep_code,
                           coalesce(activitePrincipaleEtablissement, '') AS activity,
                           coalesce(nomenclatureActivitePrincipaleEtablissement, '') AS activity_nomenclature,
                           -- The NAF 2025 code: its own column, else the APE when its nomenclature says NAF 2025.
                           coalesce(nullif(activitePrincipaleNAF25Etablissement, ''),
                                    CASE WHEN nomenclatureActivitePrincipaleEtablissement IN ({naf2025})
                                         THEN activitePrincipaleEtablissement END, '') AS activity_naf25,
                           coalesce(caractereEmployeurEtablissement = 'O', false) AS employer,
                           dateDernierTraitementEtablissement AS processed
                    FROM {source} {"WHERE etatAdministratifEtablissement = 'A'" if apart else ""}
                )
                SELECT e.active,
                       e.active AND u.siren IS NULL AS orphan,
                       CASE WHEN e.active AND u.siren IS NULL THEN e.siret END AS orphan_siret,
                       CASE WHEN e.active THEN e.dep_code END AS dep_code,
                       CASE WHEN e.active THEN u.kind END AS kind,
                       CASE WHEN e.active THEN e.activity END AS activity,
                       CASE WHEN e.active THEN e.activity_nomenclature END AS activity_nomenclature,
                       CASE WHEN e.active THEN e.activity_naf25 END AS activity_naf25,
                       CASE WHEN e.active THEN e.employer END AS employer,
                       count(*) AS establishments,
                       min(CASE WHEN e.active THEN e.depcom END) AS commune_example,
                       max(e.processed) AS last_processed
                -- Only the active establishments look their unit up (a closed one's key is NULL, which matches
                -- nothing): more than half the rows are closed. Still a plain equality: "ON e.active AND ..."
                -- would make DuckDB fall back to a nested-loop join.
                FROM e LEFT JOIN _sirene_units u ON u.siren = CASE WHEN e.active THEN {_siren_key("e.siren")} END
                GROUP BY ALL"""
        )
        if apart:
            con.execute(
                f"""INSERT INTO _sirene_groups (active, orphan, establishments, last_processed)
                    SELECT false, false, count(*), max(dateDernierTraitementEtablissement) FROM {source}
                    WHERE NOT coalesce(etatAdministratifEtablissement = 'A', false) HAVING count(*) > 0"""
            )
    rows, active, orphans, last_processed = con.execute(
        """SELECT coalesce(sum(establishments), 0), coalesce(sum(establishments) FILTER (WHERE active), 0),
                  coalesce(sum(establishments) FILTER (WHERE orphan), 0), max(last_processed)
           FROM _sirene_groups"""
    ).fetchone()
    if active == 0:
        raise InputError(file.raw, file.problem("no active establishment (etatAdministratifEtablissement = 'A')"),
                         column="etatAdministratifEtablissement")
    return {"rows": int(rows), "active": int(active), "orphans": int(orphans), "last_processed": last_processed}


def _snapshot_date(establishments: Path, units: Path, last_processed: date | None) -> tuple[date, str]:
    """The date the stock describes, and where it comes from.

    A sidecar ``reference_period`` (YYYY-MM-DD, or YYYY-MM for the month's last day) wins. Otherwise the last
    ``dateDernierTraitementEtablissement`` is a PROXY: INSEE's monthly stock describes the last day of the previous
    month, and its last processing date falls on or just before that day (never after the file was produced).
    """
    for path in (establishments, units):
        period = read_origin(path, ORIGIN).reference_period.strip()
        if not period:
            continue
        try:
            if re.fullmatch(r"\d{4}-\d{2}", period):
                year, month = map(int, period.split("-"))
                return date(year, month, calendar.monthrange(year, month)[1]), f"reference_period of {path.name}"
            return date.fromisoformat(period), f"reference_period of {path.name}"
        except ValueError:
            sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
            raise InputError(sidecar, "reference_period is not a date YYYY-MM-DD or a month YYYY-MM",
                             column="reference_period", value=period) from None
    if last_processed is None:
        raise InputError(establishments, "no valid date in the column: cannot date the snapshot (give the file a "
                                         f"{SIDECAR_SUFFIX} sidecar with a reference_period)",
                         column="dateDernierTraitementEtablissement")
    return last_processed, "max(dateDernierTraitementEtablissement), a proxy for the stock date"


# ------------------------------------------------------------------------------------------------------------
# Looking up a few legal units (the documented cases, ``observatory.cases``)
# ------------------------------------------------------------------------------------------------------------
CASE_UNITS = "src.fr_sirene_case_units"
CASE_UNIT_COLUMNS = ("siren VARCHAR, state VARCHAR, cj VARCHAR, ess_flag VARCHAR, created DATE, ceased DATE, "
                     "activity VARCHAR, activity_nomenclature VARCHAR, commune VARCHAR, dep_code VARCHAR, "
                     "snapshot_date DATE")
# Read when present: the legal unit's own APE (the establishments' are what the counts use).
CASE_UNIT_OPTIONAL = ("activitePrincipaleUniteLegale", "nomenclatureActivitePrincipaleUniteLegale")


def lookup_units(con: duckdb.DuckDBPyConnection, raw_dir: Path, cache_dir: Path, sirens: list[str]) -> date | None:
    """Stage ``src.fr_sirene_case_units``: the legal units of ``sirens`` (9-digit texts) found in the stock files
    :func:`load` reads, with their state (A active, C ceased), legal category, ESS flag, dates of creation and
    cessation, APE and the commune of their head office; a siren not in the stock has no row.

    Two filtered DuckDB scans (the legal units, then the head offices of those units), never a frame: the national
    files are 30 M and 43 M rows; from CSV, of the wanted lines alone (:func:`_read_lines_first`). Returns the
    snapshot date: the one :func:`load` staged, else the files' sidecar's (None when neither says)."""
    units_path, establishments_path = find_files(raw_dir)
    if bad := [s for s in sirens if not re.fullmatch(r"\d{9}", s)]:
        raise ValueError(f"not sirens: {', '.join(bad)}")
    wanted = ", ".join(_sql_string(s) for s in sirens) or "NULL"
    cache_dir = cache_dir / SOURCE_ID
    units = _readable(units_path, cache_dir)
    establishments = _readable(establishments_path, cache_dir)

    def stage_units(file: _File) -> None:
        source = _source(con, file, UNIT_COLUMNS, CASE_UNIT_OPTIONAL, dates=("dateCreationUniteLegale", "dateDebut"))
        with _reading(file):
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _case_units AS
                    SELECT siren, coalesce(etatAdministratifUniteLegale, '') AS state,
                           coalesce(categorieJuridiqueUniteLegale, '') AS cj,
                           coalesce(economieSocialeSolidaireUniteLegale, '') AS ess_flag,
                           dateCreationUniteLegale AS created,
                           CASE WHEN etatAdministratifUniteLegale = 'C' THEN dateDebut END AS ceased,
                           activitePrincipaleUniteLegale AS activity,
                           nomenclatureActivitePrincipaleUniteLegale AS activity_nomenclature
                    FROM {source} WHERE siren IN ({wanted})"""
            )

    def stage_sieges(file: _File) -> None:
        source = _source(con, file, SIEGE_COLUMNS)
        with _reading(file):
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _case_sieges AS
                    SELECT siren, min(codeCommuneEtablissement) AS commune
                    FROM {source} WHERE siren IN ({wanted}) AND etablissementSiege = 'true'
                    GROUP BY siren"""
            )

    _read_lines_first(con, units, sirens, cache_dir, stage_units)
    _read_lines_first(con, establishments, sirens, cache_dir, stage_sieges)
    snapshot = None
    if table_exists(con, "src.fr_sirene_establishments"):
        snapshot = con.execute("SELECT max(snapshot_date) FROM src.fr_sirene_establishments").fetchone()[0]
    if snapshot is None and any(read_origin(p, ORIGIN).reference_period.strip()
                                for p in (establishments_path, units_path)):
        snapshot = _snapshot_date(establishments_path, units_path, None)[0]
    con.execute("CREATE SCHEMA IF NOT EXISTS src")
    con.execute(
        f"""CREATE OR REPLACE TABLE {CASE_UNITS} AS
            SELECT u.siren, u.state, u.cj, u.ess_flag, u.created, u.ceased, u.activity, u.activity_nomenclature,
                   s.commune, {_dep_code("s.commune")} AS dep_code, CAST(? AS DATE) AS snapshot_date
            FROM _case_units u LEFT JOIN _case_sieges s USING (siren)
            ORDER BY u.siren""",
        [snapshot],
    )
    con.execute("DROP TABLE _case_units; DROP TABLE _case_sieges")
    return snapshot


# A delimiter no SIRENE line holds: each line is read as one field, unsplit.
_WHOLE_LINE = "\x1f"


def _read_lines_first(con: duckdb.DuckDBPyConnection, file: _File, sirens: list[str], folder: Path,
                      stage: Callable[[_File], None]) -> None:
    """``stage(file)``, given from a CSV only its header and the lines that start with one of ``sirens``.

    Finding those lines reads each line as one field, without splitting it: 5.1 s for both national CSVs, where
    parsing every field took 17.4 s (issue 14). In SIRENE's files a record is one line that starts with its siren
    (the first column of both), so the lines kept are the records wanted. When a wanted record is not (a line break
    inside a quoted field), its lines kept cannot be parsed, and the whole file is read as before; so it is too when
    ``stage`` fails on the lines kept for any other reason, which the whole file then reports with its line, and when
    they cannot be written."""
    if file.data.suffix != ".csv" or not sirens or _csv_header(file)[0] != "siren":
        stage(file)
        return
    prefixes = ", ".join(_sql_string(f"{siren},") for siren in sirens)
    quoted = ", ".join(_sql_string(f'"{siren}",') for siren in sirens)
    try:
        lines = con.execute(
            f"""SELECT line FROM read_csv({_sql_string(str(file.data))}, columns = {{'line': 'VARCHAR'}},
                                          header = true, delim = {_sql_string(_WHOLE_LINE)}, quote = '',
                                          escape = '', auto_detect = false)
                WHERE left(line, 10) IN ({prefixes}) OR left(line, 12) IN ({quoted})"""
        ).fetchall()
    except duckdb.Error:  # a line the whole-line read cannot take (it holds the delimiter): the file is parsed
        stage(file)
        return
    with file.data.open("rb") as handle:
        header = handle.readline().rstrip(b"\r\n") + b"\n"  # the lines come back without their line end
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            kept = Path(scratch) / file.data.name
            kept.write_bytes(header + b"".join(line.encode("utf-8") + b"\n" for line, in lines))
            try:
                stage(_File(file.raw, kept))
                return
            except InputError:
                pass
    except OSError:  # no room to write the lines kept (a full disk): the whole file needs none
        pass
    stage(file)


# ------------------------------------------------------------------------------------------------------------
# Fetching both stock files from data.gouv into one vintage (``observatory fetch sirene``)
# ------------------------------------------------------------------------------------------------------------
# Where each format is served [C, sources-fr.md]: the ZIPs under stable data.gouv resource ids (they redirect to the
# month's file), the Parquet files on data.gouv's object store. $OBSERVATORY_URL_SIRENE replaces the base of the
# format fetched (a mirror, a test server): <base>/<resource id> for ZIP, <base>/<stem>_utf8.parquet for Parquet.
ZIP_BASE = "https://www.data.gouv.fr/datasets/r"
ZIP_IDS = {UNITS: "825f4199-cadd-486c-ac46-a65a8ea1a047", ESTABLISHMENTS: "0651fb76-bcf3-4f6a-a38d-bc04fa708576"}
PARQUET_BASE = _PARQUET_URL.rsplit("/", 1)[0]
FORMAT_ENV = "OBSERVATORY_SIRENE_FORMAT"
FORMATS = ("zip", "parquet")
# Parquet by default: DuckDB reads it in place, only the columns it needs, in parallel. A ZIP must first be inflated
# to disk (5-8 GB of CSV, single-threaded: 70 s of a 3-minute national build) and parsed whole (issue 14). The ZIP
# stays available: it is the format INSEE documents, and the embedded sample's.
DEFAULT_FORMAT = "parquet"
# The establishment ZIP is ~2 GB (CSV 5-8 GB), its Parquet ~1.9 GB [C]: room to grow, but a runaway is cut.
MAX_BYTES = 16 << 30
PARQUET_MAGIC = b"PAR1"


def fetch_format(settings: FetchSettings) -> str:
    """The format to fetch: ``$OBSERVATORY_SIRENE_FORMAT`` (``parquet`` or ``zip``), default ``parquet``."""
    value = (settings.environ().get(FORMAT_ENV) or DEFAULT_FORMAT).strip().lower()
    if value not in FORMATS:
        raise FetchError(f"{FORMAT_ENV}={value!r}: expected one of {', '.join(FORMATS)}")
    return value


def fetch_urls(settings: FetchSettings, fmt: str) -> dict[str, str]:
    """File name in the vintage -> URL, for both stock files in format ``fmt``."""
    if fmt == "zip":
        base = settings.base_url("sirene", ZIP_BASE)
        return {f"{stem}_utf8.zip": f"{base}/{ZIP_IDS[stem]}" for stem in (UNITS, ESTABLISHMENTS)}
    base = settings.base_url("sirene", PARQUET_BASE)
    return {f"{stem}_utf8.parquet": f"{base}/{stem}_utf8.parquet" for stem in (UNITS, ESTABLISHMENTS)}


def _check_parquet(result: DownloadResult) -> None:
    """A Parquet file starts and ends with PAR1; anything else (an HTML page, a cut file) is refused and removed."""
    with result.path.open("rb") as handle:
        head = handle.read(4)
        handle.seek(max(0, result.size - 4))
        tail = handle.read(4)
    if head != PARQUET_MAGIC or tail != PARQUET_MAGIC or result.size < 12:
        result.path.unlink(missing_ok=True)
        raise DownloadError(result.url, result.path, f"not a Parquet file: starts with {head!r} and ends with "
                                                     f"{tail!r}, not {PARQUET_MAGIC!r} at both ends",
                            state="the file was removed; no vintage was written")


def _check_zip_members(result: DownloadResult, stem: str) -> None:
    """The loader needs one CSV in each ZIP; say so now rather than at the next build."""
    try:
        with safezip.open_zip(result.path) as archive:
            csvs = [i.filename for i in archive.files if i.filename.lower().endswith(".csv")]
    except InputError as exc:
        result.path.unlink(missing_ok=True)
        raise FetchError(f"{result.url}: {exc.problem}; no vintage was written") from None
    if len(csvs) != 1:
        result.path.unlink(missing_ok=True)
        raise FetchError(f"{result.url}: expected one CSV ({stem}_utf8.csv) in the ZIP, found "
                         f"{', '.join(csvs) or 'none'}; no vintage was written")


def fetch(settings: FetchSettings, fmt: str | None = None) -> FetchOutcome:
    """Fetch StockUniteLegale and StockEtablissement (``fmt`` or :func:`fetch_format`) into one vintage.

    HEAD first: when both files' ETag, Last-Modified and length equal what the newest vintage recorded, nothing is
    downloaded. Otherwise both are downloaded (the loader needs the pair: a vintage never mixes months), checked
    (ZIP: every member's CRC and one CSV; Parquet: PAR1 at both ends) and adopted together; identical bytes make
    no new vintage.
    """
    fmt = fmt or fetch_format(settings)
    if fmt not in FORMATS:
        raise FetchError(f"SIRENE format {fmt!r}: expected one of {', '.join(FORMATS)}")
    session = settings.open_session()
    urls = fetch_urls(settings, fmt)
    markers = {name: version_markers(head_or_probe(url, session, timeout=settings.timeout)) for name, url in urls.items()}
    if vintages.latest_markers_equal(settings.raw_dir, FOLDER, markers):
        return FetchOutcome("sirene", None, markers, "sirene: ETag/Last-Modified unchanged since the newest vintage; "
                                                     "nothing downloaded")
    incoming = vintages.incoming_dir(settings.raw_dir, *FOLDER.parts)
    results: dict[str, DownloadResult] = {}
    try:
        for name, url in urls.items():
            result = settings.download(url, incoming / name, session=session, max_bytes=MAX_BYTES,
                                       kind="zip" if fmt == "zip" else "binary")
            if fmt == "parquet":
                _check_parquet(result)
            else:
                _check_zip_members(result, name.removesuffix("_utf8.zip"))
            results[name] = result
    except BaseException:
        # A finished file alone is useless (a vintage needs the pair) and GBs large; a resumable .part stays.
        for result in results.values():
            result.path.unlink(missing_ok=True)
        raise
    if vintages.same_as_latest(settings.raw_dir, *FOLDER.parts, {n: r.sha256 for n, r in results.items()}):
        for result in results.values():
            result.path.unlink(missing_ok=True)
        return FetchOutcome("sirene", None, markers, "sirene: the files downloaded are identical to the newest "
                                                     "vintage; no new vintage")
    with vintages.new_vintage(settings.raw_dir, *FOLDER.parts, now=settings.now) as vintage:
        vintage.describe(producer=ORIGIN.producer, licence=ORIGIN.licence, urls=list(urls.values()),
                         producer_version=markers, note=f"SIRENE stock files, {fmt}")
        for name, result in results.items():
            vintage.adopt(result.path, name=name, url=result.url)
    return FetchOutcome("sirene", vintage.final, markers, f"sirene: new vintage {vintage.final} ({fmt})")


SOURCES = (Source(
    SOURCE_ID, "FR", FOLDER, "INSEE SIRENE stock files",
    "INSEE SIRENE stock files (legal units and establishments; Parquet, CSV or ZIP), read by DuckDB and aggregated "
    "to active establishments by département, legal category, ESS flag, activity and employer flag; and the legal "
    "units by their head office's département, legal category, years of creation and cessation (demography). The "
    "older vintages kept add the establishments of their years.",
    REGISTRY, ("src.fr_sirene_establishments", "src.fr_sirene_unit_demography"), load, harmonisation=harmonise.SIRENE,
    fetcher=Fetcher("sirene", FOLDER, "INSEE SIRENE stock files (legal units and establishments)", fetch)),)
