-- mart.demography and mart.survival from harmonised.enterprise_demography (one row per group of legal units with
-- the same territory, family, year of creation, year of cessation and full years lived).
-- Families: each of nom.families under ESS or ALL, the cooperative types under COOP, ESS and ALL. Territories: each
-- NUTS3 and its side (FWVL_FR); not FWVL, which would hold one side only until the KBO's demography is in.
-- Years: from $first_year to the last complete year of the snapshot (a snapshot of 2025-10-31 ends with 2024).
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

CREATE OR REPLACE TEMP TABLE _demography_years AS
SELECT unnest(range($first_year, year(max(snapshot_date) + INTERVAL 1 DAY))) AS year
FROM harmonised.enterprise_demography;

INSERT INTO mart.demography
SELECT y.year, c.country, c.geo, c.geo_level, c.family,
       coalesce(sum(c.units) FILTER (WHERE c.created_year = y.year), 0) AS births,
       coalesce(sum(c.units) FILTER (WHERE c.ceased_year = y.year), 0) AS closures,
       -- A unit whose creation date is unknown is counted in the stock (it exists), never as a birth.
       coalesce(sum(c.units) FILTER (WHERE coalesce(c.created_year, 0) <= y.year
                                     AND (c.ceased_year IS NULL OR c.ceased_year > y.year)), 0) AS active_end,
       max(c.snapshot_date) AS snapshot_date
FROM _demography_cells c CROSS JOIN _demography_years y
GROUP BY ALL
ORDER BY ALL;

-- A cohort survives h years where it has not ceased before its h-th anniversary (full years lived >= h); a cohort
-- is published for h only when every member has reached that anniversary by the end of the last complete year.
INSERT INTO mart.survival
SELECT c.created_year AS cohort, h.horizon, c.country, c.geo, c.geo_level, c.family,
       sum(c.units) AS births,
       coalesce(sum(c.units) FILTER (WHERE c.ceased_year IS NULL OR c.full_years >= h.horizon), 0) AS survivors,
       round(100.0 * survivors / births, 1) AS survival_rate,
       max(c.snapshot_date) AS snapshot_date
FROM _demography_cells c
CROSS JOIN (SELECT unnest([1, 3, 5]) AS horizon) h
WHERE c.created_year >= $first_year
  AND c.created_year + h.horizon <= (SELECT max(year) FROM _demography_years)
GROUP BY ALL
ORDER BY ALL;

DROP TABLE _demography_cells;
DROP TABLE _demography_years;
