"""ONSS delivery (contracts.md, Belgium, layout v1): staged values, meta.sources, reloads.
What a delivery can get wrong is one table for both sources, in test_delivery_contract.py.

Fixtures (tests/fixtures/onss/README.md): a hand-written pair for 2023Q4 in the exact contract layout, and the same
data with columns in another order and an extra column each, quoted where it holds a comma (``reordered/``). Edited
copies are made in tmp_path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from observatory.errors import InputError
from observatory.sources import onss

FIXTURES = Path(__file__).parent / "fixtures" / "onss"
JOBS = "onss_postes_2023Q4.csv"
UNITS = "onss_unites_2023Q4.csv"
SEP = ","

# Hand-computed from tests/fixtures/onss/onss_postes_2023Q4.csv:
# (line, refnis, juridical_form, accreditation, nace_version, nace, sexe, classe_age, jobs, fte).
EXPECTED_JOBS = [
    (2, "21004", "017", "", "2008", "88101", "M", "<25", 2, Decimal("1.5")),
    (3, "21004", "017", "", "2008", "88101", "F", "25-34", 9, Decimal("7.25")),
    (4, "21004", "017", "", "2008", "88101", "F", "65+", 1, None),
    (5, "53053", "706", "CNC+ES", "2008", "56101", "M", "35-44", 4, Decimal("3.8")),
    (6, "53053", "706", "CNC+ES", "2008", "56101", "F", "45-54", 6, Decimal("5.0")),
    (7, "44021", "706", "CNC", "2008", "62010", "F", "55-64", 3, Decimal("2.4")),
    (8, "62063", "610", "ES", "2008", "88999", "M", "25-34", 0, Decimal("0.6")),
    (9, "62063", "610", "ES", "2008", "88999", "F", "35-44", 2, Decimal("1.9")),
]
# (line, refnis, juridical_form, accreditation, nace_version, nace, units, max_unit_jobs); key totals 12, 10, 3, 2.
EXPECTED_UNITS = [
    (2, "21004", "017", "", "2008", "88101", 2, 8),
    (3, "53053", "706", "CNC+ES", "2008", "56101", 1, 10),
    (4, "44021", "706", "CNC", "2008", "62010", 1, 3),
    (5, "62063", "610", "ES", "2008", "88999", 1, 2),
]


# --- helpers -----------------------------------------------------------------------------------------------------


def make_raw(tmp_path: Path, source: Path = FIXTURES, year: int = 2023) -> Path:
    """A raw_dir holding a copy of the fixture pair (for ``year``, with TRIMESTRE rewritten if it is not 2023)."""
    raw = tmp_path / "raw"
    target_folder = raw / onss.FOLDER
    target_folder.mkdir(parents=True, exist_ok=True)
    for name in (JOBS, UNITS):
        target = target_folder / name.replace("2023", str(year))
        shutil.copyfile(source / name, target)
        if year != 2023:
            edit(target, lambda lines: [lines[0]] + [line.replace("2023Q4", f"{year}Q4") for line in lines[1:]])
    return raw


def folder(raw: Path) -> Path:
    return raw / onss.FOLDER


def edit(path: Path, change: Callable[[list[str]], list[str]], *, final_newline: bool = True,
         encoding: str = "utf-8") -> None:
    """Rewrite ``path`` through ``change`` on its lines (``lines[0]`` is line 1, the header)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    text = "\n".join(change(lines)) + ("\n" if final_newline else "")
    path.write_bytes(text.encode(encoding))


def set_field(number: int, column: str, value: str) -> Callable[[list[str]], list[str]]:
    """A change that puts ``value`` (as written in the file, quotes included) in ``column`` on line ``number``.

    The good fixture has no quoted field, so a plain split is exact."""

    def change(lines: list[str]) -> list[str]:
        index = lines[0].split(SEP).index(column)
        cells = lines[number - 1].split(SEP)
        cells[index] = value
        lines[number - 1] = SEP.join(cells)
        return lines

    return change


