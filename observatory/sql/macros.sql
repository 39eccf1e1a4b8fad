-- merge_flags(list of flag strings) → the distinct letters, sorted, or NULL: the flags of a sum are its parts'.
CREATE OR REPLACE TEMP MACRO merge_flags(flags) AS
    nullif(array_to_string(list_sort(list_distinct(flatten(
        list_transform(flags, lambda f: string_split(coalesce(f, ''), ''))))), ''), '');

-- A SIRENE group (establishments or legal units) by département and legal category (CJ), joined to nom.fr_departments
-- (known_dep, in_area) and nom.fr_legal_categories_level2 (known_level2): used, outside_area or rejected, and why.
CREATE OR REPLACE TEMP MACRO fr_outcome(dep_code, known_dep, in_area, known_level2) AS
    CASE
        WHEN dep_code = '' THEN 'outside_area'
        WHEN known_dep IS NULL THEN 'rejected'
        WHEN in_area <> 'true' THEN 'outside_area'
        WHEN known_level2 IS NULL THEN 'rejected'
        ELSE 'used'
    END;
CREATE OR REPLACE TEMP MACRO fr_reason(dep_code, known_dep, in_area, known_level2, cj, unknown_dep) AS
    CASE
        WHEN dep_code = '' OR in_area = 'false' THEN NULL
        WHEN known_dep IS NULL THEN unknown_dep
        WHEN known_level2 IS NULL THEN 'unknown categorieJuridiqueUniteLegale (level II ' || left(cj, 2) || ')'
    END;
-- The family of a legal category (nom.fr_legal_forms), else SOCENT for a unit flagged ESS, else NONE.
CREATE OR REPLACE TEMP MACRO fr_family(mapped_family, ess_flag) AS
    coalesce(mapped_family, CASE WHEN ess_flag = 'O' THEN 'SOCENT' ELSE 'NONE' END);
