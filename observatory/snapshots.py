"""Registry snapshots as a time series: every vintage of SIRENE or the KBO kept in ``<raw>`` is a year (issue 15).

A SIRENE stock or a KBO Full describes its registry on one day. The loader stages the vintage it reads now (the
newest, or the one pinned) as before; :func:`history` then gives it the older vintages, **one per calendar month**
(the latest retrieved in that month; a month's other vintages add nothing a month's snapshot lacks and would cost a
national staging each). Each is staged once, by the same loader, in a scratch database attached to the build's
connection (so within the build's memory limit), and the tables the loader names are kept as Parquet in
``<cache>/snapshots/<source_id>/<vintage>/`` with ``snapshot.json``: the key (the vintage's files, the loader's code
version) and what the loader returned. Later builds read them back; a changed key (a corrected loader, an edited
vintage) stages the vintage again; the kept folders of vintages no longer in ``<raw>`` are removed. The current
vintage is kept the same way after its own staging, so that when the next one arrives only that one is staged.

Deleting ``<cache>/snapshots`` is always safe: it costs one staging per vintage (35 s for a national SIRENE stock).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from observatory import codeversion, vintages
from observatory.duck import table_exists, transaction
from observatory.schema import REJECTS

SNAPSHOTS_DIR = "snapshots"
# What a loader records of a vintage besides its tables: its files and its rejects.
RECORDS = ("meta.sources", "meta.rejects")
RECORD_FILE = "snapshot.json"
_SCRATCH = "_snapshot_scratch"
SCRATCH_PREFIX = ".staging."

# Stage one vintage folder into the connection's default catalog: ``stage(con, folder, cache_dir) -> summary``.
Stage = Callable[[duckdb.DuckDBPyConnection, Path, Path], dict]


@dataclass(frozen=True)
class Kept:
    """A vintage's tables kept as Parquet, and what its loader said of it."""

    vintage: str
    folder: Path
    summary: dict

    def table(self, name: str) -> str:
        """SQL reading the kept table ``name`` (``src.fr_sirene_establishments``)."""
        return "read_parquet('" + str(self.folder / f"{name}.parquet").replace("'", "''") + "')"

    @property
    def snapshot_date(self) -> str | None:
        return self.summary.get("snapshot_date")


def monthly(found: Sequence[Path], current: Path) -> list[Path]:
    """Of the vintages ``found`` (oldest first), the latest of each calendar month, leaving out the month of
    ``current`` (which stands for it)."""
    latest: dict[str, Path] = {}
    for vintage in found:
        latest[vintage.name[:7]] = vintage
    return [v for month, v in sorted(latest.items()) if month != current.name[:7]]


def cache_key(vintage: Path, loader_module: str) -> str:
    """The vintage's data version and the loader's code version: a kept vintage is reused while both are equal."""
    return f"{vintages.folder_version(vintage)} code:{codeversion.Code(modules=(loader_module,)).version()}"


def _folder(cache_dir: Path, source_id: str, vintage: Path) -> Path:
    return Path(cache_dir) / SNAPSHOTS_DIR / source_id / vintage.name


def kept(cache_dir: Path, source_id: str, vintage: Path, key: str) -> Kept | None:
    """The vintage as kept under ``key``; None when it was not kept, or under another key."""
    folder = _folder(cache_dir, source_id, vintage)
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Kept(vintage.name, folder, record.get("summary", {})) if record.get("key") == key else None


