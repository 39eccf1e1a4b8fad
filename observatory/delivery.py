"""Contracts of the employment extractions delivered under agreement, and the loader that enforces them.

A contract lists the columns a file must have (by name; added columns are tolerated and ignored), the exact text
form of each value, and the key. ``load_delivery`` streams the file once for encoding and line shape
(:mod:`observatory.textfile`), lets DuckDB read it as text, then checks every value in SQL; the first problem of
each kind stops the load with an :class:`InputError` naming the file, line, column and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from observatory.config import THRESHOLDS_FILE, Thresholds
from observatory.errors import InputError
from observatory.textfile import check_delimited


@dataclass(frozen=True)
class Column:
    name: str
    pattern: str
    meaning: str
    optional: bool = False
    # Known wrong forms, tested first so the message says what is wrong (e.g. a decimal point instead of a comma).
    wrong_forms: tuple[tuple[str, str], ...] = ()
    # The column may be missing from the header altogether: then every value reads as empty.
    may_be_absent: bool = False
    # A count (jobs, FTE, units): a value above Thresholds.max_count_per_delivery_line is refused as implausible.
    count: bool = False


@dataclass(frozen=True)
class FileContract:
    name: str
    delimiter: str
    quoted: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """The columns the header must name."""
        return [c.name for c in self.columns if not c.may_be_absent]


NEGATIVE = (r"^-\d", "a negative count; counts must be >= 0")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_delivery(con: duckdb.DuckDBPyConnection, path: Path, contract: FileContract, table: str,
                  thresholds: Thresholds | None = None) -> int:
    """Load ``path`` into ``table`` (all text, plus ``line``: the 1-based line number in the file). Return rows.

    Beyond its form, a count column may not exceed ``thresholds.max_count_per_delivery_line`` on any line.
    """
    thresholds = thresholds or Thresholds()
    profile = check_delimited(path, delimiter=contract.delimiter, required=contract.required, quoted=contract.quoted)
    columns = {name: "VARCHAR" for name in profile.header}
    try:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _delivery AS
            SELECT * FROM read_csv(?, delim = ?, header = true, quote = ?, escape = ?, columns = ?,
                                   strict_mode = true, parallel = false, null_padding = false)""",
            [str(path), contract.delimiter, '"' if contract.quoted else "", '"' if contract.quoted else "", columns],
        )
    except duckdb.Error as exc:
        raise InputError(path, f"DuckDB could not read the file: {str(exc).splitlines()[0]}") from None
    # A fresh table keeps insertion order, so rowid + 2 is the line number (line 1 is the header).
    select = ", ".join(f"coalesce(trim({_quote(c)}), '') AS {_quote(c)}" if c in profile.header else f"'' AS {_quote(c)}"
                       for c in contract.names)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT rowid + 2 AS line, {select} FROM _delivery")
    con.execute("DROP TABLE _delivery")
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if rows != profile.data_lines:
        raise InputError(path, f"DuckDB read {rows} rows where the file has {profile.data_lines} data lines")
    for column in contract.columns:
        _check_column(con, path, table, column)
        if column.count:
            _check_bound(con, path, table, column, thresholds.max_count_per_delivery_line)
    _check_unique_key(con, path, table, contract.key)
    return rows


