"""A small populated warehouse for the export tests (swap for the real pipeline later).

Tree: T (tinh) → H01 (cap_tren_co_so) → H01-X01 (dang_bo_co_so) → 3 chi_bo (inserted out of
order), plus H01-CB1 (chi_bo_co_so) and H02 → H02-CB1. Years 2023 (complete) and 2024
(as-of 2024-06-30). Names starting with `=`, `-`, `@`, `+` test CSV-injection
neutralisation. All tables have the column names and types of outputs.md / rules.md.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

AS_OF = "2024-06-30"

SCHEMA = """
CREATE TABLE org_units (org_id VARCHAR, name VARCHAR, level VARCHAR, parent_id VARCHAR, kind VARCHAR,
    established_on DATE, dissolved_on DATE, source_file VARCHAR, source_row BIGINT);
CREATE TABLE members (member_id VARCHAR, full_name VARCHAR, birth_date DATE, sex VARCHAR,
    ethnicity VARCHAR, cell_id VARCHAR, joined_on DATE, official_on DATE, status VARCHAR,
    is_local BOOLEAN, source_file VARCHAR, source_row BIGINT);
CREATE TABLE meetings (meeting_id VARCHAR, cell_id VARCHAR, meeting_date DATE, meeting_type VARCHAR,
    start_time TIME, end_time TIME, topic VARCHAR, chair_member_id VARCHAR,
    secretary_member_id VARCHAR, upper_attendees INTEGER, criticism_held BOOLEAN,
    hcm_story BOOLEAN, resolution_adopted BOOLEAN, minutes_signed BOOLEAN,
    materials_posted_on DATE, source_file VARCHAR, source_row BIGINT,
    duration_minutes INTEGER, min_minutes INTEGER, counted BOOLEAN, attendance_rows INTEGER,
    present INTEGER, excused INTEGER, unexcused INTEGER, attendance_rate DOUBLE,
    speaking_rate DOUBLE, meets_standard BOOLEAN, standard_failures VARCHAR[]);
CREATE TABLE attendance (meeting_id VARCHAR, member_id VARCHAR, status VARCHAR, spoke BOOLEAN,
    absence_reason VARCHAR, source_file VARCHAR, source_row BIGINT);
CREATE TABLE assessments (org_id VARCHAR, year INTEGER, targets_total INTEGER, targets_met INTEGER,
    targets_exceeded INTEGER, org_disciplined BOOLEAN, disunity BOOLEAN, mass_orgs_good BOOLEAN,
    shortcomings_fixed BOOLEAN, score DECIMAL(5,2), source_file VARCHAR, source_row BIGINT);
CREATE TABLE member_ratings (member_id VARCHAR, year INTEGER, cell_id VARCHAR, rating VARCHAR,
    disciplined BOOLEAN, source_file VARCHAR, source_row BIGINT);
CREATE TABLE files (delivery_id INTEGER, path VARCHAR, kind VARCHAR, sha256 VARCHAR, bytes BIGINT,
    mtime_ns BIGINT, status VARCHAR, superseded BOOLEAN, rows_read INTEGER, rows_loaded INTEGER,
    rows_quarantined INTEGER, rows_pending INTEGER, error VARCHAR, warnings VARCHAR, first_run_id VARCHAR);
CREATE TABLE quarantine (kind VARCHAR, file VARCHAR, source_row BIGINT, column_name VARCHAR,
    check_name VARCHAR, value VARCHAR, message_vi VARCHAR, message_en VARCHAR, run_id VARCHAR);
CREATE TABLE pending (kind VARCHAR, key VARCHAR, missing_kind VARCHAR, missing_key VARCHAR,
    file VARCHAR, source_row BIGINT);
