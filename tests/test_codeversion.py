"""An asset's code version is the digest of the files it runs: it changes with a declared SQL, mapping or library
file (or one a declared module imports), and not with any other file. Edits are made in a copy of the package."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from observatory import codeversion, harmonise
from observatory.codeversion import Code, DeclarationError
from observatory.sources import sirene
from pipelines.assets import ALL_ASSETS, CODE

BE_JOBS = Code(sql=["classify_be_jobs.sql"], modules=[harmonise])


@pytest.fixture
def package(tmp_path) -> Path:
    """A copy of the observatory package's files."""
    copy = tmp_path / "observatory"
    shutil.copytree(codeversion.ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_copy_has_the_checkouts_version(package):
    assert BE_JOBS.digests(package) == BE_JOBS.digests()


def test_a_declared_file_changes_the_version_and_is_named(package):
    before = BE_JOBS.digests(package)
    # be_legal_forms.csv is read by the SQL (nom.be_legal_forms), not declared by hand.
    _edit(package / "nomenclatures" / "be_legal_forms.csv", "10,017,,ASSOC,", "10,017,,FOUND,")
    after = BE_JOBS.digests(package)
    assert codeversion.version(after) != codeversion.version(before)
    assert codeversion.changed(before, after) == ["nomenclatures/be_legal_forms.csv"]


@pytest.mark.parametrize("path", ["nomenclatures/fr_legal_forms.csv",  # read by the French SQL only
                                  "sql/classify_fr_jobs.sql", "sample/kbo.py", "sources/kbo.py", "cli.py"])
def test_an_undeclared_file_leaves_the_version_alone(package, path):
    before = BE_JOBS.version(package)
    with (package / path).open("a", encoding="utf-8") as file:
        file.write("\n")
    assert BE_JOBS.version(package) == before


@pytest.mark.parametrize(("path", "why"), [
    ("rejects.py", "imported by harmonise.py"),
    ("schema.py", "imported by nomenclatures/__init__.py, which harmonise.py imports"),
    ("nomenclatures/indicators.csv", "read by schema.py when imported"),
    ("nomenclatures/nace21_nace2.csv", "nom.nace21_classes is derived from it"),
    ("sql/classify_be_jobs.sql", "declared"),
])
def test_what_the_declared_files_bring_changes_the_version(package, path, why):
    before = BE_JOBS.digests(package)
    with (package / path).open("a", encoding="utf-8") as file:
        file.write("\n")
    assert codeversion.changed(before, BE_JOBS.digests(package)) == [path], why


def test_an_import_added_inside_a_function_is_followed(package):
    assert "textfile.py" not in BE_JOBS.files(package)
    _edit(package / "harmonise.py", "def harmonise_registry(", "def _later():\n    from observatory import textfile\n"
          "    return textfile\n\n\ndef harmonise_registry(")
    assert {"textfile.py", "safezip.py"} <= set(BE_JOBS.files(package))  # and what textfile imports


def test_a_module_added_under_a_name_already_imported_is_followed(package):
    # harmonise.py imports a name from the nomenclatures package that is not a module (yet): the package stands for it.
    _edit(package / "harmonise.py", "def harmonise_registry(", "def _later():\n    from observatory.nomenclatures "
          "import later\n    return later\n\n\ndef harmonise_registry(")
    assert "nomenclatures/later.py" not in BE_JOBS.files(package)
    # The name becomes a module of its own, harmonise.py unchanged (a process that computed the versions before,
    # such as the UI's code server, must not keep the old answer).
    (package / "nomenclatures" / "later.py").write_text("LATER = 1\n", encoding="utf-8")
    assert "nomenclatures/later.py" in BE_JOBS.files(package)


def test_a_join_added_to_the_sql_brings_its_mapping_file(package):
    assert "nomenclatures/sexes.csv" not in BE_JOBS.files(package)
    _edit(package / "sql" / "classify_be_jobs.sql", "nom.be_legal_forms", "nom.be_legal_forms /* nom.sexes */")
    assert "nomenclatures/sexes.csv" in BE_JOBS.files(package)


def test_the_fetcher_registry_does_not_tie_the_sources_together():
    files = Code(modules=[sirene]).files()
    assert "sources/sirene.py" in files and "fetch.py" in files
    assert not {"sources/kbo.py", "sources/eurostat.py"} & set(files)


def test_a_declaration_naming_what_is_not_there_is_refused(package):
    with pytest.raises(DeclarationError, match="sql/nowhere.sql"):
        Code(sql=["nowhere.sql"]).files(package)
    with pytest.raises(DeclarationError, match="nomenclatures/nowhere.csv"):
        Code(nomenclatures=["nowhere"]).files(package)
    with pytest.raises(DeclarationError, match="not a module of the observatory package"):
        Code(modules=["pipelines.assets"])
    _edit(package / "sql" / "classify_be_jobs.sql", "nom.be_legal_forms", "nom.be_legal_form")
    with pytest.raises(DeclarationError, match="reads nom.be_legal_form, but there is no"):
        BE_JOBS.files(package)


def test_every_built_asset_has_the_code_version_of_its_declaration():
    specs = [s for a in ALL_ASSETS if isinstance(a, dg.AssetsDefinition) and a.is_materializable for s in a.specs]
    assert {s.key for s in specs} == set(CODE)
    for spec in specs:
        assert spec.code_version == CODE[spec.key].version(), spec.key
    # Each asset its own files: a mapping file edited rebuilds its readers, not everything.
    legal_forms = {k.to_user_string() for k, c in CODE.items() if "nomenclatures/be_legal_forms.csv" in c.files()}
    assert legal_forms == {"nomenclatures_table", "harmonised_jobs", "harmonised_establishments", "harmonised_demography",
                           "mart_cases"}
