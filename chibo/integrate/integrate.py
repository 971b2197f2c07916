"""Integrate: derive the current state of every kind from all staged deliveries.

`integrate_all` re-derives everything (set-based SQL), so the warehouse built file by file
equals one rebuilt from raw/ alone:
1. per key, the row of the file latest in path (byte) order wins; `delete` retracts;
2. the org tree is checked (parent level, cycles) and walked from the root;
3. every reference is resolved against integrated rows; unknown ones make the row pending,
   a known org of the wrong level quarantines it;
4. flags, integration quarantine, pending and per-file counts are rebuilt.

`integrate_changed` does the same for a night whose deliveries touch neither the tree nor the
register (most nights: meetings, attendance, assessments, ratings): only the partitions —
values of a kind's first key column — that ingest recorded in `staging.changed` are derived
again, a meeting's attendance with the meeting; the rest of every table stays. Same rules,
same SQL, so it equals `integrate_all` (tests/test_incremental_nights.py checks it night by
night against a rebuild).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import duckdb

from chibo.contract import CONTRACT, KINDS, PARENT_LEVELS, REFERENCES
from chibo.errors import ShrinkGuardError

SHRINK_GUARD_SHARE = Fraction(1, 10)
REFERENCED_KINDS = {ref for refs in REFERENCES.values() for _, ref, _ in refs}
# the kinds with a wrong-level reference check (rows the integration may quarantine)
REFERENCE_LEVELS = {kind: any(levels is not None for _, _, levels in refs)
                    for kind, refs in REFERENCES.items()}

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
    # partitions derived again by integrate_changed; None: everything was (integrate_all)
    changed_parts: int | None = None


def _key_expr(kind: str, alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    # an empty optional key part (org_units.valid_from) reads as '' in the key text
    return " || '|' || ".join(f"coalesce(CAST({a}{k} AS VARCHAR), '')" for k in CONTRACT[kind].key)


def _key_match(kind: str, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in CONTRACT[kind].key)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_list(values) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


# the kinds integrate_changed derives by partition: nothing but attendance refers to them
PARTITIONED_KINDS = KINDS[2:]
# the meetings an integrate by partition derived again (a meeting's or its attendance's
# partition), for the model: the only cells whose meeting facts can differ. Absent after a
# full integrate, when any may.
TOUCHED_MEETINGS = "_touched_meetings"


def _in_parts(kind: str, alias: str = "") -> str:
    """The row's partition (its first key column) is one derived again now (`cur_parts`)."""
    a = f"{alias}." if alias else ""
    return (f"{a}{CONTRACT[kind].key[0]} IN "
            f"(SELECT part FROM cur_parts WHERE kind = '{kind}')")


