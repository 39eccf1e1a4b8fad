"""The open exports (observatory/export.py, the asset observatory_exports, `observatory export`) on the built sample."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE
from openpyxl import load_workbook

from observatory import cli, export, schema
from observatory.config import PUBLISHED_FILE_NAME

FORMULA = '=HYPERLINK("http://example.invalid/x","click")'
# The cells the fixture sets by hand in its copy of the published database.
KNOWN = "year = 2023 AND geo = 'FWVL' AND family = 'ESS' AND nace_a10 = 'TOTAL' AND age_band = 'TOTAL'"


def _published_copy(sample_build, folder: Path) -> Path:
    """A warehouse folder holding a copy of the sample's published database only (what an export reads); its
    disclosure audit passed in the build (the build fails otherwise)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(sample_build.warehouse / PUBLISHED_FILE_NAME, folder / PUBLISHED_FILE_NAME)
    with duckdb.connect(str(folder / PUBLISHED_FILE_NAME), read_only=True) as con:
        assert con.execute("SELECT disclosure_audit FROM meta.release").fetchone()[0].startswith("passed: ")
    return folder


def _edit(warehouse: Path, *statements: str) -> None:
    with duckdb.connect(str(warehouse / PUBLISHED_FILE_NAME)) as con:
        for statement in statements:
            con.execute(statement)


@pytest.fixture(scope="module")
def exported(sample_build, tmp_path_factory) -> export.ExportResult:
    """One export of the sample, in which a label carries a formula, the ESS total of 2023 (sex T) has the FTE 1234.5
    and the same cell for women carries a value beside a conf_status A (a value the export must blank)."""
    warehouse = _published_copy(sample_build, tmp_path_factory.mktemp("export") / "warehouse")
    with duckdb.connect(str(warehouse / PUBLISHED_FILE_NAME)) as con:
        assert con.execute(f"UPDATE mart.jobs SET fte = 1234.5, conf_status = NULL WHERE {KNOWN} AND sex = 'T' "
                           "RETURNING jobs").fetchall()[0][0] > 0
        assert con.execute(f"UPDATE mart.jobs SET jobs = coalesce(jobs, 777), conf_status = 'A' WHERE {KNOWN} "
                           "AND sex = 'F' RETURNING jobs").fetchall()[0][0] > 0
        con.execute("UPDATE mart.dim_geo SET label_fr = ? WHERE geo = 'FRE11'", [FORMULA])
    return export.export(warehouse)


def _db(result: export.ExportResult) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(result.folder.parents[1] / PUBLISHED_FILE_NAME), read_only=True)


def _csv(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as file:
        return list(csv.DictReader(file, delimiter=delimiter))


# ---------------------------------------------------------------- layout, release, checksums


def test_the_release_folder_is_named_after_built_at_and_holds_every_format(exported):
    with _db(exported) as con:
        built_at = con.execute("SELECT strftime(timezone('UTC', built_at), '%Y%m%dT%H%M%SZ') FROM meta.release"
                               ).fetchone()[0]
    assert exported.release == built_at and exported.folder.name == built_at
    assert exported.folder.parent == exported.folder.parents[1] / "exports"
    expected = {f"{kind}/{t.name}.{ext}" for t in schema.PUBLISHED_TABLES
                for kind, ext in (("parquet", "parquet"), ("csv", "csv"), ("csv-fr-be", "csv"))}
    expected |= {"sdmx/DESIR_JOBS.csv", "sdmx/DESIR_INDICATORS.csv", "observatory.xlsx", "datapackage.json",
                 "SHA256SUMS"}
    on_disk = {p.relative_to(exported.folder).as_posix() for p in exported.folder.rglob("*") if p.is_file()}
    assert on_disk == expected == set(exported.files)
    assert exported.bytes == sum(p.stat().st_size for p in exported.folder.rglob("*") if p.is_file())
    # Nothing half-written is left beside it.
    assert [p.name for p in exported.folder.parent.iterdir() if p.name != export.LOCK_FILE] == [exported.release]


def test_sha256sums_lists_every_other_file_and_verifies(exported):
    lines = (exported.folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)  # sha256sum's text mode: two spaces
        listed[name] = digest
    assert set(listed) == set(exported.files) - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256((exported.folder / name).read_bytes()).hexdigest() == digest, name
    assert list(listed) == sorted(listed)


# ---------------------------------------------------------------- Parquet and CSV


def test_parquet_has_every_row_of_the_database_with_its_types(exported):
    with _db(exported) as con:
        for table in schema.PUBLISHED_TABLES:
            path = exported.folder / "parquet" / f"{table.name}.parquet"
            assert con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0] == \
                con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0] == exported.rows[table.name]
        types = dict(con.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                 [str(exported.folder / "parquet" / "mart.jobs.parquet")]).fetchall()[i][:2]
                     for i in range(len(schema.JOBS.columns)))
    assert types["jobs"] == "DOUBLE" and types["year"] == "INTEGER" and types["units"] == "BIGINT"


