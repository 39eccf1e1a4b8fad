"""KBO/BCE open data (SPF Economie): the Full extract and the Update files after it, read straight from the ZIPs;
and the downloader that fetches them (:func:`fetch`).

``be/kbo/KboOpenData_<nnnn>_<yyyy>_<mm>[_<dd>]_Full.zip`` holds one CSV per table (sources-be.md): comma, text in
double quotes, dates ``dd-mm-yyyy`` unquoted, NULL an empty unquoted field, UTF-8. Only the six members the
observatory needs are streamed out of the ZIP (to a private folder of ``work_dir``, deleted afterwards) and DuckDB
reads them by header name, every column as text (``NaceCode`` 01110 and ``ActivityGroup`` 006 keep their zeros).

Results:

- ``src.be_kbo_codes``: all of code.csv (category, code, language, description);
- ``src.be_kbo_establishments``: establishment units counted per (postcode of the BAET address, foreign address,
  juridical form of the enterprise (CAC form first), type of enterprise, NACE version and code of the unit's main
  activity, employer flag). Harmonisation maps postcodes to NUTS3 and forms to families;
- ``meta.rejects``: units kept out (invalid identifiers, enterprise missing from enterprise.csv), one row per unit;
- ``src.be_kbo_enterprises``: one row per enterprise seen, with its seat, form, main activity, ``StartDate`` and,
  for one that left, when (the enterprise demography);
- ``meta.sources``: one row per member used, named ``<zip>:<member>``.

The vintages older than the one read (one per month) are staged once each by the same code and kept
(:mod:`observatory.snapshots`): each adds the establishment units of its year, and their enterprises date the
departures between Fulls (:func:`_combine_enterprises`).

Update files (sources-be.md, "Update ZIP" [V-file]): ``KboOpenData_<nnnn>_..._Update.zip`` holds meta.csv
(ExtractType ``update``), a complete code.csv and, per table, ``<table>_delete.csv`` (key column only) and
``<table>_insert.csv`` (all current rows of the entities affected). The Updates lying next to the chosen Full with a
higher extract number are applied in extract-number order, each table's deletes before its inserts, on the staged
tables (DuckDB does the work; activity.csv is 36 M rows nationally). An Update whose number is not above the Full's
is already in it and is ignored.

Download (sources-be.md, "Scripted download" [C]): log in with a form POST (Spring Security), read the file list,
download the newest Full and the Updates after it into a dated vintage (:mod:`observatory.vintages`).
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import shutil
import urllib.parse
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import duckdb

from observatory import checksums, harmonise, safezip, snapshots, vintages, zipcache
from observatory.download import DownloadError, Opener, get_page, post_form
from observatory.duck import transaction
from observatory.errors import InputError, describe_duckdb_read_error
from observatory.fetch import Fetcher, FetchError, FetchOutcome, FetchSettings
from observatory.provenance import (
    META_SOURCES_DDL,
    Origin,
    check_recorded_checksum,
    read_origin,
    record_source,
    sha256,
    vintage_of,
)
from observatory.rejects import replace_rejects
from observatory.sources import REGISTRY, Source
from observatory.textfile import require_final_newline

SOURCE_ID = "be_kbo"
FOLDER = Path("be") / "kbo"
ORIGIN = Origin(
    producer="SPF Economie - Banque-Carrefour des Entreprises (KBO/BCE open data)",
    url="https://kbopub.economie.fgov.be/kbo-open-data/",
    licence="KBO Open data licence (free registration)",
)
FILE_NAME = re.compile(r"KboOpenData_(\d{4})_(\d{4})_(\d{2})(?:_(\d{2}))?_(Full|Update)\.zip")

# Columns read from each member, by name; other columns are tolerated (the producer adds some over time).
REQUIRED = {
    "meta.csv": ("Variable", "Value"),
    "code.csv": ("Category", "Code", "Language", "Description"),
    "enterprise.csv": ("EnterpriseNumber", "TypeOfEnterprise", "JuridicalForm", "StartDate"),
    "establishment.csv": ("EstablishmentNumber", "EnterpriseNumber"),
    "address.csv": ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "DateStrikingOff"),
    "activity.csv": ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
}
# Absent from extracts before ~2021: read as NULL there.
OPTIONAL = {"enterprise.csv": ("JuridicalFormCAC",)}
MEMBERS = tuple(REQUIRED)
META_VARIABLES = ("SnapshotDate", "ExtractNumber", "ExtractType", "Version")

# Key column of each table in <table>_delete.csv (sources-be.md, "Update ZIP": key column only [V-file]; the names
# are those of the Full's headers).
UPDATE_KEYS = {
    "enterprise": "EnterpriseNumber",
    "establishment": "EstablishmentNumber",
    "denomination": "EntityNumber",
    "address": "EntityNumber",
    "contact": "EntityNumber",
    "activity": "EntityNumber",
    "branch": "Id",
}
# The tables the loader stages, in the order an Update is applied to them (they are independent of each other).
UPDATED_TABLES = ("enterprise", "establishment", "address", "activity")
# Members read from an Update. Every update is expected to carry the delete and insert files of every table, empty
# (header only) when nothing changed [U: the cookbook lists them; a missing one is refused rather than guessed].
UPDATE_MEMBERS = ("meta.csv",) + tuple(f"{t}_{op}.csv" for t in UPDATED_TABLES for op in ("delete", "insert"))
UPDATE_OPTIONAL = ("code.csv",)

ENTERPRISE_NUMBER = r"\d{4}\.\d{3}\.\d{3}"
UNIT_NUMBER = r"\d\.\d{3}\.\d{3}\.\d{3}"
INVALID_ENTERPRISE = "invalid enterprise number (mod-97)"
INVALID_UNIT = "invalid establishment unit number (not 9.999.999.999)"
ORPHAN = "establishment unit whose enterprise is not in enterprise.csv"

# Main activity preference (harmonisation.md: prefer the 2008 activity); then the ONSS (employer) activity, VAT, the
# other activities; the group, version and code themselves break ties, so the choice never depends on row order. The
# two preferences make a rank (a letter from A: the version's rank times _RANK_BASE plus the group's). The key is
# text, compared as text: the rank's letter, then, when the version and group are among those named (the rank then
# says which they are), the code alone -- at most 8 bytes, which DuckDB keeps inline, so min() compares them in place:
# 5.4 s for the national activity.csv, against 6.9 s for the list [rank of version, rank of group, group, version,
# code] it replaces (issue 14). Otherwise the group, version and code follow, separated by chr(1), which sorts below
# any character they may hold: one holding chr(0) or chr(1) is refused. _activity_sql reads the version and code back
# from the key.
_VERSIONS_RANKED = ("2008", "2025", "2003")
_GROUPS_RANKED = ("006", "001", "003")
# A group's rank runs from 0 to len(_GROUPS_RANKED) (any other group): one more than that makes the letter of each
# (version, group) pair distinct. The arithmetic below follows the tuples, whatever their length.
_RANK_BASE = len(_GROUPS_RANKED) + 1


def _rank(column: str, ranked: tuple[str, ...]) -> str:
    """The position of ``column``'s value in ``ranked`` (0 first), ``len(ranked)`` for any other."""
    whens = " ".join(f"WHEN '{value}' THEN {i}" for i, value in enumerate(ranked))
    return f"CASE {column} {whens} ELSE {len(ranked)} END"


