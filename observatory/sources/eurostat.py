"""Eurostat dissemination API files: population (``demo_r_pjangrp3``) and LFS employment (``lfst_r_lfe2en2``).

Files are looked for in ``raw_dir/eu/eurostat`` as ``<dataset>*.csv``, ``.csv.gz``, ``.tsv`` or ``.tsv.gz`` (an
``estat_`` prefix, which the API puts in its download names, is accepted [U]). The format is detected from the first
line, and gzip from the magic bytes, never from the name. Facts about the formats (sources-eu.md):

- SDMX-CSV 1.0, from ``https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{dataset}?format=SDMX-CSV
  &compressed=true`` (gzip) [C, real wire data]::

      DATAFLOW,LAST UPDATE,freq,unit,sex,age,citizen,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG,CONF_STATUS
      ESTAT:LFSA_ARGAN(1.0),11/06/26 23:00:00,A,PC,T,Y15-64,FOR,FR,2021,66.5,bd,

  Dimension columns are lower-case, in DSD order, between ``LAST UPDATE`` and ``TIME_PERIOD``; ``LAST UPDATE`` is
  ``dd/mm/yy HH:MM:SS``; OBS_FLAG may hold several letters. CONF_STATUS may be absent from older files (NULL). An
  empty OBS_VALUE (or ``:``, or ``NaN`` [U]) is missing.
- Bulk TSV, from ``.../sdmx/2.1/data/{DATASET}?format=TSV&compressed=true`` (gzip) [V]: tab-separated; the first
  header cell is the dimension codes, comma-separated, then ``\\TIME_PERIOD`` (``freq,sex,unit,age,geo\\TIME_PERIOD``);
  the first column of each line holds the comma-separated dimension values, the other columns are periods (header
  cells may carry trailing spaces, ``2021 ``). A cell is the value, a space, then flags (``123.4 p``, ``1234 ``);
  ``:`` is not available; the legacy confidential cell is ``: c`` (``: bc`` etc. occur). No CONF_STATUS.
- Flags since 2025-01-27 [V]: OBS_FLAG (status) ``b`` break, ``d`` definition differs, ``e`` estimated, ``f``
  forecast, ``i`` imputed, ``m`` missing, ``n`` not significant, ``p`` provisional, ``u`` low reliability;
  CONF_STATUS ``C`` confidential, ``N`` not for publication, ``P`` non-statistical secrecy. Before: ``c`` inside
  OBS_FLAG. A cell is suppressed if CONF_STATUS is C, N or P or the legacy flag contains ``c``
  (:data:`SUPPRESSED_SQL`). Flags are kept verbatim in their own columns.
- ``demo_r_pjangrp3``: population on 1 January by sex (F, M, T), five-year age class (TOTAL, Y_LT5, Y5-9, ...,
  Y80-84, Y85-89, Y_GE85, Y_GE90 [U: which open-ended classes appear is unverified], UNK) and geo (all NUTS levels of
  all countries); unit NR. ``lfst_r_lfe2en2``: LFS employment by sex, age (Y15-64, Y_GE15, ...), NACE Rev. 2
  (TOTAL, A*10 groups ``A``, ``B-E``, ``F``, ``G-I``, ``J``, ``K``, ``L``, ``M_N``, ``O-Q``, ``R-U`` and sections)
  and NUTS 0/1/2 geo; unit THS_PER.

Fetching (:func:`fetch`, registered in :mod:`observatory.fetch` as ``eurostat``): both datasets into one vintage
``raw_dir/eu/eurostat/<date>/`` (:mod:`observatory.vintages`). By default the SDMX 2.1 data query for the area only
(NUTS3 for the population, NUTS2 for the LFS; the key built from the DSD's dimension order, read from the dataflow's
structure message), as gzip SDMX-CSV; the bulk TSV of the whole dataset on request (``bulk=True`` or
``$OBSERVATORY_EUROSTAT_BULK``) or when a structure cannot be had. The producer's version is LAST UPDATE (TSV: the
HTTP validators or the checksum); the dataflow's UPDATE_DATA annotation [U] avoids downloading unchanged data.

The dimension order is read from the header, never assumed. DuckDB reads the whole file (the real
``demo_r_pjangrp3`` TSV is ~100k series x 30 periods), every column as text, and SQL checks and types it; errors are
:class:`InputError` naming the file, line, column and value. Every geo is staged: harmonisation filters and counts.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import re
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

import duckdb

from observatory import context, vintages
from observatory.download import DownloadError, Opener
from observatory.duck import transaction
from observatory.errors import InputError, describe_duckdb_read_error, html_instead_of
from observatory.fetch import Fetcher, FetchError, FetchOutcome, FetchSettings
from observatory.population import PopulationSource
from observatory.provenance import META_SOURCES_DDL, Origin, read_origin, record_source, sha256
from observatory.sources import CONTEXT, Source, population_staging_ddl
from observatory.textfile import require_final_newline

POPULATION_DATASET = "demo_r_pjangrp3"
LFS_DATASET = "lfst_r_lfe2en2"
POPULATION_SOURCE_ID = "eu_eurostat_population"
LFS_SOURCE_ID = "eu_eurostat_lfs"
SOURCE_IDS = {POPULATION_DATASET: POPULATION_SOURCE_ID, LFS_DATASET: LFS_SOURCE_ID}
FOLDER = Path("eu") / "eurostat"
API_URL = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{dataset}?format=SDMX-CSV&compressed=true"
LICENCE = "Eurostat copyright/licence policy: reuse authorised, source to be acknowledged (CC BY 4.0 equivalent)"
ORIGINS = {d: Origin(producer="Eurostat", url=API_URL.format(dataset=d), licence=LICENCE) for d in SOURCE_IDS}
POPULATION_ORIGIN = ORIGINS[POPULATION_DATASET]
LFS_ORIGIN = ORIGINS[LFS_DATASET]

SDMX_CSV = "sdmx-csv"
TSV = "tsv"
GZIP_MAGIC = b"\x1f\x8b"
NOT_EUROSTAT = "not an Eurostat SDMX-CSV or TSV file (its first line should start with DATAFLOW or end its first " \
               "cell with \\TIME_PERIOD)"
DIMENSION_NAME = re.compile(r"[a-z][a-z0-9_]*")
# Columns every read table has besides the dimensions: a dimension cannot bear one of these names.
READ_COLUMNS = ("time_period", "obs_value", "obs_flag", "conf_status", "last_update", "line")
NUMBER = r"-?\d+(\.\d+)?([eE][-+]?\d+)?"
CSV_MISSING = ("", ":", "NaN")  # empty is Eurostat's usual missing OBS_VALUE; ':' and NaN in case [U]
TSV_CELL = r"(:|-?\d+(\.\d+)?)( +[a-z]+)?"
TSV_CELL_MEANING = "a TSV cell '<number>[ flags]' or ':[ flags]' (decimal point, lower-case flag letters)"

# A suppressed (confidential) cell, on a table with the read columns obs_flag and conf_status.
SUPPRESSED_SQL = "(coalesce(conf_status, '') IN ('C', 'N', 'P') OR contains(coalesce(obs_flag, ''), 'c'))"
CONFIDENTIAL_STATUSES = ("C", "N", "P")


def is_suppressed(obs_flag: str | None, conf_status: str | None) -> bool:
    """Python twin of :data:`SUPPRESSED_SQL`."""
    return (conf_status or "") in CONFIDENTIAL_STATUSES or "c" in (obs_flag or "")


@dataclass(frozen=True)
class EurostatFile:
    """A file read by :func:`read_dataset` into ``table``."""

    path: Path
    table: str
    format: str  # SDMX_CSV or TSV
    dimensions: tuple[str, ...]  # lower-case, in file order
    observations: int


# --- finding files -------------------------------------------------------------------------------------------------


def candidates(raw_dir: Path, dataset: str) -> list[Path]:
    """Files of ``dataset`` in ``raw_dir/eu/eurostat`` (``<dataset>*.csv|.tsv[.gz]``, optional ``estat_`` prefix)."""
    folder = vintages.current(raw_dir, FOLDER)
    if not folder.is_dir():
        return []
    name = re.compile(rf"(estat_)?{re.escape(dataset)}[^/]*\.(csv|tsv)(\.gz)?", re.IGNORECASE)
    return sorted(p for p in folder.iterdir() if p.is_file() and name.fullmatch(p.name))


def available(raw_dir: Path, dataset: str) -> Path | None:
    """The first file of ``dataset``, or None: whether the source is present (:func:`find` refuses several)."""
    found = candidates(raw_dir, dataset)
    return found[0] if found else None


def find(raw_dir: Path, dataset: str) -> Path:
    """The one file of ``dataset``; none or several is an error (which one to use is the analyst's decision)."""
    found = candidates(raw_dir, dataset)
    folder = vintages.current(raw_dir, FOLDER)
    if not found:
        raise InputError(folder, f"no {dataset} file ({dataset}*.csv, .csv.gz, .tsv or .tsv.gz) in {folder}")
    if len(found) > 1:
        raise InputError(folder, f"{len(found)} {dataset} files, expected one: {', '.join(p.name for p in found)}; "
                                 "remove or archive all but the one to load")
    return found[0]


# --- reading one file ----------------------------------------------------------------------------------------------


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def _first_line(path: Path, gz: bool) -> str:
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.readline(1 << 20)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(path, f"not a readable gzip file ({exc})") from None
    if not raw.strip():
        raise InputError(path, "the file is empty" if not raw else NOT_EUROSTAT, line=1)
    try:
        return raw.decode("utf-8").removeprefix("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(path, NOT_EUROSTAT, line=1) from None


_BLANK = re.compile(rb"\n\r?\n")


def _inner_blank_line(path: Path, gz: bool, chunk_size: int = 1 << 22) -> int | None:
    """The number of the first empty line with data after it, else None.

    DuckDB skips empty lines, which would shift the line numbers taken from row order; a trailing one is harmless.
    One pass over the bytes in C (no per-line Python loop).
    """
    opener = gzip.open if gz else open
    lines_before = 0  # newlines in the complete lines already scanned
    carry = b""
    blank: int | None = None
    with opener(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_size)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            complete, carry = data[:cut], data[cut:]
            if blank is not None:
                if complete.strip():
                    return blank
            elif found := _BLANK.search(b"\n" + complete):
                # found.start() is the newline ending the line before the blank one (offset by the added "\n").
                blank = lines_before + complete.count(b"\n", 0, found.start()) + 1
                if complete[found.end() - 1:].strip():
                    return blank
            lines_before += complete.count(b"\n")
            if not chunk:
                return None


def _dimension_names(path: Path, names: list[str], column: str) -> tuple[str, ...]:
    dims = tuple(n.strip().lower() for n in names)
    for dim in dims:
        if not DIMENSION_NAME.fullmatch(dim) or dim in READ_COLUMNS:
            raise InputError(path, "unexpected dimension name in the header", line=1, column=column, value=dim)
    if len(set(dims)) != len(dims) or not dims:
        raise InputError(path, "the header has no dimension or a repeated one", line=1, column=column,
                         value=",".join(dims))
    return dims


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


READ_SQL = """
CREATE OR REPLACE TEMP TABLE _eurostat_raw AS
SELECT * FROM read_csv($path, delim = $delim, quote = $quote, escape = $quote, header = true, columns = $columns,
                       compression = $compression, auto_detect = false, strict_mode = true, parallel = false,
                       null_padding = false)
"""

# One row per observation, all text, from the raw SDMX-CSV columns c0, c1, ... (a fresh table keeps insertion order,
# so rowid + 2 is the line number; the header is line 1).
CSV_CELLS_SQL = """
CREATE OR REPLACE TEMP TABLE _eurostat_cells AS
SELECT rowid + 2 AS line, {dimensions}, coalesce(trim({time_period}), '') AS time_period,
       'OBS_VALUE' AS column_name, coalesce(trim({obs_value}), '') AS cell, coalesce(trim({obs_value}), '') AS value_text,
       nullif(trim({obs_flag}), '') AS obs_flag, nullif(trim({conf_status}), '') AS conf_status,
       nullif(trim({last_update}), '') AS last_update
FROM _eurostat_raw
"""

# TSV: the series key split on ',' into the dimensions, the period columns p1, p2, ... unpivoted (two unnests of equal
# length are zipped), each cell split into value and flags.
TSV_CELLS_SQL = """
CREATE OR REPLACE TEMP TABLE _eurostat_cells AS
WITH series AS (SELECT rowid + 2 AS line, string_split(series, ',') AS key, [{periods}] AS cells FROM _eurostat_raw),
cells AS (
    SELECT line, {dimensions}, unnest([{period_names}]) AS time_period, unnest([{period_names}]) AS column_name,
           coalesce(trim(unnest(cells)), '') AS cell
    FROM series)
SELECT * EXCLUDE (cell), cell, split_part(cell, ' ', 1) AS value_text,
       CASE WHEN strpos(cell, ' ') > 0 THEN trim(substr(cell, strpos(cell, ' ') + 1)) END AS obs_flag,
       NULL::VARCHAR AS conf_status,
       NULL::VARCHAR AS last_update
FROM cells
"""

READ_TABLE_SQL = """
CREATE OR REPLACE TEMP TABLE {table} AS
SELECT {dimensions}, time_period,
       CASE WHEN regexp_full_match(value_text, '{number}') THEN CAST(value_text AS DOUBLE) END AS obs_value,
       obs_flag, conf_status, last_update, line
FROM _eurostat_cells
"""


def _read_raw(con: duckdb.DuckDBPyConnection, path: Path, gz: bool, delimiter: str, quote: str, names: list[str]) -> None:
    try:
        con.execute(READ_SQL, {"path": str(path), "delim": delimiter, "quote": quote,
                               "columns": {name: "VARCHAR" for name in names},
                               "compression": "gzip" if gz else "none"})
    except duckdb.Error as exc:
        problem, line = describe_duckdb_read_error(exc)
        raise InputError(path, problem, line=line) from None


def _read_sdmx_csv(con: duckdb.DuckDBPyConnection, path: Path, gz: bool, header: str) -> tuple[str, ...]:
    cells = [c.strip() for c in next(csv.reader([header]))]
    for required in ("TIME_PERIOD", "OBS_VALUE"):
        if required not in cells:
            raise InputError(path, f"the SDMX-CSV header has no {required} column", line=1, value=header[:200])
    first = cells.index("LAST UPDATE") + 1 if "LAST UPDATE" in cells else 1
    end = cells.index("TIME_PERIOD")
    dims = _dimension_names(path, cells[first:end], "header")
    names = [f"c{i}" for i in range(len(cells))]
    _read_raw(con, path, gz, ",", '"', names)

    def col(name: str) -> str:
        return f"c{cells.index(name)}" if name in cells else "NULL::VARCHAR"

    dim_sql = ", ".join(f"coalesce(trim(c{first + i}), '') AS {_q(d)}" for i, d in enumerate(dims))
    con.execute(CSV_CELLS_SQL.format(dimensions=dim_sql, time_period=col("TIME_PERIOD"), obs_value=col("OBS_VALUE"),
                                     obs_flag=col("OBS_FLAG"), conf_status=col("CONF_STATUS"),
                                     last_update=col("LAST UPDATE")))
    bad = con.execute(f"SELECT min(line), count(*), arg_min(cell, line) FROM _eurostat_cells "
                      f"WHERE cell NOT IN ({', '.join(map(_lit, CSV_MISSING))}) AND NOT regexp_full_match(cell, ?)",
                      [NUMBER]).fetchone()
    if bad[1]:
        raise InputError(path, "OBS_VALUE is not a number (decimal point) nor empty", line=bad[0], column="OBS_VALUE",
                         value=bad[2], more=bad[1] - 1)
    return dims


def _read_tsv(con: duckdb.DuckDBPyConnection, path: Path, gz: bool, header: str) -> tuple[str, ...]:
    cells = header.split("\t")
    key_cell = cells[0].strip()
    if not key_cell.endswith("\\TIME_PERIOD"):
        raise InputError(path, "the TSV header's first cell does not end with \\TIME_PERIOD (an old bulk-download "
                               "file with \\time? download it again from the dissemination API)",
                         line=1, value=key_cell)
    dims = _dimension_names(path, key_cell.removesuffix("\\TIME_PERIOD").split(","), key_cell)
    periods = [c.strip() for c in cells[1:]]
    if not periods:
        raise InputError(path, "the TSV header has no period column", line=1, value=header[:200])
    for i, period in enumerate(periods):
        if not period or period in periods[:i]:
            raise InputError(path, "empty or repeated period in the TSV header", line=1, column=f"{i + 2}",
                             value=cells[i + 1])
    names = ["series"] + [f"p{i}" for i in range(len(periods))]
    _read_raw(con, path, gz, "\t", "", names)
    bad = con.execute("SELECT min(rowid) + 2, count(*), arg_min(series, rowid) FROM _eurostat_raw "
                      "WHERE len(string_split(coalesce(series, ''), ',')) <> ?", [len(dims)]).fetchone()
    if bad[1]:
        raise InputError(path, f"the series key does not have {len(dims)} comma-separated values ({','.join(dims)})",
                         line=bad[0], column=key_cell, value=bad[2], more=bad[1] - 1)
    dim_sql = ", ".join(f"trim(key[{i + 1}]) AS {_q(d)}" for i, d in enumerate(dims))
    con.execute(TSV_CELLS_SQL.format(periods=", ".join(names[1:]), period_names=", ".join(map(_lit, periods)),
                                     dimensions=dim_sql))
    bad = con.execute("SELECT min(line), count(*), arg_min(column_name, line), arg_min(cell, line) "
                      "FROM _eurostat_cells WHERE NOT regexp_full_match(cell, ?)", [TSV_CELL]).fetchone()
    if bad[1]:
        raise InputError(path, f"expected {TSV_CELL_MEANING}", line=bad[0], column=bad[2], value=bad[3],
                         more=bad[1] - 1)
    return dims


REPEATED_SQL = """
SELECT min(second_line), count(*), arg_min(first_line, second_line), arg_min(k, second_line) FROM (
    SELECT min(line) AS first_line, list_sort(list(line))[2] AS second_line, concat_ws(',', {key}) AS k
    FROM {table} GROUP BY {key} HAVING count(*) > 1)
"""


def _check_cells(con: duckdb.DuckDBPyConnection, path: Path, dims: tuple[str, ...], fmt: str) -> None:
    """Every dimension and period filled; no observation twice."""
    for name, label in [(d, d) for d in dims] + [("time_period", "TIME_PERIOD")]:
        bad = con.execute(f"SELECT min(line), count(*) FROM _eurostat_cells WHERE {_q(name)} = ''").fetchone()
        if bad[1]:
            raise InputError(path, "empty value", line=bad[0], column=label, more=bad[1] - 1)
    if fmt == TSV:
        # Periods are unique in the header: a repeated observation is a repeated series (fewer rows to group).
        table = "(SELECT rowid + 2 AS line, list_transform(string_split(series, ','), lambda x: trim(x)) AS s " \
                "FROM _eurostat_raw)"
        key = "s"
    else:
        table, key = "_eurostat_cells", ", ".join(_q(c) for c in (*dims, "time_period"))
    bad = con.execute(REPEATED_SQL.format(table=table, key=key)).fetchone()
    if bad[1]:
        what = "series repeated" if fmt == TSV else "observation repeated"
        raise InputError(path, f"{what} ({', '.join(dims)}{'' if fmt == TSV else ', TIME_PERIOD'}): also on line "
                               f"{bad[2]}", line=bad[0], value=bad[3], more=bad[1] - 1)


def read_dataset(con: duckdb.DuckDBPyConnection, path: Path, table: str = "_eurostat") -> EurostatFile:
    """Read one Eurostat file (SDMX-CSV or TSV, plain or gzip) into the temp table ``table``.

    Columns: one VARCHAR per dimension (lower-case, file order), ``time_period`` VARCHAR, ``obs_value`` DOUBLE
    (NULL when missing), ``obs_flag`` VARCHAR (verbatim letters, NULL when none), ``conf_status`` VARCHAR (NULL when
    empty or absent; always NULL from TSV), ``last_update`` VARCHAR (SDMX-CSV only), ``line`` BIGINT (the line in
    the file, header = 1; in TSV the series' line). Values are not blanked for confidentiality here.
    """
    if not path.is_file():
        raise InputError(path, "the file does not exist")
    gz = _is_gzip(path)
    header = _first_line(path, gz)
    if next(csv.reader([header]), [""])[0].strip() == "DATAFLOW":
        fmt = SDMX_CSV
    elif "\\" in header.split("\t")[0]:
        fmt = TSV
    else:
        raise InputError(path, NOT_EUROSTAT, line=1, value=header[:80])
    # First: it also turns a truncated gzip file into an InputError, before the scan for blank lines reads it.
    require_final_newline(path, gz=gz)
    if (blank := _inner_blank_line(path, gz)) is not None:
        raise InputError(path, "empty line inside the file", line=blank)
    try:
        dims = (_read_sdmx_csv if fmt == SDMX_CSV else _read_tsv)(con, path, gz, header)
        _check_cells(con, path, dims, fmt)
        con.execute(READ_TABLE_SQL.format(table=table, number=NUMBER,
                                          dimensions=", ".join(_q(d) for d in dims)))
    finally:
        con.execute("DROP TABLE IF EXISTS _eurostat_raw; DROP TABLE IF EXISTS _eurostat_cells")
    observations = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return EurostatFile(path=path, table=table, format=fmt, dimensions=dims, observations=observations)


# --- dataset loaders -----------------------------------------------------------------------------------------------

POPULATION_DDL = population_staging_ddl("src.eu_eurostat_population")
# Population on 1 January of year; a confidential figure is never staged, whatever the file holds in its place.
POPULATION_INSERT_SQL = f"""
INSERT INTO src.eu_eurostat_population
SELECT CAST(time_period AS INTEGER), geo, sex, age, CASE WHEN NOT {SUPPRESSED_SQL} THEN obs_value END, obs_flag,
       conf_status, $file_name, line, 1
FROM _eurostat_population
"""

LFS_DDL = """
CREATE SCHEMA IF NOT EXISTS src;
CREATE OR REPLACE TABLE src.eu_eurostat_lfs_employment (
    year INTEGER, geo VARCHAR, sex VARCHAR, age VARCHAR, nace_r2 VARCHAR, unit VARCHAR, value DOUBLE, obs_flag VARCHAR,
    conf_status VARCHAR, file_name VARCHAR, line BIGINT);
"""
LFS_INSERT_SQL = f"""
INSERT INTO src.eu_eurostat_lfs_employment
SELECT CAST(time_period AS INTEGER), geo, sex, age, nace_r2, unit, CASE WHEN NOT {SUPPRESSED_SQL} THEN obs_value END,
       obs_flag, conf_status, $file_name, line
FROM _eurostat_lfs
"""

SUMMARY_SQL = f"""
SELECT count(*), list(DISTINCT CAST(time_period AS INTEGER) ORDER BY CAST(time_period AS INTEGER)),
       count(*) FILTER (WHERE {SUPPRESSED_SQL}), count(*) FILTER (WHERE obs_value IS NULL AND NOT {SUPPRESSED_SQL}),
       strftime(max(try_strptime(last_update, '%d/%m/%y %H:%M:%S')), '%Y-%m-%d %H:%M:%S'), any_value(last_update)
FROM {{table}}
"""


# Per dataset: its dimensions (no other) and the dimensions holding one value; checked by the loaders and the fetcher.
CONTENT: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    POPULATION_DATASET: (("freq", "unit", "sex", "age", "geo"), {"freq": "A", "unit": "NR"}),
    LFS_DATASET: (("freq", "unit", "sex", "age", "nace_r2", "geo"), {"freq": "A"}),
}


def _check_dataset(con: duckdb.DuckDBPyConnection, read: EurostatFile, dataset: str, required: tuple[str, ...],
                   fixed: dict[str, str]) -> None:
    """The dataset's dimensions, no other; annual data; the fixed dimensions hold their one value."""
    path = read.path
    for dim in required:
        if dim not in read.dimensions:
            raise InputError(path, f"dimension {dim!r} is missing; {dataset} has {', '.join(required)}", line=1,
                             value=",".join(read.dimensions))
    for dim in read.dimensions:
        if dim not in required:
            raise InputError(path, f"unexpected dimension {dim!r}; {dataset} has {', '.join(required)} "
                                   "(is this another dataset?)", line=1, value=",".join(read.dimensions))
    for dim, value in fixed.items():
        bad = con.execute(f"SELECT min(line), count(*), arg_min({_q(dim)}, line) FROM {read.table} "
                          f"WHERE {_q(dim)} <> ?", [value]).fetchone()
        if bad[1]:
            raise InputError(path, f"{dim} is not {value}; {dataset} is expected to hold only {dim}={value}",
                             line=bad[0], column=dim, value=bad[2], more=bad[1] - 1)
    bad = con.execute(f"SELECT min(line), count(*), arg_min(time_period, line) FROM {read.table} "
                      "WHERE NOT regexp_full_match(time_period, '\\d{4}')").fetchone()
    if bad[1]:
        # In TSV the period is a header cell.
        raise InputError(path, "TIME_PERIOD is not a year YYYY", line=1 if read.format == TSV else bad[0],
                         column="TIME_PERIOD", value=bad[2], more=bad[1] - 1)


def _summary(con: duckdb.DuckDBPyConnection, read: EurostatFile) -> dict:
    observations, years, suppressed, missing, last_update, raw_update = con.execute(
        SUMMARY_SQL.format(table=read.table)).fetchone()
    return {"file": read.path.name, "format": read.format, "dimensions": list(read.dimensions),
            "observations": observations, "years": list(years or []), "suppressed": suppressed, "missing": missing,
            "last_update": last_update or raw_update}


def _stage(con: duckdb.DuckDBPyConnection, raw_dir: Path, dataset: str, temp: str, required: tuple[str, ...],
           fixed: dict[str, str], ddl: str, insert: str) -> dict:
    path = find(raw_dir, dataset)
    source_id = SOURCE_IDS[dataset]
    try:
        read = read_dataset(con, path, temp)
        _check_dataset(con, read, dataset, required, fixed)
        info = _summary(con, read)
        years = info["years"]
        period = f"{years[0]}-{years[-1]}" if years else ""
        with transaction(con):
            con.execute(ddl)
            con.execute(insert, {"file_name": path.name})
            # The table holds this file only: so does meta.sources.
            con.execute(META_SOURCES_DDL)
            con.execute("DELETE FROM meta.sources WHERE source_id = ?", [source_id])
            sources = [record_source(con, source_id, path, info["observations"],
                                     read_origin(path, ORIGINS[dataset]), period)]
    finally:
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    return {"source_id": source_id, **info, "sources": sources}


def load_population(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Stage ``demo_r_pjangrp3`` in ``src.eu_eurostat_population`` (the layout shared with the INSEE and Statbel
    loaders: year, area_code, sex_code, age_class, population, obs_flag, conf_status, file_name, line, rows) and
    record the file in ``meta.sources``. Returns what was loaded, for Dagster metadata."""
    required, fixed = CONTENT[POPULATION_DATASET]
    return _stage(con, raw_dir, POPULATION_DATASET, "_eurostat_population", required, fixed, POPULATION_DDL,
                  POPULATION_INSERT_SQL)


def load_lfs_employment(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Stage ``lfst_r_lfe2en2`` in ``src.eu_eurostat_lfs_employment`` (every geo and unit: harmonisation filters and
    rejects) and record the file in ``meta.sources``. Returns what was loaded, for Dagster metadata."""
    required, fixed = CONTENT[LFS_DATASET]
    return _stage(con, raw_dir, LFS_DATASET, "_eurostat_lfs", required, fixed, LFS_DDL, LFS_INSERT_SQL)


# --- fetching from the dissemination API ---------------------------------------------------------------------------
#
# Facts (sources-eu.md unless marked): base https://ec.europa.eu/eurostat/api/dissemination; SDMX 2.1 data
# {base}/sdmx/2.1/data/{dataset}/{key}?format=SDMX-CSV&compressed=true&startPeriod=YYYY, the key being the dimension
# values in DSD order, dot-separated, empty = all, '+' = OR; bulk TSV {base}/sdmx/2.1/data/{DATASET}?format=TSV
# &compressed=true; structure {base}/sdmx/2.1/dataflow/ESTAT/{dataset}?references=children; the API keeps only the
# latest version of a dataset (archive every extract); updates at 11:00 and 23:00 CET.
# [U] The dataflow carries an annotation of type UPDATE_DATA whose AnnotationTitle is the time of the last data
# update (e.g. 2026-02-09T23:00:00+0100): seen in several public projects' Eurostat fixtures and parsers, not in
# Eurostat's documentation. When absent, nothing is skipped: the data are downloaded and compared.
# [U] Whether the gzip answers carry a time stamp (then identical data give different file checksums) is unknown:
# unchanged data are also recognised by the checksum of the uncompressed content.

DEFAULT_BASE_URL = "https://ec.europa.eu/eurostat/api/dissemination"
START_PERIOD = "2015"  # first year asked for in SDMX mode (sources-eu.md example; the observatory starts later)
COUNTRY, SOURCE = FOLDER.parts
BULK_ENV = "OBSERVATORY_EUROSTAT_BULK"  # "1"/"true": always fetch the bulk TSV (the whole dataset, every geo)
UPDATE_ANNOTATION = "UPDATE_DATA"
MAX_DATA_BYTES = 2 << 30
MAX_STRUCTURE_BYTES = 64 << 20
GEO_DIMENSION = "geo"
# Level of the geo codes asked for, per dataset (population by NUTS3, LFS published down to NUTS2 only).
GEO_LEVEL = {POPULATION_DATASET: "NUTS3", LFS_DATASET: "NUTS2"}
# The area's NUTS 2021 codes (sources-eu.md, Interreg France-Wallonie-Vlaanderen cooperation area, 32 NUTS3; Meuse
# FRF32, Brussels BE100 and the rest of Oost-Vlaanderen are outside). The fetcher reads them from
# observatory/nomenclatures/geo.csv (area_geo_codes); these copies document them and a test keeps both equal.
AREA_NUTS3 = ("FRE11", "FRE12", "FRE21", "FRE22", "FRE23", "FRF21", "FRF23", "BE234", "BE235", "BE251", "BE252",
              "BE253", "BE254", "BE255", "BE256", "BE257", "BE258", "BE323", "BE328", "BE329", "BE32A", "BE32B",
              "BE32C", "BE32D", "BE341", "BE342", "BE343", "BE344", "BE345", "BE351", "BE352", "BE353")
AREA_NUTS2 = ("FRE1", "FRE2", "FRF2", "BE23", "BE25", "BE32", "BE34", "BE35")  # BE23: only BE234 and BE235 inside

SDMX_NAMESPACE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/"


def area_geo_codes(level: str) -> tuple[str, ...]:
    """The area's NUTS codes at ``level`` ("NUTS3", or "NUTS2": the regions containing them), from geo.csv."""
    from observatory import nomenclatures  # pandas: only when fetching

    geo = nomenclatures.load("geo")
    nuts3 = geo[geo["geo_level"] == "NUTS3"].sort_values("sort_order", key=lambda c: c.astype(int))
    if level == "NUTS3":
        return tuple(nuts3["geo"])
    if level == "NUTS2":
        return tuple(dict.fromkeys(nuts3["nuts2"]))
    raise ValueError(f"no area codes at level {level!r}")


def structure_url(base: str, dataset: str) -> str:
    return f"{base}/sdmx/2.1/dataflow/ESTAT/{dataset}?references=children"


def data_url(base: str, dataset: str, key: str, start_period: str = START_PERIOD) -> str:
    return f"{base}/sdmx/2.1/data/{dataset}/{key}?format=SDMX-CSV&compressed=true&startPeriod={start_period}"


def bulk_url(base: str, dataset: str) -> str:
    return f"{base}/sdmx/2.1/data/{dataset.upper()}?format=TSV&compressed=true"


@dataclass(frozen=True)
class Structure:
    """What the fetcher takes from a dataflow's structure message."""

    dataset: str
    dimensions: tuple[str, ...]  # DSD order, time dimension excluded, as spelt in the DSD
    update_data: str | None  # the UPDATE_DATA annotation [U], None when absent


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in element.iter() if _local(e.tag) == name]


def parse_structure(xml: bytes, dataset: str) -> Structure:
    """The dimension order and the update annotation of ``dataset`` from an SDMX 2.1 structure message.

    Elements are matched by local name (Eurostat's prefixes are m:, s:, c:; any prefix works). The DSD is the one the
    dataflow's ``Structure/Ref`` names, else the only one in the message. Raises ValueError when it cannot be used.
    """
    # Python's expat (>= 2.4) refuses entity-expansion bombs; the size was capped by the download.
    root = ET.fromstring(xml)
    if _local(root.tag) != "Structure":
        raise ValueError(f"not an SDMX structure message (root element {_local(root.tag)})")
    flows = [f for f in _children(root, "Dataflow") if (f.get("id") or "").lower() == dataset.lower()]
    if not flows:
        raise ValueError(f"no dataflow {dataset} in the structure message")
    flow = flows[0]
    update = None
    for annotation in _children(flow, "Annotation"):
        kinds = [e.text for e in annotation if _local(e.tag) == "AnnotationType"]
        titles = [(e.text or "").strip() for e in annotation if _local(e.tag) == "AnnotationTitle"]
        if kinds and (kinds[0] or "").strip() == UPDATE_ANNOTATION and titles and titles[0]:
            update = titles[0]
    refs = [r.get("id") for s in _children(flow, "Structure") for r in s if _local(r.tag) == "Ref"]
    dsds = _children(root, "DataStructure")
    chosen = [d for d in dsds if refs and d.get("id") == refs[0]] or (dsds if len(dsds) == 1 else [])
    if not chosen:
        raise ValueError(f"the structure message has no data structure for {dataset} "
                         f"(looked for {refs[0] if refs else 'the only one'}; found {len(dsds)})")
    dims = [d for d in _children(chosen[0], "Dimension")]  # TimeDimension has another local name
    order = sorted(range(len(dims)), key=lambda i: (int(dims[i].get("position") or i + 1), i))
    names = tuple(dims[i].get("id") or "" for i in order)
    if not names or not all(names):
        raise ValueError(f"the data structure of {dataset} lists no dimension (or one without id)")
    return Structure(dataset=dataset, dimensions=names, update_data=update)


def series_key(dimensions: tuple[str, ...], geo_codes: tuple[str, ...]) -> str:
    """The SDMX key: the geo codes joined by '+' at the geo dimension's place, every other place empty (all)."""
    places = [d.lower() for d in dimensions]
    if places.count(GEO_DIMENSION) != 1:
        raise ValueError(f"the data structure has no single {GEO_DIMENSION} dimension ({', '.join(dimensions)})")
    return ".".join("+".join(geo_codes) if p == GEO_DIMENSION else "" for p in places)


@dataclass(frozen=True)
class _Planned:
    dataset: str
    url: str
    bulk: bool
    update_data: str | None


@dataclass(frozen=True)
class _Fetched:
    dataset: str
    url: str
    path: Path  # in the incoming folder, named as it will be in the vintage
    bulk: bool
    update_data: str | None
    last_update: str | None  # SDMX-CSV LAST UPDATE as written (dd/mm/yy HH:MM:SS)
    last_modified: str | None
    etag: str | None
    content_sha256: str  # of the uncompressed bytes
    reference_period: str

    @property
    def version(self) -> str:
        """The producer's version: LAST UPDATE; for the TSV (none) the HTTP validators, else the content checksum."""
        return self.last_update or self.last_modified or self.etag or f"sha256:{self.content_sha256}"

    def details(self) -> dict:
        return {"format": TSV if self.bulk else SDMX_CSV, "url": self.url, "last_update": self.last_update,
                "update_data": self.update_data, "last_modified": self.last_modified, "etag": self.etag,
                "content_sha256": self.content_sha256, "file": self.path.name}


def _vintage_state(raw_dir: Path) -> tuple[str, dict]:
    """What a failure leaves (for error messages) and the newest vintage's producer_version ({} when none)."""
    found = vintages.list_vintages(raw_dir, COUNTRY, SOURCE)
    if not found:
        return "no Eurostat vintage was written", {}
    recorded = vintages.latest_provenance(raw_dir, FOLDER).get("producer_version", {})
    return f"the newest vintage {found[-1].name} is intact", recorded if isinstance(recorded, dict) else {}


def _structure(settings: FetchSettings, session: Opener, base: str, dataset: str, incoming: Path) -> Structure:
    url = structure_url(base, dataset)
    target = incoming / f"{dataset}.structure.xml"
    result = settings.download(url, target, session=session, max_bytes=MAX_STRUCTURE_BYTES, kind="binary")
    try:
        data = _read_capped(result.path, MAX_STRUCTURE_XML_BYTES)
        if problem := html_instead_of(result.path, "an SDMX structure message"):
            raise ValueError(problem)
        return parse_structure(data, dataset)
    except (ET.ParseError, ValueError, OSError, EOFError, zlib.error) as exc:
        raise FetchError(f"{url}: unusable structure: {exc}") from None
    finally:
        result.path.unlink(missing_ok=True)  # not archived: its header time stamp would make every vintage new


# A structure message is a few hundred KB of XML; a gzip answer that inflates past this is refused, not held in memory.
MAX_STRUCTURE_XML_BYTES = 64 << 20


def _read_capped(path: Path, limit: int, refuse: bool = True) -> bytes:
    """The (gunzipped) bytes of ``path``, at most ``limit`` of them: past it, a ValueError (``refuse``) or the
    first ``limit`` bytes. Never inflates a whole gzip answer into memory."""
    with (gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit and refuse:
        raise ValueError(f"more than {limit:,} bytes once decompressed (a gzip bomb?)")
    return data[:limit]


def _sdmx_message(data: bytes) -> str:
    """The text of an SDMX (error) message, shortened, for the error."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return data[:200].decode("utf-8", "replace")
    texts = [" ".join((e.text or "").split()) for e in root.iter() if _local(e.tag) in ("Text", "ErrorMessage")]
    return "; ".join(t for t in texts if t)[:300] or f"root element {_local(root.tag)}"


def _content(path: Path) -> tuple[bool, str, bytes]:
    """(gzip?, sha256 of the uncompressed bytes, their first bytes); a truncated or corrupt gzip raises."""
    gz = _is_gzip(path)
    digest = hashlib.sha256()
    head = b""
    with (gzip.open(path, "rb") if gz else path.open("rb")) as stream:
        while chunk := stream.read(1 << 20):
            if len(head) < 4096:
                head += chunk[:4096]
            digest.update(chunk)
    return gz, digest.hexdigest(), head


def _check_file(path: Path, dataset: str, bulk: bool) -> tuple[str, str | None, str, str]:
    """The checks before a file may enter a vintage; returns (final name, LAST UPDATE, content sha256, period).

    Raises ValueError with the problem (the caller names the URL).
    """
    if problem := html_instead_of(path, "Eurostat data"):
        raise ValueError(problem)
    try:
        gz, content_sha, head = _content(path)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"corrupt or truncated gzip file: {exc}") from None
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"<"):
        # Eurostat answers errors (and queued asynchronous requests) with an SDMX XML message, not data.
        raise ValueError(f"an SDMX message, not data: {_sdmx_message(_read_capped(path, 1 << 20, refuse=False))}")
    if not start:
        raise ValueError("an empty answer")
    con = duckdb.connect()
    try:
        read = read_dataset(con, path, "_eurostat_fetched")
        if read.format != (TSV if bulk else SDMX_CSV):
            raise ValueError(f"expected {'TSV' if bulk else 'SDMX-CSV'}, got {read.format}")
        required, fixed = CONTENT[dataset]
        _check_dataset(con, read, dataset, required, fixed)
        if not read.observations:
            raise ValueError("no observation in the answer")
        updates, first, last = con.execute("SELECT list(DISTINCT last_update) FILTER (WHERE last_update IS NOT NULL), "
                                           "min(time_period), max(time_period) FROM _eurostat_fetched").fetchone()
    except InputError as exc:
        raise ValueError(f"the reader refuses it: {exc}") from None
    finally:
        con.close()
    last_update = None
    if updates:
        # One value expected; keep the latest if several (dd/mm/yy is not sortable as text).
        last_update = max(updates, key=_last_update_key)
    name = f"{dataset}.{'tsv' if bulk else 'csv'}{'.gz' if gz else ''}"
    return name, last_update, content_sha, f"{first}-{last}" if first != last else first


def _last_update_key(text: str) -> tuple[int, str]:
    try:
        return int(datetime.strptime(text, "%d/%m/%y %H:%M:%S").timestamp()), text
    except ValueError:
        return 0, text


def _plan(settings: FetchSettings, session: Opener, base: str, incoming: Path, bulk: bool,
          start_period: str) -> list[_Planned]:
    plans = []
    for dataset in (POPULATION_DATASET, LFS_DATASET):
        try:
            structure: Structure | None = _structure(settings, session, base, dataset, incoming)
        except (DownloadError, FetchError) as exc:
            structure = None
            if bulk:
                settings.say(f"eurostat {dataset}: no UPDATE_DATA to compare, the structure is unavailable ({exc})")
            else:
                # Without the DSD no key can be built: the bulk file holds the same data, for every geo.
                settings.say(f"eurostat {dataset}: structure unavailable ({exc}); falling back to the bulk TSV")
        use_bulk = bulk or structure is None
        if use_bulk:
            url = bulk_url(base, dataset)
        else:
            assert structure is not None
            try:
                key = series_key(structure.dimensions, area_geo_codes(GEO_LEVEL[dataset]))
            except ValueError as exc:
                raise FetchError(f"{structure_url(base, dataset)}: {exc}") from None
            url = data_url(base, dataset, key, start_period)
        plans.append(_Planned(dataset, url, use_bulk, structure.update_data if structure else None))
    return plans


def _unchanged_upstream(plans: list[_Planned], recorded: dict) -> bool:
    """Whether every dataset's UPDATE_DATA and request equal what the newest vintage recorded."""
    details = recorded.get("details") or {}
    return all(p.update_data is not None and isinstance(details.get(p.dataset), dict)
               and details[p.dataset].get("update_data") == p.update_data and details[p.dataset].get("url") == p.url
               for p in plans)


def _same_content(fetched: list[_Fetched], recorded: dict) -> bool:
    details = recorded.get("details") or {}
    return all(isinstance(details.get(f.dataset), dict) and details[f.dataset].get("file") == f.path.name
               and details[f.dataset].get("content_sha256") == f.content_sha256 for f in fetched)


def fetch(settings: FetchSettings, *, bulk: bool | None = None, start_period: str = START_PERIOD) -> FetchOutcome:
    """Fetch ``demo_r_pjangrp3`` and ``lfst_r_lfe2en2`` into one vintage ``<raw>/eu/eurostat/<date>/``.

    SDMX mode (default): the dimension order comes from each dataflow's structure, the key selects the area's NUTS3
    (population) or NUTS2 (LFS) codes, the answer is gzip SDMX-CSV from ``start_period``. Bulk mode (``bulk=True``,
    or ``$OBSERVATORY_EUROSTAT_BULK``; also per dataset when its structure cannot be had): the whole gzip TSV.

    No download when every dataflow's UPDATE_DATA annotation [U] and request equal the newest vintage's; no new
    vintage when the files (or their uncompressed content) equal the newest vintage's. Each file must be an intact
    gzip or plain file, not HTML nor an SDMX message, and pass :func:`read_dataset` and the loader's dimension checks
    before it is adopted. A failure raises :class:`DownloadError` or :class:`FetchError` naming the URL; earlier
    vintages are untouched.
    """
    if bulk is None:
        bulk = settings.environ().get(BULK_ENV, "").strip().lower() in ("1", "true", "yes")
    raw_dir = Path(settings.raw_dir)
    base = settings.base_url("eurostat", DEFAULT_BASE_URL)
    session = settings.open_session()
    incoming = vintages.incoming_dir(raw_dir, COUNTRY, SOURCE)
    state, recorded = _vintage_state(raw_dir)

    plans = _plan(settings, session, base, incoming, bulk, start_period)
    if _unchanged_upstream(plans, recorded):
        return FetchOutcome("eurostat", None, recorded, "eurostat: nothing new (UPDATE_DATA "
                            + ", ".join(f"{p.dataset} {p.update_data}" for p in plans) + " as in the newest vintage)")

    fetched: list[_Fetched] = []
    try:
        for plan in plans:
            fetched.append(_fetch_one(settings, session, plan, incoming, state))
        files = {f.path.name: sha256(f.path) for f in fetched}
        if vintages.same_as_latest(raw_dir, COUNTRY, SOURCE, files) or _same_content(fetched, recorded):
            return FetchOutcome("eurostat", None, recorded, "eurostat: nothing new (same data as the newest vintage)")
        version: dict = {f.dataset: f.version for f in fetched}
        version["details"] = {f.dataset: f.details() for f in fetched}
        with vintages.new_vintage(raw_dir, COUNTRY, SOURCE, now=settings.now) as vintage:
            vintage.describe(producer="Eurostat", licence=LICENCE, urls=[f.url for f in fetched],
                             producer_version=version,
                             note="SDMX-CSV of the area's NUTS codes" if not any(f.bulk for f in fetched)
                             else "bulk TSV (every geo) for " + ", ".join(f.dataset for f in fetched if f.bulk))
            for f in fetched:
                vintage.adopt(f.path, url=f.url, reference_period=f.reference_period)
        assert vintage.final is not None
        return FetchOutcome("eurostat", vintage.final, version,
                            f"eurostat: new vintage {vintage.final.name} ("
                            + ", ".join(f"{f.dataset} {f.version}" for f in fetched) + ")")
    finally:
        for f in fetched:  # adopted files are gone; what is left was not used
            f.path.unlink(missing_ok=True)


def _fetch_one(settings: FetchSettings, session: Opener, plan: _Planned, incoming: Path, state: str) -> _Fetched:
    # One incoming name per request kind, so that an interrupted download resumes on the next run (same URL).
    target = incoming / f"{plan.dataset}.{'tsv' if plan.bulk else 'csv'}.download"
    try:
        result = settings.download(plan.url, target, session=session, max_bytes=MAX_DATA_BYTES, kind="binary")
    except DownloadError as exc:
        hint = ("; Eurostat answers 404 to a key that selects nothing" if exc.status == 404 and not plan.bulk else "")
        raise DownloadError(plan.url, None, exc.problem + hint, status=exc.status, state=state) from None
    try:
        name, last_update, content_sha, period = _check_file(result.path, plan.dataset, plan.bulk)
    except ValueError as exc:
        result.path.unlink(missing_ok=True)
        raise DownloadError(plan.url, None, f"{plan.dataset}: {exc}", state=state) from None
    final = result.path.with_name(name)
    os.replace(result.path, final)
    settings.say(f"eurostat {plan.dataset}: {final.name} checked ({period}"
                 + (f", LAST UPDATE {last_update})" if last_update else ")"))
    return _Fetched(dataset=plan.dataset, url=plan.url, path=final, bulk=plan.bulk, update_data=plan.update_data,
                    last_update=last_update, last_modified=result.last_modified, etag=result.etag,
                    content_sha256=content_sha, reference_period=period)


# --- the sources ---------------------------------------------------------------------------------------------------

_FETCHER = Fetcher("eurostat", FOLDER, "Eurostat demo_r_pjangrp3 and lfst_r_lfe2en2 for the area", fetch)
_FILES = "*.csv, .csv.gz, .tsv or .tsv.gz"
POPULATION = PopulationSource(
    setting="eurostat", source_id=POPULATION_SOURCE_ID, table="src.eu_eurostat_population", system="eurostat",
    geo_join="LEFT JOIN nom.geo g ON g.geo = p.area_code AND g.geo_level = 'NUTS3'",
    geo="g.geo", country="g.country", known="true", in_area="g.geo IS NOT NULL", unknown_area="NULL",
    has_total_class=True, has_sex_total=True,
)
SOURCES = (
    Source(
        POPULATION_SOURCE_ID, "EU", FOLDER, "Eurostat datasets (population, LFS)",
        "Eurostat demo_r_pjangrp3 (population on 1 January by NUTS3, sex and five-year age), read from SDMX-CSV or "
        "TSV with its flags kept, staged in ``src.eu_eurostat_population``. The default population of both "
        "countries; optional: without it the build publishes everything but the population and the per-capita "
        "indicators.",
        CONTEXT, (POPULATION.table,), load_population, modules=(context,), fetcher=_FETCHER, population=POPULATION,
        context=context.ContextInput(POPULATION_SOURCE_ID, FOLDER, f"{POPULATION_DATASET}{_FILES}",
                                     context.WITHOUT_POPULATION, POPULATION.table, POPULATION_DDL,
                                     partial(candidates, dataset=POPULATION_DATASET))),
    Source(
        LFS_SOURCE_ID, "EU", FOLDER, "Eurostat datasets (population, LFS)",
        "Eurostat lfst_r_lfe2en2 (LFS employment by NUTS2, sex, age and NACE section), staged with its flags in "
        "``src.eu_eurostat_lfs_employment``: labour-market context, optional.",
        CONTEXT, ("src.eu_eurostat_lfs_employment",), load_lfs_employment, modules=(context,), fetcher=_FETCHER,
        context=context.ContextInput(LFS_SOURCE_ID, FOLDER, f"{LFS_DATASET}{_FILES}",
                                     "mart.lfs_employment (labour-market context) is empty",
                                     "src.eu_eurostat_lfs_employment", LFS_DDL,
                                     partial(candidates, dataset=LFS_DATASET), population=False)),
)
