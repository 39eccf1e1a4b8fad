-- ONSS jobs (or units) of one year, each row classified: territory, family, activity, sex, age, and an outcome.
-- Parameters: $year. Input table: {input}. Juridical forms are checked against the KBO code.csv (src.be_kbo_codes).
-- Activity: NACE_VERSION 2008 gives the NACE Rev. 2 class (first four digits of NACE); 2025 gives the NACE Rev. 2.1
-- class, read as a Rev. 2 class through nom.nace21_classes (never as a Rev. 2 code). A*10 and exclusion are decided
-- on the Rev. 2 class.
WITH delivered AS (
    SELECT i.*,
           CASE i.nace_version WHEN '2008' THEN left(i.nace, 2) || '.' || substr(i.nace, 3, 2)
                               WHEN '2025' THEN c.read_as END AS nace_class,
           c.read_as IS NOT NULL AS nace2025,
           coalesce(c.ambiguous, false) AS nace2025_ambiguous
    FROM {input} i
    LEFT JOIN nom.nace21_classes c
      ON i.nace_version = '2025' AND c.nace21_class = left(i.nace, 2) || '.' || substr(i.nace, 3, 2)
    WHERE i.year = $year
),
excluded_classes AS (
    SELECT DISTINCT c.nace_class
    FROM (SELECT DISTINCT nace_class FROM delivered WHERE nace_class IS NOT NULL) c
    JOIN nom.activity_exclusions e ON starts_with(c.nace_class, e.nace_prefix)
),
forms AS (
    SELECT DISTINCT juridical_form, accreditation, string_split(accreditation, '+') AS accreditations
    FROM delivered
),
-- The rule of lowest priority; a tie is broken on the family so that no build depends on the order rows arrive in.
form_family AS (
    SELECT f.juridical_form, f.accreditation, first(r.family ORDER BY CAST(r.priority AS INTEGER), r.family) AS family
    FROM forms f
    JOIN nom.be_legal_forms r
      ON (r.juridical_form = f.juridical_form OR r.juridical_form = '*')
     AND (r.accreditation = '' OR list_contains(f.accreditations, r.accreditation))
    GROUP BY ALL
),
-- A cooperative's type (nom.be_cooperative_types): the rule of lowest priority among those of its form (or of any
-- form, '*') whose accreditation it holds (or that need none).
form_coop_type AS (
    SELECT f.juridical_form, f.accreditation,
           first(r.coop_type ORDER BY CAST(r.priority AS INTEGER), r.coop_type) AS coop_type
    FROM forms f
    JOIN nom.be_cooperative_types r
      ON (r.juridical_form = f.juridical_form OR r.juridical_form = '*')
     AND (r.accreditation = '' OR list_contains(f.accreditations, r.accreditation))
    GROUP BY ALL
),
classified_forms AS (
    SELECT f.juridical_form, f.accreditation, coalesce(ff.family, 'NONE') AS family,
           CASE WHEN ff.family = 'COOP' THEN ct.coop_type END AS coop_type,
           EXISTS (SELECT 1 FROM src.be_kbo_codes k WHERE k.category = 'JuridicalForm' AND k.code = f.juridical_form)
               AS form_known,
           EXISTS (SELECT 1 FROM nom.be_national_definition n
                   WHERE (n.family = coalesce(ff.family, 'NONE') OR n.family = '*')
                     AND (n.accreditation_required = '' OR list_contains(f.accreditations, n.accreditation_required)))
               AS national
    FROM forms f LEFT JOIN form_family ff USING (juridical_form, accreditation)
    LEFT JOIN form_coop_type ct USING (juridical_form, accreditation)
)
SELECT
    j.file_name, j.line, j.year, 'BE' AS country,
    ar.nuts3 AS geo,
    CASE
        WHEN ar.arrondissement IS NULL THEN 'rejected'
        WHEN ar.in_area <> 'true' THEN 'outside_area'
        WHEN NOT cf.form_known OR nd.division IS NULL THEN 'rejected'
        ELSE 'used'
    END AS outcome,
    CASE
        WHEN ar.arrondissement IS NULL THEN 'unknown arrondissement in REFNIS'
        WHEN ar.in_area <> 'true' THEN NULL
        WHEN NOT cf.form_known THEN 'juridical form unknown to the KBO code list'
        WHEN j.nace_version = '2025' AND j.nace_class IS NULL THEN 'NACE-BEL 2025 code whose NACE Rev. 2.1 class '
            || left(j.nace, 2) || '.' || substr(j.nace, 3, 2) || ' is not in the correspondence NACE Rev. 2.1 -> Rev. 2'
        WHEN nd.division IS NULL THEN 'unknown NACE division'
    END AS reason,
    cf.family,
    cf.coop_type,
    coalesce(x.excluded, false) AS excluded,
    cf.national,
    a.nace_a10,
    {sex_age}
    j.* EXCLUDE (file_name, line, year)
FROM delivered j
JOIN classified_forms cf USING (juridical_form, accreditation)
LEFT JOIN nom.be_arrondissements ar ON ar.arrondissement = left(j.refnis, 2)
LEFT JOIN nom.nace_divisions nd ON nd.division = left(j.nace_class, 2)
LEFT JOIN nom.nace_a10 a ON a.division_from <> '' AND a.nace_a10 <> 'UNK'
    AND CAST(left(j.nace_class, 2) AS INTEGER) BETWEEN CAST(a.division_from AS INTEGER) AND CAST(a.division_to AS INTEGER)
LEFT JOIN (SELECT nace_class, true AS excluded FROM excluded_classes) x ON x.nace_class = j.nace_class
{sex_age_joins}
