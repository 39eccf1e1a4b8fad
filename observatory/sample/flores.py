"""FLORES: INSEE's extraction of salaried jobs at 31 December, delivered under agreement, as the sample writes it.

``fr/flores/flores_postes_<YYYY>.csv`` (jobs by commune, legal category, activity, sex and age class, with FTE) and
``fr/flores/flores_etablissements_<YYYY>.csv`` (establishments and largest establishment per cell), one pair per
year, each with its ``.origin.json`` sidecar.

The layout is restated here from the delivery contract (INSEE delivery contract v1: columns, order, codes; the
column table in ``docs/methodology.md`` and ``tests/fixtures/flores/README.md``): ``;``-separated, UTF-8 with LF,
a decimal comma in ``EQTP``, an empty ``EQTP`` where the FTE is missing; a UTF-8 BOM on the second year only, as the
deliveries have had one.
"""

from __future__ import annotations

import random
from pathlib import Path

from observatory.sample.common import AGREEMENT_LICENCE, AGREEMENT_URL, scaled, write_sidecar, write_text
from observatory.sample.employment import (
    FR_AGE_WEIGHTS,
    Key,
    Stratum,
    add_missing_strata,
    add_small_keys,
    make_keys,
    parse_strata,
    with_family,
    year_cells,
)
from observatory.sample.territory import FR_DEPARTMENTS, FR_UNKNOWN_CJ, FR_UNKNOWN_COMMUNE, Commune

FLORES_FOLDER = Path("fr") / "flores"
FLORES_PRODUCER = "INSEE (FLORES), extraction delivered under agreement"
# Delivery contract v1: the columns in the contract's order.
FLORES_JOBS_HEADER = ["ANNEE", "DEPCOM", "CJ", "APET", "SEXE", "TRAGE", "POSTES", "EQTP"]
FLORES_UNITS_HEADER = ["ANNEE", "DEPCOM", "CJ", "APET", "NBETAB", "POSTES_MAX_ETAB"]
# Delivery contract v1: TRAGE, the five-year age classes named by their first age (00 = under 20, 65 = 65 and over),
# in the contract's order, and SEXE 1 = men, 2 = women.
FLORES_AGE_CLASSES = ["00", "20", "25", "30", "35", "40", "45", "50", "55", "60", "65"]
FLORES_SEX = {"M": "1", "F": "2"}

# What the sample MEANS each legal form it uses to be, stated here from the producers' own labels (INSEE's list,
# the KBO code.csv) and deliberately NOT read from fr_legal_forms.csv / be_legal_forms.csv: a sample derived from the
# mappings agrees with them by construction and cannot catch a wrong one (issue 9). It only shapes the synthetic
# magnitudes (ESS growth, ESS flags, names); the build classifies with the mappings, and the tests compare.
SAMPLE_FR_FAMILIES = {
    "9220": "ASSOC",  # Association déclarée
    "9221": "ASSOC",  # Association déclarée d'insertion par l'économique
    "9222": "ASSOC",  # Association intermédiaire
    "9230": "ASSOC",  # Association déclarée, reconnue d'utilité publique
    "9240": "ASSOC",  # Congrégation
    "5192": "COOP",  # Société coopérative de banque populaire
    "5194": "COOP",  # Caisse (fédérale) de crédit mutuel
    "5196": "COOP",  # Caisse d'épargne et de prévoyance à forme coopérative
    "5432": "COOP",  # SARL d'intérêt collectif agricole (SICA)
    "5458": "COOP",  # SARL coopérative de production (SCOP)
    "5459": "COOP",  # SARL union de sociétés coopératives
    "5460": "COOP",  # Autre SARL coopérative
    "5551": "COOP",  # SA coopérative de consommation à conseil d'administration
    "6316": "COOP",  # Coopérative d'utilisation de matériel agricole en commun (CUMA)
    "6317": "COOP",  # Société coopérative agricole
    "6411": "MUTUAL",  # Société d'assurance à forme mutuelle
    "8210": "MUTUAL",  # Mutuelle
    "8250": "MUTUAL",  # Assurance mutuelle agricole
    "8290": "MUTUAL",  # Autre organisme mutualiste
    "9300": "FOUND",  # Fondation
}


