-- KBO active establishment units (aggregated by the source step), classified. Accreditations (CNC, ES) are not in
-- the open data, so the registry families use the juridical form alone.
-- Activity: the NACE Rev. 2 class of a NACE-BEL 2008 code (first four digits); a NACE-BEL 2025 code (5 or 7 digits,
-- the first four the NACE Rev. 2.1 class) is read through nom.nace21_classes, never as a Rev. 2 code. The source step
-- already prefers the 2008 MAIN activity. The A*10 group and the exclusion are decided on the Rev. 2 class.
WITH units AS (
    SELECT k.*,
           CASE k.nace_version WHEN '2008' THEN left(k.nace_code, 2) || '.' || substr(k.nace_code, 3, 2)
                               WHEN '2025' THEN c.read_as END AS nace_class,
           c.read_as IS NOT NULL AS nace2025,
           coalesce(c.ambiguous, false) AS nace2025_ambiguous
    FROM src.be_kbo_establishments k
    LEFT JOIN nom.nace21_classes c
      ON k.nace_version = '2025' AND c.nace21_class = left(k.nace_code, 2) || '.' || substr(k.nace_code, 3, 2)
),
excluded_classes AS (
    SELECT DISTINCT c.nace_class
    FROM (SELECT DISTINCT nace_class FROM units WHERE nace_class IS NOT NULL) c
    JOIN nom.activity_exclusions e ON starts_with(c.nace_class, e.nace_prefix)
)
SELECT
    e.*,
    p.nuts3 AS geo,
    be_outcome(e.foreign, e.postcode, p.postcode, g.geo, e.juridical_form, k.code) AS outcome,
    be_reason(e.foreign, e.postcode, p.postcode, g.geo, e.juridical_form, k.code,
              'establishment unit without a Belgian address (BAET)') AS reason,
    coalesce(fc.family, 'NONE') AS family,
    fc.coop_type,
    x.nace_class IS NOT NULL AS excluded,
    CASE WHEN nd.division IS NOT NULL THEN a.nace_a10 ELSE 'UNK' END AS nace_a10
FROM units e
LEFT JOIN nom.be_postcode_nuts3 p ON p.postcode = e.postcode
LEFT JOIN nom.geo g ON g.geo = p.nuts3 AND g.geo_level = 'NUTS3'
LEFT JOIN (SELECT DISTINCT code FROM src.be_kbo_codes WHERE category = 'JuridicalForm') k ON k.code = e.juridical_form
-- Outcome and reason (be_outcome, be_reason), family and cooperative type (be_form_classes): be_registry.sql.
LEFT JOIN be_form_classes() fc ON fc.juridical_form = e.juridical_form
LEFT JOIN nom.nace_divisions nd ON nd.division = left(e.nace_class, 2)
LEFT JOIN nom.nace_a10 a ON a.division_from <> '' AND a.nace_a10 NOT IN ('TOTAL', 'UNK')
    AND TRY_CAST(left(e.nace_class, 2) AS INTEGER) BETWEEN CAST(a.division_from AS INTEGER)
        AND CAST(a.division_to AS INTEGER)
LEFT JOIN excluded_classes x ON x.nace_class = e.nace_class
