-- KBO active establishment units (aggregated by the source step), classified. Accreditations (CNC, ES) are not in
-- the open data, so the registry families use the juridical form alone.
WITH forms AS (
    SELECT DISTINCT juridical_form FROM src.be_kbo_establishments
),
form_family AS (
    SELECT f.juridical_form, arg_min(r.family, CAST(r.priority AS INTEGER)) AS family
    FROM forms f JOIN nom.be_legal_forms r ON r.juridical_form = f.juridical_form AND r.accreditation = ''
    GROUP BY ALL
)
SELECT
    e.*,
    p.nuts3 AS geo,
    CASE
        WHEN e.foreign THEN 'outside_area'
        WHEN e.postcode = '' THEN 'rejected'
        WHEN p.postcode IS NULL THEN 'rejected'
        WHEN g.geo IS NULL THEN 'outside_area'
        WHEN e.juridical_form <> '' AND k.code IS NULL THEN 'rejected'
        ELSE 'used'
    END AS outcome,
    CASE
        WHEN e.foreign OR (p.postcode IS NOT NULL AND g.geo IS NULL) THEN NULL
        WHEN e.postcode = '' THEN 'establishment unit without a Belgian address (BAET)'
        WHEN p.postcode IS NULL THEN 'postcode unknown to the TERCET postcode-NUTS table'
        WHEN e.juridical_form <> '' AND k.code IS NULL THEN 'juridical form unknown to the KBO code list'
    END AS reason,
    coalesce(ff.family, 'NONE') AS family,
    coalesce(x.excluded, false) AS excluded,
    CASE WHEN e.nace_version = '2008' AND nd.division IS NOT NULL THEN a.nace_a10 ELSE 'UNK' END AS nace_a10
FROM (
    SELECT *, left(nace_code, 2) || '.' || substr(nace_code, 3, 2) AS nace_class FROM src.be_kbo_establishments
) e
LEFT JOIN nom.be_postcode_nuts3 p ON p.postcode = e.postcode
LEFT JOIN nom.geo g ON g.geo = p.nuts3 AND g.geo_level = 'NUTS3'
LEFT JOIN (SELECT DISTINCT code FROM src.be_kbo_codes WHERE category = 'JuridicalForm') k ON k.code = e.juridical_form
LEFT JOIN form_family ff ON ff.juridical_form = e.juridical_form
LEFT JOIN nom.nace_divisions nd ON nd.division = left(e.nace_code, 2)
LEFT JOIN nom.nace_a10 a ON a.division_from <> '' AND a.nace_a10 NOT IN ('TOTAL', 'UNK')
    AND TRY_CAST(left(e.nace_code, 2) AS INTEGER) BETWEEN CAST(a.division_from AS INTEGER)
        AND CAST(a.division_to AS INTEGER)
LEFT JOIN (
    SELECT DISTINCT c.nace_class, true AS excluded
    FROM (SELECT DISTINCT left(nace_code, 2) || '.' || substr(nace_code, 3, 2) AS nace_class
          FROM src.be_kbo_establishments WHERE nace_version = '2008') c
    JOIN nom.activity_exclusions e ON starts_with(c.nace_class, e.nace_prefix)
) x ON x.nace_class = e.nace_class AND e.nace_version = '2008'
