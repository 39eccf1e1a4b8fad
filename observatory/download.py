"""Downloading public files safely: streamed, resumable, retried, size-capped, verified, installed atomically.

Source-independent: the per-source downloaders (KBO, SIRENE, Statbel, Eurostat...) call :func:`download` with the
URL, the target path and what the file must be (``kind``). A download streams to ``<target>.part``; only a file
that passed every check replaces ``target`` (``os.replace``), so a failed or interrupted download never touches the
previous copy. After a transient failure (connection dropped, 5xx, 429) the ``.part`` file is kept with a small
``<target>.part.json`` (URL, ETag, Last-Modified) and the next attempt, in this call or a later one, asks only for
the missing bytes (``Range``, guarded by ``If-Range`` so a file changed on the server restarts from zero). Other
failures (4xx, size cap, checksum, HTML page instead of data) delete both.

Progress goes through a ``progress(message)`` callback (Dagster's ``context.log.info`` or ``print``) and the
module's logger at DEBUG level. Form values (passwords) never appear in either: only field names do.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.client
import json
import logging
import os
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any, Literal, Protocol

from observatory import safezip
from observatory.errors import InputError

Kind = Literal["zip", "gzip", "text", "binary", "xlsx"]
Progress = Callable[[str], None] | None

CHUNK_SIZE = 1 << 20
USER_AGENT = "desir-observatory/0.1 (cross-border social-economy observatory; Python urllib)"
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
# A Retry-After longer than this is not waited for: the download gives up (the .part stays for the next run).
MAX_RETRY_AFTER_SECONDS = 120.0
HTML_STATBEL_HINT = "Statbel answers scripts with a CAPTCHA page and HTTP 200"

log = logging.getLogger(__name__)
# Injectable so that tests do not wait: the retry loop looks it up at call time.
_sleep: Callable[[float], None] = time.sleep


class Opener(Protocol):
    """What :func:`download` needs from a session: ``urllib.request.OpenerDirector.open``."""

    def open(self, fullurl: Any, data: bytes | None = None, timeout: float = ...) -> Any: ...


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


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    url: str
    size: int
    sha256: str
    etag: str | None
    last_modified: str | None
    content_type: str | None
    attempts: int
    resumed: bool


class _Transient(Exception):
    """A failure worth retrying; ``delay`` overrides the back-off (0: retry at once, e.g. restart from zero)."""

    def __init__(self, reason: str, *, retry_after: float | None = None, delay: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.delay = delay


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


def _say(progress: Progress, message: str) -> None:
    log.debug(message)
    if progress is not None:
        progress(message)


def new_session() -> urllib.request.OpenerDirector:
    """An opener that keeps cookies between requests (a login, then downloads); its jar is ``.cookie_jar``."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    opener.cookie_jar = jar  # type: ignore[attr-defined]
    return opener


def post_form(session: Opener, url: str, fields: Mapping[str, str], *, timeout: float = 60, progress: Progress = None,
              headers: Mapping[str, str] | None = None, max_body: int = 1 << 16) -> tuple[int, str, str]:
    """POST a form (a login), following redirects; returns (status, final URL, start of the body as text).

    An HTTP error status is returned, not raised, so the caller decides (a failed Spring Security login is a 302 to
    ``/login?error`` and then 200). The field values are never logged nor put in an error message.
    """
    names = ", ".join(fields) or "none"
    _say(progress, f"POST {url} (form fields: {names}; values not shown)")
    data = urllib.parse.urlencode(dict(fields)).encode("ascii")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    try:
        response = session.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        with exc:
            status, final_url, body = exc.code, exc.geturl() or url, exc.read(max_body)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise DownloadError(url, None, f"the form POST failed: {_describe(exc)}", state="") from None
    else:
        with response:
            status, final_url, body = response.status, response.geturl(), response.read(max_body)
    _say(progress, f"POST {url}: HTTP {status}, ended at {final_url}")
    return status, final_url, body.decode("utf-8", "replace")


