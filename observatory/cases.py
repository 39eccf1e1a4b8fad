"""Documented cases: best practices the partners (cooperative federations) document with figures, one YAML file per
case in ``<raw>/cases/``, validated, linked to their registry entry (SIRENE, KBO) and published as ``mart.cases``
beside the indicators of their territory.

A case is self-reported by a partner: its figures are the partner's, not statistics (docs/cases.md). This module
reads and checks the files (:func:`read_folder`: every problem of every file, then one :class:`CaseError`), writes
the commented template partners fill in (:func:`template`) and builds ``mart.cases`` (:func:`build`); the SIRENE
legal units are looked up by :func:`observatory.sources.sirene.lookup_units`, the KBO enterprises read from
``src.be_kbo_enterprises`` (kept by the KBO loader).
"""

from __future__ import annotations

import difflib
import re
import textwrap
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from observatory import harmonise, nomenclatures, schema
from observatory.duck import table_exists, transaction
from observatory.errors import InputError
from observatory.sources import kbo, sirene

# The cases live in the raw folder, beside the registry files their identifiers are looked up in: the synthetic
# examples go with the synthetic sample, a real raw folder holds the partners' real cases (docs/cases.md).
FOLDER = Path("cases")
SUFFIXES = (".yaml", ".yml")
KINDS = schema.CASE_KINDS
COUNTRIES = ("FR", "BE")
FIRST_YEAR = 1900
JOB_FIELDS = ("jobs_created", "jobs_saved", "jobs_consolidated")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, country, identifier, year, kind, count, years, bool, sources
    required: bool
    meaning: str


# Every field of a case file, in the order of the template and of mart.cases.
FIELDS = (
    Field("name", "text", True, "name of the case, as the partner publishes it"),
    Field("country", "country", True, "FR or BE: the registry the enterprise is in"),
    Field("identifier", "identifier", True, "FR: the SIREN (9 digits, Luhn check), in quotes; BE: the KBO/BCE "
          "enterprise number 0123.456.789 (mod-97 check)"),
    Field("year", "year", True, f"year of the event (the creation, the take-over, ...), {FIRST_YEAR} to this year"),
    Field("kind", "kind", True, "what the case is: " + "; ".join(f"{k} ({v})" for k, v in KINDS.items())),
    Field("summary", "text", False, "a few sentences on what was done"),
    Field("jobs_created", "count", False, "jobs created by the event (headcount)"),
    Field("jobs_saved", "count", False, "jobs that would have been lost without it (headcount)"),
    Field("jobs_consolidated", "count", False, "existing jobs made lasting (headcount); at least one of "
          "jobs_created, jobs_saved, jobs_consolidated is given"),
    Field("jobs_after", "count", False, "jobs still held years_after years after the event (with years_after)"),
    Field("years_after", "years", False, "how many years after the event jobs_after was counted (with jobs_after)"),
    Field("disadvantaged_workers", "count", False, "of the jobs, those held by disadvantaged workers (work "
          "integration)"),
    Field("sources", "sources", True, "where the figures come from: a list of {title, url} or {title, reference}"),
    Field("synthetic", "bool", False, "true for an invented example (the embedded sample's); false by default"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
SOURCE_FIELDS = ("title", "url", "reference")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one case file: where (file, line, field) and what."""

    path: Path
    problem: str
    field: str | None = None
    line: int | None = None
    value: str | None = None

    def text(self) -> str:
        where = [self.path.name] + ([f"line {self.line}"] if self.line else []) + (
            [f"field {self.field}"] if self.field else [])
        found = f" (found {self.value!r})" if self.value is not None else ""
        return f"{', '.join(where)}: {self.problem}{found}"


class CaseError(InputError):
    """Every problem found in the case files, the first on the first line (what a failed step shows), then one per
    line. ``problems`` lists them; ``path``, ``line`` and ``problem`` are the first's (no column: a YAML file has
    fields, which the message names)."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(first.path, first.problem, line=first.line, value=first.value, more=len(problems) - 1)
        self.problems = problems
        self.field = first.field
        text = first.text()
        if len(problems) > 1:
            text += f" (and {len(problems) - 1} more problem(s) in the case files)"
            text += "".join(f"\n- {p.text()}" for p in problems)
        self.args = (text,)

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class Case:
    """A case file read and checked: its values by field (absent optional fields are None) and their lines."""

    path: Path
    values: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def case_id(self) -> str:
        return self.path.stem

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)


