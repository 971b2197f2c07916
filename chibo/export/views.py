"""Analyst views (English names). Created by `document_warehouse`."""
from __future__ import annotations

import logging

import duckdb

log = logging.getLogger(__name__)

DEFAULT_REMOVAL_MONTHS = 3
COUNTED = "('regular', 'thematic', 'combined')"

ORG_TREE_SELECT = """
WITH RECURSIVE t(org_id, name, level, kind, parent_id, depth, path, grassroots_id, district_id) AS (
    SELECT o.org_id, o.name, o.level, o.kind, o.parent_id, 0, [o.org_id],
           CASE WHEN o.level IN ('dang_bo_co_so', 'chi_bo_co_so') THEN o.org_id END,
           CASE WHEN o.level = 'cap_tren_co_so' THEN o.org_id END
    FROM org_units o
    WHERE o.parent_id IS NULL
       OR NOT EXISTS (SELECT 1 FROM org_units x WHERE x.org_id = o.parent_id)
    UNION ALL
    SELECT c.org_id, c.name, c.level, c.kind, c.parent_id, t.depth + 1,
           list_append(t.path, c.org_id),
           CASE WHEN c.level IN ('dang_bo_co_so', 'chi_bo_co_so') THEN c.org_id ELSE t.grassroots_id END,
           CASE WHEN c.level = 'cap_tren_co_so' THEN c.org_id ELSE t.district_id END
    FROM org_units c JOIN t ON c.parent_id = t.org_id
    WHERE t.depth < 64 AND NOT list_contains(t.path, c.org_id)
)
SELECT org_id, name, level, kind, parent_id, depth, path, grassroots_id, district_id,
       row_number() OVER (ORDER BY path) AS tree_order
FROM t
"""
V_ORG_TREE = "CREATE OR REPLACE VIEW v_org_tree AS" + ORG_TREE_SELECT

V_SUMMARY = """
CREATE OR REPLACE VIEW v_summary_by_parent_year AS
SELECT c.parent_id,
       p.name AS parent_name,
       p.level AS parent_level,
       c.year,
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
       CAST(count(*) FILTER (WHERE c.four_good) AS DOUBLE) * 100 / count(*) AS four_good_pct
FROM org_year_classification c
LEFT JOIN org_units p ON p.org_id = c.parent_id
GROUP BY c.parent_id, p.name, p.level, c.year
"""

V_REMOVAL = """
CREATE OR REPLACE VIEW v_removal_candidates AS
WITH u AS (
    SELECT a.member_id, m.cell_id, year(m.meeting_date) AS year,
           month(m.meeting_date) AS mon, m.meeting_id
    FROM attendance a
    JOIN meetings m ON m.meeting_id = a.meeting_id
    WHERE a.status = 'unexcused' AND m.meeting_type IN {counted}
), g AS (
    SELECT member_id, cell_id, year,
           list(DISTINCT mon ORDER BY mon) AS unexcused_months,
           count(DISTINCT mon) AS unexcused_month_count,
           count(DISTINCT meeting_id) AS unexcused_meetings
    FROM u
    GROUP BY member_id, cell_id, year
), t AS (
    SELECT g.*, {threshold} AS removal_threshold_months FROM g
)
SELECT t.member_id, mb.full_name, year(mb.birth_date) AS birth_year,
       mb.cell_id AS register_cell_id,
       t.cell_id, o.name AS cell_name, o.parent_id, p.name AS parent_name,
       t.year, t.unexcused_months, t.unexcused_month_count, t.unexcused_meetings,
       t.removal_threshold_months
FROM t
JOIN cell_year_metrics cm ON cm.org_id = t.cell_id AND cm.year = t.year
LEFT JOIN members mb ON mb.member_id = t.member_id
LEFT JOIN org_units o ON o.org_id = t.cell_id
LEFT JOIN org_units p ON p.org_id = o.parent_id
WHERE t.unexcused_month_count >= t.removal_threshold_months
"""

# Active months of a cell-year form one contiguous range: from the first month the org
# existed for the whole month, `months_active` long (the as-of date and the dissolution date
# only cut the end). Active quarters likewise start at the first active month's quarter.
V_MISSING = """
CREATE OR REPLACE VIEW v_cells_missing_months AS
WITH base AS (
    SELECT cm.org_id, cm.year, cm.months_active, cm.regular_months,
           cm.quarters_active, cm.thematic_quarters,
           CASE WHEN o.established_on IS NULL OR o.established_on <= make_date(cm.year, 1, 1) THEN 1
                WHEN day(o.established_on) = 1 THEN month(o.established_on)
                ELSE month(o.established_on) + 1 END AS first_month
    FROM cell_year_metrics cm
    JOIN org_units o ON o.org_id = cm.org_id
    WHERE cm.regular_months < cm.months_active OR cm.thematic_quarters < cm.quarters_active
), held AS (
    SELECT cell_id, year(meeting_date) AS year,
           list(DISTINCT month(meeting_date)) FILTER (WHERE meeting_type IN ('regular', 'combined')) AS months_held,
           list(DISTINCT quarter(meeting_date)) FILTER (WHERE meeting_type IN ('thematic', 'combined')) AS quarters_held
    FROM meetings
    GROUP BY cell_id, year(meeting_date)
)
SELECT b.org_id, o.name, o.parent_id, p.name AS parent_name, b.year,
       b.months_active, b.regular_months,
       CAST(list_filter(range(b.first_month, b.first_month + b.months_active),
                        lambda x: NOT list_contains(coalesce(h.months_held, []), x)) AS INTEGER[]) AS missing_months,
       b.quarters_active, b.thematic_quarters,
       CAST(list_filter(range((b.first_month - 1) // 3 + 1, (b.first_month - 1) // 3 + 1 + b.quarters_active),
                        lambda x: NOT list_contains(coalesce(h.quarters_held, []), x)) AS INTEGER[]) AS missing_quarters
FROM base b
JOIN org_units o ON o.org_id = b.org_id
LEFT JOIN org_units p ON p.org_id = o.parent_id
LEFT JOIN held h ON h.cell_id = b.org_id AND h.year = b.year
"""

