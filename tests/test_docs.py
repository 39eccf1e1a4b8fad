"""The generated data dictionary stays in step with the schema."""

from pathlib import Path

from observatory import schema


def test_data_dictionary_is_current():
    path = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
    assert path.read_text(encoding="utf-8") == schema.data_dictionary(), (
        "regenerate with: python -m observatory.schema > docs/data-dictionary.md"
    )
