"""observatory.download against a local HTTP server (tests/http_server.py): no network beyond 127.0.0.1, no waiting."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import random
import socket
import zipfile
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import zip_bytes
from http_server import LAST_MODIFIED, serve
from zipcraft import bomb, write_zip

from observatory import download as dl
from observatory.download import DownloadError, download, head_or_probe, new_session, post_form

MiB = 1 << 20


def random_bytes(n: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(n)


# Stored (not deflated) random bytes: the ZIP is about as large as its content, so a cut lands mid-file.
PAYLOAD = zip_bytes({"code.csv": random_bytes(300_000), "meta.csv": b"Variable,Value\nExtractNumber,0130\n"},
                   zipfile.ZIP_STORED)
OLD = b"previous copy, must survive every failure"


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries call dl._sleep: record the delays instead of waiting."""
    delays: list[float] = []
    monkeypatch.setattr(dl, "_sleep", delays.append)
    return delays


@pytest.fixture
def server():
    with serve() as running:
        yield running


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    target = tmp_path / "raw" / "KboOpenData.zip"
    target.parent.mkdir(parents=True)
    target.write_bytes(OLD)
    return target


def leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def test_normal_download(server, tmp_path: Path) -> None:
    server.static("/data.zip", PAYLOAD, etag='"v1"')
    messages: list[str] = []
    result = download(server.url("/data.zip"), tmp_path / "data.zip", max_bytes=10 * MiB, kind="zip",
                      expected_sha256=hashlib.sha256(PAYLOAD).hexdigest(), expected_size=len(PAYLOAD),
                      progress=messages.append)
    assert (tmp_path / "data.zip").read_bytes() == PAYLOAD
    assert result.sha256 == hashlib.sha256(PAYLOAD).hexdigest() and result.size == len(PAYLOAD)
    assert (result.etag, result.last_modified, result.attempts, result.resumed) == ('"v1"', LAST_MODIFIED, 1, False)
    assert leftovers(tmp_path / "data.zip") == []  # no .part, no .part.json
    assert any("installed" in m for m in messages)


def test_dropped_connection_is_resumed_with_range(server, tmp_path: Path) -> None:
    server.static("/flaky.zip", PAYLOAD, etag='"v1"', drop_after=100_000, drop_times=2)
    result = download(server.url("/flaky.zip"), tmp_path / "flaky.zip", max_bytes=10 * MiB, kind="zip",
                      backoff_seconds=0.01)
    assert (tmp_path / "flaky.zip").read_bytes() == PAYLOAD
    assert result.attempts == 3 and result.resumed
    seen = server.requests_to("/flaky.zip")
    assert [r.headers.get("Range") for r in seen] == [None, "bytes=100000-", "bytes=200000-"]
    assert {r.headers.get("If-Range") for r in seen[1:]} == {'"v1"'}
    assert leftovers(tmp_path / "flaky.zip") == []


def test_retries_exhausted_keeps_previous_copy_and_part_for_next_call(server, previous: Path, sleeps) -> None:
    server.static("/flaky.zip", PAYLOAD, drop_after=100_000, drop_times=3)
    with pytest.raises(DownloadError, match="gave up after 3 attempt") as caught:
        download(server.url("/flaky.zip"), previous, max_bytes=10 * MiB, kind="zip", retries=2, backoff_seconds=0.5)
    assert "previous copy" in str(caught.value) and "intact" in str(caught.value)
    assert previous.read_bytes() == OLD
    # The bytes received so far stay in .part (with the validators in .part.json) for the next call.
    part = previous.with_name(previous.name + ".part")
    assert part.read_bytes() == PAYLOAD[:300_000]
    assert sleeps == [0.5, 1.0]  # exponential back-off
    # Next call (the server is fine again): only the missing bytes are asked for.
    result = download(server.url("/flaky.zip"), previous, max_bytes=10 * MiB, kind="zip")
    assert previous.read_bytes() == PAYLOAD and result.resumed and result.attempts == 1
    assert server.requests_to("/flaky.zip")[-1].headers.get("Range") == "bytes=300000-"
    assert leftovers(previous) == []