# ------------------------------------------------------------------------------------------------------------
# Reading and checking
# ------------------------------------------------------------------------------------------------------------


def folder(raw_dir: Path) -> Path:
    return Path(raw_dir) / FOLDER


def case_files(where: Path) -> list[Path]:
    """The case files of a folder, sorted (hidden files and other suffixes, e.g. a README, are not cases)."""
    if not where.is_dir():
        return []
    return sorted(p for p in where.iterdir() if p.is_file() and p.suffix in SUFFIXES and not p.name.startswith("."))


def luhn_ok(digits: str) -> bool:
    """The Luhn check of a SIREN: every second digit from the right doubled (minus 9 above 9), the sum a multiple
    of 10."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char) * (2 if position % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def read_folder(where: Path, *, this_year: int | None = None) -> list[Case]:
    """Every case file of ``where`` read and checked; one :class:`CaseError` listing every problem of every file.
    A folder that does not exist holds no case."""
    this_year = this_year or date.today().year
    cases, problems = [], []
    seen: dict[str, Path] = {}
    for path in case_files(Path(where)):
        case, found = read_case(path, this_year=this_year)
        if path.stem in seen:
            found.append(Problem(path, f"same case id {path.stem!r} as {seen[path.stem].name}: rename one file"))
        seen.setdefault(path.stem, path)
        problems += found
        if case is not None and not found:
            cases.append(case)
    if problems:
        raise CaseError(problems)
    return cases


def read_case(path: Path, *, this_year: int | None = None) -> tuple[Case | None, list[Problem]]:
    """One case file read and checked: the case (None when it cannot be read at all) and its problems."""
    this_year = this_year or date.today().year
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM, as some Windows editors write it, is no content
    except UnicodeDecodeError as exc:
        return None, [Problem(path, f"not UTF-8 text (byte {exc.start})")]
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        # The line of the problem, and where the construct it broke began (an unclosed quote: its opening line).
        mark = exc.problem_mark or exc.context_mark
        context = exc.context and (f"{exc.context} (from line {exc.context_mark.line + 1})" if exc.context_mark
                                   else exc.context)
        problem = ": ".join(filter(None, [context, exc.problem]))
        return None, [Problem(path, f"malformed YAML: {problem}", line=mark.line + 1 if mark else None)]
    except yaml.YAMLError as exc:
        return None, [Problem(path, f"malformed YAML: {exc}")]
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        what = "an empty file" if node is None else f"a {type(data).__name__}"
        return None, [Problem(path, f"a case is a mapping of fields (name: ..., country: ...), found {what}",
                              line=node.start_mark.line + 1 if node is not None else None)]
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in lines:
            problems.append(Problem(path, f"field given twice (first on line {lines[key]})", key,
                                    key_node.start_mark.line + 1))
        lines.setdefault(key, value_node.start_mark.line + 1)
    values, found = _check(path, data, lines, node, this_year)
    return Case(path, values, lines), problems + found


def _check(path: Path, data: dict, lines: dict[str, int], node: yaml.MappingNode,
           this_year: int) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []

    def problem(name: str | None, text: str, value: Any = None) -> None:
        problems.append(Problem(path, text, name, lines.get(name) if name else None,
                                None if value is None else str(value)))

    values: dict[str, Any] = {}
    for key in data:
        if str(key) not in FIELD_NAMES:
            close = difflib.get_close_matches(str(key), FIELD_NAMES, 1)
            problem(str(key), "unknown field" + (f"; did you mean {close[0]}?" if close else
                                                 f" (fields: {', '.join(FIELD_NAMES)})"))
    data = {k: None if isinstance(v, str) and not v.strip() else v for k, v in data.items()}  # "" is not given
    for spec in FIELDS:
        value = data.get(spec.name)
        if value is None:
            if spec.required:
                problem(spec.name, "missing field" if spec.name not in data else "missing value")
            continue
        shown = None if spec.kind == "sources" else value  # a list echoed back says nothing
        checked = _value(spec, value, data, this_year, lambda text, v=shown, n=spec.name: problem(n, text, v))
        if checked is not None:
            values[spec.name] = checked
    if not any(data.get(name) is not None for name in JOB_FIELDS):
        problem(None, f"no jobs figure: give at least one of {', '.join(JOB_FIELDS)}")
    if (data.get("jobs_after") is None) != (data.get("years_after") is None):
        given = "jobs_after" if data.get("jobs_after") is not None else "years_after"
        problem(given, "jobs_after and years_after go together: give both or neither")
    year, after = values.get("year"), values.get("years_after")
    if year is not None and after is not None and year + after > this_year:
        problem("years_after", f"year + years_after is after the current year ({year} + {after} > {this_year})",
                after)
    values.setdefault("synthetic", False)
    return values, problems


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _value(spec: Field, value: Any, data: dict, this_year: int, problem) -> Any:
    """The checked value of one field, or None after reporting what is wrong with it."""
    if spec.kind == "text":
        if not isinstance(value, str) or not value.strip():
            return problem("wrong type: expected a text")
        return value.strip()
    if spec.kind == "country":
        if value not in COUNTRIES:
            return problem(f"unknown country: expected {' or '.join(COUNTRIES)}")
        return value
    if spec.kind == "identifier":
        return _identifier(data.get("country"), value, problem)
    if spec.kind == "year":
        if not _whole(value):
            return problem("wrong type: expected a year (a whole number)")
        if value > this_year:
            return problem(f"a year in the future (after {this_year})")
        if value < FIRST_YEAR:
            return problem(f"a year before {FIRST_YEAR}")
        return value
    if spec.kind == "kind":
        if value not in KINDS:
            return problem(f"unknown kind: expected one of {', '.join(KINDS)}")
        return value
    if spec.kind in ("count", "years"):
        if not _whole(value):
            return problem("wrong type: expected a whole number")
        minimum = 1 if spec.kind == "years" else 0
        if value < minimum:
            return problem("negative jobs: counts must be >= 0" if spec.kind == "count" else "must be >= 1")
        return value
    if spec.kind == "bool":
        if not isinstance(value, bool):
            return problem("wrong type: expected true or false")
        return value
    return _sources(value, problem)


def _identifier(country: Any, value: Any, problem) -> str | None:
    if country not in COUNTRIES:
        return None  # reported on the country
    if country == "FR":
        text = str(value) if _whole(value) else value
        if not isinstance(text, str) or not re.fullmatch(r"\d{9}", text.replace(" ", "")):
            return problem("wrong type: a SIREN is 9 digits, written in quotes ('123456789')")
        text = text.replace(" ", "")
        if not luhn_ok(text):
            return problem("bad check digit: not a SIREN (the Luhn check fails)")
        return text
    text = value if isinstance(value, str) else str(value)
    digits = re.sub(r"[.\s]", "", text)
    if not re.fullmatch(r"\d{9,10}", digits):
        return problem("wrong type: a KBO enterprise number is 10 digits, written '0123.456.789'")
    digits = digits.zfill(10)
    number = f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"
    if not kbo.is_valid_enterprise_number(number):
        return problem("bad check digit: not a KBO enterprise number (97 - first 8 digits mod 97 must be the last 2)")
    return number


def _sources(value: Any, problem) -> list[dict[str, str]] | None:
    if not isinstance(value, list) or not value:
        return problem("wrong type: expected a non-empty list of sources, each {title, url} or {title, reference}")
    out = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict):
            return problem(f"source {number}: expected a mapping with title and url or reference")
        unknown = [str(k) for k in item if k not in SOURCE_FIELDS]
        if unknown:
            return problem(f"source {number}: unknown field(s) {', '.join(unknown)} (fields: "
                           f"{', '.join(SOURCE_FIELDS)})")
        if not all(isinstance(item.get(k), str | None) for k in SOURCE_FIELDS):
            return problem(f"source {number}: title, url and reference are texts")
        if not (item.get("title") or "").strip():
            return problem(f"source {number}: missing title")
        if not (item.get("url") or item.get("reference") or "").strip():
            return problem(f"source {number}: give a url or a reference")
        url = (item.get("url") or "").strip()
        if url and not re.match(r"https?://", url):
            return problem(f"source {number}: a url starts with http:// or https://")
        out.append({k: item[k].strip() for k in SOURCE_FIELDS if (item.get(k) or "").strip()})
    return out


# ------------------------------------------------------------------------------------------------------------
# The template partners fill in
# ------------------------------------------------------------------------------------------------------------

_SOURCES_TEMPLATE = """sources:
  - title: ""        # e.g. the partner's annual report 2024
    url: ""          # https://...; or, for a document without an address, instead of url:
    # reference: ""  # e.g. the minutes of the general meeting of 12 June 2024"""


