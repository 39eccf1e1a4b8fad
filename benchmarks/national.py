"""The build at national scale, against the floor DuckDB sets and against pandas, on the same generated files.

    python benchmarks/national.py --fraction 0.1 [--format parquet|zip] --json OUT.json [--markdown docs/...md]
        [--keep DIR] [--skip-pandas] [--repeat N]

1. Writes the embedded sample (every source) into a scratch raw folder, then replaces its SIRENE stock files and its
   KBO Full extract with SYNTHETIC files of ``fraction`` × the national volumes (``benchmarks/national_inputs.py``),
   and writes four SYNTHETIC partner cases whose identifiers are in those files (``write_cases``): the build looks
   them up in the national files, as it would the partners' real cases.
2. ``build_s``: ``observatory build --full`` on them, in its own process (its peak RSS is ``peak_rss_mb``), from an
   empty warehouse; with ``--repeat N``, N such builds and their median (all of them in ``build_runs_s``): builds of
   the same code on the same machine were seen to differ by 4 s, and once by 12 s.
3. ``rebuild_nothing_new_s``: ``observatory build`` again, nothing having changed.
4. ``floor_s``: DuckDB alone reading the same files and the same columns, with the same memory limit: for ZIPs the
   extraction of the CSVs (Python's zipfile, as the loaders do) and a scan of them; for Parquet a direct scan.
5. ``pandas_s``: an equivalent pandas pipeline (read the needed columns, join establishments to their units and
   KBO units to their enterprise, preferred main activity and address, aggregate as the loaders do, and the
   demography's head offices and seats likewise).

Each step runs in a child process; its wall time, peak RSS and CPU time (``wait4``) are recorded. ``build_cpu_s``
divided by the cores is the shortest wall time the build's work could take on this machine, however it were
scheduled. Timings depend on the machine and on what else runs on it: measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from observatory.config import DEFAULT_DUCKDB_MEMORY, DUCKDB_MEMORY_ENV  # noqa: E402
from observatory.sources import kbo, sirene  # noqa: E402

# The columns the loaders read: the floor and pandas read these and no more.
SIRENE_UNITS = list(sirene.UNIT_COLUMNS)
SIRENE_ESTABLISHMENTS = list(dict.fromkeys([*sirene.ESTABLISHMENT_COLUMNS, *sirene.SIEGE_COLUMNS]))
KBO = {member: list(columns) for member, columns in kbo.REQUIRED.items() if member not in ("meta.csv", "code.csv")}


def _child(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run ``command``; its wall seconds, its peak RSS in MB and its CPU seconds (user and system), both counting
    itself and the children it waited for (the disclosure control's workers)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        err = process.stderr.read().decode(errors="replace")
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({code}):\n{err[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


# Run in a child process: extract (ZIP) then scan every needed column with DuckDB, as the build's memory limit.
FLOOR = """
import json, sys, zipfile, shutil, tempfile, duckdb
from pathlib import Path
files, columns, memory, work = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
con = duckdb.connect(config={"memory_limit": memory})
for path, member in files:
    path = Path(path)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            info = next(i for i in archive.infolist() if Path(i.filename).name.lower() == member.lower())
            target = work / Path(member).name
            with archive.open(info) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
        data = f"read_csv('{target}', header=true, all_varchar=true)"
    else:
        data = f"read_parquet('{path}')"
    # A hash of every value: max() alone would be answered from Parquet's row-group statistics without reading.
    wanted = ", ".join(f'"{c}"' for c in columns[member])
    con.execute(f"SELECT bit_xor(hash({wanted})) FROM {data}").fetchall()
"""

# Run in a child process: the same joins and counts in pandas as the registry steps, reading only the needed
# columns: SIRENE's active establishments joined to their units and counted by département (the build's grain), its
# head offices joined to their units and counted by years of creation and cessation (the demography); the KBO's
# units joined to their enterprise, their preferred main activity (the build's order of NACE versions and groups)
# and their address, and its enterprises joined to their seat and counted by year of start.
PANDAS = """
import json, sys, zipfile
import pandas as pd
from pathlib import Path
sirene, kbo_zip, ranked = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
def rank(values, order):
    return values.map({value: i for i, value in enumerate(order)}).fillna(len(order))
