"""The model layer: meeting standard, cell_year_metrics, org_year_classification.

    from chibo.model import build_model
    summary = build_model(con, as_of, rules)

Reads the integrated tables (org_units, members, meetings, attendance, assessments,
member_ratings) of `con` and (re)creates `cell_year_metrics`, `org_year_classification` and
`meetings` (its own columns plus the computed ones). All the work is set-based SQL in
`chibo/model/sql/`, run in file order:

    00_macros                 exact ratio comparisons, code lists
    10_meetings               meeting facts + meeting standard, rebuilds `meetings`
    20_org_calendar           active months / quarters per org and year
    30_cell_year_metrics      the metrics of every cell-year
    40_cell_classification    four goods + provisional level of every cell
    quota (_quota_cells)      quota per đảng bộ cơ sở over its chi_bo
    50_dang_bo_classification đảng bộ cơ sở from its sub-units' final levels
    quota (_quota_grassroots) quota per parent over đảng bộ cơ sở + chi bộ cơ sở
    70_org_year_classification the published table

Python only prepares two small parameter tables, `model_params(as_of)` and
`rulebook_years` (one row per year: the year's rulebook and its thresholds as integer
numerators/denominators) plus `rulebook_levels`; the SQL joins on year and never hard-codes a
threshold. Idempotent: computed columns of `meetings` from an earlier run are dropped first.
"""
from __future__ import annotations

import datetime as dt
from fractions import Fraction
from importlib import resources
from typing import Any

import duckdb

from chibo.contract import CONTRACT
from chibo.rulebooks import LEVELS, RuleSet

SQL_STAGES: tuple[tuple[str, dict[str, str]], ...] = (
    ("00_macros.sql", {}),
    ("10_meetings.sql", {}),
    ("20_org_calendar.sql", {}),
    ("30_cell_year_metrics.sql", {}),
    ("40_cell_classification.sql", {}),
    ("quota.sql", {"source": "(SELECT * FROM _cell_checks WHERE org_level = 'chi_bo')",
                   "target": "_quota_cells"}),
    ("50_dang_bo_classification.sql", {}),
    ("quota.sql", {"source": "_grassroots_checks", "target": "_quota_grassroots"}),
    ("70_org_year_classification.sql", {}),
)

# columns build_model adds to `meetings` (dropped before recomputing)
MEETING_COMPUTED = (
    "duration_minutes", "min_minutes", "counted", "attendance_rows", "present", "excused",
    "unexcused", "attendance_rate", "speaking_rate", "meets_standard", "standard_failures",
)

TEMP_TABLES = (
    "model_params", "rulebook_years", "rulebook_levels", "_attendance_by_meeting",
    "_meeting_facts", "_org_months", "_org_quarters", "_org_years", "_scope",
    "_cell_meeting_metrics", "_cell_coverage", "_cell_member_metrics", "_cell_streaks",
    "_cell_ratings", "_cell_register", "_cell_year_full", "_cell_checks", "_quota_cells",
    "_subunits", "_dang_bo_checks", "_grassroots_checks", "_quota_grassroots",
)

# rulebook_years column prefix -> threshold name (stored as <prefix>_num / <prefix>_den)
RATIO_COLUMNS = {
    "attendance": "attendance_rate_above",
    "speaking": "speaking_rate_min",
    "members_good": "members_good_share_min",
    "targets_failed": "targets_failed_below",
    "members_failed": "members_failed_share_above",
    "subunits_disciplined": "subunits_disciplined_share_above",
    "exceeded": "excellent_exceeded_share_min",
    "quota": "excellent_quota_share",
    "subunits_mq": "subunits_meeting_quality_share_min",
    "score_excellent": "score_excellent",
    "score_good": "score_good",
    "score_completed": "score_completed",
}


def sql_text(name: str) -> str:
    return resources.files("chibo.model").joinpath("sql", name).read_text(encoding="utf-8")


