"""Secondary suppression of ``mart.jobs`` and the attacker that audits it (issue 13).

Primary disclosure control (publication rules v1, ``sql/mart_jobs_cells.sql``) marks cells ``A`` (small count: fewer
than ``min_jobs`` jobs, or a parent with fewer than ``min_units`` units) or ``O`` (one unit holds more than
``max_dominance_share`` of the parent). Left alone, a suppressed cell comes back by subtraction from the margins that
are published beside it. This module adds complementary suppressions (``D``) and proves they are enough.

The table, per year, is a hypercube over five hierarchical dimensions (geography NUTS3 → side → area; family:
the cooperative types → COOP, and ASSOC/COOP/MUTUAL/FOUND → ESS → ALL; A*10 → TOTAL; F/M → T; age bands →
TOTAL). ``ALL`` also holds the jobs outside the social economy, which are never published: they are the hidden,
non-negative cell ``REST`` (``ALL = ESS + REST``), which is how the inequality ``ALL >= ESS`` enters the model. A
cell with no row is a published zero.

**Suppression** is the hypercube method (as τ-Argus's GHMITER): a *certificate* for a primary cell is a perturbation
``d = v_geo ⊗ v_family ⊗ v_nace ⊗ v_sex ⊗ v_age`` where each ``v`` is a vector of ±1 on a few codes of its dimension
that keeps that dimension's sums (the cell's code with a sibling at -1, or with its parent at +1, and so on). Every
published margin is then unchanged by ``d``, so if every corner of ``d`` is suppressed, the published table cannot tell
the true cells ``a`` from ``a + t·d`` for any ``t`` keeping the corners non-negative. The cell can therefore be anything
in ``[a - t_down, a + t_up]``. For each primary cell, in a fixed order, the cheapest hypercube that gives the required
width (the fewest jobs newly suppressed) is chosen and its corners suppressed, unless the cells already suppressed
give the width.

**The attacker** (:func:`audit`) does not trust that: for every primary cell it searches certificates among the cells
actually suppressed, verifies each one against every published relation, and where no certificate gives the width it
computes the exact interval by linear programming (HiGHS, :mod:`observatory.suppression`) over the whole year. It also
computes the exact interval of the weakest cell. A cell narrower than the protection level fails the audit.

Nothing here knows Dagster.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from observatory import nomenclatures
from observatory.config import Thresholds
from observatory.duck import arrow_table, table_exists
from observatory.suppression import CellInterval, Protection, Relation, exact_intervals

DIMENSIONS = ("geo", "family", "nace_a10", "sex", "age_band")
REST = "REST"  # ALL minus ESS: never published, a hidden non-negative cell
# Candidate codes kept per dimension when combining them into hypercubes (the best lines first).
CANDIDATES_PER_DIMENSION = 4
# Extra cost factor of hiding a headline cell (a territory's ESS or ALL jobs over all sectors).
HEADLINE_COST = 1e6
# When none of those protects a cell (a large cell needs large corners), wider searches, the last one exhaustive.
WIDER_SEARCH = (CANDIDATES_PER_DIMENSION, 10, None)
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Dimension:
    """The codes of one dimension in a fixed order, and the parent of each code that has one."""

    name: str
    codes: tuple[str, ...]
    parent: dict[str, str]

    @property
    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for code in self.codes:
            if code in self.parent:
                out.setdefault(self.parent[code], []).append(code)
        return out

    def patterns(self, code: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """Every minimal vector of ±1 on this dimension's codes with ``code`` at +1 that keeps each total equal to the
        sum of its children: ``(codes at +1, codes at -1)``. Going down, a total needs one child at its sign; going
        up, a code either meets a sibling of the opposite sign (with that sibling's own way down) or takes its parent
        along."""
        children = self.children

        def down(node: str) -> list[tuple[str, ...]]:
            kids = children.get(node)
            return [(node,)] if not kids else [(node, *path) for kid in kids for path in down(kid)]

        def up(node: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
            parent = self.parent.get(node)
            if parent is None:
                return [((), ())]
            options = [((), path) for sibling in children[parent] if sibling != node for path in down(sibling)]
            options += [((parent, *plus), minus) for plus, minus in up(parent)]
            return options

        return [(path + plus, minus) for path in down(code) for plus, minus in up(code)]


def dimensions(con: duckdb.DuckDBPyConnection) -> tuple[Dimension, ...]:
    """The five dimensions of ``mart.jobs`` from the code lists (``nom.*``), so that a child with no row counts as a
    published zero."""
    nomenclatures.register(con)
    nuts3 = con.execute("SELECT geo, country FROM nom.geo WHERE geo_level = 'NUTS3' "
                        "ORDER BY CAST(sort_order AS INTEGER)").fetchall()
    sides = sorted({country for _, country in nuts3})
    geo = Dimension("geo", ("FWVL", *(f"FWVL_{c}" for c in sides), *(g for g, _ in nuts3)),
                    {**{f"FWVL_{c}": "FWVL" for c in sides}, **{g: f"FWVL_{c}" for g, c in nuts3}})
    # The families that make up ESS, and the cooperative types that make up COOP (families.csv, parent).
    families = con.execute("SELECT family, parent FROM nom.families WHERE parent = 'ESS' OR parent IN "
                           "(SELECT family FROM nom.families WHERE parent = 'ESS') "
                           "ORDER BY parent <> 'ESS', CAST(sort_order AS INTEGER)").fetchall()
    family = Dimension("family", ("ALL", "ESS", REST, *(f for f, _ in families)),
                       {"ESS": "ALL", REST: "ALL", **dict(families)})
    sectors = [n for (n,) in con.execute("SELECT nace_a10 FROM nom.nace_a10 WHERE nace_a10 <> 'TOTAL' "
                                         "ORDER BY CAST(sort_order AS INTEGER)").fetchall()]
    nace = Dimension("nace_a10", ("TOTAL", *sectors), dict.fromkeys(sectors, "TOTAL"))
    bands = [b for (b,) in con.execute("SELECT age_band FROM nom.age_bands WHERE scope LIKE '%jobs%' "
                                       "AND age_band <> 'TOTAL' ORDER BY CAST(sort_order AS INTEGER)").fetchall()]
    age = Dimension("age_band", ("TOTAL", *bands), dict.fromkeys(bands, "TOTAL"))
    sex = Dimension("sex", ("T", "F", "M"), {"F": "T", "M": "T"})
    return geo, family, nace, sex, age


@dataclass
class Cube:
    """One year of jobs cells as dense arrays over the five dimensions (``REST`` filled in)."""

    dims: tuple[Dimension, ...]
    value: np.ndarray  # jobs; 0 where no row
    exists: np.ndarray  # a row (or REST where ALL has one); a cell without one is a published zero
    hidden: np.ndarray  # suppressed, REST included
    primary: np.ndarray  # A or O
    index: tuple[dict[str, int], ...] = field(init=False)

    def __post_init__(self) -> None:
        self.index = tuple({c: i for i, c in enumerate(d.codes)} for d in self.dims)

    @classmethod
    def from_rows(cls, dims: tuple[Dimension, ...], rows: Iterable[tuple]) -> Cube:
        """``rows``: (geo, family, nace_a10, sex, age_band, jobs, primary, suppressed) for one year."""
        shape = tuple(len(d.codes) for d in dims)
        cube = cls(dims, np.zeros(shape), np.zeros(shape, bool), np.zeros(shape, bool), np.zeros(shape, bool))
        for *key, jobs, primary, suppressed in rows:
            at = cube.at(key)
            cube.value[at] = float(jobs)
            cube.exists[at] = True
            cube.primary[at] = bool(primary)
            cube.hidden[at] = bool(primary) or bool(suppressed)
        family = dims[1].codes
        all_, ess, rest = (family.index(c) for c in ("ALL", "ESS", REST))
        cube.value[:, rest] = cube.value[:, all_] - cube.value[:, ess]
        cube.exists[:, rest] = cube.exists[:, all_]
        cube.hidden[:, rest] = True
        if (cube.value[:, rest] < -_TOLERANCE).any():
            raise ValueError("a cell of family ESS holds more jobs than the same cell of family ALL")
        return cube

    def at(self, key: Sequence[str]) -> tuple[int, ...]:
        return tuple(index[code] for index, code in zip(self.index, key, strict=True))

    def key(self, at: Sequence[int]) -> tuple[str, ...]:
        return tuple(d.codes[i] for d, i in zip(self.dims, at, strict=True))


@dataclass(frozen=True, eq=False)
class Certificate:
    """A change of suppressed cells around ``cell`` that no published value sees: its corners (cells of the cube)
    with their weights (``cell`` at 1; ±1 for one hypercube, fractions for a sum of several). The cell can rise by
    ``t_up`` and fall by ``t_down`` along it."""

    cell: tuple[str, ...]
    flats: np.ndarray  # the corners, as flat indexes of the year's cube
    weights: np.ndarray
    t_up: float
    t_down: float


def _every_pair(a: np.ndarray, b: np.ndarray, op: np.ufunc) -> np.ndarray:
    """``op`` of each row of ``a`` with each row of ``b``, element by element: row ``i * len(b) + j`` holds
    ``op(a[i, p], b[j, q])`` at ``p * b.shape[1] + q``. Written as whole rows: broadcasting the vectors over two axes
    per dimension (ten) left numpy inner loops one vector long (3.3 ms against 0.7 ms for 1,024 hypercubes of 1,260
    corners)."""
    (rows, width), (b_rows, b_width) = a.shape, b.shape
    return op(np.repeat(a, b_width, axis=1)[:, None, :], np.tile(b, (1, width))[None, :, :]).reshape(
        rows * b_rows, width * b_width)


class _Search:
    """Hypercubes around one cell, evaluated together on the cube's arrays."""

    def __init__(self, cube: Cube):
        self.cube = cube
        self.strides = np.array([int(np.prod(cube.value.shape[k + 1:])) for k in range(len(cube.dims))])
        # What hiding a cell costs: its jobs, times 10 for each dimension in which it is a total, so that the
        # margins readers look at first (a side's ESS jobs, a sector's total) are hidden only when nothing else does.
        levels = np.zeros(cube.value.shape)
        for k, d in enumerate(cube.dims):
            totals = np.array([code in d.children for code in d.codes], float)
            shape = [1] * len(cube.dims)
            shape[k] = len(d.codes)
            levels = levels + totals.reshape(shape)
        self.cost = cube.value * 10.0 ** levels
        # The headline figures (each territory's ESS and all jobs, by sex and age) are hidden as a last resort.
        geo, family, nace = (cube.index[k] for k in range(3))
        headline = np.zeros(cube.value.shape, bool)
        for f in ("ESS", "ALL"):
            headline[:, family[f], nace["TOTAL"]] = True
        self.cost[headline] *= HEADLINE_COST
        self.headline = headline & (cube.value > 0)
        # The key figures (the area's and each side's ESS and all jobs) are never hidden to protect another cell.
        self.frozen = np.zeros(cube.value.shape, bool)
        for g in geo:
            if g in cube.dims[0].children:
                for f in ("ESS", "ALL"):
                    self.frozen[geo[g], family[f], nace["TOTAL"], cube.index[3]["T"], cube.index[4]["TOTAL"]] = True
        self.frozen &= ~cube.hidden
        self._open_cells()
        self._arrays: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._patterns = [{code: [(tuple(cube.index[k][c] for c in plus), tuple(cube.index[k][c] for c in minus))
                                  for plus, minus in d.patterns(code)] for code in d.codes}
                          for k, d in enumerate(cube.dims)]

    def _open_cells(self) -> None:
        """``_open``: the cells a hypercube may use as corners (they have a row and are not frozen), flat."""
        self._open = (self.cube.exists & ~self.frozen).ravel()

    def unfreeze(self) -> None:
        """Let the key figures be hidden too (the last resort of :func:`suppress_year`)."""
        self.frozen[...] = False
        self._open_cells()

    def _padded(self, k: int, code: int) -> tuple[np.ndarray, np.ndarray]:
        """The vectors of dimension ``k`` through ``code`` as arrays: codes (padded with ``code``) and signs (0 for
        padding)."""
        key = (k, code)
        if key not in self._arrays:
            options = self._patterns[k][self.cube.dims[k].codes[code]]
            width = max(len(p) + len(m) for p, m in options)
            idx = np.full((len(options), width), code)
            sgn = np.zeros((len(options), width), np.int8)
            for o, (p, m) in enumerate(options):
                idx[o, :len(p) + len(m)] = (*p, *m)
                sgn[o, :len(p)] = 1
                sgn[o, len(p):len(p) + len(m)] = -1
            self._arrays[key] = (idx, sgn)
        return self._arrays[key]

    def candidates(self, at: tuple[int, ...], per_dimension: int | None) -> list[np.ndarray]:
        """The ``per_dimension`` most promising vectors of each dimension (all with None; rows of
        :meth:`_padded`), judged along the line
        through the cell: a line with a missing cell cannot be used; then the fewest cells and jobs still published,
        then the largest cell at -1 (it caps the rise), then the vector's order."""
        cube = self.cube
        out = []
        for k, code in enumerate(at):
            idx, sgn = self._padded(k, code)
            line = (*at[:k], slice(None), *at[k + 1:])
            exists, hidden, value = cube.exists[line][idx], cube.hidden[line][idx], cube.value[line][idx]
            used = sgn != 0
            missing = np.any(used & ~exists, axis=1)
            published = np.sum(used & ~hidden, axis=1)
            jobs = np.sum(np.where(used & ~hidden, value, 0.0), axis=1)
            lowest_minus = np.min(np.where(sgn < 0, value, np.inf), axis=1)
            order = np.lexsort((np.arange(len(idx)), lowest_minus * -1, jobs, published, missing))
            keep = order[:per_dimension]
            out.append(keep[~missing[keep]])
        return out

    def evaluate(self, at: tuple[int, ...], per_dimension: int | None = CANDIDATES_PER_DIMENSION,
                 room: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every hypercube combining the candidate vectors of each dimension: its corners (flat indexes, signs,
        mask), whether it can be used (every corner has a row), whether it is wholly suppressed, the jobs it would
        newly suppress, and how far the cell can rise and fall along it (within ``room``, the jobs each cell can
        still give up, by default its value)."""
        options = self.candidates(at, per_dimension)
        if any(len(o) == 0 for o in options):
            return {}
        # One row per hypercube (the combinations of candidates, the first dimension's slowest), its corners along
        # the row, so that each reduction runs along one contiguous axis. The padding (sign 0) repeats the cell
        # itself, which every hypercube has as a corner anyway: gathering it again changes no minimum, count or
        # "any", so only the sums below mask it (the usable hypercubes have about 100 corners; 11,000 of them are
        # evaluated per year of the national sample, hence the care).
        flat, sign = np.zeros((1, 1), np.int64), np.ones((1, 1), np.int8)
        for k, rows in enumerate(options):
            idx, sgn = self._padded(k, at[k])
            flat = _every_pair(flat, idx[rows] * self.strides[k], np.add)
            sign = _every_pair(sign, sgn[rows], np.multiply)
        count = len(flat)
        mask = sign != 0
        cube = self.cube
        usable = self._open[flat].all(axis=1)
        # The rest only for the usable hypercubes (about half): the others keep covered False, cost inf, t 0.
        rows = np.flatnonzero(usable)
        f, sg = flat[rows], sign[rows]
        newly = ~cube.hidden.ravel()[f]  # the corners this hypercube would hide
        give = (cube.value if room is None else room).ravel()[f]
        covered, cost = np.zeros(count, bool), np.full(count, np.inf)
        new, headline = np.zeros(count, np.int64), np.zeros(count, np.int64)
        t_up, t_down = np.zeros(count), np.zeros(count)
        covered[rows] = ~newly.any(axis=1)
        newly &= mask[rows]  # counted once each
        cost[rows] = np.where(newly, self.cost.ravel()[f], 0.0).sum(axis=1)
        headline[rows] = np.count_nonzero(newly & self.headline.ravel()[f], axis=1)
        new[rows] = np.count_nonzero(newly, axis=1)
        t_up[rows] = np.where(sg < 0, give, np.inf).min(axis=1)
        t_down[rows] = np.where(sg > 0, give, np.inf).min(axis=1)
        return {"flat": flat, "sign": sign, "mask": mask, "usable": usable, "covered": covered, "cost": cost,
                "new": new, "headline": headline, "t_up": t_up, "t_down": t_down, "count": count}

    def certificate(self, at: tuple[int, ...], found: dict[str, np.ndarray], h: int) -> Certificate:
        cube = self.cube
        mask = found["mask"][h].ravel()
        flats, signs = found["flat"][h].ravel()[mask], found["sign"][h].ravel()[mask]
        return Certificate(cube.key(at), flats.astype(np.int64), signs.astype(float), float(found["t_up"][h]),
                           float(found["t_down"][h]))


def _best_covered(found: dict[str, np.ndarray]) -> tuple[int | None, int | None]:
    """The wholly suppressed hypercubes letting the cell rise, and fall, the furthest (first such index on ties)."""
    ok = found["usable"] & found["covered"]
    if not ok.any():
        return None, None
    up = int(np.argmax(np.where(ok, found["t_up"], -1.0)))
    down = int(np.argmax(np.where(ok, found["t_down"], -1.0)))
    return up, down


@dataclass
class YearResult:
    """What the suppression of one year did: the complements added, each primary cell's certificates, and the
    primary cells it could not protect."""

    secondary: list[tuple[str, ...]]
    certificates: dict[tuple[str, ...], tuple[Certificate, Certificate]]
    unprotected: list[tuple[str, ...]]


def _primary_order(cube: Cube) -> list[tuple[int, ...]]:
    """Largest cells first (they need the widest hypercubes, which then cover smaller cells), then by key."""
    cells = [tuple(int(i) for i in at) for at in zip(*np.nonzero(cube.primary), strict=True)]
    return sorted(cells, key=lambda at: (-cube.value[at], cube.key(at)))


def _combine(search: _Search, at: tuple[int, ...], rise: float, parts: int = 8,
             headline: bool = False) -> Certificate | None:
    """Several hypercubes summed, when no single one lets the cell rise by ``rise``: each adds what its cells at -1
    can still give up (a cell at -1 in two of them gives up its jobs once), without a headline cell unless
    ``headline``. Hides their corners and returns the sum, scaled so that the cell moves by 1, or None (hiding
    nothing) if ``parts`` hypercubes are not enough."""
    cube = search.cube
    room = cube.value.copy()
    hidden = cube.hidden.copy()
    weights: dict[int, float] = {}
    total = 0.0
    for _ in range(parts):
        found = search.evaluate(at, WIDER_SEARCH[1], room)
        if not found:
            return None
        usable = found["usable"] & (found["t_up"] > _TOLERANCE) & (headline | (found["headline"] == 0))
        if not usable.any():
            break
        # The widest step, among the wholly suppressed hypercubes first, then the cheapest.
        covered = usable & found["covered"]
        pool = covered if covered.any() else usable
        step = np.where(pool, np.minimum(found["t_up"], rise - total), -1.0)
        h = int(np.lexsort((np.arange(found["count"]), found["cost"], -step))[0])
        t = float(step[h])
        flat, sign = found["flat"][h][found["mask"][h]], found["sign"][h][found["mask"][h]]
        for f, s_ in zip(flat, sign, strict=True):
            weights[int(f)] = weights.get(int(f), 0.0) + s_ * t
            if s_ < 0:
                room.ravel()[f] -= t
        cube.hidden.ravel()[flat] = True
        total += t
        if total >= rise - _TOLERANCE:
            flats = np.array(sorted(f for f, w in weights.items() if abs(w) > _TOLERANCE), np.int64)
            return Certificate(cube.key(at), flats, np.array([weights[f] / total for f in flats]), total, 0.0)
    cube.hidden[...] = hidden
    return None


def _protect(search: _Search, at: tuple[int, ...], required: float) -> tuple[Certificate, Certificate] | None:
    """Certificates giving one primary cell the width ``required``: found among the suppressed cells, or by hiding
    the cheapest hypercube, or a sum of several; None (after hiding the widest hypercube) when nothing does."""
    cube = search.cube
    found: dict = {}
    for per_dimension in WIDER_SEARCH:
        found = search.evaluate(at, per_dimension)
        if not found:
            continue
        up, down = _best_covered(found)
        best_up = found["t_up"][up] if up is not None else 0.0
        best_down = found["t_down"][down] if down is not None else 0.0
        gain = np.maximum(found["t_up"], best_up) + np.maximum(found["t_down"], best_down)
        feasible = found["usable"] & (gain >= required - _TOLERANCE)
        # Wider while nothing protects the cell, or only by hiding a headline figure.
        if feasible.any() and (per_dimension is None or (found["headline"] == 0)[feasible].any()):
            break
    if not found:
        return None
    if best_up + best_down >= required - _TOLERANCE:
        return search.certificate(at, found, up), search.certificate(at, found, down)
    if feasible.any() and not (found["headline"] == 0)[feasible].any():
        # Only by hiding a headline figure: several hypercubes without one are better.
        combined = _combine(search, at, required - best_down)
        if combined is not None:
            return combined, search.certificate(at, found, down) if down is not None else combined
    if not feasible.any():
        combined = (_combine(search, at, required - best_down)
                    or _combine(search, at, required - best_down, parts=16, headline=True))
        if combined is not None:
            return combined, search.certificate(at, found, down) if down is not None else combined
        # The widest hypercube, hidden all the same: with the others it may be enough (the LP will tell).
        choice = int(np.argmax(np.where(found["usable"], gain, -1.0)))
        if found["usable"][choice]:
            cube.hidden.ravel()[found["flat"][choice][found["mask"][choice]]] = True
        return None
    order = np.lexsort((np.arange(found["count"]), found["new"], np.where(feasible, found["cost"], np.inf)))
    choice = int(order[0])
    cube.hidden.ravel()[found["flat"][choice][found["mask"][choice]]] = True
    chosen = search.certificate(at, found, choice)
    up_cert = chosen if found["t_up"][choice] >= best_up else search.certificate(at, found, up)
    down_cert = chosen if found["t_down"][choice] >= best_down else search.certificate(at, found, down)
    return up_cert, down_cert


def _proven_by_lp(cube: Cube, protection: Protection, cells: list[tuple]) -> dict[tuple, tuple]:
    """Of ``cells``, those the suppressed cells protect together (the LP says so), with the tables the LP found as
    their certificates."""
    attacker = YearAudit(0, cube)
    points: dict = {}
    exact_intervals(*attacker.model(), cells, points)
    out = {}
    for key in cells:
        low, high = points.get(key, (None, None))
        proofs = [_from_point(cube, key, change, sign) for change, sign in ((high, 1), (low, -1))]
        if any(p is None for p in proofs):
            continue
        t_up, t_down = attacker.verifier.verify(proofs)
        if t_up[0] + t_down[1] >= protection.required(cube.value[cube.at(key)]) - _TOLERANCE:
            out[key] = tuple(proofs)
    return out


def suppress_year(cube: Cube, protection: Protection) -> YearResult:
    """Add complementary suppressions to ``cube.hidden`` until every primary cell has certificates giving it the
    protection width (see the module docstring). Cells no hypercube protects are checked by LP; those still
    unprotected are tried again allowing the key figures to be hidden, and if that fails too, are reported."""
    search = _Search(cube)
    before = cube.hidden.copy()
    certificates: dict[tuple, tuple] = {}
    unprotected = []
    for at in _primary_order(cube):
        found = _protect(search, at, protection.required(cube.value[at]))
        if found is None:
            unprotected.append(cube.key(at))
        else:
            certificates[cube.key(at)] = found
    if unprotected:
        certificates.update(_proven_by_lp(cube, protection, unprotected))
        unprotected = [k for k in unprotected if k not in certificates]
    if unprotected:  # last resort: the key figures may go too, rather than a cell that can be worked out
        search.unfreeze()
        for key in list(unprotected):
            at = cube.at(key)
            found = _protect(search, at, protection.required(cube.value[at]))
            if found is not None:
                certificates[key] = found
                unprotected.remove(key)
        if unprotected:
            certificates.update(_proven_by_lp(cube, protection, unprotected))
            unprotected = [k for k in unprotected if k not in certificates]
    added = cube.hidden & ~before
    secondary = sorted(cube.key(at) for at in zip(*np.nonzero(added), strict=True))
    return YearResult([k for k in secondary if k[1] != REST], certificates, unprotected)


def _from_point(cube: Cube, cell: tuple, change: dict | None, direction: int) -> Certificate | None:
    """A certificate from a table the LP found (``change``: new minus true value per cell), scaled so that the cell
    moves by 1 in ``direction``."""
    if not change or abs(change.get(cell, 0.0)) <= _TOLERANCE:
        return None
    scale = change[cell]
    if scale * direction < 0:
        return None
    keys = sorted(change)
    flats = np.array([np.ravel_multi_index(cube.at(k), cube.value.shape) for k in keys], np.int64)
    return Certificate(cell, flats, np.array([change[k] / scale for k in keys]), 0.0, 0.0)


# --- The attacker -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellAudit(CellInterval):
    """What the attacker learns about one primary cell of a year: the interval it cannot narrow further (``exact``
    when it comes from the linear program, a lower bound on the width when from certificates)."""

    year: int = 0
    exact: bool = False

    @property
    def cell(self) -> tuple[str, ...]:
        return self.key

    def describe(self) -> str:
        coords = ", ".join(f"{n}={c}" for n, c in zip(DIMENSIONS, self.cell, strict=True))
        how = "exact, by LP" if self.exact else "at least, by certificate"
        return (f"{self.year} {coords}: {self.value:g} jobs, pinned to [{self.lo:g}, {self.hi:g}] ({how}); "
                f"width {self.width:g} < {self.required:g} required" if not self.protected else
                f"{self.year} {coords}: {self.value:g} jobs, interval [{self.lo:g}, {self.hi:g}] ({how}), "
                f"width {self.width:g} ≥ {self.required:g} required")


class _Verifier:
    """Checks many certificates at once against every relation, in numpy: each cell of the year (the cube's, then
    the extra ones) is a column; each relation a row ``total - sum(parts) = 0`` over the cells that have a row."""

    def __init__(self, cube: Cube, extra_cells: dict, extra_relations: Sequence[Relation], links: dict):
        self.cube = cube
        size = cube.value.size
        self.extra = {k: size + i for i, k in enumerate(extra_cells)}  # and, once looked up, the cube's cells
        self.extra_keys = list(extra_cells)
        self.value = np.concatenate([cube.value.ravel(), np.array([v for v, _ in extra_cells.values()], float)])
        self.hidden = np.concatenate([(cube.hidden & cube.exists).ravel(),
                                      np.array([h for _, h in extra_cells.values()], bool)])
        rel, col, coef = [], [], []
        flat = np.arange(size).reshape(cube.value.shape)
        count = 0
        for k, dim in enumerate(cube.dims):
            moved, exists = np.moveaxis(flat, k, -1), np.moveaxis(cube.exists, k, -1)
            for total, kids in dim.children.items():
                t, ks = cube.index[k][total], [cube.index[k][c] for c in kids]
                rows = exists[..., t]
                members = np.concatenate([moved[..., [t]][rows], moved[..., ks][rows]], axis=1)
                present = np.concatenate([np.ones((rows.sum(), 1), bool), exists[..., ks][rows]], axis=1)
                signs = np.broadcast_to(np.array([-1.0] + [1.0] * len(ks)), members.shape)
                ids = np.broadcast_to(np.arange(count, count + len(members))[:, None], members.shape)
                rel.append(ids[present])
                col.append(members[present])
                coef.append(signs[present])
                count += len(members)
        for relation in extra_relations:
            for cell, c in ((relation.total, -1.0), *((p, 1.0) for p in relation.parts)):
                rel.append(np.array([count]))
                col.append(np.array([self.flat(cell)]))
                coef.append(np.array([c]))
            count += 1
        rel, col, coef = (np.concatenate(a) for a in (rel, col, coef))
        by_rel = np.argsort(rel, kind="stable")
        self.rel_col, self.rel_coef = col[by_rel], coef[by_rel]
        self.rel_start = np.searchsorted(rel[by_rel], np.arange(count + 1))
        by_col = np.argsort(col, kind="stable")
        self.col_rel, self.col_coef = rel[by_col], coef[by_col]
        self.col_start = np.searchsorted(col[by_col], np.arange(len(self.value) + 1))
        self.links = {self.flat(k): [self.flat(f) for f in followers] for k, followers in links.items()}

    def flat(self, key: tuple) -> int:
        found = self.extra.get(key)
        if found is None:
            found = self.extra[key] = int(np.ravel_multi_index(self.cube.at(key), self.cube.value.shape))
        return found

    def relations(self) -> list[Relation]:
        """The same relations as :class:`Relation` (``total = sum(parts)``), for the LP: every dimension's over the
        cells that have a row (a child without one is a published zero and left out), then the extra ones."""
        size = self.cube.value.size
        inside = self.rel_col < size
        codes = np.unravel_index(np.where(inside, self.rel_col, 0), self.cube.value.shape)
        names = [np.array(d.codes, dtype=object)[i] for d, i in zip(self.cube.dims, codes, strict=True)]
        keys = [tuple(k) if ok else self.extra_keys[c - size]
                for k, ok, c in zip(zip(*names, strict=True), inside, self.rel_col, strict=True)]
        out = []
        for a, b in zip(self.rel_start[:-1], self.rel_start[1:], strict=True):
            total = next(keys[j] for j in range(a, b) if self.rel_coef[j] < 0)
            out.append(Relation(total, tuple(keys[j] for j in range(a, b) if self.rel_coef[j] > 0)))
        return out

    def verify(self, certificates: Sequence[Certificate]) -> tuple[np.ndarray, np.ndarray]:
        """How far each certificate really lets its cell rise and fall: (0, 0) unless its cell has weight 1, every
        corner is suppressed and every relation still adds up; then as far as every cell stays >= 0. Independent
        of how the certificates were found."""
        n = len(certificates)
        width = len(self.value)
        cid = np.repeat(np.arange(n), [len(c.flats) for c in certificates])
        col = np.concatenate([c.flats for c in certificates]).astype(np.int64)
        weight = np.concatenate([c.weights for c in certificates]).astype(float)
        for source, followers in self.links.items():  # a change of COMMON carries into the reconciliation
            at = col == source
            moved = (cid[at], weight[at])
            for f in followers:
                cid, col, weight = (np.concatenate([cid, moved[0]]), np.concatenate([col, np.full(len(moved[0]), f)]),
                                    np.concatenate([weight, moved[1]]))
        keys, inverse = np.unique(cid * width + col, return_inverse=True)
        weight = np.bincount(inverse, weight)
        cid, col = keys // width, keys % width
        nonzero = np.abs(weight) > _TOLERANCE
        cid, col, weight, keys = cid[nonzero], col[nonzero], weight[nonzero], keys[nonzero]
        bad = np.zeros(n, bool)
        bad[cid[~self.hidden[col]]] = True
        own = np.array([self.flat(c.cell) for c in certificates], int)
        where = np.searchsorted(keys, np.arange(n) * width + own)
        found = (where < len(keys)) & (keys[np.minimum(where, len(keys) - 1)] == np.arange(n) * width + own)
        bad |= ~found
        bad[found] |= np.abs(weight[where[found]] - 1) > _TOLERANCE
        # Every relation touching a corner: its residual, the sum of weight x coefficient over the corners in it (a
        # cell of the relation that is no corner adds 0), must be 0. Summed per (certificate, relation) from the
        # corners' side: going through every member of each relation instead took 5 times as long (issue 14).
        counts = self.col_start[col + 1] - self.col_start[col]
        entry = np.repeat(np.arange(len(col)), counts)
        at = self.col_start[col[entry]] + np.arange(len(entry)) - np.repeat(np.cumsum(counts) - counts, counts)
        relations = len(self.rel_start)
        pairs, inverse = np.unique(cid[entry] * relations + self.col_rel[at], return_inverse=True)
        residual = np.bincount(inverse, weight[entry] * self.col_coef[at], minlength=len(pairs))
        bad[pairs[np.abs(residual) > _TOLERANCE] // relations] = True
        t_up, t_down = np.full(n, np.inf), np.full(n, np.inf)
        down = weight < 0
        np.minimum.at(t_up, cid[down], self.value[col[down]] / -weight[down])
        np.minimum.at(t_down, cid[~down], self.value[col[~down]] / weight[~down])
        t_up[bad] = t_down[bad] = 0.0
        return t_up, t_down


class YearAudit:
    """The attacker on one year of the table, with the other published relations of that year (the perimeter
    reconciliation): ``extra_cells`` maps a key to (value, suppressed) and ``extra_primary`` names those to protect;
    ``links`` name the cells that change with a cell of the cube (the reconciliation's COMMON is a side's ESS
    cell)."""

    def __init__(self, year: int, cube: Cube, extra_cells: dict | None = None,
                 extra_relations: Sequence[Relation] = (), extra_primary: Sequence[tuple] = (),
                 links: dict | None = None):
        self.year, self.cube = year, cube
        self.extra_cells, self.extra_primary = extra_cells or {}, list(extra_primary)
        self.verifier = _Verifier(cube, self.extra_cells, extra_relations, links or {})

    def certified(self, protection: Protection, certificates: Iterable[Certificate] = ()) -> list[CellAudit]:
        """One :class:`CellAudit` per primary cell from certificates: the ``certificates`` offered (by the
        suppression) are verified; where they do not give the width, certificates are searched among the suppressed
        cells. The extra primary cells are left to :meth:`exact`."""
        cube = self.cube
        primary = [cube.key(at) for at in _primary_order(cube)]
        wanted = set(primary)
        offered = [c for c in certificates if c.cell in wanted]
        widths = self._widths(offered)
        short = [k for k in primary if sum(widths.get(k, (0.0, 0.0))) <
                 protection.required(cube.value[cube.at(k)]) - _TOLERANCE]
        if short:
            search, found_here = _Search(cube), []
            for key in short:
                at = cube.at(key)
                found = search.evaluate(at)
                for h in {h for h in (_best_covered(found) if found else ()) if h is not None}:
                    found_here.append(search.certificate(at, found, h))
            for key, (up, down) in self._widths(found_here).items():
                old = widths.get(key, (0.0, 0.0))
                widths[key] = (max(old[0], up), max(old[1], down))
        out = []
        for key in primary:
            value = cube.value[cube.at(key)]
            t_up, t_down = widths.get(key, (0.0, 0.0))
            out.append(CellAudit(key, value, value - t_down, value + t_up, protection.required(value), self.year))
        return out

    def _widths(self, certificates: Sequence[Certificate]) -> dict[tuple, tuple[float, float]]:
        """The furthest each cell can rise and fall by its verified certificates."""
        out: dict[tuple, tuple[float, float]] = {}
        if not certificates:
            return out
        t_up, t_down = self.verifier.verify(certificates)
        for certificate, up, down in zip(certificates, t_up, t_down, strict=True):
            old = out.get(certificate.cell, (0.0, 0.0))
            out[certificate.cell] = (max(old[0], float(up)), max(old[1], float(down)))
        return out

    def model(self) -> tuple[dict, list, list]:
        """The attacker's LP inputs: every cell's value, the suppressed cells, the relations."""
        cube = self.cube
        cells = {cube.key(at): float(cube.value[at]) for at in zip(*np.nonzero(cube.exists), strict=True)}
        hidden = [cube.key(at) for at in zip(*np.nonzero(cube.exists & cube.hidden), strict=True)]
        cells.update({k: v for k, (v, _) in self.extra_cells.items()})
        hidden += [k for k, (_, suppressed) in self.extra_cells.items() if suppressed]
        return cells, hidden, self.verifier.relations()

    def exact(self, protection: Protection, keys: Collection[tuple]) -> list[CellAudit]:
        """The exact interval of each of ``keys`` by linear programming over the whole year (HiGHS)."""
        if not keys:
            return []
        cells, hidden, rows = self.model()
        bounds = exact_intervals(cells, hidden, rows, sorted(set(keys)))
        return [CellAudit(k, cells[k], lo, hi, protection.required(cells[k]), self.year, exact=True)
                for k, (lo, hi) in sorted(bounds.items())]

    def audit(self, protection: Protection, certificates: Iterable[Certificate] = ()) -> list[CellAudit]:
        """Every primary cell, exact where the certificates do not protect it (and for the extra cells)."""
        results = {r.cell: r for r in self.certified(protection, certificates)}
        weak = [k for k, r in results.items() if not r.protected] + self.extra_primary
        for r in self.exact(protection, weak):
            results[r.cell] = r
        return [results[k] for k in sorted(results)]


def _weakest_exact(results: list[CellAudit], attacker_of: Callable[[int], YearAudit],
                   protection: Protection) -> list[CellAudit]:
    """``results`` with the weakest cell's interval (by certificates) replaced by its exact one (LP, by the
    attacker of its year)."""
    if not results:
        return results
    weakest = min(results, key=lambda r: (r.ratio, r.year, r.cell))
    if weakest.exact:
        return results
    (exact,) = attacker_of(weakest.year).exact(protection, [weakest.cell])
    return [exact if (r.year, r.cell) == (exact.year, exact.cell) else r for r in results]


def audit_year(year: int, cube: Cube, protection: Protection,
               certificates: Iterable[Certificate] = ()) -> list[CellAudit]:
    """The attacker on one year of the jobs cells alone, the weakest cell's interval exact."""
    attacker = YearAudit(year, cube)
    return _weakest_exact(attacker.audit(protection, certificates), lambda _: attacker, protection)


def _audit_published_year(year: int, cube: Cube, reconciliation: tuple, protection: Protection,
                          certificates: Sequence[Certificate]) -> list[CellAudit]:
    return YearAudit(year, cube, *reconciliation).audit(protection, certificates)


# --- On the working database ------------------------------------------------------------------------------------

CELL_COLUMNS = ", ".join(DIMENSIONS)
PRIMARY_CODES = ("A", "O")
SECONDARY_CODE = "D"
RECONCILIATION = "RECONCILIATION"  # first coordinate of the reconciliation's cells in the attacker's model


def protection_of(thresholds: Thresholds) -> Protection:
    return Protection(thresholds.protection_relative, thresholds.protection_min_jobs)


def _years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [y for (y,) in con.execute("SELECT DISTINCT year FROM work.jobs_cells ORDER BY year").fetchall()]


def _cube(con: duckdb.DuckDBPyConnection, dims: tuple[Dimension, ...], year: int, published: bool = False) -> Cube:
    """One year of ``work.jobs_cells``: true values and primary cells; suppressed as the work table says, or, with
    ``published``, as ``mart.jobs`` publishes it (a NULL jobs value)."""
    if published:
        sql = (f"SELECT {', '.join('c.' + d for d in DIMENSIONS)}, c.jobs, c.conf_status IN {PRIMARY_CODES}, "
               "coalesce(j.jobs IS NULL, true) FROM work.jobs_cells c LEFT JOIN mart.jobs j ON j.year = c.year "
               "AND j.geo = c.geo AND j.family = c.family AND j.nace_a10 = c.nace_a10 AND j.sex = c.sex "
               "AND j.age_band = c.age_band WHERE c.year = ?")
    else:
        sql = (f"SELECT {CELL_COLUMNS}, jobs, conf_status IN {PRIMARY_CODES}, conf_status IS NOT NULL "
               "FROM work.jobs_cells WHERE year = ?")
    return Cube.from_rows(dims, con.execute(sql, [year]).fetchall())


def _reconciliation(con: duckdb.DuckDBPyConnection, cube: Cube, year: int
                    ) -> tuple[dict[tuple, tuple[float, bool]], list[Relation], list[tuple], dict[tuple, tuple]]:
    """The reconciliation of one year in the attacker's model, as published. Per side, with absolute values,
    ``NATIONAL + Σ MINUS = COMMON + Σ PLUS``: a hidden balance cell ``B`` (never published) with ``B = NATIONAL +
    Σ MINUS`` and ``B = COMMON + Σ PLUS``, where COMMON is the side's ESS cell of ``mart.jobs``."""
    cells: dict[tuple, tuple[float, bool]] = {}
    rows, primary, links = [], [], {}
    found = con.execute(
        "SELECT r.country, r.definition, r.component, r.sign, r.abs_jobs, "
        "  CASE WHEN r.conf_status IN ('A', 'O') THEN r.conf_status WHEN p.jobs IS NULL THEN 'D' END "
        "FROM work.reconciliation r LEFT JOIN mart.perimeter_reconciliation p ON p.year = r.year "
        "  AND p.country = r.country AND p.definition = r.definition AND p.component = r.component "
        "WHERE r.year = ? ORDER BY ALL", [year]).fetchall()
    for country in sorted({r[0] for r in found}):
        balance = (RECONCILIATION, country, "BALANCE", "", "")
        cells[balance] = (0.0, True)
        common = (f"FWVL_{country}", "ESS", "TOTAL", "T", "TOTAL")
        national, plus, minus = None, [], []
        for _, definition, component, sign, jobs, status in (r for r in found if r[0] == country):
            if definition == "COMMON":
                continue
            key = (RECONCILIATION, country, definition, component, "")
            cells[key] = (float(jobs), status is not None)
            if status in PRIMARY_CODES:
                primary.append(key)
            if component == "TOTAL":
                national = key
            else:
                (plus if sign > 0 else minus).append(key)
        if not cube.exists[cube.at(common)]:
            cells[common] = (0.0, False)
        cells[balance] = (cells[national][0] + sum(cells[k][0] for k in minus), True)
        rows += [Relation(balance, (national, *minus)), Relation(balance, (common, *plus))]
        links[common] = (balance, national)
    return cells, rows, primary, links


def _each_year(function, arguments: list[tuple]) -> list:
    """``function(*a)`` for each year's ``a``, the years side by side on the machine's cores: each is independent
    and single-threaded numpy, and the build waits for them (the suppression of the sample's 3 years: 5.2 s one
    after the other, 3.3 s on two workers). One worker per core: a third worker on two cores took 3.9-4.1 s, its
    start (a new interpreter importing this module) costing more than the sharing gained. The workers are spawned,
    not forked: the caller holds DuckDB's threads and connections."""
    workers = min(len(arguments), os.cpu_count() or 1)
    if workers < 2:
        return [function(*a) for a in arguments]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(function, *zip(*arguments, strict=True)))


