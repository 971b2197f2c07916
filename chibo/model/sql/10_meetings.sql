-- Stage 1: meeting facts and the meeting standard (rules.md "Meeting standard").
-- One row per meeting of the years derived (those of `rulebook_years`); `rulebook_years`
-- gives the thresholds of the meeting's year, min_minutes follows the meeting's date
-- (combined meetings from HD 42's date: 120).

-- attendance counts per meeting: counted from the rows of the meetings derived now
-- ({attendance}), and for the other meetings of a year derived cell by cell, as the last model
-- left them (_kept_attendance_counts: their rows did not change)
CREATE OR REPLACE TEMP TABLE _attendance_by_meeting AS
SELECT
    meeting_id,
    count(*)                                                          AS attendance_rows,
    count(*) FILTER (WHERE status = 'present')                        AS present,
    count(*) FILTER (WHERE status = 'excused')                        AS excused,
    count(*) FILTER (WHERE status = 'unexcused')                      AS unexcused,
    count(*) FILTER (WHERE status = 'present' AND coalesce(spoke, false)) AS spoke
FROM {attendance}
GROUP BY meeting_id
UNION ALL
SELECT meeting_id, attendance_rows, present, excused, unexcused, speakers
FROM _kept_attendance_counts;

CREATE OR REPLACE TEMP TABLE _meeting_facts AS
WITH base AS (
    SELECT
        m.meeting_id,
        m.cell_id,
        m.meeting_date,
        year(m.meeting_date)::INTEGER                                 AS year,
        month(m.meeting_date)::INTEGER                                AS month,
        quarter(m.meeting_date)::INTEGER                              AS quarter,
        m.meeting_type,
        m.meeting_type <> 'extraordinary'                             AS counted,
        m.criticism_held,
        m.minutes_signed,
        m.hcm_story,
        m.upper_attendees,
        m.secretary_member_id,
        ((time_seconds(m.end_time) - time_seconds(m.start_time)) // 60)::INTEGER
                                                                      AS duration_minutes,
        CASE WHEN m.meeting_type = 'combined' AND m.meeting_date >= r.combined_min_from
             THEN r.min_minutes_combined ELSE r.min_minutes END       AS min_minutes,
        coalesce(a.attendance_rows, 0)                                AS attendance_rows,
        coalesce(a.present, 0)                                        AS present,
        coalesce(a.excused, 0)                                        AS excused,
        coalesce(a.unexcused, 0)                                      AS unexcused,
        coalesce(a.spoke, 0)                                          AS spoke,
        -- HD 42: from materials_rule_from (by meeting date), materials posted at least
        -- materials_days_before_min days before the meeting
        m.meeting_type <> 'extraordinary' AND m.meeting_date >= r.materials_rule_from
            AND (m.materials_posted_on IS NULL
                 OR m.materials_posted_on > m.meeting_date - r.materials_days_before_min)
                                                                      AS materials_late,
        r.attendance_num, r.attendance_den, r.speaking_num, r.speaking_den
    FROM meetings m
    LEFT JOIN _attendance_by_meeting a USING (meeting_id)
    JOIN rulebook_years r ON r.year = year(m.meeting_date)
),
rated AS (
    SELECT
        *,
        CASE WHEN present + excused + unexcused > 0
             THEN present::DOUBLE / (present + excused + unexcused) END AS attendance_rate,
        CASE WHEN present > 0 THEN spoke::DOUBLE / present END          AS speaking_rate,
        CASE WHEN counted THEN codes([
            CASE WHEN duration_minutes < min_minutes THEN 'short_meeting' END,
            CASE WHEN attendance_rows = 0 THEN 'meeting_without_attendance' END,
            CASE WHEN NOT (present + excused + unexcused > 0
                           AND share_above(present, present + excused + unexcused,
                                           attendance_num, attendance_den))
                 THEN 'attendance_low' END,
            CASE WHEN unexcused > 0 THEN 'unexcused_absence' END,
            CASE WHEN NOT minutes_signed THEN 'unsigned_minutes' END,
            CASE WHEN NOT (present > 0
                           AND share_at_least(spoke, present, speaking_num, speaking_den))
                 THEN 'speaking_low' END,
            CASE WHEN materials_late THEN 'materials_late' END
        ]) END                                                          AS standard_failures
    FROM base
)
SELECT
    * EXCLUDE (attendance_num, attendance_den, speaking_num, speaking_den),
    CASE WHEN counted THEN len(standard_failures) = 0 END               AS meets_standard
FROM rated;

-- Rebuild `meetings`: its own columns (as integrated; columns added by an earlier model run
-- are dropped by the caller's column list) plus the computed ones, those of the years not
-- derived now as the last model left them.
CREATE OR REPLACE TEMP TABLE _meetings_next AS
SELECT * FROM (
SELECT
    {meeting_columns},
    f.duration_minutes,
    f.min_minutes,
    f.counted,
    f.attendance_rows,
    f.present,
    f.excused,
    f.unexcused,
    f.spoke                                                           AS speakers,
    f.attendance_rate,
    f.speaking_rate,
    f.materials_late,
    f.meets_standard,
    f.standard_failures
FROM meetings m
JOIN _meeting_facts f USING (meeting_id)
UNION ALL BY NAME
SELECT {meeting_columns}, k.* EXCLUDE (meeting_id)
FROM meetings m
JOIN _kept_meeting_facts k USING (meeting_id)
)
ORDER BY cell_id, meeting_date, meeting_id;

CREATE OR REPLACE TABLE meetings AS SELECT * FROM _meetings_next;
DROP TABLE _meetings_next;
