-- FLORES jobs (or units) of one year, each row classified: territory, family, activity, sex, age, and an outcome.
-- Parameters: $year. Input table: {input}. Output: one row per input row.
-- Activity: APET in NAF rev. 2 (naf_version NAFRev2) gives the NACE Rev. 2 class (8810A -> 88.10); APET in NAF 2025
-- (naf_version NAF2025) gives the NACE Rev. 2.1 class, read as a Rev. 2 class through nom.nace21_classes (never as a
-- Rev. 2 code). A*10 and exclusion are decided on the Rev. 2 class. A cooperative's type: nom.fr_cooperative_types.
WITH delivered AS (
    SELECT i.*, CASE WHEN i.depcom LIKE '97%' THEN left(i.depcom, 3) ELSE left(i.depcom, 2) END AS dep_code,
           CASE i.naf_version WHEN 'NAFRev2' THEN left(i.apet, 2) || '.' || substr(i.apet, 3, 2)
                              WHEN 'NAF2025' THEN c.read_as END AS nace_class,
           c.read_as IS NOT NULL AS nace2025,
           coalesce(c.ambiguous, false) AS nace2025_ambiguous
    FROM {input} i
    LEFT JOIN nom.nace21_classes c
      ON i.naf_version = 'NAF2025' AND c.nace21_class = left(i.apet, 2) || '.' || substr(i.apet, 3, 2)
    WHERE i.year = $year
)
SELECT
    j.file_name, j.line, j.year, 'FR' AS country,
    d.nuts3 AS geo,
    CASE
        WHEN d.dep IS NULL THEN 'rejected'
        WHEN d.in_area <> 'true' THEN 'outside_area'
        WHEN l2.code2 IS NULL OR nd.division IS NULL THEN 'rejected'
        ELSE 'used'
    END AS outcome,
    CASE
        WHEN d.dep IS NULL THEN 'unknown département in DEPCOM'
        WHEN d.in_area <> 'true' THEN NULL
        WHEN l2.code2 IS NULL THEN 'unknown legal category CJ (level II ' || left(j.cj, 2) || ' not in the INSEE list)'
        WHEN j.naf_version = 'NAF2025' AND j.nace_class IS NULL THEN 'NAF 2025 code in APET whose NACE Rev. 2.1 class '
            || left(j.apet, 2) || '.' || substr(j.apet, 3, 2) || ' is not in the correspondence NACE Rev. 2.1 -> Rev. 2'
        WHEN nd.division IS NULL THEN 'unknown NACE division in APET'
    END AS reason,
    coalesce(f.family, 'NONE') AS family,
    CASE WHEN f.family = 'COOP' THEN ct.coop_type END AS coop_type,
    coalesce(x.excluded, false) AS excluded,
    a.nace_a10,
    {sex_age}
    j.* EXCLUDE (file_name, line, year)
FROM delivered j
LEFT JOIN nom.fr_departments d ON d.dep = j.dep_code
LEFT JOIN nom.fr_legal_categories_level2 l2 ON l2.code2 = left(j.cj, 2)
LEFT JOIN nom.fr_legal_forms f ON f.cj = j.cj
LEFT JOIN nom.fr_cooperative_types ct ON ct.cj = j.cj
LEFT JOIN nom.nace_divisions nd ON nd.division = left(j.nace_class, 2)
LEFT JOIN nom.nace_a10 a ON a.division_from <> '' AND a.nace_a10 <> 'UNK'
    AND CAST(left(j.nace_class, 2) AS INTEGER) BETWEEN CAST(a.division_from AS INTEGER) AND CAST(a.division_to AS INTEGER)
LEFT JOIN (
    SELECT DISTINCT c.nace_class, true AS excluded
    FROM (SELECT DISTINCT nace_class FROM delivered WHERE nace_class IS NOT NULL) c
    JOIN nom.activity_exclusions e ON starts_with(c.nace_class, e.nace_prefix)
) x ON x.nace_class = j.nace_class
{sex_age_joins}
