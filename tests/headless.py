"""A tiny Chrome DevTools Protocol client for headless Chromium, over ``--remote-debugging-pipe`` (no websocket, no
port, no extra package): load a page, collect its console errors and uncaught exceptions, evaluate JavaScript, take
a full-page screenshot.

    with Chromium() as browser:
        page = browser.open(Path("report-fr.html").resolve().as_uri())
        page.wait_for("document.querySelectorAll('.main-svg').length > 0")
        print(page.errors)
        Path("shot.png").write_bytes(page.screenshot())

Run as a script to screenshot the reports of a warehouse: ``python tests/headless.py WAREHOUSE/report docs/img``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# Chromium as root in a container, on a closed network: no sandbox, no GPU, and none of its background connections.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio")


def chromium_path() -> str | None:
    return next((path for name in ("chromium", "chromium-browser", "google-chrome")
                 if (path := shutil.which(name))), None)


class ProtocolError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium with a fresh profile, driven through the DevTools pipe (fd 3 in, fd 4 out)."""

    def __init__(self, executable: str | None = None, width: int = 1280, height: int = 900) -> None:
        self.executable = executable or chromium_path()
        if not self.executable:
            raise FileNotFoundError("chromium is not installed")
        self.width, self.height = width, height
        self._next_id = 0
        self._events: queue.Queue = queue.Queue()
        self._replies: dict[int, dict] = {}
        self._lock = threading.Condition()

    def __enter__(self) -> Chromium:
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def plumb() -> None:  # in the child, before exec: the pipe ends at the descriptors Chromium expects
            # Copied out of the way first: either end may itself be 3 or 4 (and dup2 onto itself keeps close-on-exec).
            read_end, write_end = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self.process = subprocess.Popen(
            [self.executable, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self._profile}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=plumb, close_fds=False)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(ProtocolError, TimeoutError, OSError):
            self.send("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._lock:
                    self._replies[-1] = {"error": {"message": "the browser closed the pipe"}}
                    self._lock.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        self._replies[message["id"]] = message
                        self._lock.notify_all()
                else:
                    self._events.put(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        with self._lock:
            self._next_id += 1
            number = self._next_id
        message = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._lock:
            while number not in self._replies:
                if -1 in self._replies:
                    raise ProtocolError(self._replies[-1]["error"]["message"])
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{method}: no answer in {timeout} s")
                self._lock.wait(left)
            reply = self._replies.pop(number)
        if "error" in reply:
            raise ProtocolError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def events(self) -> list[dict]:
        found = []
        while True:
            try:
                found.append(self._events.get_nowait())
            except queue.Empty:
                return found

    def open(self, url: str, timeout: float = 60) -> Page:
        """A new tab showing ``url``, once its load event fired."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        page.send("Page.navigate", {"url": url})
        page.wait_for_event("Page.loadEventFired", timeout)
        return page


class Page:
    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser, self.session = browser, session
        self.errors: list[str] = []  # console errors, uncaught exceptions, failed loads
        self._seen: list[dict] = []

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        return self.browser.send(method, params, self.session, timeout)

    def _collect(self) -> None:
        for event in self.browser.events():
            if event.get("sessionId") != self.session:
                continue
            self._seen.append(event)
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                self.errors.append("console: " + " ".join(str(a.get("value", a.get("description", "")))
                                                          for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                self.errors.append("exception: " + str(details.get("exception", {}).get("description")
                                                        or details.get("text")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                self.errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())

    def wait_for_event(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._collect()
            for event in self._seen:
                if event["method"] == method:
                    self._seen.remove(event)
                    return event
            time.sleep(0.05)
        raise TimeoutError(f"no {method} in {timeout} s")

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        self._collect()
        if "exceptionDetails" in result:
            raise ProtocolError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> bool:
        """Whether ``expression`` became true within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.1)
        return False

    def screenshot(self, scale: float = 1) -> bytes:
        """A PNG of the whole page, not only the window, ``scale`` times its size in CSS pixels."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": scale}}, timeout=60)
        self._collect()
        return base64.b64decode(shot["data"])


RENDERED = ("Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".filter(function (d) { return d.querySelector('svg.main-svg'); }).length")


def screenshot_reports(folder: Path, out: Path, scale: float = 0.75) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with Chromium() as browser:
        for page_file in sorted(folder.glob("report-*.html")):
            page = browser.open(page_file.resolve().as_uri())
            expected = page.evaluate("Number(document.body.dataset.figures)")
            page.wait_for(f"{RENDERED} === {expected}")
            (out / page_file.with_suffix(".png").name).write_bytes(page.screenshot(scale))
            print(page_file.name, f"{page.evaluate(RENDERED)}/{expected} charts", page.errors or "no errors")


if __name__ == "__main__":
    screenshot_reports(Path(sys.argv[1]), Path(sys.argv[2]))
