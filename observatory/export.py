"""Open exports of the published database: ``<warehouse>/exports/<release>/``, written only after the audit passes.

Reads ``<warehouse>/observatory.duckdb`` read-only and writes, for every table of ``schema.PUBLISHED_TABLES``:

    exports/<release>/
        parquet/<schema>.<table>.parquet     DuckDB COPY, the database's own types
        csv/<schema>.<table>.csv             UTF-8, ',' and '.' (the Frictionless data package describes these)
        csv-fr-be/<schema>.<table>.csv       UTF-8 with a BOM, ';' and a decimal comma, for spreadsheets in FR and BE
        sdmx/DESIR_JOBS.csv, sdmx/DESIR_INDICATORS.csv     SDMX-CSV 1.0 of mart.jobs and mart.indicators
        observatory.xlsx                     a "read me" sheet and a sheet per table, codes with FR/NL/EN labels
        datapackage.json                     Frictionless data package of csv/ (Table Schema from observatory.schema)
        SHA256SUMS                           every other file, as ``sha256sum -c SHA256SUMS`` checks it

``<release>`` is ``meta.release.built_at`` in UTC as ``YYYYMMDDTHHMMSSZ`` (e.g. ``20261204T031200Z``): one folder per
published build; exporting the same build again replaces its folder. Everything is written into a hidden sibling
``.<release>.partial-<random>`` and renamed into place at the end, so a failed export never leaves half a folder.

Refused (:class:`ExportRefused`, one line) when the published database is missing or its disclosure audit
(``meta.release.disclosure_audit``) is not ``passed``. Every value a ``conf_status`` marks as suppressed is
written empty (NULL, never 0) and its code is carried beside it. Text cells a spreadsheet would run as a formula
are neutralised (:func:`neutralise`). Rows go through DuckDB's COPY, except into the XLSX workbook, which is
refused beyond a sheet's 1,048,576 rows.

    result = export(Path("data/warehouse"))      # ExportRefused: say str(exc) and stop
    print(result.folder, result.files)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from observatory import schema
from observatory.config import PUBLISHED_FILE_NAME
from observatory.publication import fsync

EXPORTS_DIR = "exports"
RELEASE_FORMAT = "%Y%m%dT%H%M%SZ"
PARTIAL = ".partial-"
AUDIT_PASSED = "passed"  # the verdict, alone or followed by ": " and its summary (observatory.disclosure)
CHECKSUMS = "SHA256SUMS"
LOCK_FILE = ".lock"
DATAPACKAGE = "datapackage.json"
WORKBOOK = "observatory.xlsx"
XLSX_MAX_ROWS = 1_048_576  # rows of an Excel sheet, the header included
BOM = b"\xef\xbb\xbf"
# OWASP CSV injection: a text cell starting with one of these is run as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_SQL = "^[=+\\-@\\t\\r]"  # the same, as a DuckDB regular expression
_TIMESTAMP_SQL = "%Y-%m-%dT%H:%M:%S.%fZ"

# The code columns whose labels come from a mart.dim_* table (the XLSX adds them; the data package links them).
LABELLED = {"geo": "geo", "fr_geo": "geo", "be_geo": "geo", "family": "family", "nace_a10": "nace_a10",
            "age_band": "age_band", "sex": "sex", "indicator": "indicator"}
LANGUAGES = ("fr", "nl", "en")
# mart.lfs_employment's geo is NUTS2 (outside mart.dim_geo): no label, no foreign key.
NOT_LABELLED = {("mart.lfs_employment", "geo")}

# What each code of conf_status means (the read-me sheet). SDMX CL_CONF_STATUS; N and P as Eurostat publishes them.
CONF_STATUS_CODES = {
    "C": "Confidential: the value is suppressed by statistical disclosure control (empty cell)",
    "A": "Primary confidentiality, small count (empty cell)",
    "O": "Primary confidentiality, dominance by one unit (empty cell)",
    "D": "Secondary confidentiality: suppressed so that no other cell can be recomputed from the margins "
         "(empty cell)",
    "N": "Eurostat: not for publication (mart.population, mart.lfs_employment; kept verbatim)",
    "P": "Eurostat confidentiality code, kept verbatim from the source (mart.population, mart.lfs_employment)",
}
OBS_FLAGS = {
    "p": "provisional (Eurostat flag of the population figure used)",
    "e": "estimated (Eurostat flag)",
    "b": "break in time series (Eurostat flag)",
    "d": "definition differs (Eurostat flag)",
    "u": "low reliability (Eurostat flag)",
    "m": "missing: the figure needed is missing (value empty)",
}

# SDMX-CSV 1.0 dataflows: DATAFLOW, dimensions, TIME_PERIOD, OBS_VALUE, attributes.
SDMX_AGENCY = "DESIR"
SDMX_VERSION = "1.0"


class ExportRefused(Exception):
    """The export is not written: the message is one line saying why (no database, audit not passed, too big)."""


@dataclass
class ExportResult:
    folder: Path
    release: str
    files: dict[str, int] = field(default_factory=dict)  # path under the folder -> bytes
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows

    @property
    def bytes(self) -> int:
        return sum(self.files.values())


def neutralise(text: str | None) -> str | None:
    """``text`` made inert for spreadsheets (OWASP CSV injection): prefixed with ``'`` when it starts with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return. Text only: numbers are never passed here."""
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def release_id(built_at: datetime) -> str:
    """The release folder name of a build: its ``built_at`` in UTC, ``YYYYMMDDTHHMMSSZ``."""
    return built_at.astimezone(UTC).strftime(RELEASE_FORMAT)


