-- SIRENE legal units for the enterprise demography (counted by the source step, sirene.py), classified like the
-- establishments (classify_fr_establishments.sql): territory by the département of the head office, family by the
-- legal category (else SOCENT when flagged ESS), cooperative type. No activity is read, so no activity exclusion.
SELECT
    u.*,
    d.nuts3 AS geo,
    CASE
        WHEN u.dep_code = '' THEN 'outside_area'
        WHEN d.dep IS NULL THEN 'rejected'
        WHEN d.in_area <> 'true' THEN 'outside_area'
        WHEN l2.code2 IS NULL THEN 'rejected'
        ELSE 'used'
    END AS outcome,
    CASE
        WHEN u.dep_code = '' OR d.in_area = 'false' THEN NULL
        WHEN d.dep IS NULL THEN 'unknown département of the head office (codeCommuneEtablissement)'
        WHEN l2.code2 IS NULL THEN 'unknown categorieJuridiqueUniteLegale (level II ' || left(u.cj, 2) || ')'
    END AS reason,
    CASE
        WHEN f.family IS NOT NULL THEN f.family
        WHEN u.ess_flag = 'O' THEN 'SOCENT'
        ELSE 'NONE'
    END AS family,
    CASE WHEN f.family = 'COOP' THEN ct.coop_type END AS coop_type
FROM src.fr_sirene_unit_demography u
LEFT JOIN nom.fr_departments d ON d.dep = u.dep_code
LEFT JOIN nom.fr_legal_categories_level2 l2 ON l2.code2 = left(u.cj, 2)
LEFT JOIN nom.fr_legal_forms f ON f.cj = u.cj
LEFT JOIN nom.fr_cooperative_types ct ON ct.cj = u.cj