def template() -> str:
    """A commented case file with every field empty, what it means and its allowed values: fill it in, save it as
    ``<raw>/cases/<case id>.yaml`` and check it with ``observatory cases check``."""
    out = [
        "# A documented case of the DESIR observatory: one file per case, in <raw>/cases/<case id>.yaml.",
        "# The file name (without .yaml) is the case id. Fill in the fields, leave the optional ones empty,",
        "# then check the folder: observatory cases check <folder>. See docs/cases.md.",
        "# The figures are the partner's own: they are published as reported, beside (never inside) the statistics.",
        "",
    ]
    for spec in FIELDS:
        status = "required" if spec.required else "optional"
        if spec.kind == "kind":
            out.append(f"# {spec.name} ({status}): what the case is, one of:")
            out += [f"#   {code}: {meaning}" for code, meaning in KINDS.items()]
        else:
            out += textwrap.wrap(f"{spec.name} ({status}): {spec.meaning}.", 116, initial_indent="# ",
                                 subsequent_indent="#   ")
        if spec.kind == "sources":
            out.append(_SOURCES_TEMPLATE)
        else:
            out.append(f"{spec.name}:" + (" false" if spec.kind == "bool" else ""))
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------------------
# mart.cases: linked to the registries, beside the indicators of their territory
# ------------------------------------------------------------------------------------------------------------

