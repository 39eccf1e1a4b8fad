"""What the parts of the synthetic sample generator share: default seed and years, the snapshot date, the synthetic
notice, a few deterministic draws, and the writers of text files, ZIP and gzip archives and ``.origin.json`` sidecars.

Nothing here knows a producer's layout: each source module states its own, as literal constants (issue 12). The
generator shares nothing with the parsers, so that a round trip through them can catch a wrong layout assumption
instead of agreeing with it by construction.

Determinism: one ``random.Random`` per part, seeded from the seed (never the global generator); fixed ZIP entry
times and attributes; gzip with mtime 0; UTF-8 text with LF line ends.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path

DEFAULT_YEARS = (2022, 2023, 2024)
DEFAULT_SEED = 20260101
RETRIEVED = "2025-01-01"
SNAPSHOT = date(2024, 12, 31)
NOTE = "SYNTHETIC sample in the producer's real format; not real figures"
# Named in every sidecar: the generator's entry point (unchanged since it was one module, so is data/raw).
GENERATOR = "observatory.sample"

# The two extractions delivered under agreement (FLORES, ONSS) have no public URL and one licence.
AGREEMENT_URL = "delivered under agreement"
AGREEMENT_LICENCE = (
    "Restricted: delivered under a data-sharing agreement; publish only disclosure-controlled aggregates"
)

# Surnames of the synthetic persons and of the names built from them, on both sides of the border.
SURNAMES = ("DUPONT", "LEFEBVRE", "DUBOIS", "MARTIN", "LEROY", "DELATTRE", "DEBRUYNE", "VANDAMME", "CARON",
            "LECLERCQ", "DUHAMEL", "MOREL", "DEMAILLY", "POTTIER", "LEMAIRE", "WAUQUIER", "DEVOS", "BOUCHER",
            "LAMBERT", "FOURNIER", "DUCROCQ", "HOLLEBECQUE", "VERHAEGHE", "DELANNOY", "PRUVOST", "TAILLIEZ")


# ------------------------------------------------------------------------------------------------------------
# Deterministic draws and formats
# ------------------------------------------------------------------------------------------------------------
def date_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def random_time(rng: random.Random, day: date) -> str:
    """An ISO timestamp on ``day`` between 06:00 and 23:00."""
    seconds = rng.randrange(6 * 3600, 23 * 3600)
    return f"{day.isoformat()}T{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def dmy(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def scaled(count: float, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(count * scale + 0.5))


# ------------------------------------------------------------------------------------------------------------
# Writers
# ------------------------------------------------------------------------------------------------------------
def write_text(path: Path, text: str, bom: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_sidecar(path: Path, producer: str, url: str, licence: str, period: str, seed: int, scale: float) -> Path:
    """``<file name>.origin.json`` beside ``path``: where the real file comes from, and that this one is synthetic."""
    origin = {
        "producer": producer,
        "url": url,
        "licence": licence,
        "reference_period": period,
        "retrieved": RETRIEVED,
        "synthetic": True,
        "generator": f"{GENERATOR} (seed {seed}, scale {scale:g})",
        "note": NOTE,
    }
    return write_text(path.with_name(path.name + ".origin.json"),
                      json.dumps(origin, ensure_ascii=False, indent=2) + "\n")


def write_zip(path: Path, members: list[tuple[str, bytes]], timestamp: tuple[int, ...]) -> Path:
    """A ZIP whose bytes depend only on ``members`` and ``timestamp`` (fixed entry times and attributes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=timestamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    path.write_bytes(buffer.getvalue())
    return path


def write_gzip(path: Path, text: str) -> Path:
    """UTF-8 ``text`` gzipped with mtime 0, so that the bytes depend only on the text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return path
