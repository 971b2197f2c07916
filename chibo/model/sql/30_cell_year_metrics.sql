-- Stage 3: cell_year_metrics (rules.md "Cell-year metrics").
-- One row per cell (chi_bo, chi_bo_co_so) and year with at least one active month, also when
-- the cell delivered nothing. Counted meetings (regular, thematic, combined) count whether or
-- not their month is active; only regular_months / thematic_quarters / criticism_quarters are
-- limited to active months and quarters.

-- scope rows: attendance rows of counted meetings, attached to the meeting's cell and year;
-- only org-years with an active month count (data of an org-year without one is ignored).
-- Those of the cell-years derived now ({attendance}: of a year derived cell by cell, only
-- the cells whose meetings or attendance changed)
CREATE OR REPLACE TEMP TABLE _scope AS
SELECT
    f.cell_id, f.year, f.month, f.meeting_date, f.meeting_id, f.meeting_type,
    a.member_id, a.status
FROM {attendance} a
JOIN _meeting_facts f USING (meeting_id)
WHERE f.counted
  AND EXISTS (SELECT 1 FROM org_years y WHERE y.org_id = f.cell_id AND y.year = f.year);

CREATE OR REPLACE TEMP TABLE _cell_meeting_metrics AS
SELECT
    cell_id AS org_id,
    year,
    count(*)                                                              AS meetings_total,
    count(*) FILTER (WHERE counted AND duration_minutes < min_minutes)    AS short_meetings,
    count(*) FILTER (WHERE counted AND attendance_rows = 0)               AS meetings_without_attendance,
    count(*) FILTER (WHERE counted AND NOT minutes_signed)                AS unsigned_minutes,
    count(*) FILTER (WHERE counted AND meets_standard)                    AS meetings_meeting_standard,
    count(*) FILTER (WHERE counted AND materials_late)                    AS materials_late_meetings,
    sum(present) FILTER (WHERE counted)                                   AS present,
    sum(present + excused + unexcused) FILTER (WHERE counted)             AS attendance_base,
    sum(spoke) FILTER (WHERE counted)                                     AS spoke,
    count(*) FILTER (WHERE counted AND upper_attendees >= 1)              AS upper_visit_meetings,
    count(*) FILTER (WHERE counted AND hcm_story)                         AS hcm_story_meetings,
    count(DISTINCT secretary_member_id) FILTER (WHERE counted)            AS distinct_secretaries
FROM _meeting_facts
GROUP BY cell_id, year;

-- month / quarter coverage: the calendar's flags over the cell's active months and quarters
CREATE OR REPLACE TEMP TABLE _cell_coverage AS
SELECT
    org_id,
    year,
    count(*) FILTER (WHERE regular_held)                                        AS regular_months,
    count(DISTINCT quarter) FILTER (WHERE quarter_active AND thematic_held_in_quarter)
                                                                                AS thematic_quarters,
    count(DISTINCT quarter) FILTER (WHERE quarter_active AND criticism_held_in_quarter)
                                                                                AS criticism_quarters
FROM org_months
GROUP BY org_id, year;

-- excused streaks: runs of `excused` rows in a member's sequence of regular/combined scope
-- rows of one cell-year, ordered by (meeting_date, meeting_id); any other status breaks a run.
-- An excused row's run is the number of other rows before it: one sort, not two (gaps and
-- islands with a running count; the largest window of the model nationally)
CREATE OR REPLACE TEMP TABLE _member_cell_streaks AS
WITH seq AS (
    SELECT
        cell_id, year, member_id, status,
        count(*) FILTER (WHERE status IS DISTINCT FROM 'excused') OVER (
            PARTITION BY cell_id, year, member_id ORDER BY meeting_date, meeting_id
            ROWS UNBOUNDED PRECEDING)                                         AS run_id
    FROM _scope
    WHERE meeting_type IN ('regular', 'combined')
),
runs AS (
    SELECT cell_id, year, member_id, count(*) AS run_length
    FROM seq
    WHERE status = 'excused'
    GROUP BY cell_id, year, member_id, run_id
)
SELECT cell_id, year, member_id, max(run_length)::INTEGER AS longest_excused_streak
FROM runs GROUP BY cell_id, year, member_id;