CREATE TABLE flags (kind VARCHAR, key VARCHAR, flag VARCHAR, detail VARCHAR);
CREATE TABLE runs (run_id VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, as_of DATE,
    status VARCHAR, mode VARCHAR, files_new INTEGER, files_loaded INTEGER, files_rejected INTEGER,
    files_duplicate INTEGER, files_unsupported INTEGER, rows_read INTEGER, rows_loaded INTEGER,
    rows_quarantined INTEGER, rows_pending INTEGER, rows_retracted INTEGER, flags INTEGER,
    orgs_classified INTEGER, seconds_ingest DOUBLE, seconds_integrate DOUBLE, seconds_model DOUBLE,
    seconds_export DOUBLE, seconds_publish DOUBLE);
CREATE SCHEMA staging;
CREATE TABLE staging.members AS SELECT * FROM (SELECT NULL::VARCHAR AS member_id, NULL::VARCHAR AS full_name,
    NULL::VARCHAR AS action, NULL::VARCHAR AS source_file, NULL::BIGINT AS source_row,
    NULL::INTEGER AS delivery_id) WHERE false;
"""

ORGS = """
INSERT INTO org_units VALUES
 ('H01-X01-C03', '@Chi bộ bon Sa Pa', 'chi_bo', 'H01-X01', 'residential', NULL, NULL, 'org_units/2023-01-01.csv', 8),
 ('T', 'Đảng bộ tỉnh Đắk Nông', 'tinh', NULL, 'other', NULL, NULL, 'org_units/2023-01-01.csv', 2),
 ('H01-X01-C01', 'Chi bộ thôn 1', 'chi_bo', 'H01-X01', 'residential', NULL, NULL, 'org_units/2023-01-01.csv', 6),
 ('H01', 'Đảng bộ huyện Đắk Mil', 'cap_tren_co_so', 'T', 'other', NULL, NULL, 'org_units/2023-01-01.csv', 3),
 ('H01-X01-C02', '-Chi bộ thôn Đức Thành', 'chi_bo', 'H01-X01', 'residential', DATE '2023-03-15', NULL, 'org_units/2023-01-01.csv', 7),
 ('H01-X01', '=Đảng bộ xã Đức Mạnh', 'dang_bo_co_so', 'H01', 'commune', NULL, NULL, 'org_units/2023-01-01.csv', 4),
 ('H01-CB1', 'Chi bộ Trường THPT Trần Hưng Đạo', 'chi_bo_co_so', 'H01', 'public_service', NULL, NULL, 'org_units/2023-01-01.csv', 5),
 ('H02', 'Đảng bộ Khối Cơ quan và Doanh nghiệp', 'cap_tren_co_so', 'T', 'agency', NULL, NULL, 'org_units/2023-01-01.csv', 9),
 ('H02-CB1', '+Chi bộ Sở Tài chính', 'chi_bo_co_so', 'H02', 'agency', NULL, NULL, 'org_units/2023-01-01.csv', 10);
