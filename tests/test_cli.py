"""The `observatory` command's own behaviour: what a build prints, how it fails, where its runs are filed, what `ui`
writes (the build's results themselves are tested in test_pipeline)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from conftest import spoil_flores

from observatory import cli, nomenclatures
from observatory.errors import StepFailure, root_cause
from pipelines.alerts import failure_report


def test_ui_starts_dagster_with_this_interpreter(monkeypatch, tmp_path) -> None:
    # `.venv/bin/observatory ui` must work without an activated venv, where `dagster` is not on PATH.
    # The command sets these for Dagster; monkeypatch puts them back as they were after the test.
    for name in ("OBSERVATORY_RAW_DIR", "OBSERVATORY_WAREHOUSE_DIR", "OBSERVATORY_POPULATION_SOURCE", "DAGSTER_HOME",
                 "OBSERVATORY_DAGSTER_STORAGE", "OBSERVATORY_DAGSTER_LOGS"):
        monkeypatch.delenv(name, raising=False)
    seen: list[list[str]] = []
    monkeypatch.setattr(cli, "run_until_interrupted", lambda command, cwd=None: seen.append(command) or 0)
    assert cli.main(["ui", "--warehouse-dir", str(tmp_path), "--port", "3999"]) == 0
    [command] = seen
    assert command[:4] == [sys.executable, "-m", "dagster", "dev"]
    assert command[-2:] == ["-p", "3999"]


# ---------------------------------------------------------------- the build's output, its errors, its runs

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "raw"
DAGSTER_SETTINGS = ("OBSERVATORY_RAW_DIR", "OBSERVATORY_WAREHOUSE_DIR", "OBSERVATORY_POPULATION_SOURCE", "DAGSTER_HOME",
                    "OBSERVATORY_DAGSTER_STORAGE", "OBSERVATORY_DAGSTER_LOGS")


@pytest.fixture
def clean_settings(monkeypatch):
    """The command sets these for Dagster; monkeypatch puts them back as they were after the test."""
    for name in DAGSTER_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _error(cls_name, message, cause=None, context=None):
    """Shaped like Dagster's SerializableErrorInfo."""
    return SimpleNamespace(cls_name=cls_name, message=message, cause=cause, context=context)


def test_root_cause_skips_the_orchestrators_wrapper():
    duckdb_error = _error("CatalogException", "_duckdb.CatalogException: Catalog Error: Table with name x does not "
                          "exist!\nLINE 1: SELECT * FROM x\n")
    wrapper = _error("DagsterExecutionStepExecutionError", 'dagster._core.errors.DagsterExecutionStepExecutionError: '
                     'Error occurred while executing op "mart_lfs_employment_mart_lfs_employment_schema":\n',
                     cause=duckdb_error)
    assert root_cause(wrapper).startswith("CatalogException: Catalog Error: Table with name x does not exist!")
    chained = _error("DagsterExecutionStepExecutionError", "wrapper", cause=_error(
        "RuntimeError", "RuntimeError: the mart could not be built\n", cause=_error("KeyError", "KeyError: 'FWVL'\n")))
    assert root_cause(chained) == "RuntimeError: the mart could not be built; caused by KeyError: 'FWVL'"
    handled = _error("DagsterExecutionStepExecutionError", "wrapper", context=_error(
        "InputError", "observatory.errors.InputError: a.csv, line 3, column X: bad [file: /raw/a.csv]\n"))
    assert root_cause(handled) == "a.csv, line 3, column X: bad [file: /raw/a.csv]"
    assert StepFailure("s", "not a number", file="/raw/b.csv", line=7, column="OBS").summary() == (
        "- step s: not a number (file /raw/b.csv, line 7, column OBS)")


