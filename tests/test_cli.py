"""The `observatory` command's own behaviour (the build itself is tested in test_pipeline)."""

from __future__ import annotations

import subprocess
import sys

from observatory import cli


def test_ui_starts_dagster_with_this_interpreter(monkeypatch, tmp_path) -> None:
    # `.venv/bin/observatory ui` must work without an activated venv, where `dagster` is not on PATH.
    # The command sets these for Dagster; monkeypatch puts them back as they were after the test.
    for name in ("OBSERVATORY_RAW_DIR", "OBSERVATORY_WAREHOUSE_DIR", "OBSERVATORY_POPULATION_SOURCE", "DAGSTER_HOME",
                 "OBSERVATORY_DAGSTER_STORAGE", "OBSERVATORY_DAGSTER_LOGS"):
        monkeypatch.delenv(name, raising=False)
    seen: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda command, cwd=None: seen.append(command) or 0)
    assert cli.main(["ui", "--warehouse-dir", str(tmp_path), "--port", "3999"]) == 0
    [command] = seen
    assert command[:4] == [sys.executable, "-m", "dagster", "dev"]
    assert command[-2:] == ["-p", "3999"]
