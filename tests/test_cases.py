"""Documented cases (issue 15, part 3): the case files are checked with messages naming the file, the line and the
field, linked to SIRENE and the KBO, and published in mart.cases beside their territory's indicators.

Every case file, registry row and indicator here is written by hand in the test; the expected values are worked out
from them by hand (the comments say how).
"""

from __future__ import annotations

import errno
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import SAMPLE, build_small_staging

from observatory import cases, cli, publication, schema
from observatory.errors import InputError
from observatory.sources import sirene

THIS_YEAR = date.today().year

SCOP = """\
name: A worker buyout
country: FR
identifier: "483426706"
year: 2014
kind: worker_buyout
jobs_saved: 12
jobs_after: 15
years_after: 5
sources:
  - title: Annual report
    url: https://example.org/report
"""
BE_COOP = """\
name: An energy cooperative
country: BE
identifier: 0238.137.671
year: 2005
kind: creation
jobs_created: 3
disadvantaged_workers: 1
sources:
  - title: Minutes
    reference: general meeting of 2005
synthetic: true
"""

UNIT_HEADER = ("siren,categorieJuridiqueUniteLegale,economieSocialeSolidaireUniteLegale,etatAdministratifUniteLegale,"
               "dateDernierTraitementUniteLegale,dateCreationUniteLegale,dateDebut,activitePrincipaleUniteLegale,"
               "nomenclatureActivitePrincipaleUniteLegale")


def write_sirene(raw: Path) -> None:
    """A SIRENE stock of three legal units: the SCOP 483426706 (Oise, created 2014-09-29, active), an association
    that ceased (Nord) and a unit in no case. The head office of each is in the establishment file, with a second,
    non-head-office establishment of the SCOP elsewhere (Somme) that must not place it."""
    folder = raw / "fr" / "sirene"
    folder.mkdir(parents=True)
    (folder / "StockUniteLegale_utf8.csv").write_text(
        UNIT_HEADER + "\n"
        "483426706,5458,O,A,2024-01-01T00:00:00,2014-09-29,2019-11-19,43.21A,NAFRev2\n"
        "793838889,9220,,C,2023-01-01T00:00:00,2014-04-17,2022-03-13,88.99B,NAFRev2\n"
        "922292461,5458,O,A,2024-01-01T00:00:00,2008-07-28,2020-01-16,71.12B,NAFRev2\n", encoding="utf-8")
    (folder / "StockEtablissement_utf8.csv").write_text(
        "siren,siret,etablissementSiege,codeCommuneEtablissement\n"
        "483426706,48342670600012,false,80021\n"
        "483426706,48342670600020,true,60057\n"
        "793838889,79383888900015,true,59481\n"
        "922292461,92229246100011,true,62165\n", encoding="utf-8")
    for name in ("StockUniteLegale_utf8.csv", "StockEtablissement_utf8.csv"):
        (folder / f"{name}.origin.json").write_text(json.dumps({"reference_period": "2024-12-31"}), encoding="utf-8")


