"""Secondary suppression and the attacker (observatory.disclosure), on hand-made tables with hand-computed intervals,
and on the sample build."""

import duckdb
import numpy as np

from observatory import disclosure
from observatory.config import Thresholds
from observatory.disclosure import REST, Certificate, Cube, Dimension
from observatory.suppression import Protection

# A small table: three territories of one area, two families of the social economy, nothing else broken down.
GEO = Dimension("geo", ("G", "G1", "G2", "G3"), {"G1": "G", "G2": "G", "G3": "G"})
FAMILY = Dimension("family", ("ALL", "ESS", REST, "F1", "F2"), {"ESS": "ALL", REST: "ALL", "F1": "ESS", "F2": "ESS"})
DIMS = (GEO, FAMILY, Dimension("nace_a10", ("TOTAL",), {}), Dimension("sex", ("T",), {}),
        Dimension("age_band", ("TOTAL",), {}))
#         F1  F2  ESS  ALL (REST = ALL - ESS = 100 everywhere)
TABLE = {"G1": (2, 10, 12, 112), "G2": (8, 9, 17, 117), "G3": (20, 30, 50, 150), "G": (30, 49, 79, 379)}


def small_cube(hidden: set[tuple[str, str]] = frozenset(), primary: set[tuple[str, str]] = frozenset({("G1", "F1")})
               ) -> Cube:
    rows = []
    for geo, values in TABLE.items():
        for family, jobs in zip(("F1", "F2", "ESS", "ALL"), values, strict=True):
            cell = (geo, family)
            rows.append((geo, family, "TOTAL", "T", "TOTAL", jobs, cell in primary, cell in hidden))
    return Cube.from_rows(DIMS, rows)


def key(geo: str, family: str) -> tuple[str, ...]:
    return (geo, family, "TOTAL", "T", "TOTAL")


def test_the_vectors_of_a_dimension_keep_its_sums():
    sex = Dimension("sex", ("T", "F", "M"), {"F": "T", "M": "T"})
    assert sex.patterns("F") == [(("F",), ("M",)), (("F", "T"), ())]
    assert sex.patterns("T") == [(("T", "F"), ()), (("T", "M"), ())]
    # ASSOC with a sibling at -1; with ESS, which meets REST at -1 or takes ALL along.
    assert FAMILY.patterns("F1") == [(("F1",), ("F2",)), (("F1", "ESS"), (REST,)), (("F1", "ESS", "ALL"), ())]
    # A total goes down to one child: ESS through F1 or F2.
    assert (("ESS", "F2"), (REST,)) in FAMILY.patterns("ESS")


def test_the_cheapest_hypercube_is_suppressed_and_the_interval_is_the_one_computed_by_hand():
    cube = small_cube()
    result = disclosure.suppress_year(cube, Protection())
    # G1 F1 = 2 must move by 2·max(0.15·2, 3) = 6. The rectangle G1/G2 × F1/F2 hides 10 + 8 + 9 = 27 jobs; with G3
    # it would hide 10 + 20 + 30; through ESS, the headline cells.
    assert sorted(result.secondary) == [key("G1", "F2"), key("G2", "F1"), key("G2", "F2")]
    assert result.unprotected == []
    # By hand, x = G1 F1: G1 F2 = 12 - x, G2 F1 = 10 - x, G2 F2 = 7 + x, all >= 0: x in [0, 10].
    (audit,) = disclosure.audit_year(2024, cube, Protection(),
                                     [c for pair in result.certificates.values() for c in pair])
    assert (audit.lo, audit.hi, audit.required, audit.protected) == (0, 10, 6, True)
    assert audit.exact  # the weakest cell's interval comes from the LP


def test_each_hypercube_evaluated_is_one_vector_of_each_dimension_with_its_signs():
    import itertools

    cube = small_cube()
    search = disclosure._Search(cube)
    at = cube.at(key("G1", "F1"))
    options = search.candidates(at, None)
    found = search.evaluate(at, None)
    # Written out with itertools, the first dimension's vector varying slowest, as the rows of evaluate().
    expected = []
    for choice in itertools.product(*options):
        corners = [search._padded(k, at[k])[0][row] for k, row in enumerate(choice)]
        signs = [search._padded(k, at[k])[1][row] for k, row in enumerate(choice)]
        signed = {}
        for point, sign in zip(itertools.product(*corners), itertools.product(*signs), strict=True):
            if np.prod(sign):
                signed[cube.key(point)] = int(np.prod(sign))
        expected.append(signed)
    got = [{cube.key(np.unravel_index(f, cube.value.shape)): int(s)
            for f, s, m in zip(flat, sign, mask, strict=True) if m}
           for flat, sign, mask in zip(found["flat"], found["sign"], found["mask"], strict=True)]
    assert got == expected
    # Among them the rectangle G1/G2 × F1/F2 of the test below, by hand.
    assert {key("G1", "F1"): 1, key("G1", "F2"): -1, key("G2", "F1"): -1, key("G2", "F2"): 1} in got


def test_the_attacker_catches_a_weakened_suppression():
    cube = small_cube()
    result = disclosure.suppress_year(cube, Protection())
    certificates = [c for pair in result.certificates.values() for c in pair]
    cube.hidden[cube.at(key("G2", "F2"))] = False  # published after all: G2 F1 = 17 - 9, then G1 F1 = 10 - 8
    (audit,) = disclosure.audit_year(2024, cube, Protection(), certificates)
    assert (audit.lo, audit.hi, audit.exact, audit.protected) == (2, 2, True, False)
    assert "pinned to [2, 2]" in audit.describe() and "geo=G1, family=F1" in audit.describe()


