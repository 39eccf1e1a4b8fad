"""Fault injection on the embedded sample: builds killed at random moments, and pairs of builds started together.

    .venv/bin/python benchmarks/fault_injection.py [--kills 10] [--pairs 10] [--seed 1] [--json OUT.json]

Kills: a build is started and killed with SIGKILL at a moment drawn uniformly over the length of a full build,
then a plain `observatory build` must succeed with no manual step, and the published file must open.
Pairs: two builds of two different inputs (the sample and the sample drawn with another seed) are started into
one warehouse at the same moment; one must publish, the other refuse in one line, and the published `meta.release`
must name only the winner's files. Every build is a real `observatory build` process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

PROJECT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT / "data" / "raw"
sys.path.insert(0, str(PROJECT / "tests"))
from test_faults import _sources_of  # noqa: E402  (the checksums meta.release gives, as the test compares them)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "OBSERVATORY_"))}


def _start(raw: Path, warehouse: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "observatory.cli", "build", "--raw-dir", str(raw),
                             "--warehouse-dir", str(warehouse)], cwd=PROJECT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _build(raw: Path, warehouse: Path) -> tuple[int, str, str, float]:
    started = time.monotonic()
    process = _start(raw, warehouse)
    out, err = process.communicate()
    return process.returncode, out, err, time.monotonic() - started


def _release(warehouse: Path) -> tuple[str, str]:
    with duckdb.connect(str(warehouse / "observatory.duckdb"), read_only=True) as con:
        return con.execute("SELECT dagster_run_id, sources FROM meta.release").fetchone()


def kills(count: int, rng: random.Random, root: Path) -> dict:
    warehouse = root / "kills"
    code, _, err, full = _build(SAMPLE, warehouse)
    assert code == 0, err
    results = []
    for _ in range(count):
        at = rng.uniform(0.5, full)
        process = _start(SAMPLE, warehouse)
        time.sleep(at)
        ended_first = process.poll() is not None
        process.send_signal(signal.SIGKILL)
        process.communicate()
        code, out, err, seconds = _build(SAMPLE, warehouse)
        ok = code == 0 and _release(warehouse)[0] in out
        results.append({"kill_at_s": round(at, 1), "ended_before_kill": ended_first, "next_build_ok": ok,
                        "next_build_s": round(seconds, 1), "recovered": out.count("Recovered: run "),
                        "error": "" if ok else err.strip().splitlines()[-3:]})
        print(f"kill at {at:5.1f} s -> next build {'ok' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
    return {"full_build_s": round(full, 1), "runs": results,
            "succeeded": sum(r["next_build_ok"] for r in results), "of": count}


def pairs(count: int, root: Path) -> dict:
    other = root / "other-raw"
    from observatory.sample import generate_sample

    generate_sample(other, seed=7)
    sums = {SAMPLE: _sources_of(SAMPLE), other: _sources_of(other)}
    results = []
    for i in range(count):
        warehouse = root / f"pair-{i}"
        first, second = _start(SAMPLE, warehouse), _start(other, warehouse)
        (_, err_a), (_, err_b) = first.communicate(), second.communicate()
        codes = (first.returncode, second.returncode)
        winner = SAMPLE if codes[0] == 0 else other
        loser_err = err_b if codes[0] == 0 else err_a
        run_id, sources = _release(warehouse) if 0 in codes else ("", "")
        named = {s.rsplit("@", 1)[1] for s in sources.split("; ") if "@" in s}
        loser = other if winner == SAMPLE else SAMPLE
        clean = (sorted(codes) == [0, 3] and named <= sums[winner] and not named & (sums[loser] - sums[winner])
                 and len([x for x in loser_err.splitlines() if x.strip()]) == 1)
        results.append({"codes": codes, "winner": winner.name, "no_mix": clean,
                        "loser_says": loser_err.strip().splitlines()[:2]})
        print(f"pair {i}: exit codes {codes}, {'clean' if clean else 'MIXED OR UNCLEAR'}", flush=True)
    return {"runs": results, "clean": sum(r["no_mix"] for r in results), "of": count}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        root = Path(tmp)
        report = {"kills": kills(args.kills, random.Random(args.seed), root) if args.kills else None,
                  "pairs": pairs(args.pairs, root) if args.pairs else None}
    text = json.dumps(report, indent=2, default=str)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)
    ok = (not report["kills"] or report["kills"]["succeeded"] == report["kills"]["of"]) and (
        not report["pairs"] or report["pairs"]["clean"] == report["pairs"]["of"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
