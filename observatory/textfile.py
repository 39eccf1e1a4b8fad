"""First pass over a delivered text file: encoding, header and line shape, with exact line numbers.

Deliveries (FLORES, ONSS) are aggregated tables of at most a few million lines, so one streaming pass in Python is
cheap; it lets every error name the line where it happens before DuckDB types and loads the file. National
registry files (SIRENE, KBO) and Eurostat's are left to DuckDB, after :func:`require_final_newline`, which reads
their last byte only.

Every text file must end with a newline: a file cut during a transfer usually ends inside its last line, and a cut
inside the last field still has the right number of fields (``...;12`` cut to ``...;1``), so the last byte is the
only sign of it. Every producer file in ``tests/fixtures/real`` and ``observatory/reference`` ends with one.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from observatory import safezip
from observatory.errors import InputError, html_instead_of

BOM = b"\xef\xbb\xbf"
TRUNCATED_LAST_LINE = "truncated last line: the file ends without a newline — was it cut during transfer?"
_CHUNK = 1 << 22


@dataclass(frozen=True)
class TextProfile:
    path: Path
    header: list[str]
    data_lines: int
    has_bom: bool


def _split(line: str, delimiter: str, quoted: bool) -> list[str]:
    if not quoted:
        return line.split(delimiter)
    return next(csv.reader([line], delimiter=delimiter, quotechar='"', strict=True), [])


def check_delimited(path: Path, *, delimiter: str, required: list[str], quoted: bool = False) -> TextProfile:
    """Stream the file once and raise :class:`InputError` on the first structural problem.

    ``required`` columns must all be present by name; extra columns are tolerated (producers add some).
    """
    if not path.exists():
        raise InputError(path, "the file does not exist")
    header: list[str] | None = None
    data_lines = 0
    has_bom = False
    last_had_newline = True
    blank_line: int | None = None
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(BOM):
                has_bom = True
                raw = raw[len(BOM) :]
            last_had_newline = raw.endswith(b"\n")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                raise InputError(
                    path,
                    f"not valid UTF-8 (byte 0x{bad} at character {exc.start + 1}); the delivery contract asks for "
                    "UTF-8 - was the file saved as Latin-1/Windows-1252?",
                    line=number,
                ) from None
            text = text.rstrip("\r\n")
            if header is None:
                if problem := html_instead_of(text, "a delimited text file"):
                    raise InputError(path, problem, line=1)
                header = [name.strip() for name in _split(text, delimiter, quoted)]
                _check_header(path, header, required, delimiter)
                continue
            if text == "":
                # A blank line is tolerated only at the very end of the file.
                blank_line = blank_line or number
                continue
            if blank_line is not None:
                raise InputError(path, "blank line inside the file", line=blank_line)
            try:
                fields = _split(text, delimiter, quoted)
            except csv.Error as exc:
                raise InputError(path, f"badly quoted line: {exc}", line=number) from None
            if len(fields) != len(header):
                if not last_had_newline:
                    raise InputError(path, f"{TRUNCATED_LAST_LINE} ({len(fields)} field(s) where the header has "
                                           f"{len(header)})", line=number, value=text[:120])
                raise InputError(path, f"{len(fields)} field(s) where the header has {len(header)}", line=number,
                                 value=text[:120])
            data_lines += 1
        if not last_had_newline:
            # The field count is right, but the last field may be cut: nothing tells a complete one from a cut one.
            raise InputError(path, TRUNCATED_LAST_LINE, line=number, value=text[-120:] or None)
    if header is None or header == [""]:
        raise InputError(path, "the file is empty (no header line)")
    if data_lines == 0:
        raise InputError(path, "the file has a header but no data line")
    return TextProfile(path=path, header=header, data_lines=data_lines, has_bom=has_bom)


def _check_header(path: Path, header: list[str], required: list[str], delimiter: str) -> None:
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputError(path, f"column(s) {', '.join(duplicated)} appear more than once in the header", line=1)
    missing = [name for name in required if name not in header]
    if not missing:
        return
    if len(header) == 1 and delimiter not in header[0]:
        raise InputError(
            path,
            f"the header has a single column; the separator should be {delimiter!r}",
            line=1,
            value=header[0][:120],
        )
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, [h for h in header if h not in required], n=1, cutoff=0.6)
        hints.append(f"{name} (renamed to {close[0]!r}?)" if close else name)
    raise InputError(
        path,
        f"missing column(s): {', '.join(hints)}; the header has: {', '.join(header)}",
        line=1,
        column=", ".join(missing),
    )


def require_final_newline(path: Path, *, where: Path | None = None, gz: bool = False,
                          problem: Callable[[str], str] | None = None) -> None:
    """Raise :class:`InputError` (naming ``where``, default ``path``, and the number of the last line) when the file's
    last byte is not a newline. Plain files: one seek to the end; the lines are counted only when the check fails.
    ``gz``: the decompressed content is read once. An empty file passes (the loaders name it as empty).
    ``problem`` rewrites the message (e.g. to say which ZIP member it is)."""
    if gz:
        last, newlines = _scan_gzip(path)
    else:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            if size == 0:
                return
            handle.seek(size - 1)
            last = handle.read(1)
        newlines = None
    if last in (b"", b"\n"):
        return
    if newlines is None:
        newlines = _count_newlines(path)
    text = TRUNCATED_LAST_LINE if problem is None else problem(TRUNCATED_LAST_LINE)
    raise InputError(where or path, text, line=newlines + 1)


def _count_newlines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            count += chunk.count(b"\n")
    return count


def _scan_gzip(path: Path) -> tuple[bytes, int]:
    """(last byte, newlines) of a gzip file's content; a damaged gzip file, or one inflating beyond the ZIP caps
    (:mod:`observatory.safezip`: a gzip bomb), is an InputError."""
    limits = safezip.Limits.from_env()
    cap = min(limits.max_total_bytes, max(safezip.RATIO_FLOOR_BYTES, path.stat().st_size * limits.max_ratio))
    last, count, size = b"", 0, 0
    try:
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise InputError(path, f"the gzip file inflates to more than {cap:.0f} bytes, over "
                                           f"{limits.max_ratio:g} times its size or the cap (a gzip bomb?)")
                last = chunk[-1:]
                count += chunk.count(b"\n")
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(path, f"not a readable gzip file, truncated or damaged ({exc})") from None
    return last, count
