"""The employment model behind both deliveries under agreement (FLORES in France, ONSS in Belgium) and the
registries drawn from them (SIRENE, KBO): strata of employers, cell keys (commune x legal form x activity) and,
per year, the jobs of each key by sex and age with its units and largest unit.

The figures are invented; only the orders of magnitude are meant to look like the real ones. Only arithmetic and
``sqrt`` on floats (no transcendental functions, whose last bit may differ between C libraries).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

# The families of the common social-economy definition a stratum can belong to (SOCENT is not one of them).
ESS_FAMILIES = {"ASSOC", "COOP", "MUTUAL", "FOUND"}
# Growth per year (factor per year after the first), by kind of employer: plausible, invented.
ESS_GROWTH = 0.02
OTHER_GROWTH = 0.012


# ------------------------------------------------------------------------------------------------------------
# Strata: which employers exist, how many jobs they hold, who holds them
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stratum:
    legal: str  # CJ (France) or KBO juridical form (Belgium)
    accreditation: str  # Belgium: "", CNC, ES, CNC+ES
    activity: str  # APET without dot (France) or NACE-BEL 2008, 5 digits (Belgium)
    share: float  # % of the side's jobs
    women: float  # share of jobs held by women
    age: str  # Y young, S standard, O older age profile
    size: int  # typical jobs per establishment unit
    fte: float  # FTE per job
    urban: bool  # concentrated in the largest communes
    ess: bool  # ESS family (ASSOC, COOP, MUTUAL, FOUND) under the common definition's forms


def parse_strata(text: str) -> list[Stratum]:
    strata = []
    for line in text.strip().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        legal, accreditation, activity, share, women, age, size, fte, urban = line.split()
        strata.append(Stratum(legal, "" if accreditation == "-" else accreditation, activity, float(share),
                              float(women), age, int(size), float(fte), urban == "u", False))
    return strata


def with_family(stratum: Stratum, family: str) -> Stratum:
    return Stratum(stratum.legal, stratum.accreditation, stratum.activity, stratum.share, stratum.women,
                   stratum.age, stratum.size, stratum.fte, stratum.urban, family in ESS_FAMILIES)


# ------------------------------------------------------------------------------------------------------------
# Small deterministic helpers
# ------------------------------------------------------------------------------------------------------------
def _pick_weighted(rng: random.Random, items: Sequence, weights: Sequence[float], k: int) -> list:
    """k distinct items drawn with probability proportional to weight (sequential draws, no replacement)."""
    pool = list(range(len(items)))
    chosen = []
    w = list(weights)
    for _ in range(min(k, len(pool))):
        total = sum(w[i] for i in pool)
        target = rng.random() * total
        acc = 0.0
        position = len(pool) - 1
        for candidate, index in enumerate(pool):
            acc += w[index]
            if acc >= target:
                position = candidate
                break
        chosen.append(items[pool.pop(position)])
    return chosen


def _round_split(rng: random.Random, total: int, weights: Sequence[float], jitter: float) -> list[int]:
    """Split an integer total over weights (with multiplicative jitter), exactly, by largest remainder."""
    noisy = [w * (1.0 - jitter + 2.0 * jitter * rng.random()) for w in weights]
    norm = sum(noisy)
    raw = [total * w / norm for w in noisy]
    counts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _draw_counts(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` jobs over cells: one draw per job when small (small cells), else rounded shares."""
    if total > 60:
        return _round_split(rng, total, weights, 0.08)
    cumulative = []
    acc = 0.0
    for w in weights:
        acc += w
        cumulative.append(acc)
    counts = [0] * len(weights)
    for index in rng.choices(range(len(weights)), cum_weights=cumulative, k=total):
        counts[index] += 1
    return counts


# ------------------------------------------------------------------------------------------------------------
# Employment cells shared by both deliveries
# ------------------------------------------------------------------------------------------------------------
FR_AGE_WEIGHTS = {"00": 1.5, "20": 6.5, "25": 10.0, "30": 11.0, "35": 11.5, "40": 11.5, "45": 12.0,
                  "50": 12.0, "55": 11.0, "60": 7.0, "65": 1.2}