def test_csv_rows_equal_the_database_and_the_known_cell_reads_with_a_point(exported):
    jobs = _csv(exported.folder / "csv" / "mart.jobs.csv")
    assert len(jobs) == exported.rows["mart.jobs"]
    assert list(jobs[0]) == [c.name for c in schema.JOBS.columns]
    known = [r for r in jobs if (r["year"], r["geo"], r["family"], r["nace_a10"], r["sex"], r["age_band"]) ==
             ("2023", "FWVL", "ESS", "TOTAL", "T", "TOTAL")]
    assert [r["fte"] for r in known] == ["1234.5"]
    assert (exported.folder / "csv" / "mart.jobs.csv").read_bytes()[:4] == b"year"  # no BOM in the plain CSV


def test_fr_be_csv_has_a_bom_semicolons_and_a_decimal_comma(exported):
    path = exported.folder / "csv-fr-be" / "mart.jobs.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfyear;country;geo;")
    rows = _csv(path, ";", "utf-8-sig")
    assert len(rows) == exported.rows["mart.jobs"]
    known = [r for r in rows if (r["year"], r["geo"], r["family"], r["nace_a10"], r["sex"], r["age_band"]) ==
             ("2023", "FWVL", "ESS", "TOTAL", "T", "TOTAL")]
    assert [r["fte"] for r in known] == ["1234,5"]
    assert "." not in known[0]["jobs"] and known[0]["jobs"].isdigit()  # a whole number: no decimals
    # A negative number stays a number (no quote before it): text neutralising is for text columns only.
    with _db(exported) as con:
        lowest = con.execute("SELECT min(value) FROM mart.indicators").fetchone()[0]
    assert lowest < 0
    values = [r["value"] for r in _csv(exported.folder / "csv-fr-be" / "mart.indicators.csv", ";", "utf-8-sig")]
    assert str(lowest).replace(".", ",") in values
    assert not any(v.startswith("'") for v in values)


def test_a_suppressed_value_is_an_empty_cell_never_zero_and_keeps_its_code(exported):
    with _db(exported) as con:
        suppressed = con.execute("SELECT count(*) FROM mart.jobs WHERE conf_status IS NOT NULL").fetchone()[0]
        # The cell the fixture marked A still has its value in the database: the export must drop it.
        assert con.execute(f"SELECT jobs FROM mart.jobs WHERE {KNOWN} AND sex = 'F'").fetchone()[0] > 0
    for folder, delimiter, encoding in (("csv", ",", "utf-8"), ("csv-fr-be", ";", "utf-8-sig")):
        rows = _csv(exported.folder / folder / "mart.jobs.csv", delimiter, encoding)
        marked = [r for r in rows if r["conf_status"]]
        assert len(marked) == suppressed
        assert {r["conf_status"] for r in marked} == {"A", "O", "D"}
        assert [r["jobs"] for r in marked if (r["year"], r["geo"], r["family"], r["nace_a10"], r["sex"],
                                              r["age_band"]) == ("2023", "FWVL", "ESS", "TOTAL", "F", "TOTAL")] == [""]
        assert all(r["jobs"] == "" and r["fte"] == "" for r in marked), folder
    parquet = exported.folder / "parquet" / "mart.jobs.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM '{parquet}' WHERE conf_status IS NOT NULL AND (jobs IS NOT NULL OR "
                      "fte IS NOT NULL)").fetchall() == [(0,)]


