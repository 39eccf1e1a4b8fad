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

The dimension order is read from the header, never assumed. DuckDB reads the whole file (the real
``demo_r_pjangrp3`` TSV is ~100k series x 30 periods), every column as text, and SQL checks and types it; errors are
:class:`InputError` naming the file, line, column and value. Every geo is staged: harmonisation filters and counts.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from observatory import vintages
from observatory.errors import InputError, describe_duckdb_read_error
from observatory.provenance import META_SOURCES_DDL, Origin, read_origin, record_source

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
        table = "(SELECT rowid + 2 AS line, list_transform(string_split(series, ','), x -> trim(x)) AS s " \
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

POPULATION_DDL = """
CREATE SCHEMA IF NOT EXISTS src;
CREATE OR REPLACE TABLE src.eu_eurostat_population (
    year INTEGER, area_code VARCHAR, sex_code VARCHAR, age_class VARCHAR, population DOUBLE, obs_flag VARCHAR,
    conf_status VARCHAR, file_name VARCHAR, line BIGINT, rows BIGINT);
"""
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
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(ddl)
            con.execute(insert, {"file_name": path.name})
            # The table holds this file only: so does meta.sources.
            con.execute(META_SOURCES_DDL)
            con.execute("DELETE FROM meta.sources WHERE source_id = ?", [source_id])
            sources = [record_source(con, source_id, path, info["observations"],
                                     read_origin(path, ORIGINS[dataset]), period)]
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    return {"source_id": source_id, **info, "sources": sources}


def load_population(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Stage ``demo_r_pjangrp3`` in ``src.eu_eurostat_population`` (the layout shared with the INSEE and Statbel
    loaders: year, area_code, sex_code, age_class, population, obs_flag, conf_status, file_name, line, rows) and
    record the file in ``meta.sources``. Returns what was loaded, for Dagster metadata."""
    return _stage(con, raw_dir, POPULATION_DATASET, "_eurostat_population", ("freq", "unit", "sex", "age", "geo"),
                  {"freq": "A", "unit": "NR"}, POPULATION_DDL, POPULATION_INSERT_SQL)


def load_lfs_employment(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict:
    """Stage ``lfst_r_lfe2en2`` in ``src.eu_eurostat_lfs_employment`` (every geo and unit: harmonisation filters and
    rejects) and record the file in ``meta.sources``. Returns what was loaded, for Dagster metadata."""
    return _stage(con, raw_dir, LFS_DATASET, "_eurostat_lfs", ("freq", "unit", "sex", "age", "nace_r2", "geo"),
                  {"freq": "A"}, LFS_DDL, LFS_INSERT_SQL)
