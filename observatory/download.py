"""Downloading public files safely: streamed, resumable, retried, size-capped, verified, installed atomically.

Source-independent: the per-source downloaders (KBO, SIRENE, Statbel, Eurostat...) call :func:`download` with the
URL, the target path and what the file must be (``kind``). A download streams to ``<target>.part``; only a file
that passed every check replaces ``target`` (``os.replace``), so a failed or interrupted download never touches the
previous copy.

Requests go through a ``requests.Session`` (:func:`new_session`): it keeps cookies (the KBO login) and its adapter
retries, with urllib3's ``Retry``, what can be retried before a body arrives: a failed or timed-out connection and
HTTP 429, 500, 502, 503, 504, for GET and HEAD only (a login form is never sent twice), with exponential back-off,
honouring ``Retry-After`` up to :data:`MAX_RETRY_AFTER_SECONDS`. A body cut short after the headers is beyond
urllib3's retries: :func:`download` keeps the bytes received in ``.part`` with a small ``<target>.part.json`` (URL,
ETag, Last-Modified) and asks only for the missing ones (``Range``, guarded by ``If-Range`` so a file changed on the
server restarts from zero), a bounded number of times in this call, and again in a later call when the transient
failures outlast the retries. Other failures (4xx, size cap, checksum, HTML page instead of data) delete both.

Progress goes through a ``progress(message)`` callback (Dagster's ``context.log.info`` or ``print``) and the
module's logger at DEBUG level. Form values (passwords) never appear in either: only field names do.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import logging
import os
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from observatory import safezip
from observatory.errors import InputError, html_instead_of

Kind = Literal["zip", "gzip", "text", "binary", "xlsx"]
Progress = Callable[[str], None] | None
# The session fetchers pass around (the name predates requests): cookies, headers and the retrying adapter.
Opener = requests.Session

CHUNK_SIZE = 1 << 20
USER_AGENT = "desir-observatory/0.1 (cross-border social-economy observatory; Python requests)"
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
# Only idempotent requests are repeated: a POST (the KBO login form) is sent once.
RETRY_METHODS = frozenset({"GET", "HEAD"})
# A Retry-After longer than this is not waited for: the download gives up (the .part stays for the next run).
MAX_RETRY_AFTER_SECONDS = 120.0
# What each kind must be, in the messages.
EXPECTED = {"zip": "a ZIP", "gzip": "a gzip file", "xlsx": "an Excel workbook", "text": "a text (CSV/TSV) file",
            "binary": "the file"}

log = logging.getLogger(__name__)
# Injectable so that tests do not wait: the retries (urllib3's and the resumes) look it up at call time.
_sleep: Callable[[float], None] = time.sleep


class DownloadError(Exception):
    """A download (or an archive extraction) failed; the message says what happened and the state of the target."""

    def __init__(self, url: str | None, target: Path | str | None, problem: str, *, status: int | None = None,
                 state: str | None = None) -> None:
        self.url = url
        self.target = Path(target) if target is not None else None
        self.problem = problem
        self.status = status
        text = f"{url}: {problem}" if url else problem
        if state is None and self.target is not None:
            state = (f"the previous copy {self.target} is intact" if self.target.exists()
                     else f"no file was installed at {self.target}")
        if state:
            text += f" ({state})"
        super().__init__(text)


class HtmlPageError(DownloadError):
    """The server answered an HTML page (a login, error or CAPTCHA page) where a file was expected."""


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    url: str
    size: int
    sha256: str
    etag: str | None
    last_modified: str | None
    content_type: str | None
    attempts: int  # HTTP requests made: the adapter's retries and the resumes included
    resumed: bool


class _Interrupted(Exception):
    """The body stopped short (or the bytes held do not fit the file): resume, or restart from zero (``delay=0``)."""

    def __init__(self, reason: str, *, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class _GaveUp(Exception):
    """The adapter's retries are spent (or Retry-After is too long): still transient, so ``.part`` may be kept."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass
