"""Errors that tell an analyst what is wrong with an input file, and where."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
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


# ---------------------------------------------------------------- a web page where a file should be

# Enough to get past a BOM, white space and an XML declaration to the first element.
HTML_SNIFF_BYTES = 1024
_XML_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")


def html_instead_of(data: bytes | str | Path, expected: str) -> str | None:
    """The problem to report when ``data`` (a file, or its first bytes) is an HTML page where ``expected`` ("a ZIP",
    "a delimited text file"...) should be; None otherwise.

    Producers answer a script with a login, error, maintenance or CAPTCHA page (Statbel does, with HTTP 200), which
    then sits where the file should. The one test used by every download and reader: the first element, after a
    BOM, white space and an XML declaration, is ``<!doctype html`` or ``<html``. The caller's exception names the
    URL or the file.
    """
    if isinstance(data, Path):
        with data.open("rb") as handle:
            data = handle.read(HTML_SNIFF_BYTES)
    head = data.encode("utf-8", "replace") if isinstance(data, str) else data
    head = head[:HTML_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip()
    if declaration := _XML_DECLARATION.match(head):
        head = head[declaration.end():].lstrip()
    if not head.lower().startswith((b"<!doctype html", b"<html")):
        return None
    return (f"an HTML page, not {expected} (the producer answered with a web page - a login, error, maintenance or "
            "CAPTCHA page - instead of the file)")


def describe_duckdb_read_error(exc: Exception) -> tuple[str, int | None]:
    """The first line of a DuckDB read error, with its cause, and the line it names (CSV errors), for InputError."""
    lines = str(exc).splitlines() or [type(exc).__name__]
    problem = lines[0]
    found = re.search(r"CSV Error on Line: (\d+)", problem)
    # DuckDB's CSV errors put the cause just before "Possible fixes:" (after the echoed line).
    if found and "Possible fixes:" in lines:
        problem += f" ({[x for x in lines[: lines.index('Possible fixes:')] if x.strip()][-1].strip()})"
    return f"DuckDB could not read the file: {problem}", int(found.group(1)) if found else None


# ---------------------------------------------------------------- what made a step fail

# The orchestrator's own wrappers ("Error occurred while executing op ...:") say where, never why.
_WRAPPER_PREFIXES = ("Dagster",)
# Exceptions whose message is already a sentence for an analyst: shown without their class name.
_SELF_EXPLAINED = {"InputError", "Failure"}


@dataclass(frozen=True)
class StepFailure:
    """Why one step of a run failed, from its root cause: what ``observatory build`` prints and the alert sends."""

    step: str
    message: str  # the root cause's own message (an InputError's names the file, line and column)
    file: str | None = None
    line: int | None = None
    column: str | None = None

    def summary(self) -> str:
        """One line: the step and the first line of the root cause, with the file, line and column of a bad input
        when the message does not already name them."""
        first = (self.message.strip().splitlines() or ["failed"])[0].strip()
        where = []
        if self.file and Path(self.file).name not in first:
            where.append(f"file {self.file}")
        if self.line is not None and f"line {self.line}" not in first:
            where.append(f"line {self.line}")
        if self.column and f"column {self.column}" not in first:
            where.append(f"column {self.column}")
        return f"- step {self.step}: {first}" + (f" ({', '.join(where)})" if where else "")


def _own_message(error) -> str:
    """An error's message without the qualified class name the orchestrator puts before it; the short class name
    is kept unless the message explains itself (``KeyError: 'k'`` says more than ``'k'``)."""
    message = (getattr(error, "message", None) or "").strip()
    cls = getattr(error, "cls_name", None) or ""
    if cls:
        prefix = re.match(rf"^[\w.]*\b{re.escape(cls)}: ?", message)
        if prefix:
            message = message[prefix.end():].strip()
        if cls not in _SELF_EXPLAINED and message:
            message = f"{cls}: {message}"
    return message


def root_cause(error) -> str:
    """The innermost meaningful message of an error chain, with the outermost of the code's own when they differ.

    ``error`` is anything shaped like Dagster's ``SerializableErrorInfo`` (``message``, ``cls_name``, ``cause`` for
    ``raise ... from``, ``context`` for an error raised while handling another): the orchestrator's wrappers are
    skipped, explicit causes followed to the end, and the implicit context only when a wrapper has no cause.
    """
    chain = []
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        wrapper = (getattr(error, "cls_name", None) or "").startswith(_WRAPPER_PREFIXES)
        if not wrapper and _own_message(error):
            chain.append(_own_message(error))
        cause = getattr(error, "cause", None)
        error = cause if cause is not None or not wrapper else getattr(error, "context", None)
    if not chain:
        return "failed"
    if len(chain) == 1 or chain[-1] in chain[0]:
        return chain[-1]
    return f"{chain[0]}; caused by {chain[-1]}"


def _plain(value):
    """A metadata entry's value (Dagster wraps them in objects with ``.value``), or the value itself."""
    return getattr(value, "value", value)