V_NO_LOCAL = """
CREATE OR REPLACE VIEW v_cells_without_local_members AS
SELECT o.org_id, o.name, o.level, o.parent_id, p.name AS parent_name,
       count(m.member_id) FILTER (WHERE m.status IN ('active', 'exempt')) AS members_active,
       count(m.member_id) FILTER (WHERE m.status IN ('active', 'exempt') AND m.is_local) AS local_members
FROM org_units o
LEFT JOIN org_units p ON p.org_id = o.parent_id
LEFT JOIN members m ON m.cell_id = o.org_id
WHERE o.level IN ('chi_bo', 'chi_bo_co_so') AND o.dissolved_on IS NULL
GROUP BY o.org_id, o.name, o.level, o.parent_id, p.name
HAVING count(m.member_id) FILTER (WHERE m.status IN ('active', 'exempt') AND m.is_local) = 0
"""

V_ERRORS = """
CREATE OR REPLACE VIEW v_data_errors_by_file AS
WITH f AS (
    SELECT path AS file,
           arg_max(kind, {order}) AS kind,
           arg_max(status, {order}) AS status,
           arg_max(rows_read, {order}) AS rows_read,
           arg_max(rows_loaded, {order}) AS rows_loaded,
           arg_max(error, {order}) AS error
    FROM files {where} GROUP BY path
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

VIEW_NAMES = ("v_org_tree", "v_summary_by_parent_year", "v_removal_candidates",
              "v_cells_missing_months", "v_cells_without_local_members", "v_data_errors_by_file")


def _rule_value(rules, year: int, name: str, default):
    try:
        rb = rules.for_year(year)
    except Exception:  # noqa: BLE001
        return default
    for get in (lambda: getattr(rb, name), lambda: rb.thresholds[name], lambda: rb[name],
                lambda: rb.get(name)):
        try:
            v = get()
        except Exception:  # noqa: BLE001
            continue
        if v is not None and not callable(v):
            return v
    return default


def removal_threshold_sql(con: duckdb.DuckDBPyConnection, rules=None, column: str = "g.year") -> str:
    """SQL expression giving the removal threshold (months) of the year in `column`."""
    if rules is None:
        try:
            from chibo.rulebooks import load_rulebooks
            rules = load_rulebooks(None)
        except Exception as exc:  # noqa: BLE001
            log.info("rulebooks not available (%s); removal threshold %s", exc, DEFAULT_REMOVAL_MONTHS)
            return str(DEFAULT_REMOVAL_MONTHS)
    years: set[int] = set()
    for table, col in (("cell_year_metrics", "year"), ("meetings", "year(meeting_date)")):
        try:
            years |= {r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {table}").fetchall()
                      if r[0] is not None}
        except duckdb.Error:
            pass
    whens = []
    for y in sorted(years):
        v = _rule_value(rules, y, "removal_unexcused_months", DEFAULT_REMOVAL_MONTHS)
        try:
            whens.append(f"WHEN {int(y)} THEN {int(v)}")
        except (TypeError, ValueError):
            continue
    if not whens:
        return str(DEFAULT_REMOVAL_MONTHS)
    return f"CASE {column} {' '.join(whens)} ELSE {DEFAULT_REMOVAL_MONTHS} END"


def _files_current(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """How to pick the current delivery of a path in `files` (latest; not superseded)."""
    cols = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'files' "
        "AND schema_name = 'main'").fetchall()}
    return {"order": "delivery_id" if "delivery_id" in cols else "first_run_id",
            "where": "WHERE NOT coalesce(superseded, false)" if "superseded" in cols else ""}


def create_views(con: duckdb.DuckDBPyConnection, rules=None, only_missing: bool = False) -> list[str]:
    """Create every analyst view; a view whose source tables are missing is skipped (logged).

    `only_missing`: leave views that already exist alone.
    """
    existing = {r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()} if only_missing else set()
    threshold = removal_threshold_sql(con, rules, "g.year")
    ddl = {
        "v_org_tree": V_ORG_TREE,
        "v_summary_by_parent_year": V_SUMMARY,
        "v_removal_candidates": V_REMOVAL.format(counted=COUNTED, threshold=threshold),
        "v_cells_missing_months": V_MISSING,
        "v_cells_without_local_members": V_NO_LOCAL,
        "v_data_errors_by_file": V_ERRORS.format(**_files_current(con)),
    }
    # one statement per view: the run works in a private file, so no transaction is needed,
    # and a view whose tables are missing must not take the others down with it
    made = []
    for name, sql in ddl.items():
        if name in existing:
            continue
        try:
            con.execute(sql)
            made.append(name)
        except duckdb.Error as exc:
            log.warning("view %s not created: %s", name, exc)
    return made
