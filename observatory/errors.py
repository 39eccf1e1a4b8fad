"""Errors that tell an analyst what is wrong with an input file, and where."""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A delivered or downloaded file breaks its contract.

    The message names the file, the line (1-based, the header being line 1), the column and the problem, so that
    the Dagster UI shows something an analyst can act on without reading a stack trace.
    """

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        line: int | None = None,
        column: str | None = None,
        value: str | None = None,
        more: int = 0,
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.line = line
        self.column = column
        self.value = value
        self.more = more
        where = [f"{self.path.name}"]
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        text = f"{', '.join(where)}: {problem}"
        if value is not None:
            text += f" (found {value!r})"
        if more:
            text += f"; {more} more line(s) with the same problem"
        text += f" [file: {self.path}]"
        super().__init__(text)


def describe_duckdb_read_error(exc: Exception) -> tuple[str, int | None]:
    """The first line of a DuckDB read error, with its cause, and the line it names (CSV errors), for InputError."""
    import re

    lines = str(exc).splitlines() or [type(exc).__name__]
    problem = lines[0]
    found = re.search(r"CSV Error on Line: (\d+)", problem)
    # DuckDB's CSV errors put the cause just before "Possible fixes:" (after the echoed line).
    if found and "Possible fixes:" in lines:
        problem += f" ({[x for x in lines[: lines.index('Possible fixes:')] if x.strip()][-1].strip()})"
    return f"DuckDB could not read the file: {problem}", int(found.group(1)) if found else None
