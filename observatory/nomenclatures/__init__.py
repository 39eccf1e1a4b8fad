"""Harmonisation as data: every code list and mapping is a CSV file in this folder with a ``source`` column.

The files are loaded into the working DuckDB database as tables of the ``nom`` schema, so that the SQL of the
harmonisation joins them, and into small pandas frames for checks and tests. One table is derived rather than read:
``nom.nace21_classes``, each NACE Rev. 2.1 class of ``nace21_nace2.csv`` with the NACE Rev. 2 code it is read as and
whether its Rev. 2 classes disagree on the A*10 group or the activity exclusion (:func:`nace21_classes`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

NOMENCLATURE_DIR = Path(__file__).resolve().parent


def names() -> list[str]:
    return sorted(p.stem for p in NOMENCLATURE_DIR.glob("*.csv"))


@cache
def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(NOMENCLATURE_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


def load(name: str) -> pd.DataFrame:
    """A mapping file as a frame of strings (empty cells are empty strings, never NaN)."""
    return _load(name).copy()


def register(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create schema ``nom`` with one all-text table per mapping file, and the derived ``nom.nace21_classes``."""
    con.execute("CREATE SCHEMA IF NOT EXISTS nom")
    tables = {name: _load(name) for name in names()}
    tables["nace21_classes"] = nace21_classes()[["nace21_class", "read_as", "ambiguous"]]
    for name, frame in tables.items():
        con.register("_nomenclature", frame)
        con.execute(f"CREATE OR REPLACE TABLE nom.{name} AS SELECT * FROM _nomenclature")
        con.unregister("_nomenclature")


# --- NACE Rev. 2 codes: A*10 group and activity exclusion, as the SQL of the harmonisation decides them ----------

NACE21_RULES = ("single", "same_code", "agreeing", "chosen", "no_link")


def _division_groups(a10: pd.DataFrame) -> dict[int, list[str]]:
    ranges = [(int(r.division_from), int(r.division_to), r.nace_a10) for r in a10.itertuples() if r.division_from]
    return {d: [g for lo, hi, g in ranges if lo <= d <= hi] for d in range(100)}


def a10_groups(code: str, a10: pd.DataFrame | None = None) -> list[str]:
    """The A*10 groups whose division range holds the division of a NACE Rev. 2 class ``NN.NN`` or division ``NN``
    (exactly one for a valid division; the check of ``nace_a10.csv`` proves it for all 88)."""
    if not re.fullmatch(r"\d{2}(\.\d{2})?", code):
        return []
    return _division_groups(load("nace_a10") if a10 is None else a10)[int(code[:2])]


def exclusion_decisions(code: str, prefixes: list[str] | None = None) -> set[bool]:
    """Whether ``activity_exclusions.csv`` excludes a NACE Rev. 2 class ``NN.NN`` ({True} or {False}), or a whole
    division ``NN`` ({True, False} when it excludes some classes of the division only: no single decision)."""
    prefixes = list(load("activity_exclusions")["nace_prefix"]) if prefixes is None else prefixes
    if any(code.startswith(p) for p in prefixes):
        return {True}
    if len(code) == 2 and any(p.startswith(code + ".") for p in prefixes):
        return {True, False}
    return {False}