def fr_family(cj: str) -> str:
    """What the sample means the legal category ``cj`` to be (ASSOC, COOP, MUTUAL, FOUND), or ""."""
    return SAMPLE_FR_FAMILIES.get(cj, "")


# France. pct = % of all salaried jobs of the area; women = share of women; age Y/S/O; size = jobs per
# establishment; fte = FTE per job; u = urban (largest communes). Families: SAMPLE_FR_FAMILIES.
FR_STRATA = parse_strata("""
# cj  -  apet   pct   women age size fte  urban
9220  -  8810A  1.30  0.93  O   60  0.62 .   # associations: home help
9220  -  8810C  0.70  0.45  S   90  0.88 .   # sheltered work (ESAT)
9220  -  8720A  0.80  0.75  S   40  0.86 .
9220  -  8730A  0.40  0.88  O   45  0.80 .
9220  -  8710A  0.45  0.88  O   70  0.82 .
9220  -  8899B  0.65  0.75  S   25  0.78 .
9220  -  8891A  0.35  0.95  S   15  0.80 .
9220  -  8610Z  0.55  0.80  S  400  0.86 u
9230  -  8790A  0.20  0.75  S   35  0.85 .
9220  -  8531Z  1.00  0.62  O   50  0.84 .
9220  -  8520Z  0.30  0.80  O   15  0.80 .
9220  -  8559A  0.55  0.60  O   20  0.80 u
9220  -  9312Z  0.45  0.35  Y    6  0.50 .
9220  -  9499Z  0.80  0.62  O    8  0.65 .
9220  -  9001Z  0.25  0.45  S    8  0.65 u
9220  -  8551Z  0.10  0.40  Y    6  0.55 .
9220  -  5629B  0.10  0.60  S   20  0.75 .
9220  -  7990Z  0.05  0.60  S    8  0.80 u
9221  -  8121Z  0.12  0.55  S   20  0.70 .   # insertion through economic activity
9221  -  0113Z  0.04  0.30  S   15  0.80 .
9221  -  3832Z  0.05  0.25  S   20  0.85 .
9221  -  4339Z  0.04  0.05  S   15  0.85 .
9222  -  7830Z  0.10  0.55  S   30  0.40 .
9220  -  5520Z  0.05  0.60  Y   10  0.75 .
9220  -  4779Z  0.03  0.60  S    8  0.75 .
9220  -  5814Z  0.02  0.50  S    6  0.80 u
9220  -  6399Z  0.01  0.40  S    5  0.85 u
9220  -  6820B  0.03  0.60  S    8  0.85 .
9220  -  7219Z  0.04  0.50  S   20  0.90 u
9220  -  7022Z  0.03  0.60  S    6  0.85 u
9220  -  9411Z  0.12  0.55  O   15  0.88 u   # excluded activities held by ESS units
9220  -  9420Z  0.10  0.50  O   15  0.88 u
9220  -  9491Z  0.08  0.45  O    4  0.70 .
9240  -  9491Z  0.02  0.70  O    3  0.80 .
9220  -  8411Z  0.04  0.60  O   20  0.90 u
5192  -  6419Z  0.31  0.60  S   30  0.92 u   # cooperatives
5196  -  6419Z  0.19  0.62  S   30  0.92 u
5194  -  6419Z  0.15  0.60  S   20  0.92 .
6317  -  4621Z  0.19  0.30  S   40  0.95 .
6317  -  1051A  0.10  0.35  S  120  0.96 .
6316  -  0161Z  0.03  0.10  S    3  0.90 .
5458  -  4321A  0.06  0.10  S   15  0.96 .
5458  -  7112B  0.05  0.35  S   12  0.93 u
5551  -  4711D  0.05  0.60  Y   30  0.75 .
5460  -  6201Z  0.03  0.30  S   10  0.95 u
5432  -  8899B  0.04  0.75  S   20  0.80 .
5459  -  6820A  0.01  0.55  S   15  0.90 u
8210  -  6512Z  0.19  0.72  S   40  0.90 u   # mutual societies
8210  -  8610Z  0.12  0.80  S  150  0.86 u
8210  -  8623Z  0.06  0.85  S    8  0.85 .
8210  -  4778A  0.04  0.70  S    4  0.85 .
8290  -  8710A  0.09  0.85  O   60  0.82 .
6411  -  6512Z  0.19  0.60  S   80  0.93 u
8250  -  6512Z  0.07  0.65  O   60  0.92 .
9300  -  8610Z  0.15  0.80  S  300  0.86 u   # foundations
9300  -  8720A  0.10  0.75  S   40  0.86 .
9300  -  7219Z  0.03  0.50  S   30  0.92 u
9300  -  9102Z  0.02  0.55  S   10  0.85 u
9300  -  8899B  0.05  0.75  S   20  0.80 .
7210  -  8411Z  5.50  0.60  O   80  0.88 .   # public bodies
7220  -  8411Z  1.00  0.65  O  300  0.92 u
7230  -  8411Z  0.30  0.60  O  400  0.93 u
7312  -  8411Z  0.10  0.60  O    8  0.85 .
7172  -  8411Z  2.50  0.50  O  200  0.95 u
7172  -  8531Z  3.00  0.68  O   60  0.88 .
7172  -  8520Z  2.00  0.85  O   15  0.88 .
7364  -  8610Z  4.50  0.80  S 1200  0.88 u
7361  -  8899B  0.60  0.88  O   30  0.80 .
7383  -  8542Z  0.60  0.50  S  400  0.90 u
4110  -  4931Z  0.30  0.20  O  150  0.95 u
1000  -  1071C  0.60  0.60  Y    4  0.82 .   # individual entrepreneurs
1000  -  8621Z  0.40  0.90  S    2  0.70 .
1000  -  4773Z  0.60  0.85  S    7  0.80 .
1000  -  5610A  0.60  0.50  Y    4  0.70 .
1000  -  9602A  0.40  0.85  Y    3  0.75 .
1000  -  4322A  0.40  0.10  S    3  0.92 .
1000  -  0150Z  0.50  0.30  S    2  0.85 .
1000  -  4520A  0.30  0.15  S    3  0.92 .
1000  -  6920Z  0.10  0.75  S    4  0.85 .
5499  -  0111Z  0.20  0.25  S    3  0.88 .   # companies: agriculture
6598  -  0150Z  0.60  0.30  S    3  0.88 .
6533  -  0150Z  0.20  0.25  S    4  0.90 .
5710  -  1013A  1.10  0.40  S  150  0.95 .   # industry
5710  -  2910Z  1.80  0.20  S 1500  0.98 u
5599  -  2410Z  0.60  0.10  O  800  0.98 u
5710  -  2562B  1.40  0.15  S   25  0.96 .
5710  -  2014Z  0.80  0.30  S  150  0.97 u
5599  -  3511Z  0.50  0.30  O  300  0.97 u
5710  -  3811Z  0.60  0.15  S   40  0.96 .
5499  -  1071A  0.50  0.50  S   40  0.92 .
5710  -  2222Z  0.80  0.30  S   80  0.96 .
5710  -  2313Z  0.60  0.20  O 2000  0.97 u
5710  -  1081Z  0.30  0.20  O  200  0.96 .
5499  -  3312Z  0.60  0.10  S   10  0.96 .
5710  -  1721A  0.40  0.25  S   90  0.97 .
5710  -  1320Z  0.30  0.45  O   60  0.94 .
5710  -  2829B  0.50  0.20  S   50  0.97 .
5599  -  3600Z  0.20  0.30  O   80  0.96 u
5710  -  2711Z  0.30  0.25  S  150  0.97 .
5710  -  3109B  0.30  0.25  S   30  0.95 .
5710  -  1051A  0.40  0.35  S  200  0.96 .
5710  -  3020Z  0.40  0.12  S  900  0.98 u
5710  -  1039A  0.30  0.45  S  120  0.94 .
5710  -  1610A  0.30  0.10  S   20  0.96 .
5499  -  4321A  1.60  0.10  S    8  0.95 .   # construction
5710  -  4120A  1.40  0.12  S   20  0.96 .
5499  -  4399C  0.90  0.05  S    8  0.95 .
5710  -  4211Z  0.60  0.10  S   50  0.97 .
5499  -  4332A  0.80  0.08  S    6  0.95 .
5710  -  4334Z  0.50  0.08  S    8  0.94 .
5499  -  4312A  0.40  0.08  S   10  0.95 .
5710  -  4711F  2.80  0.60  Y  250  0.78 u   # trade, transport, accommodation, food
5710  -  4711D  1.60  0.60  Y   40  0.76 .
5499  -  4771Z  1.00  0.75  Y    5  0.75 .
5710  -  4690Z  1.60  0.35  S   20  0.94 .
5710  -  4639B  0.60  0.40  S   40  0.94 .
5499  -  4511Z  1.20  0.25  S   15  0.95 .
5710  -  4941A  1.80  0.12  S   25  0.96 .
5710  -  5229B  0.60  0.40  S   25  0.94 u
5710  -  5210B  1.60  0.25  Y  100  0.92 .
5599  -  5310Z  0.80  0.50  O   80  0.90 .
5599  -  4910Z  0.70  0.20  O  200  0.96 u
5710  -  4931Z  0.50  0.20  O  150  0.94 u
5499  -  5610A  2.00  0.50  Y    8  0.70 .
5710  -  5610C  1.20  0.55  Y   20  0.60 .
5710  -  5510Z  0.50  0.55  Y   20  0.80 u
5499  -  4726Z  0.20  0.60  S    3  0.85 .
5710  -  4752B  0.60  0.35  S   40  0.88 .
5710  -  4730Z  0.30  0.55  Y   10  0.85 .
5499  -  5630Z  0.30  0.55  Y    4  0.65 .
5710  -  6202A  0.90  0.30  S   30  0.96 u   # information and communication
5710  -  6201Z  0.50  0.25  S   20  0.96 u
5599  -  6110Z  0.30  0.35  S  200  0.97 u
5710  -  5813Z  0.20  0.45  O  150  0.92 u
5710  -  6311Z  0.20  0.35  S   40  0.96 u
5710  -  6020A  0.10  0.45  S   80  0.93 u
5599  -  6419Z  1.30  0.60  O   25  0.92 u   # finance
5599  -  6511Z  0.40  0.62  S  150  0.93 u
5710  -  6622Z  0.40  0.65  S    5  0.90 .
5599  -  6512Z  0.40  0.60  S  100  0.93 u
5710  -  6831Z  0.40  0.65  S    4  0.92 .   # real estate
5599  -  6820A  0.60  0.55  S   80  0.93 u
6540  -  6820B  0.05  0.50  S    1  0.70 .
5499  -  6832A  0.20  0.70  S    8  0.90 u
5710  -  7820Z  3.00  0.30  Y   60  0.75 u   # business services
5710  -  8121Z  2.00  0.60  O   40  0.62 .
5499  -  6920Z  0.50  0.70  S   12  0.90 .
5710  -  7022Z  0.50  0.45  S   10  0.94 u
5710  -  7112B  0.60  0.30  S   20  0.96 u
5710  -  8010Z  0.80  0.15  S   50  0.90 .
5710  -  8220Z  0.50  0.65  Y  200  0.85 u
5710  -  7711A  0.20  0.30  S   12  0.94 .
5499  -  7490B  0.20  0.40  S    5  0.90 .
5710  -  7311Z  0.20  0.50  S   10  0.93 u
5710  -  8130Z  0.30  0.15  S    8  0.92 .
5499  -  6910Z  0.20  0.80  S    6  0.90 u
5710  -  7219Z  0.20  0.40  S   60  0.96 u
5710  -  8710A  1.00  0.88  O   70  0.82 .   # private health and care
5710  -  8610Z  0.80  0.80  S  250  0.88 u
5499  -  8690A  0.30  0.30  S   12  0.90 .
5710  -  8559A  0.30  0.60  S   15  0.80 u
5710  -  8810A  0.30  0.92  O   50  0.60 .
5499  -  8623Z  0.20  0.85  S    5  0.85 .
5710  -  9329Z  0.20  0.45  Y   15  0.70 .   # other services
5499  -  9602A  0.40  0.85  Y    4  0.78 .
5710  -  9601B  0.20  0.70  S   30  0.90 .
5710  -  9200Z  0.10  0.45  S   20  0.80 u
5710  -  9313Z  0.10  0.45  Y   10  0.65 u
8410  -  9420Z  0.10  0.50  O   10  0.88 u   # trade unions, works councils, co-owners
8310  -  9499Z  0.05  0.55  O    5  0.80 .
9110  -  8110Z  0.05  0.50  O    1  0.60 .
""")


