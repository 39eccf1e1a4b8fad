"""The working warehouse: raw inputs, the staging DuckDB database that assets share, and the published file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from observatory import checksums
from observatory.buildlock import (
    WORK_FOLDER,
    BuildLock,
    BuildRunning,
    Holder,
    held_here,
    process_identity,
)
from observatory.config import (
    STAGING_FILE_NAME,
    checked_population_source,
    default_population_source,
    default_raw_dir,
    default_warehouse_dir,
    duckdb_config,
)
from observatory.errors import environment_problem
from pipelines import recovery

# What DuckDB says when a database file is damaged (a disk that lost writes, a file cut short by a copy); a
# conflicting lock or a full disk is not damage and is reported as it is.
_DAMAGED = ("not a valid DuckDB database file", "Could not read enough bytes", "Corrupt database file",
            "Serialization Error", "Failure while replaying WAL", "INTERNAL Error")


CACHE_FOLDER = "cache"


class Warehouse(dg.ConfigurableResource):
    """Where the observatory reads raw files and builds its databases.

    Assets and checks share ``<warehouse>/staging.duckdb``. A run takes the warehouse's build lock
    (``observatory/buildlock.py``) the first time it opens that database or its working folder, and keeps it until
    it ends, so two runs never interleave their writes, whoever launched them (the UI, the daemon, ``observatory
    build``); a run that finds the lock taken waits up to ``lock_wait_seconds``, then fails with one line naming the
    run that holds it. Readers use only ``observatory.duckdb``, which is swapped in atomically.
    """

    raw_dir: str
    warehouse_dir: str
    # Which population feeds the denominators: "eurostat" (both countries) or "national" (INSEE + Statbel).
    population_source: str = "eurostat"
    # How long a run waits for another build of the same warehouse to end: runs from the UI and the daemon wait
    # (the nightly should not fail because an analyst's build is running). `observatory build` takes the lock
    # itself before its run starts (refusing at once unless given --wait), and its run uses that lock.
    lock_wait_seconds: int = 3 * 3600

    _lock: BuildLock | None = PrivateAttr(default=None)
    _context: dg.InitResourceContext | None = PrivateAttr(default=None)
    _owns_lock: bool = PrivateAttr(default=False)
    _previous_checksums: Path | None = PrivateAttr(default=None)
    # The run's one connection to the working database (see connect).
    _database: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    @property
    def population_setting(self) -> str:
        return checked_population_source(self.population_source, "population_source")

    @property
    def raw_path(self) -> Path:
        return Path(self.raw_dir)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse_dir)

    # ------------------------------------------------------------ the run's lifetime

    @property
    def cache_path(self) -> Path:
        """What builds keep for the next one: the raw files' checksums, the CSVs extracted from the ZIPs. Deleting it
        is always safe (the next build hashes and extracts again)."""
        return self.warehouse_path / CACHE_FOLDER

    @property
    def extraction_cache(self) -> Path:
        """Where the registries' ZIP members are extracted once per version of the ZIP (:mod:`observatory.zipcache`);
        taking it holds the build lock, as the working database does."""
        self._hold_lock()
        return self.cache_path / "extracted"

    def remembered_checksums(self):
        """Within the block, each raw file is hashed once per version of it, across builds
        (:mod:`observatory.checksums`), in this warehouse's cache."""
        return checksums.remembered_in(self.cache_path / checksums.CACHE_FILE_NAME)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """At the start of a run: say which process executes it, fail the runs whose process died, and remember the
        raw files' checksums in this warehouse's cache until the run ends."""
        self._context = context
        self._previous_checksums = checksums.use_cache(self.cache_path / checksums.CACHE_FILE_NAME)
        run = context.run
        if run is not None and context.instance:
            context.instance.add_run_tags(run.run_id, {recovery.PROCESS_TAG: process_identity()})
            for line in recovery.fail_dead_runs(context.instance, exclude=run.run_id):
                context.log.warning(line)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        checksums.use_cache(self._previous_checksums)
        self._close_database(context.log)
        if self._lock is not None:
            shutil.rmtree(self._run_work_path(), ignore_errors=True)
            if self._owns_lock:
                self._lock.release()

    def _run_id(self) -> str | None:
        run = self._context.run if self._context is not None else None
        return run.run_id if run is not None else None

    def _hold_lock(self) -> None:
        """Take the build lock on first use in a run (a no-op outside a run, e.g. a library call in a notebook)."""
        run_id = self._run_id()
        if run_id is None or self._lock is not None:
            return
        if held_here(self.warehouse_path) is not None:  # `observatory build` took it for this run
            self._lock = held_here(self.warehouse_path)
            self._owns_lock = False
            return
        context = self._context
        launched_by = context.run.tags.get("observatory/trigger") or context.run.job_name
        lock = BuildLock(self.warehouse_path)

        def tell(holder: Holder | None) -> None:
            context.log.warning(f"waiting up to {self.lock_wait_seconds} s for the build that holds "
                                f"{self.warehouse_path}: {holder.describe() if holder else 'unknown'}")

        try:
            with _machine_failures_named(lock.path):
                dead = lock.acquire(run_id, launched_by, wait_seconds=self.lock_wait_seconds, on_wait=tell)
        except BuildRunning as exc:
            raise dg.Failure(description=str(exc), allow_retries=False,
                             metadata={"holder": exc.holder.describe() if exc.holder else "unknown"}) from None
        self._lock = lock
        self._owns_lock = True
        for line in recovery.after_taking_lock(context.instance, self.warehouse_path, dead):
            context.log.warning(line)

    # ------------------------------------------------------------ what assets use

    def _run_work_path(self) -> Path:
        return self.warehouse_path / WORK_FOLDER / (self._run_id() or "no-run")

    @property
    def work_path(self) -> Path:
        """This run's own folder for extracted files, removed when the run ends."""
        self._hold_lock()
        path = self._run_work_path()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The working database, for one step. A failure the machine caused (disk full, read-only or unwritable
        folder) becomes one line naming it and the path, whatever the step was doing.

        Within a run the database is opened once, at the first step that needs it, and each step gets a connection
        of its own to it (its temporary tables and session settings its own) until the run ends: opening the file
        again for each of about 70 steps, and checkpointing it as each closed, took 6-7 s of a national build and
        3 s of the sample's (issue 14). DuckDB's global settings (``disabled_optimizers``) belong to the database:
        a step that changes one puts it back (``sirene._units_as_build_side``). Outside a run (a library call, a
        test) it is opened and closed each time."""
        self._hold_lock()
        staging = self.warehouse_path / STAGING_FILE_NAME
        with _machine_failures_named(staging):
            self.warehouse_path.mkdir(parents=True, exist_ok=True)
            con = self._open_staging(staging) if self._run_id() is None else self._run_connection(staging)
            # DuckDB draws a progress bar on standard output for a query over two seconds: at national scale it wrote
            # over the build's own lines and into the steps' logs. It is a setting of the connection, not the database.
            con.execute("SET enable_progress_bar = false")
            try:
                yield con
            finally:
                con.close()

    def _run_connection(self, staging: Path) -> duckdb.DuckDBPyConnection:
        """A new connection to the run's database, opened now if it is not yet. A database that a step's failure
        left unusable (DuckDB invalidates it after a fatal error, such as a write that failed) is closed and
        opened again, so that the steps that do not depend on the failed one still run, as they did when each
        step opened the file."""
        if self._database is not None:
            con = None
            try:
                con = self._database.cursor()
                con.execute("SELECT 1").fetchone()
                return con
            except duckdb.Error as exc:
                if con is not None:
                    with suppress(duckdb.Error):
                        con.close()
                log = self._context.log if self._context is not None else None
                if log is not None:
                    log.warning(f"the working database is opened again: an earlier failure left it unusable "
                                f"({str(exc).splitlines()[0]})")
                self._close_database(log)
        self._database = self._open_staging(staging)
        return self._database.cursor()

    def _close_database(self, log: dg.DagsterLogManager | None) -> None:
        """Close the run's database, which checkpoints it. A failure here loses nothing (DuckDB replays its
        write-ahead log at the next open) and is logged, naming the cause, not raised."""
        database, self._database = self._database, None
        if database is None:
            return
        try:
            database.close()
        except duckdb.Error as exc:
            if log is not None:
                log.warning(f"closing the working database {self.warehouse_path / STAGING_FILE_NAME}: "
                            f"{str(exc).splitlines()[0]}; its log is replayed at the next open")

    def _open_staging(self, path: Path) -> duckdb.DuckDBPyConnection:
        """The working database; a damaged one (a crash at the wrong moment, a bad disk) is moved aside and the
        run starts from an empty one: everything in it is rebuilt from the raw files."""
        config = duckdb_config(path.with_name(f"{path.name}.tmp"))
        try:
            con = duckdb.connect(str(path), config=config)
            con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
            return con
        except duckdb.Error as exc:
            if not any(sign in str(exc) for sign in _DAMAGED):
                raise
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            aside = path.with_name(f"{path.name}.damaged-{stamp}")
            path.rename(aside)
            wal = Path(f"{path}.wal")
            if wal.exists():
                wal.rename(Path(f"{aside}.wal"))
            message = (f"the working database {path} was damaged ({str(exc).splitlines()[0]}); moved to {aside.name}, "
                       "starting from an empty one: build every asset (observatory build) to fill it again")
            if self._context is not None:
                self._context.log.warning(message)
            return duckdb.connect(str(path), config=config)


@contextmanager
def _machine_failures_named(path: Path) -> Iterator[None]:
    """Turn a disk-full / read-only / permission error raised inside into a Failure whose description is its one
    line (``path`` when the error names none); any other error passes unchanged."""
    try:
        yield
    except (OSError, duckdb.Error) as exc:
        problem = environment_problem(exc, path)
        if problem is None:
            raise
        raise dg.Failure(description=problem.line(), allow_retries=False, metadata={
            "cause": problem.kind, "path": problem.path or str(path), "detail": problem.detail}) from exc


def default_warehouse() -> Warehouse:
    """Paths from OBSERVATORY_RAW_DIR / OBSERVATORY_WAREHOUSE_DIR, else the project's data folders; the population
    source from OBSERVATORY_POPULATION_SOURCE, else eurostat."""
    return Warehouse(raw_dir=str(default_raw_dir()), warehouse_dir=str(default_warehouse_dir()),
                     population_source=default_population_source())