"""

MEMBERS = """
INSERT INTO members VALUES
 ('M01', 'Nguyễn Văn An', DATE '1970-02-01', 'male', 'Kinh', 'H01-X01-C01', DATE '1995-05-19', DATE '1996-05-19', 'active', true, 'members/a.csv', 2),
 ('M02', 'Trần Thị Bình', DATE '1980-03-08', 'female', 'Kinh', 'H01-X01-C01', DATE '2005-05-19', DATE '2006-05-19', 'active', true, 'members/a.csv', 3),
 ('M03', 'Y Bhăm Êban', DATE '1975-07-07', 'male', 'Ê Đê', 'H01-X01-C01', DATE '2000-01-01', DATE '2001-01-01', 'active', false, 'members/a.csv', 4),
 ('M04', 'H''Nhi Niê', DATE '1990-09-02', 'female', 'Ê Đê', 'H01-X01-C02', DATE '2015-03-26', DATE '2016-03-26', 'active', false, 'members/a.csv', 5),
 ('M05', '-Lê Văn Cường', DATE '1985-12-22', 'male', 'Kinh', 'H01-X01-C02', DATE '2010-02-03', DATE '2011-02-03', 'active', false, 'members/a.csv', 6),
 ('M06', 'Nguyễn Văn An', DATE '1992-10-20', 'male', 'Kinh', 'H01-X01-C02', DATE '2016-02-03', NULL, 'active', false, 'members/a.csv', 7),
 ('M07', 'Điểu Khiêm', DATE '1968-04-30', 'male', 'M''nông', 'H01-X01-C03', DATE '1990-01-01', DATE '1991-01-01', 'active', true, 'members/a.csv', 8),
 ('M08', 'Phạm Thị Dung', DATE '1988-01-15', 'female', 'Kinh', 'H01-X01-C03', DATE '2012-01-01', DATE '2013-01-01', 'exempt', false, 'members/a.csv', 9),
 ('M09', 'Hoàng Minh Đức', DATE '1979-06-01', 'male', 'Tày', 'H01-CB1', DATE '2003-01-01', DATE '2004-01-01', 'active', true, 'members/a.csv', 10),
 ('M10', 'Vũ Thị Hạnh', DATE '1983-11-20', 'female', 'Kinh', 'H01-CB1', DATE '2008-01-01', DATE '2009-01-01', 'active', false, 'members/a.csv', 11),
 ('M11', '=HYPERLINK("http://x")', DATE '1991-01-01', 'male', 'Kinh', 'H02-CB1', DATE '2015-01-01', DATE '2016-01-01', 'active', false, 'members/a.csv', 12),
 ('M12', 'Đỗ Thu Hà', DATE '1987-05-05', 'female', 'Kinh', 'H02-CB1', DATE '2011-01-01', DATE '2012-01-01', 'active', false, 'members/a.csv', 13);
"""

# One regular meeting on the 10th of every active month and one thematic meeting in the middle
# month of every active quarter, minus a few gaps; then an extraordinary one.
MEETINGS = f"""
CREATE TEMP TABLE _active AS
SELECT o.org_id AS cell_id, d::DATE AS month_start
FROM org_units o,
     generate_series(DATE '2023-01-01', DATE '2024-06-01', INTERVAL 1 MONTH) g(d)
WHERE o.level IN ('chi_bo', 'chi_bo_co_so')
  AND (o.established_on IS NULL OR o.established_on <= d::DATE)
  AND last_day(d::DATE) <= DATE '{AS_OF}';

INSERT INTO meetings (meeting_id, cell_id, meeting_date, meeting_type, start_time, end_time, topic,
    chair_member_id, secretary_member_id, upper_attendees, criticism_held, hcm_story,
    resolution_adopted, minutes_signed, materials_posted_on, source_file, source_row)
SELECT cell_id || '.' || strftime(month_start, '%Y%m') || '.R', cell_id, month_start + 9, 'regular',
       TIME '19:30', CASE WHEN cell_id = 'H01-CB1' AND month(month_start) = 2 THEN TIME '20:30' ELSE TIME '21:30' END,
       NULL, 'M01', 'M02', 0, month(month_start) % 3 = 0, true, true, true, NULL,
       'meetings/' || year(month_start) || '.csv', row_number() OVER () + 1
FROM _active
WHERE NOT (cell_id = 'H01-X01-C01' AND month_start = DATE '2023-05-01')
  AND NOT (cell_id = 'H01-X01-C02' AND month_start = DATE '2024-02-01');

INSERT INTO meetings (meeting_id, cell_id, meeting_date, meeting_type, start_time, end_time, topic,
    chair_member_id, secretary_member_id, upper_attendees, criticism_held, hcm_story,
    resolution_adopted, minutes_signed, materials_posted_on, source_file, source_row)
SELECT cell_id || '.' || strftime(month_start, '%Y%m') || '.T', cell_id, month_start + 19, 'thematic',
       TIME '14:00', TIME '16:00', 'Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh',
       'M01', 'M02', 1, false, true, true, true, month_start + 15,
       'meetings/' || year(month_start) || '-chuyen-de.csv', row_number() OVER () + 1
