"""Rows kept out of the tables, each with a reason: ``meta.rejects``; and the count of every row, ``meta.row_accounting``.

Nothing is dropped silently. A row is either used, outside the cooperation area (counted, not an error), or
rejected with a reason (an unknown code, a code that cannot be converted). Asset checks read these tables.
"""

from __future__ import annotations

import duckdb

from observatory.schema import REJECTS, ROW_ACCOUNTING

DDL = REJECTS.ensure_ddl() + ROW_ACCOUNTING.ensure_ddl()
# "Of which" counts of the rows of an outcome whose activity was read from a NACE Rev. 2.1 code (NACE-BEL 2025,
# NAF 2025), and of those the ambiguous ones; NULL for sources without activity codes.
NACE2025_COLUMNS = tuple(c.name for c in ROW_ACCOUNTING.columns if c.name.startswith("nace2025_"))


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def replace_rejects(con: duckdb.DuckDBPyConnection, source_id: str, year: int | None, select_sql: str,
                    params: list | None = None) -> int:
    """Replace the rejects of (source, year) by the rows of ``select_sql``.

    ``select_sql`` returns columns file_name, line, reason, raw_text, jobs (jobs NULL for registry rows).
    """
    ensure_tables(con)
    con.execute("DELETE FROM meta.rejects WHERE source_id = ? AND year IS NOT DISTINCT FROM ?", [source_id, year])
    con.execute(
        f"INSERT INTO meta.rejects SELECT ?, ?, file_name, line, reason, raw_text, jobs FROM ({select_sql})",
        [source_id, year, *(params or [])],
    )
    return con.execute(
        "SELECT count(*) FROM meta.rejects WHERE source_id = ? AND year IS NOT DISTINCT FROM ?", [source_id, year]
    ).fetchone()[0]


def replace_accounting(con: duckdb.DuckDBPyConnection, source_id: str, year: int | None, select_sql: str,
                       params: list | None = None) -> list[dict]:
    """Replace the accounting of (source, year) by ``select_sql`` (file_name, outcome, rows, jobs, and optionally
    the :data:`NACE2025_COLUMNS`, NULL when not given); return it."""
    ensure_tables(con)
    con.execute("DELETE FROM meta.row_accounting WHERE source_id = ? AND year IS NOT DISTINCT FROM ?",
                [source_id, year])
    con.execute(
        f"INSERT INTO meta.row_accounting BY NAME SELECT ? AS source_id, ? AS year, * FROM ({select_sql})",
        [source_id, year, *(params or [])],
    )
    columns = ["file_name", "outcome", "rows", "jobs", *NACE2025_COLUMNS]
    frame = con.execute(
        f"SELECT {', '.join(columns)} FROM meta.row_accounting "
        "WHERE source_id = ? AND year IS NOT DISTINCT FROM ? ORDER BY file_name, outcome",
        [source_id, year],
    ).fetchall()
    return [dict(zip(columns, r, strict=True)) for r in frame]