KBO_ENTERPRISES = "src.be_kbo_enterprises"  # kept by the KBO loader: one row per enterprise of the extract
KBO_COLUMNS = ("enterprise VARCHAR, type_of_enterprise VARCHAR, juridical_form VARCHAR, start_date DATE, "
               "seat_postcode VARCHAR, seat_foreign BOOLEAN, main_nace_version VARCHAR, main_nace_code VARCHAR, "
               "departed_on DATE, snapshot_date DATE")
_CASE_COLUMNS = ("case_id VARCHAR, file_name VARCHAR, name VARCHAR, country VARCHAR, identifier VARCHAR, "
                 "year INTEGER, kind VARCHAR, summary VARCHAR, jobs_created INTEGER, jobs_saved INTEGER, "
                 "jobs_consolidated INTEGER, jobs_after INTEGER, years_after INTEGER, "
                 "disadvantaged_workers INTEGER, sources VARCHAR, synthetic BOOLEAN")


def _sources_text(sources: list[dict[str, str]]) -> str:
    return "; ".join(s["title"] + (f" <{s['url']}>" if "url" in s else f" ({s['reference']})") for s in sources)


def build(con: duckdb.DuckDBPyConnection, cases: list[Case], raw_dir: Path, cache_dir: Path) -> dict:
    """``mart.cases`` from checked cases: each linked to its registry entry and given its territory's indicators.

    The French units are looked up in the SIRENE files of ``raw_dir`` (:func:`sirene.lookup_units`), the Belgian
    ones in ``src.be_kbo_enterprises`` when the KBO loader has kept it (else they are published unlinked,
    ``registry_snapshot_date`` NULL). A valid identifier that is not in its registry is a :class:`CaseError`."""
    nomenclatures.register(con)
    con.execute("CREATE SCHEMA IF NOT EXISTS work")
    con.execute(f"CREATE OR REPLACE TABLE work.cases ({_CASE_COLUMNS})")
    if cases:
        con.executemany("INSERT INTO work.cases VALUES (" + ", ".join("?" * 16) + ")", [
            [c.case_id, c.path.name, c["name"], c["country"], c["identifier"], c["year"], c["kind"], c["summary"],
             c["jobs_created"], c["jobs_saved"], c["jobs_consolidated"], c["jobs_after"], c["years_after"],
             c["disadvantaged_workers"], _sources_text(c["sources"]), c["synthetic"]] for c in cases])
    sirens = sorted({c["identifier"] for c in cases if c["country"] == "FR"})
    fr_snapshot = None
    if sirens:
        fr_snapshot = sirene.lookup_units(con, raw_dir, cache_dir, sirens)
    else:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS src; "
                    f"CREATE OR REPLACE TABLE {sirene.CASE_UNITS} ({sirene.CASE_UNIT_COLUMNS})")
    # Until the KBO loader keeps its enterprises, the Belgian cases have no registry to be linked to.
    kbo_loaded = table_exists(con, KBO_ENTERPRISES)
    source = f"SELECT * FROM {KBO_ENTERPRISES}" if kbo_loaded else _empty(KBO_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _case_be_enterprises AS {source}")
    for table in (schema.SURVIVAL, schema.ESTABLISHMENTS):  # context only: empty when not built
        if not table_exists(con, table.name):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS mart; {table.ddl()}")
    harmonise.run_sql_file(con, "macros.sql")
    harmonise.run_sql_file(con, "be_registry.sql")
    # One transaction: a case refused leaves the previous mart.cases as it was, never a table with the refused row.
    with transaction(con):
        con.execute(schema.CASES.ddl())
        harmonise.run_sql_file(con, "mart_cases.sql", {"kbo_loaded": kbo_loaded, "fr_snapshot": fr_snapshot})
        _refuse_unknown(con, cases)
    rows, linked = con.execute("SELECT count(*), count(registry_snapshot_date) FROM mart.cases").fetchone()
    return {"mart.cases": rows, "linked": linked, "kbo_enterprises_loaded": kbo_loaded}


def _empty(columns: str) -> str:
    """A query of no rows with the names and types of ``columns`` (a stand-in for a table not there)."""
    parts = [c.strip().split(" ", 1) for c in columns.split(",")]
    return "SELECT " + ", ".join(f"NULL::{kind} AS {name}" for name, kind in parts) + " WHERE false"


def _refuse_unknown(con: duckdb.DuckDBPyConnection, cases: list[Case]) -> None:
    """A case whose registry was read but does not hold its identifier: an error naming the file and the field."""
    unknown = con.execute("SELECT case_id, registry, strftime(registry_snapshot_date, '%Y-%m-%d') FROM work.case_links "
                          "WHERE registry_loaded AND NOT found ORDER BY case_id").fetchall()
    if not unknown:
        return
    by_id = {c.case_id: c for c in cases}
    problems = []
    for case_id, registry, snapshot in unknown:
        case = by_id[case_id]
        stock = "the SIRENE stock" if registry == "SIRENE" else "the KBO extract"
        problems.append(Problem(case.path, f"unknown identifier: not in {stock} of {snapshot or 'unknown date'}",
                                "identifier", case.lines.get("identifier"), case["identifier"]))
    raise CaseError(problems)