def write_cases(raw: Path, files: dict[str, str]) -> Path:
    folder = raw / "cases"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def staging(con: duckdb.DuckDBPyConnection) -> None:
    """Every published table (conftest), the KBO enterprises the KBO loader keeps, and the indicators of Oise and
    Tournai written by hand."""
    build_small_staging(con)
    con.execute(f"CREATE TABLE src.be_kbo_enterprises ({cases.KBO_COLUMNS})")
    # The cooperative (juridical form 706 -> COOP, type COOP_OTHER by the catch-all rule), seat in Tournai (7500 ->
    # BE328), main activity NACE-BEL 2008 35.110; and an enterprise removed by an update.
    con.execute("""INSERT INTO src.be_kbo_enterprises VALUES
        ('0238.137.671', '2', '706', DATE '2005-09-13', '7500', false, '2008', '35110', NULL, DATE '2025-01-05'),
        ('0209.140.413', '2', '706', DATE '2006-08-09', '8500', false, '2008', '01110', DATE '2025-01-05',
         DATE '2025-01-05')""")
    con.execute("DELETE FROM mart.survival; DELETE FROM mart.establishments")
    # Oise (FRE22): cohorts 2020 and 2021 have a 3-year rate; the latest, 2021, is the one given.
    con.execute("""INSERT INTO mart.survival VALUES
        (2020, 3, 'FR', 'FRE22', 'NUTS3', 'ALL', 100, 60, 60.0, DATE '2024-12-31'),
        (2021, 3, 'FR', 'FRE22', 'NUTS3', 'ALL', 200, 130, 65.0, DATE '2024-12-31'),
        (2021, 3, 'FR', 'FRE22', 'NUTS3', 'COOP', 4, 3, 75.0, DATE '2024-12-31'),
        (2021, 1, 'FR', 'FRE22', 'NUTS3', 'COOP', 4, 4, 100.0, DATE '2024-12-31'),
        (2021, 3, 'FR', 'FWVL_FR', 'AREA', 'COOP', 9, 6, 66.7, DATE '2024-12-31')""")
    # Establishments: Oise in 2023 and 2024 (the latest, 2024, is the one given); Tournai in 2024, no cooperative.
    con.execute("""INSERT INTO mart.establishments VALUES
        (2023, 'FR', 'FRE22', 'NUTS3', 'ALL', 'TOTAL', 900, 300, DATE '2023-12-31'),
        (2024, 'FR', 'FRE22', 'NUTS3', 'ALL', 'TOTAL', 1000, 310, DATE '2024-12-31'),
        (2024, 'FR', 'FRE22', 'NUTS3', 'COOP', 'TOTAL', 12, 8, DATE '2024-12-31'),
        (2024, 'FR', 'FRE22', 'NUTS3', 'COOP', 'F', 5, 3, DATE '2024-12-31'),
        (2024, 'BE', 'BE328', 'NUTS3', 'ALL', 'TOTAL', 400, 90, DATE '2025-01-05')""")


# ------------------------------------------------------------------------------------------------------------
# A good case is linked and published
# ------------------------------------------------------------------------------------------------------------


def test_good_cases_are_linked_and_published_with_their_territorys_indicators(tmp_path):
    raw = tmp_path / "raw"
    write_sirene(raw)
    folder = write_cases(raw, {"scop.yaml": SCOP, "coop.yml": BE_COOP, "README.md": "not a case"})
    con = duckdb.connect()
    staging(con)
    found = cases.read_folder(folder)
    assert [c.case_id for c in found] == ["coop", "scop"]  # the README is no case
    counts = cases.build(con, found, raw, tmp_path / "cache")
    assert counts == {"mart.cases": 2, "linked": 2, "kbo_enterprises_loaded": True}
    info = publication.publish(con, tmp_path / "warehouse")
    published = duckdb.connect(info["path"], read_only=True)
    columns = [c.name for c in schema.CASES.columns]
    rows = {r[0]: dict(zip(columns, r, strict=True))
            for r in published.execute(f"SELECT {', '.join(columns)} FROM mart.cases").fetchall()}
    assert rows["scop"] == {
        "case_id": "scop", "file_name": "scop.yaml", "name": "A worker buyout", "country": "FR",
        "identifier": "483426706", "year": 2014, "kind": "worker_buyout", "summary": None, "jobs_created": None,
        "jobs_saved": 12, "jobs_consolidated": None, "jobs_after": 15, "years_after": 5,
        "disadvantaged_workers": None, "sources": "Annual report <https://example.org/report>", "synthetic": False,
        "registry": "SIRENE", "registry_snapshot_date": date(2024, 12, 31), "state": "active", "ceased_on": None,
        # 5458 is a SCOP: COOP, COOP_WORKER; the head office's commune 60057 is in Oise, FRE22 (not the Somme
        # establishment's).
        "legal_form": "5458", "family": "COOP", "coop_type": "COOP_WORKER", "activity": "43.21A",
        "activity_nomenclature": "NAFRev2", "geo": "FRE22", "created_on": date(2014, 9, 29), "creation_year": 2014,
        # 2014-09-29 to the snapshot 2024-12-31: ten full years.
        "years_survived": 10,
        "survival_cohort": 2021, "survival_rate_3y_all": 65.0, "survival_rate_3y_family": 75.0,
        "establishments_year": 2024, "establishments_family": 12, "establishments_all": 1000,
    }
    assert rows["coop"] == {
        "case_id": "coop", "file_name": "coop.yml", "name": "An energy cooperative", "country": "BE",
        "identifier": "0238.137.671", "year": 2005, "kind": "creation", "summary": None, "jobs_created": 3,
        "jobs_saved": None, "jobs_consolidated": None, "jobs_after": None, "years_after": None,
        "disadvantaged_workers": 1, "sources": "Minutes (general meeting of 2005)", "synthetic": True,
        "registry": "KBO", "registry_snapshot_date": date(2025, 1, 5), "state": "active", "ceased_on": None,
        "legal_form": "706", "family": "COOP", "coop_type": "COOP_OTHER", "activity": "35110",
        "activity_nomenclature": "NACE-BEL 2008", "geo": "BE328", "created_on": date(2005, 9, 13),
        "creation_year": 2005, "years_survived": 19,  # 2005-09-13 to 2025-01-05
        # No Belgian demography yet; no cooperative establishment in Tournai: NULL, not zero.
        "survival_cohort": None, "survival_rate_3y_all": None, "survival_rate_3y_family": None,
        "establishments_year": 2024, "establishments_family": None, "establishments_all": 400,
    }
    comment = published.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'cases'").fetchone()[0]
    assert "self-reported" in comment