def read(path, columns, member=None):
    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path, columns=columns)
    if member is None:
        return pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False)
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if Path(i.filename).name.lower() == member)
        with archive.open(info) as handle:
            return pd.read_csv(handle, usecols=columns, dtype=str, keep_default_na=False)
def dep(commune):
    commune = commune.fillna("").astype(str)
    return commune.str[:3].where(commune.str.startswith("97"), commune.str[:2])
def full_years(start, end):
    earlier = (end.dt.month < start.dt.month) | ((end.dt.month == start.dt.month) & (end.dt.day < start.dt.day))
    return end.dt.year - start.dt.year - earlier.astype("Int64")
units = read(sirene["units"], ["siren", "categorieJuridiqueUniteLegale", "economieSocialeSolidaireUniteLegale",
    "etatAdministratifUniteLegale", "dateCreationUniteLegale", "dateDebut"])
establishments = read(sirene["establishments"], ["siren", "siret", "etatAdministratifEtablissement",
    "codeCommuneEtablissement", "activitePrincipaleEtablissement", "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement", "etablissementSiege"])
kinds = ["categorieJuridiqueUniteLegale", "economieSocialeSolidaireUniteLegale"]
active = establishments[establishments["etatAdministratifEtablissement"] == "A"]
joined = active.merge(units[["siren", *kinds]], on="siren", how="left")
fr = joined.groupby([dep(joined["codeCommuneEtablissement"]), *kinds, "activitePrincipaleEtablissement",
                     "nomenclatureActivitePrincipaleEtablissement", "caractereEmployeurEtablissement"],
                    dropna=False).size()
heads = establishments[establishments["etablissementSiege"].astype(str).str.lower() == "true"]
heads = heads[["siren", "codeCommuneEtablissement"]].merge(units, on="siren")
created = pd.to_datetime(heads["dateCreationUniteLegale"], errors="coerce")
ceased = pd.to_datetime(heads["dateDebut"].where(heads["etatAdministratifUniteLegale"] == "C"), errors="coerce")
fr_demography = heads.groupby([dep(heads["codeCommuneEtablissement"]), *kinds, created.dt.year, ceased.dt.year,
                               full_years(created, ceased)], dropna=False).size()
enterprises = read(kbo_zip, ["EnterpriseNumber", "JuridicalForm", "TypeOfEnterprise", "StartDate"], "enterprise.csv")
units_be = read(kbo_zip, ["EstablishmentNumber", "EnterpriseNumber"], "establishment.csv")
activity = read(kbo_zip, ["EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"],
                "activity.csv")
main = activity[activity["Classification"] == "MAIN"].assign(
    version_rank=lambda a: rank(a["NaceVersion"], ranked["versions"]),
    group_rank=lambda a: rank(a["ActivityGroup"], ranked["groups"]))
main = main.sort_values(["EntityNumber", "version_rank", "group_rank", "NaceCode"]).drop_duplicates("EntityNumber")
address = read(kbo_zip, ["EntityNumber", "TypeOfAddress", "Zipcode", "DateStrikingOff"], "address.csv")
address = address[address["DateStrikingOff"] == ""]
be = (units_be.merge(enterprises, on="EnterpriseNumber", how="left")
      .merge(main, left_on="EstablishmentNumber", right_on="EntityNumber", how="left")
      .merge(address[address["TypeOfAddress"] == "BAET"].drop_duplicates("EntityNumber"),
             left_on="EstablishmentNumber", right_on="EntityNumber", how="left", suffixes=("", "_address"))
      .groupby(["Zipcode", "JuridicalForm", "TypeOfEnterprise", "NaceVersion", "NaceCode"], dropna=False).size())
seats = address[address["TypeOfAddress"] == "REGO"].drop_duplicates("EntityNumber")
be_demography = (enterprises.merge(seats, left_on="EnterpriseNumber", right_on="EntityNumber", how="left")
                 .merge(main, left_on="EnterpriseNumber", right_on="EntityNumber", how="left",
                        suffixes=("", "_activity"))
                 .assign(start_year=lambda e: pd.to_datetime(e["StartDate"], format="%d-%m-%Y", errors="coerce").dt.year)
                 .groupby(["Zipcode", "JuridicalForm", "TypeOfEnterprise", "NaceCode", "start_year"], dropna=False)
                 .size())
