"""The ``observatory`` command: build, open the Dagster UI, fetch sources, make the synthetic sample, check the mappings.

``build`` and ``ui`` run Dagster against this project's ``dagster.yaml`` with run history stored under the
warehouse folder, so a build from the command line shows up in the UI. (Dagster is imported only here and in
``pipelines/``: the library itself does not depend on it.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from observatory.config import (
    POPULATION_SOURCE_ENV,
    POPULATION_SOURCES,
    PROJECT_ROOT,
    RAW_DIR_ENV,
    WAREHOUSE_DIR_ENV,
    default_raw_dir,
    default_warehouse_dir,
)


def _dagster_environment(raw_dir: Path | None, warehouse_dir: Path | None, population_source: str | None = None) -> Path:
    """Point Dagster at the project's instance settings and the warehouse; return the warehouse folder."""
    if population_source:
        os.environ[POPULATION_SOURCE_ENV] = population_source
    if raw_dir:
        os.environ[RAW_DIR_ENV] = str(raw_dir.resolve())
    if warehouse_dir:
        os.environ[WAREHOUSE_DIR_ENV] = str(warehouse_dir.resolve())
    warehouse = default_warehouse_dir()
    storage = warehouse / "dagster"
    (storage / "logs").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    os.environ.setdefault("OBSERVATORY_DAGSTER_STORAGE", str(storage))
    os.environ.setdefault("OBSERVATORY_DAGSTER_LOGS", str(storage / "logs"))
    return warehouse


def build(args: argparse.Namespace) -> int:
    warehouse = _dagster_environment(args.raw_dir, args.warehouse_dir, args.population_source)
    import dagster as dg

    from pipelines.definitions import all_years_tags, defs

    raw = default_raw_dir()
    print(f"Building the observatory from {raw} into {warehouse} ...", flush=True)
    with dg.DagsterInstance.get() as instance:
        job = defs.resolve_job_def("build_observatory")
        result = job.execute_in_process(instance=instance, tags={**all_years_tags(), "observatory/trigger": "cli"},
                                        raise_on_error=False)
    if result.success:
        published = warehouse / "observatory.duckdb"
        print(f"Published {published} (run {result.run_id}).")
        # Checks that do not stop a build (e.g. a missing optional population file) are still worth reading.
        for line in run_problems(result):
            print(line, file=sys.stderr)
        return 0
    print(f"\nThe build failed (run {result.run_id}); the previously published database is untouched.",
          file=sys.stderr)
    for line in run_problems(result):
        print(line, file=sys.stderr)
    return 1


def run_problems(result) -> list[str]:
    """The failed steps and the checks that did not pass in a Dagster run result, one line each."""
    lines = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            lines.append(f"- step {event.step_key}: {error.message.strip() if error else 'failed'}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                warning = evaluation.severity.value == "WARN"
                lines.append(f"- {'warning from ' if warning else ''}check {evaluation.check_name}"
                             f"{'' if warning else ' failed'}: {evaluation.description}")
    return lines


def ui(args: argparse.Namespace) -> int:
    _dagster_environment(args.raw_dir, args.warehouse_dir, args.population_source)
    # The interpreter running this command: `dagster` may not be on PATH when the venv is not activated.
    command = [sys.executable, "-m", "dagster", "dev", "-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(args.port)]
    print(f"Starting the Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    return subprocess.call(command, cwd=PROJECT_ROOT)


def sample(args: argparse.Namespace) -> int:
    from observatory.sample import generate_sample

    files = generate_sample(args.out, scale=args.scale, seed=args.seed)
    print(f"Wrote {len(files)} synthetic files under {args.out}")
    return 0


def fetch(args: argparse.Namespace) -> int:
    from observatory.download import DownloadError
    from observatory.fetch import DELIVERED, FetchError, FetchSettings, fetchers
    from observatory.fetch import fetch as fetch_sources

    if args.list:
        for name, fetcher in fetchers().items():
            print(f"{name:<20} data/raw/{fetcher.folder.as_posix():<28} {fetcher.description}")
        for name, where in DELIVERED.items():
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


def check_mappings(_: argparse.Namespace) -> int:
    from observatory.nomenclatures import check_mappings as check

    problems = check()
    for problem in problems:
        print(problem)
    print("mappings consistent" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="observatory", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, help_text in [
        ("build", build, "materialise every asset in process and publish observatory.duckdb"),
        ("ui", ui, "start the Dagster UI on 127.0.0.1"),
    ]:
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--raw-dir", type=Path, help=f"raw inputs (default: ${RAW_DIR_ENV} or data/raw)")
        cmd.add_argument("--warehouse-dir", type=Path,
                         help=f"outputs (default: ${WAREHOUSE_DIR_ENV} or data/warehouse)")
        cmd.add_argument("--population-source", choices=POPULATION_SOURCES,
                         help=f"population denominators: eurostat (both countries) or national (INSEE and Statbel) "
                         f"(default: ${POPULATION_SOURCE_ENV} or eurostat)")
        cmd.set_defaults(func=func)
    sub.choices["ui"].add_argument("--port", type=int, default=3000)
    cmd = sub.add_parser("sample", help="write the deterministic synthetic sample in the producers' formats")
    cmd.add_argument("--out", type=Path, default=PROJECT_ROOT / "data" / "raw")
    cmd.add_argument("--scale", type=float, default=1.0)
    cmd.add_argument("--seed", type=int, default=20260101)
    cmd.set_defaults(func=sample)
    cmd = sub.add_parser("fetch", help="download public sources from their producers into dated vintages (network)")
    cmd.add_argument("sources", nargs="*", metavar="SOURCE", help="sources to fetch (default: all; see --list)")
    cmd.add_argument("--raw-dir", type=Path, help=f"raw inputs (default: ${RAW_DIR_ENV} or data/raw)")
    cmd.add_argument("--list", action="store_true", help="list the sources and exit")
    cmd.set_defaults(func=fetch)
    sub.add_parser("check-mappings", help="check the mapping files").set_defaults(func=check_mappings)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