_VERSION_RANK = _rank("NaceVersion", _VERSIONS_RANKED)
_GROUP_RANK = _rank("ActivityGroup", _GROUPS_RANKED)
_RANK_LETTER = f"chr(65 + {_RANK_BASE} * version_rank + group_rank)"
_ACTIVITY_KEY = (
    f"CASE WHEN version_rank < {len(_VERSIONS_RANKED)} AND group_rank < {len(_GROUPS_RANKED)} "
    f"THEN {_RANK_LETTER} || coalesce(NaceCode, '') "
    "WHEN regexp_matches(coalesce(ActivityGroup, '') || coalesce(NaceVersion, '') || coalesce(NaceCode, ''), "
    "'[\\x00\\x01]') THEN error('a control character (U+0000 or U+0001) in ActivityGroup, NaceVersion or NaceCode') "
    f"ELSE {_RANK_LETTER} || coalesce(ActivityGroup, '') || chr(1) "
    "|| coalesce(NaceVersion, '') || chr(1) || coalesce(NaceCode, '') END"
)


def _activity_of_key(key: str) -> str:
    """The struct {version, code} of the activity whose preference key (:data:`_ACTIVITY_KEY`) is ``key``."""
    rank = f"(ascii({key}) - 65)"
    versions = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(_VERSIONS_RANKED))
    named = f"{rank} < {len(_VERSIONS_RANKED) * _RANK_BASE} AND {rank} % {_RANK_BASE} < {len(_GROUPS_RANKED)}"
    return (f"CASE WHEN {key} IS NULL THEN NULL "
            f"WHEN {named} THEN {{'version': CASE {rank} // {_RANK_BASE} {versions} END, "
            f"'code': {key}[2:]}} "
            f"ELSE {{'version': split_part({key}[2:], chr(1), 2), 'code': split_part({key}[2:], chr(1), 3)}} END")


def is_valid_enterprise_number(number: str) -> bool:
    """``9999.999.999`` whose last two digits are 97 - (first eight digits mod 97)."""
    if not re.fullmatch(ENTERPRISE_NUMBER, number):
        return False
    digits = number.replace(".", "")
    return 97 - int(digits[:8]) % 97 == int(digits[8:])


def _valid_enterprise_sql(column: str) -> str:
    """SQL twin of :func:`is_valid_enterprise_number` (TRY_CAST: DuckDB may evaluate both sides of the AND)."""
    digits = f"replace({column}, '.', '')"
    return (f"coalesce(regexp_full_match({column}, '{ENTERPRISE_NUMBER}') AND "
            f"97 - TRY_CAST(left({digits}, 8) AS BIGINT) % 97 = TRY_CAST(right({digits}, 2) AS BIGINT), false)")


@dataclass(frozen=True)
class ExtractName:
    """What a KBO file name says: ``KboOpenData_<nnnn>_<yyyy>_<mm>[_<dd>]_<Full|Update>.zip``."""

    name: str
    number: int
    year: int
    month: int
    day: int  # 0 for the monthly names without a day
    kind: str  # "Full" or "Update"

    @property
    def order(self) -> tuple[int, int, int, int]:
        """Extract number first, then the date (the daily files of Oct 2025 on can share a number [U])."""
        return (self.number, self.year, self.month, self.day)

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}" + (f"-{self.day:02d}" if self.day else "")


def parse_name(name: str) -> ExtractName | None:
    """The parts of a KBO open-data file name, or None when ``name`` is not one (case matters, as on the server)."""
    m = FILE_NAME.fullmatch(name)
    if not m:
        return None
    return ExtractName(name, int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4) or 0), m.group(5))


def find_extract(raw_dir: Path) -> Path:
    """The Full extract with the highest extract number (then the latest date) in ``raw_dir/be/kbo`` (its current
    vintage)."""
    return _extract_in(vintages.current(raw_dir, FOLDER))


def _extract_in(folder: Path) -> Path:
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and (parsed := parse_name(path.name)) and parsed.kind == "Full":
                found.append((parsed.order, path))
    if not found:
        raise InputError(folder, f"no KBO Full extract (KboOpenData_<nnnn>_<yyyy>_<mm>[_<dd>]_Full.zip) in {folder}")
    return max(found)[1]


def find_updates(full: Path) -> tuple[list[Path], list[dict]]:
    """The Update ZIPs next to the Full extract ``full`` to apply after it, in order, and those ignored (with why).

    An Update carries the changes from the previous extract to its own number; one whose number is not above the
    Full's is already in the Full (the producer publishes a Full and an Update under each number).
    """
    base = parse_name(full.name)
    assert base is not None, full
    applied, ignored = [], []
    for path in full.parent.iterdir():
        if not path.is_file() or not (parsed := parse_name(path.name)) or parsed.kind != "Update":
            continue
        if parsed.number > base.number:
            applied.append((parsed.order, path))
        else:
            ignored.append((parsed.order, {"zip": path.name, "reason": f"extract number {parsed.number} is not after "
                                                                       f"the Full's ({base.number}): already in it"}))
    return [p for _, p in sorted(applied)], [d for _, d in sorted(ignored, key=lambda item: item[0])]


# What each staged table keeps of its member (Full) or of ``<table>_insert.csv`` (Update), and its key.
_STAGED = {
    "code": ("_kbo_codes", None, """
        SELECT coalesce(Category, '') AS category, coalesce(Code, '') AS code,
               coalesce(Language, '') AS language, coalesce(Description, '') AS description FROM {source}"""),
    "enterprise": ("_kbo_enterprises", "enterprise", """
        SELECT coalesce(EnterpriseNumber, '') AS enterprise, coalesce(TypeOfEnterprise, '') AS type,
               coalesce(NULLIF(JuridicalFormCAC, ''), JuridicalForm, '') AS form,
               CAST(try_strptime(StartDate, '%d-%m-%Y') AS DATE) AS start_date,
               coalesce(StartDate, '') <> '' AND try_strptime(StartDate, '%d-%m-%Y') IS NULL AS start_date_invalid
        FROM {source}"""),
    "establishment": ("_kbo_units_raw", "unit", """
        SELECT coalesce(EstablishmentNumber, '') AS unit, coalesce(EnterpriseNumber, '') AS enterprise
        FROM {source}"""),
    # Only current addresses of establishment units (BAET) and registered seats (REGO, for the enterprise
    # demography) matter; the rest are counted, not kept.
    "address": ("_kbo_addresses", "entity", """
        SELECT EntityNumber AS entity, TypeOfAddress AS type, coalesce(Zipcode, '') AS postcode,
               coalesce(CountryFR, '') <> '' OR coalesce(CountryNL, '') <> '' AS is_foreign
        FROM {source} WHERE TypeOfAddress IN ('BAET', 'REGO') AND coalesce(DateStrikingOff, '') = ''"""),
    "activity": ("_kbo_activity", "entity", None),  # aggregated per entity: see _activity_sql
}
def _enterprise_rows(keys: str | None = None) -> str:
    """One row per enterprise with what its demography is counted by (harmonise_demography): whether its number is
    valid, where it is, and its best MAIN activity, as the staged tables stand when it is read; only those of the
    subquery ``keys`` when given (an Update's deletes: the seats and units of those alone are ranked, not the
    whole extract's, 1.3 s an Update on national volumes).

    Where: its registered seat (REGO address), else the current BAET address of its establishment unit of lowest
    number -- the open data gives most natural persons no REGO address, only their units' addresses."""
    def only(column: str) -> str:
        return f"AND {column} IN ({keys})" if keys else ""

    return f"""
        SELECT e.enterprise, {_valid_enterprise_sql("e.enterprise")} AS valid_number, e.type AS type_of_enterprise,
               e.form AS juridical_form, e.start_date, e.start_date_invalid,
               coalesce(s.postcode, b.postcode, '') AS seat_postcode,
               coalesce(s.is_foreign, b.is_foreign, false) AS seat_foreign,
               CASE WHEN s.entity IS NOT NULL THEN 'REGO' WHEN b.enterprise IS NOT NULL THEN 'BAET' ELSE '' END
                   AS seat_address,
               a.main.version AS main_nace_version, a.main.code AS main_nace_code
        FROM _kbo_enterprises e
        LEFT JOIN (SELECT entity, postcode, is_foreign FROM _kbo_addresses WHERE type = 'REGO' {only("entity")}
                   QUALIFY row_number() OVER (PARTITION BY entity ORDER BY is_foreign, postcode) = 1) s
          ON s.entity = e.enterprise
        LEFT JOIN (SELECT u.enterprise, a.postcode, a.is_foreign
                   FROM _kbo_units_raw u JOIN _kbo_addresses a ON a.entity = u.unit AND a.type = 'BAET'
                   WHERE true {only("u.enterprise")}
                   QUALIFY row_number() OVER (PARTITION BY u.enterprise ORDER BY u.unit, a.is_foreign, a.postcode) = 1
                  ) b ON b.enterprise = e.enterprise
        LEFT JOIN _kbo_activity a ON a.entity = e.enterprise
        WHERE true {only("e.enterprise")}"""


