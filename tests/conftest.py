"""Shared fixtures."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from observatory import cases, harmonise, mart, population, provenance, rejects

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"
# Harmonised rows as the tests write them, by name: the tables may gain columns (coop_type), left NULL here.
JOBS_INSERT = ("INSERT INTO harmonised.jobs (year, country, geo, family, excluded, common, national, nace_a10, sex, "
               "age_band, jobs, fte, fte_rows, rows) VALUES ")
UNITS_INSERT = ("INSERT INTO harmonised.units (year, country, geo, family, excluded, common, national, nace_a10, "
                "units, max_unit_jobs) VALUES ")


def type_cooperatives(con: duckdb.DuckDBPyConnection, coop_type: str = "COOP_OTHER") -> None:
    """Give the hand-written COOP rows of harmonised.jobs and harmonised.units the type the classification would
    (every cooperative has one: the mapping checks see to it)."""
    for table in ("harmonised.jobs", "harmonised.units"):
        con.execute(f"UPDATE {table} SET coop_type = ? WHERE family = 'COOP' AND coop_type IS NULL", [coop_type])


def build_small_staging(con: duckdb.DuckDBPyConnection, jobs: int = 20) -> None:
    """A working database with every published table, from a few harmonised rows (no raw files needed)."""
    con.execute(harmonise.DDL)
    con.execute(harmonise.ESTABLISHMENTS_DDL)
    con.execute(provenance.META_SOURCES_DDL)
    rejects.ensure_tables(con)
    con.execute(JOBS_INSERT + "(2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 'F', "
                "'Y25-34', ?, NULL, 0, 1)", [jobs])
    con.execute(UNITS_INSERT + "(2023, 'FR', 'FRE11', 'ASSOC', false, true, true, 'O-Q', 4, 6)")
    con.execute("INSERT INTO harmonised.establishments VALUES (2024, DATE '2024-12-31', 'FR', 'FRE11', 'ASSOC', false, "
                "'O-Q', 7, 3, NULL)")
    con.execute("INSERT INTO meta.sources VALUES ('fr_flores', 'flores_postes_2023.csv', 'ab', 1, 1, '2023', now(), "
                "'INSEE', 'u', 'l', true, 'synthetic test', '/x', '', '')")
    con.execute(population.DDL)
    mart.build_population(con)
    mart.build_jobs(con)
    mart.build_establishments(con)
    mart.build_demography(con)  # empty: no legal units staged
    mart.build_dimensions(con)
    mart.build_lfs_employment(con)
    mart.build_cross_border(con)
    cases.build(con, [], Path(), Path())  # no case: an empty mart.cases


@pytest.fixture
def small_staging() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    build_small_staging(con)
    yield con
    con.close()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive of ``members`` (name -> bytes), built in memory for a test server to serve."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def spoil_flores(raw: Path) -> None:
    """Make line 5 of the 2023 FLORES jobs file carry a negative POSTES: a delivery that must stop the run."""
    jobs = raw / "fr" / "flores" / "flores_postes_2023.csv"
    lines = jobs.read_text(encoding="utf-8-sig").splitlines()
    fields = lines[4].split(";")
    fields[6] = "-3"  # POSTES
    lines[4] = ";".join(fields)
    jobs.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- the embedded sample, built once per session

SHARED_BUILD_THREADS = 4  # test_reproducible compares the shared build with one of its own on a single thread


def build_sample(warehouse: Path, threads: int | None = None):
    """Materialise the whole graph (every asset and check, every year, Eurostat population) on the embedded sample
    into ``warehouse``, with DuckDB limited to ``threads`` threads in every step (None: DuckDB's default)."""
    import dagster as dg

    from pipelines.assets import ALL_ASSETS
    from pipelines.checks import ALL_CHECKS
    from pipelines.definitions import all_years_tags
    from pipelines.resources import Warehouse

    connect = Warehouse.connect

    @contextmanager
    def with_threads(self: Warehouse, *args, **kwargs) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self, *args, **kwargs) as con:
            con.execute(f"SET threads = {threads}")
            yield con

    with pytest.MonkeyPatch.context() as patch:
        if threads is not None:
            patch.setattr(Warehouse, "connect", with_threads)
        instance = dg.DagsterInstance.ephemeral()
        return dg.materialize(
            [*ALL_ASSETS, *ALL_CHECKS],
            resources={"warehouse": Warehouse(raw_dir=str(SAMPLE), warehouse_dir=str(warehouse),
                                              population_source="eurostat")},
            instance=instance, tags=all_years_tags(instance, SAMPLE),
            raise_on_error=False,
        )


@dataclass(frozen=True)
class SampleBuild:
    """The embedded sample built into ``warehouse`` (observatory.duckdb, staging.duckdb, ...) on ``threads`` threads."""

    warehouse: Path
    threads: int


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Iterator[SampleBuild]:
    """The sample built once for the session, for the tests whose subject is what the build of the sample publishes.
    A test whose subject is how a build is launched (test_faults, test_launchers, test_automation; what `observatory
    build` prints in test_cli), or a build of other inputs or settings (an edited raw folder in test_plausibility
    and test_pipeline, the national population), builds on its own.

    Read only: open its databases with ``read_only=True`` or copy a file out; a test that writes into a warehouse
    takes ``sample_build_copy``. The files are checksummed after the build and again at the end of the session, so a
    test that writes into the shared build is an error rather than a silent change to the others' input."""
    warehouse = tmp_path_factory.mktemp("sample_build")
    result = build_sample(warehouse, SHARED_BUILD_THREADS)
    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []
    before = _checksums(warehouse)
    yield SampleBuild(warehouse, SHARED_BUILD_THREADS)
    assert _checksums(warehouse) == before, "a test wrote into the shared sample build: give it sample_build_copy"


@pytest.fixture
def sample_build_copy(sample_build, tmp_path) -> Path:
    """A fresh copy of the shared sample build's warehouse folder, for a test that writes into it."""
    return shutil.copytree(sample_build.warehouse, tmp_path / "built")


def partial_files(folder: Path) -> list[Path]:
    """Files a failed extraction left half-written: the ZIP members the loaders keep (observatory.zipcache) are
    complete or absent, never partial."""
    return [p for p in folder.rglob("*") if p.is_file() and p.name.endswith(".part")]


def rewrite_csv(source: Path, target: Path, key: str, changes: dict[str, dict[str, str]]) -> None:
    """``source`` (a comma CSV with a header) written to ``target`` with fields of some rows changed: ``changes``
    maps a value of column ``key`` to the new values of that row."""
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(changes.get(row[key], {}))
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    target.write_text(out.getvalue(), encoding="utf-8")
