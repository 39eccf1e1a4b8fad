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
PUBLISHED_FILE_NAME = "observatory.duckdb"
STAGING_FILE_NAME = "staging.duckdb"


def default_raw_dir() -> Path:
    return Path(os.environ.get(RAW_DIR_ENV) or PROJECT_ROOT / "data" / "raw").resolve()


def default_warehouse_dir() -> Path:
    return Path(os.environ.get(WAREHOUSE_DIR_ENV) or PROJECT_ROOT / "data" / "warehouse").resolve()


@dataclass(frozen=True)
class Thresholds:
    """Limits enforced by the asset checks; documented in docs/methodology.md."""

    # Share of delivered jobs that may be rejected for an unknown code before the run stops.
    max_rejected_jobs_share: float = 0.005
    # Primary disclosure control (publication rules v1).
    min_jobs: int = 5
    min_units: int = 3
    max_dominance_share: float = 0.85