def exports_root(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / EXPORTS_DIR


# ---------------------------------------------------------------- opening and the gate


def open_published(warehouse_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published database (attached as ``pub`` to a private in-memory instance)."""
    path = Path(warehouse_dir) / PUBLISHED_FILE_NAME
    if not path.is_file():
        raise ExportRefused(f"no published database at {path}: run `observatory build` first")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH {_lit(str(path.resolve()))} AS pub (READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise ExportRefused(f"cannot open {path}: {str(exc).splitlines()[0]}") from None
    return con


def release_info(con: duckdb.DuckDBPyConnection) -> dict:
    """meta.release of the published database, refused unless its disclosure audit passed."""
    columns = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = 'pub' AND "
                                         "schema_name = 'meta' AND table_name = 'release' ORDER BY column_index").fetchall()]
    if "disclosure_audit" not in columns:
        raise ExportRefused("the published database records no disclosure audit (meta.release.disclosure_audit): "
                            "rebuild it with `observatory build` before exporting")
    rows = con.execute("SELECT * FROM pub.meta.release").fetchall()
    if len(rows) != 1:
        raise ExportRefused(f"meta.release of the published database has {len(rows)} rows, expected 1")
    info = dict(zip(columns, rows[0], strict=True))
    verdict = info["disclosure_audit"] or ""
    if verdict != AUDIT_PASSED and not verdict.startswith(f"{AUDIT_PASSED}:"):
        raise ExportRefused(f"the disclosure audit did not pass ({info['disclosure_audit']}): nothing exported, "
                            "publish a build whose audit passes first")
    return info


# ---------------------------------------------------------------- the export


def export(warehouse_dir: Path) -> ExportResult:
    """Write every format of the published database into ``<warehouse>/exports/<release>/``, atomically.

    Raises :class:`ExportRefused` (one line) when there is nothing that may be exported."""
    warehouse_dir = Path(warehouse_dir)
    with open_published(warehouse_dir) as con:
        info = release_info(con)
        release = release_id(info["built_at"])
        rows = {t.name: con.execute(f"SELECT count(*) FROM pub.{t.name}").fetchone()[0]
                for t in schema.PUBLISHED_TABLES}
        too_big = {name: n for name, n in rows.items() if n + 1 > XLSX_MAX_ROWS}
        if too_big:
            name, n = next(iter(too_big.items()))
            raise ExportRefused(f"{name} has {n:,} rows: more than an XLSX sheet holds ({XLSX_MAX_ROWS:,} with the "
                                "header); nothing exported")
        root = exports_root(warehouse_dir)
        root.mkdir(parents=True, exist_ok=True)
        with _export_lock(root):
            return _write_all(con, info, release, rows, root)


def _write_all(con: duckdb.DuckDBPyConnection, info: dict, release: str, rows: dict[str, int],
               root: Path) -> ExportResult:
    for stale in root.glob(f".*{PARTIAL}*"):  # left by an export killed midway (none runs now: we hold the lock)
        shutil.rmtree(stale, ignore_errors=True)
    temp = root / f".{release}{PARTIAL}{uuid.uuid4().hex[:12]}"
    temp.mkdir()
    try:
        for table in schema.PUBLISHED_TABLES:
            write_parquet(con, table, temp / "parquet" / f"{table.name}.parquet")
            write_csv(con, table, temp / "csv" / f"{table.name}.csv")
            write_csv_fr_be(con, table, temp / "csv-fr-be" / f"{table.name}.csv")
        write_sdmx(con, temp / "sdmx")
        write_xlsx(con, info, rows, temp / WORKBOOK)
        write_datapackage(info, release, temp / DATAPACKAGE)
        files = write_checksums(temp)
        target = _swap_in(temp, root / release)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return ExportResult(folder=target, release=release, files=files, rows=rows)


@contextmanager
def _export_lock(root: Path) -> Iterator[None]:
    """One export of a warehouse at a time (an exclusive ``flock`` on ``exports/.lock``, released if the process
    dies): a second one is refused rather than removing the first one's temporary folder."""
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportRefused(f"another export of this warehouse is running (lock {root / LOCK_FILE}): try again "
                                "when it has ended") from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _swap_in(temp: Path, target: Path) -> Path:
    """Rename ``temp`` to ``target``; an earlier export of the same release is moved aside first, then removed."""
    _fsync_tree(temp)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}{PARTIAL}old-{uuid.uuid4().hex[:12]}")
        os.replace(target, old)
    try:
        os.replace(temp, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    fsync(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        fsync(path)
    fsync(folder)


# ---------------------------------------------------------------- the SELECT of each format


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _guards(table: schema.Table) -> dict[str, list[str]]:
    """The conf_status column(s) of a table and the values each one suppresses: the DOUBLE measures of the row
    (``units``, a count of establishments, is not a suppressed value). In mart.cross_border_comparison each side's
    status suppresses its value and the difference."""
    names = {c.name for c in table.columns}
    doubles = [c.name for c in table.columns if c.type == "DOUBLE"]
    if "conf_status" in names:
        return {"conf_status": doubles}
    return {f"{side}_conf_status": [f"{side}_value", "difference"] for side in ("fr", "be")
            if f"{side}_conf_status" in names}


def _suppressed(table: schema.Table, column: str) -> str | None:
    """SQL true when the value of ``column`` is suppressed, or None for a column no conf_status guards."""
    statuses = [status for status, values in _guards(table).items() if column in values]
    return " OR ".join(f"{s} IS NOT NULL" for s in statuses) or None


def _inert(expr: str) -> str:
    """SQL of :func:`neutralise`: the text ``expr`` prefixed with ' when a spreadsheet would run it as a formula."""
    return f"CASE WHEN regexp_matches({expr}, {_lit(_FORMULA_SQL)}) THEN '''' || {expr} ELSE {expr} END"


def _is_text(col: schema.Col) -> bool:
    return col.type == "VARCHAR"


def _expr(table: schema.Table, col: schema.Col, decimal_comma: bool = False) -> str:
    """The SQL of one exported column: a suppressed value NULL, text neutralised, timestamps in ISO 8601 UTC, and
    for the FR/BE CSV numbers with a decimal comma (whole numbers without decimals)."""
    name = col.name
    if _is_text(col):
        value = _inert(name)
    elif col.type.startswith("TIMESTAMP"):
        value = f"strftime(timezone('UTC', {name}), {_lit(_TIMESTAMP_SQL)})"
    elif col.type == "DOUBLE" and decimal_comma:
        value = (f"CASE WHEN {name} = trunc({name}) AND abs({name}) < 1e15 THEN CAST(CAST({name} AS BIGINT) AS VARCHAR)"
                 f" ELSE replace(CAST({name} AS VARCHAR), '.', ',') END")
    else:
        value = name
    if (condition := _suppressed(table, name)) is not None:
        value = f"CASE WHEN {condition} THEN NULL ELSE {value} END"
    return f"{value} AS {name}"


def _select(table: schema.Table, *, text_safe: bool = True, decimal_comma: bool = False) -> str:
    if text_safe:
        columns = ", ".join(_expr(table, c, decimal_comma) for c in table.columns)
    else:  # Parquet: the database's types; suppressed values NULL all the same
        columns = ", ".join(f"CASE WHEN {cond} THEN NULL ELSE {c.name} END AS {c.name}"
                            if (cond := _suppressed(table, c.name)) else c.name for c in table.columns)
    return f"SELECT {columns} FROM pub.{table.name} ORDER BY {schema.publication_order(table)}"


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path, options: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({sql}) TO {_lit(str(path))} ({options})")


def write_parquet(con: duckdb.DuckDBPyConnection, table: schema.Table, path: Path) -> None:
    _copy(con, _select(table, text_safe=False), path, "FORMAT parquet, COMPRESSION zstd")


def write_csv(con: duckdb.DuckDBPyConnection, table: schema.Table, path: Path) -> None:
    _copy(con, _select(table), path, "FORMAT csv, HEADER, DELIMITER ','")


def write_csv_fr_be(con: duckdb.DuckDBPyConnection, table: schema.Table, path: Path) -> None:
    """';'-separated, decimal comma, UTF-8 with a BOM (Excel in French and Dutch reads it as it is)."""
    plain = path.with_name(path.name + ".nobom")
    _copy(con, _select(table, decimal_comma=True), plain, "FORMAT csv, HEADER, DELIMITER ';'")
    with path.open("wb") as out, plain.open("rb") as source:
        out.write(BOM)
        shutil.copyfileobj(source, out, 1 << 20)
    plain.unlink()


# ---------------------------------------------------------------- SDMX-CSV


@dataclass(frozen=True)
class Dataflow:
    id: str
    table: schema.Table
    dimensions: tuple[tuple[str, str], ...]  # (SDMX id, SQL)
    measures: tuple[tuple[str, str], ...]  # (UNIT_MEASURE code, column): one observation per measure and row
    obs_flag: str | None = None  # the column of Eurostat-style flags, if any

    @property
    def dataflow(self) -> str:
        return f"{SDMX_AGENCY}:{self.id}({SDMX_VERSION})"


_COMMON_DIMENSIONS = (("FREQ", "'A'"), ("GEO", "geo"))
DATAFLOWS = (
    Dataflow("DESIR_JOBS", schema.JOBS,
             (*_COMMON_DIMENSIONS, ("FAMILY", "family"), ("NACE_A10", "nace_a10"), ("SEX", "sex"),
              ("AGE", "age_band")),
             (("JOBS", "jobs"), ("FTE", "fte"))),
    Dataflow("DESIR_INDICATORS", schema.INDICATORS,
             (*_COMMON_DIMENSIONS, ("INDICATOR", "indicator"), ("SEX", "sex"), ("AGE", "age_band")),
             (("", "value"),), obs_flag="obs_flag"),
)


def _sdmx_select(flow: Dataflow) -> str:
    """One SDMX-CSV 1.0 observation per row and measure: DATAFLOW, the dimensions, TIME_PERIOD, OBS_VALUE, then
    the attributes UNIT_MEASURE, OBS_STATUS (A normal, M missing, E estimated, P provisional; empty when
    confidential) and CONF_STATUS (the conf_status code, empty when free)."""
    parts = []
    dims = ", ".join(f"{sql} AS {sdmx}" for sdmx, sql in flow.dimensions)
    for unit, column in flow.measures:
        value = f"CASE WHEN conf_status IS NOT NULL THEN NULL ELSE {column} END"
        flag = flow.obs_flag or "NULL"
        status = (f"CASE WHEN conf_status IS NOT NULL THEN NULL WHEN contains(coalesce({flag}, ''), 'm') OR {column} IS "
                  f"NULL THEN 'M' WHEN contains(coalesce({flag}, ''), 'e') THEN 'E' "
                  f"WHEN contains(coalesce({flag}, ''), 'p') THEN 'P' ELSE 'A' END")
        unit_sql = _lit(unit) if unit else "upper(unit)"
        parts.append(f"SELECT {_lit(flow.dataflow)} AS DATAFLOW, {dims}, year AS TIME_PERIOD, {value} AS OBS_VALUE, "
                     f"{unit_sql} AS UNIT_MEASURE, {status} AS OBS_STATUS, conf_status AS CONF_STATUS, "
                     f"{schema.publication_order(flow.table)}, {len(parts)} AS measure_order "
                     f"FROM pub.{flow.table.name}")
    order = f"{schema.publication_order(flow.table)}, measure_order"
    columns = ", ".join(["DATAFLOW", *(d for d, _ in flow.dimensions), "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE",
                         "OBS_STATUS", "CONF_STATUS"])
    return f"SELECT {columns} FROM ({' UNION ALL '.join(parts)}) ORDER BY {order}"


def write_sdmx(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    for flow in DATAFLOWS:
        _copy(con, _sdmx_select(flow), folder / f"{flow.id}.csv", "FORMAT csv, HEADER, DELIMITER ','")


# ---------------------------------------------------------------- XLSX


def _label_columns(table: schema.Table, col: schema.Col) -> list[str]:
    if col.name not in LABELLED or (table.name, col.name) in NOT_LABELLED or table.name.startswith("mart.dim_"):
        return []
    return [f"{col.name}_label_{lang}" for lang in LANGUAGES]


def _xlsx_select(table: schema.Table) -> tuple[list[str], str]:
    """The columns of a table's sheet (each labelled code followed by its labels in FR, NL, EN) and their SELECT:
    the CSV's columns (suppressed values NULL, text neutralised) joined to the labels of the mart.dim_* tables."""
    names, exprs, joins = [], [], []
    for col in table.columns:
        names.append(col.name)
        exprs.append(f"t.{col.name}")
        labels = _label_columns(table, col)
        if labels:
            alias = f"d_{col.name}"
            dim = LABELLED[col.name]
            joins.append(f"LEFT JOIN pub.mart.dim_{dim} {alias} ON {alias}.{dim} = t.{col.name}")
            for lang, label in zip(LANGUAGES, labels, strict=True):
                names.append(label)
                exprs.append(_inert(f"{alias}.label_{lang}"))
    inner = ", ".join(_expr(table, c) for c in table.columns)
    select = ", ".join(f'{e} AS "{n}"' for e, n in zip(exprs, names, strict=True))
    order = ", ".join(f"t.{k.strip()}" for k in schema.publication_order(table).split(","))
    return names, f"SELECT {select} FROM (SELECT {inner} FROM pub.{table.name}) t {' '.join(joins)} ORDER BY {order}"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, batch: int = 10_000) -> Iterator[tuple]:
    cursor = con.execute(sql)
    while chunk := cursor.fetchmany(batch):
        yield from chunk


def _cell(value):
    """A value as openpyxl writes it: text neutralised, so that openpyxl never stores it as a formula (it would for
    text starting with =); numbers, dates and booleans as they are (timestamps arrive as ISO text, see _expr)."""
    return neutralise(value) if isinstance(value, str) else value


def write_xlsx(con: duckdb.DuckDBPyConnection, info: dict, rows: dict[str, int], path: Path) -> None:
    """One workbook: a "read me" sheet, then a sheet per table (its name), codes followed by their labels."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook(write_only=True)
    readme = book.create_sheet("read me")
    readme.column_dimensions["A"].width = 28
    readme.column_dimensions["B"].width = 30
    readme.column_dimensions["C"].width = 100
    for line in readme_rows(con, info, rows):
        cells = []
        for i, value in enumerate(line):
            cell = WriteOnlyCell(readme, value=_cell(value))
            if i == 0 and len(line) == 1:
                cell.font = bold
            cells.append(cell)
        readme.append(cells)
    for table in schema.PUBLISHED_TABLES:
        sheet = book.create_sheet(table.name[:31])
        sheet.freeze_panes = "A2"
        names, sql = _xlsx_select(table)
        header = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in _rows(con, sql):
            sheet.append([_cell(v) for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def readme_rows(con: duckdb.DuckDBPyConnection, info: dict, rows: dict[str, int]) -> list[tuple]:
    """The "read me" sheet: notice, release, sheets, flags, sources, then every column's definition."""
    out: list[tuple] = [("DESIR cross-border observatory: open export of observatory.duckdb",)]
    if info["synthetic"]:
        out += [("SYNTHETIC DATA",), ("notice", "", info["notice"])]
    else:
        out += [("notice", "", info["notice"])]
    out += [(), ("Release",)]
    for key in ("built_at", "code_version", "dagster_run_id", "years", "disclosure_audit", "missing_context_inputs"):
        value = info.get(key)
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        out.append((key, "", "" if value is None else str(value)))
    out.append(("release", "", release_id(info["built_at"])))
    out += [(), ("Sheets",), ("sheet", "rows", "content")]
    out += [(t.name, rows[t.name], t.comment) for t in schema.PUBLISHED_TABLES]
    out += [(), ("Empty cells, flags and labels",),
            ("empty cell", "", "NULL: a suppressed value (see conf_status), or a value that cannot be computed; a "
             "suppressed value is never written as 0"),
            ("<code>_label_fr/_nl/_en", "", "Labels in French, Dutch and English of the code in the column before "
             "them, from the mart.dim_* sheets"),
            ("text starting with '", "", "Text that starts with =, +, -, @, a tab or a carriage return is prefixed "
             "with ' so that no spreadsheet runs it as a formula")]
    out += [("conf_status", code, text) for code, text in CONF_STATUS_CODES.items()]
    out += [("obs_flag", code, text) for code, text in OBS_FLAGS.items()]
    out += [(), ("Sources",), ("source_id / file", "producer / licence", "reference period, url")]
    for source_id, file_name, producer, licence, period, url in con.execute(
            "SELECT source_id, file_name, producer, licence, reference_period, url FROM pub.meta.sources "
            "ORDER BY source_id, file_name").fetchall():
        out.append((f"{source_id}: {file_name}", f"{producer}; {licence}", f"{period}; {url}"))
    out += [(), ("Definitions",), ("table", "column", "definition")]
    for table in schema.PUBLISHED_TABLES:
        out.append((table.name, "", table.comment))
        for col in table.columns:
            codes = f" Codes: {', '.join(col.allowed)}." if col.allowed else ""
            out.append((table.name, col.name, f"{col.comment} ({col.type}).{codes}"))
    out += [(), ("Indicators",)] + [("indicator", code, text) for code, text in schema.INDICATOR_DEFINITIONS.items()]
    return out


# ---------------------------------------------------------------- Frictionless data package

_FIELD_TYPES = {"VARCHAR": "string", "INTEGER": "integer", "BIGINT": "integer", "DOUBLE": "number",
                "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP WITH TIME ZONE": "datetime"}


def table_schema(table: schema.Table) -> dict:
    """The Frictionless Table Schema of a table's csv/ file, from observatory.schema."""
    fields = []
    for col in table.columns:
        item: dict = {"name": col.name, "type": _FIELD_TYPES[col.type], "description": col.comment}
        constraints: dict = {}
        if not col.nullable:
            constraints["required"] = True
            if col.type == "VARCHAR":  # an empty text is a value there (e.g. no missing context input), not NULL
                item["missingValues"] = []
        if col.allowed:
            constraints["enum"] = list(col.allowed)
        if col.type in ("INTEGER", "BIGINT", "DOUBLE") and not col.signed:
            constraints["minimum"] = 0
        if col.type == "TIMESTAMP WITH TIME ZONE":
            item["format"] = _TIMESTAMP_SQL.replace("%f", "%f")
        if constraints:
            item["constraints"] = constraints
        fields.append(item)
    out: dict = {"fields": fields, "missingValues": [""]}
    if table.key:
        out["primaryKey"] = list(table.key)
    foreign = [{"fields": col.name, "reference": {"resource": f"mart.dim_{LABELLED[col.name]}",
                                                   "fields": LABELLED[col.name]}}
               for col in table.columns if _label_columns(table, col)]
    if foreign:
        out["foreignKeys"] = foreign
    return out


def datapackage(info: dict, release: str) -> dict:
    return {
        "name": "desir-observatory",
        "title": "DESIR cross-border observatory of the social and solidarity economy (France-Wallonia-Flanders)",
        "description": info["notice"],
        "version": release,
        "created": info["built_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "licenses": [{"name": "other-at", "title": "Each input keeps its licence: see meta.sources.licence"}],
        "resources": [{
            "name": table.name,
            "path": f"csv/{table.name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "description": table.comment,
            "dialect": {"delimiter": ",", "header": True},
            "schema": table_schema(table),
        } for table in schema.PUBLISHED_TABLES],
    }


def write_datapackage(info: dict, release: str, path: Path) -> None:
    path.write_text(json.dumps(datapackage(info, release), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- checksums


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksums(folder: Path) -> dict[str, int]:
    """``SHA256SUMS`` over every file of ``folder`` (``<hex>  <relative path>``, sorted); returns every file written,
    itself included, with its size."""
    files = sorted((p for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS),
                   key=lambda p: p.relative_to(folder).as_posix())
    lines = [f"{sha256_file(p)}  {p.relative_to(folder).as_posix()}\n" for p in files]
    (folder / CHECKSUMS).write_text("".join(lines), encoding="utf-8")
    sizes = {p.relative_to(folder).as_posix(): p.stat().st_size for p in files}
    sizes[CHECKSUMS] = (folder / CHECKSUMS).stat().st_size
    return sizes
