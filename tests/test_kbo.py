"""KBO/BCE open-data Full extract: hand-computed aggregate, rejects, provenance, format tolerance and errors.

Fixture: tests/fixtures/kbo/full/ (real header lines and real rows of sources-be.md plus hand-written units; see
its README for the hand computation). Each test zips the members in tmp_path, changing only what it is about.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import partial_files

from observatory.errors import InputError
from observatory.sources import kbo

FIXTURES = Path(__file__).parent / "fixtures" / "kbo" / "full"
ZIP = "KboOpenData_0136_2025_06_Full.zip"
MEMBERS = ("meta.csv", "code.csv", "enterprise.csv", "establishment.csv", "address.csv", "activity.csv",
           "denomination.csv")

# (postcode, foreign, juridical_form, type_of_enterprise, nace_version, nace_code, employer) -> establishments
EXPECTED = {
    ("7000", False, "610", "2", "2008", "86210", True): 1,
    ("7000", False, "706", "2", "2008", "46211", False): 1,
    ("5000", False, "124", "2", "2025", "84130", True): 1,
    ("8500", False, "", "1", "2003", "01110", False): 1,
    ("", False, "", "1", "2008", "01500", False): 1,
    ("7500", False, "017", "2", "2008", "88999", True): 2,
    ("59000", True, "017", "2", "2008", "88999", True): 1,
    ("7700", False, "610", "2", "2008", "56101", True): 1,
    ("7500", False, "017", "2", "", "", False): 1,
}
EXPECTED_REJECTS = [
    ("be_kbo", None, "enterprise.csv", None, kbo.INVALID_ENTERPRISE, "0200.362.211", None),
    ("be_kbo", None, "establishment.csv", None, kbo.ORPHAN, "2.100.001.104,0440.000.017", None),
    ("be_kbo", None, "establishment.csv", None, kbo.INVALID_UNIT, "2100001203,0200.362.210", None),
]
ROWS = {"meta.csv": 5, "code.csv": 15, "enterprise.csv": 8, "establishment.csv": 13, "address.csv": 16,
        "activity.csv": 21}


# --- helpers -----------------------------------------------------------------------------------------------------


def member_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def make_raw(tmp_path: Path, name: str = ZIP, changes: dict[str, Callable[[str], str]] | None = None,
             drop: tuple[str, ...] = (), rename: Callable[[str], str] = lambda member: member) -> Path:
    """A raw_dir with the fixture zipped as ``name``; ``changes`` edit a member's text, ``drop`` leaves members out."""
    raw = tmp_path / "raw"
    folder = raw / kbo.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in MEMBERS:
            if member in drop:
                continue
            text = member_text(member)
            if changes and member in changes:
                text = changes[member](text)
            archive.writestr(rename(member), text.encode("utf-8"))
    return raw


def load(tmp_path: Path, raw: Path, con: duckdb.DuckDBPyConnection | None = None
         ) -> tuple[duckdb.DuckDBPyConnection, dict]:
    con = con or duckdb.connect()
    return con, kbo.load(con, raw, tmp_path / "work")


def aggregate(con: duckdb.DuckDBPyConnection) -> dict[tuple, int]:
    rows = con.execute(
        """SELECT postcode, "foreign", juridical_form, type_of_enterprise, nace_version, nace_code, employer,
                  establishments FROM src.be_kbo_establishments"""
    ).fetchall()
    return {row[:-1]: row[-1] for row in rows}


