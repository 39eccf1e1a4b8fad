"""Eurostat files (SDMX-CSV and bulk TSV, plain or gzip): the generic reader, the two dataset loaders, their errors,
and the synthetic sample files.

Fixtures (tests/fixtures/eurostat/README.md): the same eight demo_r_pjangrp3 observations as SDMX-CSV and TSV
(``same/``), with other dimension orders (``reordered/``), new-style CONF_STATUS cells (``conf_status/``), and two
LFS series. Bad inputs are written in tmp_path, so each test shows the one thing that is wrong.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from observatory.errors import InputError
from observatory.sample.eurostat import (
    LFS_FILE,
    POPULATION_FILE,
    PROVISIONAL_GEOS,
    population_years,
    special_population_cells,
    write_eurostat_sample,
)
from observatory.sources import eurostat

FIXTURES = Path(__file__).parent / "fixtures" / "eurostat"
POP = "demo_r_pjangrp3"
DIMS = ("freq", "unit", "sex", "age", "geo")
OBS = ("time_period", "obs_value", "obs_flag", "conf_status")

# Hand-written in same/ (and reordered/): (sex, age, geo, time_period, obs_value, obs_flag, conf_status).
# T = F + M: 154000 + 146500 = 300500; 155210 + 147020.5 = 302230.5.
EXPECTED = sorted([
    ("F", "TOTAL", "BE254", "2023", 154000.0, None, None),
    ("F", "TOTAL", "BE254", "2024", 155210.0, "p", None),
    ("F", "Y_GE90", "BE100", "2023", None, "c", None),  # legacy confidential ': c'
    ("F", "Y_GE90", "BE100", "2024", None, None, None),  # missing ':'
    ("M", "TOTAL", "BE254", "2023", 146500.0, None, None),
    ("M", "TOTAL", "BE254", "2024", 147020.5, "bep", None),
    ("T", "TOTAL", "BE254", "2023", 300500.0, None, None),
    ("T", "TOTAL", "BE254", "2024", 302230.5, "p", None),
], key=str)
# Line of each (sex, age, geo, time_period) in same/demo_r_pjangrp3.csv and .tsv (TSV: the series' line).
CSV_LINES = {("F", "TOTAL", "BE254", "2023"): 2, ("F", "TOTAL", "BE254", "2024"): 3, ("F", "Y_GE90", "BE100", "2023"): 4,
             ("F", "Y_GE90", "BE100", "2024"): 5, ("M", "TOTAL", "BE254", "2023"): 6, ("M", "TOTAL", "BE254", "2024"): 7,
             ("T", "TOTAL", "BE254", "2023"): 8, ("T", "TOTAL", "BE254", "2024"): 9}
TSV_LINES = {("F", "TOTAL", "BE254"): 2, ("F", "Y_GE90", "BE100"): 3, ("M", "TOTAL", "BE254"): 4, ("T", "TOTAL", "BE254"): 5}

POP_COLUMNS = [("year", "INTEGER"), ("area_code", "VARCHAR"), ("sex_code", "VARCHAR"), ("age_class", "VARCHAR"),
               ("population", "DOUBLE"), ("obs_flag", "VARCHAR"), ("conf_status", "VARCHAR"), ("file_name", "VARCHAR"),
               ("line", "BIGINT"), ("rows", "BIGINT")]
LFS_COLUMNS = [("year", "INTEGER"), ("geo", "VARCHAR"), ("sex", "VARCHAR"), ("age", "VARCHAR"), ("nace_r2", "VARCHAR"),
               ("unit", "VARCHAR"), ("value", "DOUBLE"), ("obs_flag", "VARCHAR"), ("conf_status", "VARCHAR"),
               ("file_name", "VARCHAR"), ("line", "BIGINT")]
TAB = "\t"
TSV_HEADER = f"freq,unit,sex,age,geo\\TIME_PERIOD{TAB}2023 {TAB}2024 "
CSV_HEADER = "DATAFLOW,LAST UPDATE,freq,unit,sex,age,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG,CONF_STATUS"
CSV_PREFIX = "ESTAT:DEMO_R_PJANGRP3(1.0),14/03/25 23:00:00,"


# --- helpers -----------------------------------------------------------------------------------------------------


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    yield con
    con.close()


def observations(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple]:
    """(sex, age, geo, time_period, obs_value, obs_flag, conf_status), sorted, read by the generic reader."""
    read = eurostat.read_dataset(con, path)
    assert set(read.dimensions) == set(DIMS)
    return sorted(con.execute(f"SELECT sex, age, geo, {', '.join(OBS)} FROM {read.table}").fetchall(), key=str)


def raw_with(tmp_path: Path, *files: tuple[str, str | bytes]) -> Path:
    """A raw_dir whose eu/eurostat folder holds ``files`` (name, text or bytes)."""
    raw = tmp_path / "raw"
    folder = raw / eurostat.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files:
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return raw


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def load_error(tmp_path: Path, name: str, content: str | bytes, loader=eurostat.load_population) -> InputError:
    raw = raw_with(tmp_path, (name, content))
    with pytest.raises(InputError) as caught:
        loader(duckdb.connect(), raw)
    return caught.value


# --- reading -----------------------------------------------------------------------------------------------------


def test_sdmx_csv_and_tsv_give_the_same_observations(con):
    from_csv = observations(con, FIXTURES / "same" / f"{POP}.csv")
    from_tsv = observations(con, FIXTURES / "same" / f"{POP}.tsv")
    assert from_csv == EXPECTED
    assert from_tsv == EXPECTED


def test_read_columns_formats_and_lines(con):
    read = eurostat.read_dataset(con, FIXTURES / "same" / f"{POP}.csv", "_pop_csv")
    assert (read.format, read.dimensions, read.observations) == (eurostat.SDMX_CSV, DIMS, 8)
    described = con.execute("SELECT column_name, column_type FROM (DESCRIBE _pop_csv)").fetchall()
    assert described == [(d, "VARCHAR") for d in DIMS] + [
        ("time_period", "VARCHAR"), ("obs_value", "DOUBLE"), ("obs_flag", "VARCHAR"), ("conf_status", "VARCHAR"),
        ("last_update", "VARCHAR"), ("line", "BIGINT")]
    lines = {r[:4]: r[4] for r in con.execute("SELECT sex, age, geo, time_period, line FROM _pop_csv").fetchall()}
    assert lines == CSV_LINES
    assert con.execute("SELECT DISTINCT last_update FROM _pop_csv").fetchall() == [("14/03/25 23:00:00",)]

    read = eurostat.read_dataset(con, FIXTURES / "same" / f"{POP}.tsv", "_pop_tsv")
    assert (read.format, read.dimensions, read.observations) == (eurostat.TSV, DIMS, 8)
    rows = con.execute("SELECT sex, age, geo, time_period, line, last_update FROM _pop_tsv").fetchall()
    assert {r[:4]: r[4] for r in rows} == {k: TSV_LINES[k[:3]] for k in CSV_LINES}
    assert {r[5] for r in rows} == {None}


@pytest.mark.parametrize("name", ["reordered/demo_r_pjangrp3.csv", "reordered/demo_r_pjangrp3.tsv"])
def test_dimension_order_is_read_from_the_header(con, name):
    read = eurostat.read_dataset(con, FIXTURES / name)
    assert read.dimensions == (("freq", "geo", "unit", "age", "sex") if name.endswith(".csv")
                               else ("freq", "geo", "age", "unit", "sex"))
    assert observations(con, FIXTURES / name) == EXPECTED


def test_sdmx_csv_without_conf_status_column(con):
    path = FIXTURES / "reordered" / f"{POP}.csv"
    assert "CONF_STATUS" not in path.read_text(encoding="utf-8").splitlines()[0]
    eurostat.read_dataset(con, path)
    assert con.execute("SELECT count(*), count(conf_status) FROM _eurostat").fetchone() == (8, 0)


@pytest.mark.parametrize("source, name, compress", [
    ("same/demo_r_pjangrp3.tsv", "demo_r_pjangrp3.tsv.gz", True),
    ("same/demo_r_pjangrp3.csv", "demo_r_pjangrp3.csv.gz", True),
    ("same/demo_r_pjangrp3.tsv", "demo_r_pjangrp3.tsv", False),
    # Detected by content, not by name: gzip under a plain name, plain text under a .gz name.
    ("same/demo_r_pjangrp3.csv", "demo_r_pjangrp3.csv", True),
    ("same/demo_r_pjangrp3.tsv", "demo_r_pjangrp3.tsv.gz", False),
    # A TSV saved with a .csv name is still read as TSV.
    ("same/demo_r_pjangrp3.tsv", "demo_r_pjangrp3.csv", False),
])
def test_gzip_and_plain_detected_from_content(con, tmp_path, source, name, compress):
    data = (FIXTURES / source).read_bytes()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if compress else data)
    assert observations(con, path) == EXPECTED
    read = eurostat.read_dataset(con, path)
    assert read.format == (eurostat.TSV if source.endswith(".tsv") else eurostat.SDMX_CSV)


def test_crlf_line_ends_and_bom(con, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbf" + fixture_text(f"same/{POP}.csv").replace("\n", "\r\n").encode())
    assert observations(con, path) == EXPECTED
    path.write_bytes(fixture_text(f"same/{POP}.tsv").replace("\n", "\r\n").encode())
    assert observations(con, path) == EXPECTED


def test_suppressed_rule_sql_and_python_agree(con):
    cases = [(None, None, False), ("c", None, True), ("bc", None, True), ("p", None, False), (None, "C", True),
             ("e", "N", True), (None, "P", True), ("u", "", False), ("bep", None, False), (None, "F", False)]
    for flag, status, expected in cases:
        assert eurostat.is_suppressed(flag, status) is expected, (flag, status)
        got = con.execute(f"SELECT {eurostat.SUPPRESSED_SQL} FROM (SELECT ?::VARCHAR AS obs_flag, "
                          "?::VARCHAR AS conf_status)", [flag, status]).fetchone()[0]
        assert got is expected, (flag, status)


# --- population loader -------------------------------------------------------------------------------------------


def test_load_population_from_tsv_legacy_confidential(con, tmp_path):
    raw = raw_with(tmp_path, (f"{POP}.tsv.gz", gzip.compress((FIXTURES / "same" / f"{POP}.tsv").read_bytes())))
    info = eurostat.load_population(con, raw)
    assert con.execute("SELECT column_name, column_type FROM (DESCRIBE src.eu_eurostat_population)").fetchall() \
        == POP_COLUMNS
    rows = con.execute("SELECT * FROM src.eu_eurostat_population ORDER BY line, year").fetchall()
    name = f"{POP}.tsv.gz"
    assert rows == [
        (2023, "BE254", "F", "TOTAL", 154000.0, None, None, name, 2, 1),
        (2024, "BE254", "F", "TOTAL", 155210.0, "p", None, name, 2, 1),
        (2023, "BE100", "F", "Y_GE90", None, "c", None, name, 3, 1),
        (2024, "BE100", "F", "Y_GE90", None, None, None, name, 3, 1),
        (2023, "BE254", "M", "TOTAL", 146500.0, None, None, name, 4, 1),
        (2024, "BE254", "M", "TOTAL", 147020.5, "bep", None, name, 4, 1),
        (2023, "BE254", "T", "TOTAL", 300500.0, None, None, name, 5, 1),
        (2024, "BE254", "T", "TOTAL", 302230.5, "p", None, name, 5, 1),
    ]
    assert {k: v for k, v in info.items() if k != "sources"} == {
        "source_id": "eu_eurostat_population", "file": name, "format": "tsv", "dimensions": list(DIMS),
        "observations": 8, "years": [2023, 2024], "suppressed": 1, "missing": 1, "last_update": None}
    source = con.execute("SELECT source_id, file_name, rows, reference_period, producer, url, licence, synthetic "
                         "FROM meta.sources").fetchall()
    assert source == [("eu_eurostat_population", name, 8, "2023-2024", "Eurostat",
                       eurostat.API_URL.format(dataset=POP), eurostat.LICENCE, False)]
    assert info["sources"][0]["sha256"] == con.execute("SELECT sha256 FROM meta.sources").fetchone()[0]


def test_load_population_new_style_conf_status(con, tmp_path):
    raw = raw_with(tmp_path, (f"{POP}.csv", fixture_text(f"conf_status/{POP}.csv")))
    info = eurostat.load_population(con, raw)
    rows = con.execute("SELECT year, area_code, sex_code, age_class, population, obs_flag, conf_status, line "
                       "FROM src.eu_eurostat_population ORDER BY line").fetchall()
    assert rows == [
        (2024, "BE100", "F", "Y_GE90", None, None, "C", 2),
        (2024, "BE100", "M", "Y_GE90", None, "e", "N", 3),
        (2024, "BE100", "T", "Y_GE90", None, None, "P", 4),  # the file's 17 is not staged: confidential
        (2024, "BE100", "T", "TOTAL", 1250000.0, "e", None, 5),
    ]
    assert (info["format"], info["suppressed"], info["missing"], info["last_update"]) == \
        ("sdmx-csv", 3, 0, "2025-03-20 11:00:00")


def test_load_population_reload_replaces_table_and_source(con, tmp_path):
    raw = raw_with(tmp_path, (f"{POP}.csv", fixture_text(f"same/{POP}.csv")))
    eurostat.load_population(con, raw)
    (raw / eurostat.FOLDER / f"{POP}.csv").unlink()
    (raw / eurostat.FOLDER / f"{POP}_2025.tsv").write_text(fixture_text(f"conf_status/{POP}.csv"))
    eurostat.load_population(con, raw)
    assert con.execute("SELECT count(*), min(file_name) FROM src.eu_eurostat_population").fetchone() == \
        (4, f"{POP}_2025.tsv")
    assert con.execute("SELECT file_name, rows FROM meta.sources").fetchall() == [(f"{POP}_2025.tsv", 4)]


def test_load_lfs_employment(con, tmp_path):
    raw = raw_with(tmp_path, ("estat_lfst_r_lfe2en2.tsv", fixture_text("lfst_r_lfe2en2.tsv")))
    info = eurostat.load_lfs_employment(con, raw)
    assert con.execute("SELECT column_name, column_type FROM (DESCRIBE src.eu_eurostat_lfs_employment)").fetchall() \
        == LFS_COLUMNS
    name = "estat_lfst_r_lfe2en2.tsv"
    assert con.execute("SELECT * FROM src.eu_eurostat_lfs_employment ORDER BY line, year").fetchall() == [
        (2023, "BE34", "F", "Y15-64", "L", "THS_PER", None, "c", None, name, 2),
        (2024, "BE34", "F", "Y15-64", "L", "THS_PER", 1.2, "u", None, name, 2),
        (2023, "FRE1", "T", "Y_GE15", "TOTAL", "THS_PER", 1523.4, None, None, name, 3),
        (2024, "FRE1", "T", "Y_GE15", "TOTAL", "THS_PER", 1530.1, "p", None, name, 3),
    ]
    assert (info["source_id"], info["observations"], info["suppressed"], info["missing"]) == ("eu_eurostat_lfs", 4, 1, 0)
    assert con.execute("SELECT source_id, reference_period, url FROM meta.sources").fetchall() == [
        ("eu_eurostat_lfs", "2023-2024", eurostat.API_URL.format(dataset="lfst_r_lfe2en2"))]


def test_available_and_candidates(tmp_path):
    raw = raw_with(tmp_path, (f"{POP}.tsv.gz", b""), (f"{POP}.tsv.gz.origin.json", "{}"), ("README.md", "x"))
    assert eurostat.available(raw, POP) == raw / eurostat.FOLDER / f"{POP}.tsv.gz"
    assert eurostat.available(raw, eurostat.LFS_DATASET) is None
    assert eurostat.available(tmp_path / "nowhere", POP) is None


# --- errors ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_html_page_is_not_eurostat(tmp_path, compress):
    html = "<!DOCTYPE html>\n<html><body>Service unavailable</body></html>\n"
    error = load_error(tmp_path, f"{POP}.tsv.gz", gzip.compress(html.encode()) if compress else html)
    assert "not an Eurostat SDMX-CSV or TSV file" in str(error)
    assert error.path.name == f"{POP}.tsv.gz" and f"{POP}.tsv.gz" in str(error)
    assert error.line == 1


@pytest.mark.parametrize("content", [b"", b"\x1f\x8b\x08\x00garbage", b"PK\x03\x04\x00\x00\xff\xfe binary"])
def test_empty_broken_or_binary_file(tmp_path, content):
    error = load_error(tmp_path, f"{POP}.tsv.gz", content)
    assert f"{POP}.tsv.gz" in str(error)


@pytest.mark.parametrize("bad", ["12,3 p", "abc", "12.3p", "12.3 P", "", "- p"])
def test_bad_tsv_cell_names_line_period_and_value(tmp_path, bad):
    lines = fixture_text(f"same/{POP}.tsv").splitlines()
    lines[3] = f"A,NR,M,TOTAL,BE254{TAB}146500 {TAB}{bad}"  # line 4, period 2024
    error = load_error(tmp_path, f"{POP}.tsv", "\n".join(lines) + "\n")
    assert (error.line, error.column, error.value) == (4, "2024", bad.strip())
    assert "TSV cell" in error.problem and f"{POP}.tsv, line 4, column 2024" in str(error)


def test_bad_csv_obs_value(tmp_path):
    lines = fixture_text(f"same/{POP}.csv").splitlines()
    lines[5] = lines[5].replace(",146500,", ",146 500,")  # line 6
    error = load_error(tmp_path, f"{POP}.csv", "\n".join(lines) + "\n")
    assert (error.line, error.column, error.value) == (6, "OBS_VALUE", "146 500")


@pytest.mark.parametrize("header, missing", [
    ("DATAFLOW,LAST UPDATE,freq,unit,sex,age,geo,TIME_PERIOD,VALUE,OBS_FLAG,CONF_STATUS", "OBS_VALUE"),
    ("DATAFLOW,LAST UPDATE,freq,unit,sex,age,geo,PERIOD,OBS_VALUE,OBS_FLAG,CONF_STATUS", "TIME_PERIOD"),
])
def test_csv_header_without_required_column(tmp_path, header, missing):
    text = header + "\n" + CSV_PREFIX + "A,NR,F,TOTAL,BE254,2023,1,,\n"
    error = load_error(tmp_path, f"{POP}.csv", text)
    assert f"no {missing} column" in error.problem and error.line == 1


def test_tsv_header_without_time_period(tmp_path):
    text = f"freq,unit,sex,age,geo\\time{TAB}2023 \nA,NR,F,TOTAL,BE254{TAB}1 \n"
    error = load_error(tmp_path, f"{POP}.tsv", text)
    assert "\\TIME_PERIOD" in error.problem and error.value == "freq,unit,sex,age,geo\\time"


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_missing_dimension_age(tmp_path, fmt):
    if fmt == "csv":
        text = ("DATAFLOW,LAST UPDATE,freq,unit,sex,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG,CONF_STATUS\n"
                + CSV_PREFIX + "A,NR,F,BE254,2023,1,,\n")
    else:
        text = f"freq,unit,sex,geo\\TIME_PERIOD{TAB}2023 \nA,NR,F,BE254{TAB}1 \n"
    error = load_error(tmp_path, f"{POP}.{fmt}", text)
    assert "dimension 'age' is missing" in error.problem


def test_unexpected_dimension(tmp_path):
    text = f"freq,unit,sex,age,citizen,geo\\TIME_PERIOD{TAB}2023 \nA,NR,F,TOTAL,FOR,BE254{TAB}1 \n"
    error = load_error(tmp_path, f"{POP}.tsv", text)
    assert "unexpected dimension 'citizen'" in error.problem


def test_unit_other_than_nr(tmp_path):
    text = TSV_HEADER + f"\nA,NR,F,TOTAL,BE254{TAB}1 {TAB}2 \nA,PC,F,TOTAL,BE254{TAB}1 {TAB}2 \n"
    error = load_error(tmp_path, f"{POP}.tsv", text)
    assert (error.line, error.column, error.value) == (3, "unit", "PC")


def test_non_annual_period(tmp_path):
    text = CSV_HEADER + "\n" + CSV_PREFIX + "A,NR,F,TOTAL,BE254,2023,1,,\n" + CSV_PREFIX + "A,NR,F,TOTAL,BE254,2023-Q1,1,,\n"
    error = load_error(tmp_path, f"{POP}.csv", text)
    assert (error.line, error.column, error.value) == (3, "TIME_PERIOD", "2023-Q1")


def test_two_candidate_files(tmp_path):
    text = fixture_text(f"same/{POP}.csv")
    raw = raw_with(tmp_path, (f"{POP}.csv", text), (f"{POP}_2024.tsv.gz", gzip.compress(text.encode())))
    with pytest.raises(InputError, match=rf"2 {POP} files, expected one: {POP}.csv, {POP}_2024.tsv.gz"):
        eurostat.load_population(duckdb.connect(), raw)


def test_no_file(tmp_path):
    raw = raw_with(tmp_path, ("lfst_r_lfe2en2.tsv", fixture_text("lfst_r_lfe2en2.tsv")))
    with pytest.raises(InputError, match=f"no {POP} file"):
        eurostat.load_population(duckdb.connect(), raw)


def test_blank_line_inside_the_file(tmp_path):
    lines = fixture_text(f"same/{POP}.csv").splitlines()
    error = load_error(tmp_path, f"{POP}.csv", "\n".join(lines[:4] + [""] + lines[4:]) + "\n\n")
    assert error.line == 5 and "empty line" in error.problem


def test_trailing_blank_lines_are_harmless(con, tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text(fixture_text(f"same/{POP}.tsv") + "\n\n")
    assert observations(con, path) == EXPECTED


def test_tsv_line_with_a_missing_cell(tmp_path):
    lines = fixture_text(f"same/{POP}.tsv").splitlines()
    lines[2] = f"A,NR,F,Y_GE90,BE100{TAB}: c"  # line 3: one period short
    error = load_error(tmp_path, f"{POP}.tsv", "\n".join(lines) + "\n")
    assert error.line == 3


def test_tsv_series_key_of_the_wrong_length(tmp_path):
    lines = fixture_text(f"same/{POP}.tsv").splitlines()
    lines[4] = f"A,NR,T,BE254{TAB}1 {TAB}2 "
    error = load_error(tmp_path, f"{POP}.tsv", "\n".join(lines) + "\n")
    assert (error.line, error.value) == (5, "A,NR,T,BE254") and "5 comma-separated values" in error.problem


def test_repeated_observation(tmp_path):
    lines = fixture_text(f"same/{POP}.csv").splitlines()
    error = load_error(tmp_path, f"{POP}.csv", "\n".join(lines + [lines[2]]) + "\n")
    assert error.line == 10 and "also on line 3" in error.problem


def test_failed_load_keeps_the_previous_table(con, tmp_path):
    raw = raw_with(tmp_path, (f"{POP}.csv", fixture_text(f"same/{POP}.csv")))
    eurostat.load_population(con, raw)
    (raw / eurostat.FOLDER / f"{POP}.csv").write_text("<html></html>\n")
    with pytest.raises(InputError):
        eurostat.load_population(con, raw)
    assert con.execute("SELECT count(*) FROM src.eu_eurostat_population").fetchone()[0] == 8


# --- sample ------------------------------------------------------------------------------------------------------

YEARS = (2022, 2023, 2024)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, duckdb.DuckDBPyConnection, dict, dict]:
    out = tmp_path_factory.mktemp("sample")
    written = write_eurostat_sample(out, YEARS, 7, 1.0)
    assert [p.name for p in written] == [POPULATION_FILE, POPULATION_FILE + ".origin.json", LFS_FILE,
                                         LFS_FILE + ".origin.json"]
    con = duckdb.connect()
    population = eurostat.load_population(con, out)
    lfs = eurostat.load_lfs_employment(con, out)
    return out, con, population, lfs


def test_sample_loads_with_both_loaders(sample):
    out, con, population, lfs = sample
    assert (population["format"], lfs["format"]) == ("sdmx-csv", "tsv")
    assert population["years"] == population_years(YEARS) == [2022, 2023, 2024, 2025]
    assert lfs["years"] == list(YEARS)
    assert (population["suppressed"], population["missing"]) == (1, 1)
    assert lfs["suppressed"] > 0 and lfs["missing"] > 0
    for name in (POPULATION_FILE, LFS_FILE):
        path = out / "eu" / "eurostat" / name
        assert path.read_bytes()[:2] == b"\x1f\x8b" and path.stat().st_size < 300_000
    assert con.execute("SELECT bool_and(synthetic), count(*) FROM meta.sources").fetchone() == (True, 2)


def test_sample_totals_add_up(sample):
    _, con, _, _ = sample
    # BE254 TOTAL: T = F + M, every year.
    rows = con.execute("""SELECT year, sum(population) FILTER (WHERE sex_code IN ('F', 'M')),
                                 any_value(population) FILTER (WHERE sex_code = 'T')
                          FROM src.eu_eurostat_population WHERE area_code = 'BE254' AND age_class = 'TOTAL'
                          GROUP BY year ORDER BY year""").fetchall()
    assert len(rows) == 4 and all(fm == t and t > 100_000 for _, fm, t in rows)
    # Y_GE85 = Y85-89 + Y_GE90 wherever the three are published.
    checked, wrong = con.execute("""
        WITH p AS (PIVOT (SELECT year, area_code, sex_code, age_class, population FROM src.eu_eurostat_population
                          WHERE age_class IN ('Y_GE85', 'Y85-89', 'Y_GE90'))
                   ON age_class USING any_value(population))
        SELECT count(*), count(*) FILTER (WHERE "Y_GE85" <> "Y85-89" + "Y_GE90") FROM p
        WHERE "Y_GE85" IS NOT NULL AND "Y85-89" IS NOT NULL AND "Y_GE90" IS NOT NULL""").fetchone()
    assert checked > 400 and wrong == 0
    # The bands and UNK make TOTAL (F, M, T), everywhere nothing is missing.
    wrong = con.execute("""
        SELECT count(*) FROM (
            SELECT sum(population) FILTER (WHERE age_class NOT IN ('TOTAL', 'Y85-89', 'Y_GE90')) AS parts,
                   any_value(population) FILTER (WHERE age_class = 'TOTAL') AS total, count(population) AS n
            FROM src.eu_eurostat_population GROUP BY year, area_code, sex_code)
        WHERE n = 22 AND parts <> total""").fetchone()[0]
    assert wrong == 0
    assert con.execute("SELECT sum(population) FROM src.eu_eurostat_population WHERE age_class = 'UNK'").fetchone()[0] > 0


def test_sample_special_cells(sample):
    _, con, _, _ = sample
    special = special_population_cells(YEARS)
    flagged = con.execute("""SELECT area_code, year, sex_code, age_class, population, obs_flag, conf_status
                             FROM src.eu_eurostat_population WHERE conf_status IS NOT NULL OR population IS NULL
                             ORDER BY ALL""").fetchall()
    assert sorted(flagged) == sorted([(*special["confidential"], None, None, "C"), (*special["missing"], None, "m", None)])
    assert special["confidential"][1] == 2025 and special["missing"][1] == 2022
    provisional = con.execute("SELECT DISTINCT area_code, year FROM src.eu_eurostat_population WHERE obs_flag = 'p' "
                              "ORDER BY ALL").fetchall()
    assert provisional == sorted((g, 2025) for g in PROVISIONAL_GEOS)
    assert con.execute("SELECT count(*) FROM src.eu_eurostat_population WHERE area_code = 'BE254' AND year = 2025 "
                       "AND obs_flag IS DISTINCT FROM 'p'").fetchone()[0] == 0


def test_sample_lfs_cells(sample):
    _, con, _, _ = sample
    assert con.execute("SELECT count(DISTINCT geo), count(DISTINCT nace_r2), count(DISTINCT sex), count(DISTINCT age), "
                       "list(DISTINCT unit) FROM src.eu_eurostat_lfs_employment").fetchone() == (10, 11, 3, 2, ["THS_PER"])
    flags = dict(con.execute("SELECT coalesce(obs_flag, '') || '/' || (value IS NULL), count(*) "
                             "FROM src.eu_eurostat_lfs_employment GROUP BY 1").fetchall())
    assert set(flags) == {"/false", "/true", "c/true", "u/true", "u/false"}
    # T = F + M to the rounding of one decimal.
    wrong = con.execute("""
        SELECT count(*) FROM (
            SELECT sum(value) FILTER (WHERE sex IN ('F', 'M')) AS fm, any_value(value) FILTER (WHERE sex = 'T') AS t,
                   count(value) AS n
            FROM src.eu_eurostat_lfs_employment GROUP BY year, geo, age, nace_r2)
        WHERE n = 3 AND abs(fm - t) > 0.051""").fetchone()[0]
    assert wrong == 0


def test_sample_is_deterministic(tmp_path):
    a = write_eurostat_sample(tmp_path / "a", YEARS, 7, 1.0)
    b = write_eurostat_sample(tmp_path / "b", YEARS, 7, 1.0)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    c = write_eurostat_sample(tmp_path / "c", YEARS, 8, 1.0)
    assert a[2].read_bytes() != c[2].read_bytes()  # the LFS values depend on the seed


def test_committed_sample_loads_if_present(con):
    raw = Path(__file__).parents[1] / "data" / "raw"
    if eurostat.available(raw, POP) is None:
        pytest.skip("no Eurostat sample in data/raw")
    assert eurostat.load_population(con, raw)["observations"] > 0


def test_repeated_tsv_series(tmp_path):
    lines = fixture_text(f"same/{POP}.tsv").splitlines()
    error = load_error(tmp_path, f"{POP}.tsv", "\n".join(lines + [lines[2].replace("BE100", " BE100")]) + "\n")
    assert error.line == 6 and "series repeated" in error.problem and "also on line 3" in error.problem


def test_tsv_legacy_flags_with_confidential_letter(con, tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text(TSV_HEADER + f"\nA,NR,F,TOTAL,BE254{TAB}: bc{TAB}12 bc\n")
    eurostat.read_dataset(con, path)
    rows = con.execute(f"SELECT time_period, obs_value, obs_flag, {eurostat.SUPPRESSED_SQL} FROM _eurostat "
                       "ORDER BY 1").fetchall()
    assert rows == [("2023", None, "bc", True), ("2024", 12.0, "bc", True)]
    raw = raw_with(tmp_path, (f"{POP}.tsv", path.read_text()))
    eurostat.load_population(con, raw)
    # A value beside a confidential flag is not staged.
    assert con.execute("SELECT population FROM src.eu_eurostat_population").fetchall() == [(None,), (None,)]
