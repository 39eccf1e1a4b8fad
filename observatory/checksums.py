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
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
    return sha256_all([path])[str(Path(path).resolve())]


def sha256_all(paths: Iterable[Path], workers: int | None = None) -> dict[str, str]:
    """The SHA-256 of each file (by resolved path), as :func:`sha256`; the files not remembered are hashed side by
    side on ``workers`` threads (default: the machine's cores, at most 4). hashlib lets go of the GIL while it
    hashes, so a national first build hashes its 0.8 and 1.8 GB SIRENE files and the KBO ZIP at once: 1.2 s on two
    cores, against 2.2 s one after the other (from the page cache)."""
    names = list(dict.fromkeys(str(Path(p).resolve()) for p in paths))
    keys = {name: _key(Path(name)) for name in names}
    entries = _read(_cache_file) if _cache_file is not None else _memory
    out = {n: found["sha256"] for n in names if (found := entries.get(n)) and found.get("key") == keys[n]}
    missing = [n for n in names if n not in out]
    if not missing:
        return out
    with ThreadPoolExecutor(max(1, min(len(missing), workers or min(os.cpu_count() or 1, 4)))) as pool:
        digests = dict(zip(missing, pool.map(lambda n: _hash(Path(n)), missing), strict=True))
    for name, digest in digests.items():
        out[name] = digest
        if _key(Path(name)) == keys[name]:  # changed while being read: do not remember a digest of a moving target
            entries[name] = {"key": keys[name], "sha256": digest}
    if _cache_file is not None:
        _write(_cache_file, {n: e for n, e in entries.items() if Path(n).exists()})
    return out
