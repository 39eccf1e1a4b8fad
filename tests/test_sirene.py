"""SIRENE stock files: formats, header tolerance, hand-computed aggregate, orphans, errors, provenance."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import zipfile
from pathlib import Path

import duckdb
import pytest

from observatory import zipcache
from observatory.errors import InputError
from observatory.sources import sirene
from observatory.sources.sirene import ESTABLISHMENTS, UNITS

FIXTURES = Path(__file__).parent / "fixtures" / "sirene"
UNITS_CSV = FIXTURES / "StockUniteLegale_utf8.csv"  # header before the NAF25 column, real lines
UNITS_NAF25_CSV = FIXTURES / "naf25" / "StockUniteLegale_utf8.csv"  # current header, BOM, CRLF
ESTABLISHMENTS_CSV = FIXTURES / "StockEtablissement_utf8.csv"  # current header, with the NAF25 column
SNAPSHOT = "2025-10-30"

# Hand-computed from the fixture (see tests/fixtures/sirene/README.md): (département of codeCommuneEtablissement, cj,
# employer) -> establishments.
EXPECTED = {
    ("59", "9220", True): 2,
    ("59", "9220", False): 1,
    ("59", "1000", False): 1,
    ("80", "1000", False): 1,
    ("62", "5710", True): 1,
    ("", "5710", True): 1,
    ("2A", "5458", True): 1,
}
DATE_COLUMN = {UNITS: "dateDernierTraitementUniteLegale", ESTABLISHMENTS: "dateDernierTraitementEtablissement"}


def _write(folder: Path, stem: str, source: Path, fmt: str, integer_ids: bool = False) -> Path:
    target = folder / f"{stem}_utf8.{fmt}"
    if fmt == "csv":
        shutil.copyfile(source, target)
    elif fmt == "zip":
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(source, f"{stem}_utf8.csv")
    else:
        # A typed Parquet, as a producer might write it: the processing date as a timestamp; optionally the
        # identifiers as integers, which lose their leading zeros.
        replaced = [f"strptime({DATE_COLUMN[stem]}, '%Y-%m-%dT%H:%M:%S') AS {DATE_COLUMN[stem]}"]
        if integer_ids:
            replaced += ["CAST(siren AS BIGINT) AS siren"] + (["CAST(siret AS BIGINT) AS siret"]
                                                            if stem == ESTABLISHMENTS else [])
        duckdb.execute(
            f"COPY (SELECT * REPLACE ({', '.join(replaced)}) FROM read_csv('{source}', all_varchar = true)) "
            f"TO '{target}' (FORMAT parquet)"
        )
    return target


def make_raw(tmp_path: Path, fmt: str = "csv", units: Path = UNITS_CSV, establishments: Path = ESTABLISHMENTS_CSV,
             establishments_fmt: str | None = None, integer_ids: bool = False) -> Path:
    raw = tmp_path / "raw"
    folder = raw / sirene.FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder, UNITS, units, fmt)
    _write(folder, ESTABLISHMENTS, establishments, establishments_fmt or fmt, integer_ids)
    return raw


def load(tmp_path: Path, raw: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    con = duckdb.connect()
    return con, sirene.load(con, raw, tmp_path / "work")


def aggregate(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT * FROM src.fr_sirene_establishments ORDER BY ALL").fetchall()


def test_hand_computed_counts(tmp_path: Path) -> None:
    con, meta = load(tmp_path, make_raw(tmp_path))
    rows = con.execute(
        "SELECT dep_code, cj, employer, sum(establishments) FROM src.fr_sirene_establishments GROUP BY ALL"
    ).fetchall()
    assert {(d, c, e): n for d, c, e, n in rows} == EXPECTED
    schema = con.execute("DESCRIBE src.fr_sirene_establishments").fetchall()
    assert [(name, kind) for name, kind, *_ in schema] == [
        ("snapshot_date", "DATE"), ("dep_code", "VARCHAR"), ("cj", "VARCHAR"), ("ess_flag", "VARCHAR"),
        ("activity", "VARCHAR"), ("activity_nomenclature", "VARCHAR"), ("activity_naf25", "VARCHAR"),
        ("employer", "BOOLEAN"), ("commune_example", "VARCHAR"), ("establishments", "BIGINT"),
    ]
    # Three establishments of commune 59350 in one département group: the group names one of its communes.
    assert con.execute("SELECT DISTINCT commune_example FROM src.fr_sirene_establishments WHERE dep_code = '59'"
                       ).fetchall() == [("59350",)]
    detail = con.execute(
        "SELECT DISTINCT snapshot_date::VARCHAR, ess_flag, activity, activity_nomenclature "
        "FROM src.fr_sirene_establishments WHERE cj = '9220'"
    ).fetchall()
    assert detail == [(SNAPSHOT, "O", "88.10A", "NAFRev2")]
    assert meta["rows_read"] == {"StockUniteLegale_utf8.csv": 6, "StockEtablissement_utf8.csv": 12}
    assert meta["active_establishments"] == 9
    assert meta["establishments_aggregated"] == 8
    assert meta["orphans_rejected"] == 1
    assert meta["snapshot_date"] == SNAPSHOT
    assert sirene.snapshot_year(con) == 2025
    # Nothing left behind in the caller's connection.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0


def test_csv_zip_and_parquet_give_the_same_aggregate(tmp_path: Path) -> None:
    results = {}
    for fmt in ("csv", "zip", "parquet"):
        con, meta = load(tmp_path / fmt, make_raw(tmp_path / fmt, fmt))
        results[fmt] = aggregate(con)
        assert meta["files"] == {UNITS: f"{UNITS}_utf8.{fmt}", ESTABLISHMENTS: f"{ESTABLISHMENTS}_utf8.{fmt}"}
        assert list(meta["rows_read"].values()) == [6, 12]
    assert results["csv"] == results["zip"] == results["parquet"]
    assert sum(row[-1] for row in results["csv"]) == 8


def test_added_columns_are_tolerated_both_ways(tmp_path: Path) -> None:
    # Units without the NAF25 column and establishments with it, then units with it (and a BOM, CRLF line ends).
    old, _ = load(tmp_path / "old", make_raw(tmp_path / "old", units=UNITS_CSV))
    new, _ = load(tmp_path / "new", make_raw(tmp_path / "new", units=UNITS_NAF25_CSV))
    assert aggregate(old) == aggregate(new)


def test_integer_identifiers_in_parquet_keep_their_leading_zeros(tmp_path: Path) -> None:
    # Units as CSV ('000325175'), establishments as Parquet with siren as an integer (325175): the join still holds.
    reference, _ = load(tmp_path / "csv", make_raw(tmp_path / "csv"))
    con, meta = load(tmp_path / "mixed", make_raw(tmp_path / "mixed", establishments_fmt="parquet", integer_ids=True))
    assert aggregate(con) == aggregate(reference)
    assert meta["orphans_rejected"] == 1


def test_orphan_establishment_goes_to_rejects(tmp_path: Path) -> None:
    con, _ = load(tmp_path, make_raw(tmp_path))
    rejects = con.execute(
        "SELECT source_id, year, file_name, line, reason, raw_text, jobs FROM meta.rejects"
    ).fetchall()
    assert rejects == [
        ("fr_sirene", None, "StockEtablissement_utf8.csv", None,
         "establishment whose siren is not in StockUniteLegale", "99999999900019", None)
    ]
    # A reload replaces the rejects, it does not add to them.
    sirene.load(con, tmp_path / "raw", tmp_path / "work")
    assert con.execute("SELECT count(*) FROM meta.rejects").fetchone()[0] == 1


@pytest.mark.parametrize("fmt", ["csv", "zip", "parquet"])
def test_missing_column_names_file_and_column(tmp_path: Path, fmt: str) -> None:
    renamed = tmp_path / "renamed.csv"
    text = ESTABLISHMENTS_CSV.read_text(encoding="utf-8")
    renamed.write_text(text.replace("codeCommuneEtablissement,", "codeCommuneEtab,", 1), encoding="utf-8")
    raw = make_raw(tmp_path, fmt, establishments=renamed)
    with pytest.raises(InputError) as caught:
        sirene.load(duckdb.connect(), raw, tmp_path / "work")
    message = str(caught.value)
    assert f"StockEtablissement_utf8.{fmt}" in message
    assert "missing column(s): codeCommuneEtablissement" in message
    assert caught.value.column == "codeCommuneEtablissement"
    assert caught.value.line == (None if fmt == "parquet" else 1)
    assert "codeCommuneEtab" in message.split("closest names in the file:")[1]


def test_malformed_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    lines = ESTABLISHMENTS_CSV.read_text(encoding="utf-8").splitlines()
    lines[5] += ",unexpected"  # line 6 of the file
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        sirene.load(duckdb.connect(), make_raw(tmp_path, establishments=broken), tmp_path / "work")
    assert caught.value.line == 6
    assert "StockEtablissement_utf8.csv, line 6" in str(caught.value)
    assert "Expected Number of Columns: 54 Found: 55" in str(caught.value)


def _extracted(cache: Path) -> dict[str, tuple[int, int]]:
    """The files in the extraction cache: name -> (inode, mtime), to tell a reused file from a new extraction."""
    return {p.relative_to(cache).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in cache.rglob("*") if p.is_file()}


def test_zip_member_is_extracted_once_per_version_of_the_zip(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("someone else's file")
    raw = make_raw(tmp_path, "zip")
    _, meta = load(tmp_path, raw)
    assert meta["rows_read"] == {"StockUniteLegale_utf8.zip": 6, "StockEtablissement_utf8.zip": 12}
    first = _extracted(work / "fr_sirene")
    assert sorted(name.split("/")[1] for name in first) == ["StockEtablissement_utf8.csv", "StockUniteLegale_utf8.csv"]
    assert (work / "keep.txt").is_file()

    _, again = load(tmp_path, raw)  # the same ZIPs: the same files, not extracted again
    assert again["active_establishments"] == meta["active_establishments"]
    assert _extracted(work / "fr_sirene") == first

    # A new establishment ZIP (a new month): extracted anew, its predecessor's CSV removed, the units' one kept.
    zipped = raw / sirene.FOLDER / "StockEtablissement_utf8.zip"
    replacement = tmp_path / "new.zip"
    shutil.copyfile(zipped, replacement)
    replacement.replace(zipped)
    load(tmp_path, raw)
    now = _extracted(work / "fr_sirene")
    assert len(now) == 2 and not [p for p in work.rglob("*.part")]
    units = [name for name in first if name.endswith("StockUniteLegale_utf8.csv")]
    assert {name: now.get(name) for name in units} == {name: first[name] for name in units}
    assert not set(now) - set(units) & set(first)


def test_no_partial_member_is_left_when_loading_fails(tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(ESTABLISHMENTS_CSV.read_text(encoding="utf-8").replace("siret,", "sirette,", 1))
    with pytest.raises(InputError, match="StockEtablissement_utf8.zip.*siret"):
        load(tmp_path, make_raw(tmp_path, "zip", establishments=renamed))
    # What was extracted whole may be reused; nothing half-written is left under any name.
    assert [p for p in (tmp_path / "work").rglob("*") if p.is_file() and ".part" in p.name] == []


def test_the_two_zips_are_inflated_side_by_side(tmp_path: Path, monkeypatch) -> None:
    threads: dict[str, str] = {}
    extract = zipcache.extract

    def recording(archive, info, cache_dir, name):
        threads[name] = threading.current_thread().name
        return extract(archive, info, cache_dir, name)

    monkeypatch.setattr(zipcache, "extract", recording)
    _, meta = load(tmp_path, make_raw(tmp_path, "zip"))
    assert meta["rows_read"] == {"StockUniteLegale_utf8.zip": 6, "StockEtablissement_utf8.zip": 12}
    assert threads["StockUniteLegale_utf8.csv"] == threading.main_thread().name
    assert threads["StockEtablissement_utf8.csv"] != threading.main_thread().name


def test_a_bad_units_file_is_named_while_the_establishments_are_inflated_and_kept(tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(UNITS_CSV.read_text(encoding="utf-8").replace("siren,", "sirene,", 1), encoding="utf-8")
    with pytest.raises(InputError, match=r"StockUniteLegale_utf8\.zip.*missing column\(s\): siren\b"):
        load(tmp_path, make_raw(tmp_path, "zip", units=renamed))
    # The establishments' member, inflated meanwhile, is kept whole for the next build; nothing half-written.
    kept = [p for p in (tmp_path / "work").rglob("*") if p.is_file()]
    assert sorted(p.name for p in kept) == ["StockEtablissement_utf8.csv", "StockUniteLegale_utf8.csv"]
    extracted = next(p for p in kept if p.name == "StockEtablissement_utf8.csv")
    assert extracted.read_bytes() == ESTABLISHMENTS_CSV.read_bytes()


@pytest.mark.parametrize("member", ["../StockEtablissement_utf8.csv", "/tmp/StockEtablissement_utf8.csv"])
def test_zip_member_escaping_the_folder_is_refused(tmp_path: Path, member: str) -> None:
    raw = make_raw(tmp_path, "zip")
    with zipfile.ZipFile(raw / sirene.FOLDER / "StockEtablissement_utf8.zip", "w") as archive:
        # ZipInfo keeps the name as given (ZipFile.write would strip a leading '/').
        archive.writestr(zipfile.ZipInfo(member), ESTABLISHMENTS_CSV.read_bytes())
    with pytest.raises(InputError, match="outside the extraction folder"):
        load(tmp_path, raw)
    assert not (tmp_path / "StockEtablissement_utf8.csv").exists()
    assert [p.name for p in (tmp_path / "work").rglob("*") if p.is_file()] == ["StockUniteLegale_utf8.csv"]


def test_zip_without_a_single_csv_is_refused(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, "zip")
    with zipfile.ZipFile(raw / sirene.FOLDER / "StockUniteLegale_utf8.zip", "w") as archive:
        archive.writestr("readme.txt", "no data here")
    with pytest.raises(InputError, match=r"StockUniteLegale_utf8\.zip: expected exactly one CSV.*readme\.txt"):
        load(tmp_path, raw)


def test_meta_sources_fingerprints_both_files(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, "zip")
    con, meta = load(tmp_path, raw)
    rows = con.execute(
        "SELECT file_name, sha256, size_bytes, rows, reference_period, url, licence FROM meta.sources "
        "WHERE source_id = 'fr_sirene' ORDER BY file_name"
    ).fetchall()
    assert [r[0] for r in rows] == ["StockEtablissement_utf8.zip", "StockUniteLegale_utf8.zip"]
    for name, digest, size, count, period, url, licence in rows:
        path = raw / sirene.FOLDER / name
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
        assert size == path.stat().st_size
        assert count == (12 if name.startswith(ESTABLISHMENTS) else 6)
        assert period == SNAPSHOT
        assert url == sirene.FILE_URLS[(name.split("_")[0], ".zip")]
        assert licence == "Licence Ouverte / Etalab 2.0"
    assert [s["file_name"] for s in meta["sources"]] == ["StockUniteLegale_utf8.zip", "StockEtablissement_utf8.zip"]


def test_sidecar_reference_period_sets_the_snapshot(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    sidecar = raw / sirene.FOLDER / "StockEtablissement_utf8.csv.origin.json"
    sidecar.write_text(json.dumps({"reference_period": "2024-12-31"}), encoding="utf-8")
    con, meta = load(tmp_path, raw)
    assert meta["snapshot_date"] == "2024-12-31"
    assert con.execute("SELECT DISTINCT snapshot_date::VARCHAR FROM src.fr_sirene_establishments").fetchall() == [
        ("2024-12-31",)
    ]
    assert sirene.snapshot_year(con) == 2024
    sidecar.write_text(json.dumps({"reference_period": "2024-02"}), encoding="utf-8")
    assert sirene.load(con, raw, tmp_path / "work")["snapshot_date"] == "2024-02-29"
    sidecar.write_text(json.dumps({"reference_period": "end of 2024"}), encoding="utf-8")
    with pytest.raises(InputError, match="origin.json.*reference_period"):
        sirene.load(con, raw, tmp_path / "work")


def test_find_files_prefers_parquet_then_csv_then_zip(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, "zip")
    folder = raw / sirene.FOLDER
    assert sirene.find_files(raw) == (folder / "StockUniteLegale_utf8.zip", folder / "StockEtablissement_utf8.zip")
    _write(folder, UNITS, UNITS_CSV, "csv")
    _write(folder, ESTABLISHMENTS, ESTABLISHMENTS_CSV, "parquet")
    assert sirene.find_files(raw) == (folder / "StockUniteLegale_utf8.csv", folder / "StockEtablissement_utf8.parquet")


def test_find_files_missing_names_the_folder_and_the_files(tmp_path: Path) -> None:
    folder = tmp_path / "raw" / sirene.FOLDER
    folder.mkdir(parents=True)
    shutil.copyfile(UNITS_CSV, folder / "StockUniteLegale_utf8.csv")
    with pytest.raises(InputError) as caught:
        sirene.find_files(tmp_path / "raw")
    message = str(caught.value)
    assert str(folder) in message
    for name in ("StockEtablissement_utf8.parquet", "StockEtablissement_utf8.csv", "StockEtablissement_utf8.zip"):
        assert name in message
    assert "StockUniteLegale_utf8" not in message


def test_snapshot_year_needs_a_loaded_snapshot() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA src; CREATE TABLE src.fr_sirene_establishments (snapshot_date DATE)")
    with pytest.raises(ValueError, match="empty"):
        sirene.snapshot_year(con)


def test_the_join_setting_is_put_back(tmp_path: Path) -> None:
    """The loader keeps DuckDB from hashing the establishment file (disabled_optimizers) for its joins only: the
    connection, which later steps share, gets its own setting back."""
    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'compressed_materialization'")
    sirene.load(con, make_raw(tmp_path), tmp_path / "cache")
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] == "compressed_materialization"
