-- Stage 8: where every dissolved organisation is today (outputs.md `v_org_lineage`): follow
-- successor_id over the latest versions until an org that is not dissolved, an id nobody
-- delivered, a dissolved org without successor, or a cycle.

CREATE OR REPLACE TABLE org_lineage AS
WITH RECURSIVE cur AS (
    SELECT org_id, name, level, dissolved_on, successor_id, decision
    FROM org_units WHERE valid_to IS NULL
), walk(org_id, next_id, chain, steps, cycle) AS (
    SELECT org_id, successor_id, [successor_id], 1, successor_id = org_id
    FROM cur WHERE dissolved_on IS NOT NULL AND successor_id IS NOT NULL
    UNION ALL
    SELECT w.org_id, n.successor_id, list_append(w.chain, n.successor_id), w.steps + 1,
           n.successor_id = w.org_id OR list_contains(w.chain, n.successor_id)
    FROM walk w JOIN cur n ON n.org_id = w.next_id
    WHERE NOT w.cycle AND n.dissolved_on IS NOT NULL AND n.successor_id IS NOT NULL
      AND w.steps < 1000
), last_step AS (
    SELECT org_id, arg_max(chain, steps) AS chain, bool_or(cycle) AS cycle
    FROM walk GROUP BY org_id
)
SELECT d.org_id, d.name, d.level, d.dissolved_on, d.decision, d.successor_id,
       coalesce(l.chain, []) AS successor_chain,
       CASE WHEN NOT coalesce(l.cycle, false) AND e.org_id IS NOT NULL AND e.dissolved_on IS NULL
            THEN e.org_id END AS current_id,
       CASE WHEN NOT coalesce(l.cycle, false) AND e.org_id IS NOT NULL AND e.dissolved_on IS NULL
            THEN e.name END AS current_name,
       CASE WHEN NOT coalesce(l.cycle, false) AND e.org_id IS NOT NULL AND e.dissolved_on IS NULL
            THEN e.level END AS current_level,
       CASE WHEN coalesce(l.cycle, false) THEN 'cycle'
            WHEN l.chain IS NULL THEN 'no_successor'
            WHEN e.org_id IS NULL THEN 'unknown_successor'
            WHEN e.dissolved_on IS NOT NULL THEN 'no_successor'
            ELSE 'current' END AS lineage_status
FROM cur d
LEFT JOIN last_step l ON l.org_id = d.org_id
LEFT JOIN cur e ON e.org_id = l.chain[-1]
WHERE d.dissolved_on IS NOT NULL
ORDER BY d.org_id;
