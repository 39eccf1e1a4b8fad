-- Eurostat lfst_r_lfe2en2 rows → outcome: used (a NUTS2 region of the area, in thousands of persons), outside the
-- area (every other region and level), or rejected with a reason (a unit or sex the table does not publish).
CREATE OR REPLACE TEMP TABLE _lfs AS
WITH area AS (SELECT DISTINCT nuts2 AS geo, country FROM nom.geo WHERE geo_level = 'NUTS3')
SELECT l.*, a.country,
       l.conf_status IN ('C', 'N', 'P') OR contains(coalesce(l.obs_flag, ''), 'c') AS suppressed,
       CASE WHEN a.geo IS NULL THEN 'outside_area'
            WHEN l.unit <> 'THS_PER' OR l.sex NOT IN ('F', 'M', 'T') THEN 'rejected'
            ELSE 'used' END AS outcome,
       CASE WHEN a.geo IS NULL THEN NULL
            WHEN l.unit <> 'THS_PER' THEN 'unit ' || l.unit || ' is not THS_PER (thousand persons)'
            WHEN l.sex NOT IN ('F', 'M', 'T') THEN 'sex ' || l.sex || ' is not F, M or T'
       END AS reason
FROM src.eu_eurostat_lfs_employment l LEFT JOIN area a ON a.geo = l.geo;

INSERT INTO mart.lfs_employment
SELECT year, country, geo, sex, age, nace_r2, CASE WHEN NOT suppressed THEN value END, obs_flag,
       CASE WHEN conf_status IN ('C', 'N', 'P') THEN conf_status WHEN suppressed THEN 'C' END
FROM _lfs WHERE outcome = 'used'
ORDER BY year, geo, sex, age, nace_r2;
