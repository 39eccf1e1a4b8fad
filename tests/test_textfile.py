"""A text file must end with a newline: check_delimited (deliveries) and require_final_newline (files DuckDB reads)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from observatory.errors import InputError
from observatory.textfile import TRUNCATED_LAST_LINE, check_delimited, require_final_newline

HEADER = "ANNEE;DEPCOM;POSTES"


def write(tmp_path: Path, data: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def check(path: Path):
    return check_delimited(path, delimiter=";", required=["ANNEE", "DEPCOM", "POSTES"])


def test_a_complete_file_passes_with_lf_or_crlf(tmp_path: Path) -> None:
    assert check(write(tmp_path, f"{HEADER}\n2023;59350;12\n".encode())).data_lines == 1
    assert check(write(tmp_path, f"{HEADER}\r\n2023;59350;12\r\n".encode())).data_lines == 1
    assert check(write(tmp_path, f"{HEADER}\n2023;59350;12\n\n".encode())).data_lines == 1  # trailing blank line


def test_a_cut_inside_the_last_field_is_refused(tmp_path: Path) -> None:
    # 12 cut to 1: the field count is right and 1 is a valid count; only the missing newline tells.
    path = write(tmp_path, f"{HEADER}\n2023;59350;7\n2023;62041;1".encode())
    with pytest.raises(InputError) as caught:
        check(path)
    assert (caught.value.problem, caught.value.line, caught.value.value) == (TRUNCATED_LAST_LINE, 3, "2023;62041;1")
    assert str(caught.value).startswith("f.csv, line 3: truncated last line: the file ends without a newline — was it "
                                        "cut during transfer?")


def test_a_cut_with_missing_fields_says_both(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"line 2: truncated last line: .*\(2 field\(s\) where the header has 3\)"):
        check(write(tmp_path, f"{HEADER}\n2023;593".encode()))
    with pytest.raises(InputError, match="line 1: truncated last line"):
        check(write(tmp_path, HEADER.encode()))  # cut after the header


def test_an_html_page_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="line 1: an HTML page, not a delimited text file"):
        check(write(tmp_path, b"<!DOCTYPE html>\n<html><body>Login</body></html>\n"))


def test_require_final_newline_plain(tmp_path: Path) -> None:
    require_final_newline(write(tmp_path, b"a,b\n1,2\n"))
    require_final_newline(write(tmp_path, b"a,b\r\n1,2\r\n"))
    require_final_newline(write(tmp_path, b""))  # empty: the loader names it as such
    with pytest.raises(InputError) as caught:
        require_final_newline(write(tmp_path, b"a,b\n1,2\n3,"))
    assert (caught.value.path.name, caught.value.line, caught.value.problem) == ("f.csv", 3, TRUNCATED_LAST_LINE)


def test_require_final_newline_names_where_and_rewrites_the_problem(tmp_path: Path) -> None:
    path = write(tmp_path, b"a,b\n1,2")
    with pytest.raises(InputError) as caught:
        require_final_newline(path, where=tmp_path / "x.zip" / "f.csv", problem=lambda text: f"f.csv (in the ZIP): {text}")
    assert caught.value.path == tmp_path / "x.zip" / "f.csv" and caught.value.line == 2
    assert caught.value.problem == f"f.csv (in the ZIP): {TRUNCATED_LAST_LINE}"


def test_require_final_newline_gzip(tmp_path: Path) -> None:
    require_final_newline(write(tmp_path, gzip.compress(b"a\tb\n1\t2\n"), "f.tsv.gz"), gz=True)
    with pytest.raises(InputError) as caught:
        require_final_newline(write(tmp_path, gzip.compress(b"a\tb\n1\t2\n3\t"), "f.tsv.gz"), gz=True)
    assert (caught.value.line, caught.value.problem) == (3, TRUNCATED_LAST_LINE)
    whole = gzip.compress(bytes(range(256)) * 100)
    with pytest.raises(InputError, match="not a readable gzip file, truncated or damaged"):
        require_final_newline(write(tmp_path, whole[: len(whole) // 2], "f.tsv.gz"), gz=True)


def test_a_gzip_bomb_is_stopped_at_the_ratio_cap(tmp_path: Path) -> None:
    # 20 MiB of zeros gzip to ~20 kB: the scan stops after 200 times the file's size, long before the end.
    path = write(tmp_path, gzip.compress(bytes(20 << 20)), "f.tsv.gz")
    with pytest.raises(InputError, match="inflates to more than .* over 200 times its size .*a gzip bomb"):
        require_final_newline(path, gz=True)
