"""Plausibility (issue 11): one settings file for every threshold; a delivery line with an impossible count is refused
while it is read.

Delivery cases edit a copy of the hand-written FLORES and ONSS fixtures (tests/fixtures/flores, onss).
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import tomllib
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from observatory import cli
from observatory.config import LOAD, SETTINGS, THRESHOLDS_FILE, Thresholds, load_settings, thresholds_markdown
from observatory.delivery import load_delivery
from observatory.errors import InputError
from observatory.sources import flores, onss
from pipelines.assets import ALL_ASSETS
from pipelines.checks import ALL_CHECKS
from pipelines.definitions import all_years_tags
from pipelines.resources import Warehouse

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "raw"
FIXTURES = Path(__file__).parent / "fixtures"
BOUND = 10_000_000


# --- the settings file -------------------------------------------------------------------------------------------


def test_every_threshold_is_one_entry_of_the_settings_file():
    assert set(SETTINGS) == set(Thresholds.__dataclass_fields__)
    assert {name: getattr(Thresholds(), name) for name in SETTINGS} == {n: s.value for n, s in SETTINGS.items()}
    assert Thresholds().max_count_per_delivery_line == BOUND
    for setting in SETTINGS.values():
        assert setting.meaning and setting.reason, setting.name


def test_each_threshold_names_where_it_is_enforced_with_its_severity():
    specs = {spec.name: spec for check in ALL_CHECKS for spec in check.check_specs}
    for setting in SETTINGS.values():
        if setting.enforced == LOAD:
            continue
        assert setting.enforced in specs, f"{setting.name}: no asset check {setting.enforced}"
        assert specs[setting.enforced].blocking == (setting.severity == "blocking"), setting.name
    assert SETTINGS["max_count_per_delivery_line"].enforced == LOAD


def test_the_methodology_lists_the_thresholds_as_the_file_has_them():
    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    assert thresholds_markdown() in text, "paste observatory.config.thresholds_markdown() into docs/methodology.md"
    assert "`max_count_per_delivery_line` = 10 000 000** (blocking, refused while loading the delivery; the value " \
           "is the project's judgement)" in text


def test_the_settings_file_is_package_data():
    with open(ROOT / "pyproject.toml", "rb") as file:
        patterns = tomllib.load(file)["tool"]["setuptools"]["package-data"]["observatory"]
    relative = THRESHOLDS_FILE.relative_to(ROOT / "observatory").as_posix()
    assert any(fnmatch.fnmatch(relative, p) for p in patterns), patterns


@pytest.mark.parametrize(("entry", "problem"), [
    ('value = 1\nseverity = "blocking"\nenforced = "load"\nmeaning = "m"\nreason = "r"\n', "expected exactly the keys"),
    ('value = 1\nseverity = "fatal"\nenforced = "load"\nmeaning = "m"\nreason = "r"\njudgement = true\n',
     "severity 'fatal' is not one of blocking, warning"),
    ('value = true\nseverity = "warning"\nenforced = "load"\nmeaning = "m"\nreason = "r"\njudgement = true\n',
     "value True is not a number >= 0"),
])
def test_a_malformed_entry_names_itself(tmp_path, entry: str, problem: str):
    path = tmp_path / "thresholds.toml"
    path.write_text(f"[bound]\n{entry}", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"thresholds.toml [bound]: {problem}")):
        load_settings(path)


# --- one line of a delivery --------------------------------------------------------------------------------------


def _raw(tmp_path: Path, source: str, names: tuple[str, str]) -> Path:
    raw = tmp_path / "raw"
    module = flores if source == "flores" else onss
    (raw / module.FOLDER).mkdir(parents=True)
    for name in names:
        shutil.copyfile(FIXTURES / source / name, raw / module.FOLDER / name)
    return raw


def _set(path: Path, line: int, column: str, value: str, sep: str) -> None:
    """Put ``value`` in ``column`` on file line ``line`` (the fixtures have no quoted field: a split is exact)."""
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    cells = lines[line - 1].split(sep)
    cells[lines[0].split(sep).index(column)] = value
    lines[line - 1] = sep.join(cells)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode("utf-8"))


FLORES_FILES = ("flores_postes_2023.csv", "flores_etablissements_2023.csv")
ONSS_FILES = ("onss_postes_2023Q4.csv", "onss_unites_2023Q4.csv")

# (id, source, file edited, line, column, value): each value is above the bound of 10,000,000 on its line.
IMPLAUSIBLE = [
    ("flores-jobs-issue-11", "flores", FLORES_FILES[0], 5, "POSTES", "999999999999999"),
    ("flores-jobs-just-above", "flores", FLORES_FILES[0], 3, "POSTES", "10000001"),
    ("flores-fte", "flores", FLORES_FILES[0], 2, "EQTP", "10000000,5"),
    ("flores-fte-any-length", "flores", FLORES_FILES[0], 2, "EQTP", "9" * 400),
    ("flores-units", "flores", FLORES_FILES[1], 3, "NBETAB", "12000000"),
    ("flores-largest-unit", "flores", FLORES_FILES[1], 2, "POSTES_MAX_ETAB", "50000000"),
    ("onss-jobs-issue-11", "onss", ONSS_FILES[0], 6, "POSTES", "999999999999999"),
    ("onss-fte", "onss", ONSS_FILES[0], 3, "ETP", "20000000.25"),
    ("onss-units", "onss", ONSS_FILES[1], 4, "NB_UNITES", "10000001"),
    ("onss-largest-unit", "onss", ONSS_FILES[1], 5, "POSTES_MAX_UNITE", "999999999999999"),
]


@pytest.mark.parametrize(("source", "name", "line", "column", "value"), [c[1:] for c in IMPLAUSIBLE],
                         ids=[c[0] for c in IMPLAUSIBLE])
def test_a_count_above_the_bound_is_refused_naming_file_line_column_value_and_bound(
        tmp_path, source: str, name: str, line: int, column: str, value: str):
    files = FLORES_FILES if source == "flores" else ONSS_FILES
    module = flores if source == "flores" else onss
    raw = _raw(tmp_path, source, files)
    _set(raw / module.FOLDER / name, line, column, value, ";" if source == "flores" else ",")
    con = duckdb.connect()
    with pytest.raises(InputError) as excinfo:
        module.load_year(con, raw, 2023)
    error = excinfo.value
    assert (error.path.name, error.line, error.column, error.value) == (name, line, column, value)
    assert str(error).startswith(f"{name}, line {line}, column {column}: implausible count: above 10,000,000 on one "
                                 "line, more than a whole country's employment (max_count_per_delivery_line in "
                                 f"thresholds.toml) (found '{value}')")
    # Nothing of a refused delivery is staged.
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'src'").fetchone()[0] == 0


@pytest.mark.parametrize(("source", "name", "line", "column"), [
    ("flores", FLORES_FILES[0], 5, "POSTES"), ("onss", ONSS_FILES[0], 6, "POSTES")])
def test_a_count_equal_to_the_bound_loads(tmp_path, source: str, name: str, line: int, column: str):
    files = FLORES_FILES if source == "flores" else ONSS_FILES
    module = flores if source == "flores" else onss
    raw = _raw(tmp_path, source, files)
    _set(raw / module.FOLDER / name, line, column, str(BOUND), ";" if source == "flores" else ",")
    con = duckdb.connect()
    module.load_year(con, raw, 2023)
    table = "src.fr_flores_jobs" if source == "flores" else "src.be_onss_jobs"
    assert con.execute(f"SELECT jobs FROM {table} WHERE line = ?", [line]).fetchone() == (BOUND,)


def test_the_bound_is_the_one_given(tmp_path):
    # Line 3 of the FLORES fixture has 12 jobs, the largest of the file: a bound of 11 refuses it, 12 does not.
    path = FIXTURES / "flores" / FLORES_FILES[0]
    con = duckdb.connect()
    assert load_delivery(con, path, flores.JOBS, "_jobs", Thresholds(max_count_per_delivery_line=12)) == 7
    with pytest.raises(InputError, match=r"line 3, column POSTES: implausible count: above 11 on one line") as excinfo:
        load_delivery(con, path, flores.JOBS, "_jobs", Thresholds(max_count_per_delivery_line=11))
    assert excinfo.value.value == "12"


# --- through Dagster, on the embedded sample ---------------------------------------------------------------------


def materialize(raw: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize([*ALL_ASSETS, *ALL_CHECKS],
                          resources={"warehouse": Warehouse(raw_dir=str(raw), warehouse_dir=str(warehouse))},
                          tags=all_years_tags(), raise_on_error=False)


def test_the_issue_11_count_stops_the_build_with_one_clear_line_and_publishes_nothing(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    path = raw / "fr" / "flores" / "flores_postes_2023.csv"
    _set(path, 5, "POSTES", "999999999999999", ";")

    result = materialize(raw, tmp_path / "warehouse")
    assert not result.success
    expected = ("flores_postes_2023.csv, line 5, column POSTES: implausible count: above 10,000,000 on one line, more "
                "than a whole country's employment (max_count_per_delivery_line in thresholds.toml) "
                f"(found '999999999999999') [file: {path}]")
    assert cli.run_problems(result) == [f"- step fr_flores: {expected}"]
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_failure_data.user_failure_data.metadata["line"].value == 5
    assert not (tmp_path / "warehouse" / "observatory.duckdb").exists()