_TEMP_TABLES = ("_kbo_member", "_kbo_codes", "_kbo_enterprises", "_kbo_units_raw", "_kbo_addresses", "_kbo_activity",
                "_kbo_units", "_kbo_delete", "_kbo_activity_new", "_kbo_activity_merged", "_kbo_codes_new",
                "_kbo_departed", "_kbo_leaving")


# What a vintage leaves for the time series (observatory.snapshots): its establishment units (a year of
# mart.establishments) and its enterprises (whether each was still there: the departures between vintages).
HISTORY_TABLES = ("src.be_kbo_establishments", "src.be_kbo_enterprises")


def load(con: duckdb.DuckDBPyConnection, raw_dir: Path, cache_dir: Path) -> dict:
    """Stage ``src.be_kbo_codes``, ``src.be_kbo_establishments`` and ``src.be_kbo_enterprises`` from the newest Full
    extract and the Updates after it, then add the older vintages kept in ``raw_dir`` (:mod:`observatory.snapshots`):
    the establishment units of their years, and the enterprises they held (:func:`_combine_enterprises`); record
    rejects and sources. Returns what was loaded, for Dagster metadata.

    ``cache_dir`` keeps the members extracted (about 2 GB for a national extract) for the builds after, which
    reuse them while the ZIPs are unchanged (:mod:`observatory.zipcache`); what this load did not use is removed.
    The tables, rejects and sources are replaced together, in one transaction, once everything is read.
    """
    folder = vintages.current(raw_dir, FOLDER)
    summary = _load_vintage(con, folder, cache_dir)
    # Every vintage is used: its enterprises are combined with the others' (_combine_enterprises).
    if snapshots.add_history(con, raw_dir, FOLDER, cache_dir, SOURCE_ID, __name__, HISTORY_TABLES, _load_vintage,
                             summary, combine=_combine_enterprises):
        summary.update(zip(("enterprises", "enterprises_departed", "observed_from"), con.execute(
            f"SELECT count(*), count(departed_on), strftime(min(observed_from), '%Y-%m-%d') FROM {HISTORY_TABLES[1]}"
        ).fetchone(), strict=True))
    return summary


def _combine_enterprises(con: duckdb.DuckDBPyConnection, earlier: list[snapshots.Kept]) -> None:
    """``src.be_kbo_enterprises`` over every vintage: each enterprise as the latest vintage that holds it says (its
    form, place and activity; departed in that vintage's Updates or not). One held by an older vintage and by none
    after it departed at the next vintage's Full: the first snapshot without it (the day it left is not known, only
    that it left between the two snapshots). Closures are seen from the oldest vintage's Full (``observed_from``);
    an enterprise that came and went between two vintages is in none of them."""
    table = HISTORY_TABLES[1]
    union = " UNION ALL ".join([f"SELECT * FROM {table}", *(f"SELECT * FROM {k.table(table)}" for k in earlier)])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _kbo_all_enterprises AS {union}")
    con.execute(
        f"""CREATE OR REPLACE TABLE {table} AS
            WITH fulls AS (SELECT DISTINCT observed_from, snapshot_date FROM _kbo_all_enterprises),
                 bounds AS (SELECT min(observed_from) AS first_full, max(snapshot_date) AS newest FROM fulls),
                 latest AS (SELECT * FROM _kbo_all_enterprises
                            QUALIFY row_number() OVER (PARTITION BY enterprise ORDER BY snapshot_date DESC) = 1)
            SELECT l.* REPLACE (
                       CASE WHEN l.departed_on IS NOT NULL OR l.snapshot_date = b.newest THEN l.departed_on
                            ELSE greatest(l.snapshot_date, (SELECT min(f.observed_from) FROM fulls f
                                                            WHERE f.snapshot_date > l.snapshot_date)) END
                           AS departed_on,
                       b.first_full AS observed_from, b.newest AS snapshot_date)
            FROM latest l, bounds b
            ORDER BY l.enterprise"""
    )
    con.execute("DROP TABLE _kbo_all_enterprises")


