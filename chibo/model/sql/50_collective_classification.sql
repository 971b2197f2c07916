-- Stage 5: the checks of every {level} org-year (rules.md "Collectives"), appended to
-- `_checks`. In year Y (the tree of Y):
--   sub-units: org-years whose `subunit_of` is the collective (a đảng bộ cơ sở: its chi bộ,
--   also those under its đảng bộ bộ phận; a cấp trên cơ sở: its chi bộ, chi bộ cơ sở and
--   đảng bộ cơ sở), with their FINAL levels (after their own quota);
--   cells below: every cell whose path that year passes through the collective; member
--   figures and removal candidates are plain sums over them.

INSERT INTO _checks BY NAME
WITH collectives AS (
    SELECT y.*, p.level AS parent_level
    FROM _org_years y
    LEFT JOIN org_years p ON p.org_id = y.parent_id AND p.year = y.year
    WHERE y.org_level = '{level}'
),
sub AS (
    SELECT
        c.subunit_of AS org_id, c.year,
        count(*)                                                          AS n_sub,
        count(*) FILTER (WHERE f.level IN ('good', 'excellent'))          AS n_sub_good,
        count(*) FILTER (WHERE f.level = 'failed')                        AS n_sub_failed,
        count(*) FILTER (WHERE f.level IS NULL)                           AS n_sub_unclassified,
        count(*) FILTER (WHERE len(c.mq_fail) = 0)                        AS n_sub_mq_good,
        count(*) FILTER (WHERE c.assessment_org_disciplined)              AS n_sub_disciplined
    FROM _checks c
    JOIN _final f USING (org_id, year)
    GROUP BY c.subunit_of, c.year
),
below AS (
    SELECT
        x.ancestor AS org_id, m.year,
        count(*) FILTER (WHERE m.regular_months <> m.months_active)       AS n_cells_regular_missing,
        sum(m.disciplined_members)                                        AS disciplined_members,
        sum(m.removal_candidates)                                         AS removal_candidates,
        sum(m.rated_members)                                              AS rated_members,
        sum(m.rated_excellent + m.rated_good)                             AS rated_good_or_better,
        sum(m.rated_failed)                                               AS rated_failed
    FROM _cell_year_full m
    CROSS JOIN LATERAL (SELECT unnest(m.path[1:-2]) AS ancestor) x
    GROUP BY x.ancestor, m.year
),
j AS (
    SELECT
        y.org_id, y.year, y.org_level, y.parent_id, y.kind, y.path,
        y.parent_id                          AS pool_id,
        -- a đảng bộ cơ sở is a sub-unit of its cấp trên cơ sở; a cấp trên cơ sở of nobody
        CASE WHEN y.org_level = 'dang_bo_co_so' THEN y.parent_id END AS subunit_of,
        coalesce(s.n_sub, 0)                 AS n_sub,
        coalesce(s.n_sub_good, 0)            AS n_sub_good,
        coalesce(s.n_sub_failed, 0)          AS n_sub_failed,
        coalesce(s.n_sub_unclassified, 0)    AS n_sub_unclassified,
        coalesce(s.n_sub_mq_good, 0)         AS n_sub_mq_good,
        coalesce(s.n_sub_disciplined, 0)     AS n_sub_disciplined,
        coalesce(b.n_cells_regular_missing, 0) AS n_cells_regular_missing,
        coalesce(b.disciplined_members, 0)   AS disciplined_members,
        coalesce(b.removal_candidates, 0)    AS removal_candidates,
        coalesce(b.rated_members, 0)         AS rated_members,
        coalesce(b.rated_good_or_better, 0)  AS rated_good_or_better,
        coalesce(b.rated_failed, 0)          AS rated_failed,
        r.rulebook, r.uses_score, r.rates_timeliness, r.four_good_required, r.year_complete,
        r.members_good_num, r.members_good_den, r.targets_failed_num, r.targets_failed_den,
        r.subunits_disciplined_num, r.subunits_disciplined_den,
        r.exceeded_num, r.exceeded_den, r.subunits_mq_num, r.subunits_mq_den,
        r.score_excellent_num, r.score_excellent_den, r.score_good_num, r.score_good_den,
        r.score_completed_num, r.score_completed_den, r.late_num, r.late_den,
        a.org_id IS NOT NULL AS has_assessment,
        a.targets_total, a.targets_met, a.targets_exceeded, a.targets_late, a.org_disciplined,
        a.leaders_disciplined, a.disunity, a.mass_orgs_good, a.shortcomings_fixed, a.score
    FROM collectives y
    JOIN rulebook_years r USING (year)
    LEFT JOIN sub s USING (org_id, year)
    LEFT JOIN below b USING (org_id, year)
    LEFT JOIN assessments a ON a.org_id = y.org_id AND a.year = y.year
),
named AS (
    SELECT
        *,
        has_assessment AND targets_met = targets_total                  AS targets_all_met,
        has_assessment AND rates_timeliness AND coalesce(targets_late, 0) >= 1 AS any_target_late,
        has_assessment AND uses_score
            AND NOT score_at_least(score, score_good_num, score_good_den)  AS score_under_good
    FROM j
),
crit AS (
    SELECT
        *,
        codes([
            CASE WHEN NOT has_assessment THEN 'no_assessment' END,
            CASE WHEN has_assessment AND NOT targets_all_met THEN 'targets_not_all_met' END,
            CASE WHEN score_under_good THEN 'score_below_good' END,
            CASE WHEN any_target_late THEN 'targets_late' END,
            CASE WHEN n_sub_good < n_sub THEN 'subunit_below_good' END
        ]) AS pt_fail,
        codes([
            CASE WHEN n_cells_regular_missing > 0 THEN 'subunit_regular_month_missing' END,
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
    FROM named
)
SELECT
    org_id, year, org_level, parent_id, kind, pool_id, subunit_of, path, rulebook,
    year_complete, 'collective' AS ladder,
    has_assessment, n_sub = 0 AS no_subunits,
    score, targets_exceeded, targets_total, NULL::DOUBLE AS attendance_rate,
    coalesce(org_disciplined, false)                                    AS assessment_org_disciplined,
    pt_fail, mq_fail, ud_fail, mg_fail,
    org_level = 'dang_bo_co_so'                                         AS may_be_four_good,
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
    false                                                               AS members_failed_over_half,
    len(mg_fail) > 0                                                    AS members_not_good,
    disciplined_members >= 1                                            AS members_disciplined,
    false                                                               AS meetings_mostly_missing,
    false                                                               AS regular_month_missing,
    false                                                               AS attendance_low,
    share_above(n_sub_disciplined, n_sub, subunits_disciplined_num, subunits_disciplined_den)
                                                                        AS subunits_disciplined_too_many,
    n_sub_failed > 0                                                    AS subunit_failed,
    n_sub_unclassified > 0                                              AS subunit_not_classified,
    n_sub_disciplined > 0                                               AS subunit_disciplined,
    four_good_required AND org_level = 'dang_bo_co_so'
        AND NOT (len(pt_fail) = 0 AND len(mq_fail) = 0
                 AND len(ud_fail) = 0 AND len(mg_fail) = 0)             AS not_four_good
FROM crit;
