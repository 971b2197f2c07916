-- Stage 6: org_year_classification, every cell, đảng bộ cơ sở and cấp trên cơ sở row with its
-- final level, and the official rating held against it (rules.md "Official ratings against
-- the evidence"). Booleans are never null; the four criteria are evaluated literally, on a
-- null-level row too. A cấp trên cơ sở is never "4 tốt".

CREATE OR REPLACE TABLE org_year_classification AS
WITH f AS (
    SELECT c.*, fl.level AS final_level, fl.provisional_level, fl.reasons AS final_reasons,
           fl.quota_demoted,
           len(c.pt_fail) = 0 AS pt_good, len(c.mq_fail) = 0 AS mq_good,
           len(c.ud_fail) = 0 AS ud_good, len(c.mg_fail) = 0 AS mg_good
    FROM _checks c JOIN _final fl USING (org_id, year)
),
rated AS (
    SELECT f.*, cl.rank AS computed_rank, o.level AS official_level, ol.rank AS official_rank,
           o.four_good_awarded,
           f.may_be_four_good AND f.pt_good AND f.mq_good AND f.ud_good AND f.mg_good AS four_good
    FROM f
    LEFT JOIN levels cl ON cl.level = f.final_level
    LEFT JOIN official_ratings o ON o.org_id = f.org_id AND o.year = f.year
    LEFT JOIN levels ol ON ol.level = o.level
)
SELECT
    r.org_id,
    r.year,
    r.org_level,
    r.parent_id,
    r.final_level                                                      AS level,
    lv.level_vi,
    r.provisional_level,
    r.quota_demoted,
    r.four_good,
    r.pt_good                                                          AS political_task_good,
    r.mq_good                                                          AS meeting_quality_good,
    r.ud_good                                                          AS unity_discipline_good,
    r.mg_good                                                          AS members_good,
    list_sort(criterion_codes('political_task_good', r.pt_fail)
              || criterion_codes('meeting_quality_good', r.mq_fail)
              || criterion_codes('unity_discipline_good', r.ud_fail)
              || criterion_codes('members_good', r.mg_fail))          AS criteria_reasons,
    r.final_reasons                                                    AS reasons,
    r.rulebook,
    r.year_complete,
    r.official_level,
    CASE WHEN r.official_level IS NULL THEN NULL
         WHEN r.final_level IS NULL THEN 'not_computed'
         WHEN r.official_rank = r.computed_rank THEN 'agrees'
         WHEN r.official_rank < r.computed_rank THEN 'official_higher'
         ELSE 'official_lower' END                                     AS audit,
    (r.computed_rank - r.official_rank)::INTEGER                       AS rank_gap,
    CASE WHEN r.four_good_awarded IS NULL THEN NULL
         WHEN r.four_good_awarded = r.four_good THEN 'agrees'
         WHEN r.four_good_awarded THEN 'awarded_not_met'
         ELSE 'met_not_awarded' END                                    AS four_good_audit
FROM rated r
LEFT JOIN rulebook_levels lv ON lv.rulebook = r.rulebook AND lv.level = r.final_level
ORDER BY r.org_id, r.year;

-- member ratings the attendance does not support: excellent or good in a year in which the
-- member is a removal candidate (over all cells) or has a run of excused absences longer
-- than excused_streak_max
CREATE OR REPLACE TABLE member_rating_audit AS
SELECT
    mr.member_id, mr.year, mr.cell_id, mr.rating,
    'rating_unsupported'                                               AS audit,
    my.unexcused_months,
    my.longest_excused_streak
FROM member_ratings mr
JOIN member_years my USING (member_id, year)
JOIN rulebook_years r USING (year)
WHERE mr.rating IN ('excellent', 'good')
  AND (my.removal_candidate OR my.longest_excused_streak > r.excused_streak_max)
ORDER BY mr.member_id, mr.year;