def nace21_classes() -> pd.DataFrame:
    """One row per NACE Rev. 2.1 class of ``nace21_nace2.csv``.

    Columns: ``nace21_class``; ``read_as``, the NACE Rev. 2 code the observatory reads it as (its A*10 group and
    activity exclusion are those of that code); ``rule`` (how ``read_as`` was chosen, docs/methodology.md);
    ``targets``, its Rev. 2 classes in Eurostat's correspondence; ``a10_groups`` and ``exclusion`` of ``read_as``;
    ``ambiguous_a10`` / ``ambiguous_exclusion``: its Rev. 2 classes fall in more than one A*10 group / on both sides
    of an activity exclusion; ``ambiguous``: either. Several values of a column that must have one are joined
    with ``|`` (the check reports them).
    """
    pairs = load("nace21_nace2")
    by_division = _division_groups(load("nace_a10"))
    prefixes = list(load("activity_exclusions")["nace_prefix"])

    def groups(code: str) -> list[str]:
        return by_division[int(code[:2])] if re.fullmatch(r"\d{2}(\.\d{2})?", code) else []

    classes: dict[str, dict[str, set[str]]] = {}
    for nace21, nace2, read_as, rule in zip(pairs["nace21_class"], pairs["nace2_class"], pairs["read_as"],
                                            pairs["rule"], strict=True):
        entry = classes.setdefault(nace21, {"targets": set(), "read_as": set(), "rule": set()})
        if nace2:
            entry["targets"].add(nace2)
        entry["read_as"].add(read_as)
        entry["rule"].add(rule)
    rows = []
    for nace21, entry in sorted(classes.items()):
        targets = sorted(entry["targets"])
        code = next(iter(entry["read_as"])) if len(entry["read_as"]) == 1 else ""
        rows.append((
            nace21, "|".join(sorted(entry["read_as"])), "|".join(sorted(entry["rule"])), " ".join(targets),
            "|".join(groups(code)),
            "|".join(sorted(str(e).lower() for e in exclusion_decisions(code, prefixes))) if code else "",
            len({g for t in targets for g in groups(t)}) > 1,
            len({e for t in targets for e in exclusion_decisions(t, prefixes)}) > 1,
        ))
    frame = pd.DataFrame(rows, columns=["nace21_class", "read_as", "rule", "targets", "a10_groups", "exclusion",
                                        "ambiguous_a10", "ambiguous_exclusion"])
    frame["ambiguous"] = frame["ambiguous_a10"] | frame["ambiguous_exclusion"]
    return frame


def _check_nace21() -> list[str]:
    """``nace21_nace2.csv``: every NACE Rev. 2.1 class is read as one NACE Rev. 2 code that decides exactly one A*10
    group and one exclusion, chosen by the documented rule; so no 2025 code known to the correspondence can end in
    the unknown sector, and a change of ``nace_a10.csv`` or ``activity_exclusions.csv`` that makes a class ambiguous
    without a decision is caught."""
    problems = []
    name = "nace21_nace2.csv"
    pairs = load("nace21_nace2")
    class_code = r"\d{2}\.\d{2}"
    for row in pairs.itertuples():
        if not re.fullmatch(class_code, row.nace21_class):
            problems.append(f"{name}: bad NACE Rev. 2.1 class {row.nace21_class!r}")
        if row.nace2_class and not re.fullmatch(class_code, row.nace2_class):
            problems.append(f"{name}: bad NACE Rev. 2 class {row.nace2_class!r} for {row.nace21_class}")
        if row.rule not in NACE21_RULES:
            problems.append(f"{name}: {row.nace21_class} has an unknown rule {row.rule!r}")
    if pairs[["nace21_class", "nace2_class"]].duplicated().any():
        problems.append(f"{name}: a pair is listed twice")
    divisions = set(load("nace_divisions")["division"])
    without_reason = set(pairs.loc[pairs["reason"].str.strip() == "", "nace21_class"])
    for c in nace21_classes().itertuples():
        targets = c.targets.split()
        where = f"{name}: {c.nace21_class}"
        if "|" in c.read_as or "|" in c.rule:
            problems.append(f"{where} has several read_as or rules ({c.read_as}; {c.rule}): one per class")
            continue
        if c.read_as[:2] not in divisions:
            problems.append(f"{where} is read as {c.read_as!r}, not a NACE Rev. 2 code")
        if targets and c.read_as not in targets:
            problems.append(f"{where} is read as {c.read_as}, not one of its NACE Rev. 2 classes {c.targets}")
        if len(c.a10_groups.split("|")) != 1 or not c.a10_groups:
            problems.append(f"{where}: read as {c.read_as}, falls in A*10 {c.a10_groups or 'no group'}")
        if c.exclusion not in ("true", "false"):
            problems.append(f"{where}: read as {c.read_as}, has no single activity-exclusion decision")
        # The rule (docs/methodology.md) fixes read_as wherever it is mechanical.
        expected = {
            "single": len(targets) == 1 and c.read_as == targets[0],
            "same_code": len(targets) > 1 and c.nace21_class in targets and c.read_as == c.nace21_class,
            "agreeing": len(targets) > 1 and c.nace21_class not in targets and not c.ambiguous
            and c.read_as == targets[0],
            "chosen": len(targets) > 1 and c.nace21_class not in targets and c.ambiguous and c.read_as in targets
            and c.nace21_class not in without_reason,
            "no_link": not targets and re.fullmatch(r"\d{2}", c.read_as) is not None
            and c.nace21_class not in without_reason,
        }
        if not expected.get(c.rule, False):
            problems.append(f"{where} (Rev. 2: {c.targets or 'none'}) is read as {c.read_as} under rule {c.rule}, "
                            "which the rule does not give" + (": the targets now disagree, choose one with a reason"
                                                             if c.rule == "agreeing" and c.ambiguous else ""))
    return problems


