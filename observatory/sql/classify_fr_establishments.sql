-- SIRENE active establishments (aggregated by the source step), classified; registry counts are never suppressed.
SELECT
    e.*,
    d.nuts3 AS geo,
    CASE
        WHEN e.depcom = '' THEN 'outside_area'
        WHEN d.dep IS NULL THEN 'rejected'
        WHEN d.in_area <> 'true' THEN 'outside_area'
        WHEN l2.code2 IS NULL THEN 'rejected'
        ELSE 'used'
    END AS outcome,
    CASE
        WHEN e.depcom = '' OR d.in_area = 'false' THEN NULL
        WHEN d.dep IS NULL THEN 'unknown département in codeCommuneEtablissement'
        WHEN l2.code2 IS NULL THEN 'unknown categorieJuridiqueUniteLegale (level II ' || left(e.cj, 2) || ')'
    END AS reason,
    CASE
        WHEN f.family IS NOT NULL THEN f.family
        WHEN e.ess_flag = 'O' THEN 'SOCENT'
        ELSE 'NONE'
    END AS family,
    coalesce(x.excluded, false) AS excluded,
    CASE WHEN e.activity_nomenclature = 'NAFRev2' AND nd.division IS NOT NULL THEN a.nace_a10 ELSE 'UNK' END
        AS nace_a10
FROM (
    SELECT *, CASE WHEN depcom LIKE '97%' THEN left(depcom, 3) ELSE left(depcom, 2) END AS dep_code,
           left(activity, 5) AS nace_class
    FROM src.fr_sirene_establishments
) e
LEFT JOIN nom.fr_departments d ON d.dep = e.dep_code
LEFT JOIN nom.fr_legal_categories_level2 l2 ON l2.code2 = left(e.cj, 2)
LEFT JOIN nom.fr_legal_forms f ON f.cj = e.cj
LEFT JOIN nom.nace_divisions nd ON nd.division = left(e.activity, 2)
LEFT JOIN nom.nace_a10 a ON a.division_from <> '' AND a.nace_a10 NOT IN ('TOTAL', 'UNK')
    AND TRY_CAST(left(e.activity, 2) AS INTEGER) BETWEEN CAST(a.division_from AS INTEGER) AND CAST(a.division_to AS INTEGER)
LEFT JOIN (
    SELECT DISTINCT c.nace_class, true AS excluded
    FROM (SELECT DISTINCT left(activity, 5) AS nace_class FROM src.fr_sirene_establishments
          WHERE activity_nomenclature = 'NAFRev2') c
    JOIN nom.activity_exclusions e ON starts_with(c.nace_class, e.nace_prefix)
) x ON x.nace_class = e.nace_class AND e.activity_nomenclature = 'NAFRev2'