def load(raw: Path, year: int = 2023, con: duckdb.DuckDBPyConnection | None = None) -> dict:
    return onss.load_year(con or duckdb.connect(), raw, year)


def staged_jobs(con: duckdb.DuckDBPyConnection, year: int = 2023) -> list[tuple]:
    return con.execute(
        "SELECT line, refnis, juridical_form, accreditation, nace_version, nace, sexe, classe_age, jobs, fte "
        "FROM src.be_onss_jobs WHERE year = ? ORDER BY line",
        [year],
    ).fetchall()


def staged_units(con: duckdb.DuckDBPyConnection, year: int = 2023) -> list[tuple]:
    return con.execute(
        "SELECT line, refnis, juridical_form, accreditation, nace_version, nace, units, max_unit_jobs "
        "FROM src.be_onss_units WHERE year = ? ORDER BY line",
        [year],
    ).fetchall()


# --- the good pair -----------------------------------------------------------------------------------------------


def test_fixture_is_in_the_contract_layout() -> None:
    jobs = (FIXTURES / JOBS).read_bytes()
    assert not jobs.startswith(b"\xef\xbb\xbf")
    assert jobs.decode("utf-8").splitlines()[0] == (
        "TRIMESTRE,REFNIS,FORME_JURIDIQUE,AGREMENT,NACE_VERSION,NACE,SEXE,CLASSE_AGE,POSTES,ETP"
    )
    assert (FIXTURES / UNITS).read_text(encoding="utf-8").splitlines()[0] == (
        "TRIMESTRE,REFNIS,FORME_JURIDIQUE,AGREMENT,NACE_VERSION,NACE,NB_UNITES,POSTES_MAX_UNITE"
    )


def test_staged_values_are_hand_computed(tmp_path: Path) -> None:
    con = duckdb.connect()
    result = load(make_raw(tmp_path), con=con)

    # Empty AGREMENT -> '', CNC+ES kept whole, empty ETP -> NULL, '5' -> 5.0, lines = file lines.
    assert staged_jobs(con) == EXPECTED_JOBS
    assert staged_units(con) == EXPECTED_UNITS
    assert {k: result[k] for k in ("year", "jobs_rows", "units_rows", "jobs")} == {
        "year": 2023, "jobs_rows": 8, "units_rows": 4, "jobs": 27,
    }
    totals = con.execute(
        "SELECT accreditation, sum(jobs), sum(fte), count(fte) FROM src.be_onss_jobs GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert totals == [("", 12, Decimal("8.75"), 2), ("CNC", 3, Decimal("2.4"), 1),
                      ("CNC+ES", 10, Decimal("8.8"), 2), ("ES", 2, Decimal("2.5"), 2)]
    assert con.execute("SELECT DISTINCT year, file_name FROM src.be_onss_jobs").fetchall() == [(2023, JOBS)]
    assert con.execute("SELECT DISTINCT year, file_name FROM src.be_onss_units").fetchall() == [(2023, UNITS)]
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_onss%' ESCAPE '\\'"
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
    for name, n in ((JOBS, 8), (UNITS, 4)):
        path = folder(raw) / name
        expected.append(("be_onss", name, hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size, n,
                         "2023Q4", False, str(path)))
    assert rows == sorted(expected, key=lambda r: r[1])
    assert [s["file_name"] for s in result["sources"]] == [JOBS, UNITS]
    assert result["sources"][1]["sha256"] == hashlib.sha256((FIXTURES / UNITS).read_bytes()).hexdigest()


def test_columns_in_another_order_with_an_extra_quoted_column_load_the_same(tmp_path: Path) -> None:
    # reordered/: columns shuffled, LIBELLE_NACE / REGION added, quoted where they hold a comma, accents in UTF-8.
    con = duckdb.connect()
    load(make_raw(tmp_path, FIXTURES / "reordered"), con=con)
    assert staged_jobs(con) == EXPECTED_JOBS
    assert staged_units(con) == EXPECTED_UNITS