def suppress(con: duckdb.DuckDBPyConnection, thresholds: Thresholds) -> dict:
    """Secondary suppression of ``work.jobs_cells`` and ``work.reconciliation`` (conf_status D), keeping each
    primary cell's certificates in ``work.disclosure_certificates`` for the attacker."""
    protection = protection_of(thresholds)
    dims = dimensions(con)
    secondary, certificates, unprotected = [], [], []
    years = _years(con)
    for year, result in zip(years, _each_year(suppress_year, [(_cube(con, dims, y), protection) for y in years]),
                            strict=True):
        secondary += [(year, *k) for k in result.secondary]
        unprotected += [(year, *k) for k in result.unprotected]
        for pair in result.certificates.values():
            for c in dict.fromkeys(pair):
                certificates.append((year, list(c.cell), c.flats, c.weights))
    con.register("_secondary", pa.table({"year": pa.array([r[0] for r in secondary], pa.int32()),
                                         **{d: pa.array([r[i + 1] for r in secondary], pa.string())
                                            for i, d in enumerate(DIMENSIONS)}}))
    con.execute(f"""UPDATE work.jobs_cells c SET conf_status = '{SECONDARY_CODE}', confidential = true
                    FROM _secondary s WHERE c.year = s.year AND c.geo = s.geo AND c.family = s.family
                    AND c.nace_a10 = s.nace_a10 AND c.sex = s.sex AND c.age_band = s.age_band""")
    con.unregister("_secondary")
    _store_certificates(con, dims, certificates)
    # The reconciliation: COMMON is the side's ESS cell and shares its status; NATIONAL hides with any other cell
    # of its side (a hidden part or COMMON would otherwise come back by difference).
    con.execute("""UPDATE work.reconciliation r SET conf_status = c.conf_status
                    FROM work.jobs_cells c WHERE r.definition = 'COMMON' AND c.year = r.year AND c.geo = r.geo
                    AND c.family = 'ESS' AND c.nace_a10 = 'TOTAL' AND c.sex = 'T' AND c.age_band = 'TOTAL'""")
    con.execute(f"""UPDATE work.reconciliation r SET conf_status = '{SECONDARY_CODE}'
                    WHERE definition = 'NATIONAL' AND component = 'TOTAL' AND conf_status IS NULL
                    AND EXISTS (SELECT 1 FROM work.reconciliation o WHERE o.year = r.year AND o.country = r.country
                                AND o.conf_status IS NOT NULL)""")
    # A primary NATIONAL alone on its side: its largest part hides with it.
    con.execute(f"""UPDATE work.reconciliation r SET conf_status = '{SECONDARY_CODE}'
                    WHERE (year, country, component) IN (
                        SELECT year, country, arg_max(component, abs_jobs) FROM work.reconciliation o
                        WHERE definition = 'NATIONAL' AND component <> 'TOTAL' AND abs_jobs > 0
                        GROUP BY year, country
                        HAVING count(*) FILTER (WHERE conf_status IS NOT NULL) = 0
                           AND (SELECT count(*) FROM work.reconciliation n WHERE n.year = o.year
                                AND n.country = o.country AND n.conf_status IS NOT NULL) = 1)
                    AND definition = 'NATIONAL'""")
    return {"secondary_cells": len(secondary), "certificates": len(certificates),
            "unprotected_by_suppression": [", ".join(map(str, k)) for k in unprotected]}