BE_AGE_WEIGHTS = {"<25": 8.0, "25-34": 22.0, "35-44": 24.5, "45-54": 24.5, "55-64": 19.0, "65+": 1.2}
YOUNG_CLASSES = {"00", "20", "25", "<25", "25-34"}
OLD_CLASSES = {"55", "60", "65", "55-64", "65+"}
YOUNGEST_CLASSES = {"00", "<25"}
OLDEST_CLASSES = {"65", "65+"}


def _age_profile(base: dict[str, float], classes: list[str], profile: str) -> list[float]:
    missing = [c for c in classes if c not in base]
    if missing:
        raise ValueError(f"age classes {missing} have no weight in observatory.sample.employment")
    weights = []
    for code in classes:
        w = base[code]
        if profile == "Y":
            w *= 1.8 if code in YOUNG_CLASSES else (0.6 if code in OLD_CLASSES else 1.0)
        elif profile == "O":
            w *= 0.7 if code in YOUNG_CLASSES else (1.3 if code in OLD_CLASSES else 1.0)
        weights.append(w)
    return weights


@dataclass
class Key:
    """One cell key of a delivery (commune x legal form x activity) with what stays stable across years."""

    geo: str
    stratum: Stratum
    legal: str
    accreditation: str
    version: str
    activity: str
    base_jobs: int
    base_units: int
    dominance: float  # where the largest unit sits between the even split and the whole cell
    fixed: bool = False  # a deliberate corner case: present every year


def _units_for(rng: random.Random, jobs: int, size: int) -> int:
    estimate = int(jobs / (size * (0.6 + 0.8 * rng.random())) + 0.5)
    return max(1, min(jobs, estimate))


