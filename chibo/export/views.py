"""Analyst views (English names). Created by `document_warehouse`.

Every view only selects from and joins the model's tables (`org_years`, `org_months`,
`member_years`, `cell_year_metrics`, `org_year_classification`, `member_rating_audit`) and
the run's rulebook tables (`reason_texts`, `levels`, `rulebooks`): none re-derives a rule or
reads a threshold, so a view cannot disagree with the model. Names and parents are those of
each year's tree (`org_years`).
"""
from __future__ import annotations

import duckdb

# the tree of each year, with the names of the parent, grassroots and upper org that year
V_ORG_TREE = """
CREATE OR REPLACE VIEW v_org_tree AS
SELECT y.year, y.org_id, y.name, y.level, y.kind, y.parent_id, p.name AS parent_name,
       y.depth, y.path, y.tree_order,
       y.grassroots_id, g.name AS grassroots_name, y.upper_id, u.name AS upper_name,
       y.months_active, y.quarters_active, y.valid_from
FROM org_years y
LEFT JOIN org_years p ON p.org_id = y.parent_id AND p.year = y.year
LEFT JOIN org_years g ON g.org_id = y.grassroots_id AND g.year = y.year
LEFT JOIN org_years u ON u.org_id = y.upper_id AND u.year = y.year
"""

# one row per classification row, with the names of that year's tree and every reason code
# turned into the text of the row's rulebook (reason_texts: overrides included)
V_CLASSIFICATION = """
CREATE OR REPLACE VIEW v_classification_explained AS
WITH r AS (
    SELECT org_id, year, rulebook, unnest(reasons) AS code,
           generate_subscripts(reasons, 1) AS i
    FROM org_year_classification
), rt AS (
    SELECT r.org_id, r.year,
           list(coalesce(t.text_vi, r.code) ORDER BY r.i) AS reasons_vi,
           list(coalesce(t.text_en, r.code) ORDER BY r.i) AS reasons_en
    FROM r LEFT JOIN reason_texts t ON t.rulebook = r.rulebook AND t.code = r.code
    GROUP BY r.org_id, r.year
), cr AS (
    SELECT org_id, year, rulebook, unnest(criteria_reasons) AS code,
           generate_subscripts(criteria_reasons, 1) AS i
    FROM org_year_classification
), crt AS (
    SELECT cr.org_id, cr.year,
           list(coalesce(t.text_vi, cr.code) ORDER BY cr.i) AS criteria_reasons_vi,
           list(coalesce(t.text_en, cr.code) ORDER BY cr.i) AS criteria_reasons_en
    FROM cr LEFT JOIN reason_texts t ON t.rulebook = cr.rulebook AND t.code = cr.code
    GROUP BY cr.org_id, cr.year
)
SELECT c.year, c.org_id, y.name, c.org_level, c.parent_id, p.name AS parent_name,
       y.kind, y.depth, y.tree_order, y.grassroots_id, y.upper_id,
       c.level, c.level_vi, lv.level_short_vi, lv.rank AS level_rank,
       c.provisional_level, c.quota_demoted,
       c.four_good, c.political_task_good, c.meeting_quality_good, c.unity_discipline_good,
       c.members_good,
       c.reasons, coalesce(rt.reasons_vi, []) AS reasons_vi,
       coalesce(rt.reasons_en, []) AS reasons_en,
       c.criteria_reasons, coalesce(crt.criteria_reasons_vi, []) AS criteria_reasons_vi,
       coalesce(crt.criteria_reasons_en, []) AS criteria_reasons_en,
       c.rulebook, rb.title_vi AS rulebook_title_vi, c.year_complete,
       c.official_level, ol.level_vi AS official_level_vi, ol.level_short_vi AS official_level_short_vi,
       ol.rank AS official_rank, c.audit, c.rank_gap, c.four_good_audit
FROM org_year_classification c
LEFT JOIN org_years y ON y.org_id = c.org_id AND y.year = c.year
LEFT JOIN org_years p ON p.org_id = c.parent_id AND p.year = c.year
LEFT JOIN levels lv ON lv.level = c.level
LEFT JOIN levels ol ON ol.level = c.official_level
LEFT JOIN rulebooks rb ON rb.rulebook = c.rulebook
LEFT JOIN rt ON rt.org_id = c.org_id AND rt.year = c.year
LEFT JOIN crt ON crt.org_id = c.org_id AND crt.year = c.year
"""

