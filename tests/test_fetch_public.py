"""Fetching the public sources (SIRENE, INSEE population, Statbel population, TERCET) into vintages, against a local
HTTP server (tests/http_server.py) serving files in the producers' formats: the synthetic sample's files and
hand-made TERCET files. No network beyond 127.0.0.1, no mock of the HTTP client, no waiting between retries."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import zip_bytes
from http_server import serve

from observatory import download as dl
from observatory import nomenclatures, vintages
from observatory.download import DownloadError
from observatory.errors import InputError
from observatory.fetch import FetchError, FetchSettings
from observatory.sample import generate_sample
from observatory.sources import insee_population, sirene, statbel_population, tercet

DAY1 = datetime(2025, 1, 5, 8, 0, tzinfo=UTC)
DAY2 = datetime(2025, 2, 5, 8, 0, tzinfo=UTC)
UNITS_ZIP, ESTABLISHMENTS_ZIP = "StockUniteLegale_utf8.zip", "StockEtablissement_utf8.zip"
UNITS_ROUTE = f"/sirene/{sirene.ZIP_IDS[sirene.UNITS]}"
ESTABLISHMENTS_ROUTE = f"/sirene/{sirene.ZIP_IDS[sirene.ESTABLISHMENTS]}"
INSEE_NAME = "estim-pop-dep-sexe-aq-1975-2025.xlsx"
TERCET_ROUTE = f"/tercet/{tercet.FETCH_FILE}"
CAPTCHA = "<!DOCTYPE html><html><head><title>Statbel</title></head><body>Please verify you are human</body></html>"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic sample (real formats), small: its files are what the test server serves."""
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, scale=0.02)
    return out


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "_sleep", lambda seconds: None)


@pytest.fixture
def server():
    with serve() as running:
        yield running


def settings(server, raw: Path, now: datetime = DAY1, env: dict[str, str] | None = None,
             messages: list[str] | None = None) -> FetchSettings:
    """Fetch settings pointing every source at ``server``; SIRENE as ZIP (the sample's format) unless ``env`` says."""
    bases = {name: server.url(f"/{name.split('_')[0]}") for name in
             ("sirene", "insee_population", "statbel_population", "tercet")}
    return FetchSettings(raw_dir=raw, progress=(messages.append if messages is not None else None), base_urls=bases,
                         now=now, retries=2, backoff_seconds=0, timeout=10,
                         env=env if env is not None else {sirene.FORMAT_ENV: "zip"})


def sample_bytes(sample: Path, folder: Path, name: str) -> bytes:
    return (sample / folder / name).read_bytes()


def serve_sirene(server, sample: Path, **options) -> dict[str, bytes]:
    files = {name: sample_bytes(sample, sirene.FOLDER, name) for name in (UNITS_ZIP, ESTABLISHMENTS_ZIP)}
    server.static(UNITS_ROUTE, files[UNITS_ZIP], content_type="application/zip", etag='"ul-1"')
    server.static(ESTABLISHMENTS_ROUTE, files[ESTABLISHMENTS_ZIP], content_type="application/zip", etag='"et-1"',
                  **options)
    return files


def gets(server, route: str) -> list:
    return [r for r in server.requests_to(route) if r.method == "GET"]


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []


