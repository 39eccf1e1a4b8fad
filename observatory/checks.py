"""Checks at each boundary, as plain functions returning what is wrong (an empty list when all is well).

Dagster asset checks (``pipelines/checks.py``) and the tests call these; they read the working database only.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from observatory import nomenclatures
from observatory.config import POPULATION_YEAR_OFFSET, Thresholds
from observatory.duck import table_exists
from observatory.harmonise import DEMOGRAPHY_SOURCES
from observatory.mart import has_population
from observatory.sources import DELIVERY, sources


def _delivery_sides() -> str:
    """SQL VALUES: each delivery's source id and the side of the area its jobs count for (its descriptor)."""
    return ", ".join(f"('{s.source_id}', '{s.side}')" for s in sources(DELIVERY))


def _staged_delivery_rows() -> str:
    """SQL: the rows staged per delivery, year and file, from every staging table of every delivery."""
    return "\n               UNION ALL ".join(
        f"SELECT '{s.source_id}' AS source_id, year, file_name, count(*) AS n FROM {table} GROUP BY ALL"
        for s in sources(DELIVERY) for table in s.tables)


def jobs_total_preserved(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Σ jobs of the ALL / TOTAL / T / TOTAL cell of each side = Σ jobs delivered for the area and used.

    Delivered rows are accounted as used + outside_area + rejected (``meta.row_accounting``); the check proves
    the published margin is exactly the used part, so no row was lost or counted twice on the way.
    """
    rows = con.execute(
        f"""WITH side(source_id, geo) AS (VALUES {_delivery_sides()}),
           delivered AS (
               SELECT year, side.geo, sum(jobs) FILTER (WHERE outcome = 'used') AS used
               FROM meta.row_accounting JOIN side USING (source_id) WHERE jobs IS NOT NULL
               GROUP BY ALL),
           sides AS (SELECT * FROM delivered UNION ALL SELECT year, 'FWVL', sum(used) FROM delivered GROUP BY year),
           published AS (
               SELECT year, geo, jobs FROM work.jobs_cells
               WHERE family = 'ALL' AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL' AND geo_level = 'AREA')
           SELECT s.year, s.geo, s.used, p.jobs FROM sides s FULL JOIN published p USING (year, geo)
           WHERE s.used IS DISTINCT FROM p.jobs"""
    ).fetchall()
    return [f"{year} {geo}: delivered and used {used}, published {jobs}" for year, geo, used, jobs in rows]


def accounting_complete(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every staged delivery row is accounted for exactly once (used, outside_area or rejected)."""
    rows = con.execute(
        f"""WITH staged AS ({_staged_delivery_rows()}),
           accounted AS (SELECT source_id, year, file_name, sum(rows) AS n FROM meta.row_accounting GROUP BY ALL)
           SELECT source_id, year, file_name, s.n, a.n FROM staged s LEFT JOIN accounted a
               USING (source_id, year, file_name)
           WHERE s.n IS DISTINCT FROM a.n"""
    ).fetchall()
    return [f"{s} {y} {f}: {n} rows staged, {a} accounted" for s, y, f, n, a in rows]


def rejected_jobs_share(con: duckdb.DuckDBPyConnection, thresholds: Thresholds = Thresholds()) -> list[str]:  # noqa: B008
    """The share of jobs rejected for an unknown code stays under the threshold, per source and year."""
    rows = con.execute(
        """SELECT source_id, year,
                  coalesce(sum(jobs) FILTER (WHERE outcome = 'rejected'), 0) AS rejected,
                  coalesce(sum(jobs) FILTER (WHERE outcome IN ('used', 'rejected')), 0) AS total
           FROM meta.row_accounting WHERE jobs IS NOT NULL GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    return [
        f"{source} {year}: {rejected} of {total} jobs rejected ({rejected / total:.2%} > "
        f"{thresholds.max_rejected_jobs_share:.2%}); see meta.rejects"
        for source, year, rejected, total in rows
        if total and rejected / total > thresholds.max_rejected_jobs_share
    ]


def reconciliation_adds_up(con: duckdb.DuckDBPyConnection) -> list[str]:
    """COMMON TOTAL + Σ NATIONAL parts = NATIONAL TOTAL for each year and side (before suppression)."""
    rows = con.execute(
        """SELECT year, country,
                  sum(jobs) FILTER (WHERE definition = 'COMMON' AND component = 'TOTAL') AS common,
                  sum(jobs) FILTER (WHERE definition = 'NATIONAL' AND component <> 'TOTAL') AS parts,
                  sum(jobs) FILTER (WHERE definition = 'NATIONAL' AND component = 'TOTAL') AS national
           FROM work.reconciliation GROUP BY ALL
           HAVING common + parts IS DISTINCT FROM national"""
    ).fetchall()
    return [f"{y} {c}: common {a} + parts {b} != national {n}" for y, c, a, b, n in rows]


# Where the family tree is checked: the table, the columns of a cell besides the family, and what is counted.
FAMILY_TABLES = {
    "mart.establishments": (("year", "country", "geo", "nace_a10"), ("establishments", "employer_establishments")),
    # The jobs before suppression (a suppressed cell is published empty, so the published parts cannot add up).
    "work.jobs_cells": (("year", "country", "geo", "nace_a10", "sex", "age_band"), ("jobs",)),
}


def family_parts_add_up(con: duckdb.DuckDBPyConnection, table: str = "mart.establishments") -> list[str]:
    """In ``table`` (:data:`FAMILY_TABLES`), the parts of each family (ESS: ASSOC + COOP + MUTUAL + FOUND; COOP: its
    cooperative types; mart.dim_family.parent) add up to it in every cell; ALL is left out (it also holds what is in
    no family)."""
    keys, measures = FAMILY_TABLES[table]
    key_list = ", ".join(keys)
    rows = con.execute(
        f"""WITH tree AS (SELECT family, parent FROM mart.dim_family WHERE parent <> 'ALL'),
            parts AS (
                SELECT {", ".join(f"e.{k}" for k in keys)}, t.parent AS family,
                       {", ".join(f"sum(e.{m}) AS {m}" for m in measures)}
                FROM {table} e JOIN tree t USING (family) GROUP BY ALL),
            whole AS (SELECT {key_list}, family, {", ".join(measures)} FROM {table}
                      WHERE family IN (SELECT parent FROM tree))
            SELECT {key_list}, family, {", ".join(f"w.{m}, p.{m}" for m in measures)}
            FROM whole w FULL JOIN parts p USING ({key_list}, family)
            WHERE {" OR ".join(f"w.{m} IS DISTINCT FROM p.{m}" for m in measures)}
            ORDER BY ALL LIMIT 20"""
    ).fetchall()
    problems = []
    for row in rows:
        cell = " ".join(str(v) for v in row[:len(keys) + 1])
        counts = ", ".join(f"{m} {row[len(keys) + 1 + 2 * i]}, its parts {row[len(keys) + 2 + 2 * i]}"
                           for i, m in enumerate(measures))
        problems.append(f"{cell}: {counts}")
    return problems


def demography_accounted(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every enterprise staged for the demography is used, outside the area or rejected (meta.row_accounting)."""
    problems = []
    for source in DEMOGRAPHY_SOURCES:
        if not table_exists(con, source.staging_table):
            continue
        staged = con.execute(f"SELECT {source.staged_count} FROM {source.staging_table}").fetchone()[0] or 0
        if staged != (accounted := _accounted(con, source.source_id)):
            problems.append(f"{source.source_id}: {accounted} enterprises accounted for, {staged} staged")
    return problems


def _accounted(con: duckdb.DuckDBPyConnection, source_id: str) -> int:
    """The rows of a source that meta.row_accounting gives an outcome to, every year together."""
    return con.execute("SELECT coalesce(sum(rows), 0) FROM meta.row_accounting WHERE source_id = ?",
                       [source_id]).fetchone()[0]


def demography_stocks_follow_flows(con: duckdb.DuckDBPyConnection) -> list[str]:
    """In ``mart.demography``, each year's active stock is the year before's plus its births less its closures.
    A failure points at enterprises that cease before they are created (a registry's error), or at a bug."""
    rows = con.execute(
        """SELECT year, country, geo, family, active_end, before, births, closures FROM (
               SELECT *, lag(active_end) OVER (PARTITION BY country, geo, family ORDER BY year) AS before
               FROM mart.demography)
           WHERE before IS NOT NULL AND active_end <> before + births - closures
           ORDER BY ALL LIMIT 20"""
    ).fetchall()
    return [f"{y} {c} {g} {f}: {a} active at the end, {b} the year before + {n} births - {x} closures"
            for y, c, g, f, a, b, n, x in rows]


def disclosure_holds(con: duckdb.DuckDBPyConnection, thresholds: Thresholds = Thresholds()) -> list[str]:  # noqa: B008
    """No published jobs cell breaks the primary rules (checked on the published values, from the unit data)."""
    rows = con.execute(
        """SELECT j.year, j.geo, j.family, j.nace_a10, j.sex, j.age_band, j.jobs
           FROM mart.jobs j JOIN work.jobs_cells c USING (year, country, geo, family, nace_a10, sex, age_band)
           WHERE j.jobs IS NOT NULL AND (
               (j.jobs > 0 AND j.jobs < $min_jobs) OR c.parent_units < $min_units
               OR c.parent_max_unit > $share * c.parent_jobs)
           LIMIT 20""",
        {"min_jobs": thresholds.min_jobs, "min_units": thresholds.min_units, "share": thresholds.max_dominance_share},
    ).fetchall()
    return [f"published cell breaks disclosure rules: {r}" for r in rows]


def _same_label(a: str, b: str) -> bool:
    """Labels compared as the producer means them: case and runs of spaces aside (the KBO varies both)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def kbo_form_labels(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Each juridical form mapped in be_legal_forms.csv has, in the delivered code.csv, the FR and NL labels recorded
    beside it (copied from the producer's list): a code whose meaning changed, or a wrong code, stops publication."""
    labels: dict[str, dict[str, str]] = {}
    for code, language, description in con.execute(
        "SELECT code, language, description FROM src.be_kbo_codes WHERE category = 'JuridicalForm' AND language IN ('FR', 'NL')"
    ).fetchall():
        labels.setdefault(code, {})[language] = description
    problems = []
    for row in nomenclatures.load("be_legal_forms").itertuples():
        if row.juridical_form == "*":
            continue
        found = labels.get(row.juridical_form)
        status = "unverified mapping" if row.verified != "true" else "mapping"
        if not found:
            problems.append(f"{status} {row.juridical_form} ({row.family}): not in the delivered code.csv")
            continue
        for language, expected in (("FR", row.label_fr), ("NL", row.label_nl)):
            if language in found and not _same_label(found[language], expected):
                problems.append(f"{status} {row.juridical_form} ({row.family}): delivered {language} label "
                                f"{found[language]!r} is not {expected!r} (be_legal_forms.csv)")
    return problems


def population_adds_up(con: duckdb.DuckDBPyConnection, tolerance: float = 0.5) -> list[str]:
    """In ``harmonised.population``: the bands Y_LT25 … Y_GE65 plus the unknown age make TOTAL, Y15-24 … Y55-64
    make Y15-64, and F + M = T, wherever the figures are not missing (``tolerance`` persons, for rounding)."""
    rows = con.execute(
        f"""WITH p AS (SELECT * FROM harmonised.population WHERE population IS NOT NULL),
           ages AS (
               SELECT year, geo, sex, 'TOTAL' AS whole,
                      sum(population) FILTER (WHERE age_band IN ('Y_LT25', 'Y25-34', 'Y35-44', 'Y45-54', 'Y55-64',
                                                                  'Y_GE65', 'UNK')) AS parts,
                      count(*) FILTER (WHERE age_band IN ('Y_LT25', 'Y25-34', 'Y35-44', 'Y45-54', 'Y55-64', 'Y_GE65'))
                          AS n,
                      any_value(population) FILTER (WHERE age_band = 'TOTAL') AS total
               FROM p GROUP BY ALL
               UNION ALL
               SELECT year, geo, sex, 'Y15-64',
                      sum(population) FILTER (WHERE age_band IN ('Y15-24', 'Y25-34', 'Y35-44', 'Y45-54', 'Y55-64')),
                      count(*) FILTER (WHERE age_band IN ('Y15-24', 'Y25-34', 'Y35-44', 'Y45-54', 'Y55-64')) + 1,
                      any_value(population) FILTER (WHERE age_band = 'Y15-64')
               FROM p GROUP BY ALL),
           sexes AS (
               SELECT year, geo, age_band AS whole, sum(population) FILTER (WHERE sex IN ('F', 'M')) AS parts,
                      count(*) FILTER (WHERE sex IN ('F', 'M')) + 4 AS n,
                      any_value(population) FILTER (WHERE sex = 'T') AS total
               FROM p GROUP BY ALL)
           SELECT year, geo, sex || ' ' || whole, parts, total FROM ages
               WHERE n = 6 AND total IS NOT NULL AND abs(parts - total) > {tolerance}
           UNION ALL
           SELECT year, geo, 'F+M ' || whole, parts, total FROM sexes
               WHERE n = 6 AND total IS NOT NULL AND abs(parts - total) > {tolerance}
           ORDER BY ALL"""
    ).fetchall()
    return [f"{year} {geo} {what}: parts {parts:g}, total {total:g}" for year, geo, what, parts, total in rows]


def population_accounting_complete(con: duckdb.DuckDBPyConnection, setting: str) -> list[str]:
    """Every staged row of the population source(s) chosen by ``setting`` is accounted for exactly once."""
    from observatory.population import sources_for

    problems = []
    for source in sources_for(setting):
        staged = con.execute(f"SELECT coalesce(sum(rows), 0) FROM {source.table}").fetchone()[0]
        if staged != (accounted := _accounted(con, source.source_id)):
            problems.append(f"{source.source_id}: {staged} rows staged, {accounted} accounted")
    return problems


def indicators_described(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every indicator code published in ``mart.indicators`` or ``mart.cross_border_comparison`` has its row in
    ``mart.dim_indicator`` (labels, definition), with the unit its values are published in."""
    rows = con.execute(
        """WITH published AS (
               SELECT DISTINCT 'mart.indicators' AS source, indicator, unit FROM mart.indicators
               UNION ALL SELECT DISTINCT 'mart.cross_border_comparison', indicator, unit
               FROM mart.cross_border_comparison)
           SELECT p.source, p.indicator, p.unit, d.unit FROM published p
           LEFT JOIN mart.dim_indicator d USING (indicator)
           WHERE d.unit IS DISTINCT FROM p.unit
           ORDER BY ALL"""
    ).fetchall()
    return [f"{source}: indicator {code} (unit {unit}) " + (f"has unit {described} in mart.dim_indicator"
                                                             if described else "has no row in mart.dim_indicator")
            for source, code, unit, described in rows]


# ---------------------------------------------------------------- plausibility of the outputs (issue 11)
# Each reads the cells before suppression (work.jobs_cells) and returns the cells beyond its thresholds, worst
# first, with the worst cell compared even when all is well: the metadata then shows how close the build came.


@dataclass(frozen=True)
class Plausibility:
    problems: list[str]  # one line per cell beyond the thresholds, worst first
    worst: str | None  # the cell nearest to (or furthest beyond) the thresholds; None when nothing was compared
    thresholds: dict[str, int | float]  # the settings applied, by their name in thresholds.toml
    compared: int  # cells compared


def _jobs(value) -> str:
    return f"{value:,.0f}"


def jobs_within_population(con: duckdb.DuckDBPyConnection, thresholds: Thresholds = Thresholds(),  # noqa: B008
                           population_year_offset: int = POPULATION_YEAR_OFFSET) -> Plausibility:
    """No territory (area NUTS3, side, whole area) has more jobs in all than ``max_jobs_per_resident`` times its
    residents of all ages. The population is that of 1 January of the next year (as for the per-capita
    indicators) or, when that year is not delivered, of the nearest year: an order of magnitude is all it checks."""
    limits = {"max_jobs_per_resident": thresholds.max_jobs_per_resident}
    if not has_population(con):
        return Plausibility([], None, limits, 0)
    rows = con.execute(
        """WITH jobs AS (
               SELECT year, geo, jobs FROM work.jobs_cells
               WHERE family = 'ALL' AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL'),
           population AS (
               SELECT year, geo, population FROM mart.population
               WHERE sex = 'T' AND age_band = 'TOTAL' AND population > 0)
           SELECT j.year, j.geo, j.jobs, p.year AS population_year, p.population,
                  CAST(j.jobs AS DOUBLE) / p.population AS ratio
           FROM jobs j JOIN population p USING (geo)
           QUALIFY row_number() OVER (PARTITION BY j.year, j.geo
                                      ORDER BY abs(p.year - (j.year + $offset)), p.year DESC) = 1
           ORDER BY ratio DESC, j.year, j.geo""",
        {"offset": population_year_offset},
    ).fetchall()
    texts = [f"{year} {geo}: {_jobs(jobs)} jobs for {_jobs(population)} residents (1 January {population_year}), "
             f"{ratio:.2f} per resident" for year, geo, jobs, population_year, population, ratio in rows]
    limit = thresholds.max_jobs_per_resident
    problems = [f"{text} > {limit:g}" for text, row in zip(texts, rows, strict=True) if row[5] > limit]
    return Plausibility(problems, texts[0] if texts else None, limits, len(rows))


def jobs_year_on_year(con: duckdb.DuckDBPyConnection, thresholds: Thresholds = Thresholds()) -> Plausibility:  # noqa: B008
    """No territory x family total (all sectors, sexes, ages) of at least ``min_jobs_for_year_on_year`` jobs in one
    of two consecutive delivered years grows or shrinks by more than ``max_year_on_year_factor`` between them. A
    cell missing in one of the two years counts as 0 jobs there (a territory dropped from a delivery is a jump)."""
    limits = {"max_year_on_year_factor": thresholds.max_year_on_year_factor,
              "min_jobs_for_year_on_year": thresholds.min_jobs_for_year_on_year}
    rows = con.execute(
        """WITH cells AS (
               SELECT year, geo, family, jobs FROM work.jobs_cells
               WHERE nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL'),
           years AS (SELECT DISTINCT year FROM cells),
           pairs AS (
               SELECT coalesce(c.year, p.year + 1) AS year, coalesce(c.geo, p.geo) AS geo,
                      coalesce(c.family, p.family) AS family,
                      coalesce(p.jobs, 0) AS before, coalesce(c.jobs, 0) AS after
               FROM (SELECT * FROM cells WHERE year - 1 IN (SELECT year FROM years)) c
               FULL JOIN (SELECT * FROM cells WHERE year + 1 IN (SELECT year FROM years)) p
                   ON p.year = c.year - 1 AND p.geo = c.geo AND p.family = c.family)
           SELECT year, geo, family, before, after,
                  CASE WHEN least(before, after) = 0 THEN 'inf'::DOUBLE
                       ELSE CAST(greatest(before, after) AS DOUBLE) / least(before, after) END AS factor
           FROM pairs WHERE greatest(before, after) >= $min_jobs
           ORDER BY factor DESC, year, geo, family""",
        {"min_jobs": thresholds.min_jobs_for_year_on_year},
    ).fetchall()
    texts = [f"{geo} {family} {year - 1}->{year}: {_jobs(before)} -> {_jobs(after)} jobs "
             f"({'x' if after >= before else '/'}{factor:.2f})" for year, geo, family, before, after, factor in rows]
    limit = thresholds.max_year_on_year_factor
    problems = [f"{text}, beyond x{limit:g} or /{limit:g}" for text, row in zip(texts, rows, strict=True)
                if row[5] > limit]
    return Plausibility(problems, texts[0] if texts else None, limits, len(rows))


def jobs_per_unit(con: duckdb.DuckDBPyConnection, thresholds: Thresholds = Thresholds()) -> Plausibility:  # noqa: B008
    """Every area NUTS3 x family cell (all sectors) with at least ``min_units_for_jobs_per_unit`` establishment units
    has between ``min_jobs_per_unit`` and ``max_jobs_per_unit`` jobs per unit on average."""
    limits = {"min_jobs_per_unit": thresholds.min_jobs_per_unit, "max_jobs_per_unit": thresholds.max_jobs_per_unit,
              "min_units_for_jobs_per_unit": thresholds.min_units_for_jobs_per_unit}
    low, high = thresholds.min_jobs_per_unit, thresholds.max_jobs_per_unit
    rows = con.execute(
        """SELECT year, geo, family, jobs, parent_units, CAST(jobs AS DOUBLE) / parent_units AS per_unit
           FROM work.jobs_cells
           WHERE geo_level = 'NUTS3' AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL'
               AND parent_units >= $min_units
           -- Worst first: how far outside (or how near to) the range, as a factor, whichever side.
           ORDER BY greatest(per_unit / $high, $low / greatest(per_unit, 1e-9)) DESC, year, geo, family""",
        {"min_units": thresholds.min_units_for_jobs_per_unit, "low": low, "high": high},
    ).fetchall()
    texts = [f"{year} {geo} {family}: {_jobs(jobs)} jobs in {_jobs(units)} units, {per_unit:.2f} per unit"
             for year, geo, family, jobs, units, per_unit in rows]
    problems = [f"{text}, outside {low:g} to {high:g}" for text, row in zip(texts, rows, strict=True)
                if not low <= row[5] <= high]
    return Plausibility(problems, texts[0] if texts else None, limits, len(rows))