def flores_cells(rng: random.Random, communes: dict[str, list[Commune]], years: tuple[int, ...],
                 scale: float) -> dict[int, list[tuple]]:
    """Per year, the FLORES cells: (key, [(sex, age, jobs, fte)], establishments, largest establishment)."""
    keys = _fr_keys(rng, communes, scale)
    return year_cells(rng, keys, years, FLORES_AGE_CLASSES, FR_AGE_WEIGHTS, (FLORES_SEX["M"], FLORES_SEX["F"]))


def _fr_keys(rng: random.Random, communes: dict[str, list[Commune]], scale: float) -> dict:
    strata = [with_family(s, fr_family(s.legal)) for s in FR_STRATA]
    regions = [(dep, FR_DEPARTMENTS[dep][0], FR_DEPARTMENTS[dep][4],
                [(c.code, c.weight) for c in communes[dep]]) for dep in FR_DEPARTMENTS]
    keys = make_keys(rng, regions, strata, 4800.0 / scale, "")
    all_codes = [c.code for dep in FR_DEPARTMENTS for c in communes[dep]]
    add_small_keys(rng, keys, all_codes, strata, scaled(300, scale, 20), "")
    add_missing_strata(rng, keys, [communes[dep][0].code for dep in FR_DEPARTMENTS], strata, "")
    # Deliberate corner cases: outside the area (reported, not an error) and unknown codes (rejected, tiny).
    by_legal = {(s.legal, s.activity): s for s in strata}
    extras = [("75056", "5710", "7022Z", 12), ("55029", "9220", "8810A", 25), ("2A004", "7210", "8411Z", 6),
              (FR_UNKNOWN_COMMUNE, "5499", "4321A", 8), ("59350", FR_UNKNOWN_CJ, "7022Z", 5)]
    for commune, cj, apet, jobs in extras:
        stratum = by_legal.get((cj, apet)) or Stratum(cj, "", apet, 0.0, 0.5, "S", 5, 0.9, False, False)
        keys[(commune, cj, "", "", apet)] = Key(commune, stratum, cj, "", "", apet, jobs, 0, 0.2, fixed=True)
    return keys


