-- Stage 6: đảng bộ cơ sở (rules.md "Đảng bộ cơ sở"). Sub-units = its chi_bo children with a
-- classification row that year, with their FINAL levels (after the quota per đảng bộ, stage 5).
-- A sub-unit's meeting_quality_good is its published value (false on a null-level row).

CREATE OR REPLACE TEMP TABLE _subunits AS
SELECT
    c.org_id, c.year, c.parent_id,
    CASE WHEN coalesce(q.quota_demoted, false) THEN 'good' ELSE c.provisional_level END AS level,
    c.provisional_level IS NOT NULL AND len(c.mq_fail) = 0   AS meeting_quality_good,
    coalesce(c.org_disciplined, false)                       AS assessment_org_disciplined,
    m.regular_months, m.months_active,
    m.disciplined_members, m.removal_candidates,
    m.rated_members, m.rated_excellent, m.rated_good, m.rated_failed
FROM _cell_checks c
JOIN _cell_year_full m USING (org_id, year)
LEFT JOIN _quota_cells q USING (org_id, year)
WHERE c.org_level = 'chi_bo';

CREATE OR REPLACE TEMP TABLE _dang_bo_checks AS
WITH sub AS (
    SELECT
        parent_id AS org_id,
        year,
        count(*)                                                        AS n_sub,
        count(*) FILTER (WHERE level IN ('good', 'excellent'))          AS n_sub_good,
        count(*) FILTER (WHERE level = 'failed')                        AS n_sub_failed,
        count(*) FILTER (WHERE level IS NULL)                           AS n_sub_unclassified,
        count(*) FILTER (WHERE regular_months <> months_active)         AS n_sub_regular_missing,
        count(*) FILTER (WHERE meeting_quality_good)                    AS n_sub_mq_good,
        count(*) FILTER (WHERE assessment_org_disciplined)              AS n_sub_disciplined,
        sum(disciplined_members)                                        AS disciplined_members,
        sum(removal_candidates)                                         AS removal_candidates,
        sum(rated_members)                                              AS rated_members,
        sum(rated_excellent + rated_good)                               AS rated_good_or_better,
        sum(rated_failed)                                               AS rated_failed
    FROM _subunits
    GROUP BY parent_id, year
),
j AS (
    SELECT
        y.org_id, y.year, y.org_level, y.parent_id,
        coalesce(s.n_sub, 0)                 AS n_sub,
        coalesce(s.n_sub_good, 0)            AS n_sub_good,
        coalesce(s.n_sub_failed, 0)          AS n_sub_failed,
        coalesce(s.n_sub_unclassified, 0)    AS n_sub_unclassified,
        coalesce(s.n_sub_regular_missing, 0) AS n_sub_regular_missing,
        coalesce(s.n_sub_mq_good, 0)         AS n_sub_mq_good,
        coalesce(s.n_sub_disciplined, 0)     AS n_sub_disciplined,
        coalesce(s.disciplined_members, 0)   AS disciplined_members,
        coalesce(s.removal_candidates, 0)    AS removal_candidates,
        coalesce(s.rated_members, 0)         AS rated_members,
        coalesce(s.rated_good_or_better, 0)  AS rated_good_or_better,
        coalesce(s.rated_failed, 0)          AS rated_failed,
        r.rulebook, r.uses_score, r.four_good_required, r.year_complete,
        r.members_good_num, r.members_good_den, r.targets_failed_num, r.targets_failed_den,
        r.subunits_disciplined_num, r.subunits_disciplined_den,
        r.exceeded_num, r.exceeded_den, r.subunits_mq_num, r.subunits_mq_den,
        r.score_excellent_num, r.score_excellent_den, r.score_good_num, r.score_good_den,
        r.score_completed_num, r.score_completed_den,
        a.org_id IS NOT NULL AS has_assessment,
        a.targets_total, a.targets_met, a.targets_exceeded, a.org_disciplined, a.disunity,
        a.mass_orgs_good, a.shortcomings_fixed, a.score
    FROM _org_years y
    JOIN rulebook_years r USING (year)
    LEFT JOIN sub s USING (org_id, year)
    LEFT JOIN assessments a ON a.org_id = y.org_id AND a.year = y.year
    WHERE y.org_level = 'dang_bo_co_so'
),
crit AS (
    SELECT
        *,
        codes([
            CASE WHEN NOT has_assessment THEN 'no_assessment' END,
            CASE WHEN has_assessment AND targets_met <> targets_total THEN 'targets_not_all_met' END,
            CASE WHEN has_assessment AND uses_score
                      AND NOT score_at_least(score, score_good_num, score_good_den)
                 THEN 'score_below_good' END,
            CASE WHEN n_sub_good < n_sub THEN 'subunit_below_good' END
        ]) AS pt_fail,
        codes([
            CASE WHEN n_sub_regular_missing > 0 THEN 'subunit_regular_month_missing' END,
            CASE WHEN NOT share_at_least(n_sub_mq_good, n_sub, subunits_mq_num, subunits_mq_den)
                 THEN 'subunits_meeting_quality_low' END
        ]) AS mq_fail,
        codes([
            CASE WHEN NOT has_assessment THEN 'no_assessment' END,
            CASE WHEN has_assessment AND org_disciplined THEN 'org_disciplined' END,
            CASE WHEN has_assessment AND disunity THEN 'disunity' END,
            CASE WHEN n_sub_disciplined > 0 THEN 'subunit_disciplined' END,
            CASE WHEN disciplined_members > 0 THEN 'members_disciplined' END,
            CASE WHEN removal_candidates > 0 THEN 'removal_candidates' END
        ]) AS ud_fail,
        codes([
            CASE WHEN rated_members < 1 THEN 'no_member_ratings' END,
            CASE WHEN rated_failed > 0 THEN 'members_failed' END,
            CASE WHEN NOT share_at_least(rated_good_or_better, rated_members,
                                         members_good_num, members_good_den)
                 THEN 'members_good_share_low' END
        ]) AS mg_fail
    FROM j
),
levels AS (
    SELECT
        *,
        codes([
            CASE WHEN share_below(targets_met, targets_total, targets_failed_num, targets_failed_den)
                 THEN 'targets_below_half' END,
            CASE WHEN org_disciplined THEN 'org_disciplined' END,
            CASE WHEN disunity THEN 'disunity' END,
            CASE WHEN share_above(n_sub_disciplined, n_sub, subunits_disciplined_num,
                                  subunits_disciplined_den)
                 THEN 'subunits_disciplined_too_many' END,
            CASE WHEN uses_score AND score_below(score, score_completed_num, score_completed_den)
                 THEN 'score_below_completed' END
        ]) AS failed_codes,
        codes([
            CASE WHEN targets_met <> targets_total THEN 'targets_not_all_met' END,
            CASE WHEN n_sub_failed > 0 THEN 'subunit_failed' END,
            CASE WHEN uses_score AND NOT score_at_least(score, score_good_num, score_good_den)
                 THEN 'score_below_good' END
        ]) AS good_unmet,
        codes([
            CASE WHEN NOT share_at_least(targets_exceeded, targets_total, exceeded_num, exceeded_den)
                 THEN 'targets_exceeded_low' END,
            CASE WHEN n_sub_unclassified > 0 THEN 'subunit_not_classified' END,
            CASE WHEN n_sub_disciplined > 0 THEN 'subunit_disciplined' END,
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
    score, targets_exceeded, targets_total, NULL::DOUBLE AS attendance_rate,
    org_disciplined,
    pt_fail, mq_fail, ud_fail, mg_fail,
    CASE WHEN n_sub = 0 OR NOT has_assessment THEN NULL
         WHEN len(failed_codes) > 0 THEN 'failed'
         WHEN len(good_unmet) > 0 THEN 'completed'
         WHEN len(excellent_unmet) > 0 THEN 'good'
         ELSE 'excellent' END                                   AS provisional_level,
    CASE WHEN n_sub = 0 THEN ['no_subunits']
         WHEN NOT has_assessment THEN ['no_assessment']
         WHEN len(failed_codes) > 0 THEN failed_codes
         WHEN len(good_unmet) > 0 THEN good_unmet
         ELSE excellent_unmet END                               AS provisional_reasons
FROM levels;

-- the grassroots pool of stage 7: đảng bộ cơ sở and chi bộ cơ sở together under their parent
CREATE OR REPLACE TEMP TABLE _grassroots_checks AS
SELECT * FROM _dang_bo_checks
UNION ALL BY NAME
SELECT * FROM _cell_checks WHERE org_level = 'chi_bo_co_so';