def _load_vintage(con: duckdb.DuckDBPyConnection, folder: Path, cache_dir: Path) -> dict:
    """Stage the Full extract of ``folder`` and the Updates after it (see :func:`load`)."""
    zip_path = _extract_in(folder)
    updates, ignored = find_updates(zip_path)
    for archive in (zip_path, *updates):
        # Members are recorded with their own checksums; the ZIPs are what the fetch recorded.
        check_recorded_checksum(archive)
    cache_dir = cache_dir / SOURCE_ID
    try:
        files, rows, meta = _stage_full(con, zip_path, cache_dir)
        # Enterprises an Update deletes without inserting them again have left the open data (which holds active
        # entities only): ceased, or no longer active. Kept with what they were, and when they were last seen.
        con.execute(f"CREATE OR REPLACE TEMP TABLE _kbo_departed AS SELECT *, NULL::DATE AS departed_on "
                    f"FROM ({_enterprise_rows()}) WHERE false")

        # Updates, in extract-number order; each one's members are kept until they are recorded below.
        applied = []
        used = [(zip_path, [files[m] for m in MEMBERS], rows, meta["snapshot_date"])]
        for update in updates:
            report, members, update_rows, update_meta = _apply_update(con, update, cache_dir)
            applied.append(report)
            used.append((update, members, update_rows, update_meta["snapshot_date"]))
        _build_units(con)

        counted, without_address = con.execute(
            "SELECT count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason IS NULL AND postcode = '') "
            "FROM _kbo_units"
        ).fetchone()
        # The data is as of the last Update applied.
        snapshot = used[-1][3]
        with transaction(con):
            con.execute("CREATE SCHEMA IF NOT EXISTS src")
            con.execute("CREATE OR REPLACE TABLE src.be_kbo_codes AS SELECT * FROM _kbo_codes ORDER BY ALL")
            # The enterprises and the units' groups are not sorted: nothing reads them in an order (the published
            # tables have their own), and sorting 1.9 M enterprises and the groups cost 0.5 s nationally (issue 14).
            con.execute(
                f"""CREATE OR REPLACE TABLE src.be_kbo_enterprises AS
                    SELECT * FROM (SELECT *, NULL::DATE AS departed_on FROM ({_enterprise_rows()})
                                   UNION ALL SELECT * FROM _kbo_departed),
                           (SELECT CAST(? AS DATE) AS observed_from, CAST(? AS DATE) AS snapshot_date)""",
                [meta["snapshot_date"], snapshot],
            )
            con.execute(
                """CREATE OR REPLACE TABLE src.be_kbo_establishments AS
                   SELECT CAST(? AS DATE) AS snapshot_date, postcode, is_foreign AS "foreign", juridical_form,
                          type_of_enterprise, nace_version, nace_code, employer,
                          CAST(count(*) AS BIGINT) AS establishments
                   FROM _kbo_units WHERE reason IS NULL GROUP BY ALL""",
                [snapshot],
            )
            rejected = replace_rejects(
                con, SOURCE_ID, None,
                """SELECT file_name, NULL::BIGINT AS line, reason, raw_text, NULL::BIGINT AS jobs
                   FROM _kbo_units WHERE reason IS NOT NULL ORDER BY reason, raw_text, unit""",
            )
            # The tables hold this extract only: so does meta.sources (an older extract's rows go).
            con.execute(META_SOURCES_DDL)
            con.execute("DELETE FROM meta.sources WHERE source_id = ?", [SOURCE_ID])
            # The members hashed side by side (each _record then finds its digest): 2 GB of CSV nationally.
            checksums.sha256_all([member for _, members, _, _ in used for member in members])
            sources = []
            for path, members, member_rows, period in used:
                origin = read_origin(path, ORIGIN)
                sources += [_record(con, path, member, member_rows[member.name], origin, period.isoformat())
                            for member in members]
        by_reason = dict(con.execute(
            "SELECT reason, count(*) FROM _kbo_units WHERE reason IS NOT NULL GROUP BY reason ORDER BY reason"
        ).fetchall())
        aggregate_rows = con.execute("SELECT count(*) FROM src.be_kbo_establishments").fetchone()[0]
        enterprises = dict(zip(("enterprises", "enterprises_departed", "start_dates_invalid"), con.execute(
            "SELECT count(*), count(departed_on), count(*) FILTER (WHERE start_date_invalid) "
            "FROM src.be_kbo_enterprises").fetchone(), strict=True))
    finally:
        for table in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    zipcache.keep_only(cache_dir, [member for _, members, _, _ in used for member in members])

    return {
        "zip": zip_path.name,
        "extract_number": meta["extract_number"],
        "extract_type": meta["extract_type"],
        "version": meta["version"],
        "snapshot_date": snapshot.isoformat(),
        "rows": rows,
        "units_aggregated": counted,
        "units_without_address": without_address,
        "aggregate_rows": aggregate_rows,
        **enterprises,
        "rejects": rejected,
        "rejects_by_reason": by_reason,
        "updates": applied,
        "updates_ignored": ignored,
        "missing_extract_numbers": _gaps(meta["extract_number"], [u["extract_number"] for u in applied]),
        "sources": sources,
    }


def _stage_full(con: duckdb.DuckDBPyConnection, zip_path: Path, cache_dir: Path
                ) -> tuple[dict[str, Path], dict[str, int], dict]:
    """Stage the Full extract's members: their files, their rows, and what meta.csv says.

    activity.csv (three quarters of a national extract's bytes) is inflated on a second thread while DuckDB stages
    the other members: zlib, the CRC and the disk release the GIL, so the two overlap (national, synthetic: 25.1 s -> 22.4 s)."""
    with safezip.open_zip(zip_path) as archive:
        members = _members(archive, zip_path, MEMBERS, (), f"a Full extract holds {', '.join(MEMBERS)} and others")
        # Cancelled if staging fails before it starts; once started it ends (and is kept) before the ZIP closes.
        with zipcache.meanwhile(zipcache.extract, archive, members["activity.csv"], cache_dir,
                                "activity.csv") as activity:
            files = {name: zipcache.extract(archive, info, cache_dir, name) for name, info in members.items()
                     if name != "activity.csv"}
            meta = _read_meta(con, zip_path, files["meta.csv"], "full")
            rows = {"meta.csv": meta["rows"]}
            rows["code.csv"] = _stage(con, zip_path, files["code.csv"], "_kbo_codes", _STAGED["code"][2])
            rows["enterprise.csv"] = _stage(con, zip_path, files["enterprise.csv"], "_kbo_enterprises",
                                            _STAGED["enterprise"][2])
            _refuse_repeats(con, zip_path / "enterprise.csv", "_kbo_enterprises", "enterprise", "EnterpriseNumber")
            rows["establishment.csv"] = _stage(con, zip_path, files["establishment.csv"], "_kbo_units_raw",
                                               _STAGED["establishment"][2])
            if rows["establishment.csv"] == 0:
                raise InputError(zip_path / "establishment.csv", "no establishment unit in the extract")
            _refuse_repeats(con, zip_path / "establishment.csv", "_kbo_units_raw", "unit", "EstablishmentNumber")
            rows["address.csv"] = _stage_counted(con, zip_path, files["address.csv"], "_kbo_addresses",
                                                 _STAGED["address"][2])
        files["activity.csv"] = activity.result()
    rows["activity.csv"] = _stage_activity(con, zip_path, files["activity.csv"])
    return {name: files[name] for name in MEMBERS}, rows, meta


def _gaps(full: int, numbers: list[int]) -> list[int]:
    """Extract numbers between the Full and the last Update with no Update in the folder. Reported, not refused:
    whether every number gets an Update (daily files since Oct 2025) is not verified [U]."""
    return [n for n in range(full + 1, max(numbers, default=full)) if n not in set(numbers)]