FROM _active
WHERE month(month_start) IN (2, 5, 8, 11)
  AND NOT (cell_id = 'H01-X01-C03' AND month_start = DATE '2023-05-01');

INSERT INTO meetings (meeting_id, cell_id, meeting_date, meeting_type, start_time, end_time, topic,
    chair_member_id, secretary_member_id, upper_attendees, criticism_held, hcm_story,
    resolution_adopted, minutes_signed, materials_posted_on, source_file, source_row)
VALUES ('H01-CB1.202307.X', 'H01-CB1', DATE '2023-07-25', 'extraordinary', TIME '08:00', TIME '09:00',
        NULL, 'M09', 'M10', 0, false, false, true, true, NULL, 'meetings/2023.csv', 99);
"""

# Everyone of the cell present and speaking, except the listed overrides.
ATTENDANCE = """
INSERT INTO attendance
SELECT m.meeting_id, mb.member_id,
       coalesce(ov.status, CASE WHEN mb.status = 'exempt' THEN 'exempt' ELSE 'present' END),
       coalesce(ov.status, CASE WHEN mb.status = 'exempt' THEN 'exempt' ELSE 'present' END) = 'present',
       CASE WHEN ov.status = 'excused' THEN 'Đi công tác xa' END,
       'attendance/' || year(m.meeting_date) || '.csv',
       row_number() OVER (ORDER BY m.meeting_id, mb.member_id) + 1
FROM meetings m
JOIN members mb ON mb.cell_id = m.cell_id
LEFT JOIN (VALUES
    ('H01-X01-C01.202301.R', 'M03', 'unexcused'),
    ('H01-X01-C01.202302.R', 'M03', 'unexcused'),
    ('H01-X01-C01.202304.R', 'M03', 'unexcused'),
    ('H01-X01-C01.202306.R', 'M02', 'excused'),
    ('H01-X01-C01.202402.R', 'M02', 'unexcused'),
    ('H01-X01-C01.202405.R', 'M02', 'unexcused'),
    ('H01-X01-C02.202401.R', 'M05', 'unexcused'),
    ('H01-X01-C02.202403.R', 'M05', 'unexcused'),
    ('H01-X01-C02.202405.T', 'M05', 'unexcused'),
    ('H01-X01-C02.202401.R', 'M06', 'unexcused'),
    ('H01-X01-C02.202403.R', 'M06', 'unexcused'),
    ('H01-X01-C02.202404.R', 'M06', 'unexcused'),
    ('H02-CB1.202402.R', 'M11', 'unexcused'),
    ('H02-CB1.202403.R', 'M11', 'unexcused'),
    ('H02-CB1.202404.R', 'M11', 'unexcused')
) ov(meeting_id, member_id, status) ON ov.meeting_id = m.meeting_id AND ov.member_id = mb.member_id
WHERE m.meeting_type <> 'extraordinary';

UPDATE meetings SET
    duration_minutes = CAST(date_diff('minute', start_time, end_time) AS INTEGER),
    min_minutes = 90,
    counted = meeting_type <> 'extraordinary';
UPDATE meetings SET attendance_rows = s.n, present = s.p, excused = s.e, unexcused = s.u,
    attendance_rate = CAST(s.p AS DOUBLE) / nullif(s.p + s.e + s.u, 0),
    speaking_rate = CAST(s.sp AS DOUBLE) / nullif(s.p, 0)
FROM (SELECT meeting_id, count(*) AS n, count(*) FILTER (WHERE status = 'present') AS p,
             count(*) FILTER (WHERE status = 'excused') AS e,
             count(*) FILTER (WHERE status = 'unexcused') AS u,
             count(*) FILTER (WHERE spoke) AS sp
      FROM attendance GROUP BY meeting_id) s
