-- Common vs national definition per year and country side, and the parts of the difference, before suppression
-- (work.reconciliation; mart_reconciliation.sql publishes it).
-- Each harmonised row falls in one component; COMMON TOTAL + Σ NATIONAL parts = NATIONAL TOTAL.
CREATE OR REPLACE TEMP MACRO reconciliation_component(in_common, in_national, fam, excl) AS
    CASE
        WHEN in_common AND in_national THEN 'BOTH'
        WHEN in_common AND fam = 'COOP' THEN 'MINUS_COOP_NOT_ACCREDITED'
        WHEN in_common THEN 'MINUS_OTHER'
        WHEN in_national AND fam = 'SOCENT' THEN 'PLUS_SOCENT'
        WHEN in_national AND excl AND fam IN ('ASSOC', 'COOP', 'MUTUAL', 'FOUND') THEN 'PLUS_EXCLUDED_ACTIVITIES'
        WHEN in_national THEN 'PLUS_OTHER'
        ELSE 'NEITHER'
    END;

CREATE OR REPLACE TABLE work.reconciliation AS
WITH parts(definition, component, sign, description) AS (VALUES
    ('COMMON', 'TOTAL', 1, 'Jobs under the common definition (ASSOC + COOP + MUTUAL + FOUND, activity exclusions applied)'),
    ('NATIONAL', 'TOTAL', 1, 'Jobs under the national definition (FR: INSEE = common; BE: Observatoire de l''économie '
        || 'sociale: ASSOC + FOUND + MUTUAL + CNC cooperatives + social enterprises, no activity exclusion)'),
    ('NATIONAL', 'PLUS_SOCENT', 1, 'Part: social enterprises in company form, in the national definition only'),
    ('NATIONAL', 'PLUS_EXCLUDED_ACTIVITIES', 1, 'Part: social-economy families in the excluded activities (division 84, '
        || '94.11, 94.12, 94.20, 94.91, 94.92), in the national definition only'),
    ('NATIONAL', 'PLUS_OTHER', 1, 'Part: other rows in the national definition only'),
    ('NATIONAL', 'MINUS_COOP_NOT_ACCREDITED', -1, 'Part: cooperatives without CNC accreditation, in the common '
        || 'definition only (counted negative)'),
    ('NATIONAL', 'MINUS_OTHER', -1, 'Part: other rows in the common definition only (counted negative)')
),
jobs AS (
    SELECT year, country, common, national, jobs,
           reconciliation_component(common, national, family, excluded) AS component
    FROM harmonised.jobs
),
units AS (
    SELECT year, country, common, national, units, max_unit_jobs,
           reconciliation_component(common, national, family, excluded) AS component
    FROM harmonised.units
),
sides AS (SELECT DISTINCT year, country FROM harmonised.jobs),
grid AS (SELECT * FROM sides CROSS JOIN parts),
valued AS (
    SELECT g.*,
        coalesce(CASE
            WHEN g.component = 'TOTAL' AND g.definition = 'COMMON'
                THEN (SELECT sum(jobs) FROM jobs j WHERE j.year = g.year AND j.country = g.country AND j.common)
            WHEN g.component = 'TOTAL'
                THEN (SELECT sum(jobs) FROM jobs j WHERE j.year = g.year AND j.country = g.country AND j.national)
            ELSE (SELECT sum(jobs) FROM jobs j WHERE j.year = g.year AND j.country = g.country
                  AND j.component = g.component)
        END, 0) AS abs_jobs,
        coalesce(CASE
            WHEN g.component = 'TOTAL' AND g.definition = 'COMMON'
                THEN (SELECT sum(units) FROM units u WHERE u.year = g.year AND u.country = g.country AND u.common)
            WHEN g.component = 'TOTAL'
                THEN (SELECT sum(units) FROM units u WHERE u.year = g.year AND u.country = g.country AND u.national)
            ELSE (SELECT sum(units) FROM units u WHERE u.year = g.year AND u.country = g.country
                  AND u.component = g.component)
        END, 0) AS units,
        coalesce(CASE
            WHEN g.component = 'TOTAL' AND g.definition = 'COMMON'
                THEN (SELECT max(max_unit_jobs) FROM units u WHERE u.year = g.year AND u.country = g.country AND u.common)
            WHEN g.component = 'TOTAL'
                THEN (SELECT max(max_unit_jobs) FROM units u WHERE u.year = g.year AND u.country = g.country
                      AND u.national)
            ELSE (SELECT max(max_unit_jobs) FROM units u WHERE u.year = g.year AND u.country = g.country
                  AND u.component = g.component)
        END, 0) AS max_unit_jobs
    FROM grid g
),
judged AS (
    -- The primary rules, with the codes of mart_jobs_cells.sql; observatory.disclosure adds D.
    SELECT *, CASE WHEN abs_jobs > 0 AND (abs_jobs < $min_jobs OR units < $min_units) THEN 'A'
                   WHEN abs_jobs > 0 AND max_unit_jobs > $max_dominance_share * abs_jobs THEN 'O' END AS conf_status
    FROM valued
)
SELECT year, country, 'FWVL_' || country AS geo, definition, component, sign, abs_jobs, sign * abs_jobs AS jobs,
       description, conf_status
FROM judged;