# ------------------------------------------------------------------------------------------------------------
# SIRENE
# ------------------------------------------------------------------------------------------------------------
def test_sirene_fetch_makes_a_vintage_the_loader_reads(server, sample: Path, tmp_path: Path) -> None:
    files = serve_sirene(server, sample)
    raw = tmp_path / "raw"
    outcome = sirene.fetch(settings(server, raw))
    assert outcome.vintage == raw / "fr" / "sirene" / "2025-01-05" and outcome.changed
    assert sirene.find_files(raw) == (outcome.vintage / UNITS_ZIP, outcome.vintage / ESTABLISHMENTS_ZIP)
    assert (outcome.vintage / ESTABLISHMENTS_ZIP).read_bytes() == files[ESTABLISHMENTS_ZIP]
    provenance = vintages.read_provenance(outcome.vintage)
    assert provenance["licence"] == "Licence Ouverte / Etalab 2.0"
    assert provenance["producer_version"][UNITS_ZIP]["etag"] == '"ul-1"'
    assert provenance["producer_version"][ESTABLISHMENTS_ZIP]["content_length"] == len(files[ESTABLISHMENTS_ZIP])
    assert provenance["urls"] == [server.url(UNITS_ROUTE), server.url(ESTABLISHMENTS_ROUTE)]
    # The loader stages it as it stages the sample, and records the vintage's URLs.
    con = duckdb.connect()
    meta = sirene.load(con, raw, tmp_path / "work")
    assert meta["active_establishments"] > 0
    assert {s["url"] for s in meta["sources"]} == {server.url(UNITS_ROUTE), server.url(ESTABLISHMENTS_ROUTE)}
    assert tree(raw / "fr" / "sirene" / ".incoming") == []


def test_sirene_unchanged_etag_downloads_and_writes_nothing(server, sample: Path, tmp_path: Path) -> None:
    serve_sirene(server, sample)
    raw = tmp_path / "raw"
    first = sirene.fetch(settings(server, raw))
    before = tree(raw)
    second = sirene.fetch(settings(server, raw, now=DAY2))
    assert second.vintage is None and not second.changed and "nothing downloaded" in second.message
    assert tree(raw) == before and vintages.list_vintages(raw, "fr", "sirene") == [first.vintage]
    for route in (UNITS_ROUTE, ESTABLISHMENTS_ROUTE):
        assert [r.method for r in server.requests_to(route)] == ["HEAD", "GET", "HEAD"]


def test_sirene_one_changed_file_fetches_the_pair_again(server, sample: Path, tmp_path: Path) -> None:
    files = serve_sirene(server, sample)
    raw = tmp_path / "raw"
    sirene.fetch(settings(server, raw))
    # A new ETag on the same bytes: both downloaded, the checksums say "identical", no vintage, nothing kept.
    server.static(ESTABLISHMENTS_ROUTE, files[ESTABLISHMENTS_ZIP], etag='"et-2"')
    same = sirene.fetch(settings(server, raw, now=DAY2))
    assert same.vintage is None and "identical" in same.message
    assert tree(raw / "fr" / "sirene" / ".incoming") == []
    # New establishment bytes (the same CSV, stored instead of deflated): both files go into the new vintage.
    with zipfile.ZipFile(io.BytesIO(files[ESTABLISHMENTS_ZIP])) as old:
        stored = zip_bytes({info.filename: old.read(info) for info in old.infolist()}, zipfile.ZIP_STORED)
    server.static(ESTABLISHMENTS_ROUTE, stored, etag='"et-3"')
    outcome = sirene.fetch(settings(server, raw, now=DAY2))
    assert outcome.vintage == raw / "fr" / "sirene" / "2025-02-05"
    assert sorted(vintages.data_files(outcome.vintage)) == [ESTABLISHMENTS_ZIP, UNITS_ZIP]
    assert vintages.read_provenance(outcome.vintage)["producer_version"][ESTABLISHMENTS_ZIP]["etag"] == '"et-3"'
    assert sirene.find_files(raw)[1] == outcome.vintage / ESTABLISHMENTS_ZIP


