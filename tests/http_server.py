"""A local HTTP server for download tests: 127.0.0.1, a free port, routes configured per test, requests recorded.

    with serve() as server:
        server.static("/data.zip", payload)                       # ETag, Last-Modified, Accept-Ranges, Range -> 206
        server.static("/flaky.zip", payload, drop_after=1000, drop_times=2)   # first 2 answers cut after 1000 bytes
        server.static("/busy.csv", b"a,b\\n", fail_with=[503])     # 503 (Retry-After) once, then 200
        server.static("/odd.zip", payload, ignore_range=True)     # Accept-Ranges announced, Range ignored (200)
        server.page("/captcha", "<!DOCTYPE html>...")             # 200 text/html
        server.login(username="u", password="p", protected={"/files/x.zip": payload})
        download(server.url("/data.zip"), ...)
        server.requests_to("/flaky.zip")                          # what the client sent (method, headers, body)
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
LOGIN_PAGE = b"<!DOCTYPE html><html><body><form method='post' action='/login'>login</form></body></html>"


@dataclass
class Seen:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> str:
        return urllib.parse.urlsplit(self.path).path


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # Send only this many body bytes (after a full Content-Length header), then close the connection.
    drop_after: int | None = None
    # False: no Content-Length, the body ends when the connection closes (the client cannot know the size).
    length: bool = True


Handler = Callable[[Seen], Reply]


class TestServer:
    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.route == path]

    def static(self, path: str, body: bytes, *, content_type: str = "application/octet-stream", etag: str | None = None,
               last_modified: str | None = LAST_MODIFIED, ranges: bool = True, drop_after: int | None = None,
               drop_times: int = 0, fail_with: list[int] | None = None, retry_after: str | None = "1",
               head: bool = True, length: bool = True, ignore_range: bool = False) -> None:
        """A file; the first ``len(fail_with)`` requests get those statuses, the next ``drop_times`` are cut.

        ``head=False``: HEAD is refused with 405 (as some producers' servers do); ``length=False``: no Content-Length;
        ``ignore_range=True``: ``Accept-Ranges: bytes`` is announced but a Range is answered with the whole file (200).
        """
        etag = etag if etag is not None else '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        failures = list(fail_with or [])
        drops = [drop_times]

        def handler(seen: Seen) -> Reply:
            if seen.method == "HEAD" and not head:
                return Reply(405, [("Allow", "GET")])
            if failures:
                status = failures.pop(0)
                headers = [("Retry-After", retry_after)] if retry_after is not None else []
                return Reply(status, headers, f"error {status}".encode())
            headers = [("Content-Type", content_type)]
            if etag:
                headers.append(("ETag", etag))
            if last_modified:
                headers.append(("Last-Modified", last_modified))
            if ranges:
                headers.append(("Accept-Ranges", "bytes"))
            status, payload = 200, body
            wanted = seen.headers.get("Range")
            if_range = seen.headers.get("If-Range")
            if ranges and not ignore_range and wanted and (if_range is None or if_range in (etag, last_modified)):
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    return Reply(416, [("Content-Range", f"bytes */{len(body)}")])
                status, payload = 206, body[start:]
                headers.append(("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"))
            cut = None
            if drops[0] > 0 and drop_after is not None:
                drops[0] -= 1
                cut = drop_after
            return Reply(status, headers, payload, drop_after=cut, length=length)

        self.route(path, handler)

    def page(self, path: str, html: str | bytes, *, status: int = 200) -> None:
        """An HTML page (a CAPTCHA, an error page) answered with ``status``."""
        body = html.encode() if isinstance(html, str) else html
        self.route(path, lambda seen: Reply(status, [("Content-Type", "text/html; charset=utf-8")], body))

    def status(self, path: str, code: int, body: bytes = b"") -> None:
        self.route(path, lambda seen: Reply(code, [("Content-Type", "text/plain")], body or f"status {code}".encode()))

    def login(self, *, username: str, password: str, protected: dict[str, bytes], login_path: str = "/login",
              cookie: str = "JSESSIONID") -> None:
        """A Spring Security-like login: POST the form; success -> cookie + 302 to /, failure -> 302 to ?error.

        ``protected`` routes need the cookie; without it they redirect to the login page (200, HTML).
        """
        token = secrets.token_hex(8)

        def login(seen: Seen) -> Reply:
            if seen.method != "POST":
                return Reply(200, [("Content-Type", "text/html")], LOGIN_PAGE)
            form = urllib.parse.parse_qs(seen.body.decode())
            if form.get("username") == [username] and form.get("password") == [password]:
                return Reply(302, [("Location", "/"), ("Set-Cookie", f"{cookie}={token}; Path=/; HttpOnly")])
            return Reply(302, [("Location", f"{login_path}?error")])

        def home(seen: Seen) -> Reply:
            return Reply(200, [("Content-Type", "text/html")], b"<!DOCTYPE html><html><body>welcome</body></html>")

        def guard(body: bytes) -> Handler:
            def handler(seen: Seen) -> Reply:
                if f"{cookie}={token}" not in seen.headers.get("Cookie", ""):
                    return Reply(302, [("Location", login_path)])
                return Reply(200, [("Content-Type", "application/zip")], body)
            return handler

        self.route(login_path, login)
        self.route("/", home)
        for path, body in protected.items():
            self.route(path, guard(body))


def _handler_class(server: TestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, dict(self.headers.items()), body)
            with server._lock:
                server.requests.append(seen)
            handler = server.routes.get(seen.route)
            reply = handler(seen) if handler else Reply(404, [("Content-Type", "text/plain")], b"not found")
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            if reply.length:
                self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            if self.command == "HEAD":
                return
            if reply.drop_after is None:
                self.wfile.write(reply.body)
                return
            self.wfile.write(reply.body[: reply.drop_after])
            self.wfile.flush()
            # Close before Content-Length bytes were sent: the client sees the body end early.
            self.connection.shutdown(socket.SHUT_RDWR)

        do_GET = do_POST = do_HEAD = _serve

    return Handler


@contextmanager
def serve() -> Iterator[TestServer]:
    server = TestServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(server))
    httpd.daemon_threads = True
    server._httpd = httpd
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
