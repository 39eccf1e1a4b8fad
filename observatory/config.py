"""Where the observatory reads and writes, and the settings an analyst may change.

Defaults follow the published schema: raw inputs under ``data/raw`` and outputs under ``data/warehouse`` of the
project, each movable with an environment variable.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RAW_DIR_ENV = "OBSERVATORY_RAW_DIR"
WAREHOUSE_DIR_ENV = "OBSERVATORY_WAREHOUSE_DIR"
POPULATION_SOURCE_ENV = "OBSERVATORY_POPULATION_SOURCE"
# eurostat: demo_r_pjangrp3 for both countries; national: INSEE (FR) and Statbel (BE). See docs/methodology.md.
POPULATION_SOURCES = ("eurostat", "national")
# Jobs are counted at 31 December of year Y; the population they are compared with is the one on 1 January of
# Y + POPULATION_YEAR_OFFSET (1: the same day; 0 would take the population eleven months earlier).
POPULATION_YEAR_OFFSET = 1
PUBLISHED_FILE_NAME = "observatory.duckdb"
STAGING_FILE_NAME = "staging.duckdb"


def default_raw_dir() -> Path:
    return Path(os.environ.get(RAW_DIR_ENV) or PROJECT_ROOT / "data" / "raw").resolve()


def default_warehouse_dir() -> Path:
    return Path(os.environ.get(WAREHOUSE_DIR_ENV) or PROJECT_ROOT / "data" / "warehouse").resolve()


# How much memory and how many threads the build's DuckDB may use. Unset, DuckDB takes 80 % of the RAM: a national
# build then peaked at 8.2 GB RSS. The build process needs some 0.6-0.8 GB besides (Python, Dagster, numpy): with
# 2GB a national build peaked at 2.6 GB RSS, with 1.5GB at 2.3 GB and was no slower (90 s against 95 s; issue 14,
# docs/performance.md), which leaves room on an 8 GB laptop. On DuckDB 2.0.1, 2GB was no faster either (63.9 s against
# 63.7 s, 2.34 GB against 2.22 GB). What does not fit spills to
# ``<warehouse>/staging.duckdb.tmp``.
DUCKDB_MEMORY_ENV = "OBSERVATORY_DUCKDB_MEMORY"
DEFAULT_DUCKDB_MEMORY = "1.5GB"
DUCKDB_THREADS_ENV = "OBSERVATORY_DUCKDB_THREADS"


def duckdb_config(temp_directory: Path) -> dict[str, str]:
    """The settings every working connection of a build opens with: ``memory_limit`` from
    ``$OBSERVATORY_DUCKDB_MEMORY`` (a DuckDB size, ``1.5GB`` by default), ``threads`` from
    ``$OBSERVATORY_DUCKDB_THREADS`` (the machine's cores by default), spilling to ``temp_directory``."""
    memory = (os.environ.get(DUCKDB_MEMORY_ENV) or DEFAULT_DUCKDB_MEMORY).strip()
    threads = (os.environ.get(DUCKDB_THREADS_ENV) or str(os.cpu_count() or 1)).strip()
    if not threads.isdigit() or int(threads) < 1:
        raise ValueError(f"{DUCKDB_THREADS_ENV}={threads!r}: expected a whole number of threads, 1 or more")
    if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory, re.IGNORECASE):
        raise ValueError(f"{DUCKDB_MEMORY_ENV}={memory!r}: expected a size such as 2GB, 1500MB or 4GiB")
    return {"memory_limit": memory, "threads": threads, "temp_directory": str(temp_directory)}


def checked_population_source(value: str, name: str = "population source") -> str:
    """``value`` if it is one of :data:`POPULATION_SOURCES`; else a ValueError naming the setting ``name``."""
    if value not in POPULATION_SOURCES:
        raise ValueError(f"{name} {value!r}: expected one of {', '.join(POPULATION_SOURCES)}")
    return value


def default_population_source() -> str:
    """The population source setting: ``$OBSERVATORY_POPULATION_SOURCE``, else ``eurostat``."""
    return checked_population_source((os.environ.get(POPULATION_SOURCE_ENV) or "eurostat").strip().lower(),
                                     POPULATION_SOURCE_ENV)


THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.toml"
SEVERITIES = ("blocking", "warning")
LOAD = "load"  # `enforced` of a bound applied while a delivery is read, not by an asset check


@dataclass(frozen=True)
class Setting:
    """One entry of ``thresholds.toml``: a threshold with what it limits, how hard, and why this value."""

    name: str
    value: int | float
    severity: str  # one of SEVERITIES
    enforced: str  # an asset check's name, or LOAD
    meaning: str
    reason: str
    judgement: bool  # the exact value is the project's own choice


def load_settings(path: Path = THRESHOLDS_FILE) -> dict[str, Setting]:
    """The thresholds of ``path`` by name; a ValueError naming the entry when one is incomplete or malformed."""
    with open(path, "rb") as file:
        data = tomllib.load(file)
    fields = {"value", "severity", "enforced", "meaning", "reason", "judgement"}
    settings = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != fields:
            raise ValueError(f"{path.name} [{name}]: expected exactly the keys {', '.join(sorted(fields))}")
        if entry["severity"] not in SEVERITIES:
            raise ValueError(f"{path.name} [{name}]: severity {entry['severity']!r} is not one of {', '.join(SEVERITIES)}")
        # bool is an int in Python: a threshold of `true` is a typo, not a number.
        if isinstance(entry["value"], bool) or not isinstance(entry["value"], int | float) or entry["value"] < 0:
            raise ValueError(f"{path.name} [{name}]: value {entry['value']!r} is not a number >= 0")
        settings[name] = Setting(name=name, **entry)
    return settings


SETTINGS = load_settings()


@dataclass(frozen=True)
class Thresholds:
    """Limits enforced by the asset checks and the delivery loader. The defaults are the values of
    ``thresholds.toml`` (the one settings file, documented in docs/methodology.md); a test may pass others."""

    # Share of delivered jobs that may be rejected for an unknown code before the run stops.
    max_rejected_jobs_share: float = SETTINGS["max_rejected_jobs_share"].value
    # Primary disclosure control (publication rules v1).
    min_jobs: int = SETTINGS["min_jobs"].value
    min_units: int = SETTINGS["min_units"].value
    max_dominance_share: float = SETTINGS["max_dominance_share"].value
    # Secondary disclosure control: the attacker's interval around a primary cell.
    protection_relative: float = SETTINGS["protection_relative"].value
    protection_min_jobs: int = SETTINGS["protection_min_jobs"].value
    # Plausibility: refused while a delivery is read.
    max_count_per_delivery_line: int = SETTINGS["max_count_per_delivery_line"].value
    # Plausibility of the outputs (asset checks).
    max_jobs_per_resident: float = SETTINGS["max_jobs_per_resident"].value
    max_year_on_year_factor: float = SETTINGS["max_year_on_year_factor"].value
    min_jobs_for_year_on_year: int = SETTINGS["min_jobs_for_year_on_year"].value
    max_jobs_per_unit: float = SETTINGS["max_jobs_per_unit"].value
    min_jobs_per_unit: float = SETTINGS["min_jobs_per_unit"].value
    min_units_for_jobs_per_unit: int = SETTINGS["min_units_for_jobs_per_unit"].value


def thresholds_markdown(settings: dict[str, Setting] | None = None) -> str:
    """The list of docs/methodology.md ("Thresholds"), generated from the settings so that the two cannot drift."""
    settings = SETTINGS if settings is None else settings
    items = []
    for s in settings.values():
        value = f"{s.value:,}".replace(",", " ") if isinstance(s.value, int) else f"{s.value:g}"
        enforced = "refused while loading the delivery" if s.enforced == LOAD else f"check `{s.enforced}`"
        judgement = "; the value is the project's judgement" if s.judgement else ""
        items.append(f"- **`{s.name}` = {value}** ({s.severity}, {enforced}{judgement}). {s.meaning} "
                     f"*Why this value:* {s.reason}")
    return "\n".join(items) + "\n"