def _apply_update(con: duckdb.DuckDBPyConnection, zip_path: Path, cache_dir: Path
                  ) -> tuple[dict, list[Path], dict[str, int], dict]:
    """Apply one Update ZIP to the staged tables: per table its deletes, then its inserts; a non-empty code.csv
    replaces the codes. Returns the report, the members read, their rows and the update's meta."""
    files = _extract(zip_path, cache_dir, UPDATE_MEMBERS, UPDATE_OPTIONAL,
                     "an Update extract holds meta.csv, code.csv and <table>_delete.csv and <table>_insert.csv "
                     f"for {', '.join(UPDATED_TABLES)} and other tables")
    meta = _read_meta(con, zip_path, files["meta.csv"], "update")
    rows = {"meta.csv": meta["rows"]}
    codes_replaced, departed = False, 0
    if "code.csv" in files:
        # Staged aside first: an empty code list (header only) keeps the codes rather than erasing them.
        rows["code.csv"] = _stage(con, zip_path, files["code.csv"], "_kbo_codes_new", _STAGED["code"][2])
        if rows["code.csv"]:
            con.execute("CREATE OR REPLACE TEMP TABLE _kbo_codes AS SELECT * FROM _kbo_codes_new")
            codes_replaced = True
        con.execute("DROP TABLE _kbo_codes_new")
    for table in UPDATED_TABLES:
        staged, key, select = _STAGED[table]
        delete, insert = files[f"{table}_delete.csv"], files[f"{table}_insert.csv"]
        # Every row of the entities listed goes: the insert file then holds all their current rows.
        rows[delete.name] = _stage(con, zip_path, delete, "_kbo_delete",
                                   f"SELECT {_quoted(UPDATE_KEYS[table])} AS key FROM {{source}}")
        if table == "enterprise":  # first of UPDATED_TABLES: the seats and activities are those before the Update
            con.execute("CREATE OR REPLACE TEMP TABLE _kbo_leaving AS "
                        + _enterprise_rows("SELECT key FROM _kbo_delete"))
        con.execute(f"DELETE FROM {staged} WHERE {key} IN (SELECT key FROM _kbo_delete)")
        if table == "activity":
            rows[insert.name] = _insert_activity(con, zip_path, insert)
        else:
            source = _source(zip_path, insert)
            with _reading(zip_path, insert):
                con.execute(f"INSERT INTO {staged} {select.format(source=source)}")
                rows[insert.name] = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        if table == "enterprise":
            departed = _record_departures(con, meta["snapshot_date"])
    problem = "{column} {value!r} is inserted while the extract already holds it (not in the delete file)"
    _refuse_repeats(con, zip_path / "enterprise_insert.csv", "_kbo_enterprises", "enterprise", "EnterpriseNumber",
                    problem)
    _refuse_repeats(con, zip_path / "establishment_insert.csv", "_kbo_units_raw", "unit", "EstablishmentNumber",
                    problem)
    members = [files[m] for m in UPDATE_MEMBERS[:1] + UPDATE_OPTIONAL + UPDATE_MEMBERS[1:] if m in files]
    report = {"zip": zip_path.name, "extract_number": meta["extract_number"],
              "snapshot_date": meta["snapshot_date"].isoformat(), "codes_replaced": codes_replaced,
              "enterprises_departed": departed,
              "rows": {m.name: rows[m.name] for m in members}}
    return report, members, rows, meta


def _record_departures(con: duckdb.DuckDBPyConnection, snapshot: date) -> int:
    """After an Update's enterprise deletes and inserts: the enterprises it deleted and did not insert again depart
    on its snapshot date; one that departed earlier and is inserted again is back. Returns the departures."""
    con.execute("DELETE FROM _kbo_departed WHERE enterprise IN (SELECT enterprise FROM _kbo_enterprises)")
    departed = con.execute(
        "INSERT INTO _kbo_departed SELECT *, CAST(? AS DATE) FROM _kbo_leaving "
        "WHERE enterprise NOT IN (SELECT enterprise FROM _kbo_enterprises)", [snapshot]
    ).fetchone()[0]
    con.execute("DROP TABLE _kbo_leaving")
    return int(departed)


