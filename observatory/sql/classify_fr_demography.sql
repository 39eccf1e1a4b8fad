-- SIRENE legal units for the enterprise demography (counted by the source step, sirene.py), classified like the
-- establishments (classify_fr_establishments.sql): territory by the département of the head office, family by the
-- legal category (else SOCENT when flagged ESS), cooperative type, with the macros of macros.sql. No activity is
-- read, so no activity exclusion.
SELECT
    u.*,
    d.nuts3 AS geo,
    fr_outcome(u.dep_code, d.dep, d.in_area, l2.code2) AS outcome,
    fr_reason(u.dep_code, d.dep, d.in_area, l2.code2, u.cj,
              'unknown département of the head office (codeCommuneEtablissement)') AS reason,
    fr_family(f.family, u.ess_flag) AS family,
    CASE WHEN f.family = 'COOP' THEN ct.coop_type END AS coop_type
FROM src.fr_sirene_unit_demography u
LEFT JOIN nom.fr_departments d ON d.dep = u.dep_code
LEFT JOIN nom.fr_legal_categories_level2 l2 ON l2.code2 = left(u.cj, 2)
LEFT JOIN nom.fr_legal_forms f ON f.cj = u.cj
LEFT JOIN nom.fr_cooperative_types ct ON ct.cj = u.cj
