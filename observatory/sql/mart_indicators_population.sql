-- Indicators with a population denominator, appended to mart.indicators: jobs per 1,000 working-age residents and
-- the age structure of ESS jobs against the population. Input: _wide (mart_indicators_by_age.sql), mart.population;
-- run only when mart.population has rows (without a population file they are left out, not published empty).
-- Jobs of year Y (31 December) meet the population on 1 January of Y + $year_offset. A jobs cell with no row is
-- zero. An indicator that uses a suppressed jobs cell or a confidential population figure is suppressed (D); one
-- whose population figure is missing is NULL and flagged m; the population's own flags are kept in obs_flag.
CREATE OR REPLACE TEMP TABLE _population_indicators AS
WITH per_1000 AS (
    SELECT w.year, w.country, w.geo, w.geo_level, lower(w.family) || '_jobs_per_1000_pop_15_64' AS indicator,
           w.sex, 'TOTAL' AS age_band, 'jobs_per_1000_pop' AS unit,
           1000.0 * w.jobs['TOTAL'] / nullif(p.population, 0) AS value,
           w.c['TOTAL'] OR p.conf_status IS NOT NULL AS c,
           merge_flags([p.obs_flag, CASE WHEN p.population IS NULL AND p.conf_status IS NULL THEN 'm' END]) AS obs_flag
    FROM _wide w
    LEFT JOIN mart.population p ON p.year = w.year + $year_offset AND p.geo = w.geo AND p.sex = w.sex
        AND p.age_band = 'Y15-64'
),
vs_population AS (
    SELECT e.year, e.country, e.geo, e.geo_level, 'ess_age_structure_gap_vs_population' AS indicator, e.sex,
           b.age_band, 'pp' AS unit,
           100.0 * (e.jobs[b.age_band] / nullif(e.jobs['TOTAL'] - e.jobs['Y_GE65'], 0)
                    - pb.population / nullif(pw.population, 0)) AS value,
           e.c[b.age_band] OR e.c['TOTAL'] OR e.c['Y_GE65'] OR pb.conf_status IS NOT NULL
               OR pw.conf_status IS NOT NULL AS c,
           merge_flags([pb.obs_flag, pw.obs_flag,
                        CASE WHEN (pb.population IS NULL AND pb.conf_status IS NULL)
                                  OR (pw.population IS NULL AND pw.conf_status IS NULL) THEN 'm' END]) AS obs_flag
    FROM _wide e
    CROSS JOIN (VALUES ('Y_LT25', 'Y15-24'), ('Y25-34', 'Y25-34'), ('Y35-44', 'Y35-44'), ('Y45-54', 'Y45-54'),
                       ('Y55-64', 'Y55-64')) b(age_band, population_band)
    LEFT JOIN mart.population pb ON pb.year = e.year + $year_offset AND pb.geo = e.geo AND pb.sex = e.sex
        AND pb.age_band = b.population_band
    LEFT JOIN mart.population pw ON pw.year = e.year + $year_offset AND pw.geo = e.geo AND pw.sex = e.sex
        AND pw.age_band = 'Y15-64'
    WHERE e.family = 'ESS'
)
SELECT * FROM per_1000 UNION ALL SELECT * FROM vs_population;

INSERT INTO mart.indicators
SELECT year, country, geo, geo_level, indicator, sex, age_band, CASE WHEN NOT c THEN value END, unit,
       CASE WHEN c THEN 'D' END, obs_flag
FROM _population_indicators
ORDER BY year, country, geo, indicator, sex, age_band;
