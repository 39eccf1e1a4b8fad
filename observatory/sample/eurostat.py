"""SYNTHETIC Eurostat sample files, in Eurostat's real formats (SDMX-CSV 1.0 of the dissemination API, bulk TSV).

``write_eurostat_sample(out_dir, years, seed, scale)`` writes under ``out_dir/eu/eurostat``, each with its
``.origin.json`` sidecar (synthetic):

- ``demo_r_pjangrp3.csv.gz``: SDMX-CSV 1.0, gzip. Population on 1 January of ``years[0]`` .. ``years[-1] + 1`` (jobs
  at 31 December of Y pair with the population on 1 January of Y + 1) for every NUTS3 of
  :data:`~observatory.sample.population.BASE_POPULATION` plus the NUTS2 aggregates FRE1 and BE25 (other levels,
  which harmonisation counts as outside), sexes F, M, T (= F + M), the age classes Y_LT5 .. Y80-84, Y85-89, Y_GE90,
  Y_GE85 (= Y85-89 + Y_GE90, published beside its parts as in the real file), UNK and TOTAL (= bands + UNK), built
  from :func:`~observatory.sample.population.single_year_population`. Special cells: :data:`CONFIDENTIAL_CELL`
  (CONF_STATUS C, no value, outside the area), :data:`MISSING_CELL` (no value, OBS_FLAG m, outside the area),
  every cell of :data:`PROVISIONAL_GEOS` in the latest year flagged ``p``, and :data:`UNKNOWN_AGE` persons of
  unknown age.
- ``lfst_r_lfe2en2.tsv.gz``: bulk TSV, gzip. LFS employment in thousands (one decimal) of the area's NUTS2 and of
  FRF3 and BE10 (outside) for ``years``, sexes F, M, T, ages Y15-64 and Y_GE15, NACE TOTAL and the A*10 groups,
  unit THS_PER, header ``freq,unit,sex,age,nace_r2,geo\\TIME_PERIOD``. Small cells are flagged low reliability:
  under :data:`LFS_HIDDEN_BELOW` thousand ``: u``, under :data:`LFS_UNRELIABLE_BELOW` ``<value> u``; the cells of
  :data:`LFS_CONFIDENTIAL` are legacy confidential ``: c`` and those of :data:`LFS_MISSING` missing ``:``.

The layouts are restated here from Eurostat's documentation of the SDMX-CSV and bulk TSV downloads (column names and
order, flags, the ``freq,unit,...\\TIME_PERIOD`` header of the TSV), never taken from the parser.

Deterministic: one ``random.Random`` per file seeded from ``seed``, gzip with mtime 0. Stdlib only, no Dagster.
"""

from __future__ import annotations

import random
from pathlib import Path

from observatory.sample.common import write_gzip, write_sidecar
from observatory.sample.population import BASE_POPULATION, band_total, single_year_population

FOLDER = Path("eu") / "eurostat"
POPULATION_FILE = "demo_r_pjangrp3.csv.gz"
LFS_FILE = "lfst_r_lfe2en2.tsv.gz"
PRODUCER = "Eurostat"
API_URL = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{dataset}?format=SDMX-CSV&compressed=true"
LICENCE = "Eurostat copyright/licence policy: reuse authorised, source to be acknowledged (CC BY 4.0 equivalent)"

# Age classes: (code, first age, last age or None for open-ended). Y_GE85 overlaps Y85-89 and Y_GE90, as in the file.
AGE_CLASSES = ([("Y_LT5", 0, 4)] + [(f"Y{a}-{a + 4}", a, a + 4) for a in range(5, 90, 5)]
               + [("Y_GE90", 90, None), ("Y_GE85", 85, None)])
NUTS2_AGGREGATES = {"FRE1": ("FRE11", "FRE12"), "BE25": tuple(g for g in BASE_POPULATION if g.startswith("BE25"))}
# (geo, sex) -> persons of unknown age (inside TOTAL only); zero elsewhere.
UNKNOWN_AGE = {("FRE23", "F"): 3, ("FRE23", "M"): 1}
# (geo, "first" or "last" population year, sex, age class); both outside the area (the area's figures stay whole).
CONFIDENTIAL_CELL = ("BE100", "last", "F", "Y_GE90")
MISSING_CELL = ("FRF32", "first", "M", "Y_GE90")
PROVISIONAL_GEOS = ("BE254", "BE25")  # latest population year, all sexes and ages (BE25 contains BE254)

