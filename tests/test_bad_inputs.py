"""The corpus of bad inputs (issue 11, item 7): every source, one corruption each, and what must come of it.

Each case starts from a small valid input of one source (the hand-checked fixtures of tests/fixtures and the
population helpers of test_national_population), corrupts ONE file, runs that source's loader (the library function,
not a whole build) and expects exactly one of:

- ``Err``: an :class:`InputError` whose message names the file, and the line and column where they mean something;
- ``Rejected``: the load succeeds and harmonisation puts the rows in ``meta.rejects`` with their reason (an unknown
  but well-formed code is not an error: it is counted, see observatory/rejects.py);
- ``Accepted``: a harmless variant (CRLF, no BOM) read with the right figures.

Never silent acceptance. Two cases also go through a Dagster materialisation, to show the error as the step failure.
The expected lines, columns and figures are counted by hand from the fixtures (their READMEs list the rows).
"""

from __future__ import annotations

import gzip
import io
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import partial_files
from test_national_population import HEADER as STATBEL_HEADER
from test_national_population import STATBEL_LINES, make_insee
from zipcraft import Entry, bomb, deflated, write_zip

from observatory import errors, harmonise, nomenclatures
from observatory.errors import InputError
from observatory.sources import eurostat, flores, insee_population, kbo, onss, sirene, statbel_population

SIRENE_COLUMNS = ", ".join(sirene.ESTABLISHMENT_COLUMNS)

FIXTURES = Path(__file__).parent / "fixtures"
KBO_ZIP = "KboOpenData_0136_2025_06_Full.zip"
KBO_MEMBERS = ("meta.csv", "code.csv", "enterprise.csv", "establishment.csv", "address.csv", "activity.csv")
STATBEL_TXT = "TF_SOC_POP_STRUCT_2024.txt"
STATBEL_ZIP = "TF_SOC_POP_STRUCT_2024.zip"
HTML = b"<!DOCTYPE html>\n<html><head><title>Connexion</title></head><body>Please log in</body></html>\n"


# --- what a case expects --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Err:
    """An InputError: ``file`` is the name it must give (``<zip>:<member>`` names are written ``zip/member``)."""

    file: str
    problem: str  # a regular expression searched in the message
    line: int | None = None
    column: str | None = None


@dataclass(frozen=True)
class Rejected:
    reason: str  # a fragment of meta.rejects.reason
    rows: int
    jobs: int | None = None


@dataclass(frozen=True)
class Accepted:
    figures: dict  # what the loader returns, or a few sums (see ``loaded_figures``)


# --- the valid inputs and their loaders -------------------------------------------------------------------------------


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def valid_files(source: str, tmp_path: Path) -> dict[str, bytes]:
    """The valid input of a source: path in the raw folder -> bytes; ``<x>.zip/<member>`` for a ZIP's members."""
    if source == "flores":
        return {f"fr/flores/{n}": (FIXTURES / "flores" / n).read_bytes()
                for n in ("flores_postes_2023.csv", "flores_etablissements_2023.csv")}
    if source == "onss":
        return {f"be/onss/{n}": (FIXTURES / "onss" / n).read_bytes()
                for n in ("onss_postes_2023Q4.csv", "onss_unites_2023Q4.csv")}
    if source == "sirene":
        return {f"fr/sirene/{n}": (FIXTURES / "sirene" / n).read_bytes()
                for n in ("StockUniteLegale_utf8.csv", "StockEtablissement_utf8.csv")}
    if source == "kbo":
        return {f"{KZ}/{n}": (FIXTURES / "kbo" / "full" / n).read_bytes() for n in KBO_MEMBERS}
    if source == "eurostat":
        return {EP: (FIXTURES / "eurostat" / "same" / "demo_r_pjangrp3.csv").read_bytes()}
    if source == "eurostat_lfs":
        return {EL: (FIXTURES / "eurostat" / "lfst_r_lfe2en2.tsv").read_bytes()}
    if source == "statbel":
        return {ST: b"\xef\xbb\xbf" + ("\n".join([STATBEL_HEADER, *STATBEL_LINES]) + "\n").encode("utf-8")}
    if source == "insee":
        return {IW: (make_insee(tmp_path / "insee") / IW).read_bytes()}
    raise AssertionError(source)


