"""pandera schemas for what enters (staged source tables) and what leaves (published tables).

Published-table schemas are generated from :mod:`observatory.schema`, so the checks follow the documented schema.
Tables are validated in Arrow batches fetched from DuckDB: a national table is never held whole in pandas.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pandas as pd
import pandera.pandas as pa

from observatory import schema
from observatory.duck import arrow_batches

_DTYPES = {"INTEGER": "Int64", "BIGINT": "Int64", "DOUBLE": "float64", "VARCHAR": "object", "BOOLEAN": "boolean"}


def published_schema(table: schema.Table) -> pa.DataFrameSchema:
    columns = {}
    for col in table.columns:
        checks = [pa.Check.isin(list(col.allowed))] if col.allowed else []
        if col.type in ("BIGINT", "DOUBLE") and not col.signed:
            checks.append(pa.Check.ge(0))
        columns[col.name] = pa.Column(_DTYPES.get(col.type), checks=checks, nullable=col.nullable, coerce=True)
    unique = list(table.key) or None
    return pa.DataFrameSchema(columns, unique=unique, strict=True, name=table.name)


FR_FLORES_JOBS = pa.DataFrameSchema(
    {
        "year": pa.Column("Int64", pa.Check.in_range(1990, 2100), coerce=True),
        "depcom": pa.Column(str, pa.Check.str_matches(r"^(\d{5}|2[AB]\d{3})$")),
        "cj": pa.Column(str, pa.Check.str_matches(r"^\d{4}$")),
        "apet": pa.Column(str, pa.Check.str_matches(r"^\d{4}[A-Z]$")),
        "naf_version": pa.Column(str, pa.Check.isin(["NAFRev2", "NAF2025"])),
        "sexe": pa.Column(str, pa.Check.isin(["1", "2"])),
        "trage": pa.Column(str, pa.Check.isin(["00", "20", "25", "30", "35", "40", "45", "50", "55", "60", "65"])),
        "jobs": pa.Column("Int64", pa.Check.ge(0), coerce=True),
        "fte": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
    },
    name="src.fr_flores_jobs",
)
BE_ONSS_JOBS = pa.DataFrameSchema(
    {
        "year": pa.Column("Int64", pa.Check.in_range(1990, 2100), coerce=True),
        "refnis": pa.Column(str, pa.Check.str_matches(r"^\d{5}$")),
        "juridical_form": pa.Column(str, pa.Check.str_matches(r"^\d{3}$")),
        "accreditation": pa.Column(str, pa.Check.isin(["", "CNC", "ES", "CNC+ES"])),
        "nace_version": pa.Column(str, pa.Check.isin(["2008", "2025"])),
        "nace": pa.Column(str, pa.Check.str_matches(r"^\d{5}$")),
        "sexe": pa.Column(str, pa.Check.isin(["M", "F"])),
        "classe_age": pa.Column(str, pa.Check.isin(["<25", "25-34", "35-44", "45-54", "55-64", "65+"])),
        "jobs": pa.Column("Int64", pa.Check.ge(0), coerce=True),
        "fte": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True),
    },
    name="src.be_onss_jobs",
)
REGISTRY_COUNTS = pa.DataFrameSchema(
    {"establishments": pa.Column("Int64", pa.Check.ge(1), coerce=True)}, name="registry aggregate"
)


def _batches(con: duckdb.DuckDBPyConnection, sql: str, params: list, batch_rows: int) -> Iterator[pd.DataFrame]:
    reader = arrow_batches(con, sql, params, batch_rows)
    for batch in reader:
        yield batch.to_pandas()


def validate(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    frame_schema: pa.DataFrameSchema,
    params: list | None = None,
    batch_rows: int = 500_000,
) -> dict:
    """Validate the rows of ``sql`` against ``frame_schema`` batch by batch; return a summary (never raises)."""
    rows = 0
    failures: list[str] = []
    failure_count = 0
    for frame in _batches(con, sql, params or [], batch_rows):
        rows += len(frame)
        try:
            frame_schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            failure_count += len(cases)
            for case in cases.head(5).itertuples():
                failures.append(f"{case.column}: {case.check} failed for {case.failure_case!r}")
    return {"rows": rows, "passed": failure_count == 0, "failure_count": failure_count, "failures": failures[:10]}
