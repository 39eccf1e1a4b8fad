"""The one way the observatory opens a ZIP archive: checked, capped, and never trusted.

Every ZIP a loader or a fetcher reads (KBO extracts, SIRENE stock files, Statbel population, TERCET, the INSEE xlsx
workbook, which is a ZIP too) goes through :func:`open_zip`. Opening refuses, for the whole archive:

- what is not a ZIP (an HTML page saved in its place, a truncated download);
- more than ``max_members`` entries;
- a name that would land outside the extraction folder (absolute, drive letter, ``..``, NUL), a symbolic link or a
  device, FIFO or socket entry (unix mode bits), an encrypted entry, the same name twice;
- declared sizes over the caps: a member whose uncompressed size is more than ``max_ratio`` times its compressed
  size (a ZIP bomb), or members adding up to more than ``max_total_bytes``.

Headers can lie, so :meth:`SafeZip.extract` and :meth:`SafeZip.read` also count the bytes actually produced and stop
as soon as a member gives more than its header said, more than the ratio allows, or the archive more than the total
cap; the partial file is then deleted. Every refusal is an :class:`~observatory.errors.InputError` naming the ZIP,
the member and the problem.

The caps are sized for national files and can be changed with environment variables (:meth:`Limits.from_env`).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from observatory.errors import InputError, html_instead_of

MAX_BYTES_ENV = "OBSERVATORY_ZIP_MAX_BYTES"
MAX_RATIO_ENV = "OBSERVATORY_ZIP_MAX_RATIO"
MAX_MEMBERS_ENV = "OBSERVATORY_ZIP_MAX_MEMBERS"
# The largest archive read is SIRENE's StockEtablissement (8-13 GB of CSV in one member), then the KBO Full (~2.1 GB,
# activity.csv ~1.5 GB): 64 GB leaves room for years of growth and still stops a bomb before it fills a disk.
DEFAULT_MAX_TOTAL_BYTES = 64 << 30
# CSV text deflates 3-10 times (SIRENE 6-10x; the sample's KBO members 3-9x, its SIRENE 4x) and very repetitive
# text more (the sample's Statbel file, long repeated commune names, 46x). Deflate cannot go beyond ~1032x, which is
# where bombs sit: 200 is four times the most repetitive real-format file seen and five times below a bomb.
DEFAULT_MAX_RATIO = 200.0
# A KBO Update holds ~20 members, an xlsx workbook one per sheet plus a dozen: 1,000 is far above any input, and far
# below the millions of entries of an archive made to exhaust memory or inodes.
DEFAULT_MAX_MEMBERS = 1000
# Below this size a high ratio is harmless (a small file of repeated values) and is not refused.
RATIO_FLOOR_BYTES = 1 << 20
CHUNK_SIZE = 1 << 20
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or the end record of an empty archive
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                ValueError)
_SIZE_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True)
class Limits:
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES
    max_ratio: float = DEFAULT_MAX_RATIO
    max_members: int = DEFAULT_MAX_MEMBERS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, each replaced by its environment variable when set (``64G``, ``500M`` or bytes)."""
        env = os.environ if environ is None else environ
        limits = cls()
        try:
            if text := env.get(MAX_BYTES_ENV, "").strip():
                found = re.fullmatch(r"(\d+)\s*([KMGT]?)B?", text.upper())
                if not found:
                    raise ValueError(text)
                limits = cls(int(found.group(1)) * _SIZE_SUFFIXES[found.group(2)], limits.max_ratio, limits.max_members)
            if text := env.get(MAX_RATIO_ENV, "").strip():
                limits = cls(limits.max_total_bytes, float(text), limits.max_members)
            if text := env.get(MAX_MEMBERS_ENV, "").strip():
                limits = cls(limits.max_total_bytes, limits.max_ratio, int(text))
        except ValueError as exc:
            raise ValueError(f"ZIP caps: cannot read {exc} ({MAX_BYTES_ENV}=64G, {MAX_RATIO_ENV}=200, "
                             f"{MAX_MEMBERS_ENV}=1000)") from None
        if limits.max_total_bytes <= 0 or limits.max_ratio <= 1 or limits.max_members <= 0:
            raise ValueError(f"ZIP caps must be positive (ratio above 1): {limits}")
        return limits