def test_part_of_a_changed_file_restarts_from_zero(server, tmp_path: Path) -> None:
    # A .part left by an earlier call for a version of the file the server no longer has (ETag "old"):
    # If-Range does not match, the server answers 200 with the whole file, and the download restarts.
    server.static("/data.zip", PAYLOAD, etag='"new"')
    target = tmp_path / "data.zip"
    target.with_name("data.zip.part").write_bytes(b"x" * 5000)
    target.with_name("data.zip.part.json").write_text(json.dumps(
        {"url": server.url("/data.zip"), "etag": '"old"', "last_modified": None, "accept_ranges": True}))
    result = download(server.url("/data.zip"), target, max_bytes=10 * MiB, kind="zip")
    assert target.read_bytes() == PAYLOAD and not result.resumed
    request = server.requests_to("/data.zip")[0]
    assert (request.headers.get("Range"), request.headers.get("If-Range")) == ("bytes=5000-", '"old"')


def test_server_without_ranges_restarts_after_a_drop(server, tmp_path: Path) -> None:
    server.static("/plain.zip", PAYLOAD, ranges=False, drop_after=100_000, drop_times=1)
    result = download(server.url("/plain.zip"), tmp_path / "plain.zip", max_bytes=10 * MiB, kind="zip")
    assert (tmp_path / "plain.zip").read_bytes() == PAYLOAD and result.attempts == 2 and not result.resumed
    assert [r.headers.get("Range") for r in server.requests_to("/plain.zip")] == [None, None]


def test_html_page_instead_of_zip(server, previous: Path) -> None:
    server.page("/captcha", "\ufeff  <!DOCTYPE HTML><html><body>Are you a robot?</body></html>")
    with pytest.raises(DownloadError, match="HTML page, not a ZIP.*CAPTCHA") as caught:
        download(server.url("/captcha"), previous, max_bytes=MiB, kind="zip")
    assert "intact" in str(caught.value)
    assert previous.read_bytes() == OLD and leftovers(previous) == []


def test_zip_bomb_is_refused_before_its_crc_check(server, previous: Path) -> None:
    # The ZIP's headers are checked against the extraction caps (observatory.safezip) before testzip would inflate
    # 200 MiB.
    bomb_zip = write_zip(previous.parent / "bomb.zip", [bomb("activity.csv")])
    server.static("/bomb.zip", bomb_zip.read_bytes())
    bomb_zip.unlink()
    with pytest.raises(DownloadError, match="not accepted as a ZIP: member 'activity.csv': .* ratio over 200") as caught:
        download(server.url("/bomb.zip"), previous, max_bytes=MiB, kind="zip")
    assert "intact" in str(caught.value)
    assert previous.read_bytes() == OLD and leftovers(previous) == []


def test_html_page_instead_of_csv(server, tmp_path: Path) -> None:
    server.page("/data.csv", "<html><head><title>Statbel</title></head></html>")
    with pytest.raises(DownloadError, match="HTML page, not a text"):
        download(server.url("/data.csv"), tmp_path / "data.csv", max_bytes=MiB, kind="text")
    assert not (tmp_path / "data.csv").exists()


def test_wrong_checksum(server, previous: Path) -> None:
    server.static("/data.zip", PAYLOAD)
    with pytest.raises(DownloadError, match="sha256 .* differs") as caught:
        download(server.url("/data.zip"), previous, max_bytes=10 * MiB, kind="zip", expected_sha256="0" * 64)
    assert "intact" in str(caught.value)
    assert previous.read_bytes() == OLD and leftovers(previous) == []


def test_wrong_size(server, tmp_path: Path) -> None:
    server.static("/data.zip", PAYLOAD)
    with pytest.raises(DownloadError, match="expected"):
        download(server.url("/data.zip"), tmp_path / "d.zip", max_bytes=10 * MiB, kind="zip", expected_size=1)
    assert not (tmp_path / "d.zip").exists()


def test_503_then_200_honours_retry_after(server, tmp_path: Path, sleeps) -> None:
    server.static("/busy.csv", b"a,b\n1,2\n", fail_with=[503], retry_after="7")
    result = download(server.url("/busy.csv"), tmp_path / "busy.csv", max_bytes=MiB, kind="text", backoff_seconds=0.01)
    assert result.attempts == 2 and (tmp_path / "busy.csv").read_bytes() == b"a,b\n1,2\n"
    assert sleeps == [7.0]


def test_retry_after_too_long_gives_up(server, tmp_path: Path, sleeps) -> None:
    server.static("/busy.csv", b"a,b\n", fail_with=[429], retry_after="3600")
    with pytest.raises(DownloadError, match="come back in 3600 s"):
        download(server.url("/busy.csv"), tmp_path / "busy.csv", max_bytes=MiB, kind="text")
    assert sleeps == [] and len(server.requests_to("/busy.csv")) == 1