def _years(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[int]:
    """From the earliest year of any meeting, assessment or member rating to the as-of year."""
    lo, hi = con.execute(
        """
        SELECT min(y), max(y) FROM (
            SELECT min(year(meeting_date))::INTEGER AS y FROM meetings
            UNION ALL SELECT max(year(meeting_date))::INTEGER FROM meetings
            UNION ALL SELECT min(year)::INTEGER FROM assessments
            UNION ALL SELECT min(year)::INTEGER FROM member_ratings
        )
        """).fetchone()
    if lo is None or lo > as_of.year:
        return []
    return list(range(lo, max(as_of.year, hi or as_of.year) + 1))


def _params(con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: RuleSet,
            years: list[int]) -> None:
    ratio_cols = []
    for prefix in RATIO_COLUMNS:
        ratio_cols += [f"{prefix}_num BIGINT", f"{prefix}_den BIGINT"]
    con.execute("CREATE OR REPLACE TEMP TABLE model_params (as_of DATE)")
    con.execute("INSERT INTO model_params VALUES (?)", [as_of])
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rulebook_years (year INTEGER, rulebook VARCHAR, "
        "uses_score BOOLEAN, year_complete BOOLEAN, four_good_required BOOLEAN, "
        "min_minutes INTEGER, min_minutes_combined INTEGER, combined_min_from DATE, "
        "excused_streak_max INTEGER, removal_unexcused_months INTEGER, "
        + ", ".join(ratio_cols) + ")")
    rows = []
    for year in years:
        rb = rules.for_year(year)
        t = rb.thresholds
        row: list[Any] = [
            year, rb.name, rb.uses_score, dt.date(year, 12, 31) <= as_of,
            year >= t["four_good_required_for_excellent_from"],
            t["min_minutes"], t["min_minutes_combined_hd42"],
            t["min_minutes_combined_hd42_from"],
            t["excused_streak_max"], t["removal_unexcused_months"],
        ]
        for name in RATIO_COLUMNS.values():
            if name in t:
                f = Fraction(t[name])
                row += [f.numerator, f.denominator]
            else:                       # score thresholds of a rulebook without score
                row += [None, None]
        rows.append(row)
    if rows:
        con.executemany(
            f"INSERT INTO rulebook_years VALUES ({', '.join('?' * len(rows[0]))})", rows)
    con.execute("CREATE OR REPLACE TEMP TABLE rulebook_levels "
                "(rulebook VARCHAR, level VARCHAR, level_vi VARCHAR, level_short_vi VARCHAR, "
                "level_en VARCHAR)")
    con.executemany(
        "INSERT INTO rulebook_levels VALUES (?, ?, ?, ?, ?)",
        [[rb.name, lv, rb.levels[lv]["vi"], rb.levels[lv]["short_vi"], rb.levels[lv]["en"]]
         for rb in rules.rulebooks for lv in LEVELS])


def _meeting_columns(con: duckdb.DuckDBPyConnection) -> str:
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'meetings' AND table_schema = current_schema() "
        "ORDER BY ordinal_position").fetchall()]
    keep = [c for c in cols if c not in MEETING_COMPUTED]
    missing = [c for c in CONTRACT["meetings"].column_names if c not in keep]
    if missing:
        raise ValueError(f"meetings lacks contract column(s): {', '.join(missing)}")
    return ", ".join(f'm."{c}"' for c in keep)


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    con.execute(sql)


def build_model(con: duckdb.DuckDBPyConnection, as_of: dt.date, rules: RuleSet) -> dict:
    """(Re)create cell_year_metrics, org_year_classification and meetings' computed columns.

    Returns a summary: {"as_of", "years": {year: {"rulebook", "orgs", "levels": {level: n},
    "not_classified", "four_good", "cells"}}}.
    """
    own_tx = True
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.TransactionException:
        own_tx = False                      # the caller holds a transaction
    try:
        years = _years(con, as_of)
        _params(con, as_of, rules, years)
        meeting_columns = _meeting_columns(con)
        for name, subst in SQL_STAGES:
            sql = sql_text(name)
            for k, v in {"meeting_columns": meeting_columns, **subst}.items():
                sql = sql.replace("{" + k + "}", v)
            _run(con, sql)
        summary = _summary(con, as_of)
        for t in TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{t}")
        if own_tx:
            con.execute("COMMIT")
    except BaseException:
        if own_tx:
            con.execute("ROLLBACK")
        raise
    return summary


def _summary(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict:
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "years": {}}
    rows = con.execute(
        """
        SELECT c.year, any_value(c.rulebook), count(*),
               count(*) FILTER (WHERE level = 'excellent'),
               count(*) FILTER (WHERE level = 'good'),
               count(*) FILTER (WHERE level = 'completed'),
               count(*) FILTER (WHERE level = 'failed'),
               count(*) FILTER (WHERE level IS NULL),
               count(*) FILTER (WHERE four_good),
               count(*) FILTER (WHERE org_level IN ('chi_bo', 'chi_bo_co_so')),
               bool_and(year_complete)
        FROM org_year_classification c
        GROUP BY c.year ORDER BY c.year
        """).fetchall()
    for (year, rb, n, exc, good, comp, failed, none, four, cells, complete) in rows:
        out["years"][year] = {
            "rulebook": rb, "orgs": n, "cells": cells, "year_complete": complete,
            "levels": {"excellent": exc, "good": good, "completed": comp, "failed": failed},
            "not_classified": none, "four_good": four,
        }
    return out