class SafeZip:
    """A ZIP whose entries passed the checks of :func:`open_zip`; reads and extractions are capped."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, limits: Limits) -> None:
        self.path = path
        self.archive = archive
        self.limits = limits
        self.produced = 0  # bytes produced so far by every read and extraction, against max_total_bytes
        self._counting = threading.Lock()  # members may be extracted on several threads (the KBO Full's)

    @property
    def files(self) -> list[zipfile.ZipInfo]:
        """The file entries (directories left out), in archive order."""
        return [info for info in self.archive.infolist() if not info.is_dir()]

    def refuse(self, problem: str, info: zipfile.ZipInfo | None = None) -> InputError:
        return InputError(self.path, f"member {info.filename!r}: {problem}" if info is not None else problem)

    def extract(self, info: zipfile.ZipInfo, target: Path) -> Path:
        """Stream the member to ``target`` (never into memory); on any failure ``target`` is removed."""
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.archive.open(info) as source, target.open("wb") as sink:
                self._copy(info, source, sink)
        except InputError:
            target.unlink(missing_ok=True)
            raise
        except _READ_ERRORS as exc:
            target.unlink(missing_ok=True)
            raise self.refuse(f"cannot be extracted, the ZIP is damaged or truncated ({_describe(exc)})", info) from None
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return target

    def read(self, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
        """The whole member in memory, for small members (a meta.csv, a postcode list); more than ``max_bytes`` is
        refused before anything is decompressed, and again while reading."""
        if info.file_size > max_bytes:
            raise self.refuse(f"{info.file_size} bytes uncompressed, more than the {max_bytes} bytes expected of it",
                              info)
        buffer = io.BytesIO()
        try:
            with self.archive.open(info) as source:
                self._copy(info, source, buffer, max_bytes)
        except _READ_ERRORS as exc:
            raise self.refuse(f"cannot be read, the ZIP is damaged or truncated ({_describe(exc)})", info) from None
        return buffer.getvalue()

    def _copy(self, info: zipfile.ZipInfo, source: BinaryIO, sink: BinaryIO, max_bytes: int | None = None) -> int:
        """Copy while counting the bytes actually produced: the header's size, the ratio and the caps are enforced
        on them, so a header that lies cannot make more come out than the caps allow."""
        with self._counting:
            budget = self.limits.max_total_bytes - self.produced
        cap = f"the cap of {self.limits.max_total_bytes} bytes per archive (${MAX_BYTES_ENV})"
        if max_bytes is not None and max_bytes < budget:
            budget, cap = max_bytes, f"the {max_bytes} bytes expected of it"
        try:
            written = copy_capped(source, sink, declared=info.file_size, compressed=info.compress_size,
                                  max_ratio=self.limits.max_ratio, budget=budget, cap=cap)
        except _CapExceeded as exc:
            with self._counting:
                self.produced += exc.written
            raise self.refuse(exc.problem, info) from None
        with self._counting:
            self.produced += written
        return written


class _CapExceeded(Exception):
    def __init__(self, problem: str, written: int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.written = written


def copy_capped(source: BinaryIO, sink: BinaryIO, *, declared: int, compressed: int, max_ratio: float, budget: int,
                cap: str = "the cap") -> int:
    """Copy ``source`` to ``sink`` in chunks, counting the bytes actually produced; stop before writing a chunk that
    takes the count past the declared size, past ``max_ratio`` times ``compressed`` (above
    :data:`RATIO_FLOOR_BYTES`) or past ``budget`` (``cap`` says what it is). Returns the bytes written."""
    written = 0
    ratio_limit = max(compressed, 1) * max_ratio
    while chunk := source.read(CHUNK_SIZE):
        count = written + len(chunk)
        if count > declared:
            raise _CapExceeded(f"larger than its header says ({declared} bytes): a damaged or forged archive", written)
        if count > RATIO_FLOOR_BYTES and count > ratio_limit:
            raise _CapExceeded(f"expands more than {max_ratio:g} times its compressed size ({compressed} bytes): "
                               "a ZIP bomb?", written)
        if count > budget:
            raise _CapExceeded(f"more than {budget} bytes would come out, over {cap}: a ZIP bomb?", written)
        sink.write(chunk)
        written = count
    return written


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def unsafe_member(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """Why an entry may not be read (its name, type or declared sizes), or None."""
    name = info.filename
    norm = name.replace("\\", "/")
    outside = "points outside the extraction folder"
    if not name or "\x00" in name:
        return "an empty name or a NUL character"
    if norm.startswith("/"):
        return f"an absolute path {outside}"
    if re.match(r"[A-Za-z]:", norm):
        return f"a drive letter {outside}"
    if ".." in norm.split("/"):
        return f"a '..' component {outside} (path traversal)"
    # Unix file type bits (0 when the archiver wrote none, as DOS archivers and zipfile.writestr do).
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return "a symbolic link (it could point anywhere on the disk)"
    if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
        return f"not a regular file (unix mode {oct(info.external_attr >> 16)}: a device, FIFO or socket)"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > max(info.compress_size, 1) * limits.max_ratio:
        return (f"{info.file_size} bytes from {info.compress_size} compressed, a ratio over {limits.max_ratio:g} "
                f"(a ZIP bomb? the cap is ${MAX_RATIO_ENV})")
    return None


@contextmanager
def open_zip(path: Path | str, limits: Limits | None = None) -> Iterator[SafeZip]:
    """Open ``path`` and check every entry (see the module docstring); raise :class:`InputError` on the first
    problem. ``limits`` default to :meth:`Limits.from_env`."""
    path = Path(path)
    limits = limits or Limits.from_env()
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        raise InputError(path, f"cannot open the ZIP: {_describe(exc)}") from None
    if not head:
        raise InputError(path, "an empty file, not a ZIP")
    if not head.startswith(ZIP_MAGIC):
        if problem := html_instead_of(head, "a ZIP"):
            raise InputError(path, problem)
        raise InputError(path, "not a ZIP archive (a ZIP starts with 'PK')", value=head[:20].decode("latin-1"))
    try:
        archive = zipfile.ZipFile(path)
    except (*_READ_ERRORS, OSError) as exc:
        raise InputError(path, f"not a readable ZIP, truncated or damaged ({_describe(exc)}): download it again") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise InputError(path, f"{len(infos)} entries, more than the cap of {limits.max_members} (${MAX_MEMBERS_ENV})")
        seen: set[str] = set()
        total = 0
        for info in infos:
            if problem := unsafe_member(info, limits):
                raise InputError(path, f"member {info.filename!r}: {problem}; refusing the archive")
            if info.filename in seen:
                raise InputError(path, f"member {info.filename!r} appears twice")
            seen.add(info.filename)
            total += info.file_size
        if total > limits.max_total_bytes:
            raise InputError(path, f"the members add up to {total} bytes uncompressed, over the cap of "
                                   f"{limits.max_total_bytes} (a ZIP bomb? the cap is ${MAX_BYTES_ENV})")
        yield SafeZip(path, archive, limits)


def check_zip(path: Path | str, limits: Limits | None = None) -> list[zipfile.ZipInfo]:
    """The checks of :func:`open_zip` alone, for a ZIP another library reads in place (openpyxl's xlsx: it never
    reads more than the declared sizes, which are then capped). Returns the file entries."""
    with open_zip(path, limits) as archive:
        return archive.files


def safe_extract(zip_path: Path | str, dest_dir: Path | str, *, members: Sequence[str] | None = None,
                 limits: Limits | None = None) -> list[Path]:
    """Extract ``members`` (default: every file), under their names in the archive, into ``dest_dir``.

    Everything is extracted into a temporary folder next to ``dest_dir`` first: a failure leaves ``dest_dir``
    unchanged and nothing behind. Returns the files written.
    """
    zip_path, dest_dir = Path(zip_path), Path(dest_dir)
    with open_zip(zip_path, limits) as archive:
        by_name = {info.filename: info for info in archive.archive.infolist()}
        if members is None:
            selected = archive.files
        else:
            missing = [m for m in members if m not in by_name or by_name[m].is_dir()]
            if missing:
                raise InputError(zip_path, f"no member {', '.join(map(repr, missing))} (present: "
                                           f"{', '.join(sorted(by_name)) or 'none'})")
            selected = [by_name[m] for m in members]
        relative = [PurePosixPath(info.filename.replace("\\", "/")) for info in selected]
        dest_dir.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{dest_dir.name}.", suffix=".extracting", dir=dest_dir.parent))
        try:
            for info, rel in zip(selected, relative, strict=True):
                archive.extract(info, temp.joinpath(*rel.parts))
            if not dest_dir.exists():
                os.rename(temp, dest_dir)
            else:
                # Everything is extracted and checked: move the files in one by one (each os.replace is atomic).
                for rel in relative:
                    final = dest_dir.joinpath(*rel.parts)
                    final.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(temp.joinpath(*rel.parts), final)
                shutil.rmtree(temp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
    return [dest_dir.joinpath(*rel.parts) for rel in relative]