def test_404_is_not_retried(server, previous: Path, sleeps) -> None:
    server.status("/missing.zip", 404)
    with pytest.raises(DownloadError, match="HTTP 404.*not retried") as caught:
        download(server.url("/missing.zip"), previous, max_bytes=MiB, kind="zip")
    assert caught.value.status == 404 and str(caught.value).startswith(server.url("/missing.zip") + ": HTTP 404")
    assert len(server.requests_to("/missing.zip")) == 1 and sleeps == []
    assert previous.read_bytes() == OLD and leftovers(previous) == []


def test_429_is_retried_by_the_session_honouring_retry_after(server, tmp_path: Path, sleeps) -> None:
    server.static("/limited.csv", b"a,b\n1,2\n", fail_with=[429], retry_after="1")
    messages: list[str] = []
    result = download(server.url("/limited.csv"), tmp_path / "limited.csv", max_bytes=MiB, kind="text",
                      backoff_seconds=0.01, progress=messages.append)
    assert (tmp_path / "limited.csv").read_bytes() == b"a,b\n1,2\n" and result.attempts == 2
    assert len(server.requests_to("/limited.csv")) == 2 and sleeps == [1]
    assert any("HTTP 429; retry 1/4 in 1 s" in m for m in messages)


def test_5xx_without_retry_after_backs_off_then_gives_up(server, previous: Path, sleeps) -> None:
    server.static("/down.zip", PAYLOAD, fail_with=[500, 502, 504], retry_after=None)
    with pytest.raises(DownloadError, match="HTTP 504 Gateway Timeout; gave up after 3 attempt") as caught:
        download(server.url("/down.zip"), previous, max_bytes=10 * MiB, kind="zip", retries=2, backoff_seconds=0.25)
    assert caught.value.url == server.url("/down.zip") and "previous copy" in str(caught.value)
    # urllib3's back-off: the first retry at once, then 2 x 0.25 s.
    assert len(server.requests_to("/down.zip")) == 3 and sleeps == [0.5]
    assert previous.read_bytes() == OLD and leftovers(previous) == []
    # The next call finds the server well again.
    assert download(server.url("/down.zip"), previous, max_bytes=10 * MiB, kind="zip").attempts == 1


def test_refused_connection_is_retried_then_named(tmp_path: Path, sleeps) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/data.zip"
    with pytest.raises(DownloadError, match="connection failed: .*refused.*; gave up after 3 attempt") as caught:
        download(url, tmp_path / "data.zip", max_bytes=MiB, kind="zip", retries=2, backoff_seconds=0.25)
    assert caught.value.url == url and sleeps == [0.5]


def test_server_ignoring_range_restarts_from_zero(server, tmp_path: Path) -> None:
    # Accept-Ranges is announced, the first answer is cut, and the Range asked for then is answered with the whole
    # file (200): the bytes held are dropped and the file is written from its first byte.
    server.static("/odd.zip", PAYLOAD, ignore_range=True, drop_after=100_000, drop_times=1)
    messages: list[str] = []
    result = download(server.url("/odd.zip"), tmp_path / "odd.zip", max_bytes=10 * MiB, kind="zip",
                      progress=messages.append)
    assert (tmp_path / "odd.zip").read_bytes() == PAYLOAD and result.attempts == 2 and not result.resumed
    assert [r.headers.get("Range") for r in server.requests_to("/odd.zip")] == [None, "bytes=100000-"]
    assert any("the server sent the whole file (HTTP 200), restarting from zero" in m for m in messages)
    assert leftovers(tmp_path / "odd.zip") == []


def test_head_is_retried_by_the_session(server, sleeps) -> None:
    server.static("/busy.zip", PAYLOAD, etag='"v1"', fail_with=[503], retry_after="2")
    info = head_or_probe(server.url("/busy.zip"), new_session(backoff_seconds=0))
    assert (info["status"], info["etag"]) == (200, '"v1"') and sleeps == [2]
    assert [r.method for r in server.requests_to("/busy.zip")] == ["HEAD", "HEAD"]


def test_announced_size_over_the_cap(server, previous: Path) -> None:
    server.static("/big.zip", PAYLOAD)
    with pytest.raises(DownloadError, match="announces .* over the cap"):
        download(server.url("/big.zip"), previous, max_bytes=1000, kind="zip")
    assert previous.read_bytes() == OLD and leftovers(previous) == []


def test_streamed_size_over_the_cap(server, previous: Path) -> None:
    # No Content-Length: the cap must stop the body as it arrives.
    server.static("/big.zip", PAYLOAD, length=False)
    with pytest.raises(DownloadError, match="more than 1000 bytes received"):
        download(server.url("/big.zip"), previous, max_bytes=1000, kind="zip")
    assert previous.read_bytes() == OLD and leftovers(previous) == []


