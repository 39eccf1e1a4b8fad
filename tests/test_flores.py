"""FLORES delivery (contracts.md, France, layout v1): staged values, meta.sources, reloads.
What a delivery can get wrong is one table for both sources, in test_delivery_contract.py.

Fixtures (tests/fixtures/flores/README.md): a hand-written pair for 2023 in the exact contract layout (BOM, LF), and
the same data with columns in another order, an extra column each and CRLF line ends (``reordered/``). Edited copies are
made in tmp_path.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from observatory.errors import InputError
from observatory.sources import flores

FIXTURES = Path(__file__).parent / "fixtures" / "flores"
JOBS = "flores_postes_2023.csv"
UNITS = "flores_etablissements_2023.csv"
SEP = ";"

# Hand-computed from tests/fixtures/flores/flores_postes_2023.csv: (line, depcom, cj, apet, sexe, trage, jobs, fte).
EXPECTED_JOBS = [
    (2, "59350", "9220", "8810A", "1", "25", 4, Decimal("3.5")),
    (3, "59350", "9220", "8810A", "2", "25", 12, Decimal("10.5")),
    (4, "59350", "9220", "8810A", "2", "40", 7, None),
    (5, "2A004", "5458", "4321A", "1", "30", 5, Decimal("4.75")),
    (6, "2A004", "5458", "4321A", "1", "65", 1, Decimal("0.2")),
    (7, "62041", "5710", "6201Z", "1", "00", 0, Decimal("0.8")),
    (8, "62041", "5710", "6201Z", "2", "20", 3, Decimal("2.0")),
]
# (line, depcom, cj, apet, units, max_unit_jobs); the key totals are 23, 6 and 3 jobs.
EXPECTED_UNITS = [
    (2, "59350", "9220", "8810A", 3, 15),
    (3, "2A004", "5458", "4321A", 1, 6),
    (4, "62041", "5710", "6201Z", 2, 2),
]


# --- helpers -----------------------------------------------------------------------------------------------------


def make_raw(tmp_path: Path, source: Path = FIXTURES, year: int = 2023) -> Path:
    """A raw_dir holding a copy of the fixture pair (for ``year``, with ANNEE rewritten if it is not 2023)."""
    raw = tmp_path / "raw"
    folder = raw / flores.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name in (JOBS, UNITS):
        target = folder / name.replace("2023", str(year))
        shutil.copyfile(source / name, target)
        if year != 2023:
            edit(target, lambda lines: [lines[0]] + [re.sub(r"\b2023\b", str(year), line) for line in lines[1:]])
    return raw


def folder(raw: Path) -> Path:
    return raw / flores.FOLDER


def edit(path: Path, change: Callable[[list[str]], list[str]], *, final_newline: bool = True,
         encoding: str = "utf-8") -> None:
    """Rewrite ``path`` through ``change`` on its lines (``lines[0]`` is line 1, the header); keep a BOM if any."""
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    text = "\n".join(change(lines)) + ("\n" if final_newline else "")
    path.write_bytes((b"\xef\xbb\xbf" if bom and encoding == "utf-8" else b"") + text.encode(encoding))


def set_field(number: int, column: str, value: str) -> Callable[[list[str]], list[str]]:
    """A change that puts ``value`` in ``column`` on file line ``number``."""

    def change(lines: list[str]) -> list[str]:
        index = lines[0].split(SEP).index(column)
        cells = lines[number - 1].split(SEP)
        cells[index] = value
        lines[number - 1] = SEP.join(cells)
        return lines

    return change


def load(raw: Path, year: int = 2023, con: duckdb.DuckDBPyConnection | None = None) -> dict:
    return flores.load_year(con or duckdb.connect(), raw, year)


def staged_jobs(con: duckdb.DuckDBPyConnection, year: int = 2023) -> list[tuple]:
    return con.execute(
        "SELECT line, depcom, cj, apet, sexe, trage, jobs, fte FROM src.fr_flores_jobs WHERE year = ? ORDER BY line",
        [year],
    ).fetchall()


def staged_units(con: duckdb.DuckDBPyConnection, year: int = 2023) -> list[tuple]:
    return con.execute(
        "SELECT line, depcom, cj, apet, units, max_unit_jobs FROM src.fr_flores_units WHERE year = ? ORDER BY line",
        [year],
    ).fetchall()


# --- the good pair -----------------------------------------------------------------------------------------------


def test_fixture_is_in_the_contract_layout() -> None:
    jobs = (FIXTURES / JOBS).read_bytes()
    assert jobs.startswith(b"\xef\xbb\xbf")  # a BOM, which the contract allows
    assert jobs.decode("utf-8-sig").splitlines()[0] == "ANNEE;DEPCOM;CJ;APET;SEXE;TRAGE;POSTES;EQTP"
    assert (FIXTURES / UNITS).read_text(encoding="utf-8").splitlines()[0] == (
        "ANNEE;DEPCOM;CJ;APET;NBETAB;POSTES_MAX_ETAB"
    )


def test_staged_values_are_hand_computed(tmp_path: Path) -> None:
    con = duckdb.connect()
    result = load(make_raw(tmp_path), con=con)

    assert staged_jobs(con) == EXPECTED_JOBS  # 10,5 -> 10.5; empty EQTP -> NULL; lines = file lines
    assert staged_units(con) == EXPECTED_UNITS
    assert {k: result[k] for k in ("year", "jobs_rows", "units_rows", "jobs")} == {
        "year": 2023, "jobs_rows": 7, "units_rows": 3, "jobs": 32,
    }
    totals = con.execute(
        "SELECT depcom, sum(jobs), sum(fte), count(fte) FROM src.fr_flores_jobs GROUP BY depcom ORDER BY depcom"
    ).fetchall()
    assert totals == [("2A004", 6, Decimal("4.95"), 2), ("59350", 23, Decimal("14.0"), 2),
                      ("62041", 3, Decimal("2.8"), 2)]
    assert con.execute("SELECT DISTINCT year, file_name FROM src.fr_flores_jobs").fetchall() == [(2023, JOBS)]
    assert con.execute("SELECT DISTINCT year, file_name FROM src.fr_flores_units").fetchall() == [(2023, UNITS)]
    # Nothing of the working tables is left behind.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_flores%' ESCAPE '\\'"
                       ).fetchone()[0] == 0


def test_meta_sources_fingerprint_the_files(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    con = duckdb.connect()
    result = load(raw, con=con)
    rows = con.execute(
        "SELECT source_id, file_name, sha256, size_bytes, rows, reference_period, synthetic, path FROM meta.sources "
        "ORDER BY file_name"
    ).fetchall()
    expected = []
    for name, n in ((UNITS, 3), (JOBS, 7)):
        path = folder(raw) / name
        expected.append(("fr_flores", name, hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size, n,
                         "2023", False, str(path)))
    assert rows == sorted(expected, key=lambda r: r[1])
    assert [s["file_name"] for s in result["sources"]] == [JOBS, UNITS]
    assert result["sources"][0]["sha256"] == hashlib.sha256((FIXTURES / JOBS).read_bytes()).hexdigest()


def test_columns_in_another_order_with_an_extra_column_load_the_same(tmp_path: Path) -> None:
    # reordered/: no BOM, CRLF, columns shuffled, LIBCOM / TRANCHE added.
    con = duckdb.connect()
    load(make_raw(tmp_path, FIXTURES / "reordered"), con=con)
    assert staged_jobs(con) == EXPECTED_JOBS
    assert staged_units(con) == EXPECTED_UNITS


def test_without_bom_loads_the_same(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    path = folder(raw) / JOBS
    path.write_bytes(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    con = duckdb.connect()
    load(raw, con=con)
    assert staged_jobs(con) == EXPECTED_JOBS


def test_max_equal_to_the_key_total_is_allowed(tmp_path: Path) -> None:
    # 2A004 already has POSTES_MAX_ETAB = 6 = its total; 62041 raised to its total 3.
    raw = make_raw(tmp_path)
    edit(folder(raw) / UNITS, set_field(4, "POSTES_MAX_ETAB", "3"))
    con = duckdb.connect()
    load(raw, con=con)
    assert [r[5] for r in staged_units(con)] == [15, 6, 3]


def test_unknown_but_well_formed_codes_load(tmp_path: Path) -> None:
    # Commune 96001 (there is no département 96) and legal category 4444 do not exist: harmonisation rejects them
    # later with a reason; the delivery itself is well formed.
    raw = make_raw(tmp_path)
    for name in (JOBS, UNITS):
        edit(folder(raw) / name, lambda lines: [line.replace("62041;5710", "96001;4444") for line in lines])
    con = duckdb.connect()
    load(raw, con=con)
    assert con.execute("SELECT line, jobs FROM src.fr_flores_jobs WHERE depcom = '96001' AND cj = '4444' "
                       "ORDER BY line").fetchall() == [(7, 0), (8, 3)]
    assert con.execute("SELECT line, units FROM src.fr_flores_units WHERE depcom = '96001' AND cj = '4444'"
                       ).fetchall() == [(4, 2)]


def test_reloading_a_year_replaces_it_and_another_year_is_kept(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    make_raw(tmp_path, year=2022)
    con = duckdb.connect()
    load(raw, 2023, con)
    load(raw, 2023, con)
    assert staged_jobs(con) == EXPECTED_JOBS
    assert staged_units(con) == EXPECTED_UNITS
    assert con.execute("SELECT count(*) FROM meta.sources").fetchone()[0] == 2

    load(raw, 2022, con)
    counts = "SELECT year, count(*), sum(jobs) FROM src.fr_flores_jobs GROUP BY year ORDER BY year"
    assert con.execute(counts).fetchall() == [(2022, 7, 32), (2023, 7, 32)]
    assert con.execute("SELECT year, count(*) FROM src.fr_flores_units GROUP BY year ORDER BY year").fetchall() == [
        (2022, 3), (2023, 3)]
    assert con.execute("SELECT reference_period, count(*) FROM meta.sources GROUP BY ALL ORDER BY 1").fetchall() == [
        ("2022", 2), ("2023", 2)]

    # A corrected 2023 delivery replaces 2023 only.
    edit(folder(raw) / JOBS, set_field(3, "POSTES", "13"))
    load(raw, 2023, con)
    assert con.execute(counts).fetchall() == [(2022, 7, 32), (2023, 7, 33)]
    sha = con.execute("SELECT sha256 FROM meta.sources WHERE file_name = ?", [JOBS]).fetchall()
    assert sha == [(hashlib.sha256((folder(raw) / JOBS).read_bytes()).hexdigest(),)]


def test_a_refused_redelivery_keeps_the_year_already_staged(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    con = duckdb.connect()
    load(raw, con=con)
    edit(folder(raw) / UNITS, set_field(2, "POSTES_MAX_ETAB", "24"))
    with pytest.raises(InputError):
        load(raw, con=con)
    assert staged_jobs(con) == EXPECTED_JOBS
    assert staged_units(con) == EXPECTED_UNITS


def test_a_missing_year_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist") as excinfo:
        load(make_raw(tmp_path), 2021)
    assert excinfo.value.path.name == "flores_postes_2021.csv"

