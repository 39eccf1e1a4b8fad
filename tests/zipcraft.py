"""Hand-made ZIP archives for the tests of hostile inputs: a ZIP bomb without deflating 200 MB for each test, and
headers that lie about a member's size (which zipfile cannot write)."""

from __future__ import annotations

import functools
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

BOMB_BYTES = 200 << 20  # 200 MiB of zeros deflate to ~200 kB: a ratio of ~1000, deflate's maximum


@dataclass(frozen=True)
class Entry:
    name: str
    compressed: bytes  # raw deflate stream (method 8), or the bytes themselves (method 0)
    crc: int
    size: int  # the uncompressed size the headers declare
    method: int = 8
    mode: int = 0o100644  # unix mode (file type and permissions) in the external attributes


def deflated(name: str, data: bytes, **changes) -> Entry:
    """An honest entry for ``data``; ``changes`` override fields (e.g. ``size`` to make the headers lie)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = packer.compress(data) + packer.flush()
    return Entry(**{"name": name, "compressed": compressed, "crc": zlib.crc32(data), "size": len(data), **changes})


@functools.cache
def _zeros_deflated(total: int) -> tuple[bytes, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    parts, crc = [], 0
    for _ in range(total // len(chunk)):
        parts.append(packer.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(packer.flush())
    return b"".join(parts), crc


def bomb(name: str, total: int = BOMB_BYTES, declared: int | None = None) -> Entry:
    """``total`` zeros (a multiple of 1 MiB), deflated once per size for the whole session; ``declared`` makes the
    headers announce another size."""
    compressed, crc = _zeros_deflated(total)
    return Entry(name, compressed, crc, total if declared is None else declared)


def write_zip(path: Path, entries: list[Entry]) -> Path:
    """A ZIP with exactly these headers (local headers, central directory, end record; no ZIP64, no data
    descriptor)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body, directory = bytearray(), bytearray()
    for entry in entries:
        name = entry.name.encode("utf-8")
        offset = len(body)
        fields = (20, 0x800, entry.method, 0, 0x5A21, entry.crc, len(entry.compressed), entry.size, len(name), 0)
        body += struct.pack("<4s5H3I2H", b"PK\x03\x04", *fields) + name + entry.compressed
        directory += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", (3 << 8) | 20, *fields[:-1], 0, 0, 0, 0,
                                 entry.mode << 16, offset) + name
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    path.write_bytes(bytes(body + directory + end))
    return path
