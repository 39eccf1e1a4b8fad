"""CSV members of the producers' ZIPs, extracted once per version of the ZIP and reused by the builds after.

DuckDB cannot read inside a ZIP, so a member is streamed to disk (:mod:`observatory.safezip`, which checks its CRC
and caps its size) before it is read. For the national SIRENE establishment file that alone took 70 s of a 3-minute
build, on every build (issue 14). Here the member lands in ``<cache>/<zip name>-<key>/<name>``, where the key is
made of the ZIP's path, size, modification time, inode and status-change time: while they are unchanged, a file
there of the member's size is the member, already checked (CRC) when it was extracted; a new or changed ZIP gets a
new key.

A member is written as ``.<name>.part`` and renamed when complete, so a killed build never leaves a half file under
the final name. :func:`keep_only` removes what the last load did not use (an older vintage's extraction).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from observatory.safezip import SafeZip

T = TypeVar("T")


def _folder(archive: SafeZip, cache_dir: Path) -> Path:
    path = Path(archive.path).resolve()
    stat = path.stat()
    identity = [str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_ctime_ns]
    key = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]
    return cache_dir / f"{path.name}-{key}"


def extract(archive: SafeZip, info: zipfile.ZipInfo, cache_dir: Path, name: str) -> Path:
    """The member ``info`` of ``archive`` as a file named ``name``: the one extracted by an earlier build when the ZIP
    has not changed since, else extracted now."""
    folder = _folder(archive, cache_dir)
    target = folder / name
    if target.is_file() and target.stat().st_size == info.file_size:
        return target
    partial = folder / f".{name}.part"
    archive.extract(info, partial)  # removes the partial file itself on any failure
    os.replace(partial, target)
    return target


def keep_only(cache_dir: Path, used: Iterable[Path]) -> None:
    """Remove from ``cache_dir`` every extraction folder none of the ``used`` files is in."""
    keep = {Path(p).resolve().parent for p in used}
    if not cache_dir.is_dir():
        return
    for folder in cache_dir.iterdir():
        if folder.is_dir() and folder.resolve() not in keep:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def meanwhile(function: Callable[..., T], *args) -> Iterator[Future[T]]:
    """``function(*args)`` (an extraction: a member's path, SIRENE's readable file) on a second thread while the block
    runs; its result once the block ends.
    zlib and the disk let go of the GIL, so a member inflates while the caller inflates or stages another: one
    inflater alone leaves a core idle (issue 14). If the block fails, an extraction not yet started is cancelled and
    one under way ends (its member kept for the next build, never half-written) before the failure goes on."""
    with ThreadPoolExecutor(1) as background:
        pending = background.submit(function, *args)
        try:
            yield pending
        except BaseException:
            pending.cancel()
            raise
