"""observatory.vintages: dated, atomically committed retrievals of a source, and which one the pipeline reads."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from observatory.errors import InputError
from observatory.provenance import Origin, read_origin, vintage_of
from observatory.vintages import (
    current,
    incoming_dir,
    list_vintages,
    new_vintage,
    read_provenance,
    resolve,
    same_as_latest,
    source_version,
    vintage_setting,
)

DAY1 = datetime(2025, 1, 5, 8, 30, 0, tzinfo=UTC)
DAY2 = datetime(2025, 2, 5, 9, 0, 0, tzinfo=UTC)
DEFAULT = Origin(producer="default producer", url="https://default", licence="default licence")


def describe(vintage, **extra) -> None:
    vintage.describe(producer="SPF Economie", licence="KBO Open data licence", urls=["https://kbo/x.zip"],
                     producer_version={"etag": '"abc"', "extract_number": "0130"}, **extra)


def make(raw: Path, when: datetime, content: bytes = b"zipdata", name: str = "KboOpenData_0130_2025_01_Full.zip") -> Path:
    with new_vintage(raw, "be", "kbo", now=when) as vintage:
        describe(vintage)
        vintage.file(name, url=f"https://kbo/{name}", reference_period="2024-12-31").write_bytes(content)
    assert vintage.final is not None
    return vintage.final


def test_commit_publishes_the_folder_with_provenance_and_sidecars(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    vintage = new_vintage(raw, "be", "kbo", now=DAY1)
    describe(vintage)
    vintage.file("a.zip", url="https://kbo/a.zip", reference_period="2024-12-31").write_bytes(b"AAA")
    # While it is being built, readers see nothing (only a .partial folder).
    assert vintage.path.name.endswith(".partial") and list_vintages(raw, "be", "kbo") == []
    assert resolve(raw, "be", "kbo") == raw / "be" / "kbo"
    final = vintage.commit()
    assert final == raw / "be" / "kbo" / "2025-01-05" and not vintage.path.exists()
    assert sorted(p.name for p in (raw / "be" / "kbo").iterdir()) == ["2025-01-05"]
    provenance = read_provenance(final)
    assert provenance["files"] == [{"name": "a.zip", "size": 3, "sha256": hashlib.sha256(b"AAA").hexdigest()}]
    assert provenance["retrieved_at"] == "2025-01-05T08:30:00Z" and provenance["synthetic"] is False
    assert provenance["producer_version"] == {"etag": '"abc"', "extract_number": "0130"}
    assert provenance["urls"] == ["https://kbo/x.zip"] and provenance["vintage"] == "2025-01-05"
    origin = read_origin(final / "a.zip", DEFAULT)
    assert origin == Origin(producer="SPF Economie", url="https://kbo/a.zip", licence="KBO Open data licence",
                            reference_period="2024-12-31", synthetic=False, note="",
                            retrieved="2025-01-05T08:30:00Z")


def test_failure_inside_leaves_no_folder_and_previous_vintage_intact(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    first = make(raw, DAY1, b"old")
    before = {p.relative_to(raw): p.read_bytes() for p in raw.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError, match="network down"), new_vintage(raw, "be", "kbo", now=DAY2) as vintage:
        describe(vintage)
        vintage.file("KboOpenData_0130_2025_01_Full.zip").write_bytes(b"half")
        raise RuntimeError("network down")
    assert not vintage.path.exists() and vintage.final is None
    assert list_vintages(raw, "be", "kbo") == [first]
    assert {p.relative_to(raw): p.read_bytes() for p in raw.rglob("*") if p.is_file()} == before


def test_commit_refused_without_description_or_files(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    with pytest.raises(ValueError, match="describe"), new_vintage(raw, "be", "kbo", now=DAY1) as vintage:
        vintage.file("a.zip").write_bytes(b"A")
    with pytest.raises(ValueError, match="no data file"), new_vintage(raw, "be", "kbo", now=DAY1) as vintage:
        describe(vintage)
    assert list((raw / "be" / "kbo").iterdir()) == []


def test_same_day_second_vintage_gets_a_time(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    first = make(raw, DAY1, b"v1")
    second = make(raw, DAY1.replace(hour=17, minute=5, second=9), b"v2")
    third = make(raw, DAY1.replace(hour=17, minute=5, second=9), b"v3")
    assert [first.name, second.name, third.name] == ["2025-01-05", "2025-01-05T170509", "2025-01-05T170509-2"]
    assert list_vintages(raw, "be", "kbo") == [first, second, third]
    assert resolve(raw, "be", "kbo") == third


def test_resolve_newest_named_and_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    # The embedded sample: files straight in the source folder, no vintages.
    (raw / "be" / "kbo").mkdir(parents=True)
    (raw / "be" / "kbo" / "KboOpenData_0130_2025_01_Full.zip").write_bytes(b"sample")
    assert resolve(raw, "be", "kbo") == raw / "be" / "kbo"
    assert resolve(raw, "fr", "sirene") == raw / "fr" / "sirene"  # nothing at all: still the source folder
    newer = make(raw, DAY2)
    older = make(raw, DAY1)
    (raw / "be" / "kbo" / "2025-03-01.x1y2.partial").mkdir()  # an interrupted build, never read
    incoming_dir(raw, "be", "kbo")
    assert list_vintages(raw, "be", "kbo") == [older, newer]
    assert resolve(raw, "be", "kbo") == newer
    assert resolve(raw, "be", "kbo", "2025-01-05") == older
    with pytest.raises(InputError, match=r"no vintage '2024-12-01'.*present: 2025-01-05, 2025-02-05"):
        resolve(raw, "be", "kbo", "2024-12-01")
    monkeypatch.setenv("OBSERVATORY_VINTAGE_BE_KBO", "2025-01-05")
    assert resolve(raw, "be", "kbo", vintage_setting("be_kbo")) == older
    monkeypatch.setenv("OBSERVATORY_VINTAGE_BE_KBO", "latest")
    assert vintage_setting("be_kbo") is None
    monkeypatch.delenv("OBSERVATORY_VINTAGE_BE_KBO")
    assert vintage_setting("be_kbo") is None


def test_same_as_latest(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    name = "KboOpenData_0130_2025_01_Full.zip"
    assert not same_as_latest(raw, "be", "kbo", {name: hashlib.sha256(b"v1").hexdigest()})
    make(raw, DAY1, b"v1")
    assert same_as_latest(raw, "be", "kbo", {name: hashlib.sha256(b"v1").hexdigest()})
    assert not same_as_latest(raw, "be", "kbo", {name: hashlib.sha256(b"v2").hexdigest()})
    assert not same_as_latest(raw, "be", "kbo", {name: hashlib.sha256(b"v1").hexdigest(), "more.csv": "00"})
    make(raw, DAY2, b"v2")
    assert not same_as_latest(raw, "be", "kbo", {name: hashlib.sha256(b"v1").hexdigest()})  # only the newest counts


def test_adopt_moves_a_download_in_and_discard(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    downloaded = incoming_dir(raw, "be", "kbo") / "x.zip"
    downloaded.write_bytes(b"payload")
    with new_vintage(raw, "be", "kbo", now=DAY1) as vintage:
        describe(vintage, note="fetched by the test")
        vintage.adopt(downloaded, url="https://kbo/x.zip")
        assert vintage.sha256s() == {"x.zip": hashlib.sha256(b"payload").hexdigest()}
    assert not downloaded.exists() and (vintage.final / "x.zip").read_bytes() == b"payload"
    sidecar = json.loads((vintage.final / "x.zip.origin.json").read_text())
    assert sidecar["note"] == "fetched by the test" and sidecar["retrieved"] == "2025-01-05T08:30:00Z"
    with new_vintage(raw, "be", "kbo", now=DAY2) as unchanged:
        describe(unchanged)
        unchanged.file("x.zip").write_bytes(b"payload")
        unchanged.discard()
    assert list_vintages(raw, "be", "kbo") == [vintage.final] and not unchanged.path.exists()


def test_file_names_must_stay_inside(tmp_path: Path) -> None:
    with new_vintage(tmp_path, "be", "kbo", now=DAY1) as vintage:
        for bad in ("../x.zip", "/etc/x", "provenance.json"):
            with pytest.raises(ValueError, match="plain file name"):
                vintage.file(bad)
        vintage.discard()


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"


def _flores_vintage(raw: Path, when: datetime, year: int, edit: bytes = b"") -> Path:
    """A hand-dropped delivery kept as a vintage: the sample's FLORES files of ``year``, optionally changed."""
    with new_vintage(raw, "fr", "flores", now=when) as vintage:
        vintage.describe(producer="INSEE", licence="agreement", urls=["delivered by hand"])
        for stem in ("flores_postes", "flores_etablissements"):
            name = f"{stem}_{year}.csv"
            vintage.file(name).write_bytes((SAMPLE / "fr" / "flores" / name).read_bytes() + edit)
    assert vintage.final is not None
    return vintage.final