print(len(fr), len(fr_demography), len(be), len(be_demography))
"""


REGISTRY_STEPS = ("fr_sirene", "be_kbo", "harmonised_establishments", "mart_establishments", "harmonised_demography",
                  "mart_demography")


def _step_seconds(warehouse: Path) -> dict[str, float]:
    """Seconds per step of the last run recorded in the warehouse's run history."""
    import dagster as dg

    storage = warehouse / "dagster"
    os.environ["OBSERVATORY_DAGSTER_STORAGE"] = str(storage)
    os.environ["OBSERVATORY_DAGSTER_LOGS"] = str(storage / "logs")
    with dg.DagsterInstance.from_config(str(storage)) as instance:
        run = instance.get_runs(limit=1)[0]
        return {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(run.run_id)}


# What a researcher asks of the published file first (the README's examples): one indicator, one territory's jobs,
# the establishments of a family.
QUERIES = {
    "indicator": "SELECT * FROM mart.indicators WHERE indicator = 'ess_share_of_jobs' AND geo_level = 'AREA'",
    "jobs_of_a_nuts3": "SELECT family, sum(jobs) FROM mart.jobs WHERE geo = 'BE323' AND sex = 'T' AND "
                       "age_band = 'TOTAL' AND nace_a10 = 'TOTAL' GROUP BY ALL",
    "establishments": "SELECT geo, sum(establishments) FROM mart.establishments WHERE family = 'COOP' GROUP BY geo",
}


def _query_ms(published: Path, repeat: int = 21) -> dict[str, float]:
    """Median milliseconds of each query on a read-only connection to the published file, as a researcher's."""
    import statistics

    import duckdb

    con = duckdb.connect(str(published), read_only=True)
    try:
        out = {}
        for name, sql in QUERIES.items():
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                con.execute(sql).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            out[name] = round(statistics.median(times), 2)
        return out
    finally:
        con.close()


def _files(raw: Path) -> tuple[Path, Path, Path]:
    sirene = raw / "fr" / "sirene"
    units = next(p for p in sorted(sirene.iterdir()) if p.name.startswith("StockUniteLegale_utf8.")
                 and not p.name.endswith(".json"))
    establishments = next(p for p in sorted(sirene.iterdir()) if p.name.startswith("StockEtablissement_utf8.")
                          and not p.name.endswith(".json"))
    kbo = next(p for p in (raw / "be" / "kbo").iterdir() if p.name.endswith("_Full.zip"))
    return units, establishments, kbo


# A partner's case, as docs/cases.md describes it: the build looks its identifier up in the registry files.
CASE = """# SYNTHETIC: written by benchmarks/national.py; the identifier is one of the generated national files'.
name: Synthetic benchmark case {number}
country: {country}
identifier: "{identifier}"
year: 2020
kind: creation
jobs_created: 1
sources:
  - title: Synthetic benchmark case, no real source
    reference: benchmarks/national.py
synthetic: true
"""


def _first_fields(path: Path, member: str | None, count: int) -> list[str]:
    """The first field of the first ``count`` data rows: of a CSV member of the ZIP ``path``, or of a Parquet file."""
    if member is None:
        import duckdb

        quoted = "'" + str(path).replace("'", "''") + "'"
        rows = duckdb.sql(f"SELECT * FROM read_parquet({quoted}) LIMIT {count}").fetchall()
        return [str(row[0]) for row in rows]
    with zipfile.ZipFile(path) as archive, archive.open(member) as binary:
        reader = csv.reader(io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""))
        next(reader)
        return [row[0] for row, _ in zip(reader, range(count), strict=False)]


def write_cases(raw: Path) -> list[str]:
    """``raw/cases``: three French cases and a Belgian one whose identifiers are in the generated files, so that the
    build looks them up in the national files as it would the partners' cases. Returns the identifiers."""
    units, _, kbo_zip = _files(raw)
    sirens = _first_fields(units, units.with_suffix(".csv").name if units.suffix == ".zip" else None, 3)
    identifiers = [("FR", siren) for siren in sirens] + [("BE", _first_fields(kbo_zip, "enterprise.csv", 1)[0])]
    folder = raw / "cases"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for number, (country, identifier) in enumerate(identifiers, 1):
        (folder / f"benchmark_{number}.yaml").write_text(
            CASE.format(number=number, country=country, identifier=identifier), encoding="utf-8")
    return [identifier for _, identifier in identifiers]