LFS_GEOS = {  # NUTS2 -> (approximate population 2024, persons employed aged 15+ per inhabitant)
    "FRE1": (4_060_000, 0.39), "FRE2": (1_930_000, 0.40), "FRF2": (1_320_000, 0.40), "BE23": (1_560_000, 0.47),
    "BE25": (1_230_000, 0.47), "BE32": (1_360_000, 0.37), "BE34": (300_000, 0.42), "BE35": (510_000, 0.41),
    "FRF3": (2_290_000, 0.39), "BE10": (1_250_000, 0.40),
}
# A*10 groups: (share of employment, share of women).
LFS_NACE = {"A": (0.02, 0.30), "B-E": (0.13, 0.27), "F": (0.065, 0.11), "G-I": (0.22, 0.46), "J": (0.03, 0.30),
            "K": (0.03, 0.55), "L": (0.01, 0.50), "M_N": (0.12, 0.45), "O-Q": (0.31, 0.70), "R-U": (0.065, 0.58)}
LFS_AGES = ("Y15-64", "Y_GE15")
LFS_HIDDEN_BELOW = 1.5
LFS_UNRELIABLE_BELOW = 4.0
# (geo, nace_r2, sex, age, year offset or None for every year): legacy confidential ': c'.
LFS_CONFIDENTIAL = (("BE34", "L", "F", "Y15-64", None), ("BE34", "L", "F", "Y_GE15", None),
                    ("BE10", "A", "M", "Y15-64", -1))
LFS_MISSING = (("FRF3", "K", "M", "Y_GE15", 0),)  # ':' (year offset 0: the first year)


def _population_values(geo: str, year: int) -> dict[tuple[str, str], int]:
    """(sex, age class) -> persons on 1 January ``year`` for a NUTS3 of BASE_POPULATION."""
    out: dict[tuple[str, str], int] = {}
    for sex in ("F", "M"):
        ages = single_year_population(geo, year, sex)  # ages 0 .. MAX_AGE (and over)
        for code, first, last in AGE_CLASSES:
            out[sex, code] = band_total(ages, first, last)
        out[sex, "UNK"] = UNKNOWN_AGE.get((geo, sex), 0)
        out[sex, "TOTAL"] = sum(ages) + out[sex, "UNK"]
    for code in [c for c, _, _ in AGE_CLASSES] + ["UNK", "TOTAL"]:
        out["T", code] = out["F", code] + out["M", code]
    return out


def population_years(years: tuple[int, ...]) -> list[int]:
    """The population years of the sample: 1 January of ``years[0]`` .. ``years[-1] + 1``."""
    return list(range(min(years), max(years) + 2))


def _resolve(cell: tuple[str, str, str, str], pop_years: list[int]) -> tuple[str, int, str, str]:
    geo, which, sex, age = cell
    return geo, pop_years[0] if which == "first" else pop_years[-1], sex, age


def special_population_cells(years: tuple[int, ...]) -> dict[str, tuple[str, int, str, str]]:
    """(geo, year, sex, age class) of the confidential and the missing cell, for ``years`` as given to the writer."""
    pop_years = population_years(years)
    return {"confidential": _resolve(CONFIDENTIAL_CELL, pop_years), "missing": _resolve(MISSING_CELL, pop_years)}


def population_csv(years: tuple[int, ...]) -> str:
    """The SDMX-CSV text of ``demo_r_pjangrp3`` for population years ``years[0]`` .. ``years[-1] + 1``."""
    pop_years = population_years(years)
    last = pop_years[-1]
    # Regional population on 1 January Y is published in March of Y + 1.
    last_update = f"13/03/{(last + 1) % 100:02d} 23:00:00"
    values: dict[tuple[str, int], dict[tuple[str, str], int]] = {}
    for year in pop_years:
        for geo in BASE_POPULATION:
            values[geo, year] = _population_values(geo, year)
        for geo, parts in NUTS2_AGGREGATES.items():
            values[geo, year] = {k: sum(values[p, year][k] for p in parts) for k in values[parts[0], year]}
    confidential, missing = (_resolve(c, pop_years) for c in (CONFIDENTIAL_CELL, MISSING_CELL))
    lines = ["DATAFLOW,LAST UPDATE,freq,unit,sex,age,geo,TIME_PERIOD,OBS_VALUE,OBS_FLAG,CONF_STATUS"]
    classes = sorted([c for c, _, _ in AGE_CLASSES] + ["UNK", "TOTAL"])
    # Rows sorted by the dimensions in DSD order, then period, as the API returns them.
    for sex in ("F", "M", "T"):
        for age in classes:
            for geo in sorted({g for g, _ in values}):
                for year in pop_years:
                    value, flag, status = str(values[geo, year][sex, age]), "", ""
                    if (geo, year, sex, age) == confidential:
                        value, status = "", "C"
                    elif (geo, year, sex, age) == missing:
                        value, flag = "", "m"
                    elif geo in PROVISIONAL_GEOS and year == last:
                        flag = "p"
                    lines.append(f"ESTAT:DEMO_R_PJANGRP3(1.0),{last_update},A,NR,{sex},{age},{geo},{year},"
                                 f"{value},{flag},{status}")
    return "\n".join(lines) + "\n"