def test_every_conf_status_code_suppresses_the_value(sample_build, tmp_path, quick_xlsx):
    # The SDMX codes A (small count), O (dominance) and D (secondary), set here on published cells: each blanks it.
    warehouse = _published_copy(sample_build, tmp_path / "warehouse")
    _edit(warehouse, *(f"UPDATE mart.jobs SET conf_status = '{code}' WHERE {KNOWN} AND sex = '{sex}'"
                       for code, sex in (("A", "F"), ("O", "M"), ("D", "T"))))
    result = export.export(warehouse)
    parquet = result.folder / "parquet" / "mart.jobs.parquet"
    assert duckdb.sql(f"SELECT sex, conf_status, jobs, fte FROM '{parquet}' WHERE {KNOWN} ORDER BY sex").fetchall() == [
        ("F", "A", None, None), ("M", "O", None, None), ("T", "D", None, None)]
    rows = [r for r in _csv(result.folder / "csv-fr-be" / "mart.jobs.csv", ";", "utf-8-sig")
            if (r["year"], r["geo"], r["family"], r["nace_a10"], r["age_band"]) == ("2023", "FWVL", "ESS", "TOTAL",
                                                                                   "TOTAL")]
    assert sorted((r["sex"], r["conf_status"], r["jobs"], r["fte"]) for r in rows) == [
        ("F", "A", "", ""), ("M", "O", "", ""), ("T", "D", "", "")]
    sdmx = [r for r in _csv(result.folder / "sdmx" / "DESIR_JOBS.csv") if (r["TIME_PERIOD"], r["GEO"], r["FAMILY"],
            r["NACE_A10"], r["AGE"]) == ("2023", "FWVL", "ESS", "TOTAL", "TOTAL")]
    assert {(r["SEX"], r["CONF_STATUS"], r["OBS_VALUE"]) for r in sdmx} == {("F", "A", ""), ("M", "O", ""),
                                                                            ("T", "D", "")}


# ---------------------------------------------------------------- SDMX-CSV


def test_sdmx_csv_has_the_dataflow_dimensions_and_attributes(exported):
    jobs = _csv(exported.folder / "sdmx" / "DESIR_JOBS.csv")
    assert list(jobs[0]) == ["DATAFLOW", "FREQ", "GEO", "FAMILY", "NACE_A10", "SEX", "AGE", "TIME_PERIOD",
                             "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS", "CONF_STATUS"]
    assert {r["DATAFLOW"] for r in jobs} == {"DESIR:DESIR_JOBS(1.0)"}
    assert len(jobs) == 2 * exported.rows["mart.jobs"]  # one observation of JOBS and one of FTE per cell
    assert {r["UNIT_MEASURE"] for r in jobs} == {"JOBS", "FTE"}
    known = {r["UNIT_MEASURE"]: r for r in jobs if (r["TIME_PERIOD"], r["GEO"], r["FAMILY"], r["NACE_A10"], r["SEX"],
                                                    r["AGE"]) == ("2023", "FWVL", "ESS", "TOTAL", "T", "TOTAL")}
    assert known["FTE"]["OBS_VALUE"] == "1234.5" and known["FTE"]["OBS_STATUS"] == "A"
    confidential = [r for r in jobs if r["CONF_STATUS"]]
    assert confidential and all(r["OBS_VALUE"] == "" and r["OBS_STATUS"] == "" for r in confidential)
    assert {r["CONF_STATUS"] for r in confidential} == {"A", "O", "D"}

    indicators = _csv(exported.folder / "sdmx" / "DESIR_INDICATORS.csv")
    assert list(indicators[0]) == ["DATAFLOW", "FREQ", "GEO", "INDICATOR", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE",
                                   "UNIT_MEASURE", "OBS_STATUS", "CONF_STATUS"]
    assert len(indicators) == exported.rows["mart.indicators"]
    assert set(r["UNIT_MEASURE"] for r in indicators) <= {u.upper() for u in schema.INDICATOR_UNITS}
    with _db(exported) as con:
        missing = con.execute("SELECT count(*) FROM mart.indicators WHERE value IS NULL AND conf_status IS NULL"
                              ).fetchone()[0]
    assert sum(r["OBS_STATUS"] == "M" for r in indicators) == missing


