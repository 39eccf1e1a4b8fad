"""Registry snapshots as a time series (issue 15): every vintage of SIRENE and the KBO kept in raw is a year.

SIRENE: the fixture stock (tests/fixtures/sirene, 8 active establishments with a legal unit) in vintages dated by
their sidecar's reference_period, and a stock without one establishment. KBO: the fixture Full 136 (snapshot
2025-05-30, with registered seats; see test_kbo_demography) and a Full 141 of 2026-12-31 written here, from which
the cooperative 0200.362.210 and the SRL 0420.000.003 (and their units) are gone and where the cooperative
0470.000.038 (StartDate 01-03-2026, seat 7000 Mons) is new.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest
from test_kbo_demography import full_with_seats, seat
from test_kbo_fetch import FIXTURES as KBO_FIXTURES
from test_kbo_fetch import MEMBERS, zip_members
from test_sirene import ESTABLISHMENTS_CSV, UNITS_CSV

from observatory import harmonise, mart, snapshots, vintages
from observatory.errors import InputError
from observatory.sources import kbo, sirene


def sirene_vintage(raw: Path, day: str, period: str, establishments: Path = ESTABLISHMENTS_CSV,
                   units: bool = True) -> Path:
    with vintages.new_vintage(raw, "fr", "sirene", now=datetime.fromisoformat(day).replace(tzinfo=UTC)) as v:
        v.describe(producer="INSEE (test)", licence="Licence Ouverte 2.0", urls=["https://example.org/sirene"],
                   reference_period=period)
        if units:
            shutil.copyfile(UNITS_CSV, v.file("StockUniteLegale_utf8.csv"))
        shutil.copyfile(establishments, v.file("StockEtablissement_utf8.csv"))
    return v.final


def without_line(source: Path, siret: str, target: Path) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if siret not in line]
    assert len(kept) == len(lines) - 1
    target.write_text("".join(kept), encoding="utf-8")
    return target


def fr_counts(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT snapshot_date, sum(establishments) FROM src.fr_sirene_establishments "
                       "GROUP BY ALL ORDER BY ALL").fetchall()


@pytest.fixture
def sirene_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    # Two vintages in June 2024: only the month's latest is a snapshot. The first lacks its unit file: staging it
    # would fail.
    sirene_vintage(raw, "2024-06-03", "2023-12", units=False)
    sirene_vintage(raw, "2024-06-20", "2023-12")
    # The stock of May 2024 without one active establishment (siret 40000000100011: an association in 59350): a year (2024)
    # whose December stock, the current vintage's, is kept instead.
    smaller = without_line(ESTABLISHMENTS_CSV, "40000000100011", tmp_path / "StockEtablissement_utf8.csv")
    sirene_vintage(raw, "2024-07-02", "2024-05", establishments=smaller)
    sirene_vintage(raw, "2025-01-04", "2024-12", establishments=smaller)
    return raw


def test_every_year_of_sirene_vintages_is_a_snapshot(sirene_raw: Path, tmp_path: Path) -> None:
    con = duckdb.connect()
    meta = sirene.load(con, sirene_raw, tmp_path / "cache")
    # 8 establishments at the end of 2023 (test_sirene.EXPECTED); 7 at the end of 2024.
    assert fr_counts(con) == [(date(2023, 12, 31), 8), (date(2024, 12, 31), 7)]
    assert meta["snapshot_date"] == "2024-12-31"
    assert [(s["vintage"], s["snapshot_date"], s["a_year_of"]) for s in meta["snapshots"]] == [
        ("2024-06-20", "2023-12-31", "src.fr_sirene_establishments"), ("2024-07-02", "2024-05-31", None)]
    # Files of the snapshots used, each named with its vintage; the orphan establishment rejected in each year.
    assert con.execute("SELECT vintage, count(*) FROM meta.sources GROUP BY ALL ORDER BY ALL").fetchall() == [
        ("2024-06-20", 2), ("2025-01-04", 2)]
    assert con.execute("SELECT year, count(*) FROM meta.rejects WHERE source_id = 'fr_sirene' "
                       "GROUP BY ALL ORDER BY ALL").fetchall() == [(2023, 1), (None, 1)]

    harmonise.harmonise_registry(con, harmonise.SIRENE)
    mart.build_establishments(con)
    years = con.execute("SELECT year, snapshot_date, establishments FROM mart.establishments "
                        "WHERE geo = 'FWVL_FR' AND family = 'ALL' AND nace_a10 = 'TOTAL' ORDER BY year").fetchall()
    # Of the 8 (7), those in the area's départements (59, 62, 80... test_sirene's README): the 59 9220 one goes.
    assert [(y, d) for y, d, _ in years] == [(2023, date(2023, 12, 31)), (2024, date(2024, 12, 31))]
    assert years[0][2] - years[1][2] == 1
    # Every establishment staged, of both years, is accounted for.
    accounted = con.execute("SELECT sum(rows) FROM meta.row_accounting WHERE source_id = 'fr_sirene'").fetchone()[0]
    assert accounted == 15


def test_a_new_vintage_adds_its_year_and_stages_only_itself(sirene_raw: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    sirene.load(duckdb.connect(), sirene_raw, cache)
    before = vintages.source_version(sirene_raw, sirene.FOLDER)

    def refuse(*args, **kwargs):
        raise AssertionError("a kept vintage was staged again")

    monkeypatch.setattr(snapshots, "_stage_and_keep", refuse)
    con = duckdb.connect()
    assert sirene.load(con, sirene_raw, cache)["snapshots"][0]["vintage"] == "2024-06-20"  # read back
    # The nightly's new stock: the vintage read until now is kept, not staged again.
    sirene_vintage(sirene_raw, "2026-01-05", "2025-12")
    assert vintages.source_version(sirene_raw, sirene.FOLDER) != before
    con = duckdb.connect()
    sirene.load(con, sirene_raw, cache)
    assert fr_counts(con) == [(date(2023, 12, 31), 8), (date(2024, 12, 31), 7), (date(2025, 12, 31), 8)]
    # The vintages of June 2024 removed from raw: the kept copy goes, and so does its year.
    for name in ("2024-06-03", "2024-06-20"):
        shutil.rmtree(sirene_raw / "fr" / "sirene" / name)
    con = duckdb.connect()
    sirene.load(con, sirene_raw, cache)
    assert fr_counts(con) == [(date(2024, 12, 31), 7), (date(2025, 12, 31), 8)]
    assert not (cache / snapshots.SNAPSHOTS_DIR / "fr_sirene" / "2024-06-20").exists()


def test_what_a_killed_build_left_in_the_cache_is_removed(sirene_raw: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    scratch = cache / f"{snapshots.SCRATCH_PREFIX}abc123"
    partial = cache / snapshots.SNAPSHOTS_DIR / "fr_sirene" / ".2024-06-20.xyz"
    for folder in (scratch, partial):
        folder.mkdir(parents=True)
        (folder / "half.parquet").write_bytes(b"PAR1")
    con = duckdb.connect()
    sirene.load(con, sirene_raw, cache)
    assert not scratch.exists() and not partial.exists()
    assert sorted(p.name for p in (cache / snapshots.SNAPSHOTS_DIR / "fr_sirene").iterdir()) == [
        "2024-06-20", "2024-07-02", "2025-01-04"]
    assert fr_counts(con) == [(date(2023, 12, 31), 8), (date(2024, 12, 31), 7)]


def test_a_pinned_vintage_reads_the_older_ones_and_keeps_the_newer_ones_kept(
        sirene_raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    sirene.load(duckdb.connect(), sirene_raw, cache)
    monkeypatch.setenv("OBSERVATORY_VINTAGE_FR_SIRENE", "2024-07-02")
    con = duckdb.connect()
    sirene.load(con, sirene_raw, cache)
    assert fr_counts(con) == [(date(2023, 12, 31), 8), (date(2024, 5, 31), 7)]
    kept = cache / snapshots.SNAPSHOTS_DIR / "fr_sirene"
    assert sorted(p.name for p in kept.iterdir()) == ["2024-06-20", "2024-07-02", "2025-01-04"]


def test_a_bad_older_vintage_is_named_and_leaves_nothing_behind(sirene_raw: Path, tmp_path: Path) -> None:
    # The kept June stock loses its siret column: staged again (its data changed), it is refused, naming the file.
    broken = sirene_raw / "fr" / "sirene" / "2024-06-20"
    (broken / "provenance.json").unlink()  # a vintage edited by hand: its files are what identify it
    csv = broken / "StockEtablissement_utf8.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text(lines[0].replace(",siret,", ",numero,") + "".join(lines[1:]), encoding="utf-8")
    cache = tmp_path / "cache"
    con = duckdb.connect()
    with pytest.raises(InputError) as caught:
        sirene.load(con, sirene_raw, cache)
    assert str(csv) in str(caught.value) and "siret" in str(caught.value)
    assert con.execute("SELECT current_database()").fetchone()[0] == "memory"  # the scratch database is gone
    assert not list(cache.glob(f"{snapshots.SCRATCH_PREFIX}*"))


def test_each_year_names_its_own_files_build_after_build(tmp_path: Path) -> None:
    # One working database across builds, as the pipeline keeps it; the oldest stock is a ZIP, so its file names
    # are not replaced by the newer vintages' (the CSVs) when these are loaded.
    raw, cache, con = tmp_path / "raw", tmp_path / "cache", duckdb.connect()
    oldest = sirene_vintage(raw, "2024-06-20", "2023-12")
    for stem in ("StockUniteLegale_utf8", "StockEtablissement_utf8"):
        with zipfile.ZipFile(oldest / f"{stem}.zip", "w") as archive:
            archive.write(oldest / f"{stem}.csv", f"{stem}.csv")
        (oldest / f"{stem}.csv").unlink()
        (oldest / f"{stem}.csv.origin.json").rename(oldest / f"{stem}.zip.origin.json")
    (oldest / "provenance.json").unlink()
    for day, period in (("2025-01-04", "2024-12"), ("2026-01-05", "2025-12"), ("2027-01-05", "2026-12"),
                        ("2028-01-05", "2027-12")):
        sirene_vintage(raw, day, period)
        sirene.load(con, raw, cache)
    files = con.execute("SELECT vintage, list(file_name ORDER BY file_name) FROM meta.sources GROUP BY ALL "
                        "ORDER BY ALL").fetchall()
    assert files == [("2024-06-20", ["StockEtablissement_utf8.zip", "StockUniteLegale_utf8.zip"])] + [
        (day, ["StockEtablissement_utf8.csv", "StockUniteLegale_utf8.csv"])
        for day in ("2025-01-04", "2026-01-05", "2027-01-05", "2028-01-05")]
    assert [d.year for (d,) in con.execute("SELECT DISTINCT snapshot_date FROM src.fr_sirene_establishments "
                                           "ORDER BY 1").fetchall()] == [2023, 2024, 2025, 2026, 2027]


def test_a_changed_loader_stages_its_kept_vintages_again(sirene_raw: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    sirene.load(duckdb.connect(), sirene_raw, cache)
    staged = []
    original = snapshots._stage_and_keep
    monkeypatch.setattr(snapshots, "cache_key", lambda vintage, module: f"{vintage.name} corrected loader")
    monkeypatch.setattr(snapshots, "_stage_and_keep",
                        lambda con, vintage, *rest: staged.append(vintage.name) or original(con, vintage, *rest))
    con = duckdb.connect()
    sirene.load(con, sirene_raw, cache)
    assert staged == ["2024-06-20", "2024-07-02"]
    assert fr_counts(con) == [(date(2023, 12, 31), 8), (date(2024, 12, 31), 7)]


def test_the_time_series_is_only_for_registries(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    versions = {}
    for country, source in (("fr", "sirene"), ("eu", "eurostat")):
        for day in ("2024-06-20", "2025-01-04"):
            with vintages.new_vintage(raw, country, source, now=datetime.fromisoformat(day).replace(tzinfo=UTC)) as v:
                v.describe(producer="test", licence="test", urls=[])
                v.file("data.csv").write_text(day, encoding="utf-8")
        versions[source] = vintages.source_version(raw, Path(country) / source)
        shutil.rmtree(raw / country / source / "2024-06-20")
    assert vintages.source_version(raw, Path("fr") / "sirene") != versions["sirene"]
    assert vintages.source_version(raw, Path("eu") / "eurostat") == versions["eurostat"]


def test_monthly_keeps_the_latest_of_each_month_but_the_current_one() -> None:
    found = [Path(n) for n in ("2024-06-03", "2024-06-20", "2024-06-20T101010", "2024-07-02", "2024-08-01")]
    assert [p.name for p in snapshots.monthly(found, Path("2024-08-30"))] == ["2024-06-20T101010", "2024-07-02"]


# --- KBO --------------------------------------------------------------------------------------------------------

GONE = ("0200.362.210", "0420.000.003")


def full_141() -> bytes:
    members = {m: (KBO_FIXTURES / "full" / m).read_text(encoding="utf-8") for m in MEMBERS}
    members["meta.csv"] = members["meta.csv"].replace("30-05-2025", "31-12-2026").replace('"136"', '"141"')
    members["address.csv"] += (seat("0430.000.010", "7500", "Tournai") + seat("0410.000.093", "7500", "Tournai")
                               + seat("0470.000.038", "7000", "Mons"))
    for member in ("enterprise.csv", "establishment.csv"):
        members[member] = "".join(line for line in members[member].splitlines(keepends=True)
                                  if not any(number in line for number in GONE))
    members["enterprise.csv"] += '"0470.000.038","AC","000","2","706",,01-03-2026\n'
    return zip_members(members)


def kbo_vintage(raw: Path, day: str, name: str, data: bytes) -> None:
    with vintages.new_vintage(raw, "be", "kbo", now=datetime.fromisoformat(day).replace(tzinfo=UTC)) as v:
        v.describe(producer="SPF Economie (test)", licence="KBO open data", urls=["https://example.org/kbo"])
        v.file(name).write_bytes(data)


@pytest.fixture
def kbo_loaded(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    raw = tmp_path / "raw"
    kbo_vintage(raw, "2025-06-02", "KboOpenData_0136_2025_06_Full.zip", full_with_seats())
    kbo_vintage(raw, "2027-01-03", "KboOpenData_0141_2027_01_Full.zip", full_141())
    con = duckdb.connect()
    return con, kbo.load(con, raw, tmp_path / "cache")


def test_enterprises_missing_from_the_next_full_depart_on_its_snapshot(kbo_loaded) -> None:
    con, meta = kbo_loaded
    departed = con.execute("SELECT enterprise, departed_on FROM src.be_kbo_enterprises "
                           "WHERE departed_on IS NOT NULL ORDER BY ALL").fetchall()
    assert departed == [(GONE[0], date(2026, 12, 31)), (GONE[1], date(2026, 12, 31))]
    # The Full's 8 enterprises and 0470.000.038, seen from the older Full's snapshot.
    assert (meta["enterprises"], meta["enterprises_departed"], meta["observed_from"]) == (9, 2, "2025-05-30")
    assert con.execute("SELECT DISTINCT snapshot_date FROM src.be_kbo_enterprises").fetchall() == [
        (date(2026, 12, 31),)]
    # The older vintage's files, named with it, beside the current one's.
    assert con.execute("SELECT vintage, count(*) FROM meta.sources GROUP BY ALL ORDER BY ALL").fetchall() == [
        ("2025-06-02", len(MEMBERS) - 1), ("2027-01-03", len(MEMBERS) - 1)]  # denomination.csv is not read

    harmonise.harmonise_demography(con)
    mart.build_demography(con)
    rows = con.execute("SELECT family, year, births, closures, active_end FROM mart.demography "
                       "WHERE geo = 'FWVL_BE' AND family IN ('ALL', 'ASSOC', 'COOP') ORDER BY ALL").fetchall()
    # 2026 is the one whole year between the Fulls. Born: 0470.000.038. Closed: the cooperative and the SRL. At the
    # end of 2026: 0200.065.765, 0410.000.093, 0430.000.010, 0500.000.158 and 0470.000.038 (0200.362.211 fails
    # mod-97, 0403.449.823 is in Brussels).
    assert rows == [("ALL", 2026, 1, 2, 5), ("ASSOC", 2026, 0, 0, 2), ("COOP", 2026, 1, 1, 1)]


def test_each_full_is_a_year_of_establishments(kbo_loaded) -> None:
    con, meta = kbo_loaded
    assert [(s["vintage"], s["snapshot_date"], s["a_year_of"]) for s in meta["snapshots"]] == [
        ("2025-06-02", "2025-05-30", "src.be_kbo_establishments")]
    harmonise.harmonise_registry(con, harmonise.KBO)
    mart.build_establishments(con)
    totals = dict(con.execute("SELECT year, establishments FROM mart.establishments WHERE geo = 'FWVL_BE' "
                              "AND family = 'ALL' AND nace_a10 = 'TOTAL'").fetchall())
    # The units of the cooperative (2.100.000.114 at Mons; 2100001203 is rejected either way) and of the SRL
    # (2.100.000.807 at Mouscron) are gone from the second Full.
    assert sorted(totals) == [2025, 2026]
    assert totals[2025] - totals[2026] == 2
