-- SIRENE active establishments (aggregated by département by the source step, sirene.py), classified; registry counts
-- are never suppressed. Outcome, reason and family: the macros of macros.sql, shared with classify_fr_demography.sql.
-- Activity: an establishment with a NAF rev. 2 code (nomenclature NAFRev2) is classified on it (88.10A -> 88.10);
-- otherwise on its NAF 2025 code (activity_naf25, see sirene.py), whose NACE Rev. 2.1 class is read as a Rev. 2 class
-- through nom.nace21_classes (never as a Rev. 2 code); otherwise UNK. A*10 and exclusion are decided on the Rev. 2
-- class.
WITH establishments AS (
    SELECT s.*,
           CASE WHEN s.activity_nomenclature = 'NAFRev2' THEN left(s.activity, 5) ELSE c.read_as END AS nace_class,
           s.activity_nomenclature <> 'NAFRev2' AND c.read_as IS NOT NULL AS nace2025,
           s.activity_nomenclature <> 'NAFRev2' AND coalesce(c.ambiguous, false) AS nace2025_ambiguous
    FROM src.fr_sirene_establishments s
    LEFT JOIN nom.nace21_classes c ON c.nace21_class = left(s.activity_naf25, 5)
)
SELECT
    e.*,
    d.nuts3 AS geo,
    fr_outcome(e.dep_code, d.dep, d.in_area, l2.code2) AS outcome,
    fr_reason(e.dep_code, d.dep, d.in_area, l2.code2, e.cj, 'unknown département in codeCommuneEtablissement') AS reason,
    fr_family(f.family, e.ess_flag) AS family,
    -- The cooperative type (COOP_WORKER, ...) of a cooperative, by its legal category (fr_cooperative_types.csv).
    CASE WHEN f.family = 'COOP' THEN ct.coop_type END AS coop_type,
    coalesce(x.excluded, false) AS excluded,
    CASE WHEN nd.division IS NOT NULL THEN a.nace_a10 ELSE 'UNK' END AS nace_a10
FROM establishments e
LEFT JOIN nom.fr_departments d ON d.dep = e.dep_code
LEFT JOIN nom.fr_legal_categories_level2 l2 ON l2.code2 = left(e.cj, 2)
LEFT JOIN nom.fr_legal_forms f ON f.cj = e.cj
LEFT JOIN nom.fr_cooperative_types ct ON ct.cj = e.cj
LEFT JOIN nom.nace_divisions nd ON nd.division = left(e.nace_class, 2)
LEFT JOIN nom.nace_a10 a ON a.division_from <> '' AND a.nace_a10 NOT IN ('TOTAL', 'UNK')
    AND TRY_CAST(left(e.nace_class, 2) AS INTEGER) BETWEEN CAST(a.division_from AS INTEGER) AND CAST(a.division_to AS INTEGER)
LEFT JOIN (
    SELECT DISTINCT c.nace_class, true AS excluded
    FROM (SELECT DISTINCT nace_class FROM establishments WHERE nace_class IS NOT NULL) c
    JOIN nom.activity_exclusions e ON starts_with(c.nace_class, e.nace_prefix)
) x ON x.nace_class = e.nace_class
