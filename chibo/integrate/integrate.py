"""Integrate: derive the current state of every kind from all staged deliveries.

Re-derived in full every run (set-based SQL), so the warehouse built file by file equals
one rebuilt from raw/ alone:
1. per key, the row of the file latest in path (byte) order wins; `delete` retracts;
2. the org tree is checked (parent level, cycles) and walked from the root;
3. every reference is resolved against integrated rows; unknown ones make the row pending,
   a known org of the wrong level quarantines it;
4. flags, integration quarantine, pending and per-file counts are rebuilt.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import duckdb

from chibo.contract import CONTRACT, KINDS, PARENT_LEVELS, REFERENCES
from chibo.errors import ShrinkGuardError

SHRINK_GUARD_SHARE = Fraction(1, 10)
REFERENCED_KINDS = {ref for refs in REFERENCES.values() for _, ref, _ in refs}

MESSAGES = {
    "wrong_parent_level": (
        "Cấp của tổ chức cấp trên không phù hợp với cấp của tổ chức này",
        "the parent organisation has the wrong level for this organisation's level"),
    "parent_cycle": (
        "Quan hệ cấp trên tạo thành vòng lặp (tổ chức là cấp trên của chính nó)",
        "the parent chain forms a cycle (the organisation is its own ancestor)"),
    "wrong_level_reference": (
        "Mã tổ chức tham chiếu đến tổ chức không đúng cấp",
        "the referenced organisation exists but has the wrong level"),
}


@dataclass
class IntegrateSummary:
    loaded: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    retracted: dict[str, int] = field(default_factory=dict)
    flags: int = 0


def _key_expr(kind: str, alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    return " || '|' || ".join(f"CAST({a}{k} AS VARCHAR)" for k in CONTRACT[kind].key)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(values) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


def _current_rows(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    key = ", ".join(CONTRACT[kind].key)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cur_{kind} AS
        SELECT * FROM staging.{kind}
        QUALIFY row_number() OVER (PARTITION BY {key}
                                   ORDER BY source_file DESC, source_row DESC) = 1""")


def _org_tree(con: duckdb.DuckDBPyConnection) -> None:
    """Problems, then the integrated orgs: reachable from a root through valid rows."""
    allowed = " ".join(
        f"WHEN '{lvl}' THEN {_sql_list(parents)}" for lvl, parents in PARENT_LEVELS.items())
    con.execute("""
        CREATE OR REPLACE TEMP TABLE org_cycle AS
        WITH RECURSIVE walk(org_id, ancestor, depth) AS (
            SELECT org_id, parent_id, 1 FROM cur_org_units
            WHERE action = 'upsert' AND parent_id IS NOT NULL
            UNION ALL
            SELECT w.org_id, p.parent_id, w.depth + 1
            FROM walk w JOIN cur_org_units p ON p.org_id = w.ancestor AND p.action = 'upsert'
            WHERE p.parent_id IS NOT NULL AND w.ancestor <> w.org_id AND w.depth < 200)
        SELECT DISTINCT org_id FROM walk WHERE ancestor = org_id""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE chk_org_units AS
        SELECT o.*,
            CASE WHEN cy.org_id IS NOT NULL THEN 'parent_cycle'
                 WHEN o.level = 'tinh' AND o.parent_id IS NOT NULL THEN 'wrong_parent_level'
                 WHEN p.org_id IS NOT NULL
                      AND NOT list_contains(CASE o.level {allowed} END, p.level)
                      THEN 'wrong_parent_level'
            END AS problem_check,
            CASE WHEN problem_check IS NOT NULL THEN 'parent_id' END AS problem_column
        FROM cur_org_units o
        LEFT JOIN cur_org_units p ON p.org_id = o.parent_id AND p.action = 'upsert'
        LEFT JOIN org_cycle cy ON cy.org_id = o.org_id
        WHERE o.action = 'upsert'""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE ok_org_units AS
        WITH RECURSIVE ok(org_id) AS (
            SELECT org_id FROM chk_org_units WHERE parent_id IS NULL AND problem_check IS NULL
            UNION
            SELECT c.org_id FROM chk_org_units c JOIN ok ON c.parent_id = ok.org_id
            WHERE c.problem_check IS NULL)
        SELECT c.* EXCLUDE (problem_check, problem_column)
        FROM chk_org_units c SEMI JOIN ok USING (org_id)""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE pend_org_units AS
        SELECT c.*, 'org_units' AS missing_kind, c.parent_id AS missing_key
        FROM chk_org_units c
        WHERE c.problem_check IS NULL AND c.org_id NOT IN (SELECT org_id FROM ok_org_units)""")


