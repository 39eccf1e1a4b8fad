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
