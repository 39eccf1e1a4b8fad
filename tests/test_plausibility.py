"""Plausibility (issue 11): one settings file for every threshold; a delivery line with an impossible count is refused
while it is read; the plausibility checks of the outputs fail on hand-made cells and pass on the embedded sample.

Delivery cases edit a copy of the hand-written FLORES and ONSS fixtures (tests/fixtures/flores, onss); output
cases build a working database from a few harmonised rows, so every expected figure is computed by hand.
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
from conftest import JOBS_INSERT, UNITS_INSERT, type_cooperatives

from observatory import checks, cli, harmonise, mart, population
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
    assert {n: s.severity for n, s in SETTINGS.items() if s.enforced.startswith("jobs_")} == {
        "max_jobs_per_resident": "blocking", "max_year_on_year_factor": "warning",
        "min_jobs_for_year_on_year": "warning", "max_jobs_per_unit": "warning", "min_jobs_per_unit": "warning",
        "min_units_for_jobs_per_unit": "warning"}


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
    ("flores-fte-15-digits", "flores", FLORES_FILES[0], 2, "EQTP", "999999999999999,5"),  # longer: refused by its form
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


# --- the outputs -------------------------------------------------------------------------------------------------


def _staging(jobs: list[tuple], units: list[tuple], residents: list[tuple] = ()) -> duckdb.DuckDBPyConnection:
    """A working database with the jobs cells and the population built from hand-made harmonised rows.

    jobs: (year, country, geo, family, common, jobs), one row each at sex F, age Y25-34, sector O-Q;
    units: (year, country, geo, family, common, units, max_unit_jobs); residents: (year, country, geo, population)
    of sex T, all ages."""
    con = duckdb.connect()
    con.execute(harmonise.DDL)
    for year, country, geo, family, common, n in jobs:
        con.execute(JOBS_INSERT + "(?, ?, ?, ?, false, ?, ?, 'O-Q', 'F', 'Y25-34', ?, NULL, 0, 1)",
                    [year, country, geo, family, common, common, n])
    for year, country, geo, family, common, n, largest in units:
        con.execute(UNITS_INSERT + "(?, ?, ?, ?, false, ?, ?, 'O-Q', ?, ?)",
                    [year, country, geo, family, common, common, n, largest])
    type_cooperatives(con)
    con.execute(population.DDL)
    for year, country, geo, n in residents:
        con.execute("INSERT INTO harmonised.population VALUES (?, ?, ?, 'T', 'TOTAL', ?, NULL, NULL, "
                    "'eu_eurostat_population', 1, 1)", [year, country, geo, n])
    mart.build_population(con)
    mart.build_jobs(con)
    return con


def test_more_jobs_than_residents_is_found_with_the_population_of_the_next_year_or_the_nearest():
    con = _staging(
        jobs=[(2022, "FR", "FRE11", "ASSOC", True, 1_000), (2023, "FR", "FRE11", "ASSOC", True, 2_500),
              (2023, "BE", "BE328", "COOP", True, 2_100)],
        units=[(2022, "FR", "FRE11", "ASSOC", True, 10, 200), (2023, "FR", "FRE11", "ASSOC", True, 10, 300),
               (2023, "BE", "BE328", "COOP", True, 30, 100)],
        # 2024 is the year after 2023; for 2022 the year after (2023) is missing: the nearest, 2024, is taken.
        # The sides and the area have no population (their other NUTS3 are missing): nothing to compare there.
        residents=[(2024, "FR", "FRE11", 2_000), (2024, "BE", "BE328", 10_000), (2021, "FR", "FRE11", 500)])
    found = checks.jobs_within_population(con)
    assert found.problems == ["2023 FRE11: 2,500 jobs for 2,000 residents (1 January 2024), 1.25 per resident > 1"]
    assert found.worst == "2023 FRE11: 2,500 jobs for 2,000 residents (1 January 2024), 1.25 per resident"
    assert found.compared == 3  # FRE11 2022 (0.50 with 2024, not 2.00 with 2021), FRE11 2023, BE328 2023 (0.21)
    assert found.thresholds == {"max_jobs_per_resident": 1.0}
    assert checks.jobs_within_population(con, Thresholds(max_jobs_per_resident=1.25)).problems == []


def test_without_a_population_there_is_nothing_to_compare():
    con = _staging(jobs=[(2023, "FR", "FRE11", "ASSOC", True, 2_500)], units=[(2023, "FR", "FRE11", "ASSOC", True, 10, 9)])
    assert checks.jobs_within_population(con) == checks.Plausibility([], None, {"max_jobs_per_resident": 1.0}, 0)


def test_a_jump_beyond_x2_or_half_is_found_for_cells_of_at_least_1000_jobs():
    con = _staging(
        jobs=[(2022, "FR", "FRE11", "ASSOC", True, 1_000), (2023, "FR", "FRE11", "ASSOC", True, 2_500),
              (2022, "BE", "BE328", "COOP", True, 2_000), (2023, "BE", "BE328", "COOP", True, 2_100),
              # x9, but under 1,000 jobs in both years: one establishment can do that.
              (2022, "BE", "BE329", "FOUND", False, 100), (2023, "BE", "BE329", "FOUND", False, 900)],
        units=[(y, c, g, f, k, 10, 50) for y, c, g, f, k, _ in
               [(2022, "FR", "FRE11", "ASSOC", True, 0), (2023, "FR", "FRE11", "ASSOC", True, 0),
                (2022, "BE", "BE328", "COOP", True, 0), (2023, "BE", "BE328", "COOP", True, 0),
                (2022, "BE", "BE329", "FOUND", False, 0), (2023, "BE", "BE329", "FOUND", False, 0)]])
    found = checks.jobs_year_on_year(con)
    # By hand: FRE11 and FWVL_FR go from 1,000 to 2,500 (x2.5) for ASSOC, ESS and ALL; the area FWVL goes from
    # 1,000 to 2,500 for ASSOC only (its ALL: 3,100 -> 5,500, x1.77; ESS 3,000 -> 4,600, x1.53); BE: at most x1.05
    # (FWVL_BE ALL 2,100 -> 3,000, x1.43).
    assert found.problems == [f"{cell} 2022->2023: 1,000 -> 2,500 jobs (x2.50), beyond x2 or /2" for cell in (
        "FRE11 ALL", "FRE11 ASSOC", "FRE11 ESS", "FWVL ASSOC", "FWVL_FR ALL", "FWVL_FR ASSOC", "FWVL_FR ESS")]
    assert found.worst == "FRE11 ALL 2022->2023: 1,000 -> 2,500 jobs (x2.50)"
    assert found.thresholds == {"max_year_on_year_factor": 2.0, "min_jobs_for_year_on_year": 1000}
    assert checks.jobs_year_on_year(con, Thresholds(max_year_on_year_factor=2.5)).problems == []


def test_a_territory_missing_from_a_year_is_a_jump_to_zero_and_exactly_x2_is_not_flagged():
    con = _staging(
        jobs=[(2022, "FR", "FRE11", "ASSOC", True, 1_000), (2023, "FR", "FRE11", "ASSOC", True, 2_000),
              (2022, "BE", "BE328", "COOP", True, 1_500)],  # BE328 is not delivered for 2023
        units=[(2022, "FR", "FRE11", "ASSOC", True, 10, 50), (2023, "FR", "FRE11", "ASSOC", True, 10, 50),
               (2022, "BE", "BE328", "COOP", True, 10, 50)])
    found = checks.jobs_year_on_year(con)
    assert [p.split(":")[0] for p in found.problems] == [
        # The cooperative's type (COOP_OTHER) is a published family too.
        f"{cell} 2022->2023" for cell in ("BE328 ALL", "BE328 COOP", "BE328 COOP_OTHER", "BE328 ESS", "FWVL COOP",
                                          "FWVL COOP_OTHER", "FWVL_BE ALL", "FWVL_BE COOP", "FWVL_BE COOP_OTHER",
                                          "FWVL_BE ESS")]
    assert found.problems[0] == "BE328 ALL 2022->2023: 1,500 -> 0 jobs (/inf), beyond x2 or /2"
    assert not any(p.startswith(("FRE11", "FWVL_FR")) for p in found.problems)  # 1,000 -> 2,000 is x2 exactly


def test_jobs_per_unit_out_of_range_is_found_for_cells_of_at_least_10_units():
    con = _staging(
        jobs=[(2023, "FR", "FRE11", "ASSOC", True, 20_000), (2023, "FR", "FRE11", "NONE", False, 30),
              (2023, "FR", "FRE12", "FOUND", True, 3_000),
              (2023, "BE", "BE328", "COOP", True, 6), (2023, "BE", "BE328", "ASSOC", True, 5)],
        units=[(2023, "FR", "FRE11", "ASSOC", True, 10, 2_500), (2023, "FR", "FRE11", "NONE", False, 40, 3),
               (2023, "FR", "FRE12", "FOUND", True, 1, 3_000),  # one big unit: not an average, not compared
               (2023, "BE", "BE328", "COOP", True, 12, 1), (2023, "BE", "BE328", "ASSOC", True, 12, 1)])
    found = checks.jobs_per_unit(con)
    # By hand: FRE11 ASSOC and ESS 20,000 / 10 = 2,000 (2x the maximum); FRE11 ALL 20,030 / 50 = 400.6 is in range
    # (NONE, outside the common definition, is counted in ALL only); BE328 ASSOC 5 / 12 = 0.42, ESS and ALL
    # 11 / 24 = 0.46 are below 0.5; BE328 COOP 6 / 12 = 0.5 is the minimum itself.
    assert found.problems == [
        "2023 FRE11 ASSOC: 20,000 jobs in 10 units, 2000.00 per unit, outside 0.5 to 1000",
        "2023 FRE11 ESS: 20,000 jobs in 10 units, 2000.00 per unit, outside 0.5 to 1000",
        "2023 BE328 ASSOC: 5 jobs in 12 units, 0.42 per unit, outside 0.5 to 1000",
        "2023 BE328 ALL: 11 jobs in 24 units, 0.46 per unit, outside 0.5 to 1000",
        "2023 BE328 ESS: 11 jobs in 24 units, 0.46 per unit, outside 0.5 to 1000"]
    assert found.worst == "2023 FRE11 ASSOC: 20,000 jobs in 10 units, 2000.00 per unit"
    # FRE11 ASSOC, ESS, ALL and BE328 COOP, COOP_OTHER (its type), ASSOC, ESS, ALL; FRE12 has 1 unit.
    assert found.compared == 8


# --- through Dagster, on the embedded sample ---------------------------------------------------------------------


def materialize(raw: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    instance = dg.DagsterInstance.ephemeral()
    return dg.materialize([*ALL_ASSETS, *ALL_CHECKS],
                          resources={"warehouse": Warehouse(raw_dir=str(raw), warehouse_dir=str(warehouse))},
                          instance=instance, tags=all_years_tags(instance, raw), raise_on_error=False)


def _edit_sample(raw: Path, relative: str, sep: str, change) -> None:
    """Rewrite the data lines of a sample file through ``change(fields) -> fields`` (None: leave the line)."""
    path = raw / relative
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(sep)
    out = [lines[0]]
    for line in lines[1:]:
        fields = change(dict(zip(header, line.split(sep), strict=True)))
        out.append(sep.join(fields.values()) if fields else line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


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


def test_a_count_under_the_line_bound_but_above_the_residents_stops_the_publication(tmp_path):
    # 9,000,000 jobs on one line passes the per-line bound, but line 5 is in the Ardennes (FRE21, about half a
    # million residents): the blocking check stops the run before anything is published.
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    _set(raw / "fr" / "flores" / "flores_postes_2023.csv", 5, "POSTES", "9000000", ";")

    result = materialize(raw, tmp_path / "warehouse")
    assert not result.success
    assert not (tmp_path / "warehouse" / "observatory.duckdb").exists()
    evaluation = next(e for e in result.get_asset_check_evaluations() if e.check_name == "jobs_within_population")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    problems = evaluation.metadata["problems"].value
    # The Ardennes, the French side and the whole area, in 2023 only, the worst first.
    assert [p.split(":")[0] for p in problems] == ["2023 FRE21", "2023 FWVL_FR", "2023 FWVL"]
    assert re.fullmatch(r"2023 FRE21: 9,1\d\d,\d{3} jobs for \d{3},\d{3} residents \(1 January 2024\), "
                        r"1\d\.\d\d per resident", evaluation.metadata["worst_cell"].value)
    assert f"- check jobs_within_population failed: {evaluation.description}" in cli.run_problems(result)


def test_a_tripled_arrondissement_is_published_with_a_year_on_year_warning(tmp_path):
    # Every 2024 job of arrondissement 93 (Philippeville, BE353) times 3: about 8,500 -> 25,500 jobs, still far
    # under its residents (0.37 per resident) and with the same units, so only the jump is implausible.
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)

    def triple(fields: dict) -> dict | None:
        if not fields["REFNIS"].startswith("93"):
            return None
        return {**fields, "POSTES": str(3 * int(fields["POSTES"]))}

    _edit_sample(raw, "be/onss/onss_postes_2024Q4.csv", ",", triple)
    result = materialize(raw, tmp_path / "warehouse")
    assert result.success
    assert (tmp_path / "warehouse" / "observatory.duckdb").exists()

    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    failed = {name: e for name, e in evaluations.items() if not e.passed}
    assert set(failed) == {"jobs_year_on_year_plausible"}
    # The other two compared the sample's cells and found them plausible.
    for name in ("jobs_within_population", "jobs_per_unit_plausible"):
        assert evaluations[name].passed and evaluations[name].metadata["cells_compared"].value > 0, name
    within = evaluations["jobs_within_population"]
    assert re.fullmatch(r"\d+ cells within max_jobs_per_resident = 1; nearest: \d{4} BE\w+: .* per resident",
                        within.description), within.description
    evaluation = failed["jobs_year_on_year_plausible"]
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    problems = evaluation.metadata["problems"].value
    assert problems and all(p.startswith("BE353 ") and " 2023->2024: " in p for p in problems)
    assert "BE353 ALL 2023->2024" in "; ".join(problems)
    worst = evaluation.metadata["worst_cell"].value
    assert worst == problems[0].removesuffix(", beyond x2 or /2")
    assert 2.5 < float(re.search(r"\(x([\d.]+)\)", worst).group(1)) <= 3.5
    assert evaluation.metadata["thresholds"].value == {"max_year_on_year_factor": 2.0,
                                                       "min_jobs_for_year_on_year": 1000}
    assert [line for line in cli.run_problems(result) if "jobs_year_on_year_plausible" in line] == [
        f"- warning from check jobs_year_on_year_plausible: {evaluation.description}"]
