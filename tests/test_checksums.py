"""Raw files are hashed once per version of the file, across builds (observatory.checksums)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from observatory import checksums


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """The cache in a temporary file, and the list of the files actually read to hash them."""
    read: list[str] = []
    real = checksums._hash
    monkeypatch.setattr(checksums, "_hash", lambda path: read.append(path.name) or real(path))
    monkeypatch.setattr(checksums, "_memory", {})
    cache = tmp_path / "cache" / checksums.CACHE_FILE_NAME
    checksums.use_cache(cache)
    yield read, cache
    checksums.use_cache(None)


def test_a_file_is_hashed_once_until_it_changes(counted, tmp_path):
    read, cache = counted
    data = tmp_path / "StockEtablissement_utf8.csv"
    data.write_bytes(b"siren,siret\n000325175,00032517500016\n")
    expected = hashlib.sha256(data.read_bytes()).hexdigest()
    assert checksums.sha256(data) == expected
    assert checksums.sha256(data) == expected
    assert read == [data.name] and cache.is_file()

    # Another process (the next build) with the same cache file: still not read again.
    checksums.use_cache(None)
    checksums.use_cache(cache)
    assert checksums.sha256(data) == expected and read == [data.name]

    # The same size, a new content and modification time: hashed again.
    data.write_bytes(b"siren,siret\n000325175,00032517500024\n")
    assert checksums.sha256(data) == hashlib.sha256(data.read_bytes()).hexdigest()
    # Only the modification time put back as it was (touch -d): the status-change time still tells.
    stat = data.stat()
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns - 10**9))
    checksums.sha256(data)
    assert read == [data.name] * 3


def test_a_damaged_cache_is_only_a_miss(counted, tmp_path):
    read, cache = counted
    data = tmp_path / "a.csv"
    data.write_text("x\n1\n")
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    assert checksums.sha256(data) == hashlib.sha256(b"x\n1\n").hexdigest()
    assert read == ["a.csv"]
    assert str(Path(data).resolve()) in cache.read_text()


def test_a_cache_is_used_only_within_its_block(counted, tmp_path):
    read, cache = counted
    data = tmp_path / "b.csv"
    data.write_text("y\n2\n")
    other = tmp_path / "other" / checksums.CACHE_FILE_NAME
    with checksums.remembered_in(other):
        checksums.sha256(data)
    checksums.sha256(tmp_path / "b.csv")  # back in the first cache: not remembered there yet, so hashed again
    assert read == ["b.csv", "b.csv"]
    assert str(data.resolve()) in other.read_text() and str(data.resolve()) in cache.read_text()


def test_files_hashed_together_are_remembered_like_one(counted, tmp_path):
    """A first build hashes every raw file it reads at once (vintages.source_versions): each is hashed once, on the
    pool's threads, and the next build, file by file, finds them all."""
    read, cache = counted
    files = {}
    for name, text in (("StockUniteLegale_utf8.csv", b"siren\n000325175\n"),
                       ("StockEtablissement_utf8.csv", b"siren,siret\n000325175,00032517500016\n"),
                       ("KboOpenData_0130_2025_01_Full.zip", b"PK not really\n")):
        (tmp_path / name).write_bytes(text)
        files[str((tmp_path / name).resolve())] = hashlib.sha256(text).hexdigest()
    paths = [tmp_path / Path(name).name for name in files]
    assert checksums.sha256_all([*paths, paths[0]], workers=3) == files
    assert sorted(read) == sorted(p.name for p in paths)  # each once, the repeated path too
    checksums.use_cache(None)
    checksums.use_cache(cache)
    assert {str(p.resolve()): checksums.sha256(p) for p in paths} == files
    assert len(read) == 3


def test_source_versions_hash_only_the_folders_without_provenance(counted, tmp_path):
    from observatory import vintages

    read, _ = counted
    raw = tmp_path / "raw"
    (raw / "fr" / "flores").mkdir(parents=True)
    (raw / "fr" / "flores" / "flores.csv").write_text("a\n1\n")
    (raw / "cases").mkdir()
    (raw / "cases" / "cases.csv").write_text("siren\n")
    folders = [Path("fr") / "flores", Path("cases"), Path("be") / "kbo"]
    assert vintages.source_versions(raw, folders) == [vintages.source_version(raw, f) for f in folders]
    assert sorted(read) == ["cases.csv", "flores.csv"]
    assert vintages.source_versions(raw, folders)[2] == "absent"
