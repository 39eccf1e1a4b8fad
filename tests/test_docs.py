"""The generated docs (data dictionary, legal forms) stay in step with the schema and the mapping files."""

from pathlib import Path

from observatory import nomenclatures, schema


def test_data_dictionary_is_current():
    path = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
    assert path.read_text(encoding="utf-8") == schema.data_dictionary(), (
        "regenerate with: python -m observatory.schema > docs/data-dictionary.md"
    )


def test_legal_forms_page_is_current():
    path = Path(__file__).resolve().parents[1] / "docs" / "legal-forms.md"
    assert path.read_text(encoding="utf-8") == nomenclatures.legal_forms_markdown(), (
        "regenerate with: python -m observatory.nomenclatures > docs/legal-forms.md"
    )
