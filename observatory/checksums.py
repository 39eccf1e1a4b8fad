"""The SHA-256 of raw files, computed once per version of a file and remembered between builds.

Every build records the checksum of each file it reads (``meta.sources``) and the nightly compares the raw folders'
versions; hashing the national files again each time cost about as much as reading them (issue 14). A file's digest
is kept with its size, modification time, inode and status-change time: while all four are unchanged the file is
taken as unchanged (an edit, a copy, a new download or a ``touch`` changes at least one of them), otherwise it is
hashed again.

The cache is a small JSON file, by default none (digests are remembered only in this process); a run points it at
``<warehouse>/cache/checksums.json`` while it lasts (:func:`use_cache`, :func:`remembered_in`). It is rewritten
atomically; two processes writing it at once can only lose an entry, which costs one more hashing, never a wrong
digest. Deleting it is always safe.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from observatory.provenance import sha256 as _hash

CACHE_FILE_NAME = "checksums.json"
_cache_file: Path | None = None
_memory: dict[str, dict] = {}


def use_cache(path: Path | None) -> Path | None:
    """Remember digests in ``path`` (a JSON file, created when needed) from now on in this process; None: in memory.
    Returns the cache used until now, to be put back (:func:`remembered_in`)."""
    global _cache_file
    previous, _cache_file = _cache_file, path
    return previous


@contextmanager
def remembered_in(path: Path) -> Iterator[None]:
    """Remember digests in ``path`` within the block only: a process that builds several warehouses (the tests, a
    code server evaluating the nightly) never writes one's digests into another's cache."""
    previous = use_cache(path)
    try:
        yield
    finally:
        use_cache(previous)


def _key(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]


def _read(file: Path) -> dict[str, dict]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):  # missing, unreadable or damaged: start again, it is only a cache
        return {}


def _write(file: Path, entries: dict[str, dict]) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
    except OSError:  # a full or read-only disk: the digest is still right, only not remembered
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(entries, out, indent=0, sort_keys=True)
        os.replace(temporary, file)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def sha256(path: Path) -> str:
    """The file's SHA-256: remembered while its size, modification time, inode and status-change time stay the same."""
    name = str(Path(path).resolve())
    key = _key(Path(name))
    entries = _read(_cache_file) if _cache_file is not None else _memory
    found = entries.get(name)
    if found and found.get("key") == key:
        return found["sha256"]
    digest = _hash(Path(name))
    if _key(Path(name)) != key:  # changed while being read: do not remember a digest of a moving target
        return digest
    entries[name] = {"key": key, "sha256": digest}
    if _cache_file is not None:
        _write(_cache_file, {n: e for n, e in entries.items() if Path(n).exists()})
    return digest
