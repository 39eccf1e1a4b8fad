"""Atomic publication of ``<warehouse>/observatory.duckdb``.

The new database is written under a temporary name in the same folder, closed (so no WAL is left), flushed to
disk, then renamed over the published file with ``os.replace`` — atomic on POSIX. A reader that holds the old file
open keeps reading the old inode; a reader that opens after the rename sees the new file whole; a run that fails
or is killed before the rename leaves the previous file untouched (its temporary file is removed on the next run).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from observatory import __version__, schema
from observatory.config import PROJECT_ROOT, PUBLISHED_FILE_NAME
from observatory.duck import table_exists

TEMP_PREFIX = ".observatory-building-"
# The published file is written in the storage format of DuckDB 1.0, which every DuckDB since reads: DuckDB 2 would
# otherwise write its own (storage version 69), which the DuckDB 1.x of a researcher's R, CLI or notebook cannot open.
PUBLISHED_STORAGE_VERSION = "v1.0.0"
SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA: built from the embedded synthetic sample, in the producers' real formats. "
    "These figures are NOT real statistics and must not be quoted."
)
# meta.release.disclosure_audit when the attacker (the suppression_audit check, observatory.disclosure) has not
# recorded a verdict for the cells being published: `observatory export` refuses such a release.
AUDIT_NOT_RUN = "not run: the suppression audit (asset check suppression_audit) did not run on these cells"
REAL_NOTICE = ("Built from the producers' files listed in meta.sources. Cells obey primary and secondary disclosure "
               "control (v1; meta.release.disclosure_audit).")


def code_version() -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return f"{__version__}+{commit}"


def publish(
    con: duckdb.DuckDBPyConnection, warehouse_dir: Path, *, run_id: str | None = None,
    missing_context: Sequence[str] = (), fail_before_swap: bool = False,
) -> dict:
    """Copy the published tables from the working database into a new file and swap it in atomically.

    ``missing_context``: the optional context files the build went without (``observatory.context``), recorded in
    ``meta.release``. ``fail_before_swap`` exists for the tests that prove a failed run leaves the old file in place.
    """
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    for stale in warehouse_dir.glob(f"{TEMP_PREFIX}*"):
        stale.unlink(missing_ok=True)
    target = warehouse_dir / PUBLISHED_FILE_NAME
    temp = warehouse_dir / f"{TEMP_PREFIX}{uuid.uuid4().hex}.duckdb"
    _write_release(con, run_id, missing_context)
    try:
        con.execute(f"ATTACH '{temp.as_posix()}' AS pub (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')")
        try:
            for table in schema.PUBLISHED_TABLES:
                schema_name = table.name.split(".")[0]
                con.execute(f"CREATE SCHEMA IF NOT EXISTS pub.{schema_name}")
                con.execute(table.ddl("pub"))
                columns = ", ".join(c.name for c in table.columns)
                con.execute(f"INSERT INTO pub.{table.name} SELECT {columns} FROM {table.name} "
                            f"ORDER BY {schema.publication_order(table)}")
                for statement in schema.comment_statements(table, "pub"):
                    con.execute(statement)
            rows = {t.name: con.execute(f"SELECT count(*) FROM pub.{t.name}").fetchone()[0]
                    for t in schema.PUBLISHED_TABLES}
            con.execute("CHECKPOINT pub")
        finally:
            con.execute("DETACH pub")
        fsync(temp)
        if fail_before_swap:
            raise RuntimeError("failure requested before the swap")
        os.replace(temp, target)
        fsync(warehouse_dir)
    finally:
        temp.unlink(missing_ok=True)
        Path(f"{temp}.wal").unlink(missing_ok=True)
    return {"path": str(target), "size_bytes": target.stat().st_size, "rows": rows}


def fsync(path: Path) -> None:
    """Flush a file or folder to disk (a rename is durable once its folder is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _audit_verdict(con: duckdb.DuckDBPyConnection) -> str:
    """The attacker's verdict on the cells being published, as the suppression_audit check recorded it."""
    if table_exists(con, "work.disclosure_audit"):
        found = con.execute("SELECT verdict FROM work.disclosure_audit").fetchone()
        if found:
            return found[0]
    return AUDIT_NOT_RUN


def _write_release(con: duckdb.DuckDBPyConnection, run_id: str | None, missing_context: Sequence[str]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(schema.RELEASE.ddl())
    synthetic = bool(con.execute("SELECT coalesce(bool_or(synthetic), false) FROM meta.sources").fetchone()[0])
    years = con.execute("SELECT string_agg(DISTINCT year::VARCHAR, ',' ORDER BY year::VARCHAR) FROM mart.jobs").fetchone()[0]
    sources = con.execute(
        "SELECT string_agg(source_id || ':' || coalesce(nullif(vintage, '') || '/', '') || file_name || '@' || "
        "left(sha256, 12), '; ' ORDER BY source_id, file_name) "
        "FROM meta.sources"
    ).fetchone()[0]
    con.execute(
        "INSERT INTO meta.release VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [datetime.now(UTC), code_version(), run_id, synthetic, SYNTHETIC_NOTICE if synthetic else REAL_NOTICE,
         years or "", sources or "", "; ".join(missing_context), _audit_verdict(con)],
    )
