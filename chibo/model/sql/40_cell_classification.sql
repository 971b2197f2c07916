-- Stage 4: the four goods and the provisional level of every cell (chi_bo, chi_bo_co_so)
-- (rules.md "The four goods of a cell" and "Level of a cell"). Each check is a CASE that
-- yields its reason code when the check fails; `codes([...])` keeps the failing ones.
-- Checks that need the assessment are only evaluated when it exists.

CREATE OR REPLACE TEMP TABLE _cell_checks AS
WITH j AS (
    SELECT
        c.*,
        r.rulebook, r.uses_score, r.four_good_required,
        r.attendance_num, r.attendance_den, r.speaking_num, r.speaking_den,
        r.members_good_num, r.members_good_den, r.targets_failed_num, r.targets_failed_den,
        r.members_failed_num, r.members_failed_den, r.exceeded_num, r.exceeded_den,
        r.score_excellent_num, r.score_excellent_den, r.score_good_num, r.score_good_den,
        r.score_completed_num, r.score_completed_den,
        a.org_id IS NOT NULL AS has_assessment,
        a.targets_total, a.targets_met, a.targets_exceeded, a.org_disciplined, a.disunity,
        a.mass_orgs_good, a.shortcomings_fixed, a.score
    FROM _cell_year_full c
    JOIN rulebook_years r USING (year)
    LEFT JOIN assessments a ON a.org_id = c.org_id AND a.year = c.year
),
crit AS (
    SELECT
        *,
        codes([
            CASE WHEN NOT has_assessment THEN 'no_assessment' END,
            CASE WHEN has_assessment AND targets_met <> targets_total THEN 'targets_not_all_met' END,
            CASE WHEN has_assessment AND uses_score
                      AND NOT score_at_least(score, score_good_num, score_good_den)
                 THEN 'score_below_good' END
        ]) AS pt_fail,
        codes([
            CASE WHEN regular_months <> months_active THEN 'regular_month_missing' END,
            CASE WHEN thematic_quarters <> quarters_active THEN 'thematic_quarter_missing' END,
            CASE WHEN criticism_quarters <> quarters_active THEN 'criticism_quarter_missing' END,
            CASE WHEN short_meetings > 0 THEN 'short_meeting' END,
            CASE WHEN meetings_without_attendance > 0 THEN 'meeting_without_attendance' END,
            CASE WHEN unsigned_minutes > 0 THEN 'unsigned_minutes' END,
            CASE WHEN NOT (attendance_base > 0
                           AND share_above(present, attendance_base, attendance_num, attendance_den))
                 THEN 'attendance_low' END,
            CASE WHEN unexcused_members > 0 THEN 'unexcused_absence' END,
            CASE WHEN excused_streak_members > 0 THEN 'excused_streak' END,
            CASE WHEN NOT (present > 0 AND share_at_least(spoke, present, speaking_num, speaking_den))
                 THEN 'speaking_low' END
        ]) AS mq_fail,
        codes([
            CASE WHEN NOT has_assessment THEN 'no_assessment' END,
            CASE WHEN has_assessment AND org_disciplined THEN 'org_disciplined' END,
            CASE WHEN has_assessment AND disunity THEN 'disunity' END,
            CASE WHEN disciplined_members > 0 THEN 'members_disciplined' END,
            CASE WHEN removal_candidates > 0 THEN 'removal_candidates' END
        ]) AS ud_fail,
        codes([
            CASE WHEN rated_members < 1 THEN 'no_member_ratings' END,
            CASE WHEN rated_failed > 0 THEN 'members_failed' END,
            CASE WHEN NOT share_at_least(rated_excellent + rated_good, rated_members,
                                         members_good_num, members_good_den)
                 THEN 'members_good_share_low' END
        ]) AS mg_fail
    FROM j
),
levels AS (
    SELECT
        *,
        len(pt_fail) = 0 AND len(mq_fail) = 0 AND len(ud_fail) = 0 AND len(mg_fail) = 0 AS four_good_eval,
        codes([
            CASE WHEN share_below(targets_met, targets_total, targets_failed_num, targets_failed_den)
                 THEN 'targets_below_half' END,
            CASE WHEN org_disciplined THEN 'org_disciplined' END,
            CASE WHEN disunity THEN 'disunity' END,
            CASE WHEN rated_members >= 1
                      AND share_above(rated_failed, rated_members, members_failed_num, members_failed_den)
                 THEN 'members_failed_over_half' END,
            CASE WHEN 2 * regular_months < months_active THEN 'meetings_mostly_missing' END,
            CASE WHEN uses_score AND score_below(score, score_completed_num, score_completed_den)
                 THEN 'score_below_completed' END
        ]) AS failed_codes,
        codes([
            CASE WHEN targets_met <> targets_total THEN 'targets_not_all_met' END,
            CASE WHEN regular_months <> months_active THEN 'regular_month_missing' END,
            CASE WHEN NOT (attendance_base > 0
                           AND share_above(present, attendance_base, attendance_num, attendance_den))
                 THEN 'attendance_low' END,
            CASE WHEN uses_score AND NOT score_at_least(score, score_good_num, score_good_den)
                 THEN 'score_below_good' END
        ]) AS good_unmet,
        codes([
            CASE WHEN NOT share_at_least(targets_exceeded, targets_total, exceeded_num, exceeded_den)
                 THEN 'targets_exceeded_low' END,
            CASE WHEN len(mg_fail) > 0 THEN 'members_not_good' END,
            CASE WHEN disciplined_members > 0 THEN 'members_disciplined' END,
            CASE WHEN NOT mass_orgs_good THEN 'mass_orgs_not_good' END,
            CASE WHEN NOT shortcomings_fixed THEN 'shortcomings_not_fixed' END,
            CASE WHEN uses_score AND NOT score_at_least(score, score_excellent_num, score_excellent_den)
                 THEN 'score_below_excellent' END,
            CASE WHEN four_good_required
                      AND NOT (len(pt_fail) = 0 AND len(mq_fail) = 0
                               AND len(ud_fail) = 0 AND len(mg_fail) = 0)
                 THEN 'not_four_good' END
        ]) AS excellent_unmet
    FROM crit
)
SELECT
    org_id, year, org_level, parent_id, rulebook, year_complete,
    score, targets_exceeded, targets_total, attendance_rate,
    org_disciplined,
    pt_fail, mq_fail, ud_fail, mg_fail,
    CASE WHEN NOT has_assessment THEN NULL
         WHEN len(failed_codes) > 0 THEN 'failed'
         WHEN len(good_unmet) > 0 THEN 'completed'
         WHEN len(excellent_unmet) > 0 THEN 'good'
         ELSE 'excellent' END                                   AS provisional_level,
    CASE WHEN NOT has_assessment THEN ['no_assessment']
         WHEN len(failed_codes) > 0 THEN failed_codes
         WHEN len(good_unmet) > 0 THEN good_unmet
         ELSE excellent_unmet END                               AS provisional_reasons
FROM levels;
