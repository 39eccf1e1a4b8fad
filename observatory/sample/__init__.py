"""Deterministic generator of the SYNTHETIC embedded sample, in the producers' real file formats.

``generate_sample(out_dir)`` writes, under ``out_dir``::

    fr/sirene/StockUniteLegale_utf8.zip, StockEtablissement_utf8.zip     INSEE SIRENE stock, format 3.11 (sirene)
    fr/flores/flores_postes_<YYYY>.csv, flores_etablissements_<YYYY>.csv  INSEE FLORES delivery (flores)
    be/kbo/KboOpenData_0118_2024_01_Full.zip                              KBO/BCE open data, full extract (kbo)
    be/kbo/KboOpenData_0119_2024_02_Update.zip .. _0130_2025_01_Update.zip and the monthly Updates after it
    be/onss/onss_postes_<YYYY>Q4.csv, onss_unites_<YYYY>Q4.csv            ONSS delivery (onss)
    eu/eurostat/demo_r_pjangrp3.csv.gz, lfst_r_lfe2en2.tsv.gz             Eurostat population, LFS (eurostat)
    fr/insee_population/estim-pop-dep-sexe-aq-1975-<last>.xlsx            INSEE population (insee_population)
    be/statbel_population/TF_SOC_POP_STRUCT_<yyyy>.zip                    Statbel population (statbel_population)

each with a ``<file name>.origin.json`` sidecar saying it is synthetic, and a ``README.md``. The figures are
invented; only the formats, the codes and the orders of magnitude are meant to look like the real ones.

One module per source, each stating its producer's layout (file and member names, columns and their order,
separators, encodings, codes) as literal constants from the producer's documentation; ``common`` (seeds, writers,
the synthetic notice), ``territory`` (the area's codes and communes), ``employment`` (the cells both deliveries
and registries are drawn from) and ``population`` are shared. The package imports nothing from
``observatory.sources`` or ``observatory.nomenclatures`` and reads none of the mapping files: a generator that used
the parsers' constants would agree with them by construction, and no round trip could catch a wrong layout
assumption (``tests/test_sample.py`` checks this, and that the mapping files agree with the codes stated here).

Same ``seed`` and ``scale`` give byte-identical files: one ``random.Random`` stream per part, seeded from
``seed`` (never the global generator), fixed timestamps (ZIP entries included), sorted output, and only
arithmetic and ``sqrt`` on floats. ``scale`` multiplies the number of rows and entities: the registries get
``scale`` times more units, the deliveries get finer cells (more communes, smaller keys) over the same,
realistic, job totals. Plain Python (stdlib, and openpyxl for the INSEE workbook), no Dagster.

    python -m observatory.sample --out data/raw [--scale 10] [--seed N]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from pathlib import Path

from observatory.sample import insee_population, statbel_population
from observatory.sample.common import DEFAULT_SEED, DEFAULT_YEARS, SNAPSHOT, write_text
from observatory.sample.eurostat import write_eurostat_sample
from observatory.sample.flores import flores_cells, write_flores
from observatory.sample.kbo import kbo_number_is_valid, kbo_register, write_kbo
from observatory.sample.onss import check_strata, onss_cells, write_onss
from observatory.sample.readme import README
from observatory.sample.sirene import sirene_stock, write_sirene
from observatory.sample.territory import be_communes, fr_communes

__all__ = ["DEFAULT_SEED", "DEFAULT_YEARS", "generate_sample", "kbo_number_is_valid", "main",
           "write_national_population_sample"]


def generate_sample(out_dir: Path, *, years: tuple[int, ...] = DEFAULT_YEARS, scale: float = 1.0,
                    seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the synthetic sample under ``out_dir``; return the files written (data, sidecars, README)."""
    if scale <= 0:
        raise ValueError("scale must be > 0")
    if not years:
        raise ValueError("at least one year is needed")
    years = tuple(sorted(set(years)))
    out_dir = Path(out_dir)
    check_strata()
    snapshot_year = SNAPSHOT.year if SNAPSHOT.year in years else years[-1]
    written: list[Path] = []

    # France: the FLORES cells, then the SIRENE stock drawn from those of the snapshot year.
    fr_rng = random.Random(f"{seed}/fr-employment")
    communes = fr_communes(fr_rng, scale)
    fr_cells = flores_cells(fr_rng, communes, years, scale)
    written += write_flores(out_dir, fr_cells, years, seed, scale)

    sirene_rng = random.Random(f"{seed}/fr-sirene")
    units, establishments = sirene_stock(sirene_rng, communes, fr_cells, snapshot_year, scale)
    written += write_sirene(out_dir, units, establishments, seed, scale)

    # Belgium: the ONSS cells, then the KBO extract drawn from those of the snapshot year.
    be_rng = random.Random(f"{seed}/be-employment")
    be_cells = onss_cells(be_rng, be_communes(be_rng, scale), years, scale)
    written += write_onss(out_dir, be_cells, years, seed, scale)

    kbo = kbo_register(random.Random(f"{seed}/be-kbo"), be_cells, snapshot_year, scale)
    written += write_kbo(out_dir, kbo, seed, scale)

    # Population and labour-market context: regional facts that do not depend on the sampled enterprises.
    written += write_eurostat_sample(out_dir, years, seed, scale)
    written += write_national_population_sample(out_dir, years, seed, scale)

    readme = README.format(seed=seed, scale=f"{scale:g}", years=", ".join(str(y) for y in years))
    written.append(write_text(out_dir / "README.md", readme))
    return written


def write_national_population_sample(out_dir: Path, years: tuple[int, ...], seed: int, scale: float) -> list[Path]:
    """Write the INSEE workbook and the Statbel files for ``years[0]`` .. ``years[-1] + 1`` under ``out_dir``
    (jobs at 31 December of Y are compared with the population on 1 January of Y + 1); return the files written."""
    if not years:
        raise ValueError("at least one year is needed")
    ordered = sorted(set(years))
    span = list(range(ordered[0], ordered[-1] + 2))
    out_dir = Path(out_dir)
    return (insee_population.write_insee(out_dir, span, seed, scale)
            + statbel_population.write_statbel(out_dir, span, seed, scale))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m observatory.sample",
        description="Write the deterministic SYNTHETIC sample in the producers' formats.")
    parser.add_argument("--out", type=Path, default=Path("data") / "raw",
                        help="output folder (default: data/raw)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies rows and entities (default: 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default: {DEFAULT_SEED})")
    parser.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS), help="reference years")
    args = parser.parse_args(argv)
    files = generate_sample(args.out, years=tuple(args.years), scale=args.scale, seed=args.seed)
    data = [f for f in files if not f.name.endswith(".origin.json") and f.name != "README.md"]
    for path in data:
        print(f"{path.stat().st_size:>10,d}  {path}")
    print(f"Wrote {len(files)} files ({len(data)} data files, their sidecars and a README) under {args.out}")
    return 0