def test_a_missing_raw_folder_is_one_line_before_anything_runs(clean_settings, tmp_path, capsys):
    warehouse = tmp_path / "warehouse"
    for raw in (tmp_path / "nowhere", tmp_path):  # missing; a folder with none of the sources in it
        assert cli.main(["build", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1 and str(raw) in err
    assert not warehouse.exists()  # no Dagster instance, so no run recorded
    assert "DAGSTER_HOME" not in os.environ


def test_an_empty_dagster_home_is_taken_as_unset(clean_settings, tmp_path, monkeypatch):
    # Dagster itself refuses an empty DAGSTER_HOME with a traceback; the build gives it the warehouse's as usual.
    monkeypatch.setenv("DAGSTER_HOME", "")
    warehouse = cli._dagster_environment(None, tmp_path / "warehouse")
    assert os.environ["DAGSTER_HOME"] == str(warehouse / "dagster")
    assert (warehouse / "dagster" / "dagster.yaml").is_file()


def _runs(warehouse: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(warehouse / "dagster"))


def test_cli_build_prints_a_summary_files_its_runs_and_names_causes(clean_settings, tmp_path, capsys):
    warehouse = tmp_path / "warehouse"
    assert cli.main(["build", "--warehouse-dir", str(warehouse)]) == 0
    out, err = capsys.readouterr()
    lines = (out + err).splitlines()
    assert len(lines) <= 30, out + err
    assert not any("DEBUG" in line or "Warning" in line for line in lines)
    published = warehouse / "observatory.duckdb"
    assert f"Published {published} in " in out and "mart.jobs " in out
    last = [line for line in lines if line.startswith("[")][-1]
    done, total = re.match(r"\[\s*(\d+)/(\d+)\]", last).groups()
    assert done == total and last.split("]")[1].split()[0] == "published", last

    # Nothing new since: no run at all, the published file as it was, and why.
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    assert cli.main(["build", "--warehouse-dir", str(warehouse)]) == 0
    out, _ = capsys.readouterr()
    assert f"Nothing new: {published} is up to date" in out and "every raw folder is as at the last build" in out
    assert "observatory build --full" in out and not re.search(r"^\[\s*\d+/", out, re.MULTILINE)
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
    with _runs(warehouse) as instance:
        assert len(instance.get_runs(dg.RunsFilter(job_name="build_observatory"))) == 1

    # A spoilt FLORES delivery, and a DuckDB error in another step (only --full runs it: its files did not change):
    # each is named by its own message.
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    spoil_flores(raw)
    clean_settings.setattr(nomenclatures, "register",
                           lambda con: con.execute("SELECT * FROM nom.no_such_mapping"))
    assert cli.main(["build", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse), "--full"]) == 1
    out, err = capsys.readouterr()
    assert len((out + err).splitlines()) <= 30 and "Traceback (most recent" not in err and "Stack Trace" not in err
    flores_line = ("- step fr_flores: flores_postes_2023.csv, line 5, column POSTES: a negative count; counts must be "
                   f">= 0 (found '-3') [file: {raw / 'fr' / 'flores' / 'flores_postes_2023.csv'}]")
    duckdb_line = ("- step nomenclatures_table: CatalogException: Catalog Error: Table with name no_such_mapping does "
                   "not exist!")
    assert flores_line in err.splitlines() and duckdb_line in err.splitlines()
    assert f"The previously published {published} is untouched." in err
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before

    # Both runs are filed under the code location, as the UI lists a job's runs; the failure alert says the same.
    with _runs(warehouse) as instance:
        label = f"__repository__@{cli.code_location_name()}"
        runs = instance.get_runs(dg.RunsFilter(job_name="build_observatory", tags={".dagster/repository": label}))
        assert len(runs) == 2 and {r.remote_job_origin.location_name for r in runs} == {"observatory"}
        failed = runs[0]
        assert failed.status == dg.DagsterRunStatus.FAILURE and failed.tags["observatory/trigger"] == "cli"
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_run_failure", dagster_instance=instance, dagster_run=failed,
            dagster_event=instance.all_logs(failed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
            .get_dagster_event()).for_run_failure()
        report = failure_report(context)
    assert flores_line in report["text"].splitlines() and duckdb_line in report["text"].splitlines()
    [flores_step] = [s for s in report["failed_steps"] if s["step"] == "fr_flores"]
    assert (Path(flores_step["file"]).name, flores_step["line"], flores_step["column"]) == (
        "flores_postes_2023.csv", 5, "POSTES")


def test_ui_writes_nothing_into_the_checkout(clean_settings, tmp_path):
    def untracked() -> str:
        return subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
                              cwd=cli.PROJECT_ROOT, capture_output=True, text=True, check=True).stdout

    before = untracked()
    seen = []
    clean_settings.setattr(cli, "run_until_interrupted", lambda command, cwd=None: seen.append((command, cwd)) or 0)
    assert cli.main(["ui", "--warehouse-dir", str(tmp_path)]) == 0
    [(command, cwd)] = seen
    # Dagster's home (where the UI writes .nux) is under the warehouse, with the project's instance settings.
    home = Path(os.environ["DAGSTER_HOME"])
    assert home == tmp_path / "dagster"
    assert (home / "dagster.yaml").read_text() == (cli.PROJECT_ROOT / "dagster.yaml").read_text()
    # No -m: `dagster dev` reads the code location from pyproject.toml, under the name the build's runs carry.
    assert "-m" not in command[3:] and cwd == cli.PROJECT_ROOT and cli.code_location_name() == "observatory"
    assert untracked() == before


def test_ctrl_c_lets_the_ui_stop_by_itself_and_prints_no_traceback(tmp_path, capsys, monkeypatch):
    """A child that handles SIGINT slowly (as `dagster dev` stops its servers) is waited for, not killed."""
    ready, done = tmp_path / "ready", tmp_path / "done"
    script = tmp_path / "child.py"
    script.write_text(
        "import signal, sys, time\n"
        "def stop(*_):\n"
        f"    time.sleep(0.5); open({str(done)!r}, 'w').write('clean'); sys.exit(0)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(60)\n")
    original_wait = subprocess.Popen.wait
    interrupted = []

    def wait(self, timeout=None):
        if not interrupted:
            interrupted.append(self.pid)
            while not ready.exists():  # the child has installed its handler
                time.sleep(0.05)
            # Ctrl-C in a terminal signals the whole foreground group: the child, and this process. Sent here to the
            # child only and raised here, so that no other process of the test run is touched.
            os.kill(self.pid, signal.SIGINT)
            raise KeyboardInterrupt
        return original_wait(self, timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", wait)
    assert cli.run_until_interrupted([sys.executable, str(script)], cwd=tmp_path) == 130
    assert done.read_text() == "clean"  # the child finished its own shutdown: it was not killed
    assert capsys.readouterr().out.strip() == "Stopped."


def test_every_command_and_option_has_help(capsys):
    for name in cli.COMMANDS:
        with pytest.raises(SystemExit):
            cli.main([name, "--help"])
        text = capsys.readouterr().out
        assert cli.COMMANDS[name][1].split()[0] in text
        options = [line for line in text.splitlines() if line.strip().startswith("-") and "--help" not in line]
        assert options or name == "check-mappings"
    with pytest.raises(SystemExit):
        cli.main(["build", "--help"])
    assert "--verbose" in capsys.readouterr().out