def test_quoted_fields_are_read_as_their_content(tmp_path: Path) -> None:
    # A producer may quote more than needed ("" for an empty AGREMENT included): the values are the same.
    raw = make_raw(tmp_path)
    for name in (JOBS, UNITS):
        path = folder(raw) / name
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
    assert (folder(raw) / JOBS).read_text(encoding="utf-8").splitlines()[1] == (
        '"2023Q4","21004","017","","2008","88101","M","<25","2","1.5"'
    )
    con = duckdb.connect()
    load(raw, con=con)
    assert staged_jobs(con) == EXPECTED_JOBS
    assert staged_units(con) == EXPECTED_UNITS


def test_max_equal_to_the_key_total_is_allowed(tmp_path: Path) -> None:
    # CNC+ES (10 jobs) and CNC (3) already have POSTES_MAX_UNITE = total; 21004 raised to its total 12.
    raw = make_raw(tmp_path)
    edit(folder(raw) / UNITS, set_field(2, "POSTES_MAX_UNITE", "12"))
    con = duckdb.connect()
    load(raw, con=con)
    assert [r[7] for r in staged_units(con)] == [12, 10, 3, 2]


def test_unknown_but_well_formed_codes_load(tmp_path: Path) -> None:
    # REFNIS 99999 is no commune and juridical form 999 does not exist: harmonisation rejects them later with a
    # reason; the delivery itself is well formed.
    raw = make_raw(tmp_path)
    for name in (JOBS, UNITS):
        edit(folder(raw) / name, lambda lines: [line.replace(",62063,610,", ",99999,999,") for line in lines])
    con = duckdb.connect()
    load(raw, con=con)
    assert con.execute("SELECT line, jobs FROM src.be_onss_jobs WHERE refnis = '99999' AND juridical_form = '999' "
                       "ORDER BY line").fetchall() == [(8, 0), (9, 2)]
    assert con.execute("SELECT line, units FROM src.be_onss_units WHERE refnis = '99999' AND juridical_form = '999'"
                       ).fetchall() == [(5, 1)]


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
    counts = "SELECT year, count(*), sum(jobs) FROM src.be_onss_jobs GROUP BY year ORDER BY year"
    assert con.execute(counts).fetchall() == [(2022, 8, 27), (2023, 8, 27)]
    assert con.execute("SELECT year, count(*) FROM src.be_onss_units GROUP BY year ORDER BY year").fetchall() == [
        (2022, 4), (2023, 4)]
    assert con.execute("SELECT reference_period, count(*) FROM meta.sources GROUP BY ALL ORDER BY 1").fetchall() == [
        ("2022Q4", 2), ("2023Q4", 2)]

    # A corrected 2023 delivery replaces 2023 only.
    edit(folder(raw) / JOBS, set_field(3, "POSTES", "10"))
    load(raw, 2023, con)
    assert con.execute(counts).fetchall() == [(2022, 8, 27), (2023, 8, 28)]
    sha = con.execute("SELECT sha256 FROM meta.sources WHERE file_name = ?", [JOBS]).fetchall()
    assert sha == [(hashlib.sha256((folder(raw) / JOBS).read_bytes()).hexdigest(),)]


def test_a_refused_redelivery_keeps_the_year_already_staged(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    con = duckdb.connect()
    load(raw, con=con)
    edit(folder(raw) / UNITS, set_field(3, "POSTES_MAX_UNITE", "11"))
    with pytest.raises(InputError):
        load(raw, con=con)
    assert staged_jobs(con) == EXPECTED_JOBS
    assert staged_units(con) == EXPECTED_UNITS


def test_a_missing_year_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist") as excinfo:
        load(make_raw(tmp_path), 2021)
    assert excinfo.value.path.name == "onss_postes_2021Q4.csv"