def _signature(dims: tuple[Dimension, ...]) -> str:
    """The cube's layout: certificates are flat indexes into it, valid only for the same codes in the same order."""
    return hashlib.sha256(repr([d.codes for d in dims]).encode()).hexdigest()[:16]


def _store_certificates(con: duckdb.DuckDBPyConnection, dims: tuple[Dimension, ...], rows: list[tuple]) -> None:
    """``work.disclosure_certificates``: each primary cell's certificates, corners as flat indexes of the cube."""
    table = pa.table({
        "year": pa.array([r[0] for r in rows], pa.int32()),
        "cell": pa.array([r[1] for r in rows], pa.list_(pa.string())),
        "corners": pa.array([r[2] for r in rows], pa.list_(pa.int64())),
        "weights": pa.array([r[3] for r in rows], pa.list_(pa.float64())),
    })
    con.execute("CREATE OR REPLACE TABLE work.disclosure_certificates (year INTEGER, cell VARCHAR[], "
                "corners BIGINT[], weights DOUBLE[], layout VARCHAR)")
    con.register("_certificates", table)
    con.execute("INSERT INTO work.disclosure_certificates SELECT *, ? FROM _certificates", [_signature(dims)])
    con.unregister("_certificates")


def _load_certificates(con: duckdb.DuckDBPyConnection, dims: tuple[Dimension, ...]) -> dict[int, list[Certificate]]:
    """The certificates the suppression left, for the same cube layout (none otherwise: the attacker then searches
    and solves LPs itself)."""
    if not table_exists(con, "work.disclosure_certificates"):
        return {}
    # Through Arrow, the lists as one array each: fetchall() made Python lists of the 17,000 certificates' corners
    # and weights first (0.65 s of the audit's 3.6 s nationally; 0.18 s this way).
    table = arrow_table(
        con, "SELECT year, cell, CAST(corners AS BIGINT[]) AS corners, CAST(weights AS DOUBLE[]) AS weights "
        "FROM work.disclosure_certificates WHERE layout = ? ORDER BY ALL", [_signature(dims)])
    years, cells = table.column("year").to_pylist(), table.column("cell").to_pylist()
    corners, weights = (table.column(name).combine_chunks() for name in ("corners", "weights"))
    corner_at, corner_values = corners.offsets.to_numpy(), corners.values.to_numpy()
    weight_at, weight_values = weights.offsets.to_numpy(), weights.values.to_numpy()
    out: dict[int, list[Certificate]] = {}
    for i, year in enumerate(years):
        out.setdefault(year, []).append(Certificate(
            tuple(cells[i]), corner_values[corner_at[i]:corner_at[i + 1]].copy(),
            weight_values[weight_at[i]:weight_at[i + 1]].copy(), 0.0, 0.0))
    return out


