-- Stage 4: the checks of every cell-year (chi_bo, chi_bo_co_so): the four goods (rules.md
-- "The four goods of a cell") as lists of failing check codes, and every ladder condition of
-- rules.md "The level" as one named boolean (false when it cannot apply). The level itself is
-- computed from the rulebook's ladder (ladder.sql), never here.
--
-- `_checks` collects every classified org-year (cells here; đảng bộ cơ sở and cấp trên cơ sở
-- in stage 5): one row each, with what the ladder, the quota and the published table need.

CREATE OR REPLACE TEMP TABLE _cell_facts AS
SELECT
    c.*,
    y.kind,
    -- the grassroots organisation a chi bộ competes in (its đảng bộ cơ sở, through a đảng bộ
    -- bộ phận, or the cấp trên cơ sở it hangs under); grassroots orgs compete under their parent
    CASE WHEN c.org_level = 'chi_bo' AND p.level = 'dang_bo_bo_phan' THEN p.parent_id
         ELSE c.parent_id END                                           AS pool_id,
    r.rulebook, r.uses_score, r.rates_timeliness, r.four_good_required,
    r.attendance_num, r.attendance_den, r.speaking_num, r.speaking_den,
    r.members_good_num, r.members_good_den, r.targets_failed_num, r.targets_failed_den,
    r.members_failed_num, r.members_failed_den, r.exceeded_num, r.exceeded_den,
    r.score_excellent_num, r.score_excellent_den, r.score_good_num, r.score_good_den,
    r.score_completed_num, r.score_completed_den, r.late_num, r.late_den,
    a.org_id IS NOT NULL AS has_assessment,
    a.targets_total, a.targets_met, a.targets_exceeded, a.targets_late, a.org_disciplined,
    a.leaders_disciplined, a.disunity, a.mass_orgs_good, a.shortcomings_fixed, a.score
FROM _cell_year_full c
JOIN org_years y USING (org_id, year)
JOIN rulebook_years r USING (year)
LEFT JOIN org_years p ON p.org_id = c.parent_id AND p.year = c.year
LEFT JOIN assessments a ON a.org_id = c.org_id AND a.year = c.year;

CREATE OR REPLACE TEMP TABLE _checks AS
WITH named AS (
    SELECT
        *,
        -- the facts every rule below is built from, each written once
        has_assessment AND targets_met = targets_total                  AS targets_all_met,
        has_assessment AND rates_timeliness AND coalesce(targets_late, 0) >= 1 AS any_target_late,
        has_assessment AND uses_score
            AND NOT score_at_least(score, score_good_num, score_good_den)  AS score_under_good,
        attendance_base > 0
            AND share_above(present, attendance_base, attendance_num, attendance_den)
                                                                        AS attendance_above_threshold,
        present > 0 AND share_at_least(spoke, present, speaking_num, speaking_den)
                                                                        AS speaking_at_threshold,
        regular_months = months_active                                  AS every_month_regular
    FROM _cell_facts
),
crit AS (
    SELECT
        *,
        codes([
            CASE WHEN NOT has_assessment THEN 'no_assessment' END,
            CASE WHEN has_assessment AND NOT targets_all_met THEN 'targets_not_all_met' END,
            CASE WHEN score_under_good THEN 'score_below_good' END,
            CASE WHEN any_target_late THEN 'targets_late' END
        ]) AS pt_fail,
        codes([
            CASE WHEN NOT every_month_regular THEN 'regular_month_missing' END,
            CASE WHEN thematic_quarters <> quarters_active THEN 'thematic_quarter_missing' END,
            CASE WHEN criticism_quarters <> quarters_active THEN 'criticism_quarter_missing' END,
            CASE WHEN short_meetings > 0 THEN 'short_meeting' END,
            CASE WHEN meetings_without_attendance > 0 THEN 'meeting_without_attendance' END,
            CASE WHEN unsigned_minutes > 0 THEN 'unsigned_minutes' END,
            CASE WHEN NOT attendance_above_threshold THEN 'attendance_low' END,
            CASE WHEN unexcused_members > 0 THEN 'unexcused_absence' END,
            CASE WHEN excused_streak_members > 0 THEN 'excused_streak' END,
            CASE WHEN NOT speaking_at_threshold THEN 'speaking_low' END,
            CASE WHEN materials_late_meetings > 0 THEN 'materials_late' END
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
    FROM named
)
SELECT
    org_id, year, org_level, parent_id, kind, pool_id,
    -- a chi bộ is a sub-unit of its grassroots organisation; a chi bộ cơ sở of its parent
    pool_id                                                             AS subunit_of,
    path, rulebook, year_complete, 'cell' AS ladder,
    has_assessment, false AS no_subunits,
    score, targets_exceeded, targets_total, attendance_rate,
    coalesce(org_disciplined, false)                                    AS assessment_org_disciplined,
    pt_fail, mq_fail, ud_fail, mg_fail,
    org_level IN ('chi_bo', 'chi_bo_co_so', 'dang_bo_co_so')            AS may_be_four_good,
    -- the conditions of rules.md "The level" (vocabulary table), false when they cannot apply
    coalesce(has_assessment AND share_below(targets_met, targets_total,
                                            targets_failed_num, targets_failed_den), false)
                                                                        AS targets_below_half,
    coalesce(has_assessment AND NOT targets_all_met, false)             AS targets_not_all_met,
    coalesce(has_assessment AND targets_late >= 1, false)               AS targets_late,
    coalesce(has_assessment AND late_num IS NOT NULL
             AND share_above(targets_late, targets_total, late_num, late_den), false)
                                                                        AS targets_late_too_many,
    coalesce(has_assessment AND share_below(targets_exceeded, targets_total,
                                            exceeded_num, exceeded_den), false)
                                                                        AS targets_exceeded_low,
    coalesce(org_disciplined, false)                                    AS org_disciplined,
    coalesce(disunity, false)                                           AS disunity,
    coalesce(leaders_disciplined, false)                                AS leaders_disciplined,
    coalesce(NOT mass_orgs_good, false)                                 AS mass_orgs_not_good,
    coalesce(NOT shortcomings_fixed, false)                             AS shortcomings_not_fixed,
    uses_score AND score_below(score, score_completed_num, score_completed_den)
                                                                        AS score_below_completed,
    uses_score AND score_below(score, score_good_num, score_good_den)   AS score_below_good,
    uses_score AND score_below(score, score_excellent_num, score_excellent_den)
                                                                        AS score_below_excellent,
    rated_members >= 1 AND share_above(rated_failed, rated_members,
                                       members_failed_num, members_failed_den)
                                                                        AS members_failed_over_half,
    len(mg_fail) > 0                                                    AS members_not_good,
    disciplined_members >= 1                                            AS members_disciplined,
    2 * regular_months < months_active                                  AS meetings_mostly_missing,
    NOT every_month_regular                                             AS regular_month_missing,
    NOT attendance_above_threshold                                      AS attendance_low,
    false                                                               AS subunits_disciplined_too_many,
    false                                                               AS subunit_failed,
    false                                                               AS subunit_not_classified,
    false                                                               AS subunit_disciplined,
    four_good_required AND NOT (len(pt_fail) = 0 AND len(mq_fail) = 0
                                AND len(ud_fail) = 0 AND len(mg_fail) = 0)
                                                                        AS not_four_good
FROM crit;

-- final levels so far (after each quota); filled by the quota stages
CREATE OR REPLACE TEMP TABLE _final (org_id VARCHAR, year INTEGER, level VARCHAR,
                                     provisional_level VARCHAR, reasons VARCHAR[],
                                     quota_demoted BOOLEAN);
