"""Secondary suppression and the LP attacker (issue 13), on tables small enough to solve by hand."""

import pytest

from observatory.suppression import Protection, Relation, audit, derive_relations, exact_intervals

ROWS = {"row": {"T": ["r1", "r2"]}}


def table(interior: dict[tuple[str, str], float], columns: list[str]) -> tuple[dict, list[Relation]]:
    """Rows r1, r2 and the given columns, with row, column and grand totals (code "T"), and their relations."""
    cells = dict(interior)
    for row in ("r1", "r2"):
        cells[(row, "T")] = sum(interior[(row, c)] for c in columns)
    for column in [*columns, "T"]:
        cells[("T", column)] = cells[("r1", column)] + cells[("r2", column)]
    hierarchies = {**ROWS, "col": {"T": columns}}
    return cells, derive_relations(cells, ["row", "col"], hierarchies)


def bounds(result, key):
    interval = result.intervals[key]
    return pytest.approx(interval.lo, abs=1e-9), pytest.approx(interval.hi, abs=1e-9)


def test_relations_of_a_two_by_two_table_with_margins():
    cells, relations = table({("r1", "c1"): 2, ("r1", "c2"): 10, ("r2", "c1"): 7, ("r2", "c2"): 20}, ["c1", "c2"])
    assert set(relations) == {
        Relation(("r1", "T"), (("r1", "c1"), ("r1", "c2"))), Relation(("r2", "T"), (("r2", "c1"), ("r2", "c2"))),
        Relation(("T", "c1"), (("r1", "c1"), ("r2", "c1"))), Relation(("T", "c2"), (("r1", "c2"), ("r2", "c2"))),
        Relation(("T", "T"), (("r1", "T"), ("r2", "T"))), Relation(("T", "T"), (("T", "c1"), ("T", "c2"))),
    }


def test_relations_over_several_levels_and_missing_children():
    # area A = sides S1 + S2; S1 = n1 + n2; S2 = n3 (n4 has no cell). Sex T = F + M everywhere.
    geo = {"A": ["S1", "S2"], "S1": ["n1", "n2"], "S2": ["n3", "n4"]}
    cells = {(g, s): 1.0 for g in ("A", "S1", "S2", "n1", "n2", "n3") for s in ("F", "M", "T")}
    relations = derive_relations(cells, ["geo", "sex"], {"geo": geo, "sex": {"T": ["F", "M"]}})
    assert Relation(("A", "F"), (("S1", "F"), ("S2", "F"))) in relations
    assert Relation(("S1", "T"), (("n1", "T"), ("n2", "T"))) in relations
    assert Relation(("n3", "T"), (("n3", "F"), ("n3", "M"))) in relations
    assert not any(r.total[0] == "S2" and r.parts[0][0] == "n3" for r in relations)  # n4 absent: skipped
    assert len(relations) == 6 * 1 + 3 * 2  # sex at each of 6 places; A and S1 at each of 3 sexes
    with_zeros = derive_relations(cells, ["geo", "sex"], {"geo": geo, "sex": {"T": ["F", "M"]}}, missing_is_zero=True)
    assert Relation(("S2", "M"), (("n3", "M"),)) in with_zeros


def test_a_cell_recovered_by_subtraction_is_caught_and_protected_by_a_rectangle():
    interior = {("r1", "c1"): 2, ("r1", "c2"): 10, ("r1", "c3"): 4,
                ("r2", "c1"): 7, ("r2", "c2"): 20, ("r2", "c3"): 5}
    cells, relations = table(interior, ["c1", "c2", "c3"])
    primary = {("r1", "c1")}

    before = audit(cells, primary, relations)
    assert bounds(before, ("r1", "c1")) == (2, 2)  # 16 - 10 - 4
    assert not before.passed and before.weakest.key == ("r1", "c1") and before.weakest.width == pytest.approx(0)

    # The rectangle through the small column c3 (4, 5).
    secondary = {("r2", "c1"), ("r1", "c3"), ("r2", "c3")}

    after = audit(cells, primary | secondary, relations)
    # With t = (r1,c1): (r1,c3) = 6 - t, (r2,c1) = 9 - t, (r2,c3) = 3 + t, and every cell >= 0 gives t in [0, 6].
    assert bounds(after, ("r1", "c1")) == (0, 6)
    assert bounds(after, ("r1", "c3")) == (0, 6)
    assert bounds(after, ("r2", "c1")) == (3, 9)
    assert bounds(after, ("r2", "c3")) == (3, 9)
    # Each width is 6, exactly the required 2 * max(0.15 v, 3): protected; all tie, so the weakest is the first key.
    assert after.passed and after.weakest.key == ("r1", "c1")


