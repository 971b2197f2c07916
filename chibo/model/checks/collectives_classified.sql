-- every đảng bộ cơ sở and cấp trên cơ sở of a year's tree has a classification row
SELECT y.org_id, y.year FROM org_years y
WHERE y.level IN ('dang_bo_co_so', 'cap_tren_co_so')
  AND NOT EXISTS (SELECT 1 FROM org_year_classification c
                  WHERE c.org_id = y.org_id AND c.year = y.year)
