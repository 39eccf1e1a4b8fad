-- Used population rows (_population) → harmonised.population by published band, for one source.
-- A band is the exact sum of the classes inside it (the mapping check proves every band starts and ends on
-- class cut points); TOTAL is the source's own total class where it has one, else the sum of every class; sex T
-- is the source's own total where it has one, else F + M. Any missing part makes the sum missing; a
-- confidential part makes it confidential; the parts' flags are kept (letters merged). Sums are exact (DECIMAL, cast
-- to DOUBLE at the end) so they do not depend on the order in which DuckDB adds the parts.
CREATE OR REPLACE TEMP TABLE _population_parts AS
WITH used AS (SELECT * FROM _population WHERE outcome = 'used'),
bands AS (
    SELECT age_band, coalesce(TRY_CAST(nullif(age_from, '') AS INTEGER), 0) AS lo,
           TRY_CAST(nullif(age_to, '') AS INTEGER) AS hi
    FROM nom.age_bands WHERE age_band NOT IN ('TOTAL', 'UNK')
),
by_band AS (
    SELECT u.*, b.age_band FROM used u JOIN bands b
        ON u.role = 'band' AND u.age_from >= b.lo AND (b.hi IS NULL OR u.age_to <= b.hi)
    UNION ALL SELECT u.*, 'TOTAL' FROM used u WHERE u.role = CASE WHEN $has_total_class THEN 'total' ELSE 'band' END
    UNION ALL SELECT u.*, 'UNK' FROM used u WHERE u.role = 'unknown'
)
SELECT * FROM by_band
UNION ALL SELECT * REPLACE ('T' AS sex) FROM by_band WHERE NOT $has_sex_total AND sex IN ('F', 'M');

INSERT INTO harmonised.population
SELECT year, country, geo, sex, age_band,
       CASE WHEN bool_or(population IS NULL) THEN NULL
            ELSE CAST(sum(CAST(population AS DECIMAL(38, 9))) AS DOUBLE) END,
       merge_flags(list(obs_flag)),
       CASE WHEN bool_or(suppressed)
            THEN coalesce(max(conf_status) FILTER (WHERE conf_status IN ('C', 'N', 'P')), 'C') END,
       $source_id, count(*), sum(rows)
FROM _population_parts
GROUP BY year, country, geo, sex, age_band;
