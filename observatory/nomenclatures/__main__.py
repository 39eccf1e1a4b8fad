"""``python -m observatory.nomenclatures > docs/legal-forms.md``: print the legal-forms page."""

from observatory.nomenclatures import legal_forms_markdown

print(legal_forms_markdown(), end="")
