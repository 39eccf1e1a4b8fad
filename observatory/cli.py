"""The ``observatory`` command: build, open the Dagster UI, fetch, export, write the report, make the sample, write
and check the documented cases, check the mappings.

``build`` and ``ui`` run Dagster against this project's ``dagster.yaml`` with run history stored under the
warehouse folder, so a build from the command line shows up in the UI. (Dagster is imported only here and in
``pipelines/``: the library itself does not depend on it.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import tomllib
import warnings
from pathlib import Path

from observatory.buildlock import BuildRunning
from observatory.config import (
    POPULATION_SOURCE_ENV,
    POPULATION_SOURCES,
    PROJECT_ROOT,
    PUBLISHED_FILE_NAME,
    RAW_DIR_ENV,
    WAREHOUSE_DIR_ENV,
    default_population_source,
    default_raw_dir,
    default_warehouse_dir,
)
from observatory.errors import environment_problem

BUILD_JOB = "build_observatory"


def code_location_name() -> str:
    """The code location's name, as ``dagster dev`` reads it from pyproject.toml (``[tool.dagster]``), so that runs
    made by ``observatory build`` are filed under the same location as the UI's."""
    try:
        with open(PROJECT_ROOT / "pyproject.toml", "rb") as file:
            return tomllib.load(file)["tool"]["dagster"]["code_location_name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "observatory"


def raw_dir_problem(raw: Path) -> str | None:
    """Why ``raw`` cannot be built from (missing, not a folder, none of the sources' folders in it, no employment
    delivery and so no reference year), else None."""
    from observatory.sources import DELIVERY, REFERENCE, all_sources, reference_years

    if not raw.exists():
        return f"the raw folder {raw} does not exist"
    if not raw.is_dir():
        return f"the raw folder {raw} is not a folder"
    folders = list(dict.fromkeys(s.folder for s in all_sources() if s.role != REFERENCE))
    if not any((raw / folder).is_dir() for folder in folders):
        return (f"{raw} does not look like a raw folder: none of {', '.join(f.as_posix() for f in folders)} is in it")
    if not reference_years(raw):
        deliveries = " or ".join(s.folder.as_posix() for s in all_sources() if s.role == DELIVERY)
        return f"no employment delivery in {raw} ({deliveries}): there is no reference year to build"
    return None


def _dagster_environment(raw_dir: Path | None, warehouse_dir: Path | None, population_source: str | None = None) -> Path:
    """Point Dagster at the project's instance settings and the warehouse; return the warehouse folder.

    Dagster's home (``$DAGSTER_HOME``, unless already set) is ``<warehouse>/dagster``, with a copy of the project's
    ``dagster.yaml``: what Dagster writes there (run history, the UI's ``.nux``) stays beside the outputs and never
    lands in the checkout.
    """
    if population_source:
        os.environ[POPULATION_SOURCE_ENV] = population_source
    if raw_dir:
        os.environ[RAW_DIR_ENV] = str(raw_dir.resolve())
    if warehouse_dir:
        os.environ[WAREHOUSE_DIR_ENV] = str(warehouse_dir.resolve())
    warehouse = default_warehouse_dir()
    storage = warehouse / "dagster"
    (storage / "logs").mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DAGSTER_HOME"):  # unset, or set empty (``DAGSTER_HOME= observatory build``)
        settings = (PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8")
        copy = storage / "dagster.yaml"
        if not copy.is_file() or copy.read_text(encoding="utf-8") != settings:
            copy.write_text(settings, encoding="utf-8")
        os.environ["DAGSTER_HOME"] = str(storage)
    os.environ.setdefault("OBSERVATORY_DAGSTER_STORAGE", str(storage))
    os.environ.setdefault("OBSERVATORY_DAGSTER_LOGS", str(storage / "logs"))
    return warehouse


BUSY_EXIT = 3  # another build holds the warehouse: nothing was started


def build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    raw = (args.raw_dir or default_raw_dir()).resolve()
    problem = raw_dir_problem(raw)
    if problem:  # said at once, before Dagster starts and records a run
        print(f"observatory build: {problem} (set --raw-dir or ${RAW_DIR_ENV}).", file=sys.stderr)
        return 2
    target = (args.warehouse_dir or default_warehouse_dir()).resolve()
    try:
        warehouse = _dagster_environment(args.raw_dir, args.warehouse_dir, args.population_source)
    except OSError as exc:
        return _environment_exit(exc, target)
    published = warehouse / PUBLISHED_FILE_NAME
    existed = published.is_file()
    if not args.verbose:
        warnings.filterwarnings("ignore", message=r".*is currently in beta")  # Dagster's, said at every import
    from observatory import cli_build

    print(f"Building the observatory from {raw} into {warehouse} ...", flush=True)
    settings = {"raw_dir": str(raw), "warehouse_dir": str(warehouse), "population_source": default_population_source()}
    try:
        outcome = cli_build.run_build(BUILD_JOB, code_location_name(), verbose=args.verbose, started=started,
                                      warehouse_dir=warehouse, wait=args.wait, resources={"warehouse": settings},
                                      full=args.full)
    except BuildRunning as exc:
        print(f"observatory build: {exc}", file=sys.stderr)
        return BUSY_EXIT
    except Exception as exc:  # Dagster's own storage (run history) failing on a full or read-only disk
        if environment_problem(exc) is None:
            raise
        return _environment_exit(exc, warehouse, published if existed else None)
    elapsed = time.monotonic() - started
    if outcome.skipped:
        print(f"Nothing new: {published} is up to date ({elapsed:.1f} s). {outcome.skipped}")
        print("Run `observatory build --full` to rebuild everything anyway.")
        return 0
    if outcome.success:
        print(f"Published {published} in {elapsed:.0f} s (run {outcome.run_id}).")
        for line in cli_build.rows_lines(outcome.published_rows):
            print(line)
        # Checks that do not stop a build (e.g. a missing optional population file) are still worth reading.
        problems = run_problems(outcome.events)
        if problems:
            print("Warnings from checks:")
            for line in problems:
                print(line)
        return 0
    print(f"The build failed after {elapsed:.0f} s (run {outcome.run_id}):", file=sys.stderr)
    for line in run_problems(outcome.events) or ["- the run failed without a failed step (see the UI)"]:
        print(line, file=sys.stderr)
    if existed:
        print(f"The previously published {published} is untouched.", file=sys.stderr)
    else:
        print("Nothing was published.", file=sys.stderr)
    if not args.verbose:
        print("Tracebacks: run again with --verbose, or open the run in `observatory ui`.", file=sys.stderr)
    return 1


def _environment_exit(exc: BaseException, path: Path, published: Path | None = None, command: str = "build") -> int:
    """One line for a failure of the machine (disk full, read-only or unwritable warehouse), then exit 1."""
    problem = environment_problem(exc, path)
    text = problem.line() if problem else f"{type(exc).__name__}: {exc}"
    print(f"observatory {command}: cannot write to the warehouse: {text}", file=sys.stderr)
    if published is not None and published.is_file():
        print(f"The previously published {published} is untouched.", file=sys.stderr)
    return 1


def run_problems(result) -> list[str]:
    """The failed steps (with their root cause) and the checks that did not pass in a Dagster run result, or in
    its list of events, one line each."""
    from observatory.errors import step_failure

    lines = []
    for event in getattr(result, "all_events", result):
        if event.is_step_failure:
            lines.append(step_failure(event).summary())
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                warning = evaluation.severity.value == "WARN"
                lines.append(f"- {'warning from ' if warning else ''}check {evaluation.check_name}"
                             f"{'' if warning else ' failed'}: {evaluation.description}")
    return lines


def ui_command(port: int) -> list[str]:
    """``dagster dev`` with this interpreter (``dagster`` may not be on PATH when the venv is not activated), run
    in the project folder so that it reads the code location from pyproject.toml, under its name."""
    return [sys.executable, "-m", "dagster", "dev", "-h", "127.0.0.1", "-p", str(port)]


def _sync_reference_years(raw: Path) -> None:
    """Make the year partitions those of the deliveries in ``raw`` before the UI opens, so that every year can be
    chosen at once (the sensor ``reference_years`` keeps them in step afterwards)."""
    import dagster as dg

    from pipelines.years import describe_changes, sync_years

    with dg.DagsterInstance.get() as instance:
        if changes := describe_changes(*sync_years(instance, raw)):
            print(f"Reference years: {changes}", flush=True)


def ui(args: argparse.Namespace) -> int:
    try:
        _dagster_environment(args.raw_dir, args.warehouse_dir, args.population_source)
    except OSError as exc:
        return _environment_exit(exc, (args.warehouse_dir or default_warehouse_dir()).resolve(), command="ui")
    _sync_reference_years((args.raw_dir or default_raw_dir()).resolve())
    print(f"Starting the Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    return run_until_interrupted(ui_command(args.port), cwd=PROJECT_ROOT)


def run_until_interrupted(command: list[str], cwd: Path, grace_seconds: float = 30) -> int:
    """Run ``command``; on Ctrl-C let it shut down by itself, then return 130 without a traceback.

    Ctrl-C reaches ``dagster dev`` too (same process group) and it stops its webserver, daemon and code servers.
    ``subprocess.call`` would SIGKILL it at once instead, leaving those children behind. A child still running after
    ``grace_seconds`` is terminated, and killed 10 s later if it ignores that too.
    """
    process = subprocess.Popen(command, cwd=cwd)
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # it ignores SIGTERM too (e.g. started with signals ignored)
                process.kill()
                process.wait()
        print("Stopped.", flush=True)
        return 130


def sample(args: argparse.Namespace) -> int:
    from observatory.sample import generate_sample

    files = generate_sample(args.out, scale=args.scale, seed=args.seed)
    print(f"Wrote {len(files)} synthetic files under {args.out}")
    return 0


def fetch(args: argparse.Namespace) -> int:
    from observatory.download import DownloadError
    from observatory.fetch import FetchError, FetchSettings, delivered, fetchers
    from observatory.fetch import fetch as fetch_sources

    if args.list:
        for name, fetcher in fetchers().items():
            print(f"{name:<20} data/raw/{fetcher.folder.as_posix():<28} {fetcher.description}")
        for name, where in delivered().items():
            print(f"{name:<20} {where}: not fetched, dropped into the raw folder by hand")
        return 0
    raw = (args.raw_dir or default_raw_dir()).resolve()
    print(f"Fetching {', '.join(args.sources) or 'every public source'} into {raw} (network) ...", flush=True)
    try:
        outcomes = fetch_sources(args.sources, FetchSettings(raw_dir=raw, progress=lambda m: print(m, flush=True)))
    except (FetchError, DownloadError) as exc:
        print(f"\nThe fetch failed: {exc}\nEarlier vintages are untouched.", file=sys.stderr)
        return 1
    for outcome in outcomes:
        state = f"new vintage {outcome.vintage}" if outcome.changed else "nothing new"
        print(f"- {outcome.source}: {state}")
    if any(o.changed for o in outcomes):
        print("Run `observatory build` (or let the nightly run) to rebuild what changed.")
    return 0


def export_command(args: argparse.Namespace) -> int:
    import duckdb

    from observatory.export import ExportRefused, export

    warehouse = (args.warehouse_dir or default_warehouse_dir()).resolve()
    started = time.monotonic()
    try:
        result = export(warehouse)
    except ExportRefused as exc:
        print(f"observatory export: {exc}", file=sys.stderr)
        return 1
    except (OSError, duckdb.Error) as exc:
        return _environment_exit(exc, warehouse, command="export")
    print(f"Exported release {result.release} into {result.folder} in {time.monotonic() - started:.0f} s "
          f"({len(result.files)} files, {result.bytes:,} bytes):")
    for name, size in result.files.items():
        print(f"  {name} {size:,}")
    return 0


def report(args: argparse.Namespace) -> int:
    from observatory.report import LANGUAGES, REPORT_FOLDER, write_reports

    warehouse = (args.warehouse_dir or default_warehouse_dir()).resolve()
    published = warehouse / PUBLISHED_FILE_NAME
    languages = [code.strip().lower() for code in args.lang.split(",") if code.strip()]
    if unknown := [code for code in languages if code not in LANGUAGES]:
        print(f"observatory report: unknown language(s) {', '.join(unknown)}: choose among {', '.join(LANGUAGES)}.",
              file=sys.stderr)
        return 2
    if not published.is_file():
        print(f"observatory report: no published database at {published}: run `observatory build` first "
              f"(or set --warehouse-dir or ${WAREHOUSE_DIR_ENV}).", file=sys.stderr)
        return 1
    started = time.monotonic()
    try:
        pages = write_reports(published, warehouse / REPORT_FOLDER, languages)
    except OSError as exc:
        return _environment_exit(exc, warehouse / REPORT_FOLDER, command="report")
    for page in pages:
        print(f"{page.path} ({page.size_bytes / 1e6:.1f} MB, {page.figures} charts)")
    print(f"Wrote {len(pages)} report(s) in {time.monotonic() - started:.1f} s.")
    return 0


def cases_command(args: argparse.Namespace) -> int:
    from observatory import cases

    if args.action == "template":
        if args.folder is not None:
            print("observatory cases template: takes no folder; write the template with --out FILE", file=sys.stderr)
            return 2
        if args.out is None:
            print(cases.template(), end="")
            return 0
        if args.out.exists():
            print(f"observatory cases template: {args.out} exists; not overwritten", file=sys.stderr)
            return 1
        args.out.write_text(cases.template(), encoding="utf-8")
        print(f"Wrote the case template to {args.out}: fill it in, then `observatory cases check`.")
        return 0
    folder = args.folder or cases.folder(args.raw_dir or default_raw_dir())
    if not folder.is_dir():
        print(f"observatory cases check: no folder {folder}", file=sys.stderr)
        return 2
    files = cases.case_files(folder)
    try:
        cases.read_folder(folder)
    except cases.CaseError as exc:
        for problem in exc.problems:
            print(problem.text())
        print(f"{len(files)} case file(s) in {folder}: {len(exc.problems)} problem(s)")
        return 1
    print(f"{len(files)} case file(s) in {folder}: no problem (format only; the identifiers are looked up in the "
          "registries by the build)")
    return 0


def check_mappings(_: argparse.Namespace) -> int:
    from observatory.nomenclatures import check_mappings as check

    problems = check()
    for problem in problems:
        print(problem)
    print("mappings consistent" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


COMMANDS = {
    "build": ("materialise every asset in process and publish observatory.duckdb",
              "Run the job build_observatory here, on every reference year, and publish <warehouse>/observatory.duckdb "
              "atomically (a failed build leaves the published file as it was). Prints a line per stage and a "
              "summary: the published tables and their rows, the warnings from checks or, on failure, each failed "
              "step with its cause. The run is recorded in the run history that `observatory ui` shows."),
    "ui": ("start the Dagster UI on 127.0.0.1",
           "Start the Dagster UI and daemon (`dagster dev`) on this project, with run history under "
           "<warehouse>/dagster; the nightly schedule and the failure alert run while it is up."),
    "sample": ("write the deterministic synthetic sample in the producers' formats",
               "Write the synthetic sample (the embedded data/raw) in the producers' file formats."),
    "fetch": ("download public sources from their producers into dated vintages (network)",
              "Download the public sources into dated vintages of the raw folder; a source with nothing new is left "
              "as it is."),
    "export": ("write the open exports of the published database (Parquet, CSV, XLSX, SDMX-CSV, data package)",
               "Write <warehouse>/exports/<release>/ from the published observatory.duckdb: Parquet, CSV, CSV for "
               "French and Belgian spreadsheets, an XLSX workbook, SDMX-CSV, a Frictionless data package and "
               "SHA256SUMS (docs/exports.md). Refused, exit 1, when there is no published database or its disclosure "
               "audit did not pass."),
    "report": ("write the report, one offline HTML page per language, from the published database",
               "Write <warehouse>/report/report-<lang>.html (French, Dutch, English) from the published "
               "observatory.duckdb, read-only: key figures, the border compared, the NUTS3 regions in a sortable table "
               "and on a map, the evolution, the national-vs-common reconciliation, sources and notice. Each page is "
               "self-contained (plotly's JavaScript inside) and needs no network to be read."),
    "cases": ("write the template of a documented case, or check a folder of case files (offline)",
              "Documented cases (docs/cases.md). `cases template [--out FILE]` writes a commented case file with "
              "every field, what it means and its allowed values. `cases check [FOLDER]` checks every case file of "
              "FOLDER (default: <raw>/cases) as the build does, format only (fields, types, years, check digits; "
              "not whether the identifier is in the registry), and prints each problem with its file, line and "
              "field; exit 1 if any."),
    "check-mappings": ("check the mapping files",
                       "Check the nomenclature mapping files for consistency; exit 1 if any problem is found."),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="observatory", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func) -> argparse.ArgumentParser:
        summary, description = COMMANDS[name]
        cmd = sub.add_parser(name, help=summary, description=description)
        cmd.set_defaults(func=func)
        return cmd

    for name, func in [("build", build), ("ui", ui)]:
        cmd = command(name, func)
        cmd.add_argument("--raw-dir", type=Path, help=f"raw inputs (default: ${RAW_DIR_ENV} or data/raw)")
        cmd.add_argument("--warehouse-dir", type=Path,
                         help=f"outputs and run history (default: ${WAREHOUSE_DIR_ENV} or data/warehouse)")
        cmd.add_argument("--population-source", choices=POPULATION_SOURCES,
                         help=f"population denominators: eurostat (both countries) or national (INSEE and Statbel) "
                         f"(default: ${POPULATION_SOURCE_ENV} or eurostat)")
    sub.choices["build"].add_argument("--wait", action="store_true",
                                      help="if another build of the same warehouse is running, wait for it to end "
                                      f"(default: refuse at once, exit code {BUSY_EXIT})")
    sub.choices["build"].add_argument("--full", action="store_true",
                                      help="rebuild every asset (default: only what changed since the last "
                                      "publication — a raw folder, a code or mapping file, a setting — and what "
                                      "follows from it; nothing at all when nothing changed)")
    sub.choices["build"].add_argument("-v", "--verbose", action="store_true",
                                      help="show Dagster's own events and the tracebacks of failed steps instead of "
                                      "the progress lines")
    sub.choices["ui"].add_argument("--port", type=int, default=3000, help="port of the UI (default: 3000)")
    cmd = command("sample", sample)
    cmd.add_argument("--out", type=Path, default=PROJECT_ROOT / "data" / "raw",
                     help="folder to write into (default: data/raw)")
    cmd.add_argument("--scale", type=float, default=1.0, help="size relative to the embedded sample (default: 1.0)")
    cmd.add_argument("--seed", type=int, default=20260101, help="random seed (default: 20260101)")
    cmd = command("fetch", fetch)
    cmd.add_argument("sources", nargs="*", metavar="SOURCE", help="sources to fetch (default: all; see --list)")
    cmd.add_argument("--raw-dir", type=Path, help=f"raw inputs (default: ${RAW_DIR_ENV} or data/raw)")
    cmd.add_argument("--list", action="store_true", help="list the sources and exit")
    cmd = command("export", export_command)
    cmd.add_argument("--warehouse-dir", "--warehouse", dest="warehouse_dir", type=Path,
                     help=f"the warehouse holding observatory.duckdb (default: ${WAREHOUSE_DIR_ENV} or data/warehouse)")
    cmd = command("report", report)
    cmd.add_argument("--warehouse-dir", "--warehouse", type=Path,
                     help=f"folder of the published observatory.duckdb (default: ${WAREHOUSE_DIR_ENV} or data/warehouse)")
    cmd.add_argument("--lang", default="fr,nl,en", help="languages, comma-separated (default: fr,nl,en)")
    cmd = command("cases", cases_command)
    cmd.add_argument("action", choices=("template", "check"), help="template: write a case template; check: check "
                     "case files")
    cmd.add_argument("folder", nargs="?", type=Path, help="check: the folder of case files (default: <raw>/cases)")
    cmd.add_argument("--out", type=Path, help="template: the file to write (default: print it)")
    cmd.add_argument("--raw-dir", type=Path, help=f"check: the raw folder whose cases/ to check (default: "
                     f"${RAW_DIR_ENV} or data/raw)")
    command("check-mappings", check_mappings)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
