"""KBO/BCE open data (SPF Economie), Full extract: code list and establishment units, read straight from the ZIP.

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
- ``meta.sources``: one row per member, named ``<zip>:<member>``.
"""

from __future__ import annotations

import csv
import difflib
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import duckdb

from observatory import vintages
from observatory.errors import InputError, describe_duckdb_read_error
from observatory.provenance import META_SOURCES_DDL, Origin, read_origin, record_source
from observatory.rejects import replace_rejects

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
    "enterprise.csv": ("EnterpriseNumber", "TypeOfEnterprise", "JuridicalForm"),
    "establishment.csv": ("EstablishmentNumber", "EnterpriseNumber"),
    "address.csv": ("EntityNumber", "TypeOfAddress", "CountryNL", "CountryFR", "Zipcode", "DateStrikingOff"),
    "activity.csv": ("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
}
# Absent from extracts before ~2021: read as NULL there.
OPTIONAL = {"enterprise.csv": ("JuridicalFormCAC",)}
MEMBERS = tuple(REQUIRED)
META_VARIABLES = ("SnapshotDate", "ExtractNumber", "ExtractType", "Version")

ENTERPRISE_NUMBER = r"\d{4}\.\d{3}\.\d{3}"
UNIT_NUMBER = r"\d\.\d{3}\.\d{3}\.\d{3}"
INVALID_ENTERPRISE = "invalid enterprise number (mod-97)"
INVALID_UNIT = "invalid establishment unit number (not 9.999.999.999)"
ORPHAN = "establishment unit whose enterprise is not in enterprise.csv"

# Main activity preference (harmonisation.md: prefer the 2008 activity); then the ONSS (employer) activity, VAT,
# the other activities; the group and code themselves break ties, so the choice never depends on row order.
_ACTIVITY_KEY = (
    "[CASE NaceVersion WHEN '2008' THEN '0' WHEN '2025' THEN '1' WHEN '2003' THEN '2' ELSE '3' END, "
    "CASE ActivityGroup WHEN '006' THEN '0' WHEN '001' THEN '1' WHEN '003' THEN '2' ELSE '3' END, "
    "coalesce(ActivityGroup, ''), coalesce(NaceVersion, ''), coalesce(NaceCode, '')]"
)


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


def find_extract(raw_dir: Path) -> Path:
    """The Full extract with the highest extract number (then the latest date) in ``raw_dir/be/kbo``."""
    folder = vintages.current(raw_dir, FOLDER)
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and (m := FILE_NAME.fullmatch(path.name)) and m.group(5) == "Full":
                found.append(((int(m.group(1)), m.group(2), m.group(3), m.group(4) or "00"), path))
    if not found:
        raise InputError(folder, f"no KBO Full extract (KboOpenData_<nnnn>_<yyyy>_<mm>[_<dd>]_Full.zip) in {folder}")
    return max(found)[1]