WHERE s.meeting_id = meetings.meeting_id;
UPDATE meetings SET attendance_rows = coalesce(attendance_rows, 0), present = coalesce(present, 0),
    excused = coalesce(excused, 0), unexcused = coalesce(unexcused, 0);
UPDATE meetings SET standard_failures = CASE WHEN counted THEN list_sort(list_filter([
        CASE WHEN duration_minutes < min_minutes THEN 'short_meeting' END,
        CASE WHEN attendance_rows = 0 THEN 'meeting_without_attendance' END,
        CASE WHEN attendance_rate IS NULL OR attendance_rate <= 0.85 THEN 'attendance_low' END,
        CASE WHEN unexcused > 0 THEN 'unexcused_absence' END,
        CASE WHEN NOT minutes_signed THEN 'unsigned_minutes' END,
        CASE WHEN speaking_rate IS NULL OR speaking_rate < 0.5 THEN 'speaking_low' END],
        lambda x: x IS NOT NULL)) END;
UPDATE meetings SET meets_standard = CASE WHEN counted THEN len(standard_failures) = 0 END;
"""

OTHER = """
INSERT INTO assessments VALUES
 ('H01-X01', 2023, 10, 10, 3, false, false, true, true, NULL, 'assessments/2024-01.csv', 2),
 ('H01-X01-C01', 2023, 8, 8, 1, false, false, true, true, NULL, 'assessments/2024-01.csv', 3),
 ('H01-X01-C02', 2023, 8, 8, 3, false, false, true, true, NULL, 'assessments/2024-01.csv', 4),
 ('H01-X01-C03', 2023, 8, 3, 0, false, true, true, false, NULL, 'assessments/2024-01.csv', 5),
 ('H01-CB1', 2023, 6, 6, 2, false, false, true, true, 92.5, 'assessments/2024-01.csv', 6);
INSERT INTO member_ratings
SELECT member_id, 2023, cell_id, CASE WHEN member_id = 'M03' THEN 'completed' ELSE 'good' END,
       false, 'member_ratings/2024-01.csv', row_number() OVER (ORDER BY member_id) + 1
FROM members WHERE cell_id <> 'H02-CB1';