-- a member's absences in one cell-year: one row per member, cell and year with a scope row.
-- The cells not derived now keep their rows (_untouched_member_cells)
CREATE OR REPLACE TABLE member_cell_years AS
WITH per_cell AS (
    SELECT
        member_id, cell_id, year,
        coalesce(list_sort(list(DISTINCT month) FILTER (WHERE status = 'unexcused')),
                 [])::INTEGER[]                                               AS unexcused_month_list,
        count(*) FILTER (WHERE status = 'unexcused')::INTEGER                 AS unexcused_meetings
    FROM _scope
    GROUP BY member_id, cell_id, year
)
SELECT p.member_id, p.cell_id, p.year, p.unexcused_month_list, p.unexcused_meetings,
       coalesce(s.longest_excused_streak, 0)::INTEGER                   AS longest_excused_streak
FROM per_cell p
LEFT JOIN _member_cell_streaks s USING (member_id, cell_id, year)
UNION ALL BY NAME
SELECT * FROM _untouched_member_cells;

-- QĐ 24 counts the member, not the cell: unexcused months over every cell the member
-- attended that year. One row per member and year with a scope row.
CREATE OR REPLACE TABLE member_years AS
WITH per_member AS (
    SELECT
        member_id, year,
        list_sort(list_distinct(flatten(list(unexcused_month_list))))::INTEGER[]
                                                                              AS unexcused_month_list,
        coalesce(list_sort(list(cell_id) FILTER (WHERE unexcused_meetings > 0)),
                 [])::VARCHAR[]                                               AS unexcused_cells,
        sum(unexcused_meetings)::INTEGER                                      AS unexcused_meetings,
        max(longest_excused_streak)::INTEGER                                  AS longest_excused_streak
    FROM member_cell_years
    GROUP BY member_id, year
)
SELECT
    p.member_id, p.year, len(p.unexcused_month_list)::INTEGER       AS unexcused_months,
    p.unexcused_month_list, p.unexcused_cells, p.unexcused_meetings, p.longest_excused_streak,
    r.removal_unexcused_months                                      AS removal_threshold_months,
    len(p.unexcused_month_list) >= r.removal_unexcused_months       AS removal_candidate
FROM per_member p
JOIN rulebook_years r USING (year)
ORDER BY p.member_id, p.year;

-- per cell-year: members absent without reason, and those of them who are removal
-- candidates over all their cells
CREATE OR REPLACE TEMP TABLE _cell_member_metrics AS
SELECT
    c.cell_id AS org_id,
    c.year,
    count(*)                                     AS unexcused_members,
    count(*) FILTER (WHERE my.removal_candidate) AS removal_candidates
FROM member_cell_years c
JOIN member_years my USING (member_id, year)
WHERE c.unexcused_meetings > 0
GROUP BY c.cell_id, c.year;

CREATE OR REPLACE TEMP TABLE _cell_streaks AS
SELECT s.cell_id AS org_id, s.year, count(*) AS excused_streak_members
FROM member_cell_years s
JOIN rulebook_years r USING (year)
WHERE s.longest_excused_streak > r.excused_streak_max
GROUP BY s.cell_id, s.year;

CREATE OR REPLACE TEMP TABLE _cell_ratings AS
SELECT
    cell_id AS org_id,
    year,
    count(*)                                        AS rated_members,
    count(*) FILTER (WHERE rating = 'excellent')    AS rated_excellent,
    count(*) FILTER (WHERE rating = 'good')         AS rated_good,
    count(*) FILTER (WHERE rating = 'completed')    AS rated_completed,
    count(*) FILTER (WHERE rating = 'failed')       AS rated_failed,
    count(*) FILTER (WHERE disciplined)             AS disciplined_members
FROM member_ratings
GROUP BY cell_id, year;

