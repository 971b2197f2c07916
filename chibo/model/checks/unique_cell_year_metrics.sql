-- cell_year_metrics has one row per (org_id, year)
SELECT org_id, year, count(*) AS n FROM cell_year_metrics GROUP BY org_id, year HAVING count(*) > 1
