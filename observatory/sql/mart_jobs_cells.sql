-- Every published jobs cell with its margins, before suppression, with the parent's units and largest unit.
-- Input: harmonised.jobs, harmonised.units. Output: work.jobs_cells (staging only; never published as is).
-- Every sum is exact (jobs BIGINT -> HUGEINT, fte DECIMAL), so no cell depends on the order rows are added in.
CREATE OR REPLACE TABLE work.jobs_cells AS
WITH by_family AS (
    SELECT * REPLACE (family AS family) FROM harmonised.jobs WHERE common
    -- The cooperative types below COOP (families.csv, parent COOP): every COOP row has one.
    UNION ALL SELECT * REPLACE (coop_type AS family) FROM harmonised.jobs WHERE common AND family = 'COOP'
    UNION ALL SELECT * REPLACE ('ESS' AS family) FROM harmonised.jobs WHERE common
    UNION ALL SELECT * REPLACE ('ALL' AS family) FROM harmonised.jobs
),
by_geo AS (
    SELECT *, 'NUTS3' AS geo_level FROM by_family
    UNION ALL SELECT * REPLACE ('FWVL_' || country AS geo), 'AREA' FROM by_family
    UNION ALL SELECT * REPLACE ('ALL' AS country, 'FWVL' AS geo), 'AREA' FROM by_family
),
cells AS (
    SELECT year, country, geo, geo_level, family,
           coalesce(nace_a10, 'TOTAL') AS nace_a10, coalesce(sex, 'T') AS sex, coalesce(age_band, 'TOTAL') AS age_band,
           sum(jobs) AS jobs,
           CASE WHEN sum(fte_rows) = sum(rows) THEN sum(fte) END AS fte
    FROM by_geo
    GROUP BY GROUPING SETS (
        (year, country, geo, geo_level, family, nace_a10, sex, age_band),
        (year, country, geo, geo_level, family, nace_a10, sex),
        (year, country, geo, geo_level, family, nace_a10, age_band),
        (year, country, geo, geo_level, family, nace_a10),
        (year, country, geo, geo_level, family, sex, age_band),
        (year, country, geo, geo_level, family, sex),
        (year, country, geo, geo_level, family, age_band),
        (year, country, geo, geo_level, family))
),
units_by_family AS (
    SELECT * REPLACE (family AS family) FROM harmonised.units WHERE common
    UNION ALL SELECT * REPLACE (coop_type AS family) FROM harmonised.units WHERE common AND family = 'COOP'
    UNION ALL SELECT * REPLACE ('ESS' AS family) FROM harmonised.units WHERE common
    UNION ALL SELECT * REPLACE ('ALL' AS family) FROM harmonised.units
),
units_by_geo AS (
    SELECT * FROM units_by_family
    UNION ALL SELECT * REPLACE ('FWVL_' || country AS geo) FROM units_by_family
    UNION ALL SELECT * REPLACE ('ALL' AS country, 'FWVL' AS geo) FROM units_by_family
),
parent_units AS (
    SELECT year, country, geo, family, coalesce(nace_a10, 'TOTAL') AS nace_a10,
           sum(units) AS units, max(max_unit_jobs) AS max_unit_jobs
    FROM units_by_geo
    GROUP BY GROUPING SETS ((year, country, geo, family, nace_a10), (year, country, geo, family))
)
SELECT c.*, p.jobs AS parent_jobs, coalesce(u.units, 0) AS parent_units, coalesce(u.max_unit_jobs, 0) AS parent_max_unit,
       -- SDMX CONF_STATUS of the primary rules: A small count (of jobs, or of units in the parent), O dominance by
       -- one unit. observatory.disclosure adds D (secondary) and keeps `confidential` = conf_status IS NOT NULL.
       CASE WHEN (c.jobs > 0 AND c.jobs < $min_jobs) OR coalesce(u.units, 0) < $min_units THEN 'A'
            WHEN coalesce(u.max_unit_jobs, 0) > $max_dominance_share * p.jobs THEN 'O' END AS conf_status,
       conf_status IS NOT NULL AS confidential
FROM cells c
JOIN cells p ON p.year = c.year AND p.country = c.country AND p.geo = c.geo AND p.family = c.family
    AND p.nace_a10 = c.nace_a10 AND p.sex = 'T' AND p.age_band = 'TOTAL'
LEFT JOIN parent_units u ON u.year = c.year AND u.country = c.country AND u.geo = c.geo AND u.family = c.family
    AND u.nace_a10 = c.nace_a10;
