"""The capped ZIP extractor (observatory.safezip), alone and as every loader that opens a ZIP uses it.

The ZIP bomb is 200 MiB of zeros deflated to ~200 kB (tests/zipcraft.py, built once per session): each test must be
refused before more than a few MiB reach the disk.
"""

from __future__ import annotations

import io
import os
import random
import stat
import tempfile
import zipfile
from pathlib import Path

import duckdb
import pytest
from conftest import partial_files, zip_bytes
from zipcraft import BOMB_BYTES, Entry, bomb, deflated, write_zip

from observatory import safezip
from observatory.errors import InputError
from observatory.safezip import Limits, open_zip, safe_extract
from observatory.sources import kbo, sirene, statbel_population

MiB = 1 << 20
FIXTURES = Path(__file__).parent / "fixtures"
KBO_ZIP = "KboOpenData_0136_2025_06_Full.zip"
KBO_MEMBERS = ("meta.csv", "code.csv", "enterprise.csv", "establishment.csv", "address.csv", "activity.csv")


def disk_usage(folder: Path, skip: Path | None = None) -> int:
    """Bytes of the files under ``folder`` (those under ``skip`` left out)."""
    return sum(p.stat().st_size for p in folder.rglob("*")
               if p.is_file() and (skip is None or not p.is_relative_to(skip)))


def small_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zip_bytes(members))
    return path


# --- the archive checks -------------------------------------------------------------------------------------------


