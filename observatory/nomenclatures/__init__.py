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
    problems += _check_cooperative_types()
    problems += _check_cross_border_pairs()
    problems += _check_code_lists()
    problems += _check_nace21()

    # France: one row per INSEE level III code, each code once, under a level II category the INSEE list has.
    forms = load("fr_legal_forms")
    level2 = set(load("fr_legal_categories_level2")["code2"])
    for row in forms.itertuples():
        if not re.fullmatch(r"\d{4}", row.cj):
            problems.append(f"fr_legal_forms.csv: bad legal category {row.cj!r}")
        elif row.cj[:2] not in level2:
            problems.append(f"fr_legal_forms.csv: {row.cj} is under no level II category of fr_legal_categories_level2.csv")
        if not row.label_fr.strip():
            problems.append(f"fr_legal_forms.csv: {row.cj} has no INSEE label")
    if repeated := sorted(set(forms.loc[forms["cj"].duplicated(), "cj"])):
        problems.append(f"fr_legal_forms.csv: codes listed twice {repeated}")
    families = set(load("families")["family"])
    for name, column in [("fr_legal_forms", "family"), ("be_legal_forms", "family")]:
        unknown = set(load(name)[column]) - families
        if unknown:
            problems.append(f"{name}.csv: unknown families {sorted(unknown)}")

    # Belgium: juridical forms are three digits with the producer's FR and NL labels, or '*' for an accreditation rule.
    be_forms = load("be_legal_forms")
    for row in be_forms.itertuples():
        if row.juridical_form == "*":
            if not row.accreditation:
                problems.append("be_legal_forms.csv: a '*' rule needs an accreditation")
        elif not re.fullmatch(r"\d{3}", row.juridical_form):
            problems.append(f"be_legal_forms.csv: bad juridical form {row.juridical_form!r}")
        elif not (row.label_fr.strip() and row.label_nl.strip()):
            problems.append(f"be_legal_forms.csv: {row.juridical_form} needs its KBO labels (label_fr, label_nl)")
    if be_forms[["juridical_form", "accreditation"]].duplicated().any():
        problems.append("be_legal_forms.csv: a (juridical_form, accreditation) rule is listed twice")
    for name in ("fr_legal_forms", "be_legal_forms"):
        if not load(name)["verified"].isin(["true", "false"]).all():
            problems.append(f"{name}.csv: verified must be true or false")

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


def _check_cooperative_types() -> list[str]:
    """The family tree is one tree under ALL; every French cooperative legal category has exactly one cooperative
    type, with INSEE's label, and nothing else has one; the Belgian rules name known forms and accreditations and end
    with a catch-all, so that every Belgian cooperative gets a type."""
    problems = []
    families = load("families").set_index("family")
    for family, parent in families["parent"].items():
        if (parent == "") != (family == "ALL") or (parent and parent not in families.index):
            problems.append(f"families.csv: {family} has parent {parent!r} (only ALL has none; a parent is a family)")
    types = set(families.index[families["parent"] == "COOP"])
    fr_forms = load("fr_legal_forms").set_index("cj")
    fr_types = load("fr_cooperative_types")
    coops = set(fr_forms.index[fr_forms["family"] == "COOP"])
    if repeated := sorted(set(fr_types.loc[fr_types["cj"].duplicated(), "cj"])):
        problems.append(f"fr_cooperative_types.csv: codes listed twice {repeated}")
    if missing := sorted(coops - set(fr_types["cj"])):
        problems.append(f"fr_cooperative_types.csv: cooperative legal categories without a type {missing}")
    for row in fr_types.itertuples():
        if row.cj not in coops:
            problems.append(f"fr_cooperative_types.csv: {row.cj} is not a cooperative in fr_legal_forms.csv")
        elif row.label_fr != fr_forms.loc[row.cj, "label_fr"]:
            problems.append(f"fr_cooperative_types.csv: {row.cj} label differs from fr_legal_forms.csv")
    be_types = load("be_cooperative_types")
    be_forms = set(load("be_legal_forms")["juridical_form"]) - {"*"}
    for row in be_types.itertuples():
        if row.juridical_form != "*" and row.juridical_form not in be_forms:
            problems.append(f"be_cooperative_types.csv: juridical form {row.juridical_form} is not in be_legal_forms.csv")
        if row.accreditation not in ("", "CNC", "ES"):
            problems.append(f"be_cooperative_types.csv: unknown accreditation {row.accreditation!r}")
    if not ((be_types["juridical_form"] == "*") & (be_types["accreditation"] == "")).any():
        problems.append("be_cooperative_types.csv: no catch-all rule ('*', no accreditation)")
    for name, frame in (("fr_cooperative_types", fr_types), ("be_cooperative_types", be_types)):
        if unknown := sorted(set(frame["coop_type"]) - types):
            problems.append(f"{name}.csv: {unknown} are not cooperative types (families whose parent is COOP)")
        if not frame["verified"].isin(["true", "false"]).all():
            problems.append(f"{name}.csv: verified must be true or false")
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


