-- Macros shared by the classifications of the KBO registry (classify_be_establishments.sql, classify_be_demography.sql).

-- The family of each KBO juridical form (nom.be_legal_forms; the open data has no accreditation, so only the rules
-- on the form alone apply): the rule of lowest priority, a tie broken on the family so that no build depends on
-- the order rows arrive in; and a cooperative's type (nom.be_cooperative_types, '*' matching any form).
CREATE OR REPLACE TEMP MACRO be_form_classes() AS TABLE
    WITH form_family AS (
        SELECT juridical_form, first(family ORDER BY CAST(priority AS INTEGER), family) AS family
        FROM nom.be_legal_forms WHERE accreditation = '' GROUP BY ALL
    )
    SELECT f.juridical_form, f.family,
           CASE WHEN f.family = 'COOP'
                THEN first(r.coop_type ORDER BY CAST(r.priority AS INTEGER), r.coop_type) END AS coop_type
    FROM form_family f
    LEFT JOIN nom.be_cooperative_types r ON r.juridical_form IN (f.juridical_form, '*') AND r.accreditation = ''
    GROUP BY f.juridical_form, f.family;

-- A KBO entity (an establishment unit, or an enterprise placed by its seat) by its address and juridical form,
-- joined to nom.be_postcode_nuts3 (known_postcode), nom.geo (area_nuts3) and the KBO code list (known_form):
-- used, outside_area or rejected, and why; no_address is the reason when it has no Belgian address.
CREATE OR REPLACE TEMP MACRO be_outcome(is_foreign, postcode, known_postcode, area_nuts3, form, known_form) AS
    CASE
        WHEN is_foreign THEN 'outside_area'
        WHEN postcode = '' OR known_postcode IS NULL THEN 'rejected'
        WHEN area_nuts3 IS NULL THEN 'outside_area'
        WHEN form <> '' AND known_form IS NULL THEN 'rejected'
        ELSE 'used'
    END;
CREATE OR REPLACE TEMP MACRO be_reason(is_foreign, postcode, known_postcode, area_nuts3, form, known_form,
                                       no_address) AS
    CASE
        WHEN is_foreign OR (known_postcode IS NOT NULL AND area_nuts3 IS NULL) THEN NULL
        WHEN postcode = '' THEN no_address
        WHEN known_postcode IS NULL THEN 'postcode unknown to the TERCET postcode-NUTS table'
        WHEN form <> '' AND known_form IS NULL THEN 'juridical form unknown to the KBO code list'
    END;
