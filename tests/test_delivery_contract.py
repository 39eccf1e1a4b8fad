"""The delivery contract (contracts.md, layout v1) of FLORES (France) and ONSS (Belgium): one table of what a delivery
can get wrong, each rule stated once with what each source's loader must say about it (file, line, column, problem).

A case edits a copy of the source's good pair (tests/fixtures/flores, tests/fixtures/onss, hand-written in the exact
contract layout), so each case shows the one thing that is wrong. The good pairs' own values are tested in
test_flores.py and test_onss.py.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import duckdb
import pytest

from observatory.errors import InputError
from observatory.sources import flores, onss

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Source:
    name: str
    loader: ModuleType
    jobs: str
    units: str
    sep: str

    def make_raw(self, tmp_path: Path) -> Path:
        """A raw_dir holding a copy of the good pair."""
        raw = tmp_path / "raw"
        folder = raw / self.loader.FOLDER
        folder.mkdir(parents=True)
        for name in (self.jobs, self.units):
            shutil.copyfile(FIXTURES / self.name / name, folder / name)
        return raw


SOURCES = {
    "flores": Source("flores", flores, "flores_postes_2023.csv", "flores_etablissements_2023.csv", ";"),
    "onss": Source("onss", onss, "onss_postes_2023Q4.csv", "onss_unites_2023Q4.csv", ","),
}

# --- mutations: what is done to one file of the good pair -----------------------------------------------------------

Lines = Callable[[list[str], str], list[str]]  # (lines, separator) -> lines; lines[0] is line 1, the header
Mutation = Callable[[Path, str], None]  # (file, separator)


def rewrite(change: Lines, *, final_newline: bool = True, encoding: str = "utf-8") -> Mutation:
    """Rewrite the file through ``change`` on its lines; keep a UTF-8 BOM if it had one (FLORES does)."""

    def mutate(path: Path, sep: str) -> None:
        data = path.read_bytes()
        bom = data.startswith(b"\xef\xbb\xbf")
        text = "\n".join(change(data.decode("utf-8-sig").splitlines(), sep)) + ("\n" if final_newline else "")
        path.write_bytes((b"\xef\xbb\xbf" if bom and encoding == "utf-8" else b"") + text.encode(encoding))

    return mutate


def emptied(path: Path, sep: str) -> None:
    path.write_bytes(b"")


def set_field(number: int, column: str, value: str) -> Lines:
    """Put ``value`` (as written in the file, quotes included) in ``column`` on file line ``number``. The good pairs
    have no quoted field, so a plain split is exact."""

    def change(lines: list[str], sep: str) -> list[str]:
        index = lines[0].split(sep).index(column)
        cells = lines[number - 1].split(sep)
        cells[index] = value
        lines[number - 1] = sep.join(cells)
        return lines

    return change


def rename_column(old: str, new: str) -> Lines:
    def change(lines: list[str], sep: str) -> list[str]:
        lines[0] = sep.join(new if name == old else name for name in lines[0].split(sep))
        return lines

    return change


def drop_column(column: str) -> Lines:
    def change(lines: list[str], sep: str) -> list[str]:
        index = lines[0].split(sep).index(column)
        return [sep.join(c for i, c in enumerate(line.split(sep)) if i != index) for line in lines]

    return change


def append(*new: str) -> Lines:
    return lambda lines, sep: lines + list(new)


def delete(number: int) -> Lines:
    return lambda lines, sep: lines[: number - 1] + lines[number:]


def repeat(number: int, times: int) -> Lines:
    return lambda lines, sep: lines + [lines[number - 1]] * times


def header_only(lines: list[str], sep: str) -> list[str]:
    return lines[:1]


def period_everywhere(period: str) -> Lines:
    """Every data line's period (the first field) replaced by ``period``."""
    return lambda lines, sep: [lines[0]] + [period + sep + line.split(sep, 1)[1] for line in lines[1:]]


def truncate_last(keep_fields: int) -> Lines:
    return lambda lines, sep: lines[:-1] + [sep.join(lines[-1].split(sep)[:keep_fields])]


def replace_last(line: str) -> Lines:
    return lambda lines, sep: lines[:-1] + [line]


