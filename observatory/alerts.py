"""Posting an alert to a webhook (Slack, Mattermost, Teams workflows, a chat bridge...): one JSON POST, short timeout.

An alert that cannot be delivered must never make things worse: :func:`post_json` returns what went wrong instead of
raising, and never repeats the URL (webhook URLs usually carry a secret token) beyond its scheme and host.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

WEBHOOK_ENV = "OBSERVATORY_ALERT_WEBHOOK_URL"


def safe_url(url: str) -> str:
    """The URL without its path and query, which may hold a token: ``https://hooks.example.org/…``."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/…"


def post_json(url: str, payload: dict, *, timeout: float = 10.0) -> str | None:
    """POST ``payload`` as JSON to ``url``. Returns None when delivered (HTTP 2xx), else what went wrong."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return f"{WEBHOOK_ENV} must be an http(s) URL"
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "desir-observatory"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(4096)
    except urllib.error.HTTPError as exc:
        return f"{safe_url(url)} answered HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"{safe_url(url)} could not be reached: {getattr(exc, 'reason', exc)}"
    return None