def test_a_ceased_unit_and_belgian_cases_before_the_kbo_keeps_its_enterprises(tmp_path):
    """A ceased association is published ceased, its years counted to its cessation; without
    src.be_kbo_enterprises (the KBO loader before it keeps them), a Belgian case is published unlinked."""
    raw = tmp_path / "raw"
    write_sirene(raw)
    ceased = SCOP.replace('"483426706"', '"793838889"').replace("worker_buyout", "inclusion")
    folder = write_cases(raw, {"ceased.yaml": ceased, "coop.yaml": BE_COOP})
    con = duckdb.connect()
    build_small_staging(con)
    counts = cases.build(con, cases.read_folder(folder), raw, tmp_path / "cache")
    assert counts == {"mart.cases": 2, "linked": 1, "kbo_enterprises_loaded": False}
    assert con.execute("SELECT case_id, state, ceased_on, family, geo, years_survived, registry_snapshot_date "
                       "FROM mart.cases ORDER BY case_id").fetchall() == [
        ("ceased", "ceased", date(2022, 3, 13), "ASSOC", "FRE11", 7, date(2024, 12, 31)),  # 2014-04-17 to 2022-03-13
        ("coop", None, None, None, None, None, None),
    ]


# ------------------------------------------------------------------------------------------------------------
# Bad cases: every problem named with its file, line and field
# ------------------------------------------------------------------------------------------------------------


def test_an_identifier_not_in_the_registry_names_the_file_and_the_field(tmp_path):
    raw = tmp_path / "raw"
    write_sirene(raw)
    # 123456782 passes the Luhn check but is not in the stock; the line is that of the identifier.
    folder = write_cases(raw, {"unknown.yaml": SCOP.replace('"483426706"', '"123456782"')})
    con = duckdb.connect()
    staging(con)
    con.execute("DELETE FROM src.be_kbo_enterprises WHERE enterprise = '0238.137.671'")
    write_cases(raw, {"coop.yaml": BE_COOP})
    with pytest.raises(cases.CaseError) as caught:
        cases.build(con, cases.read_folder(folder), raw, tmp_path / "cache")
    assert str(caught.value) == (
        "coop.yaml, line 3, field identifier: unknown identifier: not in the KBO extract of 2025-01-05 "
        "(found '0238.137.671') (and 1 more problem(s) in the case files)\n"
        "- coop.yaml, line 3, field identifier: unknown identifier: not in the KBO extract of 2025-01-05 "
        "(found '0238.137.671')\n"
        "- unknown.yaml, line 3, field identifier: unknown identifier: not in the SIRENE stock of 2024-12-31 "
        "(found '123456782')")
    assert isinstance(caught.value, InputError) and caught.value.line == 3
    assert con.execute("SELECT count(*) FROM mart.cases").fetchone()[0] == 0  # as it was: never the refused rows