def _references(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Quarantine wrong-level references; unknown references make the row pending."""
    checks, pendings = [], []
    for col, ref_kind, levels in REFERENCES[kind]:
        ref_key = CONTRACT[ref_kind].key[0]
        exists = f"EXISTS (SELECT 1 FROM ok_{ref_kind} r WHERE r.{ref_key} = c.{col})"
        if levels is not None:
            checks.append(
                f"SELECT c.*, '{col}' AS problem_column, 'wrong_level_reference' AS problem_check "
                f"FROM cur_{kind} c JOIN ok_{ref_kind} r ON r.{ref_key} = c.{col} "
                f"WHERE c.action = 'upsert' AND NOT list_contains({_sql_list(levels)}, r.level)")
        pendings.append(
            f"SELECT c.*, '{ref_kind}' AS missing_kind, c.{col} AS missing_key "
            f"FROM cur_{kind} c WHERE c.action = 'upsert' AND NOT {exists}")
    empty = f"SELECT *, NULL::VARCHAR AS problem_column, NULL::VARCHAR AS problem_check FROM cur_{kind} WHERE false"
    con.execute(f"CREATE OR REPLACE TEMP TABLE chk_{kind} AS "
                + " UNION ALL BY NAME ".join(checks or [empty]))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pend_{kind} AS
        SELECT * FROM ({" UNION ALL BY NAME ".join(pendings)}) p
        WHERE NOT EXISTS (SELECT 1 FROM chk_{kind} q
                          WHERE q.source_file = p.source_file AND q.source_row = p.source_row)""")
    # a table only where a later kind refers to it; otherwise read once, into the final table
    relation = "TABLE" if kind in REFERENCED_KINDS else "VIEW"
    con.execute(f"""
        CREATE OR REPLACE TEMP {relation} ok_{kind} AS
        SELECT c.* FROM cur_{kind} c
        WHERE c.action = 'upsert'
          AND NOT EXISTS (SELECT 1 FROM chk_{kind} q
                          WHERE q.source_file = c.source_file AND q.source_row = c.source_row)
          AND NOT EXISTS (SELECT 1 FROM pend_{kind} q
                          WHERE q.source_file = c.source_file AND q.source_row = c.source_row)""")


def _retracted(con: duckdb.DuckDBPyConnection, kind: str) -> tuple[int, int, list[str]]:
    """(keys of the current table a delete retracts now, current rows, files with those deletes)."""
    key = CONTRACT[kind].key
    join = " AND ".join(f"t.{k} = d.{k}" for k in key)
    current = con.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0]
    rows = con.execute(f"""
        SELECT d.source_file, count(*) FROM cur_{kind} d JOIN {kind} t ON {join}
        WHERE d.action = 'delete' GROUP BY d.source_file ORDER BY d.source_file""").fetchall()
    return sum(n for _, n in rows), current, [f for f, _ in rows]


