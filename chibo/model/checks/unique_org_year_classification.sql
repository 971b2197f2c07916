-- org_year_classification has one row per (org_id, year)
SELECT org_id, year, count(*) AS n FROM org_year_classification GROUP BY org_id, year
HAVING count(*) > 1
