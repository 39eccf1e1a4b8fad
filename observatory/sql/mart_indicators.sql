-- The version-1 indicators from the unsuppressed cells; an indicator that uses a suppressed cell is suppressed: D
-- (secondary), except ess_jobs and ess_fte, which are the ESS cell itself and take its code.
-- A cell with no row is zero (and not confidential). ess_fte is NULL and flagged m (missing) when the FTE was not
-- delivered for every part of the ESS cell (its jobs are known, its FTE is not); with no ESS row it is 0, as the jobs.
CREATE OR REPLACE TEMP TABLE _totals AS
SELECT year, country, geo, geo_level,
    sum(jobs) FILTER (WHERE family = 'ESS' AND sex = 'T' AND age_band = 'TOTAL') AS ess,
    bool_or(confidential) FILTER (WHERE family = 'ESS' AND sex = 'T' AND age_band = 'TOTAL') AS ess_c,
    sum(fte) FILTER (WHERE family = 'ESS' AND sex = 'T' AND age_band = 'TOTAL') AS ess_fte,
    sum(parent_units) FILTER (WHERE family = 'ESS' AND sex = 'T' AND age_band = 'TOTAL') AS ess_units,
    coalesce(sum(jobs) FILTER (WHERE family = 'ESS' AND sex = 'F' AND age_band = 'TOTAL'), 0) AS ess_f,
    coalesce(bool_or(confidential) FILTER (WHERE family = 'ESS' AND sex = 'F' AND age_band = 'TOTAL'), false) AS ess_f_c,
    coalesce(sum(jobs) FILTER (WHERE family = 'ESS' AND sex = 'T' AND age_band IN ('Y55-64', 'Y_GE65')), 0) AS ess_55,
    coalesce(bool_or(confidential) FILTER (WHERE family = 'ESS' AND sex = 'T' AND age_band IN ('Y55-64', 'Y_GE65')),
             false) AS ess_55_c,
    coalesce(sum(jobs) FILTER (WHERE family = 'ESS' AND sex = 'T' AND age_band = 'Y_LT25'), 0) AS ess_lt25,
    coalesce(bool_or(confidential) FILTER (WHERE family = 'ESS' AND sex = 'T' AND age_band = 'Y_LT25'), false)
        AS ess_lt25_c,
    sum(jobs) FILTER (WHERE family = 'ALL' AND sex = 'T' AND age_band = 'TOTAL') AS all_t,
    bool_or(confidential) FILTER (WHERE family = 'ALL' AND sex = 'T' AND age_band = 'TOTAL') AS all_c,
    coalesce(sum(jobs) FILTER (WHERE family = 'ALL' AND sex = 'F' AND age_band = 'TOTAL'), 0) AS all_f,
    coalesce(bool_or(confidential) FILTER (WHERE family = 'ALL' AND sex = 'F' AND age_band = 'TOTAL'), false) AS all_f_c
FROM work.jobs_cells
WHERE nace_a10 = 'TOTAL'
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE _indicators AS
WITH t AS (
    SELECT t.*, coalesce(t.ess, 0) AS ess0, coalesce(t.ess_c, false) AS essc,
           p.ess AS prev_ess, coalesce(p.ess_c, false) AS prev_c
    FROM _totals t
    LEFT JOIN _totals p ON p.year = t.year - 1 AND p.country = t.country AND p.geo = t.geo
)
SELECT year, country, geo, geo_level, 'ess_jobs' AS indicator, ess0 AS value, 'jobs' AS unit, essc AS c,
       NULL::VARCHAR AS obs_flag FROM t
UNION ALL SELECT year, country, geo, geo_level, 'ess_fte', CASE WHEN ess IS NULL THEN 0 ELSE ess_fte END, 'fte', essc,
    CASE WHEN ess IS NOT NULL AND ess_fte IS NULL THEN 'm' END FROM t
UNION ALL SELECT year, country, geo, geo_level, 'ess_share_of_jobs', 100.0 * ess0 / nullif(all_t, 0), 'percent',
    essc OR all_c, NULL FROM t
UNION ALL SELECT year, country, geo, geo_level, 'ess_women_share', 100.0 * ess_f / nullif(ess0, 0), 'percent',
    essc OR ess_f_c, NULL FROM t
UNION ALL SELECT year, country, geo, geo_level, 'all_women_share', 100.0 * all_f / nullif(all_t, 0), 'percent',
    all_c OR all_f_c, NULL FROM t
UNION ALL SELECT year, country, geo, geo_level, 'ess_age_55plus_share', 100.0 * ess_55 / nullif(ess0, 0), 'percent',
    essc OR ess_55_c, NULL FROM t
UNION ALL SELECT year, country, geo, geo_level, 'ess_age_lt25_share', 100.0 * ess_lt25 / nullif(ess0, 0), 'percent',
    essc OR ess_lt25_c, NULL FROM t
UNION ALL SELECT year, country, geo, geo_level, 'ess_jobs_change', 100.0 * (ess0 / nullif(prev_ess, 0) - 1), 'percent',
    essc OR prev_c, NULL FROM t WHERE prev_ess IS NOT NULL
UNION ALL SELECT year, country, geo, geo_level, 'ess_jobs_per_unit', ess0 / nullif(ess_units, 0), 'jobs_per_unit',
    essc, NULL FROM t;

INSERT INTO mart.indicators
SELECT year, country, geo, geo_level, indicator, 'T', 'TOTAL', CASE WHEN NOT c THEN value END, unit,
       CASE WHEN c THEN 'D' END, obs_flag
FROM _indicators
ORDER BY year, country, geo, indicator;

UPDATE mart.indicators i SET conf_status = c.conf_status
FROM work.jobs_cells c
WHERE i.indicator IN ('ess_jobs', 'ess_fte') AND i.conf_status IS NOT NULL AND c.year = i.year AND c.geo = i.geo
    AND c.family = 'ESS' AND c.nace_a10 = 'TOTAL' AND c.sex = 'T' AND c.age_band = 'TOTAL';