def _age(value: str, open_end: int) -> int:
    return int(value) if value else open_end


def check_mappings() -> list[str]:
    """Problems in the mapping files; an empty list means they are consistent.

    Used by the tests and by an asset check, so a reviewed change to a CSV cannot break a rule silently.
    """
    problems: list[str] = []
    for name in names():
        frame = load(name)
        if "source" in frame.columns and (frame["source"].str.strip() == "").any():
            problems.append(f"{name}.csv: a row has no source")
        elif "source" not in frame.columns:
            problems.append(f"{name}.csv: no source column")

    # Age: each source class maps to exactly one published band, and the classes of a source tile its bands.
    bands = load("age_bands").set_index("age_band")
    classes = load("age_classes")
    for system, group in classes.groupby("source_system"):
        if group["source_class"].duplicated().any():
            problems.append(f"age_classes.csv: {system} has a class mapped twice")
        unknown = set(group["age_band"]) - set(bands.index)
        if unknown:
            problems.append(f"age_classes.csv: {system} maps to unknown bands {sorted(unknown)}")
            continue
        # Classes must be contiguous, and each band must start and end on a cut point of the source.
        spans = sorted((_age(r.age_from, -1), _age(r.age_to, 999), r.age_band) for r in group.itertuples())
        for (_, a_to, _), (b_from, _, _) in zip(spans, spans[1:], strict=False):
            if b_from != a_to + 1:
                problems.append(f"age_classes.csv: {system} classes are not contiguous at age {a_to}")
        for band, rows in group.groupby("age_band"):
            lo = min(_age(v, -1) for v in rows["age_from"])
            hi = max(_age(v, 999) for v in rows["age_to"])
            if (lo, hi) != (_age(bands.loc[band, "age_from"], -1), _age(bands.loc[band, "age_to"], 999)):
                problems.append(f"age_classes.csv: {system} classes of {band} span {lo}-{hi}, not the band")
        published = set(bands.index[bands["scope"] == "jobs+population"]) - {"TOTAL"}
        if set(group["age_band"]) != published:
            problems.append(f"age_classes.csv: {system} does not cover bands {sorted(published - set(group['age_band']))}")

    problems += _check_population_ages(bands)
    problems += _check_cross_border_pairs()
    problems += _check_nace21()

    # France: legal-form ranges are well formed and do not overlap.
    forms = load("fr_legal_forms")
    spans = sorted((int(r.cj_from), int(r.cj_to), r.family) for r in forms.itertuples())
    for (a_from, a_to, a_fam), (b_from, _b_to, b_fam) in zip(spans, spans[1:], strict=False):
        if b_from <= a_to:
            problems.append(f"fr_legal_forms.csv: {a_from}-{a_to} ({a_fam}) overlaps {b_from} ({b_fam})")
    for a_from, a_to, _ in spans:
        if a_from > a_to or not (1000 <= a_from <= 9999):
            problems.append(f"fr_legal_forms.csv: bad range {a_from}-{a_to}")
    families = set(load("families")["family"])
    for name, column in [("fr_legal_forms", "family"), ("be_legal_forms", "family")]:
        unknown = set(load(name)[column]) - families
        if unknown:
            problems.append(f"{name}.csv: unknown families {sorted(unknown)}")

    # Belgium: juridical forms are three digits (or '*' for an accreditation rule) and regexes compile.
    for row in load("be_legal_forms").itertuples():
        if row.juridical_form != "*" and not re.fullmatch(r"\d{3}", row.juridical_form):
            problems.append(f"be_legal_forms.csv: bad juridical form {row.juridical_form!r}")
        if row.juridical_form == "*" and not row.accreditation:
            problems.append("be_legal_forms.csv: a '*' rule needs an accreditation")
        if row.expected_label_pattern:
            try:
                re.compile(row.expected_label_pattern)
            except re.error as exc:
                problems.append(f"be_legal_forms.csv: bad pattern for {row.juridical_form}: {exc}")

    # Territories: every area NUTS3 is reached by exactly one department or arrondissement family of codes.
    geo = load("geo")
    area = set(geo.loc[geo["geo_level"] == "NUTS3", "geo"])
    deps = load("fr_departments")
    arrs = load("be_arrondissements")
    reached = set(deps.loc[deps["in_area"] == "true", "nuts3"]) | set(arrs.loc[arrs["in_area"] == "true", "nuts3"])
    if reached != area:
        problems.append(f"territories: area NUTS3 not reached {sorted(area - reached)}, unexpected {sorted(reached - area)}")
    postcodes = load("be_postcode_nuts3")
    if postcodes["postcode"].duplicated().any():
        problems.append("be_postcode_nuts3.csv: a postcode appears twice")
    missing = area.intersection(g for g in area if g.startswith("BE")) - set(postcodes["nuts3"])
    if missing:
        problems.append(f"be_postcode_nuts3.csv: no postcode for {sorted(missing)}")

    # Sectors: A*10 division ranges cover every NACE Rev. 2 division once.
    a10 = load("nace_a10")
    a10 = a10[a10["division_from"] != ""]  # TOTAL and UNK are not division groups
    for division in load("nace_divisions")["division"]:
        d = int(division)
        hits = [r.nace_a10 for r in a10.itertuples() if int(r.division_from) <= d <= int(r.division_to)]
        if len(hits) != 1:
            problems.append(f"nace_a10.csv: division {division} falls in {hits or 'no group'}")
    return problems


