-- FLORES jobs (or units) of one year, each row classified: territory, family, activity, sex, age, and an outcome.
-- Parameters: $year. Input table: {input}. Output: one row per input row.
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
        WHEN nd.division IS NULL THEN 'unknown NACE division in APET'
    END AS reason,
    coalesce(f.family, 'NONE') AS family,
    coalesce(x.excluded, false) AS excluded,
    a.nace_a10,
    {sex_age}
    j.* EXCLUDE (file_name, line, year)
FROM (
    SELECT *, CASE WHEN depcom LIKE '97%' THEN left(depcom, 3) ELSE left(depcom, 2) END AS dep_code,
           left(apet, 2) || '.' || substr(apet, 3, 2) AS nace_class
    FROM {input} WHERE year = $year
) j
LEFT JOIN nom.fr_departments d ON d.dep = j.dep_code
LEFT JOIN nom.fr_legal_categories_level2 l2 ON l2.code2 = left(j.cj, 2)
LEFT JOIN nom.fr_legal_forms f ON f.cj = j.cj
LEFT JOIN nom.nace_divisions nd ON nd.division = left(j.apet, 2)
LEFT JOIN nom.nace_a10 a ON a.division_from <> '' AND a.nace_a10 <> 'UNK'
    AND CAST(left(j.apet, 2) AS INTEGER) BETWEEN CAST(a.division_from AS INTEGER) AND CAST(a.division_to AS INTEGER)
LEFT JOIN (
    SELECT DISTINCT c.nace_class, true AS excluded
    FROM (SELECT DISTINCT left(apet, 2) || '.' || substr(apet, 3, 2) AS nace_class FROM {input}) c
    JOIN nom.activity_exclusions e ON starts_with(c.nace_class, e.nace_prefix)
) x ON x.nace_class = j.nace_class
{sex_age_joins}