def load_error(tmp_path: Path, raw: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        load(tmp_path, raw)
    return caught.value


def drop_column(text: str, column: str) -> str:
    """The CSV text without ``column`` (plain split: the fixture's enterprise.csv has no comma inside a field)."""
    lines = text.splitlines()
    index = lines[0].split(",").index(f'"{column}"')
    return "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != index) for line in lines) + "\n"


# --- identifiers and file names ----------------------------------------------------------------------------------


NUMBERS = {
    "0200.065.765": True,  # valid in sources-be.md
    "0403.449.823": True,  # valid in sources-be.md
    "0200.362.210": True,  # the real enterprise row
    "0201.105.843": True,  # the real address row
    "0200.362.211": False,  # last digit changed
    "0200065765": False,  # no dots
    "200.065.765": False,
    "0200.065.76": False,
    "": False,
}


def test_mod97_on_the_numbers_of_the_spec() -> None:
    # 97 - (02000657 mod 97) = 65 and 97 - (04034498 mod 97) = 23, by hand.
    assert 97 - 2000657 % 97 == 65 and 97 - 4034498 % 97 == 23
    assert {n: kbo.is_valid_enterprise_number(n) for n in NUMBERS} == NUMBERS
    # The SQL twin used on the national file agrees.
    con = duckdb.connect()
    for number, valid in NUMBERS.items():
        query = f"SELECT {kbo._valid_enterprise_sql('n')} FROM (SELECT CAST(? AS VARCHAR) AS n)"
        assert con.execute(query, [number]).fetchone()[0] is valid, number
    assert con.execute(query, [None]).fetchone()[0] is False


def test_find_extract_takes_the_full_zip_with_the_highest_number(tmp_path: Path) -> None:
    folder = tmp_path / kbo.FOLDER
    folder.mkdir(parents=True)
    for name in ("KboOpenData_0129_2024_12_Full.zip", "KboOpenData_0136_2025_06_Full.zip",
                 "KboOpenData_0140_2025_10_04_Full.zip", "KboOpenData_0140_2025_10_05_Full.zip",
                 "KboOpenData_0141_2025_10_06_Update.zip", "KboOpenData_0142_2025_10_Full.zip.origin.json",
                 "kboopendata_0150_2025_11_full.zip", "notes.txt"):
        (folder / name).write_bytes(b"")
    assert kbo.find_extract(tmp_path).name == "KboOpenData_0140_2025_10_05_Full.zip"
    assert kbo.FILE_NAME.fullmatch("KboOpenData_0140_2025_10_05_Full.zip").groups() == (
        "0140", "2025", "10", "05", "Full")


def test_find_extract_names_the_folder_when_there_is_none(tmp_path: Path) -> None:
    (tmp_path / kbo.FOLDER).mkdir(parents=True)
    (tmp_path / kbo.FOLDER / "KboOpenData_0141_2025_10_06_Update.zip").write_bytes(b"")
    with pytest.raises(InputError, match=r"no KBO Full extract") as caught:
        kbo.find_extract(tmp_path)
    assert str(tmp_path / kbo.FOLDER) in str(caught.value)
    with pytest.raises(InputError, match=r"be/kbo"):
        kbo.find_extract(tmp_path / "nowhere")


# --- the hand-computed result ------------------------------------------------------------------------------------


def test_hand_computed_aggregate(tmp_path: Path) -> None:
    con, meta = load(tmp_path, make_raw(tmp_path))
    assert aggregate(con) == EXPECTED
    schema = con.execute("DESCRIBE src.be_kbo_establishments").fetchall()
    assert [(name, kind) for name, kind, *_ in schema] == [
        ("snapshot_date", "DATE"), ("postcode", "VARCHAR"), ("foreign", "BOOLEAN"), ("juridical_form", "VARCHAR"),
        ("type_of_enterprise", "VARCHAR"), ("nace_version", "VARCHAR"), ("nace_code", "VARCHAR"),
        ("employer", "BOOLEAN"), ("establishments", "BIGINT"),
    ]
    assert con.execute("SELECT DISTINCT snapshot_date FROM src.be_kbo_establishments").fetchall() == [
        (date(2025, 5, 30),)]
    assert kbo.snapshot_year(con) == 2025
    assert {k: v for k, v in meta.items() if k != "sources"} == {
        "zip": ZIP, "extract_number": 136, "extract_type": "full", "version": "1.0.0", "snapshot_date": "2025-05-30",
        "rows": ROWS, "units_aggregated": 10, "units_without_address": 1, "aggregate_rows": 9, "rejects": 3,
        "rejects_by_reason": {kbo.ORPHAN: 1, kbo.INVALID_ENTERPRISE: 1, kbo.INVALID_UNIT: 1},
        "updates": [], "updates_ignored": [], "missing_extract_numbers": [],
        "enterprises": 8, "enterprises_departed": 0, "start_dates_invalid": 0,
    }
    json.dumps(meta)  # Dagster metadata: serialisable as it is
    # No temporary table left; the members read are kept for the next load of the same ZIP, nothing else.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0
    assert sorted(p.name for p in (tmp_path / "work").rglob("*") if p.is_file()) == sorted(kbo.MEMBERS)


def test_rejects_name_file_reason_and_number(tmp_path: Path) -> None:
    con, _ = load(tmp_path, make_raw(tmp_path))
    query = "SELECT source_id, year, file_name, line, reason, raw_text, jobs FROM meta.rejects ORDER BY ALL"
    assert con.execute(query).fetchall() == sorted(EXPECTED_REJECTS)
    # Every line of establishment.csv is either counted or rejected.
    assert sum(EXPECTED.values()) + len(EXPECTED_REJECTS) == ROWS["establishment.csv"]
    # A reload replaces the rejects.
    load(tmp_path, tmp_path / "raw", con)
    assert con.execute("SELECT count(*) FROM meta.rejects").fetchone()[0] == 3


def test_codes_and_juridical_form_labels(tmp_path: Path) -> None:
    con, _ = load(tmp_path, make_raw(tmp_path))
    assert con.execute("SELECT count(*) FROM src.be_kbo_codes").fetchone()[0] == 15
    assert con.execute(
        "SELECT * FROM src.be_kbo_codes WHERE category = 'JuridicalForm' AND code = '124' AND language = 'FR'"
    ).fetchall() == [("JuridicalForm", "124", "FR", "Etablissement public")]  # the real row
    labels = kbo.juridical_form_labels(con)
    assert sorted(labels) == ["015", "017", "124", "610", "706"]
    assert labels["017"] == {"FR": "Association sans but lucratif", "NL": "Vereniging zonder winstoogmerk"}
    assert labels["706"]["NL"] == "Coöperatieve vennootschap"
    # A description with commas inside quotes is read whole.
    assert con.execute("SELECT description FROM src.be_kbo_codes WHERE code = '46211'").fetchone()[0] == (
        "Commerce de gros de céréales, de semences et d'aliments pour le bétail")


def test_meta_sources_one_row_per_member(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    con, meta = load(tmp_path, raw)
    rows = con.execute(
        "SELECT source_id, file_name, sha256, size_bytes, rows, reference_period, producer, url, licence, synthetic, "
        "path FROM meta.sources ORDER BY file_name"
    ).fetchall()
    zip_path = raw / kbo.FOLDER / ZIP
    expected = []
    for member, count in sorted(ROWS.items()):
        data = (FIXTURES / member).read_bytes()
        expected.append(("be_kbo", f"{ZIP}:{member}", hashlib.sha256(data).hexdigest(), len(data), count,
                         "2025-05-30", kbo.ORIGIN.producer, kbo.ORIGIN.url, kbo.ORIGIN.licence, False,
                         f"{zip_path}:{member}"))
    assert rows == expected
    assert [s["file_name"] for s in meta["sources"]] == [f"{ZIP}:{m}" for m in kbo.MEMBERS]


def test_sidecar_origin_and_a_newer_extract_replace_the_sources(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    con, _ = load(tmp_path, raw)
    newer = "KboOpenData_0137_2025_07_Full.zip"
    make_raw(tmp_path, newer, changes={"meta.csv": lambda t: t.replace('"136"', '"137"')})
    sidecar = raw / kbo.FOLDER / f"{newer}.origin.json"
    sidecar.write_text(json.dumps({"synthetic": True, "note": "test extract", "url": "https://example.org/x.zip"}))
    _, meta = load(tmp_path, raw, con)
    assert meta["zip"] == newer and meta["extract_number"] == 137
    rows = con.execute("SELECT DISTINCT split_part(file_name, ':', 1), synthetic, note, url FROM meta.sources"
                       ).fetchall()
    assert rows == [(newer, True, "test extract", "https://example.org/x.zip")]
    assert con.execute("SELECT count(*) FROM meta.sources").fetchone()[0] == 6


# --- tolerated variations ----------------------------------------------------------------------------------------


def test_older_extract_without_the_cac_column(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, changes={"enterprise.csv": lambda t: drop_column(t, "JuridicalFormCAC")})
    con, meta = load(tmp_path, raw)
    expected = dict(EXPECTED)
    expected[("7000", False, "015", "2", "2008", "86210", True)] = expected.pop(
        ("7000", False, "610", "2", "2008", "86210", True))
    assert aggregate(con) == expected
    assert meta["rows"]["enterprise.csv"] == 8


def test_added_columns_crlf_bom_and_member_case_are_tolerated(tmp_path: Path) -> None:
    def widen(text: str) -> str:
        lines = text.splitlines()
        return "\r\n".join([lines[0] + ',"NewColumn"'] + [line + ',"x"' for line in lines[1:]]) + "\r\n"

    changes = {member: widen for member in ("establishment.csv", "address.csv", "activity.csv")}
    changes["enterprise.csv"] = lambda t: "\ufeff" + t.replace("\n", "\r\n")
    raw = make_raw(tmp_path, changes=changes, rename=lambda m: m.upper() if m != "meta.csv" else "Meta.Csv")
    con, meta = load(tmp_path, raw)
    assert aggregate(con) == EXPECTED
    assert meta["rows"] == ROWS


def test_members_in_a_subfolder_are_found(tmp_path: Path) -> None:
    con, _ = load(tmp_path, make_raw(tmp_path, rename=lambda m: f"KboOpenData_0136/{m}"))
    assert aggregate(con) == EXPECTED


# --- errors ------------------------------------------------------------------------------------------------------


def test_missing_member_names_the_zip_and_the_member(tmp_path: Path) -> None:
    error = load_error(tmp_path, make_raw(tmp_path, drop=("enterprise.csv",)))
    assert ZIP in str(error) and "enterprise.csv" in str(error)
    assert "no member enterprise.csv" in error.problem
    assert partial_files(tmp_path / "work") == []


def test_renamed_column_names_member_and_column(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, changes={"enterprise.csv": lambda t: t.replace('"JuridicalForm",', '"JurForm",', 1)})
    error = load_error(tmp_path, raw)
    assert error.path == raw / kbo.FOLDER / ZIP / "enterprise.csv"
    assert error.line == 1 and error.column == "JuridicalForm"
    assert "missing column(s): JuridicalForm" in str(error)
    assert str(error).startswith("enterprise.csv, line 1, column JuridicalForm:")
    assert ZIP in str(error)
    assert partial_files(tmp_path / "work") == []


def test_malformed_line_is_reported_with_member_and_line(tmp_path: Path) -> None:
    def break_line(text: str) -> str:
        lines = text.splitlines()
        lines[4] += ',"unexpected"'  # line 5 of the file
        return "\n".join(lines) + "\n"

    error = load_error(tmp_path, make_raw(tmp_path, changes={"activity.csv": break_line}))
    assert error.line == 5
    assert str(error).startswith("activity.csv, line 5:")
    assert "Expected Number of Columns: 5 Found: 6" in str(error)
    assert ZIP in str(error)


# Hand-ranked: version 2008 < 2025 < 2003 < any other, then group 006 < 001 < 003 < any other, then the group, version
# and code as text. The groups and versions outside the named ones take the key's second form (kbo._ACTIVITY_KEY).
ACTIVITIES = [
    ("E1", "007", "2008", "11111", "MAIN"),  # version 2008 with another group: before any other version
    ("E1", "001", "1993", "22222", "MAIN"),
    ("E2", "007", "1993", "333", "MAIN"),
    ("E2", "005", "1993", "444", "MAIN"),  # same ranks: group 005 before 007
    ("E2", "007", "1990", "1", "MAIN"),
    ("E3", "007", "1993", "9", "MAIN"),
    ("E3", "007", "1990", "8", "MAIN"),  # same group: version 1990 before 1993
    ("E4", "001", "2008", "01110", "MAIN"),
    ("E4", "001", "2008", "0111", "MAIN"),  # a prefix sorts first, as text
    ("E4", "006", "2025", "84130", "MAIN"),
    ("E5", "006", "2008", "88999", "SECO"),  # no MAIN activity
    ("E6", None, None, None, "MAIN"),  # empty fields: the last rank, read back empty
]


def test_main_activity_ranks_other_groups_and_versions_by_their_text() -> None:
    rows = ", ".join("(" + ", ".join("NULL" if v is None else f"'{v}'" for v in row) + ")" for row in ACTIVITIES)
    source = (f"(SELECT * FROM (VALUES {rows}) "
              "AS t(EntityNumber, ActivityGroup, NaceVersion, NaceCode, Classification))")
    found = duckdb.execute(f"SELECT entity, main.version, main.code, rows, employer FROM ({kbo._activity_sql(source)}) "
                           "ORDER BY entity").fetchall()
    assert found == [
        ("E1", "2008", "11111", 2, False),
        ("E2", "1993", "444", 3, False),
        ("E3", "1990", "8", 2, False),
        ("E4", "2008", "0111", 3, True),
        ("E5", None, None, 1, True),
        ("E6", "", "", 1, False),
    ]


@pytest.mark.parametrize("control", ["\x00", "\x01"])
def test_a_control_character_in_an_activity_code_is_refused(tmp_path: Path, control: str) -> None:
    # Either sorts at or below the key's separator: a group or version holding one could be ranked wrongly.
    line = f'"0403.449.823","007","19{control}93","1","MAIN"\n'
    error = load_error(tmp_path, make_raw(tmp_path, changes={"activity.csv": lambda text: text + line}))
    assert str(error).startswith("activity.csv")
    assert "control character (U+0000 or U+0001) in ActivityGroup, NaceVersion or NaceCode" in str(error)
    assert ZIP in str(error)


def test_update_extract_type_is_refused(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, changes={"meta.csv": lambda t: t.replace('"full"', '"update"')})
    error = load_error(tmp_path, raw)
    assert "meta.csv" in str(error) and "ExtractType is not 'full'" in str(error)
    assert error.line == 4 and error.value == "update"


def test_bad_snapshot_date_and_number_mismatch(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, changes={"meta.csv": lambda t: t.replace("30-05-2025", "2025-05-30")})
    error = load_error(tmp_path, raw)
    assert "SnapshotDate is not a date dd-mm-yyyy" in str(error) and error.line == 2
    raw = make_raw(tmp_path / "other", "KboOpenData_0137_2025_06_Full.zip")
    error = load_error(tmp_path, raw)
    assert "ExtractNumber 136 differs from the number in the file name (137)" in str(error)


def test_repeated_enterprise_number_is_refused(tmp_path: Path) -> None:
    repeat = '"0200.362.210","AC","000","2","706",,26-02-1968\n'
    error = load_error(tmp_path, make_raw(tmp_path, changes={"enterprise.csv": lambda t: t + repeat}))
    assert error.column == "EnterpriseNumber" and error.value == "0200.362.210"


@pytest.mark.parametrize("member", ["../enterprise.csv", "/tmp/enterprise.csv"])
def test_member_escaping_the_folder_is_refused(tmp_path: Path, member: str) -> None:
    raw = make_raw(tmp_path, drop=("enterprise.csv",))
    with zipfile.ZipFile(raw / kbo.FOLDER / ZIP, "a") as archive:
        # ZipInfo keeps the name as given (ZipFile.write would strip a leading '/').
        archive.writestr(zipfile.ZipInfo(member), member_text("enterprise.csv"))
    error = load_error(tmp_path, raw)
    assert "outside the extraction folder" in str(error)
    assert not (tmp_path / "enterprise.csv").exists()
    assert partial_files(tmp_path / "work") == []


def test_failed_reload_keeps_the_previous_tables(tmp_path: Path) -> None:
    con, _ = load(tmp_path, make_raw(tmp_path))
    make_raw(tmp_path, "KboOpenData_0137_2025_07_Full.zip",
             changes={"meta.csv": lambda t: t.replace('"136"', '"137"'),
                      "activity.csv": lambda t: t + '"0200.362.210","001"\n'})
    with pytest.raises(InputError, match="activity.csv, line 23"):
        load(tmp_path, tmp_path / "raw", con)
    assert aggregate(con) == EXPECTED
    assert con.execute("SELECT count(*) FROM meta.sources WHERE file_name LIKE ?", [f"{ZIP}:%"]).fetchone()[0] == 6
    assert partial_files(tmp_path / "work") == []