def write_raw(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """The raw folder; the ``<x>.zip/<member>`` files are zipped together (deflated)."""
    raw = tmp_path / "raw"
    zips: dict[Path, list[Entry]] = {}
    for relative, content in files.items():
        path = raw / relative
        if path.parent.suffix == ".zip":
            zips.setdefault(path.parent, []).append(deflated(path.name, content))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    for archive, entries in zips.items():
        write_zip(archive, entries)
    return raw


def load(source: str, tmp_path: Path, raw: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    con = duckdb.connect()
    work = tmp_path / "work"
    loaders = {
        "flores": lambda: flores.load_year(con, raw, 2023),
        "onss": lambda: onss.load_year(con, raw, 2023),
        "sirene": lambda: sirene.load(con, raw, work),
        "kbo": lambda: kbo.load(con, raw, work),
        "eurostat": lambda: eurostat.load_population(con, raw),
        "eurostat_lfs": lambda: eurostat.load_lfs_employment(con, raw),
        "statbel": lambda: statbel_population.load(con, raw),
        "insee": lambda: insee_population.load(con, raw),
    }
    return con, loaders[source]()


def rejects(con: duckdb.DuckDBPyConnection, source: str, info: dict) -> list[tuple]:
    """(reason, rows, jobs) of meta.rejects once the rows are classified (deliveries) or loaded (registries)."""
    if source in ("flores", "onss"):
        nomenclatures.register(con)
        if source == "onss":  # the juridical forms' labels come with the KBO extract
            con.execute("CREATE TABLE src.be_kbo_codes AS SELECT 'JuridicalForm' AS category, code, 'FR' AS language, "
                        "'label' AS description FROM (VALUES ('017'), ('706'), ('610')) t(code)")
        harmonise.harmonise_jobs_year(con, harmonise.FLORES if source == "flores" else harmonise.ONSS, 2023)
    # The units files' rows are rejected alongside their jobs rows: the jobs files' rejects are the ones counted.
    units_files = ["flores_etablissements_2023.csv", "onss_unites_2023Q4.csv"]
    return con.execute("SELECT reason, count(*), sum(jobs) FROM meta.rejects WHERE file_name NOT IN (?, ?) "
                       "GROUP BY reason ORDER BY reason", units_files).fetchall()


# --- mutations --------------------------------------------------------------------------------------------------------

Mutation = Callable[[bytes], bytes]


def edit(pattern: str, replacement: str, count: int = 1) -> Mutation:
    """Replace ``pattern`` (a regular expression over the text, ``^``/``$`` per line) ``count`` times (0: all)."""
    def mutate(data: bytes) -> bytes:
        changed, done = re.subn(pattern, replacement, data.decode("utf-8"), count=count, flags=re.MULTILINE)
        assert done, f"the mutation {pattern!r} found nothing"
        return changed.encode("utf-8")
    return mutate


def raw_edit(old: bytes, new: bytes) -> Mutation:
    def mutate(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new, 1)
    return mutate


def line_op(number: int, op: str, new: str = "") -> Mutation:
    """Line ``number`` (1 = header) repeated ("repeat"), or ``new`` inserted before it ("insert")."""
    def mutate(data: bytes) -> bytes:
        lines = data.split(b"\n")
        line = lines[number - 1]
        lines[number - 1:number] = [line, line] if op == "repeat" else [new.encode(), line]
        return b"\n".join(lines)
    return mutate


def cut_end(count: int) -> Mutation:
    """The file cut ``count`` bytes before its end (1: just the final newline)."""
    return lambda data: data[:-count]


def replace_all(content: bytes) -> Mutation:
    return lambda _data: content


def append(content: bytes) -> Mutation:
    return lambda data: data + content


def crlf(data: bytes) -> bytes:
    return data.replace(b"\n", b"\r\n")


def utf16(data: bytes) -> bytes:
    return data.decode("utf-8-sig").encode("utf-16")


def gzipped_and_cut(data: bytes) -> bytes:
    whole = gzip.compress(data, mtime=0)
    return whole[: len(whole) // 2]


def drop_column(name: str, delimiter: str) -> Mutation:
    def mutate(data: bytes) -> bytes:
        lines = data.decode("utf-8").split("\n")
        index = lines[0].lstrip("\ufeff").split(delimiter).index(name)
        return "\n".join(delimiter.join(f for i, f in enumerate(line.split(delimiter)) if i != index)
                         for line in lines).encode("utf-8")
    return mutate


@dataclass(frozen=True)
class Entries:
    """A mutation of an archive's entries (headers included) rather than of its bytes."""

    change: Callable[[list[Entry], str], list[Entry]]  # (entries, the main member's name) -> entries


def _swap(entries: list[Entry], member: str, new: Entry) -> list[Entry]:
    return [new if e.name == member else e for e in entries]


BOMB = Entries(lambda entries, member: _swap(entries, member, bomb(member)))
ZIP_SLIP = Entries(lambda entries, member: _swap(entries, member, replace(next(e for e in entries if e.name == member),
                                                                          name=f"../{member}")))
SYMLINK = Entries(lambda entries, member: _swap(entries, member, replace(next(e for e in entries if e.name == member),
                                                                         mode=stat.S_IFLNK | 0o777)))
MANY_MEMBERS = Entries(lambda entries, _member: entries + [deflated(f"extra/{i:04d}.txt", b"x\n") for i in range(1000)])


def corrupt(files: dict[str, bytes], source: str, target: str, mutation: Mutation | Entries) -> None:
    """Apply ``mutation`` to ``target`` in ``files``: a file, a ZIP member (``<zip>/<member>``), a whole archive (its
    valid bytes first built from the members or the plain file it replaces), or ``<file>.gz`` (gzip of ``<file>``)."""
    if target in files and source != "insee":
        files[target] = mutation(files[target])
        return
    if target.endswith(".gz"):
        files[target] = mutation(files.pop(target.removesuffix(".gz")))
        return
    archive, member, plain = ARCHIVES[source]
    assert target == archive, target
    if plain is not None:
        entries = [deflated(member, files.pop(plain))]
    elif source == "kbo":
        entries = [deflated(name.rpartition("/")[2], files.pop(name)) for name in list(files) if name.startswith(archive + "/")]
    else:
        with zipfile.ZipFile(io.BytesIO(files.pop(archive))) as workbook:
            entries = [deflated(i.filename, workbook.read(i)) for i in workbook.infolist()]
    built = write_zip(Path(tempfile.mkdtemp()) / "archive.zip", entries)
    if isinstance(mutation, Entries):
        built = write_zip(built, mutation.change(entries, member))
    files[archive] = built.read_bytes() if isinstance(mutation, Entries) else mutation(built.read_bytes())
    shutil.rmtree(built.parent)


# --- the corpus: (name, source, file, mutation, expected) --------------------------------------------------------------
# ``file`` is the raw-folder path the mutation applies to (a ZIP member is ``<zip>/<member>``; ``<zip>`` alone
# replaces the whole archive with the mutation's bytes). Line numbers count the header as line 1.

FJ = "fr/flores/flores_postes_2023.csv"  # 8 lines: header (with a BOM), 7 rows; line 8: 2023;62041;5710;6201Z;2;20;3;2
FU = "fr/flores/flores_etablissements_2023.csv"
OJ = "be/onss/onss_postes_2023Q4.csv"  # 9 lines: header, 8 rows
OU = "be/onss/onss_unites_2023Q4.csv"
SU = "fr/sirene/StockUniteLegale_utf8.csv"  # 7 lines
SE = "fr/sirene/StockEtablissement_utf8.csv"  # 13 lines
SEZ = "fr/sirene/StockEtablissement_utf8.zip"
KZ = f"be/kbo/{KBO_ZIP}"
KA, KE, KS = f"{KZ}/activity.csv", f"{KZ}/enterprise.csv", f"{KZ}/establishment.csv"  # 22, 9 and 14 lines
EP = "eu/eurostat/demo_r_pjangrp3.csv"  # 9 lines
EL = "eu/eurostat/lfst_r_lfe2en2.tsv"  # 3 lines
ST = f"be/statbel_population/{STATBEL_TXT}"  # 8 lines
SZ = f"be/statbel_population/{STATBEL_ZIP}"
IW = "fr/insee_population/estim-pop-dep-sexe-aq-1975-2025.xlsx"

# Per source: its archive, the member the archive cases are about, and the plain file the archive replaces.
ARCHIVES = {"sirene": (SEZ, "StockEtablissement_utf8.csv", SE), "kbo": (KZ, "activity.csv", None),
            "statbel": (SZ, STATBEL_TXT, ST), "insee": (IW, "xl/worksheets/sheet1.xml", None)}
FLORES_JOBS, ONSS_JOBS = 32, 27  # 4+12+7+5+1+0+3; 2+9+1+4+6+3+0+2
UNKNOWN_DEPARTEMENT = edit("59350", "96001", 0)  # jobs lines 2-4 (4+12+7) and their units line
UNKNOWN_ARRONDISSEMENT = edit("21004", "54007", 0)  # jobs lines 2-4 (2+9+1) and their units line

CASES = [
    # FLORES (";", decimal comma, BOM tolerated): observatory.textfile, then observatory.delivery
    ("flores-latin1", "flores", FJ, raw_edit(b"8810A;2;25;12", b"8810\xc9;2;25;12"), Err(FJ, "not valid UTF-8 \\(byte 0xc9", 3)),
    ("flores-comma-separator", "flores", FJ, edit(";", ",", 0), Err(FJ, "single column; the separator should be ';'", 1)),
    ("flores-missing-column", "flores", FJ, drop_column("POSTES", ";"), Err(FJ, "missing column.*POSTES", 1, "POSTES")),
    ("flores-renamed-column", "flores", FJ, edit("POSTES", "POSTE"), Err(FJ, "POSTES \\(renamed to 'POSTE'\\?\\)", 1, "POSTES")),
    ("flores-duplicated-column", "flores", FJ, edit("EQTP", "POSTES"), Err(FJ, "POSTES appear more than once", 1)),
    ("flores-duplicated-key", "flores", FJ, line_op(3, "repeat"), Err(FJ, "duplicated key .*also on line 3", 4)),
    ("flores-negative-count", "flores", FJ, edit(";5;4,75", ";-5;4,75"), Err(FJ, "a negative count", 5, "POSTES")),
    # The fault-injection run's huge count: 999,999,999,999,999 jobs on one line was once published.
    ("flores-implausible-count", "flores", FJ, edit(";5;4,75", ";999999999999999;4,75"),
     Err(FJ, "implausible count: above 10,000,000 on one line", 5, "POSTES")),
    ("flores-decimal-point", "flores", FJ, edit("3,5", "3.5"), Err(FJ, "a decimal point where .* a decimal comma", 2, "EQTP")),
    ("flores-cut-last-line", "flores", FJ, cut_end(7), Err(FJ, "truncated last line.*6 field\\(s\\) where the header has 8", 8)),
    # EQTP 2,25 cut to 2,2: every field is there and reads as a number; only the missing newline tells.
    ("flores-cut-inside-last-field", "flores", FJ, edit(";3;2\n", ";3;2,2"),
     Err(FJ, "truncated last line: the file ends without a newline", 8)),
    ("flores-empty-file", "flores", FJ, replace_all(b""), Err(FJ, "the file is empty")),
    ("flores-header-only", "flores", FU, lambda d: d.split(b"\n")[0] + b"\n", Err(FU, "a header but no data line")),
    ("flores-html-page", "flores", FJ, replace_all(HTML), Err(FJ, "an HTML page, not a delimited text file", 1)),
    ("flores-blank-line-inside", "flores", FJ, line_op(4, "insert"), Err(FJ, "blank line inside the file", 4)),
    ("flores-utf16-bom", "flores", FJ, utf16, Err(FJ, "not valid UTF-8 \\(byte 0xff", 1)),
    ("flores-double-bom", "flores", FJ, lambda d: b"\xef\xbb\xbf" + d, Err(FJ, "missing column.*ANNEE", 1, "ANNEE")),
    ("flores-year-outside-file", "flores", FJ, edit("^2023;2A004", "2022;2A004"), Err(FJ, "the file name says 2023", 5, "ANNEE")),
    ("flores-units-without-jobs", "flores", FU, append(b"2023;59350;9220;9499Z;1;1\n"),
     Err(FU, "a units row has no jobs row", 5)),
    ("flores-unknown-departement", "flores", (FJ, FU), UNKNOWN_DEPARTEMENT, Rejected("unknown département", 3, 23)),
    ("flores-crlf-no-bom", "flores", FJ, lambda d: crlf(d.removeprefix(b"\xef\xbb\xbf")),
     Accepted({"jobs": FLORES_JOBS, "jobs_rows": 7})),
    # ONSS ("," with quotes when needed, decimal point)
    ("onss-semicolon-separator", "onss", OJ, edit(",", ";", 0), Err(OJ, "single column; the separator should be ','", 1)),
    ("onss-decimal-comma", "onss", OJ, edit(",1\\.5$", ',"1,5"'), Err(OJ, "a decimal comma where .* a decimal point", 2, "ETP")),
    ("onss-bad-quote", "onss", OJ, edit(",M,<25,", ',"M,<25,'), Err(OJ, "badly quoted line", 2)),
    ("onss-cut-inside-last-field", "onss", OJ, cut_end(3), Err(OJ, "truncated last line", 9)),  # ETP 1.9 cut to 1
    ("onss-quarter-outside-file", "onss", OJ, edit("^2023Q4,44021", "2022Q4,44021"),
     Err(OJ, "the file name says 2023", 7, "TRIMESTRE")),
    ("onss-missing-mandatory-value", "onss", OJ, edit(",M,<25,2,", ",,<25,2,"),
     Err(OJ, "empty value; the column is mandatory", 2, "SEXE")),
    ("onss-unknown-arrondissement", "onss", (OJ, OU), UNKNOWN_ARRONDISSEMENT, Rejected("unknown arrondissement", 3, 12)),
    ("onss-crlf", "onss", OJ, crlf, Accepted({"jobs": ONSS_JOBS, "jobs_rows": 8})),
    # SIRENE (read by DuckDB; the plain CSVs, or the ZIP where the case is about it)
    ("sirene-units-renamed-column", "sirene", SU, edit("^siren,", "sirn,"), Err(SU, "missing column\\(s\\): siren", 1, "siren")),
    ("sirene-units-short-siren", "sirene", SU, edit("^000325175,", "00325175,"),
     Err(SU, "a siren is not nine digits \\(found '00325175'\\)", None, "siren")),
    ("sirene-units-repeated-siren", "sirene", SU, line_op(3, "repeat"),
     Err(SU, "a siren appears on more than one legal unit \\(found '005410220'\\)", None, "siren")),
    ("sirene-duplicated-column", "sirene", SE, edit(",nic,", ",siret,"), Err(SE, "siret appear more than once", 1)),
    ("sirene-semicolon-separator", "sirene", SE, edit(",", ";", 0), Err(SE, "missing column", 1, SIRENE_COLUMNS)),
    ("sirene-latin1-header", "sirene", SU, raw_edit(b"siren,", b"sir\xe9n,"), Err(SU, "not valid UTF-8", 1)),
    ("sirene-cut-last-line", "sirene", SE, cut_end(1), Err(SE, "truncated last line", 13)),
    ("sirene-zip-not-a-zip", "sirene", SEZ, replace_all(b"siren,siret\n"), Err(SEZ, "not a ZIP archive")),
    ("sirene-zip-html-page", "sirene", SEZ, replace_all(HTML), Err(SEZ, "an HTML page, not a ZIP")),
    ("sirene-zip-truncated", "sirene", SEZ, lambda d: d[: len(d) // 2], Err(SEZ, "not a readable ZIP, truncated or damaged")),
    ("sirene-zip-bomb", "sirene", SEZ, BOMB, Err(SEZ, "member 'StockEtablissement_utf8.csv': .* ratio over 200")),
    ("sirene-zip-slip", "sirene", SEZ, ZIP_SLIP, Err(SEZ, "'\\.\\.' component points outside the extraction folder")),
    ("sirene-orphan-establishment", "sirene", SE, edit("^000325175,00065,00032517500065", "999999999,00065,99999999900065"),
     Rejected(sirene.ORPHAN_REASON, 2)),
    # KBO (members read by DuckDB out of the ZIP)
    ("kbo-renamed-column", "kbo", KE, edit('"JuridicalForm"', '"JuridicalFrom"'),
     Err(KE, "missing column.*JuridicalForm", 1, "JuridicalForm")),
    ("kbo-cut-last-line", "kbo", KA, cut_end(1), Err(KA, "truncated last line", 22)),
    ("kbo-wrong-field-count", "kbo", KS, edit('"2.100.000.510",03-09-2001,', '"2.100.000.510",'),
     Err(KS, "DuckDB could not read", 7)),
    ("kbo-repeated-unit", "kbo", KS, line_op(3, "repeat"),
     Err(KS, "EstablishmentNumber appears on more than one line", column="EstablishmentNumber")),
    ("kbo-zip-bomb", "kbo", KZ, BOMB, Err(KZ, "member 'activity.csv': .* ratio over 200")),
    ("kbo-zip-slip", "kbo", KZ, ZIP_SLIP, Err(KZ, "'\\.\\.' component points outside the extraction folder")),
    ("kbo-symlink-member", "kbo", KZ, SYMLINK, Err(KZ, "member 'activity.csv': a symbolic link")),
    ("kbo-too-many-members", "kbo", KZ, MANY_MEMBERS, Err(KZ, "1006 entries, more than the cap of 1000")),
    ("kbo-html-page", "kbo", KZ, replace_all(HTML), Err(KZ, "an HTML page, not a ZIP")),
    ("kbo-orphan-unit", "kbo", KS, append(b'"2.100.001.401",01-01-2000,"0440.000.017"\n'), Rejected(kbo.ORPHAN, 2)),
    # Eurostat (SDMX-CSV and TSV, read by DuckDB)
    ("eurostat-cut-last-line", "eurostat", EP, cut_end(1), Err(EP, "truncated last line", 9)),
    ("eurostat-decimal-comma", "eurostat", EP, edit(",154000,", ',"154000,5",'),
     Err(EP, "OBS_VALUE is not a number", 2, "OBS_VALUE")),
    ("eurostat-repeated-observation", "eurostat", EP, line_op(2, "repeat"), Err(EP, "observation repeated.*also on line 2", 3)),
    ("eurostat-blank-line-inside", "eurostat", EP, line_op(4, "insert"), Err(EP, "empty line inside the file", 4)),
    ("eurostat-html-page", "eurostat", EP, replace_all(HTML), Err(EP, "not an Eurostat SDMX-CSV or TSV file", 1)),
    ("eurostat-gzip-truncated", "eurostat", EP + ".gz", gzipped_and_cut, Err(EP + ".gz", "not a readable gzip file")),
    ("eurostat-tsv-decimal-comma", "eurostat_lfs", EL, edit("1523\\.4", "1523,4"), Err(EL, "expected a TSV cell", 3, "2023")),
    # Statbel ("|", UTF-8 with a BOM; plain or zipped)
    ("statbel-cut-last-line", "statbel", ST, cut_end(2), Err(ST, "truncated last line", 8)),  # population 1 cut to ""
    ("statbel-bad-sex", "statbel", ST, edit("\\|F\\|BEL", "|X|BEL"), Err(ST, "expected F or M", 2, "CD_SEX")),
    ("statbel-comma-separator", "statbel", ST, edit("\\|", ",", 0), Err(ST, "single column; the separator should be '\\|'", 1)),
    ("statbel-zip-bomb", "statbel", SZ, BOMB, Err(SZ, f"member '{STATBEL_TXT}': .* ratio over 200")),
    ("statbel-crlf", "statbel", ST, crlf, Accepted({"lines": 7, "rows": 4})),
    # INSEE population (an xlsx workbook: a ZIP read in place by openpyxl)
    ("insee-html-page", "insee", IW, replace_all(HTML), Err(IW, "an HTML page, not an xlsx workbook")),
    ("insee-xlsx-bomb", "insee", IW, BOMB, Err(IW, "member 'xl/worksheets/sheet1.xml': .* ratio over 200")),
]


def run_case(tmp_path: Path, source: str, files: str | tuple[str, ...], mutation, expected) -> None:
    inputs = valid_files(source, tmp_path)
    for target in (files,) if isinstance(files, str) else files:
        corrupt(inputs, source, target, mutation)
    raw = write_raw(tmp_path, inputs)
    if isinstance(expected, Err):
        with pytest.raises(InputError) as caught:
            load(source, tmp_path, raw)
        error = caught.value
        message = str(error)
        assert error.path.relative_to(raw).as_posix() == expected.file, message
        assert Path(expected.file).name in message
        assert re.search(expected.problem, message), message
        assert (error.line, error.column) == (expected.line, expected.column), message
        if expected.line is not None:
            assert f"line {expected.line}" in message
        if expected.column is not None:
            assert f"column {expected.column}" in message
        # Nothing half-extracted stays behind (complete members are kept for the next load: observatory.zipcache).
        assert partial_files(tmp_path / "work") == []
    elif isinstance(expected, Rejected):
        con, info = load(source, tmp_path, raw)
        found = {reason: (rows, jobs) for reason, rows, jobs in rejects(con, source, info)}
        matching = [reason for reason in found if expected.reason in reason]
        assert len(matching) == 1, found
        assert found[matching[0]] == (expected.rows, expected.jobs), found
    else:
        _, info = load(source, tmp_path, raw)
        assert {k: info[k] for k in expected.figures} == expected.figures


@pytest.mark.parametrize(("source", "files", "mutation", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(tmp_path: Path, source: str, files, mutation, expected) -> None:
    run_case(tmp_path, source, files, mutation, expected)


def test_the_corpus_covers_every_source() -> None:
    assert len(CASES) >= 30 and len({c[0] for c in CASES}) == len(CASES)
    assert {c[1] for c in CASES} == {"flores", "onss", "sirene", "kbo", "eurostat", "eurostat_lfs", "statbel", "insee"}
    kinds = {type(c[4]) for c in CASES}
    assert kinds == {Err, Rejected, Accepted}


# --- two cases through Dagster: the error is the step's failure -------------------------------------------------------


def materialize_failure(tmp_path: Path, asset, source: str, target: str, mutation) -> errors.StepFailure:
    from pipelines.resources import Warehouse

    inputs = valid_files(source, tmp_path)
    corrupt(inputs, source, target, mutation)
    raw = write_raw(tmp_path, inputs)
    result = dg.materialize([asset], raise_on_error=False, resources={
        "warehouse": Warehouse(raw_dir=str(raw), warehouse_dir=str(tmp_path / "warehouse"))})
    assert not result.success
    failures = [errors.step_failure(e) for e in result.get_step_failure_events()]
    assert len(failures) == 1
    return failures[0]


def test_cut_last_line_fails_the_kbo_step(tmp_path: Path) -> None:
    from pipelines.assets import SOURCE_ASSETS

    be_kbo = SOURCE_ASSETS["be_kbo"]
    failure = materialize_failure(tmp_path, be_kbo, "kbo", KA, cut_end(1))
    assert failure.step == "be_kbo"
    assert failure.summary().startswith("- step be_kbo: activity.csv, line 22: truncated last line")
    assert failure.file is not None and failure.file.endswith(f"{KBO_ZIP}/activity.csv") and failure.line == 22


def test_zip_bomb_fails_the_sirene_step(tmp_path: Path) -> None:
    from pipelines.assets import SOURCE_ASSETS

    fr_sirene = SOURCE_ASSETS["fr_sirene"]
    failure = materialize_failure(tmp_path, fr_sirene, "sirene", SEZ, BOMB)
    assert failure.step == "fr_sirene"
    assert "StockEtablissement_utf8.zip: member 'StockEtablissement_utf8.csv'" in failure.summary()
    assert "a ratio over 200 (a ZIP bomb?" in failure.summary()
    assert not [p for p in (tmp_path / "warehouse").rglob("*") if p.is_file() and p.stat().st_size > 1 << 20
                and p.suffix != ".duckdb"]