def juridical_form_labels(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Juridical form code -> {language: description}, from the delivered code.csv."""
    labels: dict[str, dict[str, str]] = {}
    for code, language, description in con.execute(
        "SELECT code, language, description FROM src.be_kbo_codes WHERE category = 'JuridicalForm' ORDER BY ALL"
    ).fetchall():
        labels.setdefault(code, {})[language] = description
    return labels


def snapshot_year(con: duckdb.DuckDBPyConnection) -> int:
    """Year of the snapshot staged in ``src.be_kbo_establishments``."""
    snapshot = con.execute("SELECT max(snapshot_date) FROM src.be_kbo_establishments").fetchone()[0]
    if snapshot is None:
        raise ValueError("src.be_kbo_establishments is empty: load a KBO Full extract first")
    return snapshot.year


# --- the download -----------------------------------------------------------------------------------------------

# sources-be.md, "Scripted download" [C]: the paths below, a Spring Security form login and the session cookies.
DEFAULT_BASE_URL = "https://kbopub.economie.fgov.be"
LOGIN_PATH = "/kbo-open-data/static/j_spring_security_check"
LISTING_PATH = "/kbo-open-data/affiliation/xml/?files"
FILES_PATH = "/kbo-open-data/affiliation/xml/files/"
SIGNUP_URL = "https://kbopub.economie.fgov.be/kbo-open-data/signup"
USERNAME_ENV, PASSWORD_ENV = "KBO_USERNAME", "KBO_PASSWORD"
FETCH_PRODUCER = "SPF Economie / FOD Economie – KBO/BCE"
COUNTRY, SOURCE = FOLDER.parts
# A Full ZIP holds ~2.1 GB of CSV (sources-be.md); its compressed size is not documented [U]: the cap is the
# uncompressed size with a margin, so it only stops a runaway answer.
MAX_ZIP_BYTES = 4 << 30
MAX_LISTING_BYTES = 8 << 20
MAX_META_BYTES = 1 << 20  # meta.csv holds a dozen variables (~150 bytes)
# A name anywhere in the listing (href, link text, XML element), not inside a longer name (.zip.md5 etc.).
_LISTED_NAME = re.compile(r"(?<![\w.-])" + FILE_NAME.pattern + r"(?!\.?\w)")
# The login page (Spring Security's form): the password field is the tell, whatever the page's language.
_PASSWORD_FIELD = re.compile(r"j_password|type\s*=\s*[\"']?password", re.IGNORECASE)


def fetch(settings: FetchSettings) -> FetchOutcome:
    """Log in to KBO open data, list its files and put the newest Full extract and the Updates after it in a new
    vintage of ``<raw>/be/kbo``; nothing is written when the newest vintage already holds exactly those files.

    Credentials come from ``$KBO_USERNAME`` and ``$KBO_PASSWORD`` (free registration) and go nowhere else: not in
    the progress messages, the logs, the vintage nor an error message. A failure (refused login, dropped transfer,
    HTML page instead of a ZIP) raises and leaves the earlier vintages as they were; interrupted downloads resume from
    ``<raw>/be/kbo/.incoming`` on the next call.
    """
    env = settings.environ()
    username, password = env.get(USERNAME_ENV, "").strip(), env.get(PASSWORD_ENV, "")
    if missing := [name for name, value in ((USERNAME_ENV, username), (PASSWORD_ENV, password)) if not value]:
        raise FetchError(f"KBO open data needs an account: set {' and '.join(missing)} in the environment (the user "
                         f"name and password of a KBO open-data account; register for free at {SIGNUP_URL})")
    base = settings.base_url("kbo", DEFAULT_BASE_URL)
    session = settings.open_session()
    _login(session, base, username, password, settings)
    listed = _list_files(session, base, settings)
    wanted = select_files(listed)
    full, updates = wanted[0], wanted[1:]
    settings.say(f"KBO: {len(listed)} file(s) listed; newest Full {full.name}"
                 + (f", then {len(updates)} Update(s) up to extract {updates[-1].number}" if updates else
                    ", no Update after it"))
    names = [w.name for w in wanted]
    version = {"extract_number": wanted[-1].number, "full_extract_number": full.number, "files": names}

    found = vintages.list_vintages(settings.raw_dir, COUNTRY, SOURCE)
    if found and sorted(_vintage_files(found[-1])) == sorted(names):
        message = f"kbo: nothing new (vintage {found[-1].name} already holds {', '.join(names)})"
        return FetchOutcome("kbo", None, version, message)

    incoming = vintages.incoming_dir(settings.raw_dir, COUNTRY, SOURCE)
    ready: list[tuple[ExtractName, Path, str, str]] = []
    for item in wanted:
        url = base + FILES_PATH + urllib.parse.quote(item.name)
        path, how = _reuse(found, incoming, item.name)
        if path is None:
            result = settings.download(url, incoming / item.name, session=session, max_bytes=MAX_ZIP_BYTES,
                                       kind="zip")
            path, how = result.path, "downloaded" + (" (resumed)" if result.resumed else "")
        else:
            settings.say(f"KBO: {item.name} {how}, not downloaded again")
        if not how.startswith("taken from vintage"):
            _check_extract(path, item, url)
        ready.append((item, path, url, how))

    with vintages.new_vintage(settings.raw_dir, COUNTRY, SOURCE, now=settings.now) as vintage:
        vintage.describe(producer=FETCH_PRODUCER, licence=ORIGIN.licence, urls=[url for _, _, url, _ in ready],
                         producer_version=version, reference_period=wanted[-1].period,
                         note=f"KBO open data: Full extract {full.number} and the Updates after it, applied in order "
                              "by the loader")
        for item, path, url, how in ready:
            vintage.adopt(path, name=item.name, url=url, reference_period=item.period,
                          note=f"{item.kind} extract {item.number}; {how}")
    final = vintage.final
    assert final is not None
    _clean_incoming(incoming, set(names))
    message = (f"kbo: new vintage {final.name}: {full.name}"
               + (f" and {len(updates)} Update(s) up to extract {updates[-1].number}" if updates else ""))
    return FetchOutcome("kbo", final, version, message)


def listed_names(page: str) -> list[str]:
    """The KBO file names in a listing page (HTML or XML), each once, in page order."""
    return list(dict.fromkeys(m.group(0) for m in _LISTED_NAME.finditer(page)))


def select_files(names: Iterable[str]) -> list[ExtractName]:
    """The newest Full (extract number, then date) followed by every Update with a higher number, in order."""
    parsed = [p for name in set(names) if (p := parse_name(name))]
    fulls = [p for p in parsed if p.kind == "Full"]
    if not fulls:
        raise FetchError("the KBO file list names no Full extract (KboOpenData_<nnnn>_<yyyy>_<mm>[_<dd>]_Full.zip); "
                         "nothing was downloaded")
    full = max(fulls, key=lambda p: p.order)
    updates = sorted((p for p in parsed if p.kind == "Update" and p.number > full.number), key=lambda p: p.order)
    return [full, *updates]


def _login(session: Opener, base: str, username: str, password: str, settings: FetchSettings) -> None:
    """The Spring Security form login; the session keeps the cookie. A refusal ends at ``...login?error``."""
    status, final_url, _ = post_form(session, base + LOGIN_PATH, {"j_username": username, "j_password": password},
                                     timeout=settings.timeout, progress=settings.progress)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(final_url).query, keep_blank_values=True)
    if status in (401, 403) or "error" in query:
        raise _refused(f"the login form answered {'HTTP ' + str(status) if status >= 400 else 'with its error page'}")
    if status >= 400:
        raise FetchError(f"KBO login failed: {base + LOGIN_PATH} answered HTTP {status}; try again later (no vintage "
                         "was written; earlier vintages are intact)")


def _list_files(session: Opener, base: str, settings: FetchSettings) -> list[str]:
    """The file names of the listing. A login page here means the login did not take (wrong account, no cookie)."""
    url = base + LISTING_PATH
    final_url, page = _get_page(session, url, settings)
    names = listed_names(page)
    if not names and (_PASSWORD_FIELD.search(page) or "login" in urllib.parse.urlsplit(final_url).path.lower()):
        raise _refused("the file list answered with the login page")
    if not names:
        raise FetchError(f"the KBO file list {url} names no KboOpenData_*.zip file ({len(page)} characters received; "
                         "the page may have changed); nothing was downloaded")
    return names


def _get_page(session: Opener, url: str, settings: FetchSettings) -> tuple[str, str]:
    """GET a small page with the session (which retries transient failures); returns (final URL, text)."""
    intact = "no vintage was written, earlier vintages are intact"
    try:
        status, final_url, page = get_page(session, url, timeout=settings.timeout, progress=settings.progress,
                                           headers={"Accept": "text/html,application/xml,*/*"},
                                           max_bytes=MAX_LISTING_BYTES)
    except DownloadError as exc:
        raise DownloadError(url, None, f"{exc.problem}; {intact}", state="") from None
    if status in (401, 403):
        raise _refused(f"the file list answered HTTP {status}")
    if status >= 400:
        raise DownloadError(url, None, f"HTTP {status}; {intact}", status=status, state="")
    return final_url, page


def _refused(why: str) -> FetchError:
    return FetchError(f"KBO login refused ({why}): check {USERNAME_ENV} and {PASSWORD_ENV} (an account is created at "
                      f"{SIGNUP_URL}); no vintage was written, earlier vintages are intact")


def _vintage_files(vintage: Path) -> list[str]:
    """The data files of a vintage, from its provenance.json (else from the folder)."""
    try:
        return [f["name"] for f in vintages.read_provenance(vintage)["files"]]
    except (OSError, ValueError, KeyError, TypeError):
        return vintages.data_files(vintage)


def _reuse(found: list[Path], incoming: Path, name: str) -> tuple[Path | None, str]:
    """A copy of ``name`` that need not be downloaded again (a KBO file name carries its extract number, so its
    content does not change [U]): in an earlier vintage, with the sha256 its provenance recorded (hard-linked into
    the incoming folder, the earlier vintage keeps its file); or complete in the incoming folder, left by a fetch
    that failed on a later file (download() installs a file there only once checked)."""
    target = incoming / name
    if target.is_file() and not target.with_name(name + ".part").exists():
        try:
            with safezip.open_zip(target) as archive:
                if archive.archive.testzip() is None:
                    return target, "complete in the incoming folder"
        except (InputError, zipfile.BadZipFile, OSError, EOFError, ValueError):
            pass
        target.unlink()
    for vintage in reversed(found):
        source = vintage / name
        try:
            recorded = {f["name"]: f["sha256"] for f in vintages.read_provenance(vintage)["files"]}
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if source.is_file() and recorded.get(name) == sha256(source):
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
            return target, f"taken from vintage {vintage.name}"
    return None, ""


def _check_extract(path: Path, item: ExtractName, url: str) -> None:
    """The downloaded ZIP is the extract its name says (meta.csv's ExtractType and ExtractNumber), before a vintage
    keeps it; otherwise it is deleted."""
    problem = None
    try:
        with safezip.open_zip(path) as archive:
            metas = [i for i in archive.files if PurePosixPath(i.filename).name.lower() == "meta.csv"]
            if not metas:
                problem = "it holds no meta.csv"
            else:
                text = archive.read(metas[0], MAX_META_BYTES).decode("utf-8-sig", "replace")
                values = {row[0].strip(): row[1].strip() for row in csv.reader(io.StringIO(text)) if len(row) >= 2}
                if values.get("ExtractType", "").lower() != item.kind.lower():
                    problem = f"its meta.csv says ExtractType {values.get('ExtractType')!r}, not {item.kind.lower()!r}"
                elif not values.get("ExtractNumber", "").isdigit() or int(values["ExtractNumber"]) != item.number:
                    problem = f"its meta.csv says ExtractNumber {values.get('ExtractNumber')!r}, not {item.number}"
    except InputError as exc:
        problem = exc.problem
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        problem = f"it cannot be read: {exc}"
    if problem:
        path.unlink(missing_ok=True)
        raise FetchError(f"{url}: {item.name} is not the extract its name says ({problem}); deleted, no vintage was "
                         "written, earlier vintages are intact")


def _clean_incoming(incoming: Path, keep: set[str]) -> None:
    """Drop what older fetches left in the incoming folder for KBO files no longer wanted (partial downloads of
    superseded extracts are large)."""
    for path in incoming.iterdir():
        base = path.name.removesuffix(".part.json").removesuffix(".part")
        if path.is_file() and parse_name(base) and base not in keep:
            path.unlink(missing_ok=True)


# --- the ZIP -----------------------------------------------------------------------------------------------------


def _extract(zip_path: Path, cache_dir: Path, required: Sequence[str], optional: Sequence[str], what: str
             ) -> dict[str, Path]:
    """The needed members (names matched case-insensitively, in any sub-folder) as files under their lower-case
    names: streamed through the capped extractor (:mod:`observatory.safezip`), never into memory, once per version
    of the ZIP (:mod:`observatory.zipcache`). ``what`` says what the ZIP should hold, for the error."""
    with safezip.open_zip(zip_path) as archive:
        members = _members(archive, zip_path, required, optional, what)
        return {name: zipcache.extract(archive, info, cache_dir, name) for name, info in members.items()}


def _members(archive: safezip.SafeZip, zip_path: Path, required: Sequence[str], optional: Sequence[str], what: str
             ) -> dict[str, zipfile.ZipInfo]:
    """The entries of the needed members, by lower-case name, required ones first; a missing or repeated one is
    refused."""
    wanted = set(required) | set(optional)
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.files:
        key = PurePosixPath(info.filename.replace("\\", "/")).name.lower()
        if key not in wanted:
            continue
        if key in members:
            raise InputError(zip_path, f"the ZIP holds {key} twice ({members[key].filename!r} and {info.filename!r})")
        members[key] = info
    for member in required:
        if member not in members:
            raise InputError(zip_path, f"the ZIP has no member {member} ({what})")
    return {member: members[member] for member in [*required, *optional] if member in members}


def _record(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path, rows: int, origin: Origin,
            period: str) -> dict:
    """``meta.sources`` row of one member: sha256 and size of the MEMBER (uncompressed), named ``<zip>:<member>``."""
    row = record_source(con, SOURCE_ID, member, rows, origin, period)
    # The member sits in a temporary folder: the vintage is the one of the ZIP.
    name, path, vintage = f"{zip_path.name}:{member.name}", f"{zip_path}:{member.name}", vintage_of(zip_path)
    con.execute("UPDATE meta.sources SET file_name = ?, path = ?, vintage = ? WHERE source_id = ? AND file_name = ?",
                [name, path, vintage, SOURCE_ID, member.name])
    return {**row, "file_name": name, "path": path, "vintage": vintage}


# --- reading a member --------------------------------------------------------------------------------------------


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _header(zip_path: Path, member: Path) -> list[str]:
    """The names on the first line (BOM tolerated); only the header is read in Python."""
    with member.open("rb") as handle:
        first = handle.readline(1 << 20)
    try:
        text = first.removeprefix(b"\xef\xbb\xbf").decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError(zip_path / member.name, "the header is not valid UTF-8", line=1) from None
    names = [name.strip() for name in next(csv.reader([text]), [])]
    if not any(names):
        raise InputError(zip_path / member.name, "the file is empty (no header line)", line=1)
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        raise InputError(zip_path / member.name, f"column(s) {', '.join(repeated)} appear more than once", line=1,
                         column=", ".join(repeated))
    require_final_newline(member, where=zip_path / member.name)
    return names


def _source(zip_path: Path, member: Path) -> str:
    """A subquery of the member's required (and optional) columns, as text, by header name.

    Every header name is declared VARCHAR with the sniffer off (the effect of all_varchar, plus exact column
    counts): a malformed line then fails with its line number instead of a sniffing guess.
    """
    names = _header(zip_path, member)
    required, optional = _columns(member.name)
    missing = [name for name in required if name not in names]
    if missing:
        hints = [f"{name} ~ {close[0]}" for name in missing if (close := difflib.get_close_matches(name, names, 1))]
        hint = f"; closest names in the file: {', '.join(hints)}" if hints else ""
        raise InputError(zip_path / member.name, f"missing column(s): {', '.join(missing)}{hint}", line=1,
                         column=", ".join(missing))
    projected = [_quoted(name) for name in required]
    projected += [_quoted(name) if name in names else f"NULL::VARCHAR AS {_quoted(name)}"
                  for name in optional]
    columns = ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in names)
    relation = (f"read_csv({_sql_string(str(member))}, header = true, delim = ',', quote = '\"', escape = '\"', "
                f"auto_detect = false, columns = {{{columns}}})")
    return f"(SELECT {', '.join(projected)} FROM {relation})"


def _columns(member: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) columns of a member: a Full member, ``<table>_insert.csv`` (the table's columns) or
    ``<table>_delete.csv`` (the key only)."""
    table, _, op = member.removesuffix(".csv").rpartition("_")
    if op == "insert" and f"{table}.csv" in REQUIRED:
        return REQUIRED[f"{table}.csv"], OPTIONAL.get(f"{table}.csv", ())
    if op == "delete" and table in UPDATE_KEYS:
        return (UPDATE_KEYS[table],), ()
    return REQUIRED[member], OPTIONAL.get(member, ())


@contextmanager
def _reading(zip_path: Path, member: Path) -> Iterator[None]:
    """DuckDB errors while reading become an InputError naming the ZIP, the member and (CSV errors) the line."""
    try:
        yield
    except (duckdb.OutOfMemoryException, duckdb.InterruptException):
        raise
    except duckdb.Error as exc:
        problem, line = describe_duckdb_read_error(exc)
        raise InputError(zip_path / member.name, problem, line=line) from None


def _stage(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path, table: str, select: str) -> int:
    """``table`` (temporary) from ``select`` over the member; return its rows (= data lines of the member)."""
    source = _source(zip_path, member)
    with _reading(zip_path, member):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select.format(source=source)}")
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _stage_counted(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path, table: str, select: str) -> int:
    """Like :func:`_stage` for a filtering ``select``, returning the member's rows: its needed columns are read
    once into a temporary table, counted and filtered there (a second scan of the CSV cost as much as the first)."""
    _stage(con, zip_path, member, "_kbo_member", "SELECT * FROM {source}")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select.format(source='_kbo_member')}")
        return con.execute("SELECT count(*) FROM _kbo_member").fetchone()[0]
    finally:
        con.execute("DROP TABLE IF EXISTS _kbo_member")


