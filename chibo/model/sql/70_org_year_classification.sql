-- Stage 8: org_year_classification, every cell and đảng bộ cơ sở row with its final level.
-- Booleans are never null: on a null-level row they are false; criteria_reasons still lists
-- every failing criterion check.

CREATE OR REPLACE TABLE org_year_classification AS
WITH all_rows AS (
    SELECT * FROM _cell_checks WHERE org_level = 'chi_bo'
    UNION ALL BY NAME
    SELECT * FROM _grassroots_checks
),
quota AS (
    SELECT * FROM _quota_cells
    UNION ALL
    SELECT * FROM _quota_grassroots
),
final AS (
    SELECT
        r.*,
        coalesce(q.quota_demoted, false)                                AS demoted,
        CASE WHEN coalesce(q.quota_demoted, false) THEN 'good'
             ELSE r.provisional_level END                               AS final_level
    FROM all_rows r
    LEFT JOIN quota q USING (org_id, year)
)
SELECT
    f.org_id,
    f.year,
    f.org_level,
    f.parent_id,
    f.final_level                                                       AS level,
    lv.level_vi,
    f.provisional_level,
    f.demoted                                                           AS quota_demoted,
    f.final_level IS NOT NULL AND len(f.pt_fail) = 0 AND len(f.mq_fail) = 0
        AND len(f.ud_fail) = 0 AND len(f.mg_fail) = 0                   AS four_good,
    f.final_level IS NOT NULL AND len(f.pt_fail) = 0                    AS political_task_good,
    f.final_level IS NOT NULL AND len(f.mq_fail) = 0                    AS meeting_quality_good,
    f.final_level IS NOT NULL AND len(f.ud_fail) = 0                    AS unity_discipline_good,
    f.final_level IS NOT NULL AND len(f.mg_fail) = 0                    AS members_good,
    list_sort(criterion_codes('political_task_good', f.pt_fail)
              || criterion_codes('meeting_quality_good', f.mq_fail)
              || criterion_codes('unity_discipline_good', f.ud_fail)
              || criterion_codes('members_good', f.mg_fail))           AS criteria_reasons,
    CASE WHEN f.demoted THEN ['excellent_quota']
         ELSE f.provisional_reasons END                                 AS reasons,
    f.rulebook,
    f.year_complete
FROM final f
LEFT JOIN rulebook_levels lv ON lv.rulebook = f.rulebook AND lv.level = f.final_level
ORDER BY f.org_id, f.year;