CREATE TABLE cell_year_metrics AS
WITH a AS (
    SELECT cell_id, year(month_start) AS year, count(*) AS months_active,
           count(DISTINCT quarter(month_start)) FILTER (WHERE last_day(make_date(year(month_start), quarter(month_start) * 3, 1)) <= DATE '2024-06-30') AS quarters_active
    FROM _active GROUP BY ALL
), m AS (
    SELECT cell_id, year(meeting_date) AS year, count(*) AS meetings_total,
           count(DISTINCT month(meeting_date)) FILTER (WHERE meeting_type IN ('regular', 'combined')) AS regular_months,
           count(DISTINCT quarter(meeting_date)) FILTER (WHERE meeting_type IN ('thematic', 'combined')) AS thematic_quarters,
           count(DISTINCT quarter(meeting_date)) FILTER (WHERE meeting_type IN ('regular', 'combined') AND criticism_held) AS criticism_quarters,
           count(*) FILTER (WHERE counted AND duration_minutes < min_minutes) AS short_meetings,
           count(*) FILTER (WHERE counted AND attendance_rows = 0) AS meetings_without_attendance,
           count(*) FILTER (WHERE counted AND NOT minutes_signed) AS unsigned_minutes,
           count(*) FILTER (WHERE counted AND meets_standard) AS meetings_meeting_standard,
           CAST(sum(present) FILTER (WHERE counted) AS DOUBLE) / nullif(sum(present + excused + unexcused) FILTER (WHERE counted), 0) AS attendance_rate,
           count(*) FILTER (WHERE counted AND upper_attendees >= 1) AS upper_visit_meetings,
           count(*) FILTER (WHERE counted AND hcm_story) AS hcm_story_meetings,
           count(DISTINCT secretary_member_id) FILTER (WHERE counted) AS distinct_secretaries
    FROM meetings GROUP BY ALL
), r AS (
    SELECT cell_id, year, count(*) AS rated_members,
           count(*) FILTER (WHERE rating = 'excellent') AS rated_excellent,
           count(*) FILTER (WHERE rating = 'good') AS rated_good,
           count(*) FILTER (WHERE rating = 'completed') AS rated_completed,
           count(*) FILTER (WHERE rating = 'failed') AS rated_failed,
           count(*) FILTER (WHERE disciplined) AS disciplined_members
    FROM member_ratings GROUP BY ALL
), u AS (
    SELECT mt.cell_id, year(mt.meeting_date) AS year, count(DISTINCT att.member_id) AS unexcused_members
    FROM attendance att JOIN meetings mt USING (meeting_id) WHERE att.status = 'unexcused' GROUP BY ALL
), rc AS (
    SELECT cell_id, year, count(*) AS removal_candidates FROM (
        SELECT mt.cell_id, year(mt.meeting_date) AS year, att.member_id
        FROM attendance att JOIN meetings mt USING (meeting_id)
        WHERE att.status = 'unexcused' GROUP BY ALL HAVING count(DISTINCT month(mt.meeting_date)) >= 3)
    GROUP BY ALL
), reg AS (
    SELECT cell_id, count(*) FILTER (WHERE status IN ('active', 'exempt')) AS members_active,
           count(*) FILTER (WHERE status IN ('active', 'exempt') AND is_local) AS local_members
    FROM members GROUP BY ALL
)
SELECT a.cell_id AS org_id, CAST(a.year AS INTEGER) AS year,
       CAST(a.months_active AS INTEGER) AS months_active, CAST(a.quarters_active AS INTEGER) AS quarters_active,
       CAST(coalesce(m.meetings_total, 0) AS INTEGER) AS meetings_total,
       CAST(coalesce(m.regular_months, 0) AS INTEGER) AS regular_months,
       CAST(coalesce(m.thematic_quarters, 0) AS INTEGER) AS thematic_quarters,
       CAST(coalesce(m.criticism_quarters, 0) AS INTEGER) AS criticism_quarters,
       CAST(coalesce(m.short_meetings, 0) AS INTEGER) AS short_meetings,
       CAST(coalesce(m.meetings_without_attendance, 0) AS INTEGER) AS meetings_without_attendance,
       CAST(coalesce(m.unsigned_minutes, 0) AS INTEGER) AS unsigned_minutes,
       CAST(coalesce(m.meetings_meeting_standard, 0) AS INTEGER) AS meetings_meeting_standard,
       m.attendance_rate, 0.75::DOUBLE AS speaking_rate,
       CAST(coalesce(u.unexcused_members, 0) AS INTEGER) AS unexcused_members,
       CAST(0 AS INTEGER) AS excused_streak_members,
       CAST(coalesce(rc.removal_candidates, 0) AS INTEGER) AS removal_candidates,
       CAST(coalesce(m.upper_visit_meetings, 0) AS INTEGER) AS upper_visit_meetings,
       CAST(coalesce(m.hcm_story_meetings, 0) AS INTEGER) AS hcm_story_meetings,
       CAST(coalesce(m.distinct_secretaries, 0) AS INTEGER) AS distinct_secretaries,
       CAST(coalesce(r.rated_members, 0) AS INTEGER) AS rated_members,
       CAST(coalesce(r.rated_excellent, 0) AS INTEGER) AS rated_excellent,
       CAST(coalesce(r.rated_good, 0) AS INTEGER) AS rated_good,
       CAST(coalesce(r.rated_completed, 0) AS INTEGER) AS rated_completed,
       CAST(coalesce(r.rated_failed, 0) AS INTEGER) AS rated_failed,
       CAST(coalesce(r.disciplined_members, 0) AS INTEGER) AS disciplined_members,
       CAST(coalesce(reg.members_active, 0) AS INTEGER) AS members_active,
       CAST(coalesce(reg.local_members, 0) AS INTEGER) AS local_members,
       a.year < 2024 AS year_complete