# Run in a child process, so that the benchmark's own memory stays small: a child's peak RSS counts the memory of
# the process that started it (Linux keeps the parent's high-water mark across the exec), and generating the national
# files in this process had put its 2.1 GB into the peaks recorded after it.
GENERATE = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, "benchmarks")
from national_inputs import generate
from observatory.sample import generate_sample
raw, fraction, fmt, out = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
generate_sample(raw)
started = time.monotonic()
generated = generate(raw, fraction, fmt)
out.write_text(json.dumps({"generated": generated, "generate_s": time.monotonic() - started}))
"""


def run(fraction: float, fmt: str, scratch: Path, pandas: bool, reuse: bool = False, repeat: int = 1) -> dict:
    raw, warehouse = scratch / "raw", scratch / "warehouse"
    generated, generate_s = {"reused": str(raw)}, 0.0
    if not (reuse and raw.is_dir()):
        out = scratch / "generated.json"
        _child(_python(GENERATE, str(raw), str(fraction), fmt, str(out)))
        summary = json.loads(out.read_text(encoding="utf-8"))
        generated, generate_s = summary["generated"], summary["generate_s"]
    cases = write_cases(raw)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "OBSERVATORY_"))}
    memory = os.environ.get(DUCKDB_MEMORY_ENV, DEFAULT_DUCKDB_MEMORY)
    env[DUCKDB_MEMORY_ENV] = memory
    observatory = [sys.executable, "-m", "observatory.cli", "build", "--raw-dir", str(raw),
                   "--warehouse-dir", str(warehouse)]
    builds = []
    for _ in range(repeat):
        shutil.rmtree(warehouse, ignore_errors=True)  # every build measured starts from an empty warehouse
        seconds, rss, cpu = _child([*observatory, "--full"], env)
        builds.append((seconds, rss, cpu, _step_seconds(warehouse)))
    build_s = statistics.median(seconds for seconds, *_ in builds)
    build_rss = max(rss for _, rss, *_ in builds)
    # The CPU time and steps of the build closest to the median (the median itself when the count is odd).
    _, _, build_cpu, steps = min(builds, key=lambda b: abs(b[0] - build_s))
    rebuild_s, _, _ = _child(observatory, env)
    query_ms = _query_ms(warehouse / "observatory.duckdb")

    units, establishments, kbo_zip = _files(raw)
    columns = {units.name: SIRENE_UNITS, establishments.name: SIRENE_ESTABLISHMENTS, **KBO}
    members = [(str(units), units.with_suffix(".csv").name if units.suffix == ".zip" else units.name),
               (str(establishments),
                establishments.with_suffix(".csv").name if establishments.suffix == ".zip" else establishments.name),
               *((str(kbo_zip), member) for member in KBO)]
    columns[units.with_suffix(".csv").name] = SIRENE_UNITS
    columns[establishments.with_suffix(".csv").name] = SIRENE_ESTABLISHMENTS
    floor_work = scratch / "floor"
    floor_work.mkdir(exist_ok=True)
    floor_s, floor_rss, floor_cpu = _child(_python(FLOOR, json.dumps(members), json.dumps(columns), memory,
                                                   str(floor_work)))
    shutil.rmtree(floor_work, ignore_errors=True)
    pandas_s = pandas_rss = pandas_cpu = None
    if pandas:
        registries = json.dumps({"units": str(units), "establishments": str(establishments)})
        # The build's order of NACE versions and activity groups (kbo.py).
        ranks = json.dumps({"versions": kbo._VERSIONS_RANKED, "groups": kbo._GROUPS_RANKED})
        pandas_s, pandas_rss, pandas_cpu = _child(_python(PANDAS, registries, str(kbo_zip), ranks))
    sizes = {p.name: p.stat().st_size for p in (units, establishments, kbo_zip)}
    return {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "fraction": fraction, "input_format": fmt, "duckdb_memory_limit": memory, "cores": os.cpu_count(),
        "generated": generated, "generate_s": round(generate_s, 1), "input_bytes": sizes,
        "case_identifiers": cases,
        "build_s": round(build_s, 1), "build_runs_s": [round(seconds, 1) for seconds, *_ in builds],
        "peak_rss_mb": round(build_rss), "rebuild_nothing_new_s": round(rebuild_s, 1),
        "floor_s": round(floor_s, 1), "floor_peak_rss_mb": round(floor_rss),
        # User and system CPU seconds: divided by the cores, the shortest wall time the same work could take here.
        "build_cpu_s": round(build_cpu, 1), "floor_cpu_s": round(floor_cpu, 1),
        "pandas_cpu_s": round(pandas_cpu, 1) if pandas_cpu is not None else None,
        "pandas_s": round(pandas_s, 1) if pandas_s is not None else None,
        "pandas_peak_rss_mb": round(pandas_rss) if pandas_rss is not None else None,
        "build_over_floor": round(build_s / floor_s, 2),
        # The steps that read these files, and the rest of the build (the sample's deliveries, the disclosure
        # control, Dagster's own work), which does not grow with them.
        "registry_steps_s": round(sum(v for k, v in steps.items() if k in REGISTRY_STEPS), 1),
        "registry_steps_over_floor": round(sum(v for k, v in steps.items() if k in REGISTRY_STEPS) / floor_s, 2),
        "query_ms": query_ms,
        "steps_s": {k: round(v, 1) for k, v in sorted(steps.items(), key=lambda kv: -kv[1])[:8]},
        "pandas_over_build": round(pandas_s / build_s, 2) if pandas_s is not None else None,
    }


MARKDOWN_HEADER = ("| measured | fraction | SIRENE as | build s | of which registry steps s | floor s | build / floor "
                   "| registry steps / floor | pandas s | pandas / build | peak RSS MB | pandas RSS MB "
                   "| nothing new s | build CPU s | floor CPU s |\n"
                   "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")


def markdown_row(result: dict) -> str:
    def show(value) -> str:
        return "—" if value is None else f"{value}"
    measured = result["measured"][:16].replace("T", " ")  # to the minute: several runs a day
    return (f"| {measured} | {result['fraction']} | {result['input_format']} | {result['build_s']} "
            f"| {result['registry_steps_s']} | {result['floor_s']} | {result['build_over_floor']} "
            f"| {result['registry_steps_over_floor']} | {show(result['pandas_s'])} "
            f"| {show(result['pandas_over_build'])} | {result['peak_rss_mb']} | {show(result['pandas_peak_rss_mb'])} "
            f"| {result['rebuild_nothing_new_s']} | {result['build_cpu_s']} | {result['floor_cpu_s']} |\n")


def add_row(path: Path, row: str) -> None:
    """Put ``row`` at the end of the measurements table in ``path`` (text may follow the table, as in
    docs/performance.md); a file without that table gets it at its end."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    header = MARKDOWN_HEADER.splitlines()[0]
    lines = text.splitlines(keepends=True)
    if header + "\n" not in lines:
        path.write_text(text + ("\n" if text and not text.endswith("\n") else "") + MARKDOWN_HEADER + row,
                        encoding="utf-8")
        return
    end = lines.index(header + "\n") + 1
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    path.write_text("".join(lines[:end]) + row + "".join(lines[end:]), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=0.1, help="share of national volumes (default 0.1)")
    parser.add_argument("--format", choices=("parquet", "zip"), default="parquet", help="SIRENE files as")
    parser.add_argument("--json", type=Path, required=True, help="write the result here")
    parser.add_argument("--markdown", type=Path, help="append the result as a row of this Markdown table")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--skip-pandas", action="store_true", help="leave out the pandas pipeline")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: use the raw folder generated there by an earlier run (same fraction and "
                             "format) instead of generating it again")
    parser.add_argument("--repeat", type=int, default=1,
                        help="build this many times from an empty warehouse and keep the median (default 1)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="national-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args.fraction, args.format, scratch, not args.skip_pandas, args.reuse, args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        add_row(args.markdown, markdown_row(result))
    print(json.dumps({k: v for k, v in result.items() if k not in ("generated", "input_bytes")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