# the audit of the official ratings: every org-year with an official rating, the evidence's
# level beside it, in the order the board reads them (official_higher by rank_gap first)
V_AUDIT = """
CREATE OR REPLACE VIEW v_official_rating_audit AS
SELECT e.year, e.org_id, e.name, e.org_level, e.parent_id, e.parent_name, e.depth, e.tree_order,
       e.grassroots_id, e.upper_id,
       e.official_level, e.official_level_vi, e.official_rank,
       e.level, e.level_vi, e.level_rank,
       e.audit, CASE e.audit WHEN 'official_higher' THEN 1 WHEN 'official_lower' THEN 2
                             WHEN 'not_computed' THEN 3 ELSE 4 END AS audit_order,
       e.rank_gap,
       o.four_good_awarded, e.four_good, e.four_good_audit,
       e.reasons, e.reasons_vi, e.criteria_reasons, e.criteria_reasons_vi,
       o.decided_on, o.decision, e.rulebook
FROM v_classification_explained e
LEFT JOIN official_ratings o ON o.org_id = e.org_id AND o.year = e.year
WHERE e.official_level IS NOT NULL
"""

_COUNTS = """
       count(*) AS orgs,
       count(c.level) AS classified,
       count(*) FILTER (WHERE c.level = 'excellent') AS excellent,
       CAST(count(*) FILTER (WHERE c.level = 'excellent') AS DOUBLE) * 100 / nullif(count(c.level), 0) AS excellent_pct,
       count(*) FILTER (WHERE c.level = 'good') AS good,
       CAST(count(*) FILTER (WHERE c.level = 'good') AS DOUBLE) * 100 / nullif(count(c.level), 0) AS good_pct,
       count(*) FILTER (WHERE c.level = 'completed') AS completed,
       CAST(count(*) FILTER (WHERE c.level = 'completed') AS DOUBLE) * 100 / nullif(count(c.level), 0) AS completed_pct,
       count(*) FILTER (WHERE c.level = 'failed') AS failed,
       CAST(count(*) FILTER (WHERE c.level = 'failed') AS DOUBLE) * 100 / nullif(count(c.level), 0) AS failed_pct,
       count(*) FILTER (WHERE c.level IS NULL) AS not_classified,
       count(*) FILTER (WHERE c.four_good) AS four_good,
       CAST(count(*) FILTER (WHERE c.four_good) AS DOUBLE) * 100 / count(*) AS four_good_pct,
       count(c.official_level) AS official_rated,
       count(*) FILTER (WHERE c.audit = 'agrees') AS audit_agrees,
       count(*) FILTER (WHERE c.audit = 'official_higher') AS audit_official_higher,
       count(*) FILTER (WHERE c.audit = 'official_lower') AS audit_official_lower,
       count(*) FILTER (WHERE c.audit = 'not_computed') AS audit_not_computed"""

# direct children of each parent, in that year's tree
V_SUMMARY = f"""
CREATE OR REPLACE VIEW v_summary_by_parent_year AS
SELECT c.year, c.parent_id, p.name AS parent_name, p.level AS parent_level,
       p.depth AS parent_depth, p.tree_order AS parent_tree_order,{_COUNTS}
FROM org_year_classification c
LEFT JOIN org_years p ON p.org_id = c.parent_id AND p.year = c.year
GROUP BY c.year, c.parent_id, p.name, p.level, p.depth, p.tree_order
"""