def test_loader_reads_the_newest_or_pinned_vintage_and_meta_sources_names_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    from observatory.sources import flores

    monkeypatch.delenv("OBSERVATORY_VINTAGE_FR_FLORES", raising=False)
    raw = tmp_path / "raw"
    _flores_vintage(raw, DAY1, 2023)
    _flores_vintage(raw, DAY2, 2023)
    assert current(raw, flores.FOLDER).name == "2025-02-05"
    con = duckdb.connect()
    flores.load_year(con, raw, 2023)
    rows = con.execute("SELECT DISTINCT vintage, retrieved FROM meta.sources WHERE source_id = 'fr_flores'").fetchall()
    assert rows == [("2025-02-05", "2025-02-05T09:00:00Z")]

    monkeypatch.setenv("OBSERVATORY_VINTAGE_FR_FLORES", "2025-01-05")
    flores.load_year(con, raw, 2023)
    rows = con.execute("SELECT DISTINCT vintage FROM meta.sources WHERE source_id = 'fr_flores'").fetchall()
    assert rows == [("2025-01-05",)]
    monkeypatch.setenv("OBSERVATORY_VINTAGE_FR_FLORES", "2024-12-31")
    with pytest.raises(InputError, match="no vintage '2024-12-31' of fr/flores .*OBSERVATORY_VINTAGE_FR_FLORES"):
        flores.load_year(con, raw, 2023)


