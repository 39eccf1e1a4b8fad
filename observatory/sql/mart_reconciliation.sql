-- Common vs national definition, published from work.reconciliation with its conf_status (A, O primary; D
-- secondary, from observatory.disclosure).
INSERT INTO mart.perimeter_reconciliation
SELECT year, country, geo, definition, component, CASE WHEN conf_status IS NULL THEN jobs END, description,
       conf_status
FROM work.reconciliation
ORDER BY year, country, definition, component;