def lfs_tsv(years: tuple[int, ...], seed: int) -> str:
    """The bulk TSV text of ``lfst_r_lfe2en2`` for ``years``."""
    rng = random.Random(f"{seed}/eu-lfs")
    cells: dict[tuple[str, str, str, str], dict[int, float]] = {}
    for geo, (population, rate) in LFS_GEOS.items():
        weights = {n: share * rng.uniform(0.85, 1.15) for n, (share, _) in LFS_NACE.items()}
        scale = sum(weights.values())
        for year in years:
            total = population * rate * (1.005 ** (year - 2024)) * rng.uniform(0.99, 1.01) / 1000
            for nace, (_, women) in LFS_NACE.items():
                employed = total * weights[nace] / scale
                older = 0.93 if nace == "A" else rng.uniform(0.97, 0.99)  # share aged 15-64 of 15+
                for age, factor in (("Y_GE15", 1.0), ("Y15-64", older)):
                    f = round(employed * factor * women, 1)
                    m = round(employed * factor * (1 - women), 1)
                    cells.setdefault((geo, nace, "F", age), {})[year] = f
                    cells.setdefault((geo, nace, "M", age), {})[year] = m
                    cells.setdefault((geo, nace, "T", age), {})[year] = round(f + m, 1)
    for geo in LFS_GEOS:
        for sex in ("F", "M", "T"):
            for age in LFS_AGES:
                cells[geo, "TOTAL", sex, age] = {
                    y: round(sum(cells[geo, n, sex, age][y] for n in LFS_NACE), 1) for y in years}
    confidential = {(g, n, s, a, y) for g, n, s, a, off in LFS_CONFIDENTIAL
                    for y in (years if off is None else (years[off],))}
    missing = {(g, n, s, a, years[off]) for g, n, s, a, off in LFS_MISSING}

    def cell(key: tuple[str, str, str, str], year: int) -> str:
        value = cells[key][year]
        if (*key, year) in confidential:
            return ": c"
        if (*key, year) in missing:
            return ": "
        if value < LFS_HIDDEN_BELOW:
            return ": u"
        return f"{value:.1f} {'u' if value < LFS_UNRELIABLE_BELOW else ''}"

    header = "freq,unit,sex,age,nace_r2,geo\\TIME_PERIOD\t" + "\t".join(f"{y} " for y in years)
    lines = [header]
    for geo, nace, sex, age in sorted(cells, key=lambda k: (k[2], k[3], k[1], k[0])):
        key = (geo, nace, sex, age)
        lines.append(f"A,THS_PER,{sex},{age},{nace},{geo}\t" + "\t".join(cell(key, y) for y in years))
    return "\n".join(lines) + "\n"


def write_eurostat_sample(out_dir: Path, years: tuple[int, ...], seed: int, scale: float) -> list[Path]:
    """Write the two Eurostat sample files and their sidecars; return the paths written. ``scale`` does not change
    the files (population and LFS totals are regional facts), it is recorded in the sidecars."""
    years = tuple(sorted(set(years)))
    folder = Path(out_dir) / FOLDER
    written = []
    path = write_gzip(folder / POPULATION_FILE, population_csv(years))
    written += [path, write_sidecar(path, PRODUCER, API_URL.format(dataset="demo_r_pjangrp3"), LICENCE,
                               f"{years[0]}-{years[-1] + 1}", seed, scale)]
    path = write_gzip(folder / LFS_FILE, lfs_tsv(years, seed))
    written += [path, write_sidecar(path, PRODUCER, API_URL.format(dataset="lfst_r_lfe2en2"), LICENCE,
                               f"{years[0]}-{years[-1]}", seed, scale)]
    return written
