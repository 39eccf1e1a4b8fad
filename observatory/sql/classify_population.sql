-- Population rows of one source (layout shared by the Eurostat, INSEE and Statbel loaders) → area NUTS3,
-- published sex, and the role of the age class (band part, detail of another class, total, unknown age).
-- Placeholders: {input}, {system}, {geo_join}, {geo}, {country}, {known}, {in_area}, {unknown_area}.
SELECT * EXCLUDE (known, in_area, unknown_area_reason),
       CASE WHEN NOT known THEN 'rejected'
            WHEN NOT coalesce(in_area, false) THEN 'outside_area'
            WHEN sex IS NULL OR role IS NULL THEN 'rejected'
            ELSE 'used' END AS outcome,
       CASE WHEN NOT known THEN unknown_area_reason
            WHEN NOT coalesce(in_area, false) THEN NULL
            WHEN sex IS NULL THEN 'sex code ' || sex_code || ' not in sex_codes.csv for {system}'
            WHEN role IS NULL THEN 'age class ' || age_class || ' not in population_age_classes.csv for {system}'
       END AS reason
FROM (
    SELECT p.year, p.area_code, p.sex_code, p.age_class, p.population, p.obs_flag, p.conf_status, p.file_name, p.line,
           p.rows,
           {geo} AS geo, {country} AS country, s.sex,
           coalesce(c.role, CASE WHEN '{system}' = 'statbel' AND regexp_full_match(p.age_class, '\d{1,3}') THEN 'band' END)
               AS role,
           CASE WHEN c.source_class IS NOT NULL THEN coalesce(TRY_CAST(nullif(c.age_from, '') AS INTEGER), 0)
                ELSE TRY_CAST(p.age_class AS INTEGER) END AS age_from,
           CASE WHEN c.source_class IS NOT NULL THEN TRY_CAST(nullif(c.age_to, '') AS INTEGER)
                ELSE TRY_CAST(p.age_class AS INTEGER) END AS age_to,
           p.conf_status IN ('C', 'N', 'P') OR contains(coalesce(p.obs_flag, ''), 'c') AS suppressed,
           ({known}) AS known, ({in_area}) AS in_area,
           {unknown_area} AS unknown_area_reason
    FROM {input} p
    {geo_join}
    LEFT JOIN nom.sex_codes s ON s.source_system = '{system}' AND s.source_code = p.sex_code
    LEFT JOIN nom.population_age_classes c ON c.source_system = '{system}' AND c.source_class = p.age_class
)