def add_column(name: str, value_by_field: int, values: dict[str, str]) -> Lines:
    """A column ``name`` at the end, its value looked up by the line's field number ``value_by_field``."""
    return lambda lines, sep: [lines[0] + sep + name] + [
        line + sep + values[line.split(sep)[value_by_field]] for line in lines[1:]]


# --- the table ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    source: str
    edited: str  # "jobs" or "units": the file of the pair that is mutated
    mutation: Mutation
    named: str  # "jobs" or "units": the file the error names
    line: int | None
    column: str | None
    problem: str  # a regex the message must contain


def both(flores_case: Case, onss_case: Case) -> dict[str, Case]:
    assert (flores_case.source, onss_case.source) == ("flores", "onss")
    return {"flores": flores_case, "onss": onss_case}


def only(case: Case) -> dict[str, Case]:
    return {case.source: case}


F, O = "flores", "onss"  # noqa: E741

# rule -> {source: case}. A rule of the contract that holds for both sources has a case for each; a few rules exist
# for one source only (ONSS quotes its fields and has an accreditation column).
RULES: dict[str, dict[str, Case]] = {
    "missing-column-jobs": both(
        Case(F, "jobs", rewrite(drop_column("EQTP")), "jobs", 1, "EQTP", r"missing column\(s\): EQTP"),
        Case(O, "jobs", rewrite(drop_column("ETP")), "jobs", 1, "ETP", r"missing column\(s\): ETP;")),
    "missing-column-units": both(
        Case(F, "units", rewrite(drop_column("NBETAB")), "units", 1, "NBETAB", r"missing column\(s\): NBETAB"),
        Case(O, "units", rewrite(drop_column("NB_UNITES")), "units", 1, "NB_UNITES",
             r"missing column\(s\): NB_UNITES;")),
    "renamed-column-jobs": both(
        Case(F, "jobs", rewrite(rename_column("POSTES", "NB_POSTES")), "jobs", 1, "POSTES",
             r"POSTES \(renamed to 'NB_POSTES'\?\)"),
        Case(O, "jobs", rewrite(rename_column("REFNIS", "CODE_REFNIS")), "jobs", 1, "REFNIS",
             r"REFNIS \(renamed to 'CODE_REFNIS'\?\)")),
    "renamed-column-units": both(
        Case(F, "units", rewrite(rename_column("POSTES_MAX_ETAB", "POSTES_MAX_ETABLISSEMENT")), "units", 1,
             "POSTES_MAX_ETAB", r"POSTES_MAX_ETAB \(renamed to 'POSTES_MAX_ETABLISSEMENT'\?\)"),
        Case(O, "units", rewrite(rename_column("POSTES_MAX_UNITE", "POSTES_MAX_UNITES")), "units", 1,
             "POSTES_MAX_UNITE", r"POSTES_MAX_UNITE \(renamed to 'POSTES_MAX_UNITES'\?\)")),
    "other-year-jobs": both(
        Case(F, "jobs", rewrite(period_everywhere("2022")), "jobs", 2, "ANNEE",
             r"the file name says 2023 but the line is for another period \(found '2022'\); 6 more line"),
        Case(O, "jobs", rewrite(period_everywhere("2022Q4")), "jobs", 2, "TRIMESTRE",
             r"the file name says 2023 but the line is for another period \(found '2022Q4'\); 7 more line")),
    "other-year-units": both(
        Case(F, "units", rewrite(set_field(3, "ANNEE", "2022")), "units", 3, "ANNEE",
             r"the file name says 2023 .*\(found '2022'\)"),
        Case(O, "units", rewrite(set_field(4, "TRIMESTRE", "2022Q4")), "units", 4, "TRIMESTRE",
             r"the file name says 2023 .*\(found '2022Q4'\)")),
    "negative-jobs": both(
        Case(F, "jobs", rewrite(set_field(4, "POSTES", "-7")), "jobs", 4, "POSTES", r"negative count.*'-7'"),
        Case(O, "jobs", rewrite(set_field(3, "POSTES", "-9")), "jobs", 3, "POSTES", r"negative count.*'-9'")),
    "negative-fte": both(
        Case(F, "jobs", rewrite(set_field(2, "EQTP", "-3,5")), "jobs", 2, "EQTP", r"negative"),
        Case(O, "jobs", rewrite(set_field(2, "ETP", "-1.5")), "jobs", 2, "ETP", r"negative")),
    "negative-units": both(
        Case(F, "units", rewrite(set_field(3, "NBETAB", "-1")), "units", 3, "NBETAB", r"negative"),
        Case(O, "units", rewrite(set_field(3, "NB_UNITES", "-1")), "units", 3, "NB_UNITES", r"negative")),
    "negative-max": both(
        Case(F, "units", rewrite(set_field(4, "POSTES_MAX_ETAB", "-2")), "units", 4, "POSTES_MAX_ETAB", r"negative"),
        Case(O, "units", rewrite(set_field(4, "POSTES_MAX_UNITE", "-3")), "units", 4, "POSTES_MAX_UNITE",
             r"negative")),
    "count-too-large-for-bigint": both(
        Case(F, "jobs", rewrite(set_field(5, "POSTES", "99999999999999999999")), "jobs", 5, "POSTES",
             r"expected an integer >= 0 \(at most 15 digits\) \(found '99999999999999999999'\)"),
        Case(O, "jobs", rewrite(set_field(5, "POSTES", "99999999999999999999")), "jobs", 5, "POSTES",
             r"expected an integer >= 0 \(at most 15 digits\) \(found '99999999999999999999'\)")),
    # FLORES asks for a decimal comma, ONSS for a decimal point.
    "wrong-decimal-mark": both(
        Case(F, "jobs", rewrite(set_field(3, "EQTP", "10.5")), "jobs", 3, "EQTP",
             r"decimal point where the contract asks for a decimal comma \(found '10\.5'\)"),
        Case(O, "jobs", rewrite(set_field(3, "ETP", '"7,25"')), "jobs", 3, "ETP",
             r"decimal comma where the contract asks for a decimal point \(found '7,25'\)")),
    "wrong-decimal-mark-unquoted": only(
        Case(O, "jobs", rewrite(set_field(3, "ETP", "7,25")), "jobs", 3, None,
             r"11 field\(s\) where the header has 10 \(found '2023Q4,21004,017,,2008,88101,F,25-34,9,7,25'\)")),
    "duplicated-key-jobs": both(
        Case(F, "jobs", rewrite(set_field(6, "TRAGE", "30")), "jobs", 6, None,
             r"duplicated key \(ANNEE, DEPCOM, CJ, APET, SEXE, TRAGE\): also on line 5 "
             r"\(found '2023 \| 2A004 \| 5458 \| 4321A \| 1 \| 30'\)"),
        Case(O, "jobs", rewrite(set_field(4, "CLASSE_AGE", "25-34")), "jobs", 4, None,
             r"duplicated key \(TRIMESTRE, REFNIS, FORME_JURIDIQUE, AGREMENT, NACE_VERSION, NACE, SEXE, CLASSE_AGE\): "
             r"also on line 3 \(found '2023Q4 \| 21004 \| 017 \|  \| 2008 \| 88101 \| F \| 25-34'\)")),
    "duplicated-key-units": both(
        Case(F, "units", rewrite(append("2023;59350;9220;8810A;2;12")), "units", 5, None,
             r"duplicated key \(ANNEE, DEPCOM, CJ, APET\): also on line 2"),
        Case(O, "units", rewrite(append("2023Q4,53053,706,CNC+ES,2008,56101,2,5")), "units", 6, None,
             r"duplicated key \(.*\): also on line 3")),
    "duplicated-key-quoted-empty": only(
        Case(O, "units", rewrite(append('2023Q4,21004,017,"",2008,88101,1,1')), "units", 6, None,
             r"duplicated key \(.*\): also on line 2")),
    # Reported at its second occurrence, not its last.
    "key-delivered-three-times": only(
        Case(O, "units", rewrite(repeat(3, 2)), "units", 6, None, r"also on line 3")),
    "units-without-jobs": both(
        Case(F, "units", rewrite(append("2023;80021;9220;8810A;1;1")), "units", 5, None,
             r"a units row has no jobs row in flores_postes_2023\.csv \(found '2023 \| 80021 \| 9220 \| 8810A'\)"),
        Case(O, "units", rewrite(append("2023Q4,21004,017,ES,2008,88101,1,1")), "units", 6, None,
             r"a units row has no jobs row in onss_postes_2023Q4\.csv \(found '2023Q4 \| 21004 \| 017 \| ES \| 2008 \| "
             r"88101'\)")),
    "jobs-without-units": both(
        Case(F, "units", rewrite(delete(4)), "jobs", 7, None,
             r"a jobs row has no units row in flores_etablissements_2023\.csv \(found '2023 \| 62041 \| 5710 \| "
             r"6201Z'\); 1 more line"),
        Case(O, "units", rewrite(delete(3)), "jobs", 5, None,
             r"a jobs row has no units row in onss_unites_2023Q4\.csv \(found '2023Q4 \| 53053 \| 706 \| CNC\+ES \| "
             r"2008 \| 56101'\); 1 more line")),
    "max-above-total": both(
        Case(F, "units", rewrite(set_field(2, "POSTES_MAX_ETAB", "24")), "units", 2, "POSTES_MAX_ETAB",
             r"POSTES_MAX_ETAB is above the key's total POSTES in flores_postes_2023\.csv \(found '24 > 23'\)"),
        Case(O, "units", rewrite(set_field(3, "POSTES_MAX_UNITE", "11")), "units", 3, "POSTES_MAX_UNITE",
             r"POSTES_MAX_UNITE is above the key's total POSTES in onss_postes_2023Q4\.csv \(found '11 > 10'\)")),
    "empty-jobs": both(
        Case(F, "jobs", emptied, "jobs", None, None, r"the file is empty \(no header line\)"),
        Case(O, "jobs", emptied, "jobs", None, None, r"the file is empty \(no header line\)")),
    "empty-units": both(
        Case(F, "units", emptied, "units", None, None, r"the file is empty \(no header line\)"),
        Case(O, "units", emptied, "units", None, None, r"the file is empty \(no header line\)")),
    "header-only-jobs": both(
        Case(F, "jobs", rewrite(header_only), "jobs", None, None, r"header but no data line"),
        Case(O, "jobs", rewrite(header_only), "jobs", None, None, r"header but no data line")),
    "header-only-units": both(
        Case(F, "units", rewrite(header_only), "units", None, None, r"header but no data line"),
        Case(O, "units", rewrite(header_only), "units", None, None, r"header but no data line")),
    "truncated-jobs": both(
        Case(F, "jobs", rewrite(truncate_last(7), final_newline=False), "jobs", 8, None,
             r"truncated last line: the file ends without a newline — was it cut during transfer\? \(7 field\(s\) "
             r"where the header has 8\)"),
        Case(O, "jobs", rewrite(truncate_last(8), final_newline=False), "jobs", 9, None,
             r"truncated last line: the file ends without a newline — was it cut during transfer\? \(8 field\(s\) "
             r"where the header has 10\)")),
    "truncated-units": both(
        Case(F, "units", rewrite(truncate_last(5), final_newline=False), "units", 4, None,
             r"truncated last line: .*\(5 field\(s\)"),
        Case(O, "units", rewrite(truncate_last(7), final_newline=False), "units", 5, None,
             r"truncated last line: .*\(7 field\(s\)")),
    "truncated-inside-quotes": only(
        Case(O, "jobs", rewrite(replace_last('2023Q4,62063,610,ES,2008,88999,F,35-44,2,"1.'), final_newline=False),
             "jobs", 9, None, r"badly quoted line: unexpected end of data")),
    # The producer added a label column and saved the file as Latin-1 (FLORES: 'déclarée' on line 2 is
    # b'd\xe9clar\xe9e'; ONSS: 'Liège', first on line 8, is b'Li\xe8ge').
    "not-utf8-jobs": both(
        Case(F, "jobs", rewrite(add_column("LIBCJ", 2, {"9220": "Association déclarée", "5458": "SCOP anonyme",
                                                        "5710": "SAS"}), encoding="latin-1"),
             "jobs", 2, None, r"not valid UTF-8 \(byte 0xe9 at character \d+\).*Latin-1"),
        Case(O, "jobs", rewrite(add_column("COMMUNE", 1, {"21004": "Bruxelles", "53053": "Mons", "44021": "Gent",
                                                          "62063": "Liège"}), encoding="latin-1"),
             "jobs", 8, None, r"not valid UTF-8 \(byte 0xe8 at character \d+\).*Latin-1")),
    # FLORES: a Latin-1 letter in a code; ONSS: a Windows-1252 label column.
    "not-utf8-units": both(
        Case(F, "units", rewrite(set_field(4, "APET", "6201É"), encoding="latin-1"), "units", 4, None,
             r"not valid UTF-8 \(byte 0xc9"),
        Case(O, "units", rewrite(add_column("REGION", 1, {"21004": "Bruxelles", "53053": "Wallonie",
                                                          "44021": "Vlaanderen", "62063": "Région wallonne"}),
                                 encoding="cp1252"),
             "units", 5, None, r"not valid UTF-8 \(byte 0xe9")),
    "activity-code-with-dot": both(
        Case(F, "jobs", rewrite(set_field(2, "APET", "88.10A")), "jobs", 2, "APET",
             r"NAF code with a dot; the contract has no dot \(found '88\.10A'\) \[file: "),
        Case(O, "units", rewrite(set_field(4, "NACE", "62.010")), "units", 4, "NACE",
             r"NACE-BEL code with a dot; the contract has no dot \(found '62\.010'\)")),
    "commune-code-too-short": both(
        Case(F, "units", rewrite(set_field(3, "DEPCOM", "5935")), "units", 3, "DEPCOM",
             r"expected a 5-character COG commune code.*\(found '5935'\)"),
        Case(O, "jobs", rewrite(set_field(2, "REFNIS", "2100")), "jobs", 2, "REFNIS",
             r"expected a 5-digit REFNIS commune code \(found '2100'\)")),
    "juridical-form-lost-zero": only(
        Case(O, "jobs", rewrite(set_field(4, "FORME_JURIDIQUE", "17")), "jobs", 4, "FORME_JURIDIQUE",
             r"expected a 3-digit KBO juridical form \(found '17'\)")),
    "agrement-unknown-form": only(
        Case(O, "jobs", rewrite(set_field(7, "AGREMENT", "CNC ES")), "jobs", 7, "AGREMENT",
             r"expected empty, CNC, ES or CNC\+ES \(found 'CNC ES'\)")),
}