def problems_of(tmp_path: Path, text: str, name: str = "case.yaml") -> list[str]:
    folder = write_cases(tmp_path / "raw", {name: text})
    with pytest.raises(cases.CaseError) as caught:
        cases.read_folder(folder)
    return [p.text() for p in caught.value.problems]


def test_negative_jobs(tmp_path):
    assert problems_of(tmp_path, SCOP.replace("jobs_saved: 12", "jobs_saved: -3")) == [
        "case.yaml, line 6, field jobs_saved: negative jobs: counts must be >= 0 (found '-3')"]


def test_a_year_in_the_future(tmp_path):
    assert problems_of(tmp_path, SCOP.replace("year: 2014", f"year: {THIS_YEAR + 1}")) == [
        f"case.yaml, line 4, field year: a year in the future (after {THIS_YEAR}) (found '{THIS_YEAR + 1}')"]


def test_malformed_yaml_names_the_line(tmp_path):
    unclosed = SCOP.replace("kind: worker_buyout", 'kind: "worker_buyout')  # the quote opened on line 5 runs to the end
    assert problems_of(tmp_path, unclosed) == [
        "case.yaml, line 12: malformed YAML: while scanning a quoted scalar (from line 5): found unexpected end of "
        "stream"]
    indented = SCOP.replace("year: 2014", "year: 2014\n  month: 6")  # line 5 indented under a value
    assert problems_of(tmp_path, indented) == [
        "case.yaml, line 5: malformed YAML: mapping values are not allowed here"]


def test_every_problem_of_every_file_is_listed(tmp_path):
    bad = """\
name: Two problems and more
country: FR
identifier: "483426707"
year: 1850
kind: takeover
jobs_saved: 2.5
jobs_after: 3
employees: 4
sources: []
"""
    assert problems_of(tmp_path, bad) == [
        "case.yaml, line 8, field employees: unknown field (fields: name, country, identifier, year, kind, summary, "
        "jobs_created, jobs_saved, jobs_consolidated, jobs_after, years_after, disadvantaged_workers, sources, "
        "synthetic)",
        "case.yaml, line 3, field identifier: bad check digit: not a SIREN (the Luhn check fails) (found '483426707')",
        "case.yaml, line 4, field year: a year before 1900 (found '1850')",
        "case.yaml, line 5, field kind: unknown kind: expected one of creation, worker_buyout, consolidation, "
        "inclusion, social_services (found 'takeover')",
        "case.yaml, line 6, field jobs_saved: wrong type: expected a whole number (found '2.5')",
        "case.yaml, line 9, field sources: wrong type: expected a non-empty list of sources, each {title, url} or "
        "{title, reference}",
        "case.yaml, line 7, field jobs_after: jobs_after and years_after go together: give both or neither",
    ]
    # A second file in the folder: its problems come first (files in name order), then the first file's again.
    bad_be = BE_COOP.replace("0238.137.671", "0238.137.672").replace("name: An energy cooperative\n", "")
    assert problems_of(tmp_path, bad_be, "be.yaml")[:3] == [
        "be.yaml, field name: missing field",
        "be.yaml, line 2, field identifier: bad check digit: not a KBO enterprise number (97 - first 8 digits mod 97 "
        "must be the last 2) (found '0238.137.672')",
        "case.yaml, line 8, field employees: unknown field (fields: name, country, identifier, year, kind, summary, "
        "jobs_created, jobs_saved, jobs_consolidated, jobs_after, years_after, disadvantaged_workers, sources, "
        "synthetic)",
    ]


# ------------------------------------------------------------------------------------------------------------
# The template, the command, the examples
# ------------------------------------------------------------------------------------------------------------


