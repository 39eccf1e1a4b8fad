"""Where the observatory reads and writes, and the settings an analyst may change.

Defaults follow the published schema: raw inputs under ``data/raw`` and outputs under ``data/warehouse`` of the
project, each movable with an environment variable.
"""

from __future__ import annotations

import os
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


def checked_population_source(value: str, name: str = "population source") -> str:
    """``value`` if it is one of :data:`POPULATION_SOURCES`; else a ValueError naming the setting ``name``."""
    if value not in POPULATION_SOURCES:
        raise ValueError(f"{name} {value!r}: expected one of {', '.join(POPULATION_SOURCES)}")
    return value


def default_population_source() -> str:
    """The population source setting: ``$OBSERVATORY_POPULATION_SOURCE``, else ``eurostat``."""
    return checked_population_source((os.environ.get(POPULATION_SOURCE_ENV) or "eurostat").strip().lower(),
                                     POPULATION_SOURCE_ENV)


@dataclass(frozen=True)
class Thresholds:
    """Limits enforced by the asset checks; documented in docs/methodology.md."""

    # Share of delivered jobs that may be rejected for an unknown code before the run stops.
    max_rejected_jobs_share: float = 0.005
    # Primary disclosure control (publication rules v1).
    min_jobs: int = 5
    min_units: int = 3
    max_dominance_share: float = 0.85
