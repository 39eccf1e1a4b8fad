"""Every retrieval of a public source kept as a dated vintage: ``<raw>/<country>/<source>/<YYYY-MM-DD>/``.

A vintage is built in a ``<date>.<random>.partial`` folder next to the others and renamed to its final name only
when complete (``commit``), so readers never see half a vintage and a failed fetch leaves the earlier vintages as
they were. A second vintage on the same day is named ``YYYY-MM-DDTHHMMSS`` (UTC). Each vintage holds the data files,
``provenance.json`` (producer, URLs, licence, retrieval time, the producer's version markers, every file's size and
sha256) and, per data file, the ``<file>.origin.json`` sidecar that :func:`observatory.provenance.read_origin`
already reads into ``meta.sources``.

Readers take :func:`resolve`: the vintage named (``OBSERVATORY_VINTAGE_<SOURCE ID>``, see :func:`vintage_setting`),
else the newest, else the source folder itself (the embedded sample has no vintage folders).

    result = download(url, incoming_dir(raw, "be", "kbo") / name, ...)   # resumable across runs
    if not same_as_latest(raw, "be", "kbo", {name: result.sha256}):
        with new_vintage(raw, "be", "kbo") as vintage:
            vintage.describe(producer=..., licence=..., urls=[url], producer_version={"etag": result.etag})
            vintage.adopt(result.path, url=url)
        # committed on leaving the block; removed if the block raised
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType

from observatory import checksums
from observatory.errors import InputError
from observatory.provenance import PROVENANCE_FILE, SIDECAR_SUFFIX, VINTAGE_NAME, sha256

PARTIAL_SUFFIX = ".partial"
INCOMING_DIR = ".incoming"
VINTAGE_ENV_PREFIX = "OBSERVATORY_VINTAGE_"
# The registries whose every vintage is a snapshot of their time series (observatory.snapshots), not only the newest.
TIME_SERIES = (("fr", "sirene"), ("be", "kbo"))
# Not data: the vintage's own records and leftovers of interrupted downloads.
_NOT_DATA = (SIDECAR_SUFFIX, ".part", ".part.json")


def source_dir(raw_dir: Path, country: str, source: str) -> Path:
    return Path(raw_dir) / country / source


def incoming_dir(raw_dir: Path, country: str, source: str) -> Path:
    """Where downloads of a source wait (and resume across runs) before a vintage adopts them; hidden from readers."""
    folder = source_dir(raw_dir, country, source) / INCOMING_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def vintage_setting(source_id: str) -> str | None:
    """The vintage pinned for ``source_id`` by ``$OBSERVATORY_VINTAGE_<SOURCE_ID>`` (e.g. ``..._BE_KBO=2025-01-05``);
    None (the newest) when unset, empty or ``latest``."""
    value = (os.environ.get(VINTAGE_ENV_PREFIX + source_id.upper()) or "").strip()
    return None if value.lower() in ("", "latest") else value


def list_vintages(raw_dir: Path, country: str, source: str) -> list[Path]:
    """Committed vintage folders, oldest first (the names sort chronologically)."""
    folder = source_dir(raw_dir, country, source)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_dir() and VINTAGE_NAME.fullmatch(p.name)), key=lambda p: p.name)


def resolve(raw_dir: Path, country: str, source: str, vintage: str | None = None) -> Path:
    """The folder to read: the vintage named, else the newest vintage, else the source folder itself."""
    folder = source_dir(raw_dir, country, source)
    found = list_vintages(raw_dir, country, source)
    if vintage is not None:
        for path in found:
            if path.name == vintage:
                return path
        present = ", ".join(p.name for p in found) or "none"
        env = VINTAGE_ENV_PREFIX + f"{country}_{source}".upper()
        raise InputError(folder, f"no vintage {vintage!r} of {country}/{source} (present: {present}; set by {env} or "
                                 f"the caller)")
    return found[-1] if found else folder


def current(raw_dir: Path, folder: Path) -> Path:
    """The folder a loader reads for source ``folder`` (``Path("be") / "kbo"``): the vintage pinned by
    ``$OBSERVATORY_VINTAGE_<COUNTRY>_<SOURCE>``, else the newest vintage, else the source folder itself."""
    if len(Path(folder).parts) == 1:  # a folder kept by hand, never fetched (the documented cases): read as it is
        return Path(raw_dir) / folder
    country, source = Path(folder).parts
    return resolve(raw_dir, country, source, vintage_setting(f"{country}_{source}"))


def source_version(raw_dir: Path, folder: Path) -> str:
    """What identifies the data a loader would read now, for change detection (Dagster data versions).

    A fetched vintage: the producer's own version (ETag, Last-Modified, extract number, LAST UPDATE) with the
    checksums of its files, both from ``provenance.json``. Files without provenance (the sample, a hand-dropped
    delivery): the names, sizes and sha256 of the data files. The same bytes always give the same version.
    """
    where = current(raw_dir, folder)
    if not where.is_dir():
        return "absent"
    version = folder_version(where)
    # A registry's older vintages are years of its time series: one more, or one fewer, changes what it stages.
    earlier = [v.name for v in earlier_vintages(raw_dir, folder)] if Path(folder).parts in TIME_SERIES else []
    return version + (f"+{hashlib.sha256(' '.join(earlier).encode()).hexdigest()[:8]}" if earlier else "")


def source_versions(raw_dir: Path, folders: Iterable[Path]) -> list[str]:
    """:func:`source_version` of each folder, the files that need hashing hashed first all at once
    (:func:`observatory.checksums.sha256_all`)."""
    folders = list(folders)
    unrecorded = [where for folder in folders
                  if (where := current(raw_dir, folder)).is_dir() and not (where / PROVENANCE_FILE).is_file()]
    checksums.sha256_all(where / name for where in unrecorded for name in data_files_here(where))
    return [source_version(raw_dir, folder) for folder in folders]


def earlier_vintages(raw_dir: Path, folder: Path) -> list[Path]:
    """The vintages of ``folder`` older than the one read now (:func:`current`), oldest first; none when the
    folder has no vintages (the embedded sample) or is kept by hand."""
    if len(Path(folder).parts) != 2:
        return []
    where = current(raw_dir, folder)
    return [v for v in list_vintages(raw_dir, *Path(folder).parts) if v.name < where.name and where.parent == v.parent]


def folder_version(where: Path) -> str:
    """What identifies the data of one folder (a vintage, or a source folder without vintages): see
    :func:`source_version`."""
    digest = hashlib.sha256()
    provenance = where / PROVENANCE_FILE
    if provenance.is_file():
        recorded = read_provenance(where)
        digest.update(json.dumps(recorded.get("producer_version", {}), sort_keys=True).encode())
        for item in sorted(recorded.get("files", []), key=lambda f: f["name"]):
            digest.update(f"{item['name']}\0{item['sha256']}\n".encode())
        label = where.name
    else:
        for name in data_files_here(where):
            digest.update(f"{name}\0{checksums.sha256(where / name)}\n".encode())
        label = "files"
    return f"{label}:{digest.hexdigest()[:16]}"


def _is_data(path: Path) -> bool:
    return path.is_file() and path.name != PROVENANCE_FILE and not path.name.endswith(_NOT_DATA)


def data_files_here(folder: Path) -> list[str]:
    """The data files directly in ``folder`` (not in vintage sub-folders nor the hidden incoming folder)."""
    return sorted(p.name for p in Path(folder).iterdir() if _is_data(p))


def read_provenance(vintage_dir: Path) -> dict:
    return json.loads((Path(vintage_dir) / PROVENANCE_FILE).read_text(encoding="utf-8"))


def data_files(folder: Path) -> list[str]:
    """The data files of a vintage folder, as POSIX paths relative to it (sub-folders of extracted ZIPs included)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if _is_data(p))