# everything below each org of that year's tree (the root's row: the province's total)
V_SUBTREE = f"""
CREATE OR REPLACE VIEW v_summary_by_unit_year AS
WITH below AS (
    SELECT y.year, y.org_id, unnest(y.path[:-2]) AS unit_id
    FROM org_years y
)
SELECT c.year, b.unit_id, u.name AS unit_name, u.level AS unit_level, u.depth AS unit_depth,
       u.tree_order AS unit_tree_order,{_COUNTS}
FROM org_year_classification c
JOIN below b ON b.org_id = c.org_id AND b.year = c.year
LEFT JOIN org_years u ON u.org_id = b.unit_id AND u.year = b.year
GROUP BY c.year, b.unit_id, u.name, u.level, u.depth, u.tree_order
"""

# one row per member and year the model marks as a removal candidate (member_years), with
# the cells of the unexcused absences as named in that year's tree
V_REMOVAL = """
CREATE OR REPLACE VIEW v_removal_candidates AS
WITH my AS (
    SELECT * FROM member_years WHERE removal_candidate
), cells AS (
    SELECT member_id, year, unnest(unexcused_cells) AS cell_id FROM my
), named AS (
    SELECT c.member_id, c.year,
           list(c.cell_id ORDER BY y.tree_order NULLS LAST, c.cell_id) AS cell_ids,
           list(coalesce(y.name, c.cell_id) ORDER BY y.tree_order NULLS LAST, c.cell_id) AS cell_names,
           list(DISTINCT y.parent_id) FILTER (WHERE y.parent_id IS NOT NULL) AS parent_ids,
           list(DISTINCT p.name) FILTER (WHERE p.name IS NOT NULL) AS parent_names,
           list(DISTINCT y.grassroots_id) FILTER (WHERE y.grassroots_id IS NOT NULL) AS grassroots_ids,
           list(DISTINCT y.upper_id) FILTER (WHERE y.upper_id IS NOT NULL) AS upper_ids,
           min(y.tree_order) AS tree_order
    FROM cells c
    LEFT JOIN org_years y ON y.org_id = c.cell_id AND y.year = c.year
    LEFT JOIN org_years p ON p.org_id = y.parent_id AND p.year = y.year
    GROUP BY c.member_id, c.year
)
SELECT my.year, my.member_id, mb.full_name, year(mb.birth_date) AS birth_year,
       mb.cell_id AS register_cell_id,
       n.cell_ids, n.cell_names, n.parent_ids, n.parent_names, n.grassroots_ids, n.upper_ids,
       n.tree_order,
       my.unexcused_months, my.unexcused_month_list, my.unexcused_meetings,
       my.longest_excused_streak, my.removal_threshold_months
FROM my
LEFT JOIN members mb ON mb.member_id = my.member_id
LEFT JOIN named n ON n.member_id = my.member_id AND n.year = my.year
"""

# the cell-years the metrics show a missing regular month or thematic quarter for, and which
# ones: the active months and quarters of the model's calendar (org_months) that hold none
V_MISSING = """
CREATE OR REPLACE VIEW v_cells_missing_months AS
WITH cm AS (
    SELECT * FROM cell_year_metrics
    WHERE regular_months < months_active OR thematic_quarters < quarters_active
), mm AS (
    SELECT om.org_id, om.year, list(om.month ORDER BY om.month) AS missing_months
    FROM org_months om
    JOIN cm ON cm.org_id = om.org_id AND cm.year = om.year
    WHERE NOT om.regular_held
    GROUP BY om.org_id, om.year
), qq AS (
    SELECT om.org_id, om.year, list(DISTINCT om.quarter ORDER BY om.quarter) AS missing_quarters
    FROM org_months om
    JOIN cm ON cm.org_id = om.org_id AND cm.year = om.year
    WHERE om.quarter_active AND NOT om.thematic_held_in_quarter
    GROUP BY om.org_id, om.year
)
SELECT cm.year, cm.org_id, y.name, y.parent_id, p.name AS parent_name, y.tree_order,
       cm.months_active, cm.regular_months, CAST(coalesce(mm.missing_months, []) AS INTEGER[]) AS missing_months,
       cm.quarters_active, cm.thematic_quarters,
       CAST(coalesce(qq.missing_quarters, []) AS INTEGER[]) AS missing_quarters
FROM cm
LEFT JOIN org_years y ON y.org_id = cm.org_id AND y.year = cm.year
LEFT JOIN org_years p ON p.org_id = y.parent_id AND p.year = y.year
LEFT JOIN mm ON mm.org_id = cm.org_id AND mm.year = cm.year
LEFT JOIN qq ON qq.org_id = cm.org_id AND qq.year = cm.year
"""

