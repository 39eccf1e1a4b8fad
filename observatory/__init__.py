"""DESIR observatory: French and Belgian enterprise and employment figures harmonised into comparable tables.

This package is plain Python and DuckDB SQL; it knows nothing of Dagster (see ``pipelines/``).
"""

__version__ = "0.1.0"

from observatory.reader import connect  # noqa: E402  (the newest published database; see observatory.reader)

__all__ = ["__version__", "connect"]
