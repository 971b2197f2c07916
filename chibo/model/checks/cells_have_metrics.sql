-- every cell of a year's tree (with an active month) has a metrics row and a classification row
SELECT y.org_id, y.year FROM org_years y
WHERE y.level IN ('chi_bo', 'chi_bo_co_so')
  AND (NOT EXISTS (SELECT 1 FROM cell_year_metrics m WHERE m.org_id = y.org_id AND m.year = y.year)
       OR NOT EXISTS (SELECT 1 FROM org_year_classification c
                      WHERE c.org_id = y.org_id AND c.year = y.year))
