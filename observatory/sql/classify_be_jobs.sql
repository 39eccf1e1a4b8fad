-- ONSS jobs (or units) of one year, each row classified: territory, family, activity, sex, age, and an outcome.
-- Parameters: $year. Input table: {input}. Juridical forms are checked against the KBO code.csv (src.be_kbo_codes).
WITH forms AS (
    SELECT DISTINCT juridical_form, accreditation, string_split(accreditation, '+') AS accreditations
    FROM {input} WHERE year = $year
),
form_family AS (
    SELECT f.juridical_form, f.accreditation, arg_min(r.family, CAST(r.priority AS INTEGER)) AS family
    FROM forms f
    JOIN nom.be_legal_forms r
      ON (r.juridical_form = f.juridical_form OR r.juridical_form = '*')
     AND (r.accreditation = '' OR list_contains(f.accreditations, r.accreditation))
    GROUP BY ALL
),
classified_forms AS (
    SELECT f.juridical_form, f.accreditation, coalesce(ff.family, 'NONE') AS family,
           EXISTS (SELECT 1 FROM src.be_kbo_codes k WHERE k.category = 'JuridicalForm' AND k.code = f.juridical_form)
               AS form_known,
           EXISTS (SELECT 1 FROM nom.be_national_definition n
                   WHERE (n.family = coalesce(ff.family, 'NONE') OR n.family = '*')
                     AND (n.accreditation_required = '' OR list_contains(f.accreditations, n.accreditation_required)))
               AS national
    FROM forms f LEFT JOIN form_family ff USING (juridical_form, accreditation)
)
SELECT
    j.file_name, j.line, j.year, 'BE' AS country,
    ar.nuts3 AS geo,
    CASE
        WHEN ar.arrondissement IS NULL THEN 'rejected'
        WHEN ar.in_area <> 'true' THEN 'outside_area'
        WHEN NOT cf.form_known OR j.nace_version <> '2008' OR nd.division IS NULL THEN 'rejected'
        ELSE 'used'
    END AS outcome,
    CASE
        WHEN ar.arrondissement IS NULL THEN 'unknown arrondissement in REFNIS'
        WHEN ar.in_area <> 'true' THEN NULL
        WHEN NOT cf.form_known THEN 'juridical form unknown to the KBO code list'
        WHEN j.nace_version <> '2008' THEN 'NACE-BEL ' || j.nace_version
            || ' code kept out: no conversion to NACE Rev. 2 is configured'
        WHEN nd.division IS NULL THEN 'unknown NACE division'
    END AS reason,
    cf.family,
    coalesce(x.excluded, false) AS excluded,
    cf.national,
    a.nace_a10,
    {sex_age}
    j.* EXCLUDE (file_name, line, year)
FROM (
    SELECT *, left(nace, 2) || '.' || substr(nace, 3, 2) AS nace_class FROM {input} WHERE year = $year
) j
JOIN classified_forms cf USING (juridical_form, accreditation)
LEFT JOIN nom.be_arrondissements ar ON ar.arrondissement = left(j.refnis, 2)
LEFT JOIN nom.nace_divisions nd ON nd.division = left(j.nace, 2)
LEFT JOIN nom.nace_a10 a ON a.division_from <> '' AND a.nace_a10 <> 'UNK'
    AND CAST(left(j.nace, 2) AS INTEGER) BETWEEN CAST(a.division_from AS INTEGER) AND CAST(a.division_to AS INTEGER)
LEFT JOIN (
    SELECT DISTINCT c.nace_class, true AS excluded
    FROM (SELECT DISTINCT left(nace, 2) || '.' || substr(nace, 3, 2) AS nace_class FROM {input}) c
    JOIN nom.activity_exclusions e ON starts_with(c.nace_class, e.nace_prefix)
) x ON x.nace_class = j.nace_class
{sex_age_joins}