# every dissolved org and where it is today: the model's org_lineage
V_LINEAGE = """
CREATE OR REPLACE VIEW v_org_lineage AS
SELECT org_id, name, level, dissolved_on, decision, successor_id, successor_chain,
       current_id, current_name, current_level, lineage_status
FROM org_lineage
"""

V_NO_LOCAL = """
CREATE OR REPLACE VIEW v_cells_without_local_members AS
SELECT o.org_id, o.name, o.level, o.parent_id, p.name AS parent_name,
       count(m.member_id) FILTER (WHERE m.status IN ('active', 'exempt')) AS members_active,
       count(m.member_id) FILTER (WHERE m.status IN ('active', 'exempt') AND m.is_local) AS local_members
FROM org_units o
LEFT JOIN org_units p ON p.org_id = o.parent_id AND p.valid_to IS NULL
LEFT JOIN members m ON m.cell_id = o.org_id
WHERE o.valid_to IS NULL AND o.level IN ('chi_bo', 'chi_bo_co_so') AND o.dissolved_on IS NULL
GROUP BY o.org_id, o.name, o.level, o.parent_id, p.name
HAVING count(m.member_id) FILTER (WHERE m.status IN ('active', 'exempt') AND m.is_local) = 0
"""

V_ERRORS = """
CREATE OR REPLACE VIEW v_data_errors_by_file AS
WITH f AS (
    SELECT path AS file, arg_max(kind, delivery_id) AS kind, arg_max(status, delivery_id) AS status,
           arg_max(rows_read, delivery_id) AS rows_read, arg_max(rows_loaded, delivery_id) AS rows_loaded,
           arg_max(error, delivery_id) AS error
    FROM files WHERE NOT superseded GROUP BY path
), q AS (
    SELECT file, any_value(kind) AS kind, count(DISTINCT source_row) AS quarantined_rows,
           count(*) AS problems
    FROM quarantine GROUP BY file
), pe AS (
    SELECT file, any_value(kind) AS kind, count(*) AS pending_rows
    FROM pending GROUP BY file
), k AS (
    SELECT file FROM f UNION SELECT file FROM q UNION SELECT file FROM pe
)
SELECT k.file, coalesce(f.kind, q.kind, pe.kind) AS kind, f.status, f.rows_read, f.rows_loaded,
       coalesce(q.quarantined_rows, 0) AS quarantined_rows,
       coalesce(q.problems, 0) AS problems,
       coalesce(pe.pending_rows, 0) AS pending_rows,
       f.error
FROM k
LEFT JOIN f ON f.file = k.file
LEFT JOIN q ON q.file = k.file
LEFT JOIN pe ON pe.file = k.file
WHERE coalesce(q.problems, 0) > 0 OR coalesce(pe.pending_rows, 0) > 0
   OR f.status IN ('rejected', 'unsupported_format')
"""

# in creation order (a view may read an earlier one)
VIEWS: dict[str, str] = {
    "v_org_tree": V_ORG_TREE,
    "v_classification_explained": V_CLASSIFICATION,
    "v_official_rating_audit": V_AUDIT,
    "v_summary_by_parent_year": V_SUMMARY,
    "v_summary_by_unit_year": V_SUBTREE,
    "v_removal_candidates": V_REMOVAL,
    "v_cells_missing_months": V_MISSING,
    "v_org_lineage": V_LINEAGE,
    "v_cells_without_local_members": V_NO_LOCAL,
    "v_data_errors_by_file": V_ERRORS,
}
VIEW_NAMES = tuple(VIEWS)


def create_views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create (or replace) every analyst view; a missing model table is an error."""
    for sql in VIEWS.values():
        con.execute(sql)
    return list(VIEWS)