def same_as_latest(raw_dir: Path, country: str, source: str, sha256s: dict[str, str]) -> bool:
    """Whether the newest vintage holds exactly these files (name -> sha256): then a new one would be a duplicate."""
    found = list_vintages(raw_dir, country, source)
    if not found:
        return False
    latest = found[-1]
    try:
        recorded = {f["name"]: f["sha256"] for f in read_provenance(latest)["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        recorded = {name: sha256(latest / name) for name in data_files(latest)}
    return recorded == dict(sha256s)


def latest_provenance(raw_dir: Path, folder: Path) -> dict:
    """The ``provenance.json`` of the newest vintage of ``folder``; {} when there is none or it cannot be read."""
    found = list_vintages(raw_dir, *Path(folder).parts)
    try:
        recorded = read_provenance(found[-1]) if found else {}
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def latest_markers_equal(raw_dir: Path, folder: Path, markers: dict[str, dict]) -> bool:
    """Whether the newest vintage of ``folder`` recorded exactly these producer markers (per file: ETag,
    Last-Modified, length), so nothing needs downloading; False when the markers cannot tell versions apart."""
    if not all(m.get("etag") or m.get("last_modified") for m in markers.values()):
        return False
    return latest_provenance(raw_dir, folder).get("producer_version") == markers


class Vintage:
    """A vintage being built in ``path`` (a ``.partial`` folder); ``commit()`` publishes it, ``discard()`` drops it.

    As a context manager: committed when the block ends normally (unless committed or discarded in it), removed when
    it raises.
    """

    def __init__(self, raw_dir: Path, country: str, source: str, *, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        self.retrieved_at = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)
        self.country, self.source = country, source
        self.folder = source_dir(raw_dir, country, source)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.date = self.retrieved_at.strftime("%Y-%m-%d")
        # A random part, so that two fetches running at once do not share a folder.
        self.path = Path(tempfile.mkdtemp(prefix=f"{self.date}.", suffix=PARTIAL_SUFFIX, dir=self.folder))
        self.final: Path | None = None
        self._closed = False
        self._description: dict | None = None
        self._per_file: dict[str, dict] = {}

    def file(self, name: str, *, url: str | None = None, reference_period: str | None = None,
             note: str | None = None) -> Path:
        """The path where data file ``name`` goes in this vintage (download or extract to it); records its origin."""
        rel = _relative(name)
        self._per_file[rel] = {k: v for k, v in (("url", url), ("reference_period", reference_period), ("note", note))
                               if v is not None}
        target = self.path.joinpath(*PurePosixPath(rel).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def adopt(self, path: Path, *, name: str | None = None, url: str | None = None,
              reference_period: str | None = None, note: str | None = None) -> Path:
        """Move a finished file (from :func:`incoming_dir`) into this vintage; same file system, so a rename."""
        target = self.file(name or Path(path).name, url=url, reference_period=reference_period, note=note)
        os.replace(path, target)
        return target

    def describe(self, *, producer: str, licence: str, urls: list[str], producer_version: dict | None = None,
                 reference_period: str = "", note: str = "") -> None:
        """What the whole vintage is: needed before commit. ``producer_version``: ETag, Last-Modified, extract
        number, Eurostat's LAST UPDATE... whatever tells the producer's versions apart."""
        self._description = {"producer": producer, "urls": list(urls), "licence": licence,
                             "producer_version": dict(producer_version or {}), "reference_period": reference_period,
                             "note": note}

    def sha256s(self) -> dict[str, str]:
        return {name: sha256(self.path / name) for name in data_files(self.path)}

    def commit(self) -> Path:
        """Write provenance and sidecars, then rename the folder to its final name (atomic); returns it."""
        if self._closed:
            raise RuntimeError(f"vintage {self.path} already {'committed' if self.final else 'discarded'}")
        if self._description is None:
            raise ValueError(f"describe() the vintage of {self.country}/{self.source} before committing it")
        names = data_files(self.path)
        if not names:
            raise ValueError(f"the vintage of {self.country}/{self.source} has no data file")
        for leftover in [p for p in self.path.rglob("*") if p.is_file() and p.name.endswith((".part", ".part.json"))]:
            leftover.unlink()
        d = self._description
        retrieved = self.retrieved_at.isoformat(timespec="seconds").replace("+00:00", "Z")
        files = []
        for name in names:
            path = self.path / name
            files.append({"name": name, "size": path.stat().st_size, "sha256": sha256(path)})
            own = self._per_file.get(name, {})
            origin = {
                "producer": d["producer"],
                "url": own.get("url") or (d["urls"][0] if d["urls"] else ""),
                "licence": d["licence"],
                "reference_period": own.get("reference_period", d["reference_period"]),
                "retrieved": retrieved,
                "synthetic": False,
                "note": own.get("note", d["note"]),
            }
            _write_json(path.with_name(path.name + SIDECAR_SUFFIX), origin)
        name = self._final_name()
        provenance = {"country": self.country, "source": self.source, "vintage": name, "producer": d["producer"],
                      "urls": d["urls"], "licence": d["licence"], "retrieved_at": retrieved,
                      "producer_version": d["producer_version"], "reference_period": d["reference_period"],
                      "note": d["note"], "synthetic": False, "files": files}
        _write_json(self.path / PROVENANCE_FILE, provenance)
        final = self.folder / name
        os.rename(self.path, final)  # a folder renamed within its parent: readers see all of it or nothing
        self.final, self._closed = final, True
        return final

    def discard(self) -> None:
        """Drop the vintage being built (nothing changed, or a failure)."""
        if not self._closed:
            shutil.rmtree(self.path, ignore_errors=True)
            self._closed = True

    def _final_name(self) -> str:
        name = self.date
        if (self.folder / name).exists():
            name = self.retrieved_at.strftime("%Y-%m-%dT%H%M%S")
        base, n = name, 1
        while (self.folder / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    def __enter__(self) -> Vintage:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.discard()
            return
        if not self._closed:
            try:
                self.commit()
            except BaseException:
                self.discard()
                raise


def new_vintage(raw_dir: Path, country: str, source: str, *, now: datetime | None = None) -> Vintage:
    """Start a vintage of ``<raw>/<country>/<source>`` retrieved ``now`` (UTC; default: the current time)."""
    return Vintage(raw_dir, country, source, now=now)


def _relative(name: str) -> str:
    rel = PurePosixPath(name.replace("\\", "/"))
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or rel.name == PROVENANCE_FILE:
        raise ValueError(f"{name!r} is not a plain file name inside a vintage")
    return rel.as_posix()


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
