"""The national benchmark's generator (benchmarks/national_inputs.py) writes files the loaders read as the
producers' own: a small fraction of them goes through sirene.load and kbo.load, with the counts it says it wrote."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pytest

from observatory.sources import kbo, sirene

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from national_inputs import generate  # noqa: E402

FRACTION = 0.0005  # 15,000 legal units, 21,350 establishments, about 1,000 KBO enterprises


@pytest.mark.parametrize("fmt", ["parquet", "zip"])
def test_generated_files_load_as_real_ones(tmp_path: Path, fmt: str) -> None:
    raw = tmp_path / "raw"
    report = generate(raw, FRACTION, fmt)
    files = report["files"]
    units = files[f"fr/sirene/StockUniteLegale_utf8.{fmt}"]["rows"]
    establishments = files[f"fr/sirene/StockEtablissement_utf8.{fmt}"]["rows"]
    assert (units, establishments) == (round(30_000_000 * FRACTION), round(42_700_000 * FRACTION))

    con = duckdb.connect()
    loaded = sirene.load(con, raw, tmp_path / "cache")
    assert list(loaded["rows_read"].values()) == [units, establishments]
    # About 45 % active, as the generator's docstring says; the few orphans are rejected, not lost.
    assert 0.35 * establishments < loaded["active_establishments"] < 0.55 * establishments
    assert loaded["establishments_aggregated"] + loaded["orphans_rejected"] == loaded["active_establishments"]
    sidecar = json.loads((raw / "fr/sirene" / f"StockEtablissement_utf8.{fmt}.origin.json").read_text())
    assert sidecar["synthetic"] is True

    info = kbo.load(con, raw, tmp_path / "cache")
    [full] = [name for name in files if name.startswith("be/kbo/")]
    assert info["rows"]["enterprise.csv"] == files[full]["rows"]["enterprise.csv"]
    assert info["rows"]["activity.csv"] == files[full]["rows"]["activity.csv"]
    assert info["units_aggregated"] > 0.9 * info["rows"]["establishment.csv"]
