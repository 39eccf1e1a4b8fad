-- KBO enterprises for the enterprise demography (src.be_kbo_enterprises: those of the Full extract and of the
-- Updates after it, with those an Update deleted), classified like the establishments
-- (classify_be_establishments.sql): territory by the postcode of the registered seat (REGO address, else the
-- address of the enterprise's first establishment unit: kbo._enterprise_rows), family and cooperative
-- type by the juridical form (be_registry.sql, which also gives the outcome and reason). Creation: StartDate; cessation: the snapshot date
-- of the Update that deleted the enterprise, the open data holding active entities only. Grouped like
-- src.fr_sirene_unit_demography; full_years: full years lived until the cessation.
SELECT
    e.seat_postcode, e.juridical_form, e.observed_from, e.snapshot_date,
    year(e.start_date) AS created_year,
    year(e.departed_on) AS ceased_year,
    CASE WHEN e.departed_on IS NOT NULL THEN date_sub('year', e.start_date, e.departed_on) END AS full_years,
    p.nuts3 AS geo,
    CASE WHEN NOT e.valid_number THEN 'rejected'
         ELSE be_outcome(e.seat_foreign, e.seat_postcode, p.postcode, g.geo, e.juridical_form, k.code) END AS outcome,
    CASE WHEN NOT e.valid_number THEN 'invalid enterprise number (mod-97)'
         ELSE be_reason(e.seat_foreign, e.seat_postcode, p.postcode, g.geo, e.juridical_form, k.code,
                        'enterprise without an address (no REGO address, no establishment unit with a BAET address)')
    END AS reason,
    coalesce(fc.family, 'NONE') AS family,
    fc.coop_type,
    count(*) AS units
FROM src.be_kbo_enterprises e
LEFT JOIN nom.be_postcode_nuts3 p ON p.postcode = e.seat_postcode
LEFT JOIN nom.geo g ON g.geo = p.nuts3 AND g.geo_level = 'NUTS3'
LEFT JOIN (SELECT DISTINCT code FROM src.be_kbo_codes WHERE category = 'JuridicalForm') k ON k.code = e.juridical_form
LEFT JOIN be_form_classes() fc ON fc.juridical_form = e.juridical_form
GROUP BY ALL
