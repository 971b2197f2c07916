-- Stage 2: the calendar and the tree of each year (rules.md "Which rows exist").
-- A month is active for an org when the org existed the whole month (established_on null or
-- ≤ its first day; dissolved_on null or ≥ its last day — the organisation's own facts, the
-- same on every version) and the month ended on or before the as-of date; a quarter when it
-- ended on or before the as-of date and holds an active month.

CREATE OR REPLACE TABLE org_months AS
WITH orgs AS (
    SELECT org_id, any_value(established_on) AS established_on,
           any_value(dissolved_on) AS dissolved_on
    FROM org_units GROUP BY org_id
),
months AS (
    SELECT
        r.year,
        mo.month::INTEGER                                   AS month,
        ((mo.month - 1) // 3 + 1)::INTEGER                  AS quarter,
        make_date(r.year, mo.month, 1)                      AS month_start,
        last_day(make_date(r.year, mo.month, 1))            AS month_end,
        last_day(make_date(r.year, ((mo.month - 1) // 3 + 1) * 3, 1)) AS quarter_end
    FROM rulebook_years r
    CROSS JOIN range(1, 13) AS mo(month)
),
-- what was held, written once here (metrics, views and reports count these flags): a regular
-- meeting in the month (regular or combined), a thematic one in its quarter (thematic or
-- combined), and a regular meeting with criticism and self-criticism in its quarter
regular_held AS (
    SELECT DISTINCT cell_id AS org_id, year, month FROM _meeting_facts
    WHERE meeting_type IN ('regular', 'combined')
),
thematic_held AS (
    SELECT DISTINCT cell_id AS org_id, year, quarter FROM _meeting_facts
    WHERE meeting_type IN ('thematic', 'combined')
),
criticism_held AS (
    SELECT DISTINCT cell_id AS org_id, year, quarter FROM _meeting_facts
    WHERE meeting_type IN ('regular', 'combined') AND criticism_held
)
SELECT o.org_id, m.year, m.month, m.quarter, m.month_end,
       m.quarter_end <= (SELECT as_of FROM model_params) AS quarter_active,
       r.org_id IS NOT NULL                              AS regular_held,
       t.org_id IS NOT NULL                              AS thematic_held_in_quarter,
       c.org_id IS NOT NULL                              AS criticism_held_in_quarter
FROM orgs o
CROSS JOIN months m
LEFT JOIN regular_held r ON r.org_id = o.org_id AND r.year = m.year AND r.month = m.month
LEFT JOIN thematic_held t ON t.org_id = o.org_id AND t.year = m.year AND t.quarter = m.quarter
LEFT JOIN criticism_held c ON c.org_id = o.org_id AND c.year = m.year AND c.quarter = m.quarter
WHERE (o.established_on IS NULL OR o.established_on <= m.month_start)
  AND (o.dissolved_on IS NULL OR o.dissolved_on >= m.month_end)
  AND m.month_end <= (SELECT as_of FROM model_params)
ORDER BY o.org_id, m.year, m.month;

-- the version of an org-year: the one in force on the org's last active day of the year
-- (the last day of its last active month); before every version, the earliest one
CREATE OR REPLACE TEMP TABLE _org_year_versions AS
WITH last_day AS (
    SELECT org_id, year, max(month_end) AS last_active_day,
           count(*)::INTEGER AS months_active,
           count(DISTINCT quarter) FILTER (WHERE quarter_active)::INTEGER AS quarters_active
    FROM org_months GROUP BY org_id, year
),
candidates AS (
    SELECT d.*, v.valid_from, v.level, v.parent_id, v.name, v.kind,
           row_number() OVER (
               PARTITION BY d.org_id, d.year
               ORDER BY (coalesce(v.valid_from, DATE '0001-01-01') <= d.last_active_day) DESC,
                        CASE WHEN coalesce(v.valid_from, DATE '0001-01-01') <= d.last_active_day
                             THEN coalesce(v.valid_from, DATE '0001-01-01') END DESC,
                        coalesce(v.valid_from, DATE '0001-01-01') ASC) AS pick
    FROM last_day d JOIN org_units v USING (org_id)
)
SELECT org_id, year, level, parent_id, name, kind, valid_from, months_active, quarters_active
FROM candidates WHERE pick = 1;

-- the tree of each year: depth-first from the roots of that year (an org whose parent has no
-- row that year is a root), siblings by org_id
CREATE OR REPLACE TABLE org_years AS
WITH RECURSIVE t(org_id, year, depth, path, grassroots_id, upper_id) AS (
    SELECT v.org_id, v.year, 0, [v.org_id],
           CASE WHEN v.level IN ('dang_bo_co_so', 'chi_bo_co_so') THEN v.org_id END,
           CASE WHEN v.level = 'cap_tren_co_so' THEN v.org_id END
    FROM _org_year_versions v
    WHERE v.parent_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM _org_year_versions p
                      WHERE p.org_id = v.parent_id AND p.year = v.year)
    UNION ALL
    SELECT c.org_id, c.year, t.depth + 1, list_append(t.path, c.org_id),
           CASE WHEN c.level IN ('dang_bo_co_so', 'chi_bo_co_so') THEN c.org_id
                -- a chi bộ directly under a cấp trên cơ sở: that is its grassroots level
                WHEN c.level = 'chi_bo' AND t.grassroots_id IS NULL THEN t.upper_id
                ELSE t.grassroots_id END,
           CASE WHEN c.level = 'cap_tren_co_so' THEN c.org_id ELSE t.upper_id END
    FROM _org_year_versions c
    JOIN t ON c.parent_id = t.org_id AND c.year = t.year
    WHERE t.depth < 64 AND NOT list_contains(t.path, c.org_id)
)
SELECT v.org_id, v.year, v.level, v.parent_id, v.name, v.kind, v.valid_from,
       v.months_active, v.quarters_active,
       t.depth, t.path,
       row_number() OVER (PARTITION BY v.year ORDER BY t.path) AS tree_order,
       t.grassroots_id, t.upper_id
FROM _org_year_versions v
JOIN t USING (org_id, year)
ORDER BY v.year, tree_order;

-- the org-years this model classifies, and the helper lookups of the later stages
CREATE OR REPLACE TEMP TABLE _org_years AS
SELECT org_id, year, level AS org_level, parent_id, kind, months_active, quarters_active, path
FROM org_years
WHERE level IN ('chi_bo', 'chi_bo_co_so', 'dang_bo_co_so', 'cap_tren_co_so');

CREATE OR REPLACE TEMP TABLE _org_quarters AS
SELECT DISTINCT org_id, year, quarter FROM org_months WHERE quarter_active;