def _publish_tables(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    cols = ", ".join(CONTRACT[kind].column_names)
    con.execute(f"CREATE OR REPLACE TABLE {kind} AS "
                f"SELECT {cols}, source_file, source_row FROM ok_{kind}")


def _quarantine_and_pending(con: duckdb.DuckDBPyConnection) -> None:
    parts = []
    for kind in KINDS:
        cols = CONTRACT[kind]
        # the value of the offending column, whichever it is
        value = "CASE q.problem_column " + " ".join(
            f"WHEN '{c}' THEN CAST(q.{c} AS VARCHAR)" for c in cols.column_names) + " END"
        msg_vi = "CASE q.problem_check " + " ".join(
            f"WHEN '{k}' THEN {_lit(vi)}" for k, (vi, _) in MESSAGES.items()) + " END"
        msg_en = "CASE q.problem_check " + " ".join(
            f"WHEN '{k}' THEN {_lit(en)}" for k, (_, en) in MESSAGES.items()) + " END"
        parts.append(f"""
            SELECT '{kind}' AS kind, q.source_file AS file, q.source_row,
                   q.problem_column AS column_name, q.problem_check AS check_name,
                   {value} AS value, {msg_vi} AS message_vi, {msg_en} AS message_en,
                   f.first_run_id AS run_id
            FROM chk_{kind} q LEFT JOIN files f
              ON f.path = q.source_file AND NOT f.superseded AND f.status = 'loaded'
            WHERE q.problem_check IS NOT NULL""")
    con.execute("CREATE OR REPLACE TEMP TABLE integration_quarantine AS "
                + " UNION ALL ".join(parts))
    con.execute("""
        CREATE OR REPLACE TABLE quarantine AS
        SELECT kind, file, source_row, column_name, check_name, value, message_vi, message_en,
               run_id
        FROM (SELECT * EXCLUDE (delivery_id) FROM staging.quarantine
              UNION ALL BY NAME SELECT * FROM integration_quarantine)
        ORDER BY kind, file, source_row, column_name, check_name""")
    pend = " UNION ALL ".join(
        f"SELECT '{k}' AS kind, {_key_expr(k)} AS key, missing_kind, missing_key, "
        f"source_file AS file, source_row FROM pend_{k}" for k in KINDS)
    con.execute(f"CREATE OR REPLACE TABLE pending AS SELECT * FROM ({pend}) "
                "ORDER BY kind, file, source_row, missing_kind, missing_key")


def _flags(con: duckdb.DuckDBPyConnection, quota_share: Callable[[int], Fraction]) -> None:
    """Flags never block loading; the quota share is each year's rulebook's."""
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM member_ratings").fetchall()]
    shares = ", ".join(f"({y}, {quota_share(y).numerator}, {quota_share(y).denominator}, "
                       f"'{quota_share(y)}')" for y in years) or "(NULL, 1, 5, '1/5')"
    con.execute(f"""
        CREATE OR REPLACE TABLE flags AS
        SELECT 'attendance' AS kind, a.meeting_id || '|' || a.member_id AS key,
               'member_of_other_cell' AS flag,
               'member ' || a.member_id || ' belongs to cell ' || m.cell_id
               || ', meeting ' || a.meeting_id || ' is of cell ' || g.cell_id AS detail
        FROM attendance a JOIN members m USING (member_id) JOIN meetings g USING (meeting_id)
        WHERE m.cell_id <> g.cell_id
        UNION ALL
        SELECT 'member_ratings', cell_id || '|' || year, 'member_quota_exceeded',
               'excellent ' || excellent || ' > ' || share || ' × (excellent + good = '
               || (excellent + good) || ')'
        FROM (SELECT cell_id, year, count(*) FILTER (rating = 'excellent') AS excellent,
                     count(*) FILTER (rating = 'good') AS good
              FROM member_ratings GROUP BY cell_id, year)
        JOIN (VALUES {shares}) AS q(year, num, den, share) USING (year)
        WHERE excellent * den > num * (excellent + good)
        ORDER BY 1, 3, 2""")


def _file_counts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        UPDATE files f SET rows_quarantined = coalesce(q.n, 0),
                           rows_pending = coalesce(p.n, 0),
                           rows_loaded = f.rows_read - coalesce(q.n, 0) - coalesce(p.n, 0)
        FROM (SELECT path FROM files WHERE status = 'loaded' AND NOT superseded) s
        LEFT JOIN (SELECT file, count(DISTINCT source_row) AS n FROM quarantine GROUP BY file) q
               ON q.file = s.path
        LEFT JOIN (SELECT file, count(DISTINCT source_row) AS n FROM pending p
                   WHERE NOT EXISTS (SELECT 1 FROM quarantine q
                                     WHERE q.file = p.file AND q.source_row = p.source_row)
                   GROUP BY file) p ON p.file = s.path
        WHERE f.path = s.path AND f.status = 'loaded' AND NOT f.superseded""")


def integrate_all(con: duckdb.DuckDBPyConnection, allow_shrink: bool,
                  quota_share: Callable[[int], Fraction] = lambda year: Fraction(1, 5)
                  ) -> IntegrateSummary:
    summary = IntegrateSummary()
    for kind in KINDS:
        _current_rows(con, kind)
    _org_tree(con)
    for kind in KINDS[1:]:     # contract order: every reference points to an earlier kind
        _references(con, kind)
    tripped = []
    for kind in KINDS:
        retracted, current, files = _retracted(con, kind)
        summary.retracted[kind] = retracted
        if current and retracted > SHRINK_GUARD_SHARE * current and not allow_shrink:
            tripped.append(f"{kind}: {retracted} of {current} rows by {', '.join(files)}")
    if tripped:
        raise ShrinkGuardError(
            "stopped before publishing: deletes would retract more than 10% of "
            + "; ".join(tripped) + " (check the files; rerun with --allow-shrink if intended)")
    for kind in KINDS:
        _publish_tables(con, kind)
    _quarantine_and_pending(con)
    _flags(con, quota_share)
    _file_counts(con)
    _drop_work_tables(con)
    return current_counts(con, summary)


def current_counts(con: duckdb.DuckDBPyConnection,
                   summary: IntegrateSummary | None = None) -> IntegrateSummary:
    """Rows loaded, pending and quarantined per kind, as the integrated tables hold them."""
    summary = summary or IntegrateSummary(retracted={k: 0 for k in KINDS})
    for kind in KINDS:
        summary.loaded[kind] = con.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0]
        summary.pending[kind] = con.execute(
            "SELECT count(DISTINCT (file, source_row)) FROM pending WHERE kind = ?", [kind]
        ).fetchall()[0][0]
        summary.quarantined[kind] = con.execute(
            "SELECT count(DISTINCT (file, source_row)) FROM quarantine WHERE kind = ?", [kind]
        ).fetchall()[0][0]
    summary.flags = con.execute("SELECT count(*) FROM flags").fetchall()[0][0]
    return summary


def _drop_work_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Free the intermediate copies (a national year's would crowd the model's memory)."""
    work = con.execute(
        "SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary UNION ALL "
        "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND NOT internal"
    ).fetchall()
    for name, relation in sorted(work, key=lambda w: w[1] == "TABLE"):   # views first
        if name.startswith(("ok_", "pend_", "chk_", "cur_")) or name in (
                "org_cycle", "integration_quarantine"):
            con.execute(f"DROP {relation} temp.{name}")
