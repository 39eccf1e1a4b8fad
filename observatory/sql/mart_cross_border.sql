-- mart.indicators side by side across the border: the two sides of the area, and each border pair of NUTS3
-- (nomenclatures/cross_border_pairs.csv). A row exists where either side has the indicator.
INSERT INTO mart.cross_border_comparison
WITH pairs AS (
    SELECT 'SIDES' AS comparison, 'FWVL_FR' AS fr_geo, 'FWVL_BE' AS be_geo
    UNION ALL SELECT 'NEIGHBOURS', fr_geo, be_geo FROM nom.cross_border_pairs
),
keys AS (SELECT DISTINCT year, indicator, sex, age_band, unit FROM mart.indicators)
SELECT k.year, k.indicator, k.sex, k.age_band, p.comparison, p.fr_geo, p.be_geo, k.unit,
       f.value, b.value, f.value - b.value, f.conf_status, b.conf_status, merge_flags([f.obs_flag, b.obs_flag])
FROM keys k CROSS JOIN pairs p
LEFT JOIN mart.indicators f ON f.geo = p.fr_geo AND f.year = k.year AND f.indicator = k.indicator AND f.sex = k.sex
    AND f.age_band = k.age_band
LEFT JOIN mart.indicators b ON b.geo = p.be_geo AND b.year = k.year AND b.indicator = k.indicator AND b.sex = k.sex
    AND b.age_band = k.age_band
WHERE f.indicator IS NOT NULL OR b.indicator IS NOT NULL
ORDER BY k.year, k.indicator, k.sex, k.age_band, p.comparison DESC, p.fr_geo, p.be_geo;
