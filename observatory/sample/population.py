"""Synthetic population of the embedded sample: one deterministic table, shared by the Eurostat, INSEE and
Statbel sample files so that the three population sources agree (within the small differences real sources have).

Magnitudes are near the real populations of each NUTS3 region on 1 January 2024 (rounded, from memory of the
published figures; the sample is synthetic and labelled so). Nothing here is read by the pipeline.
"""

from __future__ import annotations

import math
import random

# NUTS3 → approximate population on 1 January 2024.
BASE_POPULATION = {
    "FRE11": 2_612_000, "FRE12": 1_458_000, "FRE21": 522_000, "FRE22": 830_000, "FRE23": 568_000,
    "FRF21": 266_000, "FRF23": 562_000,
    "BE234": 575_000, "BE235": 128_000, "BE251": 285_000, "BE252": 52_000, "BE253": 108_000, "BE254": 302_000,
    "BE255": 160_000, "BE256": 152_000, "BE257": 94_000, "BE258": 63_000,
    "BE323": 262_000, "BE328": 228_000, "BE329": 190_000, "BE32A": 86_000, "BE32B": 395_000, "BE32C": 168_000,
    "BE32D": 150_000, "BE341": 64_000, "BE342": 50_000, "BE343": 59_000, "BE344": 65_000, "BE345": 54_000,
    "BE351": 112_000, "BE352": 322_000, "BE353": 68_000,
    # Outside the area, so that the pipeline has rows to count as outside.
    "FRF32": 180_000, "BE100": 1_250_000, "BE211": 1_060_000,
}
# Département / arrondissement behind each French / Belgian NUTS3 (for the national sample files).
FR_DEPARTMENT_OF = {"FRE11": "59", "FRE12": "62", "FRE21": "02", "FRE22": "60", "FRE23": "80", "FRF21": "08",
                    "FRF23": "51", "FRF32": "55"}
BE_ARRONDISSEMENT_OF = {"BE251": "31", "BE252": "32", "BE253": "33", "BE254": "34", "BE255": "35", "BE256": "36",
                        "BE257": "37", "BE258": "38", "BE234": "44", "BE235": "45", "BE32A": "51", "BE32B": "52",
                        "BE323": "53", "BE32C": "55", "BE32D": "56", "BE328": "57", "BE329": "58", "BE341": "81",
                        "BE342": "82", "BE343": "83", "BE344": "84", "BE345": "85", "BE351": "91", "BE352": "92",
                        "BE353": "93", "BE100": "21", "BE211": "11"}
MAX_AGE = 104  # single years 0..MAX_AGE; the last one stands for "MAX_AGE and over"
GROWTH = {"FR": -0.0005, "BE": 0.004}  # yearly, roughly the recent trend of each side


def _age_weights(geo: str, sex: str) -> list[float]:
    """A smooth age pyramid: flat to 60, then a mortality tail (longer for women), with a small regional tilt."""
    tilt = (sum(map(ord, geo)) % 7 - 3) / 300.0  # older or younger regions, deterministic
    tail = 10.5 if sex == "F" else 8.5
    weights = []
    for age in range(MAX_AGE + 1):
        base = 1.0 + tilt * (age - 40) / 10
        if age > 60:
            base *= math.exp(-(((age - 60) / (tail * 2.2)) ** 2))
        weights.append(max(base, 0.0))
    return weights


def single_year_population(geo: str, year: int, sex: str) -> list[int]:
    """Population by single year of age (index = age) on 1 January ``year`` for ``sex`` F or M."""
    country = geo[:2]
    total = BASE_POPULATION[geo] * (1 + GROWTH[country]) ** (year - 2024)
    share = 0.515 if sex == "F" else 0.485
    weights = _age_weights(geo, sex)
    scale = total * share / sum(weights)
    rng = random.Random(f"population/{geo}/{year}/{sex}")
    return [max(0, int(w * scale * (1 + rng.uniform(-0.01, 0.01)) + 0.5)) for w in weights]


def band_total(ages: list[int], age_from: int, age_to: int | None) -> int:
    """Sum of single-year counts from ``age_from`` to ``age_to`` inclusive (None: to the end)."""
    return sum(ages[age_from: (age_to + 1) if age_to is not None else None])