def _current_rows(con: duckdb.DuckDBPyConnection, kind: str, changed: bool = False) -> None:
    """The last delivered row of every key (cur_<kind>). Most keys were delivered once: only
    the keys delivered again go through the window that picks the last, the rest keep the
    order they were delivered in (a cell's meetings together), not the window's key order.
    A national year's warehouse is a third smaller in that order and the model reads it a
    third faster (docs/benchmarks.md)."""
    key = ", ".join(CONTRACT[kind].key)
    rows = f"(SELECT * FROM staging.{kind} {'WHERE ' + _in_parts(kind) if changed else ''})"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE redelivered_keys AS
        SELECT {key} FROM {rows} GROUP BY ALL HAVING count(*) > 1""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE cur_{kind} AS
        SELECT s.* FROM {rows} s ANTI JOIN redelivered_keys d ON {_key_match(kind, 's', 'd')}
        UNION ALL
        SELECT * FROM (
            SELECT s.* FROM {rows} s SEMI JOIN redelivered_keys d ON {_key_match(kind, 's', 'd')}
            QUALIFY row_number() OVER (PARTITION BY {key}
                                       ORDER BY source_file DESC, source_row DESC) = 1)""")
    con.execute("DROP TABLE redelivered_keys")


# an empty valid_from sorts before every date
BEGINNING = "DATE '0001-01-01'"


def _org_round(con: duckdb.DuckDBPyConnection) -> int:
    """One round of the three tree checks on the versions still standing (data-contract.md,
    org_units "Tree checks"): wrong parent level at the child version's start, cycles in the
    tree of every change date, and pending when the parent org has no standing version.
    Returns how many versions this round rejected."""
    allowed = " ".join(
        f"WHEN '{lvl}' THEN {_sql_list(parents)}" for lvl, parents in PARENT_LEVELS.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE org_standing AS
        SELECT o.*, coalesce(o.valid_from, {BEGINNING}) AS vf,
               min(coalesce(o.valid_from, {BEGINNING})) OVER (PARTITION BY o.org_id) AS first_vf
        FROM cur_org_units o
        WHERE o.action = 'upsert'
          AND NOT EXISTS (SELECT 1 FROM org_rejected r
                          WHERE r.org_id = o.org_id AND r.vf = coalesce(o.valid_from, {BEGINNING}))""")
    # the tree of a date: every org's version in force that day (its earliest before them all)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE org_dates AS
        SELECT DISTINCT vf AS d FROM org_standing""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE org_tree_by_date AS
        WITH grid AS (SELECT d.d, o.org_id, o.first_vf
                      FROM org_dates d CROSS JOIN (SELECT DISTINCT org_id, first_vf FROM org_standing) o)
        SELECT g.d, g.org_id, s.vf, s.parent_id, s.level
        FROM grid g
        JOIN org_standing s ON s.org_id = g.org_id
         AND s.vf = coalesce((SELECT max(x.vf) FROM org_standing x
                              WHERE x.org_id = g.org_id AND x.vf <= g.d), g.first_vf)""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE org_problems AS
        WITH parent_at_start AS (
            SELECT c.org_id, c.vf, c.level, c.parent_id, p.level AS parent_level,
                   EXISTS (SELECT 1 FROM org_standing x WHERE x.org_id = c.parent_id) AS parent_known
            FROM org_standing c
            LEFT JOIN org_tree_by_date p ON p.org_id = c.parent_id AND p.d = c.vf
        ),
        level_problems AS (
            SELECT org_id, vf,
                CASE WHEN level = 'tinh' AND parent_id IS NOT NULL THEN 'wrong_parent_level'
                     WHEN parent_id IS NOT NULL AND parent_known
                          AND NOT list_contains(CASE level {allowed} END, parent_level)
                          THEN 'wrong_parent_level'
                     WHEN parent_id IS NOT NULL AND NOT parent_known THEN 'pending'
                END AS problem
            FROM parent_at_start
        ),
        walk AS (
            WITH RECURSIVE w(d, start_id, cur_id, path) AS (
                SELECT t.d, t.org_id, t.parent_id, [t.org_id]
                FROM org_tree_by_date t WHERE t.parent_id IS NOT NULL
                UNION ALL
                SELECT w.d, w.start_id, t.parent_id, list_append(w.path, w.cur_id)
                FROM w JOIN org_tree_by_date t ON t.d = w.d AND t.org_id = w.cur_id
                WHERE t.parent_id IS NOT NULL AND w.cur_id <> w.start_id
                  AND NOT list_contains(w.path, w.cur_id) AND len(w.path) < 200)
            SELECT DISTINCT w.d, w.start_id AS org_id FROM w WHERE w.cur_id = w.start_id
        ),
        cycle_versions AS (
            SELECT DISTINCT t.org_id, t.vf, 'parent_cycle' AS problem
            FROM walk JOIN org_tree_by_date t ON t.d = walk.d AND t.org_id = walk.org_id
        )
        SELECT org_id, vf, CASE WHEN bool_or(problem = 'parent_cycle') THEN 'parent_cycle'
                                ELSE min(problem) END AS problem
        FROM (SELECT * FROM cycle_versions
              UNION ALL SELECT * FROM level_problems WHERE problem IS NOT NULL)
        GROUP BY org_id, vf""")
    n = con.execute("SELECT count(*) FROM org_problems").fetchall()[0][0]
    con.execute("INSERT INTO org_rejected SELECT org_id, vf, problem FROM org_problems")
    return int(n)


def _org_tree(con: duckdb.DuckDBPyConnection) -> None:
    """Versions that pass the tree checks (ok_org_units), the rejected ones (chk_org_units) and
    the pending ones (pend_org_units), the checks repeated in rounds until nothing changes."""
    con.execute("CREATE OR REPLACE TEMP TABLE org_rejected (org_id VARCHAR, vf DATE, problem VARCHAR)")
    for _ in range(1000):
        if _org_round(con) == 0:
            break
    else:   # pragma: no cover - each round rejects at least one version of a finite set
        raise RuntimeError("tree checks did not settle")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ok_org_units AS
        SELECT * EXCLUDE (vf, first_vf) FROM org_standing""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE chk_org_units AS
        SELECT o.*, 'parent_id' AS problem_column, r.problem AS problem_check
        FROM cur_org_units o JOIN org_rejected r
          ON r.org_id = o.org_id AND r.vf = coalesce(o.valid_from, {BEGINNING})
        WHERE o.action = 'upsert' AND r.problem <> 'pending'""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE pend_org_units AS
        SELECT o.*, 'org_units' AS missing_kind, o.parent_id AS missing_key
        FROM cur_org_units o JOIN org_rejected r
          ON r.org_id = o.org_id AND r.vf = coalesce(o.valid_from, {BEGINNING})
        WHERE o.action = 'upsert' AND r.problem = 'pending'""")
    # an org's level on a day: the version in force (its earliest before them all); the
    # facts of the whole organisation (bounds, successor, decision) are its latest version's
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE org_versions AS
        SELECT o.org_id, coalesce(o.valid_from, {BEGINNING}) AS vf,
               coalesce(lead(o.valid_from) OVER w - 1, DATE '9999-12-31') AS vt,
               o.level,
               last_value(o.dissolved_on) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING
                                                AND UNBOUNDED FOLLOWING) AS org_dissolved_on
        FROM ok_org_units o
        WINDOW w AS (PARTITION BY o.org_id ORDER BY coalesce(o.valid_from, {BEGINNING}))""")


# the day a row's referenced organisation must have the right level (data-contract.md,
# "Cross-file integration"): a meeting's date, the register's as-of date, or the end of the
# row's year (the organisation's last day when it was dissolved earlier)
def _reference_day(kind: str, org: str) -> str:
    if kind == "meetings":
        return "c.meeting_date"
    if kind == "members":
        return "(SELECT as_of FROM integrate_params)"
    return (f"least(make_date(c.year, 12, 31), coalesce({org}.org_dissolved_on, "
            "DATE '9999-12-31'))")


def _references(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Quarantine wrong-level references; unknown references make the row pending."""
    checks, pendings = [], []
    for col, ref_kind, levels in REFERENCES[kind]:
        ref_key = CONTRACT[ref_kind].key[0]
        ref_table = "org_versions" if ref_kind == "org_units" else f"ok_{ref_kind}"
        exists = f"EXISTS (SELECT 1 FROM {ref_table} r WHERE r.{ref_key} = c.{col})"
        if levels is not None:
            day = _reference_day(kind, "f")
            checks.append(f"""
                SELECT c.*, '{col}' AS problem_column, 'wrong_level_reference' AS problem_check
                FROM cur_{kind} c
                JOIN (SELECT DISTINCT org_id, org_dissolved_on FROM org_versions) f
                  ON f.org_id = c.{col}
                JOIN org_versions r ON r.org_id = c.{col}
                 AND {day} BETWEEN r.vf AND r.vt
                WHERE c.action = 'upsert' AND NOT list_contains({_sql_list(levels)}, r.level)
                UNION ALL BY NAME
                -- a day before every version: the earliest version counts
                SELECT c.*, '{col}' AS problem_column, 'wrong_level_reference' AS problem_check
                FROM cur_{kind} c
                JOIN (SELECT org_id, any_value(org_dissolved_on) AS org_dissolved_on,
                             min(vf) AS first_vf, arg_min(level, vf) AS first_level
                      FROM org_versions GROUP BY org_id) f ON f.org_id = c.{col}
                WHERE c.action = 'upsert' AND {day} < f.first_vf
                  AND NOT list_contains({_sql_list(levels)}, f.first_level)""")
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
    join = _key_match(kind, "t", "d")
    current = con.execute(f"SELECT count(*) FROM {kind}").fetchall()[0][0]
    rows = con.execute(f"""
        SELECT d.source_file, count(*) FROM cur_{kind} d JOIN {kind} t ON {join}
        WHERE d.action = 'delete' GROUP BY d.source_file ORDER BY d.source_file""").fetchall()
    return sum(n for _, n in rows), current, [f for f, _ in rows]