def keep(con: duckdb.DuckDBPyConnection, cache_dir: Path, source_id: str, vintage: Path, key: str,
         tables: Sequence[str], summary: dict) -> Kept:
    """Write ``tables`` and the ``meta.sources`` rows of ``source_id`` (of the connection's default catalog) as the
    kept copy of ``vintage``; replaces an older copy in one rename, so a build killed meanwhile leaves either."""
    folder = _folder(cache_dir, source_id, vintage)
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{vintage.name}.", dir=folder.parent))
    try:
        # This vintage's records only: the build's connection also holds those the older vintages added.
        records = {"meta.sources": f" WHERE source_id = '{source_id}' AND vintage = '{vintage.name}'",
                   "meta.rejects": f" WHERE source_id = '{source_id}' AND year IS NULL"}
        if not table_exists(con, "meta.rejects"):
            con.execute(REJECTS.ensure_ddl())  # a loader that rejected nothing may not have created it
        for table in (*tables, *RECORDS):
            where = records.get(table, "")
            target = str(partial / f"{table}.parquet").replace("'", "''")
            con.execute(f"COPY (SELECT * FROM {table}{where}) TO '{target}' (FORMAT parquet)")
        (partial / RECORD_FILE).write_text(json.dumps({"key": key, "summary": summary}, default=str, indent=1),
                                           encoding="utf-8")
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.rename(folder, old)
        os.rename(partial, folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Kept(vintage.name, folder, summary)


def add_history(con: duckdb.DuckDBPyConnection, raw_dir: Path, folder: Path, cache_dir: Path, source_id: str,
                loader_module: str, tables: Sequence[str], stage: Stage, summary: dict,
                combine: Callable[[duckdb.DuckDBPyConnection, list[Kept]], None] | None = None) -> list[Kept]:
    """What a registry loader does after staging its current vintage, when ``raw_dir`` holds vintages of
    ``folder``: keep the current vintage, get the older ones (:func:`history`), add each one's rows of the snapshot
    table ``tables[0]`` and keep the latest snapshot of each year, let ``combine(con, earlier)`` build the other
    tables over every vintage (the KBO's enterprises), and record the files and rejects of the vintages used
    (:func:`add_records`: with ``combine``, every vintage is). One transaction; ``summary["snapshots"]`` says which
    vintage gave which year. Returns the older vintages; none, and nothing done, when the folder has no vintages
    (the embedded sample: its files lie in the source folder)."""
    if not vintages.list_vintages(raw_dir, *Path(folder).parts):
        return []
    current = vintages.current(raw_dir, folder)
    keep_current(con, cache_dir, source_id, current, loader_module, tables, summary)
    earlier = history(con, raw_dir, folder, cache_dir, source_id, loader_module, tables, stage)
    snapshot_table = tables[0]
    with transaction(con):
        for older in earlier:
            con.execute(f"INSERT INTO {snapshot_table} BY NAME SELECT * FROM {older.table(snapshot_table)}")
        one_per_year(con, snapshot_table)
        if combine is not None and earlier:
            combine(con, earlier)
        summary["snapshots"] = add_records(con, source_id, current, earlier, snapshot_table,
                                           every_vintage_used=combine is not None)
    return earlier


def keep_current(con: duckdb.DuckDBPyConnection, cache_dir: Path, source_id: str, vintage: Path,
                 loader_module: str, tables: Sequence[str], summary: dict) -> None:
    """Keep the vintage just staged (unless kept under the same key), for the builds after the next vintage."""
    key = cache_key(vintage, loader_module)
    if kept(cache_dir, source_id, vintage, key) is None:
        keep(con, cache_dir, source_id, vintage, key, tables, summary)


def history(con: duckdb.DuckDBPyConnection, raw_dir: Path, folder: Path, cache_dir: Path, source_id: str,
            loader_module: str, tables: Sequence[str], stage: Stage) -> list[Kept]:
    """The older vintages of source ``folder`` (``fr/sirene``), one per month before the current one's, oldest
    first: read back from the cache, or staged now by ``stage`` and kept. Kept copies of vintages no longer in
    ``raw_dir`` are removed."""
    current = vintages.current(raw_dir, folder)
    chosen = monthly(vintages.earlier_vintages(raw_dir, folder), current)
    # A scratch database left by a build killed while staging (one build at a time holds a warehouse's cache).
    for leftover in Path(cache_dir).glob(f"{SCRATCH_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    out = []
    for vintage in chosen:
        key = cache_key(vintage, loader_module)
        out.append(kept(cache_dir, source_id, vintage, key) or _stage_and_keep(
            con, vintage, cache_dir, source_id, key, tables, stage))
    # Kept: the vintages read, and those newer than a pinned one (read again once it is unpinned). The others (a
    # month's earlier days, each kept while it was the newest; vintages removed from raw) go.
    newer = [v for v in vintages.list_vintages(raw_dir, *Path(folder).parts) if v.name > current.name]
    _remove_others(cache_dir, source_id, {v.name for v in (*chosen, current, *newer)})
    return out


def _stage_and_keep(con: duckdb.DuckDBPyConnection, vintage: Path, cache_dir: Path, source_id: str, key: str,
                    tables: Sequence[str], stage: Stage) -> Kept:
    """Stage ``vintage`` into a scratch database attached to ``con`` and made its default catalog (the loader's
    ``src.`` and ``meta.`` tables go there, its temporary tables are dropped by the loader), then keep its tables."""
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=cache_dir))
    main = con.execute("SELECT current_database()").fetchone()[0]
    database = str(scratch / "scratch.duckdb").replace("'", "''")
    con.execute(f"ATTACH '{database}' AS {_SCRATCH}")
    try:
        con.execute(f"USE {_SCRATCH}")
        summary = stage(con, vintage, scratch / "extracted")
        return keep(con, cache_dir, source_id, vintage, key, tables, summary)
    finally:
        con.execute(f'USE "{main}"')
        con.execute(f"DETACH {_SCRATCH}")
        shutil.rmtree(scratch, ignore_errors=True)


