"""ONSS delivery (contracts.md, Belgium, layout v1): staged values, meta.sources, every contract violation, reloads.

Fixtures (tests/fixtures/onss/README.md): a hand-written pair for 2023Q4 in the exact contract layout, and the same
data with columns in another order and an extra column each, quoted where it holds a comma (``reordered/``). Bad
inputs are made in tmp_path by editing a copy of the good pair, so each test shows the one thing that is wrong.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
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


def rename_column(old: str, new: str) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        lines[0] = SEP.join(new if name == old else name for name in lines[0].split(SEP))
        return lines

    return change


def drop_column(column: str) -> Callable[[list[str]], list[str]]:
    def change(lines: list[str]) -> list[str]:
        index = lines[0].split(SEP).index(column)
        return [SEP.join(c for i, c in enumerate(line.split(SEP)) if i != index) for line in lines]

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


# --- what a delivery can get wrong -------------------------------------------------------------------------------


def _append(line: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: lines + [line]


def _delete(number: int) -> Callable[[list[str]], list[str]]:
    return lambda lines: lines[: number - 1] + lines[number:]


def _all_periods(period: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [lines[0]] + [period + line[6:] for line in lines[1:]]


def _truncate_last(keep_fields: int) -> Callable[[list[str]], list[str]]:
    return lambda lines: lines[:-1] + [SEP.join(lines[-1].split(SEP)[:keep_fields])]


# (id, file edited, change, final newline, file named in the error, line, column, problem (regex))
CASES = [
    ("missing-column-jobs", JOBS, drop_column("ETP"), True, JOBS, 1, "ETP", r"missing column\(s\): ETP;"),
    ("missing-column-units", UNITS, drop_column("NB_UNITES"), True, UNITS, 1, "NB_UNITES",
     r"missing column\(s\): NB_UNITES;"),
    ("renamed-column-jobs", JOBS, rename_column("REFNIS", "CODE_REFNIS"), True, JOBS, 1, "REFNIS",
     r"REFNIS \(renamed to 'CODE_REFNIS'\?\)"),
    ("renamed-column-units", UNITS, rename_column("POSTES_MAX_UNITE", "POSTES_MAX_UNITES"), True, UNITS, 1,
     "POSTES_MAX_UNITE", r"POSTES_MAX_UNITE \(renamed to 'POSTES_MAX_UNITES'\?\)"),
    ("other-year-jobs", JOBS, _all_periods("2022Q4"), True, JOBS, 2, "TRIMESTRE",
     r"the file name says 2023 but the line is for another period \(found '2022Q4'\); 7 more line"),
    ("other-year-units", UNITS, set_field(4, "TRIMESTRE", "2022Q4"), True, UNITS, 4, "TRIMESTRE",
     r"the file name says 2023 .*\(found '2022Q4'\)"),
    ("negative-postes", JOBS, set_field(3, "POSTES", "-9"), True, JOBS, 3, "POSTES", r"negative count.*'-9'"),
    ("negative-etp", JOBS, set_field(2, "ETP", "-1.5"), True, JOBS, 2, "ETP", r"negative"),
    ("negative-nb-unites", UNITS, set_field(3, "NB_UNITES", "-1"), True, UNITS, 3, "NB_UNITES", r"negative"),
    ("negative-max", UNITS, set_field(4, "POSTES_MAX_UNITE", "-3"), True, UNITS, 4, "POSTES_MAX_UNITE",
     r"negative"),
    ("decimal-comma-quoted", JOBS, set_field(3, "ETP", '"7,25"'), True, JOBS, 3, "ETP",
     r"decimal comma where the contract asks for a decimal point \(found '7,25'\)"),
    ("decimal-comma-unquoted", JOBS, set_field(3, "ETP", "7,25"), True, JOBS, 3, None,
     r"11 field\(s\) where the header has 10 \(found '2023Q4,21004,017,,2008,88101,F,25-34,9,7,25'\)"),
    ("duplicated-key-jobs", JOBS, set_field(4, "CLASSE_AGE", "25-34"), True, JOBS, 4, None,
     r"duplicated key \(TRIMESTRE, REFNIS, FORME_JURIDIQUE, AGREMENT, NACE_VERSION, NACE, SEXE, CLASSE_AGE\): "
     r"also on line 3 \(found '2023Q4 \| 21004 \| 017 \|  \| 2008 \| 88101 \| F \| 25-34'\)"),
    ("duplicated-key-units", UNITS, _append("2023Q4,53053,706,CNC+ES,2008,56101,2,5"), True, UNITS, 6, None,
     r"duplicated key \(.*\): also on line 3"),
    ("duplicated-key-quoted-empty", UNITS, _append('2023Q4,21004,017,"",2008,88101,1,1'), True, UNITS, 6, None,
     r"duplicated key \(.*\): also on line 2"),
    ("units-without-jobs", UNITS, _append("2023Q4,21004,017,ES,2008,88101,1,1"), True, UNITS, 6, None,
     r"a units row has no jobs row in onss_postes_2023Q4\.csv \(found '2023Q4 \| 21004 \| 017 \| ES \| 2008 \| "
     r"88101'\)"),
    ("jobs-without-units", UNITS, _delete(3), True, JOBS, 5, None,
     r"a jobs row has no units row in onss_unites_2023Q4\.csv \(found '2023Q4 \| 53053 \| 706 \| CNC\+ES \| 2008 \| "
     r"56101'\); 1 more line"),
    ("max-above-total", UNITS, set_field(3, "POSTES_MAX_UNITE", "11"), True, UNITS, 3, "POSTES_MAX_UNITE",
     r"POSTES_MAX_UNITE is above the key's total POSTES in onss_postes_2023Q4\.csv \(found '11 > 10'\)"),
    ("header-only-jobs", JOBS, lambda lines: lines[:1], True, JOBS, None, None, r"header but no data line"),
    ("header-only-units", UNITS, lambda lines: lines[:1], True, UNITS, None, None, r"header but no data line"),
    ("truncated-jobs", JOBS, _truncate_last(8), False, JOBS, 9, None,
     r"truncated last line: the file ends without a newline — was it cut during transfer\? \(8 field\(s\) "
     r"where the header has 10\)"),
    ("truncated-units", UNITS, _truncate_last(7), False, UNITS, 5, None, r"truncated last line: .*\(7 field\(s\)"),
    ("truncated-inside-quotes", JOBS, lambda lines: lines[:-1] + ['2023Q4,62063,610,ES,2008,88999,F,35-44,2,"1.'],
     False, JOBS, 9, None, r"badly quoted line: unexpected end of data"),
    ("refnis-4-digits", JOBS, set_field(2, "REFNIS", "2100"), True, JOBS, 2, "REFNIS",
     r"expected a 5-digit REFNIS commune code \(found '2100'\)"),
    ("nace-with-dot", UNITS, set_field(4, "NACE", "62.010"), True, UNITS, 4, "NACE",
     r"NACE-BEL code with a dot; the contract has no dot \(found '62\.010'\)"),
    ("juridical-form-lost-zero", JOBS, set_field(4, "FORME_JURIDIQUE", "17"), True, JOBS, 4, "FORME_JURIDIQUE",
     r"expected a 3-digit KBO juridical form \(found '17'\)"),
    ("agrement-unknown-form", JOBS, set_field(7, "AGREMENT", "CNC ES"), True, JOBS, 7, "AGREMENT",
     r"expected empty, CNC, ES or CNC\+ES \(found 'CNC ES'\)"),
]


def assert_names_where(error: InputError, file_name: str, line: int | None, column: str | None, problem: str) -> None:
    message = str(error)
    assert error.path.name == file_name
    assert error.line == line
    assert error.column == column
    assert message.startswith(file_name), message
    if line is not None:
        assert f"line {line}" in message
    if column is not None:
        assert f"column {column}" in message
    assert re.search(problem, message), message


@pytest.mark.parametrize(
    ("edited", "change", "final_newline", "named", "line", "column", "problem"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_bad_delivery_is_refused_with_file_line_and_column(
    tmp_path: Path, edited: str, change, final_newline: bool, named: str, line, column, problem: str
) -> None:
    raw = make_raw(tmp_path)
    edit(folder(raw) / edited, change, final_newline=final_newline)
    con = duckdb.connect()
    with pytest.raises(InputError) as excinfo:
        load(raw, con=con)
    assert_names_where(excinfo.value, named, line, column, problem)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'src'").fetchone()[0] == 0


@pytest.mark.parametrize("name", [JOBS, UNITS])
def test_an_empty_file_is_refused(tmp_path: Path, name: str) -> None:
    raw = make_raw(tmp_path)
    (folder(raw) / name).write_bytes(b"")
    with pytest.raises(InputError) as excinfo:
        load(raw)
    assert_names_where(excinfo.value, name, None, None, r"the file is empty \(no header line\)")


def test_latin1_is_refused_on_the_line_of_the_first_non_utf8_byte(tmp_path: Path) -> None:
    # The producer added the commune name and saved the file as Latin-1: 'Liège' (first on line 8) is b'Li\xe8ge'.
    raw = make_raw(tmp_path)
    names = {"21004": "Bruxelles", "53053": "Mons", "44021": "Gent", "62063": "Liège"}

    def add_name(lines: list[str]) -> list[str]:
        return [lines[0] + ",COMMUNE"] + [line + "," + names[line.split(SEP)[1]] for line in lines[1:]]

    edit(folder(raw) / JOBS, add_name, encoding="latin-1")
    assert b"Li\xe8ge" in (folder(raw) / JOBS).read_bytes()
    with pytest.raises(InputError) as excinfo:
        load(raw)
    assert_names_where(excinfo.value, JOBS, 8, None, r"not valid UTF-8 \(byte 0xe8 at character \d+\).*Latin-1")


def test_windows_1252_in_the_units_file_is_refused_on_its_line(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    regions = {"21004": "Bruxelles", "53053": "Wallonie", "44021": "Vlaanderen", "62063": "Région wallonne"}

    def add_region(lines: list[str]) -> list[str]:
        return [lines[0] + ",REGION"] + [line + "," + regions[line.split(SEP)[1]] for line in lines[1:]]

    edit(folder(raw) / UNITS, add_region, encoding="cp1252")
    with pytest.raises(InputError) as excinfo:
        load(raw)
    assert_names_where(excinfo.value, UNITS, 5, None, r"not valid UTF-8 \(byte 0xe9")


def test_a_blank_line_inside_the_file_does_not_shift_line_numbers(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    # A blank line 4, then a quoted decimal comma on line 6 (was line 5).
    edit(folder(raw) / JOBS, lambda lines: lines[:3] + [""] + lines[3:])
    edit(folder(raw) / JOBS, set_field(6, "ETP", '"3,8"'))
    with pytest.raises(InputError) as excinfo:
        load(raw)
    # Either refuse the blank line itself (line 4) or report the bad value where it is (line 6); not line 5.
    assert excinfo.value.line in (4, 6), str(excinfo.value)


def test_a_key_delivered_three_times_is_reported_at_its_second_occurrence(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    edit(folder(raw) / UNITS, lambda lines: lines + [lines[2], lines[2]])  # line 3 repeated as lines 6 and 7
    with pytest.raises(InputError, match="also on line 3") as excinfo:
        load(raw)
    assert excinfo.value.line == 6