# The code lists published as mart.dim_*: file -> code column.
CODE_LISTS = {"geo": "geo", "families": "family", "nace_a10": "nace_a10", "age_bands": "age_band", "sexes": "sex",
              "indicators": "indicator"}


def _check_code_lists() -> list[str]:
    """Each code list of a ``mart.dim_*`` table has every code once and a distinct whole-number ``sort_order``;
    ``indicators.csv`` has the indicator codes of the schema, each with a published unit and a definition."""
    from observatory import schema  # here: schema reads indicators.csv itself

    problems = []
    for name, code in CODE_LISTS.items():
        frame = load(name)
        if repeated := sorted(set(frame.loc[frame[code].duplicated(), code])):
            problems.append(f"{name}.csv: codes listed twice {repeated}")
        if not frame["sort_order"].str.fullmatch(r"\d+").all():
            problems.append(f"{name}.csv: sort_order must be a whole number on every row")
        elif frame["sort_order"].astype(int).duplicated().any():
            problems.append(f"{name}.csv: two codes share a sort_order")
    indicators = load("indicators")
    if bad := sorted(set(indicators["unit"]) - set(schema.INDICATOR_UNITS)):
        problems.append(f"indicators.csv: units {bad} are not among {', '.join(schema.INDICATOR_UNITS)}")
    if (indicators["definition"].str.strip() == "").any():
        problems.append("indicators.csv: an indicator has no definition")
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


# Why the borderline French categories sit where they do (issue 9); shown in docs/legal-forms.md.
FR_BORDERLINE = """\
- **SMIA** (5431, 5531, 5631, *sociétés mixtes d'intérêt agricole*) and **SICA** (5432, 5532, 5632, 6532, *sociétés
  d'intérêt collectif agricole*) are counted `COOP`, as the harmonisation rules (v1) list them: companies of the
  agricultural cooperation sector, which may however admit members who are not farmers or cooperatives, so the
  `COOP` count is an upper bound there. Whether INSEE's own ESS perimeter counts them was not verified [U].
- **9223** *groupement d'employeurs* is counted `ASSOC`: INSEE files it under level II `92` *Association loi 1901 ou
  assimilé* (an employers' group constituted as a cooperative has a cooperative code instead).
- **9224** *association d'avocats à responsabilité professionnelle individuelle* (AARPI) is counted `ASSOC` by its
  legal form (level II `92`), as the harmonisation rules (v1) say, although it is a lawyers' practice rather than a
  non-profit: a borderline case kept for comparability with the CJ-based perimeter. Set its `family` to another
  value in `fr_legal_forms.csv` to leave it out.
- There is **no INSEE category for SCIC or for coopératives d'activité et d'emploi**: they are filed under generic
  cooperative codes (e.g. 5460, 5560, 5660 *autre SARL/SA coopérative*, counted `COOP`) or under SAS codes (57xx, not
  counted) and cannot be told apart by the legal category alone.
"""