def head_or_probe(url: str, session: Opener | None = None, *, timeout: float = 30,
                  headers: Mapping[str, str] | None = None) -> dict:
    """What the server says about ``url`` without downloading it, for change detection.

    Returns ``etag``, ``last_modified``, ``content_length`` (int or None: the whole file's size), ``content_type``,
    ``accept_ranges``, ``status``, ``url`` (after redirects) and ``method``. Uses HEAD; when HEAD is refused
    (405, 501), a GET of the first byte (``Range: bytes=0-0``), whose body is not read.
    """
    opener = session or new_session()
    method = "HEAD"
    try:
        response = opener.open(urllib.request.Request(url, method="HEAD", headers=dict(headers or {})), timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code not in (405, 501):
            raise DownloadError(url, None, f"HEAD answered HTTP {exc.code} {exc.reason}", status=exc.code, state="") from None
        method = "GET"
        try:
            response = opener.open(urllib.request.Request(url, headers={**(headers or {}), "Range": "bytes=0-0"}),
                                   timeout=timeout)
        except urllib.error.HTTPError as exc2:
            exc2.close()
            raise DownloadError(url, None, f"GET (probe) answered HTTP {exc2.code} {exc2.reason}", status=exc2.code,
                                state="") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc2:
            raise DownloadError(url, None, f"probe failed: {_describe(exc2)}", state="") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise DownloadError(url, None, f"HEAD failed: {_describe(exc)}", state="") from None
    with response:
        h = response.headers
        length = _int_or_none(h.get("Content-Length"))
        if response.status == 206:
            length = _content_range(h.get("Content-Range"))[2]
        return {
            "url": response.geturl(),
            "status": response.status,
            "method": method,
            "etag": h.get("ETag"),
            "last_modified": h.get("Last-Modified"),
            "content_length": length,
            "content_type": h.get("Content-Type"),
            "accept_ranges": response.status == 206 or h.get("Accept-Ranges", "").strip().lower() == "bytes",
        }


def version_markers(head: dict) -> dict:
    """What tells a producer's versions of a file apart without downloading it (from :func:`head_or_probe`)."""
    return {"etag": head.get("etag"), "last_modified": head.get("last_modified"),
            "content_length": head.get("content_length")}


def download(url: str, target: Path | str, *, session: Opener | None = None, expected_sha256: str | None = None,
             expected_size: int | None = None, max_bytes: int, kind: Kind, retries: int = 4, backoff_seconds: float = 1.0,
             timeout: float = 60, progress: Progress = None, headers: Mapping[str, str] | None = None) -> DownloadResult:
    """Download ``url`` to ``target`` (see the module docstring); at most ``retries + 1`` HTTP requests.

    Raises :class:`DownloadError`; the previous ``target`` is then unchanged.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    meta = target.with_name(target.name + ".part.json")
    opener = session or new_session()
    state = _load_state(part, meta, url)
    attempts = 0
    resumed = False
    while True:
        attempts += 1
        try:
            response_info, was_resumed = _attempt(opener, url, target, part, meta, state, max_bytes=max_bytes,
                                                  timeout=timeout, progress=progress, headers=headers)
            resumed = resumed or was_resumed
            break
        except _Transient as exc:
            kept = part.stat().st_size if part.exists() else 0
            too_long = exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER_SECONDS
            if attempts > retries or too_long:
                why = (f"the server asks to come back in {exc.retry_after:.0f} s" if too_long
                       else f"gave up after {attempts} attempt(s)")
                # Keep the bytes only if a later call can resume them safely (ranges and a validator for If-Range).
                resumable = kept and state.accept_ranges and state.if_range()
                keep = f"; {kept} bytes kept in {part.name} for the next call to resume" if resumable else ""
                if not keep:
                    _discard(part, meta)
                raise DownloadError(url, target, f"{exc.reason}; {why}{keep}") from None
            delay = exc.delay
            if delay is None:
                delay = backoff_seconds * 2 ** (attempts - 1)
                if exc.retry_after is not None:
                    delay = max(delay, exc.retry_after)
            _say(progress, f"{url}: {exc.reason}; retry {attempts}/{retries} in {delay:g} s")
            if delay > 0:
                _sleep(delay)
        except DownloadError:
            _discard(part, meta)
            raise
    try:
        size, digest = _verify(part, url, target, kind=kind, expected_size=expected_size,
                               expected_sha256=expected_sha256, content_type=response_info["content_type"])
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


def _attempt(opener: Opener, url: str, target: Path, part: Path, meta: Path, state: _PartState, *, max_bytes: int,
             timeout: float, progress: Progress, headers: Mapping[str, str] | None) -> tuple[dict, bool]:
    """One HTTP request; appends to or rewrites ``part``. Raises _Transient (retry) or DownloadError (stop)."""
    offset = part.stat().st_size if part.exists() else 0
    if offset and not state.can_resume():
        _truncate(part)
        offset = 0
    request_headers = {"Accept-Encoding": "identity", **(headers or {})}
    if offset:
        request_headers["Range"] = f"bytes={offset}-"
        if validator := state.if_range():
            request_headers["If-Range"] = validator
        _say(progress, f"{url}: resuming at byte {offset}")
    else:
        _say(progress, f"GET {url}")
    try:
        response = opener.open(urllib.request.Request(url, headers=request_headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:
            # The bytes we hold do not fit the file any more (it shrank, or .part is complete but unverified).
            _truncate(part)
            raise _Transient("HTTP 416 for the missing bytes, restarting from zero", delay=0) from None
        if exc.code in TRANSIENT_STATUSES:
            raise _Transient(f"HTTP {exc.code} {exc.reason}", retry_after=_retry_after(exc.headers)) from None
        hint = {401: "authentication required (log in first?)", 403: "access refused", 404: "no such file",
                410: "the file was removed"}.get(exc.code, "client error")
        raise DownloadError(url, target, f"HTTP {exc.code} {exc.reason}: {hint}; not retried", status=exc.code) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            raise DownloadError(url, target, f"TLS certificate not trusted: {exc.reason}") from None
        raise _Transient(f"connection failed: {_describe(exc)}") from None
    except (http.client.HTTPException, OSError) as exc:
        raise _Transient(f"connection failed: {_describe(exc)}") from None

    with response:
        h = response.headers
        etag, last_modified = h.get("ETag"), h.get("Last-Modified")
        length = _int_or_none(h.get("Content-Length"))
        resumed = False
        if response.status == 206 and offset:
            start, _end, total = _content_range(h.get("Content-Range"))
            changed = (state.etag and etag and etag != state.etag) or (
                not state.etag and state.last_modified and last_modified and last_modified != state.last_modified)
            if start != offset or changed:
                _truncate(part)
                why = "the file changed on the server" if changed else f"the server resumed at byte {start}, not {offset}"
                raise _Transient(f"{why}, restarting from zero", delay=0)
            announced = total if total is not None else (offset + length if length is not None else None)
            mode, resumed = "ab", True
        else:
            if offset:
                _say(progress, f"{url}: the server sent the whole file (HTTP {response.status}), restarting from zero")
            offset = 0
            announced = length
            mode = "wb"
        state.etag, state.last_modified, state.from_earlier_call = etag, last_modified, False
        state.accept_ranges = response.status == 206 or h.get("Accept-Ranges", "").strip().lower() == "bytes"
        _save_state(meta, state)
        if announced is not None and announced > max_bytes:
            raise DownloadError(url, target, f"the server announces {announced} bytes, over the cap of {max_bytes}")

        received = 0
        step = max(64 * CHUNK_SIZE, (announced or 0) // 10)
        next_report = step
        try:
            with part.open(mode) as out:
                while chunk := response.read(CHUNK_SIZE):
                    received += len(chunk)
                    if offset + received > max_bytes:
                        raise DownloadError(url, target, f"more than {max_bytes} bytes received (the size cap); stopped")
                    out.write(chunk)
                    if offset + received >= next_report:
                        of = f" of {announced}" if announced else ""
                        _say(progress, f"{url}: {offset + received} bytes{of}")
                        next_report += step
        except DownloadError:
            raise
        except (http.client.HTTPException, OSError) as exc:
            raise _Transient(f"connection dropped after {offset + received} bytes: {_describe(exc)}") from None
        # http.client returns b"" (no error) when the peer closes early: compare with Content-Length ourselves.
        if length is not None and received < length:
            raise _Transient(f"connection closed after {offset + received} of {offset + length} bytes")
        return {"etag": etag, "last_modified": last_modified, "content_type": h.get("Content-Type")}, resumed


def _verify(part: Path, url: str, target: Path, *, kind: Kind, expected_size: int | None, expected_sha256: str | None,
            content_type: str | None) -> tuple[int, str]:
    """Size, checksum and format of the downloaded bytes; returns (size, sha256)."""
    what = {"zip": "a ZIP", "gzip": "a gzip file", "xlsx": "an Excel workbook", "text": "a text (CSV/TSV) file"}
    if kind != "binary" and looks_like_html(part):
        raise DownloadError(url, target, f"the server sent an HTML page, not {what[kind]} ({HTML_STATBEL_HINT}; a login "
                                         f"or error page does the same; Content-Type {content_type or 'not given'})")
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


def looks_like_html(path: Path) -> bool:
    """Whether the file starts (after a BOM and white space) like an HTML page."""
    with path.open("rb") as handle:
        head = handle.read(1024)
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


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
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        return f"{type(exc.reason).__name__}: {exc.reason}" if isinstance(exc.reason, BaseException) else str(exc.reason)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