ORG_WHOLE = ("established_on", "dissolved_on", "successor_id", "decision")


def _kind_columns(kind: str) -> str:
    return ", ".join(CONTRACT[kind].column_names)


def _publish_tables(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    if kind == "org_units":
        # every version, with valid_to; the organisation's own facts from its latest version
        cols = ", ".join(
            f"last_value(o.{c}) OVER whole AS {c}" if c in ORG_WHOLE else f"o.{c}"
            for c in CONTRACT[kind].column_names)
        con.execute(f"""
            CREATE OR REPLACE TABLE org_units AS
            SELECT {cols}, lead(o.valid_from) OVER w - 1 AS valid_to, o.source_file, o.source_row
            FROM ok_org_units o
            WINDOW w AS (PARTITION BY o.org_id ORDER BY o.valid_from ASC NULLS FIRST),
                   whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            ORDER BY o.org_id, o.valid_from NULLS FIRST""")
        return
    con.execute(f"CREATE OR REPLACE TABLE {kind} AS "
                f"SELECT {_kind_columns(kind)}, source_file, source_row FROM ok_{kind}")


QUARANTINE_COLUMNS = ("kind, file, source_row, column_name, check_name, value, message_vi, "
                      "message_en, run_id")


def _chk_rows(kind: str) -> str:
    """The quarantine rows of a kind's integration checks (chk_<kind>)."""
    # the value of the offending column, whichever it is
    value = "CASE q.problem_column " + " ".join(
        f"WHEN '{c}' THEN CAST(q.{c} AS VARCHAR)" for c in CONTRACT[kind].column_names) + " END"
    msg_vi = "CASE q.problem_check " + " ".join(
        f"WHEN '{k}' THEN {_lit(vi)}" for k, (vi, _) in MESSAGES.items()) + " END"
    msg_en = "CASE q.problem_check " + " ".join(
        f"WHEN '{k}' THEN {_lit(en)}" for k, (_, en) in MESSAGES.items()) + " END"
    return f"""
        SELECT '{kind}' AS kind, q.source_file AS file, q.source_row,
               q.problem_column AS column_name, q.problem_check AS check_name,
               {value} AS value, {msg_vi} AS message_vi, {msg_en} AS message_en,
               f.first_run_id AS run_id
        FROM chk_{kind} q LEFT JOIN files f
          ON f.path = q.source_file AND NOT f.superseded AND f.status = 'loaded'
        WHERE q.problem_check IS NOT NULL"""


def _pend_rows(kind: str) -> str:
    return (f"SELECT '{kind}' AS kind, {_key_expr(kind)} AS key, missing_kind, missing_key, "
            f"source_file AS file, source_row FROM pend_{kind}")


def _write_quarantine_and_pending(con: duckdb.DuckDBPyConnection, integration: list[str],
                                  pending: list[str]) -> None:
    """`quarantine`: every staged row problem and the integration checks' rows; `pending`."""
    con.execute("CREATE OR REPLACE TEMP TABLE integration_quarantine AS "
                + " UNION ALL ".join(integration))
    con.execute(f"""
        CREATE OR REPLACE TABLE quarantine AS
        SELECT {QUARANTINE_COLUMNS}
        FROM (SELECT * EXCLUDE (delivery_id) FROM staging.quarantine
              UNION ALL BY NAME SELECT * FROM integration_quarantine)
        ORDER BY kind, file, source_row, column_name, check_name""")
    con.execute(f"CREATE OR REPLACE TABLE pending AS SELECT * FROM ({' UNION ALL '.join(pending)}) "
                "ORDER BY kind, file, source_row, missing_kind, missing_key")


def _quarantine_and_pending(con: duckdb.DuckDBPyConnection) -> None:
    _write_quarantine_and_pending(con, [_chk_rows(k) for k in KINDS],
                                  [_pend_rows(k) for k in KINDS])


def _other_cell_flags(where: str = "true") -> str:
    return f"""
        SELECT 'attendance' AS kind, a.meeting_id || '|' || a.member_id AS key,
               'member_of_other_cell' AS flag,
               'member ' || a.member_id || ' belongs to cell ' || m.cell_id
               || ', meeting ' || a.meeting_id || ' is of cell ' || g.cell_id AS detail
        FROM attendance a JOIN members m USING (member_id) JOIN meetings g USING (meeting_id)
        WHERE m.cell_id <> g.cell_id AND {where}"""


SUCCESSOR_FLAGS = """
        SELECT DISTINCT 'org_units' AS kind, o.org_id AS key, 'unknown_successor' AS flag,
               'successor ' || o.successor_id || ' is not a known organisation' AS detail
        FROM org_units o
        WHERE o.successor_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM org_units s WHERE s.org_id = o.successor_id)"""


def _quota_flags(con: duckdb.DuckDBPyConnection, quota_share: Callable[[int], Fraction]) -> str:
    """The quota share is each year's rulebook's."""
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM member_ratings").fetchall()]
    shares = " UNION ALL ".join(
        f"SELECT {y} AS year, {quota_share(y).numerator} AS num, "
        f"{quota_share(y).denominator} AS den, '{quota_share(y)}' AS share" for y in years
    ) or "SELECT NULL::INTEGER AS year, 0 AS num, 1 AS den, '' AS share WHERE false"
    return f"""
        SELECT 'member_ratings' AS kind, cell_id || '|' || year AS key,
               'member_quota_exceeded' AS flag,
               'excellent ' || excellent || ' > ' || share || ' × (excellent + good = '
               || (excellent + good) || ')' AS detail
        FROM (SELECT cell_id, year, count(*) FILTER (rating = 'excellent') AS excellent,
                     count(*) FILTER (rating = 'good') AS good
              FROM member_ratings GROUP BY cell_id, year)
        JOIN ({shares}) AS q USING (year)
        WHERE excellent * den > num * (excellent + good)"""


def _write_flags(con: duckdb.DuckDBPyConnection, parts: list[str]) -> None:
    """Flags never block loading."""
    con.execute(f"CREATE OR REPLACE TABLE flags AS SELECT * FROM ({' UNION ALL '.join(parts)}) "
                "ORDER BY 1, 3, 2")


def _flags(con: duckdb.DuckDBPyConnection, quota_share: Callable[[int], Fraction]) -> None:
    _write_flags(con, [_other_cell_flags(), SUCCESSOR_FLAGS, _quota_flags(con, quota_share)])


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


def integrate_all(con: duckdb.DuckDBPyConnection, allow_shrink: bool, as_of: dt.date,
                  quota_share: Callable[[int], Fraction]) -> IntegrateSummary:
    summary = IntegrateSummary()
    con.execute(f"DROP TABLE IF EXISTS temp.main.{TOUCHED_MEETINGS}")
    con.execute("CREATE OR REPLACE TEMP TABLE integrate_params AS SELECT ?::DATE AS as_of", [as_of])
    for kind in KINDS:
        _current_rows(con, kind)
    _org_tree(con)
    for kind in KINDS[1:]:     # contract order: every reference points to an earlier kind
        _references(con, kind)
    tripped = [t for kind in KINDS if (t := _shrink_check(con, kind, summary, allow_shrink))]
    _stop_if_shrinking(tripped)
    for kind in KINDS:
        _publish_tables(con, kind)
    _quarantine_and_pending(con)
    _flags(con, quota_share)
    return _finish(con, summary)


def _shrink_check(con: duckdb.DuckDBPyConnection, kind: str, summary: IntegrateSummary,
                  allow_shrink: bool) -> str | None:
    """Record what the kind's deletes retract now (before its table is replaced); the guard's
    line when they retract more than SHRINK_GUARD_SHARE of the table."""
    retracted, current, files = _retracted(con, kind)
    summary.retracted[kind] = retracted
    if current and retracted > SHRINK_GUARD_SHARE * current and not allow_shrink:
        return f"{kind}: {retracted} of {current} rows by {', '.join(files)}"
    return None


def _stop_if_shrinking(tripped: list[str]) -> None:
    if tripped:
        raise ShrinkGuardError(
            "stopped before publishing: deletes would retract more than 10% of "
            + "; ".join(tripped) + " (check the files; rerun with --allow-shrink if intended)")


def _finish(con: duckdb.DuckDBPyConnection, summary: IntegrateSummary) -> IntegrateSummary:
    _file_counts(con)
    _drop_work_tables(con)
    con.execute("DELETE FROM staging.changed")   # integrated: nothing is pending derivation
    return current_counts(con, summary)


def integrate_changed(con: duckdb.DuckDBPyConnection, allow_shrink: bool, as_of: dt.date,
                      quota_share: Callable[[int], Fraction]) -> IntegrateSummary | None:
    """Derive again only the partitions `staging.changed` names (see the module docstring);
    None, and nothing done, when the night touched the tree or the register: then every
    reference may have changed, and `integrate_all` is the way."""
    touched = {k for (k,) in con.execute("SELECT DISTINCT kind FROM staging.changed").fetchall()}
    if touched - set(PARTITIONED_KINDS):
        return None
    summary = IntegrateSummary(retracted={k: 0 for k in KINDS})
    con.execute("CREATE OR REPLACE TEMP TABLE integrate_params AS SELECT ?::DATE AS as_of", [as_of])
    # a meeting derived again takes its attendance with it (the rows refer to it)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE cur_parts AS
        SELECT DISTINCT kind, part FROM staging.changed
        UNION SELECT 'attendance', part FROM staging.changed WHERE kind = 'meetings'""")
    summary.changed_parts = con.execute("SELECT count(*) FROM cur_parts").fetchall()[0][0]
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TOUCHED_MEETINGS} AS SELECT DISTINCT part AS "
                "meeting_id FROM cur_parts WHERE kind IN ('meetings', 'attendance')")
    # what the partitions refer to, as integrated: the tree's versions and the register
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE org_versions AS
        SELECT org_id, coalesce(valid_from, {BEGINNING}) AS vf,
               coalesce(valid_to, DATE '9999-12-31') AS vt, level,
               dissolved_on AS org_dissolved_on
        FROM org_units""")
    con.execute("CREATE OR REPLACE TEMP VIEW ok_members AS SELECT member_id FROM members")
    # the integration checks' quarantine rows of the rest: their staged row stands, outside
    # the partitions
    kept = [f"""
        SELECT q.* FROM quarantine q
        WHERE q.kind = '{kind}' AND q.check_name IN {tuple(MESSAGES)}
          AND EXISTS (SELECT 1 FROM staging.{kind} s
                      WHERE s.source_file = q.file AND s.source_row = q.source_row
                        AND NOT {_in_parts(kind, "s")})"""
            for kind in PARTITIONED_KINDS if REFERENCE_LEVELS[kind]]
    kept.append(f"SELECT * FROM quarantine WHERE kind NOT IN {tuple(PARTITIONED_KINDS)} "
                f"AND check_name IN {tuple(MESSAGES)}")
    con.execute("CREATE OR REPLACE TEMP TABLE chk_kept AS " + " UNION ALL ".join(kept))
    tripped = []
    for kind in PARTITIONED_KINDS:
        _current_rows(con, kind, changed=True)
        _references(con, kind)
        if trip := _shrink_check(con, kind, summary, allow_shrink):
            tripped.append(trip)
        con.execute(f"DELETE FROM {kind} WHERE {_in_parts(kind)}")
        # by name: `meetings` still has the last model's columns (the model replaces them)
        con.execute(f"INSERT INTO {kind} BY NAME SELECT {_kind_columns(kind)}, source_file, "
                    f"source_row FROM ok_{kind}")
        if kind == "meetings":   # attendance refers to every meeting there is now
            con.execute("DROP TABLE ok_meetings")
            con.execute("CREATE TEMP VIEW ok_meetings AS SELECT meeting_id FROM meetings")
    _stop_if_shrinking(tripped)
    pending_kept = " AND ".join(
        f"NOT (kind = '{k}' AND split_part(key, '|', 1) IN "
        f"(SELECT part FROM cur_parts WHERE kind = '{k}'))" for k in PARTITIONED_KINDS)
    _write_quarantine_and_pending(
        con, [f"SELECT {QUARANTINE_COLUMNS} FROM chk_kept",
              *(_chk_rows(k) for k in PARTITIONED_KINDS)],
        [f"SELECT * FROM pending WHERE {pending_kept}", *(_pend_rows(k) for k in PARTITIONED_KINDS)])
    _write_flags(con, [
        "SELECT * FROM flags WHERE kind = 'org_units' OR (kind = 'attendance' AND "
        "split_part(key, '|', 1) NOT IN (SELECT part FROM cur_parts WHERE kind = 'attendance'))",
        _other_cell_flags(_in_parts("attendance", "a")), _quota_flags(con, quota_share)])
    return _finish(con, summary)


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
        if name.startswith(("ok_", "pend_", "chk_", "cur_", "org_")) or name in (
                "integrate_params", "integration_quarantine"):
            con.execute(f"DROP {relation} temp.{name}")