def load(con: duckdb.DuckDBPyConnection, raw_dir: Path, work_dir: Path) -> dict:
    """Stage ``src.be_kbo_codes`` and ``src.be_kbo_establishments`` from the newest Full extract; record rejects and
    sources. Returns what was loaded, for Dagster metadata.

    ``work_dir`` receives the six members while they are read (about 2 GB for a national extract) and is left as it
    was found. The tables, rejects and sources are replaced together, in one transaction, once everything is read.
    """
    zip_path = find_extract(raw_dir)
    name_number = int(FILE_NAME.fullmatch(zip_path.name).group(1))
    work_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="kbo_", dir=work_dir))
    try:
        files = _extract(zip_path, folder)
        meta = _read_meta(con, zip_path, files["meta.csv"])
        if meta["extract_number"] != name_number:
            raise InputError(zip_path / "meta.csv", f"ExtractNumber {meta['extract_number']} differs from the "
                                                    f"number in the file name ({name_number})", column="Value")
        rows = {"meta.csv": meta["rows"]}
        rows["code.csv"] = _stage(con, zip_path, files["code.csv"], "_kbo_codes", """
            SELECT coalesce(Category, '') AS category, coalesce(Code, '') AS code,
                   coalesce(Language, '') AS language, coalesce(Description, '') AS description FROM {source}""")
        rows["enterprise.csv"] = _stage(con, zip_path, files["enterprise.csv"], "_kbo_enterprises", """
            SELECT coalesce(EnterpriseNumber, '') AS enterprise, coalesce(TypeOfEnterprise, '') AS type,
                   coalesce(NULLIF(JuridicalFormCAC, ''), JuridicalForm, '') AS form FROM {source}""")
        _refuse_repeats(con, zip_path / "enterprise.csv", "_kbo_enterprises", "enterprise", "EnterpriseNumber")
        rows["establishment.csv"] = _stage(con, zip_path, files["establishment.csv"], "_kbo_units_raw", """
            SELECT coalesce(EstablishmentNumber, '') AS unit, coalesce(EnterpriseNumber, '') AS enterprise
            FROM {source}""")
        if rows["establishment.csv"] == 0:
            raise InputError(zip_path / "establishment.csv", "no establishment unit in the extract")
        _refuse_repeats(con, zip_path / "establishment.csv", "_kbo_units_raw", "unit", "EstablishmentNumber")
        # Only current establishment-unit addresses matter; the rest are counted, not kept.
        rows["address.csv"] = _stage_counted(con, zip_path, files["address.csv"], "_kbo_addresses", """
            SELECT EntityNumber AS entity, coalesce(Zipcode, '') AS postcode,
                   coalesce(CountryFR, '') <> '' OR coalesce(CountryNL, '') <> '' AS is_foreign
            FROM {source} WHERE TypeOfAddress = 'BAET' AND coalesce(DateStrikingOff, '') = ''""")
        rows["activity.csv"] = _stage_activity(con, zip_path, files["activity.csv"])
        _build_units(con)

        counted, without_address = con.execute(
            "SELECT count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason IS NULL AND postcode = '') "
            "FROM _kbo_units"
        ).fetchone()
        snapshot = meta["snapshot_date"]
        origin = read_origin(zip_path, ORIGIN)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("CREATE SCHEMA IF NOT EXISTS src")
            con.execute("CREATE OR REPLACE TABLE src.be_kbo_codes AS SELECT * FROM _kbo_codes ORDER BY ALL")
            con.execute(
                """CREATE OR REPLACE TABLE src.be_kbo_establishments AS
                   SELECT CAST(? AS DATE) AS snapshot_date, postcode, is_foreign AS "foreign", juridical_form,
                          type_of_enterprise, nace_version, nace_code, employer,
                          CAST(count(*) AS BIGINT) AS establishments
                   FROM _kbo_units WHERE reason IS NULL GROUP BY ALL ORDER BY ALL""",
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
            sources = [_record(con, zip_path, files[m], rows[m], origin, snapshot.isoformat()) for m in MEMBERS]
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        by_reason = dict(con.execute(
            "SELECT reason, count(*) FROM _kbo_units WHERE reason IS NOT NULL GROUP BY reason ORDER BY reason"
        ).fetchall())
        aggregate_rows = con.execute("SELECT count(*) FROM src.be_kbo_establishments").fetchone()[0]
    finally:
        for table in ("_kbo_codes", "_kbo_enterprises", "_kbo_units_raw", "_kbo_addresses", "_kbo_activity",
                      "_kbo_units"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        shutil.rmtree(folder, ignore_errors=True)

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
        "rejects": rejected,
        "rejects_by_reason": by_reason,
        "sources": sources,
    }


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


# --- the ZIP -----------------------------------------------------------------------------------------------------


def _extract(zip_path: Path, folder: Path) -> dict[str, Path]:
    """Stream the needed members (names matched case-insensitively) to ``folder``; never into memory."""
    files: dict[str, Path] = {}
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members: dict[str, zipfile.ZipInfo] = {}
            for info in archive.infolist():
                key = PurePosixPath(info.filename).name.lower()
                if info.is_dir() or key not in REQUIRED:
                    continue
                # A name with '..' or an absolute path ("zip slip") is a broken or hostile archive: refuse it.
                if not (folder / info.filename).resolve().is_relative_to(folder.resolve()):
                    raise InputError(zip_path, f"the ZIP member {info.filename!r} points outside the extraction "
                                               "folder; refusing to extract it")
                if key in members:
                    raise InputError(zip_path, f"the ZIP holds {key} twice ({members[key].filename!r} and "
                                               f"{info.filename!r})")
                members[key] = info
            for member in MEMBERS:
                if member not in members:
                    raise InputError(zip_path, f"the ZIP has no member {member} (a Full extract holds "
                                               f"{', '.join(MEMBERS)} and others)")
                files[member] = folder / member
                with archive.open(members[member]) as source, files[member].open("wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise InputError(zip_path, f"cannot extract the ZIP: {exc}") from None
    return files


def _record(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path, rows: int, origin: Origin,
            period: str) -> dict:
    """``meta.sources`` row of one member: sha256 and size of the MEMBER (uncompressed), named ``<zip>:<member>``."""
    row = record_source(con, SOURCE_ID, member, rows, origin, period)
    name, path = f"{zip_path.name}:{member.name}", f"{zip_path}:{member.name}"
    con.execute("UPDATE meta.sources SET file_name = ?, path = ? WHERE source_id = ? AND file_name = ?",
                [name, path, SOURCE_ID, member.name])
    return {**row, "file_name": name, "path": path}


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
    return names


def _source(zip_path: Path, member: Path) -> str:
    """A subquery of the member's required (and optional) columns, as text, by header name.

    Every header name is declared VARCHAR with the sniffer off (the effect of all_varchar, plus exact column
    counts): a malformed line then fails with its line number instead of a sniffing guess.
    """
    names = _header(zip_path, member)
    required = REQUIRED[member.name]
    missing = [name for name in required if name not in names]
    if missing:
        hints = [f"{name} ~ {close[0]}" for name in missing if (close := difflib.get_close_matches(name, names, 1))]
        hint = f"; closest names in the file: {', '.join(hints)}" if hints else ""
        raise InputError(zip_path / member.name, f"missing column(s): {', '.join(missing)}{hint}", line=1,
                         column=", ".join(missing))
    projected = [_quoted(name) for name in required]
    projected += [_quoted(name) if name in names else f"NULL::VARCHAR AS {_quoted(name)}"
                  for name in OPTIONAL.get(member.name, ())]
    columns = ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in names)
    relation = (f"read_csv({_sql_string(str(member))}, header = true, delim = ',', quote = '\"', escape = '\"', "
                f"auto_detect = false, columns = {{{columns}}})")
    return f"(SELECT {', '.join(projected)} FROM {relation})"


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
    """Like :func:`_stage` for a filtering ``select``: the member's rows are counted by a second, lighter scan."""
    _stage(con, zip_path, member, table, select)
    with _reading(zip_path, member):
        return con.execute(f"SELECT count(*) FROM {_source(zip_path, member)}").fetchone()[0]


def _read_meta(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path) -> dict:
    """SnapshotDate, ExtractNumber, ExtractType (must be full) and Version from meta.csv."""
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
    if kind.lower() != "full":
        raise InputError(path, "ExtractType is not 'full': load a Full extract (Update extracts only hold changes)",
                         line=line, column="Value", value=kind)
    line, text = values["SnapshotDate"]
    try:
        snapshot: date = datetime.strptime(text, "%d-%m-%Y").date()
    except ValueError:
        raise InputError(path, "SnapshotDate is not a date dd-mm-yyyy", line=line, column="Value",
                         value=text) from None
    line, number = values["ExtractNumber"]
    if not number.isdigit():
        raise InputError(path, "ExtractNumber is not a number", line=line, column="Value", value=number)
    return {"snapshot_date": snapshot, "extract_number": int(number), "extract_type": kind.lower(),
            "version": values["Version"][1], "rows": len(pairs)}


def _refuse_repeats(con: duckdb.DuckDBPyConnection, path: Path, table: str, key: str, column: str) -> None:
    """A repeated number would count its units twice in the joins."""
    first, repeats = con.execute(
        f"SELECT min({key}), count(*) FROM (SELECT {key} FROM {table} GROUP BY {key} HAVING count(*) > 1)"
    ).fetchone()
    if repeats:
        raise InputError(path, f"a {column} appears on more than one line", column=column, value=first,
                         more=repeats - 1)


# --- activities and units ----------------------------------------------------------------------------------------


def _stage_activity(con: duckdb.DuckDBPyConnection, zip_path: Path, member: Path) -> int:
    """``_kbo_activity``: per entity (enterprise or unit), its best MAIN activity, whether it has an ONSS (006)
    activity, and its rows. One hash aggregation over activity.csv (36 M rows): arg_min over the ordered preference
    key picks the same row as row_number() over that key would, in one pass and a fraction of the memory."""
    source = _source(zip_path, member)
    with _reading(zip_path, member):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _kbo_activity AS
                SELECT EntityNumber AS entity, count(*) AS rows,
                       coalesce(bool_or(ActivityGroup = '006'), false) AS employer,
                       arg_min({{'version': coalesce(NaceVersion, ''), 'code': coalesce(NaceCode, '')}},
                               {_ACTIVITY_KEY}) FILTER (WHERE Classification = 'MAIN') AS main
                FROM {source} GROUP BY EntityNumber"""
        )
    return int(con.execute("SELECT coalesce(sum(rows), 0) FROM _kbo_activity").fetchone()[0])


def _build_units(con: duckdb.DuckDBPyConnection) -> None:
    """``_kbo_units``: one row per establishment unit with everything it is counted by, or why it is kept out.

    Activity: the unit's own MAIN activity if it has one, else its enterprise's. Employer: the enterprise (or the
    unit itself) has an ONSS activity (group 006). Address: the unit's current BAET address; a unit without one
    is kept with postcode '' (harmonisation rejects it with its reason).
    """
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _kbo_units AS
            WITH address AS (
                SELECT entity, postcode, is_foreign FROM _kbo_addresses
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