FROM a
LEFT JOIN m ON m.cell_id = a.cell_id AND m.year = a.year
LEFT JOIN r ON r.cell_id = a.cell_id AND r.year = a.year
LEFT JOIN u ON u.cell_id = a.cell_id AND u.year = a.year
LEFT JOIN rc ON rc.cell_id = a.cell_id AND rc.year = a.year
LEFT JOIN reg ON reg.cell_id = a.cell_id;

CREATE TABLE org_year_classification (org_id VARCHAR, year INTEGER, org_level VARCHAR,
    parent_id VARCHAR, level VARCHAR, level_vi VARCHAR, provisional_level VARCHAR,
    quota_demoted BOOLEAN, four_good BOOLEAN, political_task_good BOOLEAN,
    meeting_quality_good BOOLEAN, unity_discipline_good BOOLEAN, members_good BOOLEAN,
    criteria_reasons VARCHAR[], reasons VARCHAR[], rulebook VARCHAR, year_complete BOOLEAN);
INSERT INTO org_year_classification VALUES
 ('H01-X01', 2023, 'dang_bo_co_so', 'H01', 'good', 'Hoàn thành tốt nhiệm vụ', 'good', false, false,
  false, false, false, false,
  ['meeting_quality_good:subunit_regular_month_missing', 'members_good:members_good_share_low',
   'political_task_good:subunit_below_good', 'unity_discipline_good:removal_candidates'],
  ['members_not_good', 'subunit_disciplined'], 'qd124', true),
 ('H01-X01-C01', 2023, 'chi_bo', 'H01-X01', 'completed', 'Hoàn thành nhiệm vụ', 'completed', false, false,
  true, false, false, true,
  ['meeting_quality_good:regular_month_missing', 'meeting_quality_good:unexcused_absence',
   'unity_discipline_good:removal_candidates'],
  ['regular_month_missing'], 'qd124', true),
 ('H01-X01-C02', 2023, 'chi_bo', 'H01-X01', 'excellent', 'Hoàn thành xuất sắc nhiệm vụ', 'excellent', false, true,
  true, true, true, true, [], [], 'qd124', true),
 ('H01-X01-C03', 2023, 'chi_bo', 'H01-X01', 'failed', 'Không hoàn thành nhiệm vụ', 'failed', false, false,
  false, false, false, false,
  ['meeting_quality_good:thematic_quarter_missing', 'political_task_good:targets_not_all_met',
   'unity_discipline_good:disunity', 'members_good:members_good_share_low'],
  ['disunity', 'targets_below_half'], 'qd124', true),
 ('H01-CB1', 2023, 'chi_bo_co_so', 'H01', 'good', 'Hoàn thành tốt nhiệm vụ', 'excellent', true, true,
  true, true, true, true, [], ['excellent_quota'], 'qd124', true),
 ('H02-CB1', 2023, 'chi_bo_co_so', 'H02', NULL, NULL, NULL, false, false,
  false, true, false, false,
  ['members_good:no_member_ratings', 'political_task_good:no_assessment', 'unity_discipline_good:no_assessment'],
  ['no_assessment'], 'qd124', true);
INSERT INTO org_year_classification
SELECT org_id, 2024, org_level, parent_id, NULL, NULL, NULL, false, false, false, false, false, false,
       ['members_good:no_member_ratings', 'political_task_good:no_assessment'],
       CASE WHEN org_level = 'dang_bo_co_so' THEN ['no_assessment'] ELSE ['no_assessment'] END,
       'qd124', false
FROM org_year_classification WHERE year = 2023;

