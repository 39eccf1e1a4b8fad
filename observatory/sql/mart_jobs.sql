-- Published jobs cells: suppressed values are NULL with their conf_status (A, O primary; D secondary). The cells hold exact sums (jobs HUGEINT,
-- FTE DECIMAL), cast to the published DOUBLE only here, so the same files always give the same bits.
INSERT INTO mart.jobs
SELECT year, country, geo, geo_level, family, nace_a10, sex, age_band,
       CASE WHEN NOT confidential THEN CAST(jobs AS DOUBLE) END,
       CASE WHEN NOT confidential THEN CAST(fte AS DOUBLE) END,
       CASE WHEN sex = 'T' AND age_band = 'TOTAL' THEN parent_units END,
       conf_status
FROM work.jobs_cells
ORDER BY year, country, geo, family, nace_a10, sex, age_band;
