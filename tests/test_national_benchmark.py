"""The national benchmark's Markdown output (benchmarks/national.py): a row per run, put into the measurements table
of docs/performance.md, which has text after it."""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from national import MARKDOWN_HEADER, _child, _python, add_row, markdown_row, write_cases  # noqa: E402

from observatory import cases  # noqa: E402
from observatory.sample import generate_sample  # noqa: E402

RESULT = {"measured": "2026-12-05T14:09:32+00:00", "fraction": 1.0, "input_format": "parquet", "build_s": 65.5,
          "registry_steps_s": 42.4, "floor_s": 14.7, "build_over_floor": 4.47, "registry_steps_over_floor": 2.89,
          "pandas_s": None, "pandas_over_build": None, "peak_rss_mb": 2225, "pandas_peak_rss_mb": None,
          "rebuild_nothing_new_s": 3.1, "build_cpu_s": 101.2, "floor_cpu_s": 27.9}
ROW = "| 2026-12-05 14:09 | 1.0 | parquet | 65.5 | 42.4 | 14.7 | 4.47 | 2.89 | — | — | 2225 | — | 3.1 | 101.2 | 27.9 |\n"


def test_a_row_carries_the_minute_it_was_measured() -> None:
    assert markdown_row(RESULT) == ROW


def test_the_row_goes_at_the_end_of_the_table_not_after_the_text_below_it(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    earlier = "| 2026-12-04 | 0.1 | zip | 53.1 | 17.2 | 13.5 | 3.93 | 1.28 | 26.8 | 0.51 | 1279 | 2093 | 4.4 | — | — |\n"
    page.write_text("# Performance\n\n" + MARKDOWN_HEADER + earlier + "\nThe rows say what they measured.\n",
                    encoding="utf-8")
    add_row(page, ROW)
    assert page.read_text(encoding="utf-8") == ("# Performance\n\n" + MARKDOWN_HEADER + earlier + ROW
                                                + "\nThe rows say what they measured.\n")


def test_a_page_without_the_table_gets_it(tmp_path: Path) -> None:
    page = tmp_path / "new.md"
    add_row(page, ROW)
    add_row(page, ROW)
    assert page.read_text(encoding="utf-8") == MARKDOWN_HEADER + ROW + ROW
    other = tmp_path / "other.md"
    other.write_text("Notes", encoding="utf-8")
    add_row(other, ROW)
    assert other.read_text(encoding="utf-8") == "Notes\n" + MARKDOWN_HEADER + ROW


def test_the_documented_page_holds_the_table_the_benchmark_writes_into() -> None:
    lines = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines.count(MARKDOWN_HEADER.splitlines(keepends=True)[0]) == 1


# A child that starts a grandchild and waits for it; each spins until its own CPU clock has counted 0.3 s.
SPIN = """
import subprocess, sys, time
def spin():
    while time.process_time() < 0.3:
        pass
spin()
if len(sys.argv) > 1:
    subprocess.run([sys.executable, "-c", sys.argv[1]], check=True)
"""


def test_the_cpu_time_counts_the_children_the_step_waited_for() -> None:
    # The disclosure control's workers are such children: the build's CPU time must include them.
    _, _, cpu = _child(_python(SPIN, SPIN))
    assert cpu >= 0.6
    _, _, alone = _child(_python(SPIN))
    assert 0.3 <= alone < cpu


def _first_rows(zip_path: Path, member: str, count: int) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        rows = list(csv.reader(io.StringIO(archive.read(member).decode("utf-8-sig"))))
    return [row[0] for row in rows[1:count + 1]]


def test_the_cases_written_are_valid_and_name_the_registries_first_rows(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate_sample(raw)
    sirene_zip = raw / "fr" / "sirene" / "StockUniteLegale_utf8.zip"
    kbo_zip = next((raw / "be" / "kbo").glob("*_Full.zip"))
    expected = _first_rows(sirene_zip, "StockUniteLegale_utf8.csv", 3) + [_first_rows(kbo_zip, "enterprise.csv", 1)[0]]

    assert write_cases(raw) == expected
    found = cases.read_folder(cases.folder(raw))
    assert [(c["country"], c["identifier"], c["synthetic"]) for c in found] == [
        ("FR", expected[0], True), ("FR", expected[1], True), ("FR", expected[2], True), ("BE", expected[3], True)]

    # From Parquet (preferred to the ZIP when both are there, as the loader does), the first rows of the Parquet file.
    parquet = sirene_zip.with_suffix(".parquet")
    duckdb.sql(f"COPY (SELECT * FROM (VALUES ('000325175', 'x'), ('732829320', 'y')) t(siren, other)) "
               f"TO '{parquet}' (FORMAT parquet)")
    assert write_cases(raw) == ["000325175", "732829320", expected[3]]
    # The folder is written anew: the fourth case of the first call is gone.
    assert [p.name for p in cases.case_files(cases.folder(raw))] == [f"benchmark_{n}.yaml" for n in (1, 2, 3)]