def test_extract_normal(tmp_path: Path) -> None:
    archive = small_zip(tmp_path / "a.zip", {"code.csv": b"a,b\n", "sub/meta.csv": b"x\n", "other.csv": b"o\n"})
    out = tmp_path / "out"
    written = safe_extract(archive, out, members=["code.csv", "sub/meta.csv"])
    assert written == [out / "code.csv", out / "sub" / "meta.csv"]
    assert (out / "code.csv").read_bytes() == b"a,b\n" and (out / "sub" / "meta.csv").read_bytes() == b"x\n"
    assert not (out / "other.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "out"]  # no temporary folder left
    # Into an existing folder: files replaced, others kept.
    (out / "keep.txt").write_text("k")
    safe_extract(archive, out)
    assert sorted(p.name for p in out.iterdir()) == ["code.csv", "keep.txt", "other.csv", "sub"]


def test_missing_member(tmp_path: Path) -> None:
    archive = small_zip(tmp_path / "a.zip", {"code.csv": b"a"})
    with pytest.raises(InputError, match="a.zip: no member 'enterprise.csv'.*present: code.csv"):
        safe_extract(archive, tmp_path / "out", members=["enterprise.csv"])


@pytest.mark.parametrize(("name", "problem"), [("../evil.txt", r"'\.\.' component"), ("ok/../../evil.txt", r"'\.\.'"),
                                               ("/tmp/evil.txt", "absolute path"), ("C:/evil.txt", "drive letter"),
                                               ("..\\evil.txt", r"'\.\.'")])
def test_escaping_names_refuse_the_archive(tmp_path: Path, name: str, problem: str) -> None:
    archive = small_zip(tmp_path / "a.zip", {"good.csv": b"fine", name: b"evil"})
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    (out / "before.txt").write_text("b")
    with pytest.raises(InputError, match=f"member '.*evil.txt': .*{problem}.*outside the extraction folder") as caught:
        safe_extract(archive, out)
    assert caught.value.path == archive
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert written == ["a.zip", "deep", "deep/out", "deep/out/before.txt"]  # nothing written, nowhere


@pytest.mark.parametrize(("mode", "problem"), [(stat.S_IFLNK | 0o777, "symbolic link"),
                                               (stat.S_IFCHR | 0o666, "not a regular file"),
                                               (stat.S_IFIFO | 0o644, "not a regular file")])
def test_links_and_devices_are_refused(tmp_path: Path, mode: int, problem: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.csv", "a\n")
        link = zipfile.ZipInfo("link")
        link.create_system = 3
        link.external_attr = mode << 16
        archive.writestr(link, "/etc/passwd")
    (tmp_path / "a.zip").write_bytes(buffer.getvalue())
    with pytest.raises(InputError, match=f"member 'link': .*{problem}"):
        safe_extract(tmp_path / "a.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_permission_bits_without_a_file_type_are_a_plain_file(tmp_path: Path) -> None:
    # zipfile.writestr records 0o600 and no file type; Windows archivers record no unix mode at all.
    archive = write_zip(tmp_path / "a.zip", [deflated("a.csv", b"x\n", mode=0o600), deflated("b.csv", b"y\n", mode=0)])
    assert [p.read_bytes() for p in safe_extract(archive, tmp_path / "out")] == [b"x\n", b"y\n"]


def test_too_many_members(tmp_path: Path) -> None:
    archive = small_zip(tmp_path / "a.zip", {f"m{i}.csv": b"x\n" for i in range(12)})
    with pytest.raises(InputError, match="12 entries, more than the cap of 10"):
        safe_extract(archive, tmp_path / "out", limits=Limits(max_members=10))
    assert len(safe_extract(archive, tmp_path / "out", limits=Limits(max_members=12))) == 12


def test_the_same_name_twice(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "a.zip", [deflated("a.csv", b"1\n"), deflated("a.csv", b"2\n")])
    with pytest.raises(InputError, match="member 'a.csv' appears twice"):
        safe_extract(archive, tmp_path / "out")


def test_zip_bomb_is_refused_from_its_headers(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "bomb.zip", [bomb("zeros.csv")])
    assert os.path.getsize(archive) < 300_000
    with pytest.raises(InputError, match=rf"bomb.zip: member 'zeros.csv': {BOMB_BYTES} bytes from \d+ compressed, a "
                                         r"ratio over 200 \(a ZIP bomb\?"):
        safe_extract(archive, tmp_path / "out")
    # With the ratio allowed, the total cap stops it.
    with pytest.raises(InputError, match=f"add up to {BOMB_BYTES} bytes uncompressed, over the cap of {MiB}"):
        safe_extract(archive, tmp_path / "out", limits=Limits(max_total_bytes=MiB, max_ratio=1e9))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.zip"]


@pytest.mark.parametrize("declared", [1000, 5 * MiB])
def test_headers_that_understate_a_bomb(tmp_path: Path, declared: int) -> None:
    # The headers announce `declared` bytes (ratio under the cap), the data inflates to 200 MiB: the extraction stops
    # at the announced size (the CRC then fails) and the partial file is deleted.
    archive = write_zip(tmp_path / "liar.zip", [bomb("zeros.csv", declared=declared)])
    with open_zip(archive) as opened:
        assert opened.files[0].file_size == declared
    with pytest.raises(InputError, match="member 'zeros.csv': cannot be extracted, the ZIP is damaged"):
        safe_extract(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["liar.zip"]


def test_bytes_are_counted_not_the_headers() -> None:
    # The copy loop itself, fed more than the header says (what a zipfile that trusted the data would give).
    data = io.BytesIO(bytes(3 * MiB))
    sink = io.BytesIO()
    with pytest.raises(safezip._CapExceeded, match=r"larger than its header says \(1048576 bytes\)") as caught:
        safezip.copy_capped(data, sink, declared=MiB, compressed=MiB, max_ratio=200, budget=10 * MiB)
    assert caught.value.written == MiB and len(sink.getvalue()) == MiB  # stopped before the second chunk
    data.seek(0)
    with pytest.raises(safezip._CapExceeded, match="expands more than 2 times"):
        safezip.copy_capped(data, io.BytesIO(), declared=3 * MiB, compressed=MiB // 2, max_ratio=2, budget=10 * MiB)
    data.seek(0)
    with pytest.raises(safezip._CapExceeded, match="over the cap"):
        safezip.copy_capped(data, io.BytesIO(), declared=3 * MiB, compressed=3 * MiB, max_ratio=2, budget=2 * MiB)
    data.seek(0)
    assert safezip.copy_capped(data, io.BytesIO(), declared=3 * MiB, compressed=3 * MiB, max_ratio=2,
                               budget=3 * MiB) == 3 * MiB


def test_total_cap_counts_every_member_extracted(tmp_path: Path) -> None:
    # Each member is under the cap, the two together are not: the second stops when the cap is reached.
    archive = write_zip(tmp_path / "two.zip", [deflated("a.csv", bytes(3 * MiB)), deflated("b.csv", bytes(3 * MiB))])
    limits = Limits(max_total_bytes=5 * MiB, max_ratio=1e9)
    with open_zip(archive, Limits(max_total_bytes=6 * MiB, max_ratio=1e9)) as opened:
        opened.limits = limits
        opened.extract(opened.files[0], tmp_path / "out" / "a.csv")
        with pytest.raises(InputError, match="member 'b.csv': more than 2097152 bytes would come out, over the cap of "
                                             "5242880 bytes per archive"):
            opened.extract(opened.files[1], tmp_path / "out" / "b.csv")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.csv"]


def test_read_member_in_memory_is_capped(tmp_path: Path) -> None:
    big_bytes = random.Random(1).randbytes(2 * MiB)  # incompressible: no ratio to refuse
    archive = small_zip(tmp_path / "a.zip", {"meta.csv": b"Variable,Value\n", "big.csv": big_bytes})
    with open_zip(archive) as opened:
        meta, big = opened.files
        assert opened.read(meta, 100) == b"Variable,Value\n"
        with pytest.raises(InputError, match=f"member 'big.csv': {2 * MiB} bytes uncompressed, more than the 1048576"):
            opened.read(big, MiB)


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "an empty file, not a ZIP"),
    (b"<!DOCTYPE html><html><body>Please log in</body></html>", "an HTML page, not a ZIP"),
    (b"siren,siret\n123,456\n", "not a ZIP archive"),
    (zip_bytes({"a.csv": random.Random(2).randbytes(10_000)})[:5000], "not a readable ZIP, truncated or damaged"),
])
def test_what_is_not_a_zip(tmp_path: Path, content: bytes, problem: str) -> None:
    (tmp_path / "x.zip").write_bytes(content)
    with pytest.raises(InputError, match=problem) as caught:
        safezip.check_zip(tmp_path / "x.zip")
    assert caught.value.path == tmp_path / "x.zip"


def test_limits_from_the_environment() -> None:
    assert Limits.from_env({}) == Limits(64 << 30, 200.0, 1000)
    assert Limits.from_env({safezip.MAX_BYTES_ENV: "500M", safezip.MAX_RATIO_ENV: "50",
                            safezip.MAX_MEMBERS_ENV: "20"}) == Limits(500 << 20, 50.0, 20)
    assert Limits.from_env({safezip.MAX_BYTES_ENV: "123"}).max_total_bytes == 123
    with pytest.raises(ValueError, match="OBSERVATORY_ZIP_MAX_BYTES"):
        Limits.from_env({safezip.MAX_BYTES_ENV: "lots"})
    with pytest.raises(ValueError, match="positive"):
        Limits.from_env({safezip.MAX_RATIO_ENV: "0.5"})


# --- the loaders: a bomb given as KBO, SIRENE and Statbel ---------------------------------------------------------


def kbo_raw(tmp_path: Path, replace: Entry) -> Path:
    """A raw folder whose KBO Full extract holds the fixture's members, ``replace`` instead of the one of the same
    base name."""
    members = [replace if replace.name.endswith(name) else deflated(name, (FIXTURES / "kbo" / "full" / name).read_bytes())
               for name in KBO_MEMBERS]
    write_zip(tmp_path / "raw" / kbo.FOLDER / KBO_ZIP, members)
    return tmp_path / "raw"


def sirene_raw(tmp_path: Path, establishments: Entry) -> Path:
    folder = tmp_path / "raw" / sirene.FOLDER
    folder.mkdir(parents=True)
    (folder / "StockUniteLegale_utf8.csv").write_bytes((FIXTURES / "sirene" / "StockUniteLegale_utf8.csv").read_bytes())
    write_zip(folder / "StockEtablissement_utf8.zip", [establishments])
    return tmp_path / "raw"


def statbel_raw(tmp_path: Path, member: Entry) -> Path:
    write_zip(tmp_path / "raw" / statbel_population.FOLDER / "TF_SOC_POP_STRUCT_2024.zip", [member])
    return tmp_path / "raw"


def load_kbo(tmp_path: Path, raw: Path) -> None:
    kbo.load(duckdb.connect(), raw, tmp_path / "work")


def load_sirene(tmp_path: Path, raw: Path) -> None:
    sirene.load(duckdb.connect(), raw, tmp_path / "work")


def load_statbel(tmp_path: Path, raw: Path) -> None:
    statbel_population.load(duckdb.connect(), raw)


LOADERS = {
    "kbo": (kbo_raw, "activity.csv", load_kbo, KBO_ZIP),
    "sirene": (sirene_raw, "StockEtablissement_utf8.csv", load_sirene, "StockEtablissement_utf8.zip"),
    "statbel": (statbel_raw, "TF_SOC_POP_STRUCT_2024.txt", load_statbel, "TF_SOC_POP_STRUCT_2024.zip"),
}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system temporary folder moved under tmp_path (Statbel extracts there), so that leftovers are seen."""
    folder = tmp_path / "systmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("source", sorted(LOADERS))
def test_zip_bomb_given_to_a_loader_is_refused(tmp_path: Path, private_tmp: Path, source: str) -> None:
    make, member, load, zip_name = LOADERS[source]
    raw = make(tmp_path, bomb(member))
    with pytest.raises(InputError, match=rf"{zip_name}: member '{member}': {BOMB_BYTES} bytes from \d+ compressed, "
                                         r"a ratio over 200 \(a ZIP bomb\?") as caught:
        load(tmp_path, raw)
    assert caught.value.path.name == zip_name
    assert disk_usage(tmp_path, skip=raw) == 0  # nothing extracted, nothing left


@pytest.mark.parametrize("source", sorted(LOADERS))
def test_understated_bomb_given_to_a_loader_stops_at_the_declared_size(tmp_path: Path, private_tmp: Path,
                                                                      source: str) -> None:
    make, member, load, zip_name = LOADERS[source]
    raw = make(tmp_path, bomb(member, declared=5 * MiB))
    with pytest.raises(InputError, match=f"{zip_name}: member '{member}': cannot be extracted, the ZIP is damaged"):
        load(tmp_path, raw)
    # Nothing of the bomb is left (the members before it, whole and checked, are kept for the next load).
    assert partial_files(tmp_path) == [] and not [p for p in tmp_path.rglob(Path(member).name) if raw not in p.parents]
    assert disk_usage(tmp_path, skip=raw) < 1 * MiB


@pytest.mark.parametrize("source", sorted(LOADERS))
def test_zip_slip_and_links_given_to_a_loader(tmp_path: Path, private_tmp: Path, source: str) -> None:
    make, member, load, zip_name = LOADERS[source]
    raw = make(tmp_path, deflated(f"../{member}", b"x\n"))
    with pytest.raises(InputError, match=rf"{zip_name}: member '\.\./{member}': a '\.\.' component points outside"):
        load(tmp_path, raw)
    raw = make(tmp_path / "link", deflated(member, b"/etc/passwd", mode=stat.S_IFLNK | 0o777))
    with pytest.raises(InputError, match=f"{zip_name}: member '{member}': a symbolic link"):
        load(tmp_path / "link", raw)
    assert disk_usage(tmp_path, skip=tmp_path / "raw") == disk_usage(tmp_path / "link" / "raw")


def test_total_cap_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fixture's KBO members add up to ~4.8 kB: a 4 kB cap refuses the extract before anything is written.
    raw = kbo_raw(tmp_path, deflated("meta.csv", (FIXTURES / "kbo" / "full" / "meta.csv").read_bytes()))
    monkeypatch.setenv(safezip.MAX_BYTES_ENV, "4K")
    with pytest.raises(InputError, match=f"{KBO_ZIP}: the members add up to \\d+ bytes uncompressed, over the cap "
                                         "of 4096"):
        load_kbo(tmp_path, raw)
    monkeypatch.setenv(safezip.MAX_BYTES_ENV, "1M")
    load_kbo(tmp_path, raw)