def step_failure(event) -> StepFailure:
    """The :class:`StepFailure` of a step-failure event (read by attribute, so the library needs no orchestrator):
    a ``Failure``'s description and its file/line/column metadata, else the root cause of the error."""
    data = event.step_failure_data
    user = getattr(data, "user_failure_data", None)
    metadata = {k: _plain(v) for k, v in (getattr(user, "metadata", None) or {}).items()}
    message = (getattr(user, "description", None) or "").strip()
    if not message:
        message = root_cause(getattr(data, "error", None))
        problem = environment_problem(message)
        message = problem.line() if problem else message
    line = metadata.get("line")
    return StepFailure(step=event.step_key, message=message, file=metadata.get("file") or None,
                       line=line if isinstance(line, int) and line > 0 else None, column=metadata.get("column") or None)


# ---------------------------------------------------------------- the machine, not the data

# errno → what an analyst should read first. DuckDB and SQLite report these as text, so their messages are matched too.
_ENVIRONMENT = (
    (errno.ENOSPC, ("No space left on device", "database or disk is full"), "disk full"),
    (errno.EDQUOT, ("Disk quota exceeded",), "disk quota exceeded"),
    (errno.EROFS, ("Read-only file system",), "read-only file system"),
    (errno.EACCES, ("Permission denied",), "permission denied"),
    (errno.EPERM, ("Operation not permitted",), "operation not permitted"),
    # SQLite (Dagster's run history) can fail with this rather than "disk is full" on a disk that filled up (seen
    # in CI, a rebuild on a tmpfs it filled); a failing disk says it too.
    (errno.EIO, ("disk I/O error", "Input/output error"), "disk I/O error (a full disk, or a failing one)"),
)
_QUOTED_PATH = re.compile(r'"(/[^"]+)"|\'(/[^\']+)\'')


@dataclass(frozen=True)
class EnvironmentProblem:
    """A failure caused by the machine (disk full, read-only or unwritable folder), not by the inputs or the code."""

    kind: str  # "disk full", "read-only file system", ...
    path: str | None
    detail: str  # the OS's, DuckDB's or SQLite's own first line

    def line(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{self.kind}{where}: {self.detail}"


def environment_problem(error: BaseException | str, path: str | Path | None = None) -> EnvironmentProblem | None:
    """The :class:`EnvironmentProblem` behind ``error`` (an exception, its chain, or a message), else None.

    ``path`` is used when the error itself names none (DuckDB and OSError usually do)."""
    chain: list = []
    seen: set[int] = set()
    while isinstance(error, BaseException) and id(error) not in seen:
        seen.add(id(error))
        chain.append(error)
        error = error.__cause__ or error.__context__
    if isinstance(error, str):
        chain.append(error)
    for item in chain:
        text = str(item)
        code = getattr(item, "errno", None)
        for number, signs, kind in _ENVIRONMENT:
            if code == number or any(sign in text for sign in signs):
                found = getattr(item, "filename", None) or _first_path(text) or (str(path) if path else None)
                detail = getattr(item, "strerror", None) or (text.strip().splitlines() or [kind])[0]
                return EnvironmentProblem(kind=kind, path=str(found) if found else None, detail=detail)
    return None


def _first_path(text: str) -> str | None:
    found = _QUOTED_PATH.search(text)
    return (found.group(1) or found.group(2)) if found else None