def test_files_outside_any_vintage_have_an_empty_vintage() -> None:
    assert vintage_of(SAMPLE / "fr" / "flores" / "flores_postes_2023.csv") == ""
    assert vintage_of(Path("raw/be/kbo/2025-01-05T083000/KboOpenData_0130_2025_01_Full.zip/meta.csv")) == \
        "2025-01-05T083000"


def test_source_version_changes_with_the_data_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBSERVATORY_VINTAGE_FR_FLORES", raising=False)
    folder = Path("fr") / "flores"
    raw = tmp_path / "raw"
    assert source_version(raw, folder) == "absent"
    # Files dropped straight into the source folder: their checksums.
    (raw / folder).mkdir(parents=True)
    (raw / folder / "flores_postes_2023.csv").write_bytes(b"a")
    loose = source_version(raw, folder)
    assert loose.startswith("files:") and source_version(raw, folder) == loose
    (raw / folder / "flores_postes_2023.csv").write_bytes(b"b")
    assert source_version(raw, folder) != loose
    # A vintage: its provenance; the same bytes fetched again on another day give the same version.
    _flores_vintage(raw, DAY1, 2023)
    first = source_version(raw, folder)
    assert first.startswith("2025-01-05:")
    _flores_vintage(raw, DAY2, 2023)
    assert source_version(raw, folder).split(":")[1] == first.split(":")[1]
    _flores_vintage(raw, datetime(2025, 3, 1, tzinfo=UTC), 2023, edit=b"\n")
    assert source_version(raw, folder).split(":")[1] != first.split(":")[1]


def test_a_vintage_file_changed_after_the_fetch_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    from observatory.sources import flores

    monkeypatch.delenv("OBSERVATORY_VINTAGE_FR_FLORES", raising=False)
    raw = tmp_path / "raw"
    vintage = _flores_vintage(raw, DAY1, 2023)
    jobs = vintage / "flores_postes_2023.csv"
    recorded = {f["name"]: f["sha256"] for f in read_provenance(vintage)["files"]}["flores_postes_2023.csv"]
    jobs.write_bytes(jobs.read_bytes().replace(b";", b";", 1) + b"\n")  # one more (blank) line: other bytes
    with pytest.raises(InputError, match=rf"flores_postes_2023.csv: its SHA-256 .* is not the {recorded[:12]}\.\.\. "
                                         r"recorded when vintage 2025-01-05 was fetched"):
        flores.load_year(duckdb.connect(), raw, 2023)