def _largest_unit(jobs: int, units: int, dominance: float) -> int:
    if units <= 1:
        return jobs
    low = -(-jobs // units)
    high = jobs - (units - 1)
    return low + int((high - low) * dominance)


def _dominance(rng: random.Random, size: int) -> float:
    dominant = rng.random() < (0.5 if size >= 300 else 0.06)
    if dominant:
        return 0.9 + 0.1 * rng.random()
    r = rng.random()
    return 0.6 * r * r * r


def make_keys(rng: random.Random, regions: list[tuple[str, int, float, list[tuple[str, float]]]],
               strata: list[Stratum], theta: float, version: str) -> dict[tuple, Key]:
    """Allocate jobs of each region x stratum to a few communes (keys of about ``theta`` jobs or more).

    ``regions``: (name, jobs, ESS multiplier, [(commune, weight)]). Keeps each region's totals in expectation.
    """
    total_share = sum(s.share for s in strata)
    keys: dict[tuple, Key] = {}
    for _, jobs, ess_mult, communes in regions:
        codes = [c for c, _ in communes]
        region_theta = min(theta, jobs / 4.0)  # small regions keep a few keys even at small scales
        for stratum in strata:
            expected = jobs * stratum.share / total_share * (ess_mult if stratum.ess else 1.0)
            k = expected / region_theta
            if k >= 1.0:
                n = int(k) + (1 if rng.random() < k - int(k) else 0)
                mass = expected
            else:
                # One key with probability sqrt(k), holding expected/sqrt(k) jobs: unbiased, not too lumpy.
                root = math.sqrt(k)
                if rng.random() >= root:
                    continue
                n, mass = 1, expected / root
            weights = [w * w if stratum.urban else w for _, w in communes]
            chosen = _pick_weighted(rng, codes, weights, n)
            local = [weights[codes.index(c)] for c in chosen]
            for commune, share in zip(chosen, _round_split(rng, int(mass + 0.5), local, 0.4), strict=True):
                if share < 1:
                    continue
                key = (commune, stratum.legal, stratum.accreditation, version, stratum.activity)
                if key in keys:
                    keys[key].base_jobs += share
                    continue
                keys[key] = Key(commune, stratum, stratum.legal, stratum.accreditation, version,
                                stratum.activity, share, 0, _dominance(rng, stratum.size))
    return keys


def add_missing_strata(rng: random.Random, keys: dict[tuple, Key], main_communes: list[str],
                        strata: list[Stratum], version: str) -> None:
    """One small key for any stratum the allocation left out (at small scales), so that every form,
    accreditation and sector of the tables appears whatever the scale."""
    present = {(k.legal, k.accreditation, k.activity) for k in keys.values()}
    for stratum in strata:
        if (stratum.legal, stratum.accreditation, stratum.activity) not in present:
            commune = rng.choice(main_communes)
            key = (commune, stratum.legal, stratum.accreditation, version, stratum.activity)
            keys[key] = Key(commune, stratum, stratum.legal, stratum.accreditation, version, stratum.activity,
                            rng.randint(5, 40), 0, _dominance(rng, stratum.size))


def add_small_keys(rng: random.Random, keys: dict[tuple, Key], communes: list[str], strata: list[Stratum],
                    count: int, version: str) -> None:
    """Small cells anywhere (1-30 jobs): they make the confidential cells of the published tables."""
    for _ in range(count):
        stratum = rng.choice(strata)
        commune = rng.choice(communes)
        key = (commune, stratum.legal, stratum.accreditation, version, stratum.activity)
        if key not in keys:
            jobs = rng.randint(1, 30)
            keys[key] = Key(commune, stratum, stratum.legal, stratum.accreditation, version, stratum.activity,
                            jobs, 0, _dominance(rng, stratum.size))


def year_cells(rng: random.Random, keys: dict[tuple, Key], years: tuple[int, ...], ages: list[str],
                age_base: dict[str, float], sex_codes: tuple[str, str]) -> dict[int, list[tuple]]:
    """Per year: (key, cells [(sex, age, jobs, fte)], units, largest unit) for every key present that year."""
    out: dict[int, list[tuple]] = {y: [] for y in years}
    profiles = {p: _age_profile(age_base, ages, p) for p in ("Y", "S", "O")}
    men, women = sex_codes
    for key_id in sorted(keys):
        key = keys[key_id]
        key.base_units = _units_for(rng, key.base_jobs, key.stratum.size)
        growth = ESS_GROWTH if key.stratum.ess else OTHER_GROWTH
        for index, year in enumerate(years):
            if not key.fixed and key.base_jobs < 20 and rng.random() < 0.1:
                continue  # small cells come and go
            factor = (1.0 + growth * index) * (0.975 + 0.05 * rng.random())
            jobs = max(1, int(key.base_jobs * factor + 0.5))
            units = max(1, min(jobs, int(key.base_units * jobs / key.base_jobs + 0.5)))
            if units > 2 and rng.random() < 0.15:
                units = min(jobs, units + rng.choice((-1, 1)))
            largest = _largest_unit(jobs, units, key.dominance)
            ages_w = profiles[key.stratum.age]
            weights = []
            cells = []
            for sex, share in ((men, 1.0 - key.stratum.women), (women, key.stratum.women)):
                for age, w in zip(ages, ages_w, strict=True):
                    weights.append(share * w)
                    cells.append((sex, age))
            counts = _draw_counts(rng, jobs, weights)
            rows = []
            for (sex, age), count in zip(cells, counts, strict=True):
                if count == 0:
                    continue
                ratio = key.stratum.fte * (0.93 if sex == women else 1.03)
                if age in YOUNGEST_CLASSES:
                    ratio *= 0.75
                elif age in OLDEST_CLASSES:
                    ratio *= 0.6
                ratio = min(1.0, ratio) * (0.97 + 0.03 * rng.random())
                fte = None if rng.random() < 0.012 else count * ratio
                rows.append((sex, age, count, fte))
            out[year].append((key, rows, units, largest))
    return out
