"""Where each raw file comes from: its fingerprint and its origin, recorded in ``meta.sources``.

Following Our World in Data's ETL, every raw file carries its origin. A file may have a sidecar
``<file name>.origin.json`` (the embedded sample has one for each file, saying it is synthetic); otherwise the
source module's defaults apply (producer, URL, licence), and the reference period is read from the file itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from observatory.errors import InputError
from observatory.schema import WORKING_SOURCES

SIDECAR_SUFFIX = ".origin.json"
# A dated vintage folder under <raw>/<country>/<source>/ and its record (see observatory.vintages).
PROVENANCE_FILE = "provenance.json"
VINTAGE_NAME = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{6})?(?:-\d+)?")


@dataclass(frozen=True)
class Origin:
    producer: str
    url: str
    licence: str
    reference_period: str = ""
    synthetic: bool = False
    note: str = ""
    retrieved: str = ""  # when the file was fetched (sidecar), '' when unknown


def sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def read_origin(path: Path, default: Origin) -> Origin:
    """The file's sidecar origin if it has one, over the source's defaults."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return default
    data = json.loads(sidecar.read_text(encoding="utf-8"))
    known = {k: v for k, v in data.items() if k in Origin.__dataclass_fields__}
    return replace(default, **known)


# Creates meta.sources in the working database if missing (and adds the columns an older one lacks).
META_SOURCES_DDL = WORKING_SOURCES.ensure_ddl()


def vintage_folder(path: Path) -> Path | None:
    """The dated vintage folder a file sits in (directly, or in a sub-folder of an extracted ZIP), or None for a
    file in the source folder itself (the embedded sample, a delivery dropped in by hand without a dated folder)."""
    return next((p for p in list(Path(path).parents)[:3] if VINTAGE_NAME.fullmatch(p.name)), None)


def vintage_of(path: Path) -> str:
    """The name of the vintage a file was read from, or '' (see :func:`vintage_folder`)."""
    folder = vintage_folder(path)
    return folder.name if folder else ""


def check_recorded_checksum(path: Path) -> str:
    """Refuse a file of a fetched vintage whose bytes are no longer those its ``provenance.json`` recorded (a
    vintage edited or damaged after the fetch could not be traced any more); return its sha256 (remembered between
    builds while the file's size, times and inode stay the same: :mod:`observatory.checksums`)."""
    from observatory import checksums

    digest = checksums.sha256(path)
    folder = vintage_folder(path)
    record = folder / PROVENANCE_FILE if folder else None
    if record and record.is_file():
        name = Path(path).relative_to(folder).as_posix()
        files = json.loads(record.read_text(encoding="utf-8")).get("files", [])
        recorded = next((f.get("sha256") for f in files if f.get("name") == name), None)
        if recorded and recorded != digest:
            raise InputError(path, f"its SHA-256 {digest[:12]}... is not the {recorded[:12]}... recorded when "
                                   f"vintage {folder.name} was fetched ({record}): the file was changed or damaged "
                                   "since; fetch again or restore it")
    return digest


def record_source(
    con: duckdb.DuckDBPyConnection, source_id: str, path: Path, rows: int, origin: Origin, reference_period: str
) -> dict:
    """Replace the ``meta.sources`` row of this file and return it (for Dagster metadata)."""
    con.execute(META_SOURCES_DDL)
    row = {
        "source_id": source_id,
        "file_name": path.name,
        "sha256": check_recorded_checksum(path),
        "size_bytes": path.stat().st_size,
        "rows": rows,
        "reference_period": origin.reference_period or reference_period,
        "loaded_at": datetime.now(UTC),
        "producer": origin.producer,
        "url": origin.url,
        "licence": origin.licence,
        "synthetic": origin.synthetic,
        "note": origin.note,
        "path": str(path),
        "vintage": vintage_of(path),
        "retrieved": origin.retrieved,
    }
    con.execute("DELETE FROM meta.sources WHERE source_id = ? AND file_name = ?", [source_id, path.name])
    con.execute(
        f"INSERT INTO meta.sources ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )
    return {**row, "loaded_at": row["loaded_at"].isoformat()}