def write_flores(out_dir: Path, cells: dict[int, list[tuple]], years: tuple[int, ...],
                  seed: int, scale: float) -> list[Path]:
    written = []
    bom_year = years[1] if len(years) > 1 else None
    for year in years:
        jobs_lines = [";".join(FLORES_JOBS_HEADER)]
        unit_lines = [";".join(FLORES_UNITS_HEADER)]
        for key, rows, units, largest in sorted(cells[year], key=lambda item: (item[0].geo, item[0].legal,
                                                                                 item[0].activity)):
            prefix = f"{year};{key.geo};{key.legal};{key.activity}"
            for sex, age, count, fte in sorted(rows, key=lambda r: (r[0], r[1])):
                eqtp = "" if fte is None else f"{fte:.2f}".replace(".", ",")
                jobs_lines.append(f"{prefix};{sex};{age};{count};{eqtp}")
            unit_lines.append(f"{prefix};{units};{largest}")
        for name, lines in ((f"flores_postes_{year}.csv", jobs_lines),
                            (f"flores_etablissements_{year}.csv", unit_lines)):
            path = write_text(out_dir / FLORES_FOLDER / name, "\n".join(lines) + "\n", bom=year == bom_year)
            sidecar = write_sidecar(path, FLORES_PRODUCER, AGREEMENT_URL, AGREEMENT_LICENCE, str(year), seed,
                               scale)
            written += [path, sidecar]
    return written