def _remove_others(cache_dir: Path, source_id: str, names: set[str]) -> None:
    """Remove the kept copies of vintages not in ``names``, and the partial copies of a killed build."""
    folder = Path(cache_dir) / SNAPSHOTS_DIR / source_id
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_dir() and path.name not in names:
                shutil.rmtree(path, ignore_errors=True)


def one_per_year(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Keep in ``table`` (with a ``snapshot_date``) the latest snapshot of each year only: a year is one snapshot."""
    con.execute(f"""DELETE FROM {table} WHERE snapshot_date NOT IN
                    (SELECT max(snapshot_date) FROM {table} GROUP BY year(snapshot_date))""")


def add_records(con: duckdb.DuckDBPyConnection, source_id: str, current: Path, snapshots: Sequence[Kept],
                table: str, every_vintage_used: bool = False) -> list[dict]:
    """Make ``meta.sources`` of ``source_id`` the files of the ``current`` vintage (recorded by its loader) and of
    each kept vintage whose snapshot ``table`` still holds, or of every kept vintage when ``every_vintage_used``
    (``vintage`` names which); add to ``meta.rejects`` what the loader rejected in the vintages whose snapshot
    ``table`` holds, with the snapshot's year (the current one's have none). Returns, for Dagster metadata, each kept
    vintage and whether ``table`` holds its snapshot."""
    con.execute("DELETE FROM meta.sources WHERE source_id = ? AND vintage IS DISTINCT FROM ?",
                [source_id, current.name])
    con.execute("DELETE FROM meta.rejects WHERE source_id = ? AND year IS NOT NULL", [source_id])
    held = {d.isoformat() for (d,) in con.execute(f"SELECT DISTINCT snapshot_date FROM {table}").fetchall()}
    out = []
    for snapshot in snapshots:
        if every_vintage_used or snapshot.snapshot_date in held:
            con.execute(f"INSERT INTO meta.sources BY NAME SELECT * FROM {snapshot.table('meta.sources')}")
        if snapshot.snapshot_date in held:
            con.execute(f"INSERT INTO meta.rejects BY NAME SELECT * REPLACE (year(CAST(? AS DATE)) AS year) "
                        f"FROM {snapshot.table('meta.rejects')}", [snapshot.snapshot_date])
        out.append({"vintage": snapshot.vintage, "snapshot_date": snapshot.snapshot_date,
                    "a_year_of": table if snapshot.snapshot_date in held else None})
    return out
