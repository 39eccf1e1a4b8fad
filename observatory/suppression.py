"""The linear-programming attacker on additive tables (HiGHS): the exact interval of each suppressed cell.

A table is a mapping from hashable, mutually orderable cell keys (e.g. tuples of strings and ints) to non-negative
values; the table publishes every value except the suppressed ones. Additive relations ``total = sum(parts)`` tie the
cells together (:func:`derive_relations` builds them from hierarchies per dimension).

* :func:`audit` is the attacker: for each suppressed cell it computes, by linear programming with HiGHS, the narrowest
  interval ``[lo, hi]`` that the published values and the relations allow with every cell ``>= 0``.
* :func:`exact_intervals` gives the same intervals for chosen cells only, and the tables that reach them.

The secondary suppression of the published tables and the attacker of the build are in :mod:`observatory.disclosure`,
which uses these LPs where its certificates fall short. Nothing here knows about DuckDB or Dagster.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np

Key = Hashable

# Values are whole jobs; LP round-off below this is noise, not information.
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Relation:
    """``total = sum(parts)`` between published cells."""

    total: Key
    parts: tuple[Key, ...]

    def cells(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


@dataclass(frozen=True)
class Protection:
    """The protection rule.

    A suppressed cell of true value ``v`` is protected when the attacker's interval is at least as wide as
    ``required(v) = 2 * max(rel * v, abs_min)``, i.e. ``hi - lo >= required(v)``: the attacker cannot pin the cell
    within ±``rel`` of its value, nor within ±``abs_min`` jobs. Default: ±15 %, at least ±3 jobs.
    The rule is on the width, not on where ``v`` sits inside the interval.
    """

    rel: float = 0.15
    abs_min: float = 3.0

    def required(self, value: float) -> float:
        return 2 * max(self.rel * abs(value), self.abs_min)


@dataclass(frozen=True)
class CellInterval:
    """What the attacker learns about one suppressed cell."""

    key: Key
    value: float
    lo: float
    hi: float
    required: float

    @property
    def width(self) -> float:
        return self.hi - self.lo

    @property
    def protected(self) -> bool:
        return self.width >= self.required - _TOLERANCE

    @property
    def ratio(self) -> float:
        """Width relative to the required width: below 1 means unprotected."""
        return math.inf if self.required <= 0 else self.width / self.required


@dataclass(frozen=True)
class AuditResult:
    """One interval per suppressed cell (in key order) and the verdict over the cells that must be protected."""

    intervals: dict[Key, CellInterval]
    sensitive: frozenset[Key] = field(default_factory=frozenset)

    @property
    def unprotected(self) -> list[CellInterval]:
        """Sensitive cells narrower than the protection level, weakest first (ties by key)."""
        return sorted((i for k, i in self.intervals.items() if k in self.sensitive and not i.protected),
                      key=lambda i: (i.ratio, i.key))

    @property
    def passed(self) -> bool:
        return not self.unprotected

    @property
    def weakest(self) -> CellInterval | None:
        """The sensitive cell with the smallest width relative to its required width (ties by key)."""
        candidates = [i for k, i in self.intervals.items() if k in self.sensitive]
        return min(candidates, key=lambda i: (i.ratio, i.key)) if candidates else None


def derive_relations(cells: Mapping[tuple, float], dimensions: Sequence[str],
                     hierarchies: Mapping[str, Mapping[object, Sequence[object]]],
                     missing_is_zero: bool = False) -> list[Relation]:
    """Every additive relation the table exposes, in a stable order.

    Keys are tuples with one coordinate per name in ``dimensions``. ``hierarchies`` gives, per dimension, each total
    code and its children (``{"sex": {"T": ["F", "M"]}}``; several levels, e.g. area → side → NUTS3, are several
    entries). For every cell whose coordinate in a dimension is a total, the relation over its children with the other
    coordinates fixed. With ``missing_is_zero`` False a relation is kept only where every child cell exists; with True,
    absent children are taken as published zeros (as a table that omits empty cells tells its readers) and left out.
    """
    relations = []
    for key in sorted(cells):
        for position, dimension in enumerate(dimensions):
            children = hierarchies.get(dimension, {}).get(key[position])
            if not children:
                continue
            parts = [(*key[:position], child, *key[position + 1:]) for child in children]
            present = [p for p in parts if p in cells]
            if len(present) < len(parts) and not missing_is_zero:
                continue
            relations.append(Relation(key, tuple(present)))
    return relations


def _components(suppressed: Sequence[Key], rows: Sequence[Relation]) -> list[tuple[list[Key], list[Relation]]]:
    """Independent blocks: suppressed cells linked by a relation that holds several of them."""
    parent = {k: k for k in suppressed}

    def find(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    hidden = set(suppressed)
    for relation in rows:
        inside = [c for c in relation.cells() if c in hidden]
        for other in inside[1:]:
            a, b = find(inside[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    blocks: dict[Key, tuple[list[Key], list[Relation]]] = {}
    for k in suppressed:  # in key order, so each block lists its cells sorted
        blocks.setdefault(find(k), ([], []))[0].append(k)
    for relation in rows:
        first = next(c for c in relation.cells() if c in hidden)
        blocks[find(first)][1].append(relation)
    return [blocks[root] for root in sorted(blocks)]


def _quiet_highs() -> highspy.Highs:
    """A HiGHS solver, without the banner its constructor prints on the process's standard output (where it would
    land in the middle of `observatory build`'s summary)."""
    sys.stdout.flush()
    saved, devnull = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _bounds(cells: Mapping[Key, float], block: list[Key], rows: list[Relation],
            wanted: Collection[Key] | None = None, points: dict | None = None) -> dict[Key, tuple[float, float]]:
    """Min and max of each cell of one block (or of those ``wanted``): one LP, built once, re-solved with one
    objective per bound. ``points``, if given, receives for each cell the tables reaching its min and max, as
    ``{key: (changes at the min, changes at the max)}`` (each ``{cell: new value - true value}``, None when
    unbounded)."""
    index = {k: i for i, k in enumerate(block)}
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(block), len(rows)
    lp.col_cost_ = np.zeros(len(block))
    lp.col_lower_ = np.zeros(len(block))
    lp.col_upper_ = np.full(len(block), highspy.kHighsInf)
    starts, columns, coefficients, rhs = [0], [], [], []
    for relation in rows:
        # sum(hidden parts) - hidden total = published total - sum(published parts); a published total is known.
        constant = 0.0 if relation.total in index else cells[relation.total]
        entries: dict[int, float] = {}
        for part in relation.parts:
            if part in index:
                entries[index[part]] = entries.get(index[part], 0.0) + 1.0
            else:
                constant -= cells[part]
        if relation.total in index:
            entries[index[relation.total]] = entries.get(index[relation.total], 0.0) - 1.0
        for column in sorted(entries):
            columns.append(column)
            coefficients.append(entries[column])
        starts.append(len(columns))
        rhs.append(constant)
    lp.row_lower_ = lp.row_upper_ = np.array(rhs, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(columns, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(coefficients, dtype=float)
    solver = _quiet_highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("random_seed", 0)
    # Primal simplex: each bound changes only the objective, so the previous basis stays feasible and the next solve
    # starts from it (the default, dual simplex, took 2.7 s against 1.2 s for one cell of the sample's year).
    solver.setOptionValue("simplex_strategy", 4)
    solver.passModel(lp)
    bounds = {}
    for i, key in enumerate(block):
        if wanted is not None and key not in wanted:
            continue
        solver.changeColCost(i, 1.0)
        found = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            solver.changeObjectiveSense(sense)
            solver.run()  # warm-started from the previous basis
            status = solver.getModelStatus()
            if status == highspy.HighsModelStatus.kOptimal:
                found.append(solver.getInfo().objective_function_value)
                if points is not None:
                    solution = solver.getSolution().col_value
                    points.setdefault(key, []).append(
                        {k: solution[j] - cells[k] for j, k in enumerate(block)
                         if abs(solution[j] - cells[k]) > _TOLERANCE})
            elif status == highspy.HighsModelStatus.kUnbounded and sense == highspy.ObjSense.kMaximize:
                found.append(math.inf)
                if points is not None:
                    points.setdefault(key, []).append(None)
            else:
                raise ValueError(f"the published values contradict the relations around {key!r}: "
                                 f"{solver.modelStatusToString(status)}")
        solver.changeColCost(i, 0.0)
        lo, hi = found
        bounds[key] = (max(lo, 0.0), hi)
    return bounds


class _Auditor:
    """The attacker, keeping the bounds of blocks already solved (a block's bounds depend only on its cells)."""

    def __init__(self, cells: Mapping[Key, float], relations: Iterable[Relation]):
        self.cells = cells
        self.relations = sorted(set(relations), key=lambda r: (r.total, r.parts))
        unknown = [c for r in self.relations for c in r.cells() if c not in cells]
        if unknown:
            raise ValueError(f"relation names a cell that is not in the table: {unknown[0]!r}")
        self.by_cell: dict[Key, list[Relation]] = {}
        for relation in self.relations:
            for cell in set(relation.cells()):
                self.by_cell.setdefault(cell, []).append(relation)
        self.cache: dict[frozenset, dict[Key, tuple[float, float]]] = {}

    def audit(self, suppressed: Collection[Key], protection: Protection,
              sensitive: Collection[Key] | None = None) -> AuditResult:
        hidden = sorted(set(suppressed))
        missing = [k for k in hidden if k not in self.cells]
        if missing:
            raise ValueError(f"suppressed cell not in the table: {missing[0]!r}")
        hidden_set = set(hidden)
        rows = sorted({r for k in hidden for r in self.by_cell.get(k, ())}, key=lambda r: (r.total, r.parts))
        intervals = {}
        for block, block_rows in _components(hidden, rows):
            tag = frozenset(block)
            if tag not in self.cache:
                self.cache[tag] = _bounds(self.cells, block, block_rows) if block_rows else {
                    k: (0.0, math.inf) for k in block}  # in no relation: nothing bounds it but zero
            for key, (lo, hi) in self.cache[tag].items():
                value = self.cells[key]
                intervals[key] = CellInterval(key, value, lo, hi, protection.required(value))
        chosen = hidden_set if sensitive is None else set(sensitive) & hidden_set
        return AuditResult(dict(sorted(intervals.items())), frozenset(chosen))


def audit(cells: Mapping[Key, float], suppressed: Collection[Key], relations: Iterable[Relation],
          protection: Protection = Protection(), sensitive: Collection[Key] | None = None) -> AuditResult:  # noqa: B008
    """The attacker: the narrowest interval each suppressed cell can be pinned to from what is published.

    For each suppressed cell, two LPs (min and max of the cell) subject to every relation that holds a suppressed
    cell, the published values as constants and every cell ``>= 0``. The LP is split into independent blocks
    (suppressed cells linked through relations), each built once and re-solved with a new objective. ``sensitive`` are
    the cells that must be protected (default: every suppressed cell); the result still gives every interval.
    Deterministic: the same table gives the same result whatever the order of its inputs.
    """
    return _Auditor(cells, relations).audit(suppressed, protection, sensitive)


def exact_intervals(cells: Mapping[Key, float], suppressed: Collection[Key], relations: Iterable[Relation],
                    keys: Collection[Key], points: dict | None = None) -> dict[Key, tuple[float, float]]:
    """The attacker's exact interval ``(lo, hi)`` of each of ``keys`` (suppressed cells), as :func:`audit` computes
    it, solving only for those cells: the LP of each block that holds one is built once. ``points``: as
    :func:`_bounds`."""
    hidden = sorted(set(suppressed))
    hidden_set, wanted = set(hidden), set(keys)
    rows = sorted({r for r in relations if any(c in hidden_set for c in r.cells())}, key=lambda r: (r.total, r.parts))
    out = {}
    for block, block_rows in _components(hidden, rows):
        chosen = wanted.intersection(block)
        if chosen:
            out.update(_bounds(cells, block, block_rows, chosen, points) if block_rows else
                       {k: (0.0, math.inf) for k in chosen})
    return out