def legal_forms_markdown() -> str:
    """docs/legal-forms.md: every code of both legal-form mappings with the producer's label and its family."""
    families = load("families").set_index("family")["label_en"]
    lines = [
        "# Legal forms and families",
        "",
        "Generated from `observatory/nomenclatures/fr_legal_forms.csv` and `be_legal_forms.csv` by",
        "`python -m observatory.nomenclatures > docs/legal-forms.md` (a test keeps it current). Every code and label",
        "below was checked against the producer's own list, kept in `observatory/reference/` (`verified = true`):",
        "INSEE's *catégories juridiques* of 1 September 2022 and the KBO open-data `code.csv` of Update 0147",
        "(11 October 2025). A code not listed is outside the social economy (`NONE`).",
        "",
        "## France: INSEE legal category (level III) of the legal unit",
        "",
        "| CJ | INSEE label | family | verified |",
        "|---|---|---|---|",
    ]
    for row in load("fr_legal_forms").sort_values(["family", "cj"]).itertuples():
        lines.append(f"| `{row.cj}` | {row.label_fr} | `{row.family}` {families[row.family]} | {row.verified} |")
    lines += ["", "Borderline categories:", "", FR_BORDERLINE,
              "`SOCENT` (registry only): a legal unit flagged `economieSocialeSolidaireUniteLegale = O` whose CJ is",
              "in none of the rows above.", "",
              "## Belgium: KBO juridical form (the CAC form where there is one) and ONSS accreditation", "",
              "Rules are tried by `priority` (lowest first); `*` is any form.", "",
              "| priority | form | accreditation | KBO label (FR) | KBO label (NL) | family | verified |",
              "|---|---|---|---|---|---|---|"]
    for row in load("be_legal_forms").itertuples():
        form = "`*`" if row.juridical_form == "*" else f"`{row.juridical_form}`"
        accreditation = f"`{row.accreditation}`" if row.accreditation else ""
        lines.append(f"| {row.priority} | {form} | {accreditation} | {row.label_fr} | {row.label_nl} | "
                     f"`{row.family}` {families[row.family]} | {row.verified} |")
    lines += ["", "Not mapped, on purpose: `014` *Société anonyme* and `027` *Société européenne* (the first releases",
              "took them for mutual societies; the real code list says otherwise), `121` *Association d'assurances",
              "mutuelles de droit public* (public law), and the pre-2019 cooperative forms `006`–`009`, `016`, `206`,",
              "`208`, which count as `COOP` only with a `CNC` accreditation (ONSS deliveries; the KBO open data has",
              "no accreditations).", ""]
    return "\n".join(lines + _cooperative_types_markdown(families))


def _cooperative_types_markdown(families: pd.Series) -> list[str]:
    """The cooperative types below COOP (issue 15), from fr_cooperative_types.csv and be_cooperative_types.csv."""
    lines = ["## Cooperative types", "",
             "Every cooperative (`COOP`) is also counted under exactly one type, a part of `COOP` in `mart.dim_family`:",
             "the three kinds of the European confederation of industrial and service cooperatives, and the rest.",
             "`verified = false` marks the observatory's own reading, not checked against the confederation's",
             "classification [U]: change the files to change it.", "",
             "| type | label |", "|---|---|"]
    for family, row in load("families").set_index("family").iterrows():
        if row["parent"] == "COOP":
            lines.append(f"| `{family}` | {row['label_en']} ({row['label_fr']}) |")
    lines += ["", "### France: by legal category (`fr_cooperative_types.csv`)", "",
              "No legal category of its own exists for the SCIC (*société coopérative d'intérêt collectif*, the",
              "French social cooperative) or the *coopératives d'activité et d'emploi*: they sit under the generic",
              "cooperative codes (`5460`, `5560`, `5660`, `6560`: `COOP_OTHER`) or under an SAS code, which is not a",
              "cooperative at all in the registry (`SOCENT` when flagged ESS, else `NONE`). `COOP_SOCIAL` is",
              "therefore empty in France until a list of them (a published directory, kept as a data file with its",
              "source) is added.", "",
              "| CJ | INSEE label | type | rule | verified |", "|---|---|---|---|---|"]
    for row in load("fr_cooperative_types").sort_values(["coop_type", "cj"]).itertuples():
        lines.append(f"| `{row.cj}` | {row.label_fr} | `{row.coop_type}` | {row.rule} | {row.verified} |")
    lines += ["", "### Belgium: by juridical form and accreditation (`be_cooperative_types.csv`)", "",
              "Rules are tried by `priority` (lowest first); `*` is any form. Belgian law has no worker-cooperative",
              "form and neither the KBO nor the ONSS says who a cooperative's members are, so `COOP_WORKER` and",
              "`COOP_SELF_EMPLOYED` stay empty in Belgium. The registry has no accreditation: there every",
              "cooperative (forms `706`, `001`) is `COOP_OTHER`.", "",
              "| priority | form | accreditation | type | rule | verified |", "|---|---|---|---|---|---|"]
    for row in load("be_cooperative_types").itertuples():
        form = "`*`" if row.juridical_form == "*" else f"`{row.juridical_form}`"
        accreditation = f"`{row.accreditation}`" if row.accreditation else ""
        lines.append(f"| {row.priority} | {form} | {accreditation} | `{row.coop_type}` | {row.rule} | {row.verified} |")
    return [*lines, ""]
