"""Harmonisation as data: every code list and mapping is a CSV file in this folder with a ``source`` column.

The files are loaded into the working DuckDB database as tables of the ``nom`` schema, so that the SQL of the
harmonisation joins them, and into small pandas frames for checks and tests.
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
    """(Re)create schema ``nom`` with one all-text table per mapping file."""
    con.execute("CREATE SCHEMA IF NOT EXISTS nom")
    for name in names():
        frame = _load(name)
        con.register("_nomenclature", frame)
        con.execute(f"CREATE OR REPLACE TABLE nom.{name} AS SELECT * FROM _nomenclature")
        con.unregister("_nomenclature")


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