def _check_population_ages(bands: pd.DataFrame) -> list[str]:
    """Population classes used for bands are contiguous from age 0 to an open end, and every band below TOTAL
    starts and ends on their cut points (so a band is an exact sum of classes, never a share of one)."""
    problems = []
    classes = load("population_age_classes")
    for system, group in classes.groupby("source_system"):
        if group["source_class"].duplicated().any():
            problems.append(f"population_age_classes.csv: {system} has a class listed twice")
        if set(group["role"]) - {"band", "detail", "total", "unknown"}:
            problems.append(f"population_age_classes.csv: {system} has an unknown role")
        used = sorted((_age(r.age_from, -1), _age(r.age_to, 999)) for r in group.itertuples() if r.role == "band")
        if not used or used[0][0] != 0 or used[-1][1] != 999:
            problems.append(f"population_age_classes.csv: {system} band classes do not run from 0 to an open end")
        for (_, a_to), (b_from, _) in zip(used, used[1:], strict=False):
            if b_from != a_to + 1:
                problems.append(f"population_age_classes.csv: {system} band classes are not contiguous at age {a_to}")
        cuts_from = {a for a, _ in used}
        cuts_to = {b for _, b in used}
        for band, row in bands.drop(index=["TOTAL", "UNK"]).iterrows():
            lo, hi = _age(row["age_from"], 0), _age(row["age_to"], 999)
            if lo not in cuts_from or hi not in cuts_to:
                problems.append(f"population_age_classes.csv: {system} has no cut point for band {band} ({lo}-{hi})")
    return problems


def _check_cross_border_pairs() -> list[str]:
    """Neighbour pairs join a French and a Belgian NUTS3 of the area, each pair once."""
    problems = []
    pairs = load("cross_border_pairs")
    geo = load("geo").set_index("geo")
    for row in pairs.itertuples():
        for code, country in ((row.fr_geo, "FR"), (row.be_geo, "BE")):
            if code not in geo.index or geo.loc[code, "geo_level"] != "NUTS3" or geo.loc[code, "country"] != country:
                problems.append(f"cross_border_pairs.csv: {code} is not an area NUTS3 of {country}")
    if pairs[["fr_geo", "be_geo"]].duplicated().any():
        problems.append("cross_border_pairs.csv: a pair is listed twice")
    return problems