@dataclass(frozen=True)
class Verdict:
    """The attacker's verdict on the whole table: every primary cell audited, the weakest with its exact interval."""

    cells: list[CellAudit]
    secondary_cells: int

    @property
    def unprotected(self) -> list[CellAudit]:
        return sorted((c for c in self.cells if not c.protected), key=lambda c: (c.ratio, c.year, c.cell))

    @property
    def weakest(self) -> CellAudit | None:
        return min(self.cells, key=lambda c: (c.ratio, c.year, c.cell)) if self.cells else None

    @property
    def passed(self) -> bool:
        return not self.unprotected

    def summary(self) -> str:
        """One line: ``passed: ...`` or ``failed: ...``, with the weakest cell (as meta.release records it)."""
        exact = sum(c.exact for c in self.cells)
        head = (f"{len(self.cells):,} primary cells, {self.secondary_cells:,} secondary; {exact} interval(s) by LP, "
                f"the rest by verified certificates")
        if self.passed:
            weakest = f"; weakest: {self.weakest.describe()}" if self.weakest else ""
            return f"passed: {head}{weakest}"
        return (f"failed: {len(self.unprotected)} of {head} narrower than the protection level; weakest: "
                f"{self.unprotected[0].describe()}")


def audit(con: duckdb.DuckDBPyConnection, thresholds: Thresholds) -> Verdict:
    """The attacker on every year of ``mart.jobs`` and ``mart.perimeter_reconciliation`` as published (true values
    from ``work.jobs_cells`` and ``work.reconciliation``): certificates verified, LP where they fall short, and the
    weakest cell's interval by LP."""
    protection = protection_of(thresholds)
    dims = dimensions(con)
    offered = _load_certificates(con, dims)
    years = {}
    for year in _years(con):
        cube = _cube(con, dims, year, published=True)
        years[year] = (year, cube, _reconciliation(con, cube, year), protection, offered.get(year, []))
    # One year after the other, in this process: a year's certificates are checked in about 0.3 s, less than
    # starting the worker processes would cost.
    results = [r for arguments in years.values() for r in _audit_published_year(*arguments)]
    results = _weakest_exact(results, lambda year: YearAudit(*years[year][:2], *years[year][2]), protection)
    secondary = con.execute(f"SELECT (SELECT count(*) FROM work.jobs_cells WHERE conf_status = '{SECONDARY_CODE}') "
                            f"+ (SELECT count(*) FROM work.reconciliation WHERE conf_status = '{SECONDARY_CODE}')"
                            ).fetchone()[0]
    return Verdict(results, secondary)


def record(con: duckdb.DuckDBPyConnection, verdict: Verdict) -> None:
    """Keep the verdict for ``meta.release.disclosure_audit`` (the publication reads it)."""
    con.execute("CREATE OR REPLACE TABLE work.disclosure_audit (verdict VARCHAR)")
    con.execute("INSERT INTO work.disclosure_audit VALUES (?)", [verdict.summary()])


def forget(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the last verdict: the cells are being rebuilt, so it no longer speaks for them."""
    con.execute("DROP TABLE IF EXISTS work.disclosure_audit")
