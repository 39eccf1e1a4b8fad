"""Open the newest published ``observatory.duckdb``, also from a long-running notebook.

Each build writes a new file and renames it over the old one (:mod:`observatory.publication`). A plain
``duckdb.connect(path)`` does not always see the new file: DuckDB keeps, per process, one database instance per
path while any connection to it is open (its instance cache), and a new ``connect`` to the same path reuses that
instance — the old file, whose inode the instance still holds — however long ago the rename happened. Another
spelling of the path does not help (DuckDB normalises ``a//b``, ``a/./b`` and ``/proc/self/fd/N`` to the same key),
and a different ``config`` is refused ("Can't open a connection to same database file with a different
configuration"). So :func:`connect` opens a private in-memory instance, which is never cached or shared, and
ATTACHes the published file to it: the ATTACH opens whatever file the path names at that moment. Connections
opened earlier keep reading the version they opened, whole, until they are closed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from observatory.config import PUBLISHED_FILE_NAME, default_warehouse_dir


def published_path(path: str | Path | None = None) -> Path:
    """The published file: ``path`` (a file, or a warehouse folder holding ``observatory.duckdb``), else
    ``observatory.duckdb`` in ``$OBSERVATORY_WAREHOUSE_DIR`` (default ``data/warehouse`` of the project)."""
    if path is None:
        return default_warehouse_dir() / PUBLISHED_FILE_NAME
    path = Path(path).expanduser()
    return path / PUBLISHED_FILE_NAME if path.is_dir() else path


def connect(path: str | Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to the newest published database, even while older connections to it are open in the process.

    The database is attached under the name of the file (``observatory``) and made the default, so queries read
    as with ``duckdb.connect(path)``: ``SELECT * FROM mart.indicators`` or ``observatory.mart.indicators``.
    ``read_only=False`` writes to the published file itself, bypassing the atomic publication: for maintenance
    only. Call again (or re-run the notebook cell) to pick up a newer build; close the old connection when done.
    """
    target = published_path(path)
    if not target.is_file():
        raise FileNotFoundError(f"no published database at {target}: build it first (observatory build) or pass "
                                "its path")
    con = duckdb.connect()  # in memory: a new instance every time, never taken from DuckDB's instance cache
    try:
        alias = '"' + target.stem.replace('"', '""') + '"'
        location = "'" + str(target.resolve()).replace("'", "''") + "'"
        con.execute(f"ATTACH {location} AS {alias}" + (" (READ_ONLY)" if read_only else ""))
        con.execute(f"USE {alias}")
    except BaseException:
        con.close()
        raise
    return con