CREATE OR REPLACE TEMP TABLE _cell_register AS
SELECT
    cell_id AS org_id,
    count(*) FILTER (WHERE status IN ('active', 'exempt'))                      AS members_active,
    count(*) FILTER (WHERE status IN ('active', 'exempt') AND coalesce(is_local, false)) AS local_members
FROM members
GROUP BY cell_id;

-- the helper columns (present, attendance_base, spoke) stay in _cell_year_full for the
-- classification; cell_year_metrics holds the published metrics.
CREATE OR REPLACE TEMP TABLE _cell_year_full AS
SELECT
    y.org_id,
    y.year,
    y.org_level,
    y.parent_id,
    y.path,
    y.months_active,
    y.quarters_active,
    coalesce(mm.meetings_total, 0)::INTEGER              AS meetings_total,
    coalesce(cv.regular_months, 0)::INTEGER              AS regular_months,
    coalesce(cv.thematic_quarters, 0)::INTEGER           AS thematic_quarters,
    coalesce(cv.criticism_quarters, 0)::INTEGER          AS criticism_quarters,
    coalesce(mm.short_meetings, 0)::INTEGER              AS short_meetings,
    coalesce(mm.meetings_without_attendance, 0)::INTEGER AS meetings_without_attendance,
    coalesce(mm.unsigned_minutes, 0)::INTEGER            AS unsigned_minutes,
    coalesce(mm.meetings_meeting_standard, 0)::INTEGER   AS meetings_meeting_standard,
    CASE WHEN coalesce(mm.attendance_base, 0) > 0
         THEN mm.present::DOUBLE / mm.attendance_base END AS attendance_rate,
    CASE WHEN coalesce(mm.present, 0) > 0
         THEN mm.spoke::DOUBLE / mm.present END           AS speaking_rate,
    coalesce(me.unexcused_members, 0)::INTEGER           AS unexcused_members,
    coalesce(st.excused_streak_members, 0)::INTEGER      AS excused_streak_members,
    coalesce(me.removal_candidates, 0)::INTEGER          AS removal_candidates,
    coalesce(mm.materials_late_meetings, 0)::INTEGER     AS materials_late_meetings,
    coalesce(mm.upper_visit_meetings, 0)::INTEGER        AS upper_visit_meetings,
    coalesce(mm.hcm_story_meetings, 0)::INTEGER          AS hcm_story_meetings,
    coalesce(mm.distinct_secretaries, 0)::INTEGER        AS distinct_secretaries,
    coalesce(ra.rated_members, 0)::INTEGER               AS rated_members,
    coalesce(ra.rated_excellent, 0)::INTEGER             AS rated_excellent,
    coalesce(ra.rated_good, 0)::INTEGER                  AS rated_good,
    coalesce(ra.rated_completed, 0)::INTEGER             AS rated_completed,
    coalesce(ra.rated_failed, 0)::INTEGER                AS rated_failed,
    coalesce(ra.disciplined_members, 0)::INTEGER         AS disciplined_members,
    coalesce(rg.members_active, 0)::INTEGER              AS members_active,
    coalesce(rg.local_members, 0)::INTEGER               AS local_members,
    r.year_complete,
    coalesce(mm.present, 0)::BIGINT                      AS present,
    coalesce(mm.attendance_base, 0)::BIGINT              AS attendance_base,
    coalesce(mm.spoke, 0)::BIGINT                        AS spoke
FROM _org_years y
JOIN rulebook_years r USING (year)
LEFT JOIN _cell_meeting_metrics mm USING (org_id, year)
LEFT JOIN _cell_coverage cv USING (org_id, year)
LEFT JOIN _cell_member_metrics me USING (org_id, year)
LEFT JOIN _cell_streaks st USING (org_id, year)
LEFT JOIN _cell_ratings ra USING (org_id, year)
LEFT JOIN _cell_register rg USING (org_id)
WHERE y.org_level IN ('chi_bo', 'chi_bo_co_so');

CREATE OR REPLACE TABLE cell_year_metrics AS
SELECT * EXCLUDE (org_level, parent_id, path, present, attendance_base, spoke)
FROM _cell_year_full
ORDER BY org_id, year;