def test_sirene_dropped_connection_mid_file_is_resumed(server, sample: Path, tmp_path: Path) -> None:
    size = len(sample_bytes(sample, sirene.FOLDER, ESTABLISHMENTS_ZIP))
    # drop_times=2: the test server counts the HEAD (which has no body) as the first of them.
    files = serve_sirene(server, sample, drop_after=size // 2, drop_times=2)
    raw = tmp_path / "raw"
    messages: list[str] = []
    outcome = sirene.fetch(settings(server, raw, messages=messages))
    assert (outcome.vintage / ESTABLISHMENTS_ZIP).read_bytes() == files[ESTABLISHMENTS_ZIP]
    requests = gets(server, ESTABLISHMENTS_ROUTE)
    assert len(requests) == 2 and requests[1].headers["Range"] == f"bytes={size // 2}-"
    assert any("connection closed after" in m for m in messages)


def test_sirene_connection_dropping_every_time_leaves_no_vintage(server, sample: Path, tmp_path: Path) -> None:
    serve_sirene(server, sample)
    raw = tmp_path / "raw"
    first = sirene.fetch(settings(server, raw))
    size = len(sample_bytes(sample, sirene.FOLDER, ESTABLISHMENTS_ZIP))
    server.static(ESTABLISHMENTS_ROUTE, b"PK\x03\x04" + bytes(size), etag='"et-2"', drop_after=100, drop_times=9)
    with pytest.raises(DownloadError, match="gave up after 3 attempt"):
        sirene.fetch(settings(server, raw, now=DAY2))
    assert vintages.list_vintages(raw, "fr", "sirene") == [first.vintage]
    assert sirene.find_files(raw) == (first.vintage / UNITS_ZIP, first.vintage / ESTABLISHMENTS_ZIP)


def test_sirene_corrupt_zip_is_refused_and_the_previous_vintage_kept(server, sample: Path, tmp_path: Path) -> None:
    files = serve_sirene(server, sample)
    raw = tmp_path / "raw"
    first = sirene.fetch(settings(server, raw))
    corrupt = bytearray(files[ESTABLISHMENTS_ZIP])
    corrupt[len(corrupt) // 2] ^= 0xFF  # inside the deflated CSV: its CRC (or the inflation) fails
    server.static(ESTABLISHMENTS_ROUTE, bytes(corrupt), etag='"et-2"')
    with pytest.raises(DownloadError, match="corrupt a ZIP"):
        sirene.fetch(settings(server, raw, now=DAY2))
    assert vintages.list_vintages(raw, "fr", "sirene") == [first.vintage]
    assert not [p for p in (raw / "fr" / "sirene").iterdir() if p.name.endswith(".partial")]
    assert not [n for n in tree(raw / "fr" / "sirene" / ".incoming") if "StockEtablissement" in n]


def test_sirene_parquet_format(server, sample: Path, tmp_path: Path) -> None:
    work = tmp_path / "parquet"
    work.mkdir()
    for stem in (sirene.UNITS, sirene.ESTABLISHMENTS):
        with zipfile.ZipFile(sample / sirene.FOLDER / f"{stem}_utf8.zip") as archive:
            archive.extractall(work)
        duckdb.execute(f"COPY (SELECT * FROM read_csv('{work / f'{stem}_utf8.csv'}', all_varchar = true)) "
                       f"TO '{work / f'{stem}_utf8.parquet'}' (FORMAT parquet)")
        server.static(f"/sirene/{stem}_utf8.parquet", (work / f"{stem}_utf8.parquet").read_bytes())
    raw = tmp_path / "raw"
    outcome = sirene.fetch(settings(server, raw, env={"OBSERVATORY_SIRENE_FORMAT": "parquet"}))
    assert sirene.find_files(raw) == (outcome.vintage / "StockUniteLegale_utf8.parquet",
                                      outcome.vintage / "StockEtablissement_utf8.parquet")
    assert sirene.load(duckdb.connect(), raw, tmp_path / "work")["active_establishments"] > 0
    # A file cut short (or an HTML page) lacks PAR1 at one end: refused, nothing committed.
    payload = (work / "StockUniteLegale_utf8.parquet").read_bytes()
    server.static("/sirene/StockUniteLegale_utf8.parquet", payload[:-10], etag='"cut"')
    with pytest.raises(DownloadError, match="not a Parquet file"):
        sirene.fetch(settings(server, raw, now=DAY2, env={"OBSERVATORY_SIRENE_FORMAT": "parquet"}))
    assert vintages.list_vintages(raw, "fr", "sirene") == [outcome.vintage]
    assert tree(raw / "fr" / "sirene" / ".incoming") == []


def test_sirene_is_fetched_as_parquet_unless_told(server, tmp_path: Path) -> None:
    assert sirene.fetch_format(settings(server, tmp_path, env={})) == "parquet"
    assert sirene.fetch_format(settings(server, tmp_path, env={sirene.FORMAT_ENV: " ZIP "})) == "zip"
    assert set(sirene.fetch_urls(settings(server, tmp_path, env={}), "parquet")) == {
        "StockUniteLegale_utf8.parquet", "StockEtablissement_utf8.parquet"}


def test_sirene_unknown_format_is_refused(server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="OBSERVATORY_SIRENE_FORMAT='csv'"):
        sirene.fetch(settings(server, tmp_path / "raw", env={"OBSERVATORY_SIRENE_FORMAT": "csv"}))
    assert server.requests == []


# ------------------------------------------------------------------------------------------------------------
# INSEE population
# ------------------------------------------------------------------------------------------------------------
def test_insee_fetch_is_read_by_the_loader_then_unchanged(server, sample: Path, tmp_path: Path) -> None:
    payload = sample_bytes(sample, insee_population.FOLDER, INSEE_NAME)
    route = f"/insee/{INSEE_NAME}"
    server.static(route, payload, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    raw = tmp_path / "raw"
    env = {insee_population.FILE_ENV: INSEE_NAME}
    outcome = insee_population.fetch(settings(server, raw, env=env))
    assert insee_population.find(raw) == outcome.vintage / INSEE_NAME
    provenance = vintages.read_provenance(outcome.vintage)
    assert provenance["reference_period"] == "2022-2025" and provenance["urls"] == [server.url(route)]
    info = insee_population.load(duckdb.connect(), raw)
    assert info["years"] == [2022, 2023, 2024, 2025]
    again = insee_population.fetch(settings(server, raw, now=DAY2, env=env))
    assert again.vintage is None and len(gets(server, route)) == 1


def test_insee_file_name_must_match_the_loader(server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="estim-pop-dep-sexe-aq-"):
        insee_population.fetch(settings(server, tmp_path / "raw", env={insee_population.FILE_ENV: "pop.xlsx"}))


def test_insee_html_page_is_refused(server, tmp_path: Path) -> None:
    server.page(f"/insee/{insee_population.FETCH_FILE}", "<!DOCTYPE html><html><body>Not found</body></html>")
    with pytest.raises(DownloadError, match="HTML page, not an Excel workbook"):
        insee_population.fetch(settings(server, tmp_path / "raw"))
    assert vintages.list_vintages(tmp_path / "raw", "fr", "insee_population") == []


# ------------------------------------------------------------------------------------------------------------
# Statbel population
# ------------------------------------------------------------------------------------------------------------
def serve_statbel(server, sample: Path, years: list[int]) -> None:
    for year in years:
        name = f"TF_SOC_POP_STRUCT_{year}.zip"
        server.static(f"/statbel/{name}", sample_bytes(sample, statbel_population.FOLDER, name),
                      content_type="application/zip")


def test_statbel_fetch_skips_a_year_not_published(server, sample: Path, tmp_path: Path) -> None:
    serve_statbel(server, sample, [2024, 2025])
    raw = tmp_path / "raw"
    messages: list[str] = []
    outcome = statbel_population.fetch(settings(server, raw, env={"OBSERVATORY_STATBEL_YEARS": "2024-2026"},
                                                messages=messages))
    assert [f.year for f in statbel_population.find(raw)] == [2024, 2025]
    assert {f.path.parent for f in statbel_population.find(raw)} == {outcome.vintage}
    assert any("2026 not published" in m for m in messages) and "not published: 2026" in outcome.message
    assert statbel_population.load(duckdb.connect(), raw)["years"] == [2024, 2025]
    # The same files again: no new vintage.
    again = statbel_population.fetch(settings(server, raw, now=DAY2, env={"OBSERVATORY_STATBEL_YEARS": "2024-2026"}))
    assert again.vintage is None and vintages.list_vintages(raw, "be", "statbel_population") == [outcome.vintage]


def test_statbel_default_years_are_the_last_four(server) -> None:
    years = statbel_population.fetch_years(FetchSettings(raw_dir=Path("raw"), now=DAY1, env={}))
    assert years == [2022, 2023, 2024, 2025]
    assert statbel_population.fetch_years(FetchSettings(raw_dir=Path("raw"), env={
        "OBSERVATORY_STATBEL_YEARS": "2020, 2023-2024"})) == [2020, 2023, 2024]
    with pytest.raises(FetchError, match="OBSERVATORY_STATBEL_YEARS"):
        statbel_population.fetch_years(FetchSettings(raw_dir=Path("raw"), env={"OBSERVATORY_STATBEL_YEARS": "24"}))


def test_statbel_captcha_page_is_an_error_and_the_previous_vintage_stays(server, sample: Path, tmp_path: Path) -> None:
    serve_statbel(server, sample, [2024, 2025])
    raw = tmp_path / "raw"
    env = {"OBSERVATORY_STATBEL_YEARS": "2024,2025"}
    first = statbel_population.fetch(settings(server, raw, env=env))
    before = tree(raw)
    server.page("/statbel/TF_SOC_POP_STRUCT_2025.zip", CAPTCHA)  # HTTP 200, text/html
    with pytest.raises(FetchError, match="CAPTCHA") as caught:
        statbel_population.fetch(settings(server, raw, now=DAY2, env=env))
    assert "earlier vintages are intact" in str(caught.value)
    # A file dropped in the source folder itself would be ignored beside vintages: the message says where it goes.
    assert f"new dated folder {raw / statbel_population.FOLDER}/<YYYY-MM-DD>/" in str(caught.value)
    assert tree(raw) == before
    assert [f.path for f in statbel_population.find(raw)] == [first.vintage / "TF_SOC_POP_STRUCT_2024.zip",
                                                              first.vintage / "TF_SOC_POP_STRUCT_2025.zip"]


def test_statbel_nothing_published_is_an_error(server, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="none of the years 2030, 2031 is published"):
        statbel_population.fetch(settings(server, tmp_path / "raw", env={"OBSERVATORY_STATBEL_YEARS": "2030-2031"}))
    assert vintages.list_vintages(tmp_path / "raw", "be", "statbel_population") == []


# ------------------------------------------------------------------------------------------------------------
# TERCET
# ------------------------------------------------------------------------------------------------------------
def embedded() -> dict[str, str]:
    return dict(nomenclatures.load("be_postcode_nuts3")[["postcode", "nuts3"]].itertuples(index=False))


def tercet_csv(mapping: dict[str, str]) -> bytes:
    """TERCET's layout: NUTS3;CODE, values in single quotes, UTF-8 with a BOM."""
    lines = ["NUTS3;CODE"] + [f"'{nuts3}';'{code}'" for code, nuts3 in mapping.items()]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")



def test_tercet_fetch_read_and_differences(server, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    assert tercet.differences(raw) == []  # never fetched
    mapping = embedded()
    server.static(TERCET_ROUTE, zip_bytes({"pc2020_BE_NUTS-2021_v1.0.csv": tercet_csv(mapping)}), etag='"t1"')
    first = tercet.fetch(settings(server, raw))
    assert sorted(vintages.data_files(first.vintage)) == ["pc2020_BE_NUTS-2021_v1.0.csv", tercet.FETCH_FILE]
    assert tercet.read_postcodes(first.vintage / "pc2020_BE_NUTS-2021_v1.0.csv") == mapping
    assert tercet.differences(raw) == [] and "agrees" in first.message

    area_code = next(c for c, n in mapping.items() if n == "BE351")  # Dinant, in the area
    dropped = next(c for c, n in mapping.items() if n == "BE254")  # Kortrijk, in the area
    changed = {**mapping, area_code: "BE352", "1000": "BE241"}  # 1000 Brussels -> Leuven: both outside the area
    del changed[dropped]
    changed["7999"] = "BE32A"
    server.static(TERCET_ROUTE, zip_bytes({"pc2020_BE_NUTS-2021_v1.0.csv": tercet_csv(changed)}), etag='"t2"')
    second = tercet.fetch(settings(server, raw, now=DAY2))
    assert second.vintage is not None and "3 difference(s)" in second.message
    assert tercet.differences(raw) == [
        f"postcode {area_code}: BE351 in be_postcode_nuts3.csv, BE352 in TERCET (pc2020_BE_NUTS-2021_v1.0.csv)",
        "postcode 7999: BE32A in TERCET (pc2020_BE_NUTS-2021_v1.0.csv), absent from be_postcode_nuts3.csv",
        f"postcode {dropped}: BE254 in be_postcode_nuts3.csv, absent from TERCET (pc2020_BE_NUTS-2021_v1.0.csv)",
    ]
    # Unchanged on the server: nothing downloaded.
    third = tercet.fetch(settings(server, raw, now=datetime(2025, 3, 1, tzinfo=UTC)))
    assert third.vintage is None and len(gets(server, TERCET_ROUTE)) == 2


def test_tercet_zip_escaping_the_folder_is_refused(server, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    hostile = zip_bytes({"pc2020_BE_NUTS-2021_v1.0.csv": tercet_csv({"1000": "BE100"}),
                      "../../escaped.csv": b"NUTS3;CODE\n'BE100';'1000'\n"})
    server.static(TERCET_ROUTE, hostile)
    # The download itself refuses the archive (observatory.safezip's checks), before any extraction.
    with pytest.raises(DownloadError, match=r"member '\.\./\.\./escaped\.csv': a '\.\.' component points outside the "
                                            r"extraction folder \(path traversal\)"):
        tercet.fetch(settings(server, raw))
    assert vintages.list_vintages(raw, "eu", "tercet") == []
    assert not list(tmp_path.rglob("escaped.csv"))
    assert tree(raw / "eu" / "tercet" / ".incoming") == []


def test_tercet_bad_layout_is_refused_before_any_vintage(server, tmp_path: Path) -> None:
    server.static(TERCET_ROUTE, zip_bytes({"x.csv": b"POSTCODE;NUTS\n'1000';'BE100'\n"}))
    with pytest.raises(InputError, match="missing column"):
        tercet.fetch(settings(server, tmp_path / "raw"))
    assert vintages.list_vintages(tmp_path / "raw", "eu", "tercet") == []


@pytest.mark.parametrize(("text", "problem"), [
    (b"", "empty file"),
    (b"CODE;NUTS\n'1000';'BE100'\n", "missing column"),
    (b"NUTS3;CODE\n'BE100'\n", "1 field"),
    (b"NUTS3;CODE\n'BE1';'1000'\n", "not a NUTS3 code"),
    (b"NUTS3;CODE\n'BE100';''\n", "empty postcode"),
    (b"NUTS3;CODE\n'BE100';'1000'\n'BE241';'1000'\n", "postcode 1000 is in BE100 on line 2"),
    (b"NUTS3;CODE\n", "no data line"),
])
def test_read_postcodes_names_the_problem(tmp_path: Path, text: bytes, problem: str) -> None:
    path = tmp_path / "tercet.csv"
    path.write_bytes(text)
    with pytest.raises(InputError, match=problem):
        tercet.read_postcodes(path)


def test_read_postcodes_by_header_name(tmp_path: Path) -> None:
    path = tmp_path / "tercet.csv"
    # Columns in the other order, a comma, a repeated identical line: all tolerated.
    path.write_bytes(b"CODE,NUTS3\n1000,BE100\n7500,BE328\n7500,BE328\n")
    assert tercet.read_postcodes(path) == {"1000": "BE100", "7500": "BE328"}
    zipped_path = tmp_path / "tercet.zip"
    zipped_path.write_bytes(zip_bytes({"pc.csv": tercet_csv({"8500": "BE254"})}))
    assert tercet.read_postcodes(zipped_path) == {"8500": "BE254"}