INSERT INTO files VALUES
 (1, 'org_units/2023-01-01.csv', 'org_units', 'aa01', 1200, 1, 'loaded', false, 9, 9, 0, 0, NULL, NULL, 'r1'),
 (2, 'members/a.csv', 'members', 'aa02', 2400, 1, 'loaded', false, 14, 12, 1, 1, NULL, NULL, 'r1'),
 (3, 'meetings/2023.csv', 'meetings', 'aa03', 5000, 1, 'loaded', false, 60, 58, 2, 0, NULL, NULL, 'r1'),
 (4, 'attendance/2024-05-thon-2.csv', 'attendance', 'aa04', 800, 1, 'loaded', false, 10, 8, 0, 2, NULL, NULL, 'r2'),
 (5, 'attendance/bad.xlsx', 'attendance', 'aa05', 300, 1, 'rejected', false, 0, 0, 0, 0,
  'Tệp thiếu cột bắt buộc: Tình trạng dự họp', NULL, 'r2'),
 (6, 'meetings/notes.docx', 'meetings', 'aa06', 100, 1, 'unsupported_format', false, 0, 0, 0, 0,
  'Định dạng tệp không được hỗ trợ', NULL, 'r2'),
 (7, 'members/old.csv', 'members', 'aa07', 90, 1, 'rejected', true, 0, 0, 0, 0,
  'Tệp rỗng', NULL, 'r1'),
 (8, 'members/old.csv', 'members', 'aa08', 900, 2, 'loaded', false, 3, 3, 0, 0, NULL,
  'Cột lạ bị bỏ qua: Ghi chú', 'r2');
INSERT INTO quarantine VALUES
 ('members', 'members/a.csv', 14, 'birth_date', 'invalid_date', '30/02/1975',
  'Ngày sinh không hợp lệ: 30/02/1975', 'Invalid date of birth: 30/02/1975', 'r1'),
 ('meetings', 'meetings/2023.csv', 40, 'end_time', 'end_before_start', '=1+1',
  'Giờ kết thúc phải sau giờ bắt đầu', 'End time must be after start time', 'r1'),
 ('meetings', 'meetings/2023.csv', 12, 'meeting_type', 'unknown_enum', 'Họp chi bộ',
  'Loại sinh hoạt không hợp lệ: Họp chi bộ', 'Unknown meeting type', 'r1'),
 ('meetings', 'meetings/2023.csv', 12, 'topic', 'topic_required', NULL,
  'Thiếu chủ đề', 'Topic required', 'r1');
INSERT INTO pending VALUES
 ('members', 'M99', 'org_units', 'H01-X01-C09', 'members/a.csv', 15),
 ('attendance', 'H01-X01-C02.202406.R|M04', 'meetings', 'H01-X01-C02.202406.R', 'attendance/2024-05-thon-2.csv', 3),
 ('attendance', 'H01-X01-C02.202406.R|M05', 'meetings', 'H01-X01-C02.202406.R', 'attendance/2024-05-thon-2.csv', 2);
INSERT INTO flags VALUES ('attendance', 'H01-X01-C01.202301.R|M04', 'member_of_other_cell',
  'Đảng viên M04 thuộc chi bộ H01-X01-C02');
INSERT INTO runs VALUES ('r1', TIMESTAMPTZ '2024-06-30 02:00:00+07', TIMESTAMPTZ '2024-06-30 02:01:00+07',
  DATE '2024-06-30', 'completed', 'run', 7, 5, 1, 0, 1, 83, 79, 3, 3, 0, 1, 5, 1.5, 0.4, 0.3, 0.9, 0.1);
"""


def build_warehouse(path: Path) -> Path:
    """Create the populated test warehouse at `path` (a DuckDB file) and return the path."""
    con = duckdb.connect(str(path))
    try:
        for block in (SCHEMA, ORGS, MEMBERS, MEETINGS, ATTENDANCE, OTHER):
            con.execute(block)
        con.execute("DROP TABLE IF EXISTS _active")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path
