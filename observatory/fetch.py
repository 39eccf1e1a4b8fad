"""Fetching the public sources from their producers into dated vintages: the registry and what fetchers share.

Each source's downloader lives in its own module (``observatory.sources.<source>.fetch``), beside its parser, so a
source's whole story reads in one place; this module only lists them and runs them. A fetcher takes
:class:`FetchSettings` and returns a :class:`FetchOutcome`: a new vintage under ``<raw>/<country>/<source>/<date>/``
(see :mod:`observatory.vintages`), or none when the producer has nothing new. A failed fetch raises
(:class:`observatory.download.DownloadError` or :class:`FetchError`) and leaves the earlier vintages as they were.

Fetching is never part of a build: the embedded sample builds offline; ``observatory fetch [SOURCE...]`` and the
Dagster job ``fetch_sources`` are the explicit steps that touch the network.

Producer addresses can be pointed elsewhere (a mirror, or a test server on 127.0.0.1) per source, with
``FetchSettings.base_urls`` or the environment variable ``OBSERVATORY_URL_<SOURCE>`` (e.g. ``OBSERVATORY_URL_KBO``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from observatory.download import DownloadResult, Kind, Opener, Progress, download, new_session

URL_ENV_PREFIX = "OBSERVATORY_URL_"


class FetchError(Exception):
    """A fetch that cannot go on for a reason other than the transfer itself (missing credentials, a refused
    login, a listing without the expected file). The message says what to do; it never contains a secret."""


@dataclass(frozen=True)
class FetchSettings:
    raw_dir: Path
    progress: Progress = print
    session: Opener | None = None  # None: each fetcher opens its own (cookies kept for a login)
    base_urls: Mapping[str, str] = field(default_factory=dict)  # source name -> base URL replacing the producer's
    now: datetime | None = None  # the retrieval time written in the vintage (tests pin it)
    retries: int = 4
    backoff_seconds: float = 2.0
    timeout: float = 120.0
    env: Mapping[str, str] | None = None  # where credentials and URL overrides are read (default: os.environ)

    def environ(self) -> Mapping[str, str]:
        return os.environ if self.env is None else self.env

    def base_url(self, source: str, default: str) -> str:
        """The base URL of ``source``: the override given, else ``$OBSERVATORY_URL_<SOURCE>``, else the producer's."""
        url = self.base_urls.get(source) or self.environ().get(URL_ENV_PREFIX + source.upper()) or default
        return url.rstrip("/")

    def say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def open_session(self) -> Opener:
        """The session given, or a new cookie-keeping one retrying with these settings' ``retries`` and
        ``backoff_seconds``: a fetch uses one session for its HEADs, login, pages and files."""
        return self.session or new_session(retries=self.retries, backoff_seconds=self.backoff_seconds)

    def download(self, url: str, target: Path, *, session: Opener, max_bytes: int, kind: Kind) -> DownloadResult:
        """:func:`observatory.download.download` with these settings' timeout, progress, and retries and back-off
        for the resumes (the session retries each request)."""
        return download(url, target, session=session, max_bytes=max_bytes, kind=kind, retries=self.retries,
                        backoff_seconds=self.backoff_seconds, timeout=self.timeout, progress=self.progress)


@dataclass(frozen=True)
class FetchOutcome:
    source: str
    vintage: Path | None  # the vintage written, or None when the newest one already holds the producer's version
    producer_version: dict = field(default_factory=dict)
    message: str = ""

    @property
    def changed(self) -> bool:
        return self.vintage is not None


@dataclass(frozen=True)
class Fetcher:
    name: str  # what ``observatory fetch`` takes: sirene, kbo, eurostat, tercet, insee_population, statbel_population
    folder: Path  # <country>/<source> under the raw folder
    description: str
    run: Callable[[FetchSettings], FetchOutcome]


def fetchers() -> dict[str, Fetcher]:
    """Every public source that can be fetched, by name, from the sources' descriptors (``Source.fetcher``; one
    fetcher may serve several sources of a producer), in the order of their modules."""
    # Imported here: the source modules import this module's types.
    from observatory.sources import all_sources

    return {s.fetcher.name: s.fetcher for s in all_sources() if s.fetcher is not None}


def delivered() -> dict[str, str]:
    """The sources delivered under agreement, which are not fetched but dropped into the raw folder by hand."""
    from observatory.sources import DELIVERY, sources

    return {s.folder.name: f"{s.folder.as_posix()} ({s.title}, under agreement)" for s in sources(DELIVERY)}


def fetch(names: Sequence[str], settings: FetchSettings) -> list[FetchOutcome]:
    """Fetch the sources named (all of them when ``names`` is empty), one after the other; stop at the first
    failure (the sources fetched before it keep their new vintage)."""
    known = fetchers()
    unknown = [n for n in names if n not in known]
    if unknown:
        by_hand = delivered()
        delivered_named = [n for n in unknown if n in by_hand]
        hint = (f"; {', '.join(delivered_named)} {'is' if len(delivered_named) == 1 else 'are'} delivered under "
                "agreement and dropped into the raw folder by hand (see the README)") if delivered_named else ""
        raise FetchError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(known)}{hint}")
    outcomes = []
    for name in names or list(known):
        settings.say(f"fetching {name}: {known[name].description}")
        outcome = known[name].run(settings)
        settings.say(outcome.message or (f"{name}: new vintage {outcome.vintage}" if outcome.changed
                                         else f"{name}: nothing new"))
        outcomes.append(outcome)
    return outcomes