CASES = [pytest.param(case, id=f"{rule}-{source}") for rule, cases in RULES.items() for source, case in cases.items()]


def _file(source: Source, which: str) -> str:
    return {"jobs": source.jobs, "units": source.units}[which]


@pytest.mark.parametrize("case", CASES)
def test_a_bad_delivery_is_refused_with_file_line_and_column(tmp_path: Path, case: Case) -> None:
    source = SOURCES[case.source]
    raw = source.make_raw(tmp_path)
    case.mutation(raw / source.loader.FOLDER / _file(source, case.edited), source.sep)
    con = duckdb.connect()
    with pytest.raises(InputError) as excinfo:
        source.loader.load_year(con, raw, 2023)

    error, named = excinfo.value, _file(source, case.named)
    message = str(error)
    assert error.path.name == named
    assert error.line == case.line
    assert error.column == case.column
    assert message.startswith(named), message
    if case.line is not None:
        assert f"line {case.line}" in message
    if case.column is not None:
        assert f"column {case.column}" in message
    assert re.search(case.problem, message), message
    # Nothing staged from a refused delivery.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'src'").fetchone()[0] == 0


# A blank line 4, then a wrong decimal mark on line 6 (was line 5).
BLANK_LINE_THEN = {"flores": set_field(6, "EQTP", "4.75"), "onss": set_field(6, "ETP", '"3,8"')}


@pytest.mark.parametrize("name", SOURCES)
def test_a_blank_line_inside_the_file_does_not_shift_line_numbers(tmp_path: Path, name: str) -> None:
    source = SOURCES[name]
    raw = source.make_raw(tmp_path)
    path = raw / source.loader.FOLDER / source.jobs
    rewrite(lambda lines, sep: lines[:3] + [""] + lines[3:])(path, source.sep)
    rewrite(BLANK_LINE_THEN[name])(path, source.sep)
    with pytest.raises(InputError) as excinfo:
        source.loader.load_year(duckdb.connect(), raw, 2023)
    # Either refuse the blank line itself (line 4) or report the bad value where it is (line 6); not line 5.
    assert excinfo.value.line in (4, 6), str(excinfo.value)

