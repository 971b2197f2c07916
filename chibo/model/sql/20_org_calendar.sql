-- Stage 2: active months and quarters of every assessed org (rules.md "Which rows exist").
-- A month is active when the org existed the whole month and the month ended on or before
-- the as-of date; a quarter when it ended on or before the as-of date and holds an active month.

CREATE OR REPLACE TEMP TABLE _org_months AS
WITH months AS (
    SELECT
        r.year,
        mo.month::INTEGER                                   AS month,
        ((mo.month - 1) // 3 + 1)::INTEGER                  AS quarter,
        make_date(r.year, mo.month, 1)                      AS month_start,
        last_day(make_date(r.year, mo.month, 1))            AS month_end,
        last_day(make_date(r.year, ((mo.month - 1) // 3 + 1) * 3, 1)) AS quarter_end
    FROM rulebook_years r
    CROSS JOIN range(1, 13) AS mo(month)
)
SELECT o.org_id, o.level AS org_level, o.parent_id, m.*
FROM org_units o
CROSS JOIN months m
WHERE o.level IN ('chi_bo', 'chi_bo_co_so', 'dang_bo_co_so')
  AND (o.established_on IS NULL OR o.established_on <= m.month_start)
  AND (o.dissolved_on IS NULL OR o.dissolved_on >= m.month_end)
  AND m.month_end <= (SELECT as_of FROM model_params);

CREATE OR REPLACE TEMP TABLE _org_quarters AS
SELECT DISTINCT org_id, year, quarter
FROM _org_months
WHERE quarter_end <= (SELECT as_of FROM model_params);

CREATE OR REPLACE TEMP TABLE _org_years AS
WITH quarters AS (
    SELECT org_id, year, count(*)::INTEGER AS quarters_active
    FROM _org_quarters
    GROUP BY org_id, year
)
SELECT
    m.org_id,
    any_value(m.org_level)                               AS org_level,
    any_value(m.parent_id)                               AS parent_id,
    m.year,
    count(*)::INTEGER                                    AS months_active,
    coalesce(any_value(q.quarters_active), 0)::INTEGER   AS quarters_active
FROM _org_months m
LEFT JOIN quarters q USING (org_id, year)
GROUP BY m.org_id, m.year;
