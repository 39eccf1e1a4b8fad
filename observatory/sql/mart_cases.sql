-- mart.cases: the documented cases (work.cases, read and checked by observatory/cases.py), each linked to its
-- registry entry and given the indicators of its territory. French cases: src.fr_sirene_case_units (the legal unit,
-- its head office's commune), classified like the demography (classify_fr_demography.sql, macros.sql); Belgian
-- cases: _case_be_enterprises (src.be_kbo_enterprises when the KBO loader kept it), classified like the
-- establishments: family and cooperative type by the juridical form alone (be_form_classes() of be_registry.sql).
CREATE OR REPLACE TABLE work.case_links AS
WITH fr AS (
    SELECT c.case_id, 'SIRENE' AS registry, true AS registry_loaded, u.siren IS NOT NULL AS found,
           CAST($fr_snapshot AS DATE) AS registry_snapshot_date,
           CASE u.state WHEN 'A' THEN 'active' WHEN 'C' THEN 'ceased' END AS state, u.ceased AS ceased_on,
           nullif(u.cj, '') AS legal_form,
           nullif(fr_family(f.family, u.ess_flag), 'NONE') AS family,
           CASE WHEN f.family = 'COOP' THEN ct.coop_type END AS coop_type,
           u.activity, u.activity_nomenclature, nullif(d.nuts3, '') AS geo, u.created AS created_on
    FROM work.cases c
    LEFT JOIN src.fr_sirene_case_units u ON u.siren = c.identifier
    LEFT JOIN nom.fr_departments d ON d.dep = u.dep_code
    LEFT JOIN nom.fr_legal_forms f ON f.cj = u.cj
    LEFT JOIN nom.fr_cooperative_types ct ON ct.cj = u.cj
    WHERE c.country = 'FR'
),
be AS (
    SELECT c.case_id, 'KBO' AS registry, CAST($kbo_loaded AS BOOLEAN) AS registry_loaded,
           e.enterprise IS NOT NULL AS found,
           (SELECT max(snapshot_date) FROM _case_be_enterprises) AS registry_snapshot_date,
           CASE WHEN e.enterprise IS NULL THEN NULL WHEN e.departed_on IS NULL THEN 'active' ELSE 'ceased' END AS state,
           e.departed_on AS ceased_on, nullif(e.juridical_form, '') AS legal_form, fc.family, fc.coop_type,
           e.main_nace_code AS activity,
           CASE WHEN e.main_nace_version IS NOT NULL THEN 'NACE-BEL ' || e.main_nace_version END
               AS activity_nomenclature,
           CASE WHEN NOT coalesce(e.seat_foreign, false) THEN p.nuts3 END AS geo, e.start_date AS created_on
    FROM work.cases c
    LEFT JOIN _case_be_enterprises e ON e.enterprise = c.identifier
    LEFT JOIN be_form_classes() fc ON fc.juridical_form = e.juridical_form
    LEFT JOIN nom.be_postcode_nuts3 p ON p.postcode = e.seat_postcode
    WHERE c.country = 'BE'
)
SELECT * FROM fr UNION ALL BY NAME SELECT * FROM be;

-- The region's indicators beside each case: the 3-year survival of the latest cohort published for its NUTS3 (all
-- enterprises and its family), and the active establishments of the latest registry year (its family and all).
INSERT INTO mart.cases
WITH latest_cohort AS (
    SELECT geo, max(cohort) AS cohort FROM mart.survival WHERE horizon = 3 AND family = 'ALL' GROUP BY geo
),
latest_year AS (
    SELECT geo, max(year) AS year FROM mart.establishments WHERE family = 'ALL' AND nace_a10 = 'TOTAL' GROUP BY geo
)
SELECT c.case_id, c.file_name, c.name, c.country, c.identifier, c.year, c.kind, c.summary,
       c.jobs_created, c.jobs_saved, c.jobs_consolidated, c.jobs_after, c.years_after, c.disadvantaged_workers,
       c.sources, c.synthetic,
       l.registry, CASE WHEN l.found THEN l.registry_snapshot_date END AS registry_snapshot_date,
       l.state, l.ceased_on, l.legal_form, l.family, l.coop_type, l.activity, l.activity_nomenclature, l.geo,
       l.created_on, year(l.created_on) AS creation_year,
       CASE WHEN l.found THEN datesub('year', l.created_on, coalesce(l.ceased_on, l.registry_snapshot_date))
            END AS years_survived,
       lc.cohort AS survival_cohort, sa.survival_rate AS survival_rate_3y_all,
       sf.survival_rate AS survival_rate_3y_family,
       ly.year AS establishments_year, ef.establishments AS establishments_family,
       ea.establishments AS establishments_all
FROM work.cases c
JOIN work.case_links l USING (case_id)
LEFT JOIN latest_cohort lc ON lc.geo = l.geo
LEFT JOIN mart.survival sa ON sa.geo = l.geo AND sa.cohort = lc.cohort AND sa.horizon = 3 AND sa.family = 'ALL'
LEFT JOIN mart.survival sf ON sf.geo = l.geo AND sf.cohort = lc.cohort AND sf.horizon = 3 AND sf.family = l.family
LEFT JOIN latest_year ly ON ly.geo = l.geo
LEFT JOIN mart.establishments ea ON ea.geo = l.geo AND ea.year = ly.year AND ea.family = 'ALL'
    AND ea.nace_a10 = 'TOTAL'
LEFT JOIN mart.establishments ef ON ef.geo = l.geo AND ef.year = ly.year AND ef.family = l.family
    AND ef.nace_a10 = 'TOTAL'
ORDER BY c.case_id