def test_a_weakened_suppression_is_caught():
    interior = {("r1", "c1"): 2, ("r1", "c2"): 10, ("r1", "c3"): 4,
                ("r2", "c1"): 7, ("r2", "c2"): 20, ("r2", "c3"): 5}
    cells, relations = table(interior, ["c1", "c2", "c3"])
    weakened = {("r1", "c1"), ("r2", "c1"), ("r2", "c3")}  # (r1,c3) published again
    result = audit(cells, weakened, relations)
    assert not result.passed
    assert bounds(result, ("r1", "c1")) == (2, 2)  # row r1 gives it back
    assert bounds(result, ("r2", "c1")) == (7, 7)  # then column c1
    assert bounds(result, ("r2", "c3")) == (5, 5)  # then row r2
    assert [i.key for i in result.unprotected] == [("r1", "c1"), ("r2", "c1"), ("r2", "c3")]


def test_bounded_but_not_exactly_and_non_negativity_sets_the_bounds():
    # Whole interior suppressed: a=1, b=2 (row r1), c=3, d=40 (row r2). With t = a: b = 3 - t, c = 4 - t,
    # d = 39 + t; without non-negativity t is free; with it, b >= 0 gives t <= 3 and a >= 0 gives t >= 0.
    interior = {("r1", "c1"): 1, ("r1", "c2"): 2, ("r2", "c1"): 3, ("r2", "c2"): 40}
    cells, relations = table(interior, ["c1", "c2"])
    result = audit(cells, set(interior), relations)
    assert bounds(result, ("r1", "c1")) == (0, 3)
    assert bounds(result, ("r1", "c2")) == (0, 3)
    assert bounds(result, ("r2", "c1")) == (1, 4)
    assert bounds(result, ("r2", "c2")) == (39, 42)
    # Width 3 everywhere: required 6 for the small cells (ratio 0.5), 2 * 0.15 * 40 = 12 for d (ratio 0.25).
    assert not result.passed
    assert result.weakest.key == ("r2", "c2") and result.weakest.ratio == pytest.approx(0.25)
    # A looser rule: ±1 job and ±3 %: every cell needs a width of 2, or 2.4 for d, and 3 is enough.
    assert audit(cells, set(interior), relations, Protection(rel=0.03, abs_min=1)).passed


def test_a_single_suppressed_part_needs_the_smallest_other_part():
    cells = {"x1": 2, "x2": 9, "x3": 5, "T": 16}
    relations = [Relation("T", ("x1", "x2", "x3"))]
    result = audit(cells, {"x1", "x3"}, relations)
    assert bounds(result, "x1") == (0, 7) and bounds(result, "x3") == (0, 7)  # x1 + x3 = 16 - 9
    assert result.passed


def test_a_cell_in_no_relation_is_bounded_only_by_zero():
    result = audit({"alone": 4, "T": 4, "p": 4}, {"alone"}, [Relation("T", ("p",))])
    assert result.intervals["alone"].lo == 0 and result.intervals["alone"].hi == float("inf")
    assert result.passed


def test_the_same_input_in_another_order_gives_the_same_output():
    interior = {(r, c): v for (r, c), v in zip(
        [(r, c) for r in ("r1", "r2") for c in ("c1", "c2", "c3", "c4")], [3, 8, 1, 8, 6, 2, 9, 2], strict=True)}
    cells, relations = table(interior, ["c1", "c2", "c3", "c4"])
    hidden = {("r1", "c1"), ("r2", "c2"), ("r1", "c2"), ("r2", "c1")}
    shuffled = dict(reversed(list(cells.items())))
    a, b = audit(cells, hidden, relations), audit(shuffled, set(sorted(hidden, reverse=True)), list(reversed(relations)))
    assert a.intervals == b.intervals and a.weakest == b.weakest


def test_published_values_that_break_a_relation_are_refused():
    # The hidden part would have to be 10 - 12 = -2.
    with pytest.raises(ValueError, match="contradict"):
        audit({"a": 1, "b": 12, "T": 10}, {"a"}, [Relation("T", ("a", "b"))])


def test_exact_intervals_solves_only_the_cells_asked_for_and_returns_the_tables_reaching_them():
    # x1 + x2 + x3 = 32 - 20 = 12: each hidden cell is in [0, 12].
    cells = {"x1": 1, "x2": 2, "x3": 9, "x4": 20, "T": 32}
    relations = [Relation("T", ("x1", "x2", "x3", "x4"))]
    points: dict = {}
    assert exact_intervals(cells, {"x1", "x2", "x3"}, relations, ["x1"], points) == {"x1": (0, 12)}
    low, high = points["x1"]
    assert low["x1"] == -1 and high["x1"] == 11  # the tables reaching x1 = 0 and x1 = 12, as changes
    assert sum(high.values()) == 0 and sum(low.values()) == 0  # the total is published: the changes cancel
