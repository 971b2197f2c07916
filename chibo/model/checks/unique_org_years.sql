-- the tree of a year holds each org once
SELECT org_id, year, count(*) AS n FROM org_years GROUP BY org_id, year HAVING count(*) > 1
