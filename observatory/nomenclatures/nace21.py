"""Generate ``nace21_nace2.csv`` from Eurostat's NACE Rev. 2.1 -> NACE Rev. 2 correspondence (class level).

Usage (the table is a test fixture; the observatory never reads it at run time)::

    python -m observatory.nomenclatures.nace21 \\
        tests/fixtures/real/nace21_nace2_correspondence/NACE2.1_NACE2_Table.tsv > observatory/nomenclatures/nace21_nace2.csv

Every class-level pair of the table becomes one row, verbatim (46.89, which Eurostat links to no NACE Rev. 2 class,
keeps its row with an empty ``nace2_class``). ``read_as`` is the one NACE Rev. 2 code the observatory reads the
NACE Rev. 2.1 class as, the same on every row of the class, by the rule of docs/methodology.md ("NACE Rev. 2.1"):

- ``single``: the class has one Rev. 2 class: that one;
- ``same_code``: several, one of them with the class's own code: that one (the Rev. 2 class it continues; the
  others are parts the revision moved in);
- ``agreeing``: several, none with its own code, all in the same A*10 group and on the same side of the activity
  exclusions: the lowest code (the choice changes nothing published);
- ``chosen``: several that disagree, none with its own code: the target chosen by hand in :data:`CHOSEN`, whose
  reason is written in the ``reason`` column;
- ``no_link``: no Rev. 2 class (46.89): the division in :data:`NO_LINK`, with its reason.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from observatory import nomenclatures

SOURCE = ("Eurostat NACE Rev. 2.1 -> NACE Rev. 2 correspondence, class level (NACE2.1_NACE2_Table.tsv; copy "
          "RMI-PACTA/r2dii.data@964b799a); read_as: observatory rule, docs/methodology.md")

# Ambiguous classes (Rev. 2 targets in different A*10 groups or on both sides of an exclusion) without a target of
# their own code: the target chosen, and why. No employment weights exist for the split of a 2.1 class between its
# Rev. 2 classes, so these are judgements from Eurostat's headings and notes.
CHOSEN = {
    "03.30": ("03.11", "support to fishing and aquaculture came from the fishing and aquaculture classes 03.11-03.22 "
                       "(A), only the repair of fish cages from 33.11; any of 03.11-03.22 gives A"),
    "47.92": ("47.79", "kept in retail trade (G-I), where the revision puts it (division 47); 82.99 (M_N) is the "
                       "residual class of business support n.e.c."),
    "52.31": ("52.29", "freight brokerage and forwarding were in 52.29 (transport support, G-I); 82.99 (M_N) is the "
                       "residual class of business support n.e.c."),
    "52.32": ("49.32", "kept in transport (G-I), where the revision puts it (division 52) and where its ride-hailing "
                       "part was (taxi operation 49.32); its booking part came from 79.11, 79.90 and 82.99 (M_N)"),
    "58.12": ("58.13", "renumbered class: Rev. 2 58.13 has the same heading (publishing of newspapers); only a part "
                       "came from 90.03 (artistic creation, R-U)"),
    "58.13": ("58.14", "renumbered class: Rev. 2 58.14 has the same heading (publishing of journals and periodicals); "
                       "only a part came from 90.03 (artistic creation, R-U)"),
    "61.20": ("61.90", "telecommunication reselling was in 61.90 (J); 82.99 (M_N) is the residual class of business "
                       "support n.e.c."),
    "63.10": ("63.11", "its core, data processing and hosting, was 63.11 (J); only a part came from 52.10 "
                       "(warehousing, G-I)"),
    "91.30": ("90.03", "restoration of works of art was in 90.03 (artistic creation, R-U) and the revision keeps the "
                       "class in arts (division 91); 33.19 and 41.20 gave repair and building-restoration parts"),
    "95.40": ("45.20", "two of its three Rev. 2 classes, 45.20 and 45.40 (repair of motor vehicles and motorcycles), "
                       "are in G-I; 82.99 (M_N) is the residual class of business support n.e.c."),
    "96.91": ("81.21", "domestic cleaning at home, the main domestic service, was in 81.21 (cleaning of buildings, "
                       "houses and apartments included; M_N); washing and ironing came from 96.01 (R-U)"),
}
# Classes with no Rev. 2 class at all: the Rev. 2 division they are read as, and why.
NO_LINK = {
    "46.89": ("46", "no NACE Rev. 2 link (Eurostat: it could not be linked to an existing class of division 46); "
                    "read as wholesale division 46: every Rev. 2 class of it is in G-I and none is excluded, so the "
                    "A*10 group and the exclusion are decided without inventing a class"),
}
COLUMNS = ("nace21_class", "nace2_class", "read_as", "rule", "reason", "source")


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """The class-level (LEVEL 4) pairs (NACE21_CODE, NACE2_CODE) of Eurostat's table, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [(r["NACE21_CODE"], r["NACE2_CODE"]) for r in csv.DictReader(handle, delimiter="\t")
                if r["LEVEL"] == "4"]


def build(path: Path) -> str:
    """The text of ``nace21_nace2.csv`` from the table at ``path``."""
    pairs = read_pairs(path)
    targets: dict[str, list[str]] = {}
    for nace21, nace2 in pairs:
        targets.setdefault(nace21, [])
        if nace2:
            targets[nace21].append(nace2)
    a10 = nomenclatures.load("nace_a10")
    prefixes = list(nomenclatures.load("activity_exclusions")["nace_prefix"])
    chosen: dict[str, tuple[str, str, str]] = {}
    for nace21, codes in targets.items():
        codes = sorted(codes)
        groups = {g for c in codes for g in nomenclatures.a10_groups(c, a10)}
        exclusions = {e for c in codes for e in nomenclatures.exclusion_decisions(c, prefixes)}
        if not codes:
            chosen[nace21] = (NO_LINK[nace21][0], "no_link", NO_LINK[nace21][1])
        elif len(codes) == 1:
            chosen[nace21] = (codes[0], "single", "")
        elif nace21 in codes:
            chosen[nace21] = (nace21, "same_code", "")
        elif len(groups) == 1 and len(exclusions) == 1:
            chosen[nace21] = (codes[0], "agreeing", "")
        else:
            chosen[nace21] = (CHOSEN[nace21][0], "chosen", CHOSEN[nace21][1])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for nace21, nace2 in sorted(pairs):
        writer.writerow((nace21, nace2, *chosen[nace21], SOURCE))
    return out.getvalue()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.stdout.write(build(Path(sys.argv[1])))