class _PartState:
    """What the server said about the bytes already in ``.part``, to resume them safely."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    accept_ranges: bool = False
    # Bytes written in an earlier call can be resumed only with a validator (the file may have changed since).
    from_earlier_call: bool = False

    def can_resume(self) -> bool:
        if not self.accept_ranges:
            return False
        return not self.from_earlier_call or bool(self.if_range())

    def if_range(self) -> str | None:
        # If-Range takes a strong ETag or a date; a weak ETag (W/"...") may not be used.
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified


@dataclass
class _Watch:
    """The request being made, for the retry messages (the adapter knows neither the full URL nor the callback)."""

    url: str
    progress: Progress
    retries: int = 0


_watch: ContextVar[_Watch | None] = ContextVar("observatory_download_watch", default=None)


@contextmanager
def _watching(url: str, progress: Progress) -> Iterator[_Watch]:
    watch = _Watch(url, progress)
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


def _say(progress: Progress, message: str) -> None:
    log.debug(message)
    if progress is not None:
        progress(message)


class _Retry(Retry):
    """urllib3's Retry, waiting through ``_sleep`` with a progress message, and giving up at once on a Retry-After
    over :data:`MAX_RETRY_AFTER_SECONDS` (the last answer then reaches the caller, which says so)."""

    def get_retry_after(self, response: Any) -> float | None:
        try:
            return super().get_retry_after(response)
        except urllib3.exceptions.InvalidHeader:
            return None  # unreadable: the back-off applies

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> _Retry:
        if response is not None and self.respect_retry_after_header:
            wait = self.get_retry_after(response)
            if wait is not None and wait > MAX_RETRY_AFTER_SECONDS:
                raise urllib3.exceptions.MaxRetryError(_pool, url, urllib3.exceptions.ResponseError(
                    f"Retry-After {wait:.0f} s"))
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response: Any = None) -> None:
        wait = self.get_retry_after(response) if response is not None and self.respect_retry_after_header else None
        if wait is None:
            wait = self.get_backoff_time()
        if (watch := _watch.get()) is not None:
            watch.retries += 1
            last = self.history[-1] if self.history else None
            why = (f"HTTP {last.status}" if last is not None and last.status else
                   _describe(last.error) if last is not None and last.error else "failed")
            done = len(self.history)
            _say(watch.progress, f"{watch.url}: {why}; retry {done}/{done + (self.total or 0)} in {wait:g} s")
        if wait > 0:
            _sleep(wait)


def new_session(*, retries: int = 4, backoff_seconds: float = 1.0) -> requests.Session:
    """A session that keeps cookies between requests (a login, then downloads) and retries transient failures.

    Each request is repeated at most ``retries`` times (GET and HEAD; a POST only when the connection failed before
    it was sent), waiting what ``Retry-After`` asks or urllib3's back-off: nothing before the first retry, then
    2, 4, 8... times ``backoff_seconds`` (at most 120 s). A TLS failure (a certificate not trusted) is not retried.
    """
    retry = _Retry(total=retries, other=0, backoff_factor=backoff_seconds, status_forcelist=TRANSIENT_STATUSES,
                   allowed_methods=RETRY_METHODS, respect_retry_after_header=True, raise_on_status=False)
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def post_form(session: Opener, url: str, fields: Mapping[str, str], *, timeout: float = 60, progress: Progress = None,
              headers: Mapping[str, str] | None = None, max_body: int = 1 << 16) -> tuple[int, str, str]:
    """POST a form (a login), following redirects; returns (status, final URL, start of the body as text).

    An HTTP error status is returned, not raised, so the caller decides (a failed Spring Security login is a 302 to
    ``/login?error`` and then 200). The field values are never logged nor put in an error message.
    """
    names = ", ".join(fields) or "none"
    _say(progress, f"POST {url} (form fields: {names}; values not shown)")
    with _watching(url, progress):
        try:
            response = session.post(url, data=dict(fields), headers=dict(headers or {}), timeout=timeout, stream=True)
        except requests.RequestException as exc:
            raise DownloadError(url, None, f"the form POST failed: {_describe(exc)}", state="") from None
        with response:
            body = _read_some(response, url, max_body)
    _say(progress, f"POST {url}: HTTP {response.status_code}, ended at {response.url}")
    return response.status_code, response.url, body.decode("utf-8", "replace")


def get_page(session: Opener, url: str, *, timeout: float = 60, progress: Progress = None,
             headers: Mapping[str, str] | None = None, max_bytes: int = 8 << 20) -> tuple[int, str, str]:
    """GET a small page (a file list), following redirects; returns (status, final URL, at most ``max_bytes`` of
    the body as text). Transient failures are retried by the session; an HTTP error status is returned, not raised."""
    _say(progress, f"GET {url}")
    with _watching(url, progress):
        try:
            response = session.get(url, headers=dict(headers or {}), timeout=timeout, stream=True)
        except requests.RequestException as exc:
            raise DownloadError(url, None, f"connection failed: {_describe(exc)}", state="") from None
        with response:
            body = _read_some(response, url, max_bytes)
    return response.status_code, response.url, body.decode("utf-8", "replace")


def _read_some(response: requests.Response, url: str, limit: int) -> bytes:
    """At most ``limit`` bytes of a (small) body."""
    data = b""
    try:
        for chunk in response.iter_content(min(CHUNK_SIZE, limit) or 1):
            data += chunk
            if len(data) >= limit:
                break
    except requests.RequestException as exc:
        raise DownloadError(url, None, f"the answer was cut: {_describe(exc)}", state="") from None
    return data[:limit]


def head_or_probe(url: str, session: Opener | None = None, *, timeout: float = 30,
                  headers: Mapping[str, str] | None = None) -> dict:
    """What the server says about ``url`` without downloading it, for change detection.

    Returns ``etag``, ``last_modified``, ``content_length`` (int or None: the whole file's size), ``content_type``,
    ``accept_ranges``, ``status``, ``url`` (after redirects) and ``method``. Uses HEAD; when HEAD is refused
    (405, 501), a GET of the first byte (``Range: bytes=0-0``), whose body is not read.
    """
    http = session if session is not None else new_session()
    # The length of the file itself, as the download will receive it.
    asked = {"Accept-Encoding": "identity", **(headers or {})}
    method = "HEAD"
    with _watching(url, None):
        try:
            response = http.head(url, headers=asked, timeout=timeout, allow_redirects=True)
            if response.status_code in (405, 501):
                response.close()
                method = "GET"
                response = http.get(url, headers={**asked, "Range": "bytes=0-0"}, timeout=timeout, stream=True)
        except requests.RequestException as exc:
            what = "HEAD" if method == "HEAD" else "probe"
            raise DownloadError(url, None, f"{what} failed: {_describe(exc)}", state="") from None
    with response:
        if response.status_code >= 400:
            what = "HEAD" if method == "HEAD" else "GET (probe)"
            raise DownloadError(url, None, f"{what} answered HTTP {response.status_code} {response.reason}",
                                status=response.status_code, state="")
        h = response.headers
        length = _int_or_none(h.get("Content-Length"))
        if response.status_code == 206:
            length = _content_range(h.get("Content-Range"))[2]
        return {
            "url": response.url,
            "status": response.status_code,
            "method": method,
            "etag": h.get("ETag"),
            "last_modified": h.get("Last-Modified"),
            "content_length": length,
            "content_type": h.get("Content-Type"),
            "accept_ranges": response.status_code == 206 or h.get("Accept-Ranges", "").strip().lower() == "bytes",
        }


def version_markers(head: dict) -> dict:
    """What tells a producer's versions of a file apart without downloading it (from :func:`head_or_probe`)."""
    return {"etag": head.get("etag"), "last_modified": head.get("last_modified"),
            "content_length": head.get("content_length")}


def download(url: str, target: Path | str, *, session: Opener | None = None, expected_sha256: str | None = None,
             expected_size: int | None = None, max_bytes: int, kind: Kind, retries: int = 4, backoff_seconds: float = 1.0,
             timeout: float = 60, progress: Progress = None, headers: Mapping[str, str] | None = None) -> DownloadResult:
    """Download ``url`` to ``target`` (see the module docstring).

    The session (a new one with ``retries`` and ``backoff_seconds`` when none is given) retries each request; a
    body cut short is resumed at most ``retries`` times, after ``backoff_seconds`` × 1, 2, 4... Raises
    :class:`DownloadError`; the previous ``target`` is then unchanged.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    meta = target.with_name(target.name + ".part.json")
    http = session if session is not None else new_session(retries=retries, backoff_seconds=backoff_seconds)
    state = _load_state(part, meta, url)
    requests_made = resumes = 0
    resumed = False
    with _watching(url, progress) as watch:
        while True:
            requests_made += 1
            try:
                response_info, was_resumed = _attempt(http, url, target, part, meta, state, max_bytes=max_bytes,
                                                      timeout=timeout, progress=progress, headers=headers)
                resumed = resumed or was_resumed
                break
            except _Interrupted as exc:
                if resumes >= retries:
                    _give_up(url, target, part, meta, state, f"{exc.reason}; gave up after "
                                                             f"{requests_made + watch.retries} attempt(s)")
                resumes += 1
                delay = exc.delay if exc.delay is not None else backoff_seconds * 2 ** (resumes - 1)
                _say(progress, f"{url}: {exc.reason}; resume {resumes}/{retries} in {delay:g} s")
                if delay > 0:
                    _sleep(delay)
            except _GaveUp as exc:
                if exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER_SECONDS:
                    why = f"the server asks to come back in {exc.retry_after:.0f} s"
                else:
                    why = f"gave up after {requests_made + watch.retries} attempt(s)"
                _give_up(url, target, part, meta, state, f"{exc.reason}; {why}")
            except DownloadError:
                _discard(part, meta)
                raise
    attempts = requests_made + watch.retries
    try:
        size, digest = _verify(part, url, target, kind=kind, expected_size=expected_size,
                               expected_sha256=expected_sha256)
    except DownloadError:
        _discard(part, meta)
        raise
    os.replace(part, target)
    meta.unlink(missing_ok=True)
    _say(progress, f"{url}: {size} bytes installed at {target} (sha256 {digest[:12]}..., {attempts} attempt(s)"
                   f"{', resumed' if resumed else ''})")
    return DownloadResult(path=target, url=url, size=size, sha256=digest, etag=response_info["etag"],
                          last_modified=response_info["last_modified"], content_type=response_info["content_type"],
                          attempts=attempts, resumed=resumed)


def _give_up(url: str, target: Path, part: Path, meta: Path, state: _PartState, problem: str) -> None:
    """Raise the DownloadError of a transient failure that outlasted the retries, keeping ``.part`` if a later call
    can resume it safely (the server takes ranges and gave a validator for If-Range)."""
    kept = part.stat().st_size if part.exists() else 0
    if kept and state.accept_ranges and state.if_range():
        problem += f"; {kept} bytes kept in {part.name} for the next call to resume"
    else:
        _discard(part, meta)
    raise DownloadError(url, target, problem) from None


def _attempt(http: Opener, url: str, target: Path, part: Path, meta: Path, state: _PartState, *, max_bytes: int,
             timeout: float, progress: Progress, headers: Mapping[str, str] | None) -> tuple[dict, bool]:
    """One GET (retried by the session); appends to or rewrites ``part``. Raises _Interrupted (resume), _GaveUp
    (transient, retries spent) or DownloadError (stop)."""
    offset = part.stat().st_size if part.exists() else 0
    if offset and not state.can_resume():
        _truncate(part)
        offset = 0
    # identity: the bytes on the wire are the file's, so Range offsets, sizes and checksums are the file's.
    request_headers = {"Accept-Encoding": "identity", **(headers or {})}
    if offset:
        request_headers["Range"] = f"bytes={offset}-"
        if validator := state.if_range():
            request_headers["If-Range"] = validator
        _say(progress, f"{url}: resuming at byte {offset}")
    else:
        _say(progress, f"GET {url}")
    try:
        response = http.get(url, headers=request_headers, timeout=timeout, stream=True)
    except requests.exceptions.SSLError as exc:
        raise DownloadError(url, target, f"TLS failed (a certificate not trusted?): {_describe(exc)}; not retried") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise _GaveUp(f"connection failed: {_describe(exc)}") from None
    except requests.RequestException as exc:
        raise DownloadError(url, target, f"the request failed: {_describe(exc)}") from None

    with response:
        status = response.status_code
        if status >= 400:
            if status == 416 and offset:
                # The bytes we hold do not fit the file any more (it shrank, or .part is complete but unverified).
                _truncate(part)
                raise _Interrupted("HTTP 416 for the missing bytes, restarting from zero", delay=0)
            if status in TRANSIENT_STATUSES:
                raise _GaveUp(f"HTTP {status} {response.reason}", retry_after=_retry_after(response.headers))
            hint = {401: "authentication required (log in first?)", 403: "access refused", 404: "no such file",
                    410: "the file was removed"}.get(status, "client error")
            raise DownloadError(url, target, f"HTTP {status} {response.reason}: {hint}; not retried", status=status)
        h = response.headers
        etag, last_modified = h.get("ETag"), h.get("Last-Modified")
        length = _int_or_none(h.get("Content-Length"))
        resumed = False
        if status == 206 and offset:
            start, _end, total = _content_range(h.get("Content-Range"))
            changed = (state.etag and etag and etag != state.etag) or (
                not state.etag and state.last_modified and last_modified and last_modified != state.last_modified)
            if start != offset or changed:
                _truncate(part)
                why = "the file changed on the server" if changed else f"the server resumed at byte {start}, not {offset}"
                raise _Interrupted(f"{why}, restarting from zero", delay=0)
            announced = total if total is not None else (offset + length if length is not None else None)
            mode, resumed = "ab", True
        else:
            if offset:
                _say(progress, f"{url}: the server sent the whole file (HTTP {status}), restarting from zero")
            offset = 0
            announced = length
            mode = "wb"
        state.etag, state.last_modified, state.from_earlier_call = etag, last_modified, False
        state.accept_ranges = status == 206 or h.get("Accept-Ranges", "").strip().lower() == "bytes"
        _save_state(meta, state)
        if announced is not None and announced > max_bytes:
            raise DownloadError(url, target, f"the server announces {announced} bytes, over the cap of {max_bytes}")

        received = 0
        step = max(64 * CHUNK_SIZE, (announced or 0) // 10)
        next_report = step
        # The raw stream, not decoded: what the server sent is what is kept (see Accept-Encoding above).
        chunks = response.raw.stream(CHUNK_SIZE, decode_content=False)
        with part.open(mode) as out:
            while True:
                try:
                    chunk = next(chunks, b"")
                except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
                    if isinstance(exc, urllib3.exceptions.ProtocolError) and length is not None:
                        # urllib3 checks Content-Length: this is the peer closing early (or resetting).
                        reason = f"connection closed after {offset + received} of {offset + length} bytes"
                    else:
                        reason = f"connection dropped after {offset + received} bytes: {_describe(exc)}"
                    raise _Interrupted(reason) from None
                if not chunk:
                    break
                received += len(chunk)
                if offset + received > max_bytes:
                    raise DownloadError(url, target, f"more than {max_bytes} bytes received (the size cap); stopped")
                try:
                    out.write(chunk)
                except OSError as exc:
                    raise DownloadError(url, target, f"cannot write {part}: {_describe(exc)}") from exc
                if offset + received >= next_report:
                    of = f" of {announced}" if announced else ""
                    _say(progress, f"{url}: {offset + received} bytes{of}")
                    next_report += step
        # A peer closing early may end the stream without an error: compare with Content-Length ourselves.
        if length is not None and received < length:
            raise _Interrupted(f"connection closed after {offset + received} of {offset + length} bytes")
        return {"etag": etag, "last_modified": last_modified, "content_type": h.get("Content-Type")}, resumed


def _verify(part: Path, url: str, target: Path, *, kind: Kind, expected_size: int | None,
            expected_sha256: str | None) -> tuple[int, str]:
    """Size, checksum and format of the downloaded bytes; returns (size, sha256)."""
    what = EXPECTED
    if kind != "binary" and (problem := html_instead_of(part, what[kind])):
        raise HtmlPageError(url, target, problem)
    size = part.stat().st_size
    if expected_size is not None and size != expected_size:
        raise DownloadError(url, target, f"{size} bytes received, {expected_size} expected")
    digest = hashlib.sha256()
    with part.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    sha = digest.hexdigest()
    if expected_sha256 is not None and sha != expected_sha256.strip().lower():
        raise DownloadError(url, target, f"sha256 {sha} differs from the expected {expected_sha256}")
    with part.open("rb") as handle:
        head = handle.read(4)
    if kind in ("zip", "xlsx"):
        if head != b"PK\x03\x04":
            raise DownloadError(url, target, f"not {what[kind]}: starts with {head!r}, not PK\\x03\\x04")
        try:
            # Names, links, member count and declared sizes against the extraction caps, before testzip inflates
            # every member (a ZIP bomb would keep it busy for hours).
            safezip.check_zip(part)
        except InputError as exc:
            raise DownloadError(url, target, f"not accepted as {what[kind]}: {exc.problem}") from None
        try:
            with zipfile.ZipFile(part) as archive:
                bad = archive.testzip()
                names = archive.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, RuntimeError,
                NotImplementedError, ValueError) as exc:
            raise DownloadError(url, target, f"corrupt {what[kind]}: {_describe(exc)}") from None
        if bad is not None:
            raise DownloadError(url, target, f"corrupt {what[kind]}: member {bad!r} fails its CRC check")
        if kind == "xlsx" and "[Content_Types].xml" not in names:
            raise DownloadError(url, target, "not an Excel workbook: a ZIP without [Content_Types].xml")
    elif kind == "gzip":
        if head[:2] != b"\x1f\x8b":
            raise DownloadError(url, target, f"not a gzip file: starts with {head!r}, not \\x1f\\x8b")
        try:
            with gzip.open(part, "rb") as stream:
                while stream.read(CHUNK_SIZE):
                    pass
        except (OSError, EOFError, zlib.error) as exc:
            raise DownloadError(url, target, f"corrupt or truncated gzip file: {_describe(exc)}") from None
    return size, sha


def _load_state(part: Path, meta: Path, url: str) -> _PartState:
    """The resume state left by an earlier call, if it was for the same URL; else start from zero."""
    if part.exists() and meta.exists():
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if data.get("url") == url:
            return _PartState(url=url, etag=data.get("etag"), last_modified=data.get("last_modified"),
                              accept_ranges=bool(data.get("accept_ranges")), from_earlier_call=True)
    return _PartState(url=url)


def _save_state(meta: Path, state: _PartState) -> None:
    data = {"url": state.url, "etag": state.etag, "last_modified": state.last_modified,
            "accept_ranges": state.accept_ranges, "saved_at": datetime.now(UTC).isoformat(timespec="seconds")}
    meta.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _truncate(part: Path) -> None:
    with part.open("wb"):
        pass


def _discard(part: Path, meta: Path) -> None:
    part.unlink(missing_ok=True)
    meta.unlink(missing_ok=True)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    """``bytes 100-199/1000`` -> (100, 199, 1000); None where absent or ``*``."""
    found = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", value or "")
    if not found:
        return None, None, None
    total = None if found.group(3) == "*" else int(found.group(3))
    return int(found.group(1)), int(found.group(2)), total


def _retry_after(headers: Any) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), None when absent or unreadable."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _describe(exc: BaseException) -> str:
    """What really happened: requests wraps urllib3's MaxRetryError, which wraps the last failure."""
    for _ in range(5):
        inner = exc.args[0] if isinstance(exc, requests.RequestException) and exc.args else None
        if isinstance(exc, urllib3.exceptions.MaxRetryError):
            inner = exc.reason
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
