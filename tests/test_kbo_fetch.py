"""KBO/BCE open data: the downloader against a local imitation of kbopub (tests/http_server.py, 127.0.0.1 only),
and the loader applying Update extracts.

The ZIPs are built here from tests/fixtures/kbo/full (the Full, extract 136) and tests/fixtures/kbo/updates (Updates
136, 137, 138; see its README for the hand computation of the expected aggregate).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pytest
from conftest import partial_files
from http_server import Reply, Seen, TestServer, serve

from observatory import vintages
from observatory.download import DownloadError
from observatory.errors import InputError
from observatory.fetch import FetchError, FetchSettings
from observatory.sources import kbo

FIXTURES = Path(__file__).parent / "fixtures" / "kbo"
FULL = "KboOpenData_0136_2025_06_Full.zip"
U136, U137, U138 = (f"KboOpenData_{n}_Update.zip" for n in ("0136_2025_06", "0137_2025_07", "0138_2025_08"))
U139 = "KboOpenData_0139_2025_09_Update.zip"
USER, SECRET = "analyst@example.org", "s3cr3t-KBO-P@ss"
MEMBERS = ("meta.csv", "code.csv", "enterprise.csv", "establishment.csv", "address.csv", "activity.csv",
           "denomination.csv")

# tests/fixtures/kbo/updates/README.md: the Full's aggregate (tests/test_kbo.py EXPECTED) after Updates 137 and 138.
EXPECTED_AFTER_UPDATES = {
    ("7000", False, "610", "2", "2008", "86900", False): 1,
    ("7000", False, "706", "2", "2008", "46211", False): 1,
    ("5100", False, "124", "2", "2025", "84130", True): 1,
    ("8500", False, "", "1", "2003", "01110", False): 1,
    ("", False, "", "1", "2008", "01500", False): 1,
    ("7500", False, "017", "2", "2008", "88999", True): 1,
    ("59000", True, "017", "2", "2008", "88999", True): 1,
    ("7700", False, "610", "2", "2008", "56101", True): 1,
    ("7500", False, "017", "2", "", "", False): 1,
    ("7000", False, "017", "2", "2008", "88991", True): 1,
}
# After 137 alone: 2.000.000.339 still has its enterprise's ONSS activity.
EXPECTED_AFTER_137 = {k: v for k, v in EXPECTED_AFTER_UPDATES.items() if k[:6] != ("7000", False, "610", "2", "2008",
                                                                                  "86900")}
EXPECTED_AFTER_137[("7000", False, "610", "2", "2008", "86210", True)] = 1
UPDATE_MEMBERS_USED = ["meta.csv", "code.csv", "enterprise_delete.csv", "enterprise_insert.csv",
                       "establishment_delete.csv", "establishment_insert.csv", "address_delete.csv",
                       "address_insert.csv", "activity_delete.csv", "activity_insert.csv"]


# --- real-format ZIPs ----------------------------------------------------------------------------------------------


def zip_members(members: dict[str, str]) -> bytes:
    # Stored, not deflated: the ZIP is as large as its members, so a connection cut at 1000 bytes lands mid-file.
    # A fixed member date: the same members give the same bytes whenever they are zipped (writestr with a name stamps
    # the current time, and a test comparing a ZIP served earlier with one built now failed across a 2 s tick).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, text in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 8, 1, 7, 0, 0)), text.encode("utf-8"))
    return buffer.getvalue()


def full_zip() -> bytes:
    return zip_members({m: (FIXTURES / "full" / m).read_text(encoding="utf-8") for m in MEMBERS})


def update_zip(name: str, changes: dict[str, Callable[[str], str]] | None = None, drop: tuple[str, ...] = ()
               ) -> bytes:
    folder = FIXTURES / "updates" / name.removesuffix(".zip")
    members = {}
    for path in sorted(folder.glob("*.csv")):
        if path.name in drop:
            continue
        text = path.read_text(encoding="utf-8")
        members[path.name] = changes[path.name](text) if changes and path.name in changes else text
    return zip_members(members)


def u139_zip() -> bytes:
    """Extract 139: no change at all (every delete/insert member a header line)."""
    def empty(text: str) -> str:
        return text.splitlines()[0] + "\n"

    folder = FIXTURES / "updates" / U138.removesuffix(".zip")
    changes: dict[str, Callable[[str], str]] = {p.name: empty for p in folder.glob("*_*.csv")}
    changes["meta.csv"] = lambda t: t.replace('"138"', '"139"').replace("31-07-2025", "31-08-2025")
    return update_zip(U138, changes)


def write_raw(tmp_path: Path, zips: dict[str, bytes]) -> Path:
    raw = tmp_path / "raw"
    (raw / kbo.FOLDER).mkdir(parents=True, exist_ok=True)
    for name, data in zips.items():
        (raw / kbo.FOLDER / name).write_bytes(data)
    return raw


def load(tmp_path: Path, raw: Path) -> tuple[duckdb.DuckDBPyConnection, dict]:
    con = duckdb.connect()
    return con, kbo.load(con, raw, tmp_path / "work")


def aggregate(con: duckdb.DuckDBPyConnection) -> dict[tuple, int]:
    rows = con.execute(
        """SELECT postcode, "foreign", juridical_form, type_of_enterprise, nace_version, nace_code, employer,
                  establishments FROM src.be_kbo_establishments"""
    ).fetchall()
    return {row[:-1]: row[-1] for row in rows}


# --- a local kbopub ------------------------------------------------------------------------------------------------

LISTING_ROUTE = "/kbo-open-data/affiliation/xml/"
LOGIN_PAGE_ROUTE = "/kbo-open-data/login"
LOGIN_PAGE = (b"<!DOCTYPE html><html><body><form method='post' action='static/j_spring_security_check'>"
              b"<input name='j_username'><input type='password' name='j_password'></form></body></html>")


class Kbopub:
    """The KBO open-data site as the scripted download sees it (sources-be.md): a Spring Security form login that
    sets a session cookie, a file list and the files, both behind the cookie (without it: the login page)."""

    COOKIE = "JSESSIONID=kbo-test-session"

    def __init__(self, server: TestServer, *, set_cookie: bool = True) -> None:
        self.server = server
        self.listed: list[str] = []
        self.set_cookie = set_cookie
        server.route(kbo.LOGIN_PATH, self._login)
        server.route(LOGIN_PAGE_ROUTE, lambda seen: Reply(200, [("Content-Type", "text/html")], LOGIN_PAGE))
        server.route(LISTING_ROUTE, self._guard(self._listing))

    def publish(self, name: str, data: bytes, **static: object) -> None:
        """List ``name`` and serve ``data`` at its file URL (``static``: drops, failures... of server.static)."""
        self.serve(name, data, **static)
        self.listed.append(name)

    def serve(self, name: str, data: bytes, **static: object) -> None:
        path = self.path(name)
        self.server.static(path, data, content_type="application/zip", **static)  # type: ignore[arg-type]
        self.server.route(path, self._guard(self.server.routes[path]))

    def page_instead(self, name: str, html: bytes) -> None:
        self.server.route(self.path(name),
                          self._guard(lambda seen: Reply(200, [("Content-Type", "text/html")], html)))
        self.listed.append(name)

    @staticmethod
    def path(name: str) -> str:
        return kbo.FILES_PATH + name

    def file_requests(self, name: str) -> list[Seen]:
        return self.server.requests_to(self.path(name))

    def _login(self, seen: Seen) -> Reply:
        form = parse_qs(seen.body.decode())
        if seen.method == "POST" and form.get("j_username") == [USER] and form.get("j_password") == [SECRET]:
            headers = [("Location", LISTING_ROUTE)]
            if self.set_cookie:
                headers.append(("Set-Cookie", f"{self.COOKIE}; Path=/; HttpOnly"))
            return Reply(302, headers)
        return Reply(302, [("Location", LOGIN_PAGE_ROUTE + "?error")])

    def _listing(self, seen: Seen) -> Reply:
        links = "".join(f'<tr><td><a href="files/{n}">{n}</a></td><td>2 MB</td></tr>' for n in self.listed)
        body = f"<!DOCTYPE html><html><body><h1>Files</h1><table>{links}</table></body></html>"
        return Reply(200, [("Content-Type", "text/html;charset=UTF-8")], body.encode())

    def _guard(self, handler: Callable[[Seen], Reply]) -> Callable[[Seen], Reply]:
        def guarded(seen: Seen) -> Reply:
            if self.COOKIE not in seen.headers.get("Cookie", ""):
                return Reply(302, [("Location", LOGIN_PAGE_ROUTE)])
            return handler(seen)
        return guarded


@pytest.fixture
def server() -> Iterator[TestServer]:
    with serve() as running:
        yield running


@pytest.fixture
def site(server: TestServer) -> Kbopub:
    """kbopub with an older Full, the newest Full 136, its own Update 136 and Updates 137 and 138."""
    site = Kbopub(server)
    site.publish("KboOpenData_0135_2025_05_Full.zip", b"never downloaded")
    site.publish("KboOpenData_0135_2025_05_Update.zip", b"never downloaded")
    site.publish(FULL, full_zip())
    site.publish(U136, update_zip(U136))
    site.publish(U137, update_zip(U137))
    site.publish(U138, update_zip(U138))
    return site


def settings(tmp_path: Path, server: TestServer, messages: list[str], *, day: int = 2, password: str = SECRET,
             env: dict[str, str] | None = None) -> FetchSettings:
    return FetchSettings(raw_dir=tmp_path / "raw", progress=messages.append, base_urls={"kbo": server.url("")},
                         now=datetime(2025, 8, day, 6, 0, tzinfo=UTC), retries=2, backoff_seconds=0, timeout=10,
                         env=env if env is not None else {"KBO_USERNAME": USER, "KBO_PASSWORD": password})


def snapshot_tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256: what "left intact" is checked against."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def kbo_vintages(tmp_path: Path) -> list[str]:
    return [p.name for p in vintages.list_vintages(tmp_path / "raw", "be", "kbo")]


def partial_folders(tmp_path: Path) -> list[str]:
    return [p.name for p in (tmp_path / "raw" / kbo.FOLDER).iterdir() if p.name.endswith(vintages.PARTIAL_SUFFIX)]


def all_logged(messages: list[str], caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(messages + [r.getMessage() for r in caplog.records])


# --- fetch ---------------------------------------------------------------------------------------------------------


def test_fetch_full_and_updates_into_a_vintage(tmp_path: Path, server: TestServer, site: Kbopub,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    outcome = kbo.fetch(settings(tmp_path, server, messages))

    folder = tmp_path / "raw" / kbo.FOLDER / "2025-08-02"
    assert outcome.source == "kbo" and outcome.vintage == folder and outcome.changed
    assert outcome.producer_version == {"extract_number": 138, "full_extract_number": 136,
                                        "files": [FULL, U137, U138]}
    served = {FULL: full_zip(), U137: update_zip(U137), U138: update_zip(U138)}
    assert {n: (folder / n).read_bytes() for n in served} == served
    provenance = vintages.read_provenance(folder)
    assert provenance["producer"] == "SPF Economie / FOD Economie – KBO/BCE" == kbo.FETCH_PRODUCER
    assert provenance["licence"] == kbo.ORIGIN.licence
    assert provenance["producer_version"] == outcome.producer_version
    assert provenance["urls"] == [server.url(kbo.FILES_PATH + n) for n in served]
    assert {f["name"]: f["sha256"] for f in provenance["files"]} == {
        n: hashlib.sha256(d).hexdigest() for n, d in served.items()}
    sidecar = json.loads((folder / f"{U137}.origin.json").read_text(encoding="utf-8"))
    assert (sidecar["url"], sidecar["reference_period"], sidecar["synthetic"]) == (
        server.url(kbo.FILES_PATH + U137), "2025-07", False)

    # The login form got the credentials; nothing older than the newest Full, nor its own Update, was downloaded.
    posts = server.requests_to(kbo.LOGIN_PATH)
    assert [parse_qs(p.body.decode()) for p in posts] == [{"j_username": [USER], "j_password": [SECRET]}]
    assert kbo.LISTING_PATH in [r.path for r in server.requests_to(LISTING_ROUTE)]
    for name in ("KboOpenData_0135_2025_05_Full.zip", "KboOpenData_0135_2025_05_Update.zip", U136):
        assert site.file_requests(name) == []
    logged = all_logged(messages, caplog)
    assert SECRET not in logged and USER not in logged and "j_password" in logged  # field names only
    assert list((tmp_path / "raw" / kbo.FOLDER / ".incoming").iterdir()) == []

    # The loader reads that vintage: the Full, then 137 and 138 (136 is in the Full).
    con, meta = load(tmp_path, tmp_path / "raw")
    assert aggregate(con) == EXPECTED_AFTER_UPDATES
    assert [u["zip"] for u in meta["updates"]] == [U137, U138]
    assert con.execute("SELECT DISTINCT vintage, producer FROM meta.sources").fetchall() == [
        ("2025-08-02", kbo.FETCH_PRODUCER)]

    # An Update damaged after the fetch no longer matches its provenance: refused, not loaded.
    (folder / U138).write_bytes((folder / U138).read_bytes() + b"trailing bytes")
    with pytest.raises(InputError, match=f"{U138}: its SHA-256 .* recorded when vintage 2025-08-02 was fetched"):
        load(tmp_path, tmp_path / "raw")


def test_second_fetch_with_nothing_new_writes_nothing(tmp_path: Path, server: TestServer, site: Kbopub) -> None:
    kbo.fetch(settings(tmp_path, server, []))
    before = snapshot_tree(tmp_path / "raw")
    messages: list[str] = []
    outcome = kbo.fetch(settings(tmp_path, server, messages, day=3))
    assert outcome.vintage is None and not outcome.changed
    assert "nothing new" in outcome.message and outcome.producer_version["extract_number"] == 138
    assert snapshot_tree(tmp_path / "raw") == before and kbo_vintages(tmp_path) == ["2025-08-02"]
    assert all(len(site.file_requests(n)) == 1 for n in (FULL, U137, U138))  # the first fetch's requests only


def test_a_new_update_makes_a_vintage_without_downloading_the_full_again(tmp_path: Path, server: TestServer,
                                                                          site: Kbopub) -> None:
    kbo.fetch(settings(tmp_path, server, []))
    first = tmp_path / "raw" / kbo.FOLDER / "2025-08-02"
    before = snapshot_tree(first)
    site.publish(U139, u139_zip())
    messages: list[str] = []
    outcome = kbo.fetch(settings(tmp_path, server, messages, day=3))
    assert outcome.vintage is not None and outcome.vintage.name == "2025-08-03"
    assert outcome.producer_version["files"] == [FULL, U137, U138, U139]
    # Only the new Update crossed the network; the others come from the earlier vintage, which is left as it was.
    assert [len(site.file_requests(n)) for n in (FULL, U137, U138, U139)] == [1, 1, 1, 1]
    assert any(f"{FULL} taken from vintage 2025-08-02" in m for m in messages)
    assert snapshot_tree(first) == before
    assert (outcome.vintage / FULL).read_bytes() == full_zip()
    con, meta = load(tmp_path, tmp_path / "raw")
    assert aggregate(con) == EXPECTED_AFTER_UPDATES and meta["snapshot_date"] == "2025-08-31"


@pytest.mark.parametrize("failure", ["wrong password", "login page instead of the list"])
def test_login_refused(tmp_path: Path, server: TestServer, site: Kbopub, caplog: pytest.LogCaptureFixture,
                       failure: str) -> None:
    kbo.fetch(settings(tmp_path, server, []))
    before = snapshot_tree(tmp_path / "raw")
    site.publish(U139, u139_zip())  # something new, so that only the login stops the fetch
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    if failure == "wrong password":
        password = "not-the-" + SECRET
    else:  # the login "succeeds" but the session is not kept: the list answers with the login page
        password = SECRET
        site.set_cookie = False
    with pytest.raises(FetchError, match="KBO login refused") as caught:
        kbo.fetch(settings(tmp_path, server, messages, day=3, password=password))
    text = str(caught.value)
    assert "KBO_USERNAME" in text and "KBO_PASSWORD" in text and "earlier vintages are intact" in text
    logged = all_logged(messages, caplog) + text
    assert SECRET not in logged and password not in logged and USER not in logged
    assert snapshot_tree(tmp_path / "raw") == before and partial_folders(tmp_path) == []
    assert site.file_requests(U139) == []


@pytest.mark.parametrize("env", [{}, {"KBO_USERNAME": USER}, {"KBO_USERNAME": USER, "KBO_PASSWORD": ""},
                                 {"KBO_PASSWORD": SECRET}])
def test_missing_credentials(tmp_path: Path, server: TestServer, site: Kbopub, env: dict[str, str]) -> None:
    with pytest.raises(FetchError, match="KBO open data needs an account") as caught:
        kbo.fetch(settings(tmp_path, server, [], env=env))
    text = str(caught.value)
    assert kbo.SIGNUP_URL in text and "https://kbopub.economie.fgov.be/kbo-open-data/signup" in text
    assert ("KBO_USERNAME" in text) == ("KBO_USERNAME" not in env)
    assert ("KBO_PASSWORD" in text) == (not env.get("KBO_PASSWORD"))
    assert SECRET not in text and server.requests == []
    assert not (tmp_path / "raw").exists()


def test_dropped_connection_is_resumed(tmp_path: Path, server: TestServer) -> None:
    site = Kbopub(server)
    site.publish(FULL, full_zip(), drop_after=1000, drop_times=1)
    site.publish(U137, update_zip(U137))
    outcome = kbo.fetch(settings(tmp_path, server, []))
    assert outcome.vintage is not None and (outcome.vintage / FULL).read_bytes() == full_zip()
    assert [r.headers.get("Range") for r in site.file_requests(FULL)] == [None, "bytes=1000-"]


def test_dropped_connection_fails_cleanly_then_resumes(tmp_path: Path, server: TestServer) -> None:
    site = Kbopub(server)
    site.publish(FULL, full_zip())
    site.publish(U137, update_zip(U137))
    kbo.fetch(settings(tmp_path, server, []))
    before = snapshot_tree(tmp_path / "raw")
    # Update 138 appears; its first three answers (= retries + 1) are cut after 1000 bytes each (the 2nd and 3rd
    # resume where the previous one stopped).
    site.publish(U138, update_zip(U138), drop_after=1000, drop_times=3)
    with pytest.raises(DownloadError, match="gave up after 3 attempt") as caught:
        kbo.fetch(settings(tmp_path, server, [], day=3))
    assert "3000 bytes kept" in str(caught.value)
    assert [r.headers.get("Range") for r in site.file_requests(U138)] == [None, "bytes=1000-", "bytes=2000-"]
    after = snapshot_tree(tmp_path / "raw")
    incoming = {k: v for k, v in after.items() if k.startswith("be/kbo/.incoming/")}
    assert {k: v for k, v in after.items() if k not in incoming} == before  # earlier vintage intact, none new
    assert kbo_vintages(tmp_path) == ["2025-08-02"] and partial_folders(tmp_path) == []
    assert f"be/kbo/.incoming/{U138}.part" in incoming

    # The next fetch asks only for the missing bytes, and the vintage is whole.
    outcome = kbo.fetch(settings(tmp_path, server, [], day=4))
    assert outcome.vintage is not None and (outcome.vintage / U138).read_bytes() == update_zip(U138)
    assert site.file_requests(U138)[-1].headers.get("Range") == "bytes=3000-"
    assert len(site.file_requests(FULL)) == 1  # taken from the first vintage
    assert list((tmp_path / "raw" / kbo.FOLDER / ".incoming").iterdir()) == []


def test_busy_file_list_is_retried_by_the_session_with_the_login_kept(tmp_path: Path, server: TestServer) -> None:
    site = Kbopub(server)
    site.publish(FULL, full_zip())
    listing = server.routes[LISTING_ROUTE]
    # The login's redirect lands on the list (answered); the fetcher's own GET of it then finds it busy twice.
    answers: list[int | None] = [None, 503, 502]

    def flaky(seen: Seen) -> Reply:
        status = answers.pop(0) if answers else None
        return Reply(status, [("Retry-After", "0")], b"busy") if status else listing(seen)

    server.route(LISTING_ROUTE, flaky)
    messages: list[str] = []
    outcome = kbo.fetch(settings(tmp_path, server, messages))
    assert outcome.vintage is not None and (outcome.vintage / FULL).read_bytes() == full_zip()
    # The login is posted once; the list is asked for after its redirect, then three times, with the cookie.
    assert len(server.requests_to(kbo.LOGIN_PATH)) == 1
    asked = server.requests_to(LISTING_ROUTE)
    assert len(asked) == 4 and all(Kbopub.COOKIE in r.headers.get("Cookie", "") for r in asked[1:])
    listing_url = server.url(kbo.LISTING_PATH)
    assert f"{listing_url}: HTTP 503; retry 1/2 in 0 s" in messages and f"{listing_url}: HTTP 502; retry 2/2 in 0 s" in messages


def test_html_page_instead_of_the_zip(tmp_path: Path, server: TestServer) -> None:
    site = Kbopub(server)
    site.publish(FULL, full_zip())
    site.page_instead(U137, b"<!DOCTYPE html><html><body>Maintenance: come back later</body></html>")
    with pytest.raises(DownloadError, match="HTML page, not a ZIP"):
        kbo.fetch(settings(tmp_path, server, []))
    assert kbo_vintages(tmp_path) == [] and partial_folders(tmp_path) == []
    assert not (tmp_path / "raw" / kbo.FOLDER / ".incoming" / U137).exists()


def test_a_zip_that_is_not_the_extract_its_name_says(tmp_path: Path, server: TestServer) -> None:
    site = Kbopub(server)
    site.publish(FULL, full_zip())
    site.publish(U138, update_zip(U137))  # meta.csv says 137
    with pytest.raises(FetchError, match=r"is not the extract its name says .*ExtractNumber '137', not 138"):
        kbo.fetch(settings(tmp_path, server, []))
    assert kbo_vintages(tmp_path) == [] and not (tmp_path / "raw" / kbo.FOLDER / ".incoming" / U138).exists()


def test_listing_without_kbo_files(tmp_path: Path, server: TestServer) -> None:
    Kbopub(server)  # lists nothing
    with pytest.raises(FetchError, match="names no KboOpenData"):
        kbo.fetch(settings(tmp_path, server, []))


def test_listed_names_and_selection() -> None:
    page = ('<a href="files/KboOpenData_0140_2025_10_05_Full.zip">KboOpenData_0140_2025_10_05_Full.zip</a>'
            '<a href="files/KboOpenData_0140_2025_10_04_Full.zip">x</a> KboOpenData_0141_2025_10_06_Update.zip.md5'
            "<Name>KboOpenData_0141_2025_10_06_Update.zip</Name> <Name>KboOpenData_0140_2025_10_05_Update.zip</Name>"
            "<Name>KboOpenData_0142_2025_10_07_Update.zip</Name> kboopendata_0150_2025_11_full.zip")
    names = kbo.listed_names(page)
    assert names == ["KboOpenData_0140_2025_10_05_Full.zip", "KboOpenData_0140_2025_10_04_Full.zip",
                     "KboOpenData_0141_2025_10_06_Update.zip", "KboOpenData_0140_2025_10_05_Update.zip",
                     "KboOpenData_0142_2025_10_07_Update.zip"]
    assert [f.name for f in kbo.select_files(reversed(names))] == [
        "KboOpenData_0140_2025_10_05_Full.zip", "KboOpenData_0141_2025_10_06_Update.zip",
        "KboOpenData_0142_2025_10_07_Update.zip"]
    with pytest.raises(FetchError, match="no Full extract"):
        kbo.select_files(["KboOpenData_0141_2025_10_06_Update.zip"])


# --- the loader applies Updates ------------------------------------------------------------------------------------


def test_updates_are_applied_deletes_then_inserts(tmp_path: Path) -> None:
    raw = write_raw(tmp_path, {FULL: full_zip(), U136: update_zip(U136), U137: update_zip(U137),
                               U138: update_zip(U138)})
    con, meta = load(tmp_path, raw)
    assert aggregate(con) == EXPECTED_AFTER_UPDATES
    assert con.execute("SELECT DISTINCT snapshot_date FROM src.be_kbo_establishments").fetchall() == [
        (date(2025, 7, 31),)]
    assert (meta["zip"], meta["extract_number"], meta["snapshot_date"]) == (FULL, 136, "2025-07-31")
    assert (meta["units_aggregated"], meta["rejects"]) == (10, 3)
    assert meta["updates_ignored"] == [{"zip": U136, "reason": "extract number 136 is not after the Full's (136): "
                                                               "already in it"}]
    assert meta["missing_extract_numbers"] == []
    assert meta["updates"] == [
        {"zip": U137, "extract_number": 137, "snapshot_date": "2025-06-30", "codes_replaced": True, "enterprises_departed": 0,
         "rows": {"meta.csv": 5, "code.csv": 15, "enterprise_delete.csv": 0, "enterprise_insert.csv": 1,
                  "establishment_delete.csv": 1, "establishment_insert.csv": 1, "address_delete.csv": 2,
                  "address_insert.csv": 3, "activity_delete.csv": 0, "activity_insert.csv": 2}},
        {"zip": U138, "extract_number": 138, "snapshot_date": "2025-07-31", "codes_replaced": True, "enterprises_departed": 0,
         "rows": {"meta.csv": 5, "code.csv": 17, "enterprise_delete.csv": 1, "enterprise_insert.csv": 1,
                  "establishment_delete.csv": 0, "establishment_insert.csv": 0, "address_delete.csv": 0,
                  "address_insert.csv": 0, "activity_delete.csv": 1, "activity_insert.csv": 2}},
    ]
    # The complete code.csv of 138 replaced the codes.
    assert con.execute("SELECT count(*) FROM src.be_kbo_codes").fetchone()[0] == 17
    assert kbo.juridical_form_labels(con)["017"]["NL"] == "Vereniging zonder winstoogmerk"
    # meta.sources: the Full's six members, then the ten members read from each Update (136 is not read).
    names = [r[0] for r in con.execute("SELECT file_name FROM meta.sources").fetchall()]
    expected = ([f"{FULL}:{m}" for m in kbo.MEMBERS] + [f"{U137}:{m}" for m in UPDATE_MEMBERS_USED]
                + [f"{U138}:{m}" for m in UPDATE_MEMBERS_USED])
    assert sorted(names) == sorted(expected) and [s["file_name"] for s in meta["sources"]] == expected
    periods = dict(con.execute("SELECT split_part(file_name, ':', 1), any_value(reference_period) FROM meta.sources "
                               "GROUP BY 1").fetchall())
    assert periods == {FULL: "2025-05-30", U137: "2025-06-30", U138: "2025-07-31"}
    member = (FIXTURES / "updates" / U137.removesuffix(".zip") / "address_insert.csv").read_bytes()
    assert con.execute("SELECT sha256, rows FROM meta.sources WHERE file_name = ?",
                       [f"{U137}:address_insert.csv"]).fetchone() == (hashlib.sha256(member).hexdigest(), 3)
    assert partial_files(tmp_path / "work") == []


def test_one_update_and_a_gap(tmp_path: Path) -> None:
    con, meta = load(tmp_path, write_raw(tmp_path, {FULL: full_zip(), U137: update_zip(U137)}))
    assert aggregate(con) == EXPECTED_AFTER_137
    assert con.execute("SELECT count(*) FROM src.be_kbo_codes").fetchone()[0] == 15
    # 138 without 137: applied, and the missing extract number is reported.
    con, meta = load(tmp_path / "gap", write_raw(tmp_path / "gap", {FULL: full_zip(), U138: update_zip(U138)}))
    assert meta["missing_extract_numbers"] == [137] and [u["zip"] for u in meta["updates"]] == [U138]
    assert aggregate(con)[("7000", False, "610", "2", "2008", "86900", False)] == 1


def test_updates_lower_case_members_in_a_subfolder(tmp_path: Path) -> None:
    def upper(name: str) -> bytes:
        with zipfile.ZipFile(io.BytesIO(update_zip(name))) as archive:
            return zip_members({f"extract/{i.filename.upper()}": archive.read(i).decode() for i in archive.infolist()})

    con, _ = load(tmp_path, write_raw(tmp_path, {FULL: full_zip(), U137: upper(U137), U138: upper(U138)}))
    assert aggregate(con) == EXPECTED_AFTER_UPDATES


def test_insert_without_delete_adds_to_the_entity_rows(tmp_path: Path) -> None:
    # 2.100.000.312 keeps its MAIN 2003 row and gains a MAIN 2008 one: 2008 is preferred.
    added = '"2.100.000.312","001","2008","01130","MAIN"\n'
    raw = write_raw(tmp_path, {FULL: full_zip(),
                               U137: update_zip(U137, {"activity_insert.csv": lambda t: t + added})})
    con, _ = load(tmp_path, raw)
    result = aggregate(con)
    assert ("8500", False, "", "1", "2003", "01110", False) not in result
    assert result[("8500", False, "", "1", "2008", "01130", False)] == 1


def update_error(tmp_path: Path, changes: dict[str, Callable[[str], str]] | None = None,
                 drop: tuple[str, ...] = ()) -> InputError:
    raw = write_raw(tmp_path, {FULL: full_zip(), U137: update_zip(U137, changes, drop)})
    con = duckdb.connect()
    with pytest.raises(InputError) as caught:
        kbo.load(con, raw, tmp_path / "work")
    assert partial_files(tmp_path / "work") == []
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0] == 0
    return caught.value


def test_update_delete_file_without_its_key_column(tmp_path: Path) -> None:
    error = update_error(tmp_path, {"establishment_delete.csv": lambda t: t.replace("EstablishmentNumber",
                                                                                      "EstablishmentNr")})
    assert error.path == tmp_path / "raw" / kbo.FOLDER / U137 / "establishment_delete.csv"
    assert (error.line, error.column) == (1, "EstablishmentNumber")
    assert str(error).startswith("establishment_delete.csv, line 1, column EstablishmentNumber: missing column")
    assert "closest names in the file: EstablishmentNumber ~ EstablishmentNr" in str(error)


def test_update_whose_meta_says_full(tmp_path: Path) -> None:
    error = update_error(tmp_path, {"meta.csv": lambda t: t.replace('"update"', '"full"')})
    assert error.path == tmp_path / "raw" / kbo.FOLDER / U137 / "meta.csv"
    assert "ExtractType is not 'update'" in str(error) and (error.line, error.column, error.value) == (4, "Value",
                                                                                                       "full")


def test_update_with_a_wrong_extract_number(tmp_path: Path) -> None:
    error = update_error(tmp_path, {"meta.csv": lambda t: t.replace('"137"', '"138"')})
    assert "ExtractNumber 138 differs from the number in the file name (137)" in str(error)


def test_update_missing_a_member(tmp_path: Path) -> None:
    error = update_error(tmp_path, drop=("address_insert.csv",))
    assert error.path == tmp_path / "raw" / kbo.FOLDER / U137 and "no member address_insert.csv" in str(error)


def test_update_malformed_line(tmp_path: Path) -> None:
    error = update_error(tmp_path, {"activity_insert.csv": lambda t: t.replace('"MAIN"', '"MAIN","x"', 1)})
    assert str(error).startswith("activity_insert.csv, line 2:") and error.line == 2
    assert U137 in str(error)


def test_update_inserting_an_enterprise_already_there(tmp_path: Path) -> None:
    repeat = '"0200.362.210","AC","000","2","706",,26-02-1968\n'
    error = update_error(tmp_path, {"enterprise_insert.csv": lambda t: t + repeat})
    assert error.path.name == "enterprise_insert.csv" and error.value == "0200.362.210"
    assert "not in the delete file" in str(error)
