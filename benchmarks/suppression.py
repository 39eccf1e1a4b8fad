"""Time of the LP attacker and of secondary suppression on a synthetic table shaped like ``mart.jobs``.

    .venv/bin/python benchmarks/suppression.py [--years 3] [--seed 1] [--small 0.02] [--protect-secondaries]

Years × geography (8 NUTS3 → 2 sides → area) × family (4 families → ESS, plus ALL) × sector (10 → TOTAL) ×
sex (F + M = T) × age (6 bands → TOTAL). Bottom cells are drawn from a skewed distribution with a share of small
counts; primary suppression is ``0 < jobs < 5``. Prints cells, relations, primary and secondary counts, seconds.
"""

from __future__ import annotations

import argparse
import random
import time
from itertools import product

from observatory.suppression import audit, derive_relations, secondary_suppression

NUTS3 = {"FWVL_FR": ["FRE11", "FRE12", "FRE21", "FRE22"], "FWVL_BE": ["BE251", "BE252", "BE323", "BE324"]}
GEO = {"FWVL": list(NUTS3), **NUTS3}
FAMILIES = ["ASSOC", "COOP", "MUTUAL", "FOUND"]
SECTORS = [f"S{i:02d}" for i in range(10)]
SEXES = ["F", "M"]
AGES = [f"A{i}" for i in range(6)]
DIMENSIONS = ["year", "geo", "family", "nace_a10", "sex", "age_band"]
HIERARCHIES = {"geo": GEO, "family": {"ESS": FAMILIES}, "nace_a10": {"TOTAL": SECTORS}, "sex": {"T": SEXES},
               "age_band": {"TOTAL": AGES}}


def synthetic_table(years: int, seed: int, small: float) -> dict[tuple, float]:
    rng = random.Random(seed)
    bottom: dict[tuple, float] = {}
    nuts3 = [n for side in NUTS3.values() for n in side]
    for year, geo, sector, sex, age in product(range(2021, 2021 + years), nuts3, SECTORS, SEXES, AGES):
        ess = 0
        for family in FAMILIES:
            jobs = rng.randint(1, 4) if rng.random() < small else int(rng.lognormvariate(3.5, 1.0)) + 5
            bottom[(year, geo, family, sector, sex, age)] = jobs
            ess += jobs
        bottom[(year, geo, "ALL", sector, sex, age)] = ess + int(rng.lognormvariate(6, 0.8))
    cells: dict[tuple, float] = {}
    parents = {child: parent for dim in HIERARCHIES.values() for parent, kids in dim.items() for child in kids}

    def ancestors(code: str) -> list[str]:
        chain = [code]
        while chain[-1] in parents:
            chain.append(parents[chain[-1]])
        return chain

    for (year, geo, family, sector, sex, age), jobs in bottom.items():
        for key in product([year], ancestors(geo), ancestors(family) if family != "ALL" else ["ALL"],
                           ancestors(sector), ancestors(sex), ancestors(age)):
            cells[key] = cells.get(key, 0) + jobs
    return cells


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--small", type=float, default=0.02, help="share of bottom cells drawn in 1..4")
    parser.add_argument("--protect-secondaries", action="store_true")
    args = parser.parse_args()
    cells = synthetic_table(args.years, args.seed, args.small)
    start = time.perf_counter()
    relations = derive_relations(cells, DIMENSIONS, HIERARCHIES)
    derived = time.perf_counter() - start
    primary = {k for k, v in cells.items() if 0 < v < 5}
    start = time.perf_counter()
    before = audit(cells, primary, relations)  # primary cells only: every one is recovered by subtraction or not
    first_audit = time.perf_counter() - start
    start = time.perf_counter()
    secondary = secondary_suppression(cells, primary, relations, protect_secondaries=args.protect_secondaries)
    suppression = time.perf_counter() - start
    start = time.perf_counter()
    after = audit(cells, primary | secondary, relations,
                  sensitive=None if args.protect_secondaries else primary)
    final_audit = time.perf_counter() - start
    hidden_jobs = sum(cells[k] for k in secondary)
    print(f"cells {len(cells)}, relations {len(relations)} (derived in {derived:.1f} s)")
    print(f"primary {len(primary)}: audit {first_audit:.1f} s, {len(before.unprotected)} unprotected")
    print(f"secondary {len(secondary)} ({hidden_jobs:.0f} jobs hidden) in {suppression:.1f} s")
    print(f"final audit of {len(primary | secondary)} suppressed cells: {final_audit:.1f} s, passed {after.passed}, "
          f"weakest {after.weakest}")


if __name__ == "__main__":
    main()
