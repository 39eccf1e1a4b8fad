-- mart.demography and mart.survival from harmonised.enterprise_demography (one row per group of enterprises -- SIRENE
-- legal units, KBO enterprises -- with the same territory, family, year of creation, year of cessation and full
-- years lived).
-- Families: each of nom.families under ESS or ALL, the cooperative types under COOP, ESS and ALL. Territories: each
-- NUTS3 and its side (FWVL_FR, FWVL_BE); not FWVL: the two registries see closures over different spans of years.
-- Years, per country: from $first_year, or for a registry that sees closures only since observed_from (the KBO: its
-- open data holds active entities, so a closure is seen only as a deletion by an Update) the first whole year after
-- it, to the last complete year of the snapshot (a snapshot of 2025-10-31 ends with 2024; one of 2025-12-31 with
-- 2025).
CREATE OR REPLACE TEMP TABLE _demography_cells AS
WITH by_family AS (
    SELECT * FROM harmonised.enterprise_demography
        WHERE family IN (SELECT family FROM nom.families WHERE parent IN ('ESS', 'ALL') AND family <> 'ESS')
    UNION ALL SELECT * REPLACE (coop_type AS family) FROM harmonised.enterprise_demography WHERE family = 'COOP'
    UNION ALL SELECT * REPLACE ('ESS' AS family) FROM harmonised.enterprise_demography
        WHERE family IN (SELECT family FROM nom.families WHERE parent = 'ESS')
    UNION ALL SELECT * REPLACE ('ALL' AS family) FROM harmonised.enterprise_demography
)
SELECT *, 'NUTS3' AS geo_level FROM by_family
UNION ALL SELECT * REPLACE ('FWVL_' || country AS geo), 'AREA' FROM by_family;

CREATE OR REPLACE TEMP TABLE _demography_bounds AS
SELECT country,
       greatest($first_year, coalesce(year(min(observed_from)) + 1, $first_year)) AS first_year,
       year(max(snapshot_date) + INTERVAL 1 DAY) - 1 AS last_year
FROM harmonised.enterprise_demography
GROUP BY country;

CREATE OR REPLACE TEMP TABLE _demography_years AS
SELECT country, unnest(range(first_year, last_year + 1)) AS year FROM _demography_bounds;

INSERT INTO mart.demography
SELECT y.year, c.country, c.geo, c.geo_level, c.family,
       coalesce(sum(c.units) FILTER (WHERE c.created_year = y.year), 0) AS births,
       coalesce(sum(c.units) FILTER (WHERE c.ceased_year = y.year), 0) AS closures,
       -- A unit whose creation date is unknown is counted in the stock (it exists), never as a birth.
       coalesce(sum(c.units) FILTER (WHERE coalesce(c.created_year, 0) <= y.year
                                     AND (c.ceased_year IS NULL OR c.ceased_year > y.year)), 0) AS active_end,
       max(c.snapshot_date) AS snapshot_date
FROM _demography_cells c JOIN _demography_years y ON y.country = c.country
GROUP BY ALL
ORDER BY ALL;

-- A cohort survives h years where it has not ceased before its h-th anniversary (full years lived >= h); a cohort
-- is published for h only when the whole cohort is seen (a year of the country's span) and every member has reached
-- that anniversary by the end of the last complete year.
INSERT INTO mart.survival
SELECT c.created_year AS cohort, h.horizon, c.country, c.geo, c.geo_level, c.family,
       sum(c.units) AS births,
       coalesce(sum(c.units) FILTER (WHERE c.ceased_year IS NULL OR c.full_years >= h.horizon), 0) AS survivors,
       round(100.0 * survivors / births, 1) AS survival_rate,
       max(c.snapshot_date) AS snapshot_date
FROM _demography_cells c
JOIN _demography_bounds b ON b.country = c.country
CROSS JOIN (SELECT unnest([1, 3, 5]) AS horizon) h
WHERE c.created_year >= b.first_year
  AND c.created_year + h.horizon <= b.last_year
GROUP BY ALL
ORDER BY ALL;

DROP TABLE _demography_cells;
DROP TABLE _demography_years;
DROP TABLE _demography_bounds;
