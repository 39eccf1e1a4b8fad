"""ONSS: the Belgian social-security extraction of jobs on the last day of Q4, delivered under agreement, as the
sample writes it.

``be/onss/onss_postes_<YYYY>Q4.csv`` (jobs by REFNIS commune, juridical form, accreditation, NACE-BEL version and
code, sex and age class, with FTE) and ``be/onss/onss_unites_<YYYY>Q4.csv`` (units and largest unit per cell), one
pair per year, each with its ``.origin.json`` sidecar.

The layout is restated here from the delivery contract (ONSS delivery contract v1: columns, order, codes; the column
table in ``docs/methodology.md`` and ``tests/fixtures/onss/README.md``): comma-separated, UTF-8 without BOM, LF, a
decimal point in ``ETP``, an empty ``ETP`` where the FTE is missing.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from observatory.sample.common import AGREEMENT_LICENCE, AGREEMENT_URL, scaled, write_sidecar, write_text
from observatory.sample.employment import (
    BE_AGE_WEIGHTS,
    Key,
    Stratum,
    add_missing_strata,
    add_small_keys,
    make_keys,
    parse_strata,
    with_family,
    year_cells,
)
from observatory.sample.kbo import KBO_CODE_LIST, real_kbo_codes
from observatory.sample.territory import BE_ARRONDISSEMENTS, BE_UNKNOWN_REFNIS

ONSS_FOLDER = Path("be") / "onss"
ONSS_PRODUCER = "ONSS/RSZ (social-security data warehouse), extraction delivered under agreement"
# Delivery contract v1: the columns in the contract's order.
ONSS_JOBS_HEADER = ["TRIMESTRE", "REFNIS", "FORME_JURIDIQUE", "AGREMENT", "NACE_VERSION", "NACE", "SEXE",
                    "CLASSE_AGE", "POSTES", "ETP"]
ONSS_UNITS_HEADER = ["TRIMESTRE", "REFNIS", "FORME_JURIDIQUE", "AGREMENT", "NACE_VERSION", "NACE",
                     "NB_UNITES", "POSTES_MAX_UNITE"]
# Delivery contract v1: CLASSE_AGE in the contract's order, and SEXE M / F.
ONSS_AGE_CLASSES = ["<25", "25-34", "35-44", "45-54", "55-64", "65+"]
ONSS_SEX = {"M": "M", "F": "F"}

# KBO juridical form (and ONSS accreditation) -> what the sample means it to be (labels of the real code.csv).
SAMPLE_BE_FAMILIES = {
    ("017", ""): "ASSOC",  # Association sans but lucratif
    ("125", ""): "ASSOC",  # Association internationale sans but lucratif
    ("026", ""): "FOUND",  # Fondation privée
    ("029", ""): "FOUND",  # Fondation d'utilité publique
    ("019", ""): "MUTUAL",  # Mutualité / Société Mutualiste / Union nationale de mutualités
    ("021", ""): "MUTUAL",  # Association d'assurances mutuelles / Caisse commune d'assurances de droit privé
    ("706", ""): "COOP",  # Société coopérative
    ("706", "CNC"): "COOP", ("706", "CNC+ES"): "COOP",
    ("001", ""): "COOP",  # Société coopérative européenne
    ("008", "CNC"): "COOP",  # pre-2019 cooperative accredited by the Conseil National de la Coopération
    ("508", ""): "SOCENT", ("608", ""): "SOCENT",  # Société coopérative à responsabilité limitée à finalité sociale
    ("610", "ES"): "SOCENT",  # a company accredited as social enterprise
}


# Belgium: the columns of FR_STRATA (flores.py); the legal column is the KBO juridical form (CAC form where the KBO has one), the
# second the accreditation in the ONSS delivery (CNC, ES, CNC+ES), the activity the NACE-BEL 2008 code.
BE_STRATA = parse_strata("""
# form accr  nace   pct   women age size fte  urban
017  -       87301  1.70  0.86  O   60  0.78 .   # ASBL/VZW: rest and care homes
017  -       86101  1.60  0.78  S  600  0.84 u
017  -       88101  1.00  0.93  O   70  0.62 .
017  -       88911  0.50  0.96  S   15  0.80 .
017  -       88999  0.80  0.68  S   35  0.78 .
017  -       87201  0.60  0.74  S   40  0.82 .
017  -       85201  1.10  0.82  O   25  0.85 .
017  -       85311  1.00  0.62  O   60  0.85 .
017  -       85599  0.35  0.60  S   15  0.75 u
017  -       93129  0.25  0.35  Y    6  0.55 .
017  -       94991  0.45  0.62  O    8  0.70 .
017  -       90011  0.18  0.45  S    8  0.70 u
017  -       81210  0.14  0.60  S   25  0.70 .
017  -       01130  0.04  0.30  S   12  0.80 .
017  -       38321  0.06  0.25  S   20  0.90 .
017  -       43999  0.03  0.05  S   15  0.90 .
017  -       56101  0.06  0.55  Y   10  0.70 .
017  -       58140  0.02  0.50  S    6  0.80 u
017  -       68201  0.03  0.55  S    8  0.85 .
017  -       72190  0.06  0.50  S   20  0.85 u
017  -       94110  0.06  0.55  O   15  0.85 u   # excluded activities held by ESS employers
017  -       94200  0.12  0.50  O   20  0.88 u
017  -       94910  0.03  0.40  O    3  0.60 .
017  -       84130  0.03  0.55  O   20  0.90 u
125  -       94991  0.05  0.55  S   10  0.85 u
125  -       72190  0.03  0.45  S   15  0.90 u
026  -       88999  0.10  0.75  S   20  0.80 .   # foundations
026  -       91020  0.05  0.55  S   10  0.80 u
029  -       86101  0.18  0.78  S  300  0.85 u
029  -       72190  0.05  0.45  S   20  0.90 u
019  -       65122  0.40  0.70  O   40  0.85 u   # mutual societies (019 mutualités, 021 mutual insurance)
019  -       84302  0.04  0.70  O   40  0.85 u
021  -       65122  0.14  0.65  O  100  0.90 u
019  -       86901  0.06  0.80  S   10  0.75 .
706  -       64190  0.20  0.55  S   25  0.92 u   # cooperatives (SC/CV), accredited or not
706  -       46211  0.10  0.25  S   30  0.95 .
706  -       10510  0.14  0.30  S  150  0.95 .
706  -       47111  0.08  0.65  Y   25  0.70 .
706  -       35110  0.02  0.25  S   10  0.95 .
706  CNC     62010  0.04  0.30  S   10  0.92 u
706  CNC     88101  0.07  0.90  O   40  0.65 .
706  CNC+ES  88999  0.03  0.70  S   15  0.80 .
001  -       46900  0.02  0.35  S   20  0.95 u
008  CNC     47730  0.08  0.80  S    8  0.85 .   # pre-2019 cooperative, accredited: COOP
008  -       70220  0.05  0.40  S    6  0.90 u   # pre-2019 cooperative, not accredited: not COOP
508  -       88999  0.05  0.70  S   15  0.80 .   # companies with a social purpose (SOCENT)
510  -       81210  0.04  0.75  S   20  0.70 .
610  ES      38321  0.06  0.25  S   20  0.90 .   # company accredited as social enterprise (SOCENT)
124  -       84111  7.14  0.60  O   80  0.88 .   # public bodies
124  -       88991  1.70  0.85  O   40  0.80 .
124  -       86101  2.55  0.79  S  700  0.85 u
124  -       85311  4.76  0.62  O   60  0.85 .
124  -       85201  3.06  0.84  O   20  0.85 .
124  -       84242  0.85  0.25  S  100  0.95 u
124  -       85422  0.85  0.50  S  300  0.85 u
124  -       53100  0.94  0.30  O   60  0.88 .
124  -       49100  0.94  0.18  O  150  0.95 u
610  -       01110  0.26  0.30  S    3  0.90 .   # companies (SRL/BV)
610  -       01500  0.34  0.30  S    3  0.90 .
610  -       10711  0.68  0.55  Y   20  0.80 .
610  -       10130  0.85  0.40  S  100  0.95 .
610  -       20140  1.19  0.25  S  300  0.97 u
610  -       24100  0.59  0.10  O  800  0.97 u
610  -       29100  0.51  0.15  S 1500  0.98 u
610  -       25620  1.19  0.12  S   25  0.96 .
610  -       22220  0.68  0.25  S   60  0.96 .
610  -       13200  0.59  0.40  O   50  0.93 .
610  -       31091  0.59  0.20  S   30  0.95 .
610  -       28300  0.77  0.15  S  100  0.97 .
610  -       35110  0.59  0.30  S  200  0.97 u
610  -       38110  0.68  0.12  S   40  0.96 .
610  -       33120  0.59  0.08  S   10  0.96 .
610  -       10320  0.51  0.45  S  150  0.93 .
610  -       41201  2.38  0.10  S   15  0.96 .
610  -       43211  1.87  0.05  S    8  0.96 .
610  -       43999  1.53  0.08  S   10  0.96 .
610  -       42110  0.68  0.08  S   50  0.97 .
610  -       47111  3.06  0.65  Y   30  0.72 .
610  -       46900  2.38  0.35  S   20  0.94 .
610  -       45113  0.94  0.22  S   12  0.95 .
610  -       49410  2.38  0.10  S   25  0.95 .
610  -       52100  1.70  0.25  S   80  0.93 .
610  -       56101  2.21  0.48  Y    8  0.60 .
610  -       55100  0.77  0.55  Y   20  0.75 u
610  -       47711  1.10  0.80  Y    5  0.70 .
610  -       47730  0.42  0.85  S    6  0.80 .
610  -       62010  0.94  0.25  S   20  0.96 u
610  -       62020  0.68  0.30  S   20  0.95 u
610  -       61100  0.42  0.35  S  100  0.97 u
610  -       58130  0.17  0.45  O  100  0.90 u
610  -       64190  1.53  0.55  O   20  0.90 u
610  -       65122  0.59  0.55  S   50  0.92 u
610  -       66220  0.59  0.60  S    5  0.90 .
610  -       68201  0.51  0.55  S    8  0.85 .
610  -       68311  0.42  0.60  S    4  0.90 .
610  -       78200  3.06  0.40  Y   40  0.80 u
610  -       81210  3.40  0.90  O   60  0.60 .
610  -       69201  0.94  0.70  S   10  0.88 .
610  -       70220  0.77  0.45  S   10  0.93 u
610  -       71121  0.94  0.25  S   25  0.96 u
610  -       80100  0.59  0.15  S   40  0.92 .
610  -       82200  0.51  0.60  Y  150  0.85 u
610  -       86210  0.51  0.85  S    4  0.75 .
610  -       87301  1.36  0.86  O   70  0.80 .
610  -       85599  0.42  0.55  S   10  0.75 u
610  -       93130  0.17  0.45  Y   10  0.60 u
610  -       96021  0.68  0.88  Y    3  0.75 .
610  -       96012  0.34  0.70  S   20  0.85 .
011  -       47241  0.17  0.60  Y    4  0.70 .
012  -       69101  0.17  0.70  S    5  0.90 u
""")


def check_strata() -> None:
    """Fail early if a stratum's juridical form or NACE-BEL 2008 code is not one of the producer's (KBO code.csv)."""
    real = real_kbo_codes()
    problems = []
    for stratum in BE_STRATA:
        if stratum.activity not in real["Nace2008"]:
            problems.append(f"NACE-BEL 2008 {stratum.activity}: not in {KBO_CODE_LIST.name}")
        if stratum.legal not in real["JuridicalForm"]:
            problems.append(f"juridical form {stratum.legal}: not in {KBO_CODE_LIST.name}")
    if problems:
        raise ValueError("observatory.sample.onss disagrees with the KBO code list: " + "; ".join(problems))


def onss_cells(rng: random.Random, communes: dict[str, list[tuple[str, float]]], years: tuple[int, ...],
               scale: float) -> dict[int, list[tuple]]:
    """Per year, the ONSS cells: (key, [(sex, age, jobs, fte)], units, largest unit)."""
    keys = _be_keys(rng, communes, scale)
    return year_cells(rng, keys, years, ONSS_AGE_CLASSES, BE_AGE_WEIGHTS, (ONSS_SEX["M"], ONSS_SEX["F"]))


def _be_keys(rng: random.Random, communes: dict[str, list[tuple[str, float]]],
             scale: float) -> dict:
    strata = [with_family(s, SAMPLE_BE_FAMILIES.get((s.legal, s.accreditation), "")) for s in BE_STRATA]
    regions = [(arr, BE_ARRONDISSEMENTS[arr][0], BE_ARRONDISSEMENTS[arr][3], communes[arr])
               for arr in BE_ARRONDISSEMENTS]
    keys = make_keys(rng, regions, strata, 2600.0 / scale, "2008")
    all_codes = [c for arr in BE_ARRONDISSEMENTS for c, _ in communes[arr]]
    add_small_keys(rng, keys, all_codes, strata, scaled(250, scale, 20), "2008")
    add_missing_strata(rng, keys, [communes[arr][0][0] for arr in BE_ARRONDISSEMENTS], strata, "2008")
    by_activity = {(s.legal, s.accreditation, s.activity): s for s in strata}
    extras = [("21004", "019", "", "2008", "65122", 40), ("62063", "017", "", "2008", "88999", 15),
              (BE_UNKNOWN_REFNIS, "610", "", "2008", "47111", 20), ("31005", "610", "", "2025", "62100", 10),
              ("52011", "017", "", "2025", "88101", 6)]
    for refnis, form, accreditation, version, nace, jobs in extras:
        if nace not in real_kbo_codes()[f"Nace{version}"]:
            raise ValueError(f"ONSS sample cell: NACE-BEL {version} {nace} is not in {KBO_CODE_LIST.name}")
        stratum = (by_activity.get((form, accreditation, nace))
                   or Stratum(form, accreditation, nace, 0.0, 0.6, "S", 5, 0.9, False, False))
        key = Key(refnis, stratum, form, accreditation, version, nace, jobs, 0, 0.2, fixed=True)
        keys[(refnis, form, accreditation, version, nace)] = key
    return keys


def write_onss(out_dir: Path, cells: dict[int, list[tuple]], years: tuple[int, ...], seed: int,
                scale: float) -> list[Path]:
    written = []
    for year in years:
        quarter = f"{year}Q4"
        jobs_buffer, units_buffer = io.StringIO(), io.StringIO()
        jobs_writer = csv.writer(jobs_buffer, lineterminator="\n")
        units_writer = csv.writer(units_buffer, lineterminator="\n")
        jobs_writer.writerow(ONSS_JOBS_HEADER)
        units_writer.writerow(ONSS_UNITS_HEADER)
        order = {code: i for i, code in enumerate(ONSS_AGE_CLASSES)}
        for key, rows, units, largest in sorted(cells[year], key=lambda item: (
                item[0].geo, item[0].legal, item[0].accreditation, item[0].version, item[0].activity)):
            prefix = [quarter, key.geo, key.legal, key.accreditation, key.version, key.activity]
            for sex, age, count, fte in sorted(rows, key=lambda r: (r[0], order.get(r[1], 99), r[1])):
                jobs_writer.writerow(prefix + [sex, age, count, "" if fte is None else f"{fte:.2f}"])
            units_writer.writerow(prefix + [units, largest])
        for name, buffer in ((f"onss_postes_{quarter}.csv", jobs_buffer),
                             (f"onss_unites_{quarter}.csv", units_buffer)):
            path = write_text(out_dir / ONSS_FOLDER / name, buffer.getvalue())
            sidecar = write_sidecar(path, ONSS_PRODUCER, AGREEMENT_URL, AGREEMENT_LICENCE, quarter, seed, scale)
            written += [path, sidecar]
    return written