# ---------------------------------------------------------------- formulas


@pytest.mark.parametrize("text", ["=1+1", "+33 1 23", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_a_spreadsheet_would_run_is_prefixed_in_python_and_in_sql(text):
    assert export.neutralise(text) == "'" + text
    assert duckdb.sql(f"SELECT {export._inert('t')} FROM (SELECT ? AS t)", params=[text]).fetchall() == [("'" + text,)]


@pytest.mark.parametrize("text", ["FRE11", "Nord", "a=b", "", None])
def test_other_text_is_left_as_it_is(text):
    assert export.neutralise(text) == text
    assert duckdb.sql(f"SELECT {export._inert('t')} FROM (SELECT ?::VARCHAR AS t)", params=[text]).fetchall() == [(text,)]


def test_a_formula_in_a_label_comes_out_inert_in_every_text_format(exported):
    inert = "'" + FORMULA
    for folder, delimiter, encoding in (("csv", ",", "utf-8"), ("csv-fr-be", ";", "utf-8-sig")):
        rows = _csv(exported.folder / folder / "mart.dim_geo.csv", delimiter, encoding)
        assert [r["label_fr"] for r in rows if r["geo"] == "FRE11"] == [inert], folder
    book = load_workbook(exported.folder / "observatory.xlsx", read_only=True)
    sheet = book["mart.dim_geo"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    cells = [row[header.index("label_fr")] for row in sheet.iter_rows(min_row=2)
             if row[header.index("geo")].value == "FRE11"]
    assert [(c.value, c.data_type) for c in cells] == [(inert, "s")]
    # The label joined beside a code in a data sheet too.
    sheet = book["mart.establishments"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    labels = {row[header.index("geo_label_fr")].value for row in sheet.iter_rows(min_row=2, values_only=False)
              if row[header.index("geo")].value == "FRE11"}
    assert labels == {inert}
    book.close()


# ---------------------------------------------------------------- XLSX


def test_the_workbook_has_a_read_me_and_a_sheet_per_table_with_labels(exported):
    book = load_workbook(exported.folder / "observatory.xlsx", read_only=True)
    assert book.sheetnames == ["read me", *(t.name for t in schema.PUBLISHED_TABLES)]
    readme = [tuple(v for v in row if v is not None) for row in book["read me"].iter_rows(values_only=True)]
    text = "\n".join(" | ".join(str(v) for v in row) for row in readme)
    with _db(exported) as con:
        notice, code_version = con.execute("SELECT notice, code_version FROM meta.release").fetchone()
        a_file = con.execute("SELECT file_name FROM meta.sources ORDER BY source_id, file_name LIMIT 1").fetchone()[0]
    assert ("SYNTHETIC DATA",) in readme and notice in text and code_version in text
    assert a_file in text  # sources
    assert schema.JOBS.comment in text and "Headcount of salaried jobs; NULL when confidential" in text
    assert ("conf_status", "D", export.CONF_STATUS_CODES["D"]) in readme
    assert any(row[:1] == ("disclosure_audit",) and str(row[1]).startswith("passed: ") for row in readme)

    sheet = book["mart.indicators"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == exported.rows["mart.indicators"] + 1
    header = rows[0]
    for code in ("geo", "indicator", "sex", "age_band"):
        at = header.index(code)
        assert header[at + 1: at + 4] == (f"{code}_label_fr", f"{code}_label_nl", f"{code}_label_en")
    with _db(exported) as con:
        labels = dict(((sex), (fr, nl, en)) for sex, fr, nl, en in
                      con.execute("SELECT sex, label_fr, label_nl, label_en FROM mart.dim_sex").fetchall())
    at = header.index("sex")
    assert all(tuple(row[at + 1: at + 4]) == labels[row[at]] for row in rows[1:])
    values = [row[header.index("value")] for row in rows[1:]]
    assert min(v for v in values if v is not None) < 0  # negative numbers stay numbers
    book.close()


def test_the_workbook_is_refused_beyond_the_rows_a_sheet_holds(sample_build, tmp_path, monkeypatch):
    warehouse = _published_copy(sample_build, tmp_path / "warehouse")
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 1000)
    with pytest.raises(export.ExportRefused, match=r"^mart\.jobs has [\d,]+ rows: more than an XLSX sheet holds "
                                                   r"\(1,000 with the header\); nothing exported$"):
        export.export(warehouse)
    assert not (warehouse / "exports").exists()


# ---------------------------------------------------------------- Frictionless


def test_the_data_package_describes_the_tables_and_validates(exported):
    from frictionless import validate

    package = json.loads((exported.folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    assert list(resources) == [t.name for t in schema.PUBLISHED_TABLES]
    jobs = resources["mart.jobs"]["schema"]
    assert jobs["primaryKey"] == list(schema.JOBS.key)
    fields = {f["name"]: f for f in jobs["fields"]}
    assert fields["sex"]["constraints"] == {"required": True, "enum": ["F", "M", "T"]}
    assert fields["jobs"]["type"] == "number" and "required" not in fields["jobs"].get("constraints", {})
    assert {(fk["fields"], fk["reference"]["resource"]) for fk in jobs["foreignKeys"]} == {
        ("geo", "mart.dim_geo"), ("family", "mart.dim_family"), ("nace_a10", "mart.dim_nace_a10"),
        ("sex", "mart.dim_sex"), ("age_band", "mart.dim_age_band")}
    assert "foreignKeys" not in resources["mart.dim_geo"]["schema"]
    report = validate(exported.folder / "datapackage.json")
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:5]


def test_a_broken_foreign_key_fails_the_validation(exported, tmp_path):
    from frictionless import validate

    package = json.loads((exported.folder / "datapackage.json").read_text(encoding="utf-8"))
    keep = {"mart.establishments", *(t.name for t in schema.DIMENSIONS)}
    package["resources"] = [r for r in package["resources"] if r["name"] in keep]
    (tmp_path / "csv").mkdir()
    for name in keep:
        shutil.copy2(exported.folder / "csv" / f"{name}.csv", tmp_path / "csv" / f"{name}.csv")
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    assert validate(tmp_path / "datapackage.json").valid  # the subset is valid as exported

    families = tmp_path / "csv" / "mart.dim_family.csv"
    lines = families.read_text(encoding="utf-8").splitlines(keepends=True)
    families.write_text("".join(line for line in lines if not line.startswith("COOP,")), encoding="utf-8")
    report = validate(tmp_path / "datapackage.json")
    assert not report.valid
    errors = {(task.name, error.type) for task in report.tasks for error in task.errors}
    assert errors == {("mart.establishments", "foreign-key")}


# ---------------------------------------------------------------- refusals, atomicity


def test_a_failed_audit_is_refused_in_one_line(sample_build, tmp_path, capsys):
    warehouse = _published_copy(sample_build, tmp_path / "warehouse")
    _edit(warehouse, "UPDATE meta.release SET disclosure_audit = 'failed: FRE11 ESS 2023 interval 2 < 3'")
    with pytest.raises(export.ExportRefused, match=r"disclosure audit did not pass \(failed: FRE11 ESS 2023"):
        export.export(warehouse)
    assert cli.main(["export", "--warehouse", str(warehouse)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("observatory export: the disclosure audit did not ")
    assert not (warehouse / "exports").exists()


def test_a_missing_database_or_audit_is_refused_in_one_line(sample_build, tmp_path, capsys):
    assert cli.main(["export", "--warehouse", str(tmp_path / "nothing")]) == 1
    _, err = capsys.readouterr()
    assert err == (f"observatory export: no published database at {tmp_path / 'nothing' / PUBLISHED_FILE_NAME}: run "
                   "`observatory build` first\n")
    warehouse = _published_copy(sample_build, tmp_path / "old")
    _edit(warehouse, "ALTER TABLE meta.release DROP COLUMN disclosure_audit")
    with pytest.raises(export.ExportRefused, match="records no disclosure audit"):
        export.export(warehouse)


@pytest.fixture
def quick_xlsx(monkeypatch):
    """The workbook replaced by a stub (the XLSX is tested above): the tests below are about the folder."""
    monkeypatch.setattr(export, "write_xlsx", lambda con, info, rows, path: path.write_bytes(b"stub"))


def test_exporting_again_replaces_the_folder_and_a_failure_leaves_it(sample_build, tmp_path, monkeypatch, quick_xlsx):
    warehouse = _published_copy(sample_build, tmp_path / "warehouse")
    first = export.export(warehouse)
    (first.folder / "stray.txt").write_text("from an earlier export", encoding="utf-8")
    second = export.export(warehouse)
    assert second.folder == first.folder and not (second.folder / "stray.txt").exists()
    assert set(second.files) == {p.relative_to(second.folder).as_posix() for p in second.folder.rglob("*")
                                 if p.is_file()}

    before = {p: p.read_bytes() for p in second.folder.rglob("*") if p.is_file()}

    def broken(*args):
        raise RuntimeError("disk trouble while writing the data package")

    monkeypatch.setattr(export, "write_datapackage", broken)
    with pytest.raises(RuntimeError, match="disk trouble"):
        export.export(warehouse)
    assert {p: p.read_bytes() for p in second.folder.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in (warehouse / "exports").iterdir()) == [export.LOCK_FILE, second.release]


def test_a_second_export_at_the_same_time_is_refused(sample_build, tmp_path):
    warehouse = _published_copy(sample_build, tmp_path / "warehouse")
    root = export.exports_root(warehouse)
    root.mkdir()
    with export._export_lock(root), pytest.raises(export.ExportRefused, match="another export of this warehouse"):
        export.export(warehouse)


# ---------------------------------------------------------------- the command and the asset


def test_the_command_prints_the_folder_and_its_files(sample_build, tmp_path, capsys, quick_xlsx):
    warehouse = _published_copy(sample_build, tmp_path / "warehouse")
    assert cli.main(["export", "--warehouse-dir", str(warehouse)]) == 0
    out, err = capsys.readouterr()
    folder = next((warehouse / "exports").glob("2*"))
    assert err == ""
    assert out.startswith(f"Exported release {folder.name} into {folder} in ")
    assert "  sdmx/DESIR_JOBS.csv " in out and "  SHA256SUMS " in out
    assert len(out.splitlines()) == 1 + len(list(p for p in folder.rglob("*") if p.is_file()))


def test_the_asset_exports_after_the_database_and_fails_in_one_line_when_refused(sample_build, tmp_path, quick_xlsx):
    import dagster as dg

    from pipelines.exports import observatory_exports
    from pipelines.resources import Warehouse

    warehouse = _published_copy(sample_build, tmp_path / "warehouse")
    resources = {"warehouse": Warehouse(raw_dir=str(SAMPLE), warehouse_dir=str(warehouse))}
    assert [d.asset_key for d in observatory_exports.specs_by_key[observatory_exports.key].deps] == [
        dg.AssetKey("observatory_database")]
    result = dg.materialize([observatory_exports], resources=resources, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    metadata = result.asset_materializations_for_node("observatory_exports")[0].metadata
    folder = Path(metadata["folder"].value)
    assert folder.parent == warehouse / "exports" and folder.is_dir()
    assert metadata["rows"].value == {t.name: n for t, n in zip(schema.PUBLISHED_TABLES, [
        duckdb.connect(str(warehouse / PUBLISHED_FILE_NAME), read_only=True).execute(
            f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in schema.PUBLISHED_TABLES], strict=True)}
    assert metadata["bytes"].value == sum(metadata["files"].value.values())

    _edit(warehouse, "UPDATE meta.release SET disclosure_audit = 'failed: weakest cell'")
    failed = dg.materialize([observatory_exports], resources=resources, instance=dg.DagsterInstance.ephemeral(),
                            raise_on_error=False)
    assert not failed.success
    failure = failed.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert failure.description == ("the disclosure audit did not pass (failed: weakest cell): nothing exported, "
                                   "publish a build whose audit passes first")