def test_a_certificate_is_verified_not_trusted():
    cube = small_cube(hidden={("G1", "F2"), ("G2", "F1"), ("G2", "F2")})
    attacker = disclosure.YearAudit(2024, cube)
    flat = {k: int(np.ravel_multi_index(cube.at(k), cube.value.shape))
            for k in (key("G1", "F1"), key("G1", "F2"), key("G2", "F1"), key("G2", "F2"))}
    rectangle = Certificate(key("G1", "F1"), np.array(list(flat.values())), np.array([1.0, -1.0, -1.0, 1.0]), 0, 0)
    # Breaks the column F1 (G1 F1 rises, nothing falls): a forged certificate proves nothing.
    forged = Certificate(key("G1", "F1"), np.array([flat[key("G1", "F1")], flat[key("G1", "F2")]]),
                         np.array([1.0, -1.0]), 0, 0)
    t_up, t_down = attacker.verifier.verify([rectangle, forged])
    assert (t_up.tolist(), t_down.tolist()) == ([8.0, 0.0], [2.0, 0.0])


def test_the_key_figures_go_only_as_a_last_resort():
    # ±1000 jobs: no rectangle of cells has that room; only hiding the way up to the totals (which then can be
    # anything above their parts) protects G1 F1.
    cube = small_cube()
    result = disclosure.suppress_year(cube, Protection(rel=0.15, abs_min=1000))
    assert result.unprotected == []
    assert key("G", "ESS") in result.secondary
    up, _ = result.certificates[key("G1", "F1")]
    assert up.t_up == np.inf
    # With the default ±3 the key figures stay published.
    assert key("G", "ESS") not in disclosure.suppress_year(small_cube(), Protection()).secondary


# --- On the sample build ----------------------------------------------------------------------------------------


def test_the_sample_build_passes_the_audit_with_primary_and_secondary_codes(sample_build):
    con = duckdb.connect(str(sample_build.warehouse / "observatory.duckdb"), read_only=True)
    try:
        verdict = con.execute("SELECT disclosure_audit FROM meta.release").fetchone()[0]
        codes = dict(con.execute("SELECT conf_status, count(*) FROM mart.jobs GROUP BY ALL").fetchall())
        leaked = con.execute("SELECT count(*) FROM mart.jobs WHERE conf_status IS NOT NULL "
                             "AND (jobs IS NOT NULL OR fte IS NOT NULL)").fetchone()[0]
        headline = con.execute("SELECT count(*) FROM mart.jobs WHERE geo_level = 'AREA' AND family IN ('ESS', 'ALL') "
                               "AND nace_a10 = 'TOTAL' AND sex = 'T' AND age_band = 'TOTAL' "
                               "AND conf_status IS NOT NULL").fetchone()[0]
    finally:
        con.close()
    assert verdict.startswith("passed: ")
    assert set(codes) == {None, "A", "O", "D"} and codes["D"] > 0
    assert leaked == 0
    assert headline == 0  # the area's and each side's ESS and all jobs stay published


def test_a_published_indicator_uses_only_published_cells(sample_build):
    con = duckdb.connect(str(sample_build.warehouse / "observatory.duckdb"), read_only=True)
    try:
        bad = con.execute(
            """SELECT i.year, i.geo, i.indicator FROM mart.indicators i
               JOIN mart.jobs j ON j.year = i.year AND j.geo = i.geo AND j.nace_a10 = 'TOTAL'
                   AND j.age_band = 'TOTAL' AND (j.family, j.sex) IN (('ESS', 'T'), ('ESS', 'F'))
               WHERE i.indicator = 'ess_women_share' AND i.value IS NOT NULL AND j.jobs IS NULL""").fetchall()
        inherited = con.execute(
            """SELECT count(*) FROM mart.indicators i JOIN mart.jobs j ON j.year = i.year AND j.geo = i.geo
               AND j.family = 'ESS' AND j.nace_a10 = 'TOTAL' AND j.sex = 'T' AND j.age_band = 'TOTAL'
               WHERE i.indicator = 'ess_jobs' AND i.conf_status IS DISTINCT FROM j.conf_status""").fetchone()[0]
    finally:
        con.close()
    assert bad == [] and inherited == 0


def test_the_certificates_are_no_wider_than_the_exact_intervals(sample_build):
    """On the sample's working database, for the cells the certificates protect least: the LP interval holds the
    certificate's (a certificate is a table the published values cannot tell apart from the true one)."""
    con = duckdb.connect(str(sample_build.warehouse / "staging.duckdb"), read_only=True)
    try:
        dims = disclosure.dimensions(duckdb.connect())
        year = con.execute("SELECT max(year) FROM work.jobs_cells").fetchone()[0]
        cube = disclosure._cube(con, dims, year, published=True)
        attacker = disclosure.YearAudit(year, cube)
        certified = attacker.certified(disclosure.protection_of(Thresholds()),
                                       disclosure._load_certificates(con, dims).get(year, []))
    finally:
        con.close()
    weakest = sorted(certified, key=lambda c: (c.ratio, c.cell))[:2]
    exact = {c.cell: c for c in attacker.exact(disclosure.protection_of(Thresholds()), [c.cell for c in weakest])}
    for c in weakest:
        assert exact[c.cell].lo <= c.lo + 1e-6 and exact[c.cell].hi >= c.hi - 1e-6
        assert exact[c.cell].protected