def test_gzip_valid_and_truncated(server, tmp_path: Path) -> None:
    data = gzip.compress(random_bytes(200_000) * 2)
    server.static("/ok.tsv.gz", data)
    server.static("/cut.tsv.gz", data[: len(data) // 2])
    assert download(server.url("/ok.tsv.gz"), tmp_path / "ok.tsv.gz", max_bytes=MiB, kind="gzip").size == len(data)
    with pytest.raises(DownloadError, match="truncated gzip"):
        download(server.url("/cut.tsv.gz"), tmp_path / "cut.tsv.gz", max_bytes=MiB, kind="gzip")
    assert not (tmp_path / "cut.tsv.gz").exists()


def test_truncated_zip_and_xlsx_without_content_types(server, tmp_path: Path) -> None:
    server.static("/cut.zip", PAYLOAD[: len(PAYLOAD) - 100])
    server.static("/book.xlsx", zip_bytes({"xl/workbook.xml": b"<workbook/>"}))
    with pytest.raises(DownloadError, match="not accepted as a ZIP: not a readable ZIP, truncated"):
        download(server.url("/cut.zip"), tmp_path / "cut.zip", max_bytes=MiB, kind="zip")
    with pytest.raises(DownloadError, match=r"without \[Content_Types\]\.xml"):
        download(server.url("/book.xlsx"), tmp_path / "book.xlsx", max_bytes=MiB, kind="xlsx")


def test_head_or_probe(server) -> None:
    server.static("/data.zip", PAYLOAD, etag='"v1"')
    server.static("/nohead.zip", PAYLOAD, etag='"v2"', head=False)
    info = head_or_probe(server.url("/data.zip"))
    assert (info["method"], info["etag"], info["content_length"], info["accept_ranges"]) == ("HEAD", '"v1"', len(PAYLOAD),
                                                                                            True)
    probed = head_or_probe(server.url("/nohead.zip"))
    assert (probed["method"], probed["etag"], probed["content_length"]) == ("GET", '"v2"', len(PAYLOAD))
    assert server.requests_to("/nohead.zip")[-1].headers.get("Range") == "bytes=0-0"


# --- sessions (the KBO login) ---------------------------------------------------------------------------------------

SECRET = "s3cr3t-P@ss"


def test_login_then_protected_download_and_no_password_in_logs(server, tmp_path: Path, caplog) -> None:
    server.login(username="analyst", password=SECRET, protected={"/files/kbo.zip": PAYLOAD})
    messages: list[str] = []
    caplog.set_level(logging.DEBUG, logger="observatory.download")
    session = new_session()

    status, final_url, body = post_form(session, server.url("/login"), {"username": "analyst", "password": "wrong"},
                                        progress=messages.append)
    assert status == 200 and final_url.endswith("/login?error") and "<form" in body

    status, final_url, body = post_form(session, server.url("/login"), {"username": "analyst", "password": SECRET},
                                        progress=messages.append)
    assert status == 200 and final_url == server.url("/") and "welcome" in body
    result = download(server.url("/files/kbo.zip"), tmp_path / "kbo.zip", session=session, max_bytes=10 * MiB,
                      kind="zip", progress=messages.append)
    assert (tmp_path / "kbo.zip").read_bytes() == PAYLOAD and result.attempts == 1

    logged = "\n".join(messages + [r.getMessage() for r in caplog.records])
    assert "password" in logged  # the field name is shown...
    assert SECRET not in logged and "wrong" not in logged  # ...never its value
    # The password did reach the server (the test would pass vacuously otherwise).
    assert any(parse_qs(r.body.decode()).get("password") == [SECRET] for r in server.requests_to("/login"))


def test_a_form_post_is_never_sent_twice(server, sleeps) -> None:
    server.status("/login", 503)
    status, _, _ = post_form(new_session(), server.url("/login"), {"username": "analyst", "password": SECRET})
    assert status == 503 and len(server.requests_to("/login")) == 1 and sleeps == []


def test_protected_download_without_login_is_an_html_error(server, tmp_path: Path) -> None:
    server.login(username="analyst", password=SECRET, protected={"/files/kbo.zip": PAYLOAD})
    with pytest.raises(DownloadError, match="HTML page"):
        download(server.url("/files/kbo.zip"), tmp_path / "kbo.zip", session=new_session(), max_bytes=MiB, kind="zip")