def _read_meta(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path, expected: str) -> dict:
    """SnapshotDate, ExtractNumber (that of the file name), ExtractType (``expected``: full or update) and Version
    from meta.csv."""
    path = zip_path / member.name
    with _reading(zip_path, member):
        pairs = con.execute(f"SELECT Variable, Value FROM {_source(zip_path, member)}").fetchall()
    values: dict[str, tuple[int, str]] = {}
    for line, (variable, value) in enumerate(pairs, start=2):
        if variable in values:
            raise InputError(path, f"{variable} appears twice (first on line {values[variable][0]})", line=line,
                             column="Variable")
        values[variable] = (line, (value or "").strip())
    if missing := [v for v in META_VARIABLES if v not in values]:
        raise InputError(path, f"missing variable(s): {', '.join(missing)}", column="Variable")

    line, kind = values["ExtractType"]
    if kind.lower() != expected:
        why = ("load a Full extract (Update extracts only hold changes)" if expected == "full"
               else f"{zip_path.name} is named as an Update")
        raise InputError(path, f"ExtractType is not '{expected}': {why}", line=line, column="Value", value=kind)
    line, text = values["SnapshotDate"]
    try:
        snapshot: date = datetime.strptime(text, "%d-%m-%Y").date()
    except ValueError:
        raise InputError(path, "SnapshotDate is not a date dd-mm-yyyy", line=line, column="Value",
                         value=text) from None
    line, number = values["ExtractNumber"]
    if not number.isdigit():
        raise InputError(path, "ExtractNumber is not a number", line=line, column="Value", value=number)
    named = parse_name(zip_path.name)
    if named is not None and int(number) != named.number:
        raise InputError(path, f"ExtractNumber {int(number)} differs from the number in the file name "
                               f"({named.number})", line=line, column="Value")
    return {"snapshot_date": snapshot, "extract_number": int(number), "extract_type": kind.lower(),
            "version": values["Version"][1], "rows": len(pairs)}


