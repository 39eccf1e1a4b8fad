-- The jobs of every territory by family (ESS, ALL), sex and age band, wide (work.jobs_cells with every suppression, a
-- cell with no row being zero), for the age-structure indicators; and the age structure of ESS jobs against all
-- jobs, appended to mart.indicators. mart_indicators_population.sql reads _wide too.
CREATE OR REPLACE TEMP TABLE _spine AS
SELECT DISTINCT c.year, c.country, c.geo, c.geo_level, f.family, s.sex, b.age_band
FROM work.jobs_cells c,
     (VALUES ('ESS'), ('ALL')) f(family),
     (VALUES ('F'), ('M'), ('T')) s(sex),
     (VALUES ('Y_LT25'), ('Y25-34'), ('Y35-44'), ('Y45-54'), ('Y55-64'), ('Y_GE65'), ('TOTAL')) b(age_band)
WHERE c.family = 'ALL' AND c.nace_a10 = 'TOTAL' AND c.sex = 'T' AND c.age_band = 'TOTAL';

CREATE OR REPLACE TEMP TABLE _cells AS
SELECT s.*, coalesce(c.jobs, 0) AS jobs, coalesce(c.confidential, false) AS c
FROM _spine s
LEFT JOIN work.jobs_cells c ON c.year = s.year AND c.geo = s.geo AND c.family = s.family AND c.sex = s.sex
    AND c.age_band = s.age_band AND c.nace_a10 = 'TOTAL';

CREATE OR REPLACE TEMP TABLE _wide AS
SELECT year, country, geo, geo_level, family, sex,
       map_from_entries(list((age_band, jobs))) AS jobs,
       map_from_entries(list((age_band, c))) AS c
FROM _cells GROUP BY ALL;

INSERT INTO mart.indicators
WITH vs_all AS (
    SELECT e.year, e.country, e.geo, e.geo_level, 'ess_age_structure_gap_vs_all_jobs' AS indicator, e.sex,
           b.age_band, 'pp' AS unit,
           100.0 * (e.jobs[b.age_band] / nullif(e.jobs['TOTAL'], 0) - a.jobs[b.age_band] / nullif(a.jobs['TOTAL'], 0))
               AS value,
           e.c[b.age_band] OR e.c['TOTAL'] OR a.c[b.age_band] OR a.c['TOTAL'] AS c,
           NULL AS obs_flag
    FROM _wide e
    JOIN _wide a ON a.year = e.year AND a.geo = e.geo AND a.sex = e.sex AND a.family = 'ALL'
    CROSS JOIN (VALUES ('Y_LT25'), ('Y25-34'), ('Y35-44'), ('Y45-54'), ('Y55-64'), ('Y_GE65')) b(age_band)
    WHERE e.family = 'ESS'
)
SELECT year, country, geo, geo_level, indicator, sex, age_band, CASE WHEN NOT c THEN value END, unit,
       CASE WHEN c THEN 'D' END, obs_flag
FROM vs_all
ORDER BY year, country, geo, indicator, sex, age_band;
