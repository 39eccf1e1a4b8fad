-- harmonised.population → mart.population, with the area aggregates FWVL_FR, FWVL_BE and FWVL. An aggregate with
-- a missing or confidential region is missing or confidential; when a region has no row at all the aggregate is
-- missing and flagged m. The aggregates are exact sums (DECIMAL, cast to DOUBLE at the end): the same whatever the
-- order in which DuckDB adds the regions.
INSERT INTO mart.population
WITH expected AS (
    SELECT country, count(*) AS regions FROM nom.geo WHERE geo_level = 'NUTS3' GROUP BY country
    UNION ALL SELECT 'ALL', count(*) FROM nom.geo WHERE geo_level = 'NUTS3'
),
parts AS (
    SELECT year, country, 'FWVL_' || country AS geo, sex, age_band, population, obs_flag, conf_status, source_id
    FROM harmonised.population
    UNION ALL
    SELECT year, 'ALL', 'FWVL', sex, age_band, population, obs_flag, conf_status, source_id FROM harmonised.population
),
areas AS (
    SELECT year, country, geo, sex, age_band, count(*) AS regions,
           CASE WHEN bool_or(population IS NULL) THEN NULL
                ELSE CAST(sum(CAST(population AS DECIMAL(38, 9))) AS DOUBLE) END AS population,
           string_agg(DISTINCT source_id, '+' ORDER BY source_id) AS source,
           merge_flags(list(obs_flag)) AS obs_flag,
           max(conf_status) AS conf_status
    FROM parts GROUP BY ALL
)
SELECT year, country, geo, 'NUTS3', sex, age_band, population, source_id, obs_flag, conf_status
FROM harmonised.population
UNION ALL
SELECT a.year, a.country, a.geo, 'AREA', a.sex, a.age_band,
       CASE WHEN a.regions = e.regions THEN a.population END, a.source,
       CASE WHEN a.regions = e.regions THEN a.obs_flag ELSE merge_flags([a.obs_flag, 'm']) END, a.conf_status
FROM areas a JOIN expected e USING (country)
ORDER BY 1, 2, 3, 5, 6;