def _refuse_repeats(con: duckdb.DuckDBPyConnection, path: Path, table: str, key: str, column: str,
                    problem: str | None = None) -> None:
    """A repeated number would count its units twice in the joins."""
    first, repeats = con.execute(
        f"SELECT min({key}), count(*) FROM (SELECT {key} FROM {table} GROUP BY {key} HAVING count(*) > 1)"
    ).fetchone()
    if repeats:
        raise InputError(path, problem or f"a {column} appears on more than one line", column=column, value=first,
                         more=repeats - 1)


# --- activities and units ----------------------------------------------------------------------------------------


def _activity_sql(source: str) -> str:
    """Per entity (enterprise or unit): its best MAIN activity (and that activity's preference key, so that an
    Update's rows can be merged in), whether it has an ONSS (006) activity, and its rows. One hash aggregation over
    activity.csv (36 M rows): the smallest preference key is the row row_number() over that key would pick, and
    that row's NaceVersion and NaceCode are read back from it (an arg_min carrying them beside the key took 8.2 s
    nationally)."""
    return f"""SELECT entity, rows, employer, {_activity_of_key("main_key")} AS main, main_key
               FROM (SELECT EntityNumber AS entity, count(*) AS rows,
                            coalesce(bool_or(ActivityGroup = '006'), false) AS employer,
                            min({_ACTIVITY_KEY}) FILTER (WHERE Classification = 'MAIN') AS main_key
                     FROM (SELECT *, {_VERSION_RANK} AS version_rank, {_GROUP_RANK} AS group_rank FROM {source})
                     GROUP BY EntityNumber)"""


def _stage_activity(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path) -> int:
    """``_kbo_activity`` from the Full's activity.csv; returns the member's rows."""
    source = _source(zip_path, member)
    with _reading(zip_path, member):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _kbo_activity AS {_activity_sql(source)}")
    return int(con.execute("SELECT coalesce(sum(rows), 0) FROM _kbo_activity").fetchone()[0])


def _insert_activity(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path) -> int:
    """Add the rows of an Update's activity_insert.csv to ``_kbo_activity`` (after its deletes), as if appended to
    activity.csv: an entity still holding rows is re-aggregated with the new ones. Returns the member's rows."""
    source = _source(zip_path, member)
    with _reading(zip_path, member):
        con.execute(f"CREATE OR REPLACE TEMP TABLE _kbo_activity_new AS {_activity_sql(source)}")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _kbo_activity_merged AS
           SELECT entity, sum(rows) AS rows, bool_or(employer) AS employer, arg_min(main, main_key) AS main,
                  min(main_key) AS main_key
           FROM (SELECT * FROM _kbo_activity WHERE entity IN (SELECT entity FROM _kbo_activity_new)
                 UNION ALL SELECT * FROM _kbo_activity_new)
           GROUP BY entity"""
    )
    con.execute("DELETE FROM _kbo_activity WHERE entity IN (SELECT entity FROM _kbo_activity_new)")
    con.execute("INSERT INTO _kbo_activity SELECT * FROM _kbo_activity_merged")
    return int(con.execute("SELECT coalesce(sum(rows), 0) FROM _kbo_activity_new").fetchone()[0])


def _build_units(con: duckdb.DuckDBPyConnection) -> None:
    """``_kbo_units``: one row per establishment unit with everything it is counted by, or why it is kept out.

    Activity: the unit's own MAIN activity if it has one, else its enterprise's. Employer: the enterprise (or the
    unit itself) has an ONSS activity (group 006). Address: the unit's current BAET address; a unit without one
    is kept with postcode '' (harmonisation rejects it with its reason).
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _kbo_units AS
            WITH address AS (
                SELECT entity, postcode, is_foreign FROM _kbo_addresses WHERE type = 'BAET'
                QUALIFY row_number() OVER (PARTITION BY entity ORDER BY is_foreign, postcode) = 1
            ),
            checked AS (
                SELECT u.*, e.enterprise IS NOT NULL AS known, e.form, e.type,
                       CASE WHEN NOT regexp_full_match(u.unit, '{UNIT_NUMBER}') THEN '{INVALID_UNIT}'
                            WHEN NOT {_valid_enterprise_sql('u.enterprise')} THEN '{INVALID_ENTERPRISE}'
                            WHEN e.enterprise IS NULL THEN '{ORPHAN}' END AS reason
                FROM _kbo_units_raw u LEFT JOIN _kbo_enterprises e ON e.enterprise = u.enterprise
            )
            SELECT u.unit, u.reason,
                   -- An invalid enterprise number is the enterprise's fault where enterprise.csv has it.
                   CASE WHEN u.reason = '{INVALID_ENTERPRISE}' AND u.known THEN 'enterprise.csv'
                        ELSE 'establishment.csv' END AS file_name,
                   CASE WHEN u.reason = '{INVALID_ENTERPRISE}' THEN u.enterprise
                        ELSE u.unit || ',' || u.enterprise END AS raw_text,
                   coalesce(a.postcode, '') AS postcode,
                   coalesce(a.is_foreign, false) AS is_foreign,
                   coalesce(u.form, '') AS juridical_form,
                   coalesce(u.type, '') AS type_of_enterprise,
                   coalesce(coalesce(ua.main, ea.main).version, '') AS nace_version,
                   coalesce(coalesce(ua.main, ea.main).code, '') AS nace_code,
                   coalesce(ea.employer, false) OR coalesce(ua.employer, false) AS employer
            FROM checked u
            LEFT JOIN address a ON a.entity = u.unit
            LEFT JOIN _kbo_activity ua ON ua.entity = u.unit
            LEFT JOIN _kbo_activity ea ON ea.entity = u.enterprise"""
    )


SOURCES = (Source(
    SOURCE_ID, "BE", FOLDER, "KBO/BCE open-data extract",
    "KBO/BCE open-data Full extract and the Updates after it, read straight from their ZIPs: code list, active "
    "establishment units aggregated by postcode, juridical form, activity and employer flag, and the enterprises "
    "(demography). The older vintages kept add the units of their years and date the departures between Fulls.",
    REGISTRY, ("src.be_kbo_establishments", "src.be_kbo_codes", "src.be_kbo_enterprises"), load,
    harmonisation=harmonise.KBO,
    fetcher=Fetcher("kbo", FOLDER, "KBO/BCE open data: newest Full extract and the Update files after it "
                                   "(needs KBO_USERNAME and KBO_PASSWORD)", fetch)),)