def _first(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> tuple | None:
    return con.execute(sql, params).fetchone()


def _check_column(con: duckdb.DuckDBPyConnection, path: Path, table: str, column: Column) -> None:
    q = _quote(column.name)
    if not column.optional:
        hit = _first(con, f"SELECT min(line), count(*) FROM {table} WHERE coalesce({q}, '') = ''", [])
        if hit[1]:
            raise InputError(path, "empty value; the column is mandatory", line=hit[0], column=column.name,
                             more=hit[1] - 1)
    for pattern, message in column.wrong_forms:
        hit = _first(
            con, f"SELECT min(line), count(*), arg_min({q}, line) FROM {table} WHERE regexp_matches({q}, ?)",
            [pattern],
        )
        if hit[1]:
            raise InputError(path, message, line=hit[0], column=column.name, value=hit[2], more=hit[1] - 1)
    hit = _first(
        con,
        f"SELECT min(line), count(*), arg_min({q}, line) FROM {table} "
        f"WHERE coalesce({q}, '') <> '' AND NOT regexp_full_match({q}, ?)",
        [column.pattern],
    )
    if hit[1]:
        raise InputError(
            path, f"expected {column.meaning}", line=hit[0], column=column.name, value=hit[2], more=hit[1] - 1
        )


def _check_bound(con: duckdb.DuckDBPyConnection, path: Path, table: str, column: Column, bound: int) -> None:
    """Refuse the first line whose count is above ``bound``: a well-formed but impossible figure (issue 11: one
    line of 999,999,999,999,999 jobs was once published). Runs after the form check, so every value is a number."""
    q = _quote(column.name)
    # As DOUBLE: the contract bounds integers to 15 digits but not decimals, which may have any number of them.
    hit = _first(
        con,
        f"SELECT min(line), count(*), arg_min({q}, line) FROM {table} "
        f"WHERE coalesce({q}, '') <> '' AND CAST(replace({q}, ',', '.') AS DOUBLE) > ?",
        [bound],
    )
    if hit[1]:
        raise InputError(
            path,
            f"implausible count: above {bound:,} on one line, more than a whole country's employment "
            f"(max_count_per_delivery_line in {THRESHOLDS_FILE.name})",
            line=hit[0], column=column.name, value=hit[2], more=hit[1] - 1,
        )


def _check_unique_key(con: duckdb.DuckDBPyConnection, path: Path, table: str, key: tuple[str, ...]) -> None:
    cols = ", ".join(_quote(c) for c in key)
    hit = _first(
        con,
        f"""SELECT min(second_line), count(*), arg_min(first_line, second_line), arg_min(k, second_line) FROM (
              SELECT min(line) AS first_line, list_sort(list(line))[2] AS second_line, concat_ws(' | ', {cols}) AS k
              FROM {table} GROUP BY {cols} HAVING count(*) > 1)""",
        [],
    )
    if hit[1]:
        raise InputError(
            path,
            f"duplicated key ({', '.join(key)}): also on line {hit[2]}",
            line=hit[0],
            value=hit[3],
            more=hit[1] - 1,
        )


def check_year(path: Path, pattern: str, table: str, con: duckdb.DuckDBPyConnection, column: str) -> int:
    """The reference period in the file name, checked against the column that repeats it on every line."""
    match = re.fullmatch(pattern, path.name)
    if not match:
        raise InputError(path, f"the file name does not match {pattern}")
    expected = match.group(1)
    hit = _first(
        con,
        f"SELECT min(line), count(*), arg_min({_quote(column)}, line) FROM {table} WHERE {_quote(column)} <> ?",
        [_period_value(column, expected)],
    )
    if hit[1]:
        raise InputError(
            path,
            f"the file name says {expected} but the line is for another period",
            line=hit[0],
            column=column,
            value=hit[2],
            more=hit[1] - 1,
        )
    return int(expected)


def _period_value(column: str, year: str) -> str:
    return f"{year}Q4" if column == "TRIMESTRE" else year


def check_pair(
    con: duckdb.DuckDBPyConnection,
    jobs_path: Path,
    jobs_table: str,
    units_path: Path,
    units_table: str,
    key: tuple[str, ...],
    jobs_column: str,
    max_column: str,
) -> None:
    """The units file has one row per key of the jobs file, and its largest unit fits in the key's total."""
    cols = ", ".join(_quote(c) for c in key)
    on = " AND ".join(f"j.{_quote(c)} = u.{_quote(c)}" for c in key)
    hit = _first(
        con,
        f"SELECT min(u.line), count(*), arg_min(concat_ws(' | ', {', '.join('u.' + _quote(c) for c in key)}), u.line) "
        f"FROM {units_table} u ANTI JOIN (SELECT DISTINCT {cols} FROM {jobs_table}) j ON {on}",
        [],
    )
    if hit[1]:
        raise InputError(units_path, f"a units row has no jobs row in {jobs_path.name}", line=hit[0], value=hit[2],
                         more=hit[1] - 1)
    hit = _first(
        con,
        f"SELECT min(j.line), count(*), arg_min(concat_ws(' | ', {', '.join('j.' + _quote(c) for c in key)}), j.line) "
        f"FROM {jobs_table} j ANTI JOIN {units_table} u ON {on}",
        [],
    )
    if hit[1]:
        raise InputError(jobs_path, f"a jobs row has no units row in {units_path.name}", line=hit[0], value=hit[2],
                         more=hit[1] - 1)
    hit = _first(
        con,
        f"""SELECT min(u.line), count(*), arg_min(u.{_quote(max_column)} || ' > ' || t.total, u.line)
            FROM {units_table} u JOIN (
                SELECT {cols}, sum(CAST({_quote(jobs_column)} AS BIGINT)) AS total FROM {jobs_table} GROUP BY {cols}
            ) t ON {on.replace('j.', 't.')}
            WHERE CAST(u.{_quote(max_column)} AS BIGINT) > t.total""",
        [],
    )
    if hit[1]:
        raise InputError(
            units_path,
            f"{max_column} is above the key's total {jobs_column} in {jobs_path.name}",
            line=hit[0],
            column=max_column,
            value=hit[2],
            more=hit[1] - 1,
        )


def forget_absent_years(con: duckdb.DuckDBPyConnection, source_id: str, tables: tuple[str, ...],
                        present: list[int]) -> list[int]:
    """Remove from ``tables`` (and their files from ``meta.sources``) the years whose delivery is no longer in the
    raw folder: the working database outlives a build, and a year taken away must neither be published nor listed
    as read. Returns the years removed."""
    from observatory.provenance import META_SOURCES_DDL

    gone = sorted({y for table in tables for (y,) in con.execute(
        f"SELECT DISTINCT year FROM {table} WHERE NOT list_contains(?, year)", [present]).fetchall()})
    if not gone:
        return []
    for table in tables:
        con.execute(f"DELETE FROM {table} WHERE list_contains(?, year)", [gone])
    con.execute(META_SOURCES_DDL)
    kept = " UNION ".join(f"SELECT file_name FROM {table}" for table in tables)
    con.execute(f"DELETE FROM meta.sources WHERE source_id = ? AND file_name NOT IN ({kept})", [source_id])
    return gone
