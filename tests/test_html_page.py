"""One check, one message, for an HTML page (a login, error or CAPTCHA page) where a producer's file should be:
observatory.errors.html_instead_of, used by the downloads, the ZIP and text readers and the source readers."""

from __future__ import annotations

from pathlib import Path

import pytest
from http_server import serve

from observatory import download as dl
from observatory import safezip
from observatory.download import DownloadError, HtmlPageError, download
from observatory.errors import InputError, html_instead_of
from observatory.sources import eurostat, insee_population
from observatory.textfile import check_delimited

PAGE = b"\xef\xbb\xbf  <!DOCTYPE html>\n<html><body>Are you a robot?</body></html>\n"
# The words every caller's message shares, whatever was expected.
SHARED = "(the producer answered with a web page - a login, error, maintenance or CAPTCHA page - instead of the file)"


@pytest.mark.parametrize("head", [
    PAGE,
    b"\r\n \n<!DOCTYPE html><html>",
    b"<html lang='fr'><head>",
    b"\t<!doctype HTML>",
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN">',
    b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">',
    "<!DOCTYPE html>",  # a first line already decoded
])
def test_pages_are_recognised(head: bytes | str) -> None:
    assert html_instead_of(head, "a ZIP") == f"an HTML page, not a ZIP {SHARED}"


@pytest.mark.parametrize("head", [
    b"PK\x03\x04",
    b"ANNEE;DEPCOM;POSTES\n2024;59350;<html>",  # markup inside a field is data
    b'<?xml version="1.0"?><message:Structure xmlns:message="...">',  # an SDMX message: Eurostat's own check
    b"<!DOCTYPE note><note/>",
    b"",
])
def test_other_content_is_not_a_page(head: bytes) -> None:
    assert html_instead_of(head, "a ZIP") is None


def test_a_file_is_read_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "data.zip"
    path.write_bytes(PAGE + b"x" * 10_000)
    assert html_instead_of(path, "a ZIP") is not None
    path.write_bytes(b"x" * 2000 + PAGE)  # past the bytes looked at
    assert html_instead_of(path, "a ZIP") is None


def test_every_caller_reports_the_same_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dl, "_sleep", lambda seconds: None)
    page = tmp_path / "page"
    page.write_bytes(PAGE)
    with serve() as server:
        server.page("/captcha.zip", PAGE)
        with pytest.raises(HtmlPageError) as downloaded:
            download(server.url("/captcha.zip"), tmp_path / "kbo.zip", max_bytes=1 << 20, kind="zip")
    assert isinstance(downloaded.value, DownloadError)
    assert str(downloaded.value).startswith(f"{server.url('/captcha.zip')}: an HTML page, not a ZIP {SHARED}")

    with pytest.raises(InputError) as zipped, safezip.open_zip(page):
        pass
    with pytest.raises(InputError) as text:
        check_delimited(page, delimiter=";", required=["ANNEE"])
    with pytest.raises(InputError) as workbook:
        insee_population.read_workbook(page)
    with pytest.raises(ValueError) as data:
        eurostat._check_file(page, "demo_r_pjangrp3", bulk=False)
    assert zipped.value.problem == f"an HTML page, not a ZIP {SHARED}" and zipped.value.path == page
    assert (text.value.problem, text.value.line) == (f"an HTML page, not a delimited text file {SHARED}", 1)
    assert workbook.value.problem == f"an HTML page, not an xlsx workbook {SHARED}"
    assert str(data.value) == f"an HTML page, not Eurostat data {SHARED}"
