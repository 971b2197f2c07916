-- The level from the rulebook's ladder (rules.md "The level: a ladder of conditions"), for the
-- org-years of `_checks` whose org_level is in {levels}. Generic: the conditions are unpivoted
-- into (condition, holds) and matched with `rulebook_ladders` (rulebook, ladder, rung,
-- condition); no regime and no condition is named here.
--   1. no own assessment → null [no_assessment]; a collective with no sub-unit → null
--      [no_subunits] (first when both hold);
--   2. failed when a failed_when condition holds; 3. else completed when a completed_when one
--      holds; 4. else good when a good_when one holds; 5. else excellent (before the quota).
-- The reasons are the conditions of the deciding rung that hold.

CREATE OR REPLACE TEMP TABLE _provisional AS
WITH rows AS (
    SELECT * FROM _checks WHERE org_level IN {levels}
),
holding AS (
    SELECT u.org_id, u.year, l.rung, list_sort(list(u.condition)) AS conditions
    FROM (UNPIVOT (SELECT org_id, year, rulebook, ladder, {conditions} FROM rows)
          ON {conditions} INTO NAME condition VALUE holds) u
    JOIN rulebook_ladders l
      ON l.rulebook = u.rulebook AND l.ladder = u.ladder AND l.condition = u.condition
    WHERE u.holds
    GROUP BY u.org_id, u.year, l.rung
),
rungs AS (
    SELECT org_id, year,
           any_value(conditions) FILTER (WHERE rung = 'failed_when')    AS failed_when,
           any_value(conditions) FILTER (WHERE rung = 'completed_when') AS completed_when,
           any_value(conditions) FILTER (WHERE rung = 'good_when')      AS good_when
    FROM holding GROUP BY org_id, year
)
SELECT
    r.org_id, r.year,
    CASE WHEN r.no_subunits OR NOT r.has_assessment THEN NULL
         WHEN g.failed_when IS NOT NULL THEN 'failed'
         WHEN g.completed_when IS NOT NULL THEN 'completed'
         WHEN g.good_when IS NOT NULL THEN 'good'
         ELSE 'excellent' END                                          AS provisional_level,
    CASE WHEN r.no_subunits THEN ['no_subunits']
         WHEN NOT r.has_assessment THEN ['no_assessment']
         ELSE coalesce(g.failed_when, g.completed_when, g.good_when, []::VARCHAR[])
    END                                                                AS provisional_reasons
FROM rows r
LEFT JOIN rungs g USING (org_id, year);