def test_the_template_names_every_field_and_validates_once_filled_in(tmp_path):
    text = cases.template()
    data = yaml.safe_load(text)
    assert list(data) == list(cases.FIELD_NAMES)
    for kind in cases.KINDS:
        assert f"#   {kind}: " in text
    data.update(name="Filled in", country="BE", identifier="0238.137.671", year=2020, kind="consolidation",
                jobs_consolidated=4, sources=[{"title": "Report", "url": "https://example.org/r"}])
    folder = write_cases(tmp_path, {"filled.yaml": yaml.safe_dump(data, allow_unicode=True)})
    (case,) = cases.read_folder(folder)
    assert case.values == {"name": "Filled in", "country": "BE", "identifier": "0238.137.671", "year": 2020,
                           "kind": "consolidation", "jobs_consolidated": 4, "synthetic": False,
                           "sources": [{"title": "Report", "url": "https://example.org/r"}]}


def test_the_cases_command_writes_the_template_and_checks_a_folder(tmp_path, capsys):
    out = tmp_path / "new.yaml"
    assert cli.main(["cases", "template", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == cases.template()
    assert cli.main(["cases", "template", "--out", str(out)]) == 1  # never overwritten
    capsys.readouterr()
    folder = write_cases(tmp_path / "raw", {"good.yaml": SCOP, "bad.yaml": SCOP.replace("jobs_saved: 12",
                                                                                        "jobs_saved: -1")})
    assert cli.main(["cases", "check", str(folder)]) == 1
    assert capsys.readouterr().out == (
        "bad.yaml, line 6, field jobs_saved: negative jobs: counts must be >= 0 (found '-1')\n"
        f"2 case file(s) in {folder}: 1 problem(s)\n")
    (folder / "bad.yaml").unlink()
    assert cli.main(["cases", "check", "--raw-dir", str(tmp_path / "raw")]) == 0
    assert capsys.readouterr().out.startswith(f"1 case file(s) in {folder}: no problem")


def test_the_synthetic_examples_link_to_the_embedded_sample(tmp_path):
    found = cases.read_folder(cases.folder(SAMPLE))
    assert len(found) == 4
    assert all(c["synthetic"] and c["name"].startswith("Synthetic example — ") for c in found)
    con = duckdb.connect()
    build_small_staging(con)
    cases.build(con, found, SAMPLE, tmp_path / "cache")
    assert con.execute("SELECT case_id, state, family, coop_type, geo FROM mart.cases WHERE country = 'FR' "
                       "ORDER BY case_id").fetchall() == [
        ("association_inclusion", "ceased", "ASSOC", None, "FRE11"),
        ("scop_consolidation", "active", "COOP", "COOP_WORKER", "FRE12"),
        ("scop_worker_buyout", "active", "COOP", "COOP_WORKER", "FRE22"),
    ]
    # The Belgian example is a cooperative of the synthetic KBO extract (checked here until the KBO loader keeps
    # src.be_kbo_enterprises, when the build links it).
    with zipfile.ZipFile(next((SAMPLE / "be" / "kbo").glob("*_Full.zip"))) as archive:
        enterprises = archive.read("enterprise.csv").decode("utf-8")
    (be,) = [c for c in found if c["country"] == "BE"]
    assert any(line.startswith(f'"{be["identifier"]}"') and ',"706",' in line for line in enterprises.splitlines())


def test_a_bad_case_fails_the_step_with_its_message(tmp_path):
    """Through Dagster: the step mart_cases fails with the case's message as its cause (raw folder of the sample's
    SIRENE stock and a bad case; only the cases' step and what it reads are materialised)."""
    import dagster as dg

    from observatory.errors import step_failure
    from pipelines import assets
    from pipelines.resources import Warehouse

    raw = tmp_path / "raw"
    (raw / "fr").mkdir(parents=True)
    shutil.copytree(SAMPLE / "fr" / "sirene", raw / "fr" / "sirene")
    write_cases(raw, {"bad.yaml": SCOP.replace("year: 2014", f"year: {THIS_YEAR + 1}")})
    result = dg.materialize(
        [assets.nomenclatures_table, assets.mart_cases],
        resources={"warehouse": Warehouse(raw_dir=str(raw), warehouse_dir=str(tmp_path / "warehouse"))},
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False,
    )
    assert not result.success
    (failure,) = [step_failure(e) for e in result.all_events if e.is_step_failure]
    assert failure.summary() == (f"- step mart_cases: bad.yaml, line 4, field year: a year in the future (after "
                                 f"{THIS_YEAR}) (found '{THIS_YEAR + 1}')")


def test_the_french_lookup_reads_typed_parquet_as_the_stock_step_does(tmp_path):
    """The same stock as Parquet with typed columns (siren as an integer, dates as dates, etablissementSiege as a
    boolean), as a typed writer would give it: the same units, with their leading zeros."""
    csv_raw, parquet_raw = tmp_path / "csv", tmp_path / "parquet"
    write_sirene(csv_raw)
    folder = parquet_raw / "fr" / "sirene"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    units = csv_raw / "fr" / "sirene" / "StockUniteLegale_utf8.csv"
    establishments = csv_raw / "fr" / "sirene" / "StockEtablissement_utf8.csv"
    con.execute(f"""COPY (SELECT * REPLACE (CAST(siren AS INTEGER) AS siren) FROM read_csv('{units}',
                        types = {{'dateCreationUniteLegale': 'DATE', 'dateDebut': 'DATE'}})
                        UNION ALL SELECT 12345678, '5458', 'O', 'A', NULL, DATE '2001-02-03', NULL, NULL, NULL)
                    TO '{folder / "StockUniteLegale_utf8.parquet"}'""")
    con.execute(f"""COPY (SELECT * REPLACE (CAST(siren AS INTEGER) AS siren, CAST(etablissementSiege AS BOOLEAN)
                                            AS etablissementSiege) FROM read_csv('{establishments}', all_varchar = true)
                          UNION ALL SELECT 12345678, '01234567800011', true, '59350')
                    TO '{folder / "StockEtablissement_utf8.parquet"}'""")
    lookup = ["012345678", "483426706", "793838889"]
    assert sirene.lookup_units(con, parquet_raw, tmp_path / "cache", lookup) is None  # no sidecar, no stage
    parquet = con.execute("SELECT * EXCLUDE (snapshot_date) FROM src.fr_sirene_case_units").fetchall()
    assert sirene.lookup_units(con, csv_raw, tmp_path / "cache", lookup) == date(2024, 12, 31)
    from_csv = con.execute("SELECT * EXCLUDE (snapshot_date) FROM src.fr_sirene_case_units").fetchall()
    assert parquet[0] == ("012345678", "A", "5458", "O", date(2001, 2, 3), None, None, None, "59350", "59")
    assert parquet[1:] == from_csv == [
        ("483426706", "A", "5458", "O", date(2014, 9, 29), None, "43.21A", "NAFRev2", "60057", "60"),
        ("793838889", "C", "9220", "", date(2014, 4, 17), date(2022, 3, 13), "88.99B", "NAFRev2", "59481", "59"),
    ]


def test_a_file_saved_with_a_bom_and_a_misspelt_field(tmp_path):
    folder = write_cases(tmp_path, {"bom.yaml": "\ufeff" + SCOP})
    assert [c.case_id for c in cases.read_folder(folder)] == ["bom"]
    assert problems_of(tmp_path, SCOP.replace("jobs_saved:", "job_saved:"), "typo.yaml") == [
        "typo.yaml, line 6, field job_saved: unknown field; did you mean jobs_saved?",
        "typo.yaml: no jobs figure: give at least one of jobs_created, jobs_saved, jobs_consolidated"]


REAL_SIRENE = Path(__file__).parent / "fixtures" / "real" / "sirene"
# By hand from the real rows: state, categorieJuridiqueUniteLegale, ESS flag, dateCreationUniteLegale, the
# cessation (dateDebut of a ceased unit), APE and its nomenclature, then the head office's commune in the
# hand-written establishments and its département.
REAL_UNITS = [
    ("054501754", "A", "5699", "N", date(1954, 1, 1), None, "64.20Z", "NAFRev2", "62041", "62"),
    ("057808172", "C", "5710", "N", date(1957, 1, 1), date(2026, 1, 1), "66.22Z", "NAFRev2", "59350", "59"),
]


def real_stock(raw: Path, units: str | None = None) -> None:
    """The real legal units of tests/fixtures/real/sirene (or ``units``, edited from them) and their establishments."""
    folder = raw / "fr" / "sirene"
    folder.mkdir(parents=True)
    shutil.copy(REAL_SIRENE / "StockEtablissement_utf8.csv", folder)
    text = units if units is not None else real_units_text()
    (folder / "StockUniteLegale_utf8.csv").write_bytes(text.encode("utf-8"))


def looked_up(raw: Path, cache: Path) -> list[tuple]:
    con = duckdb.connect()
    sirene.lookup_units(con, raw, cache, [u[0] for u in REAL_UNITS])
    return con.execute("SELECT * EXCLUDE (snapshot_date) FROM src.fr_sirene_case_units").fetchall()


def real_units_text() -> str:
    return (REAL_SIRENE / "StockUniteLegale_utf8.csv").read_text(encoding="utf-8")


def test_a_csv_lookup_parses_only_the_header_and_the_lines_of_the_wanted_sirens(tmp_path):
    """Each national CSV is read as whole lines, unsplit, for those that start with a wanted siren; only they are
    parsed into fields (issue 14: 17 s became 6 s nationally)."""
    real_stock(tmp_path)
    units = sirene._File(*(2 * [tmp_path / "fr" / "sirene" / "StockUniteLegale_utf8.csv"]))
    seen = []
    sirene._read_lines_first(duckdb.connect(), units, ["057808172", "054501754"], tmp_path / "cache",
                             lambda file: seen.append((file.raw, file.data.read_text(encoding="utf-8"))))
    lines = real_units_text().splitlines(keepends=True)
    assert seen == [(units.raw, lines[0] + lines[4] + lines[6])]  # the header, 054501754, 057808172: file order
    assert looked_up(tmp_path, tmp_path / "cache") == REAL_UNITS
    assert not any((tmp_path / "cache").rglob("*.csv"))  # the lines kept are not left behind


@pytest.mark.parametrize(("edit", "units_read"), [
    ("line break in a wanted record", ["kept lines", "whole file"]),
    ("line break in another record", ["kept lines", "whole file"]),
    ("whole-line delimiter", ["whole file"]),
    ("CRLF", ["kept lines"]),
    ("no room for the lines kept", ["whole file"]),
])
def test_a_csv_lookup_whose_lines_are_not_one_record_each_reads_the_whole_file(tmp_path, monkeypatch, edit,
                                                                               units_read):
    """A quoted line break makes a record two lines: the wanted record's lines kept cannot be parsed, nor a second
    line that happens to start with a wanted siren (here after the line break of another unit's name); either way
    the whole file is then parsed, with the same units found. A line holding the unit separator, which the
    whole-line read splits on, sends it to the whole file at once, as does a disk with no room to write the lines
    kept; CRLF line ends do not."""
    reads, source = [], sirene._source

    def spy(con, file, required, *args, **kwargs):
        if required == sirene.UNIT_COLUMNS:
            reads.append("whole file" if file.data == file.raw else "kept lines")
        return source(con, file, required, *args, **kwargs)

    monkeypatch.setattr(sirene, "_source", spy)
    text = real_units_text()
    if edit == "line break in a wanted record":
        text = text.replace("SET - HUILLIER - SOCIETE", '"SET - HUILLIER\n- SOCIETE', 1).replace(
            "TRANSPORTS,", 'TRANSPORTS",', 1)
    elif edit == "line break in another record":
        text = text.replace(",ETS J VIRLY S A,", ',"ETS J VIRLY\n057808172,X",', 1)
    elif edit == "whole-line delimiter":
        text = text.replace("DELTA ASSURANCES", "DELTA\x1fASSURANCES", 1).replace("PROX-HYDRO", "PROX\x1fHYDRO", 1)
    elif edit == "CRLF":
        text = text.replace("\n", "\r\n")
    else:
        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(sirene.tempfile, "TemporaryDirectory", full)
    real_stock(tmp_path, text)
    assert looked_up(tmp_path, tmp_path / "cache") == REAL_UNITS
    assert reads == units_read
